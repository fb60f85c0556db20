"""WWZ (2013) decomposition: layout, agreement with the dense block formulas, error cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.gvc.wwz import (
    WWZ_GROUPS,
    WWZ_TERMS,
    WWZ_TO_KWW,
    wwz_decomposition,
    wwz_groups,
    wwz_to_kww,
)
from karavan.errors import NotProductiveError, ZeroOutputError
from tests.conftest import small_table
from tests.unit.core.gvc import dense_decompositions as dense

DECOMPR_COLUMNS = [  # decompr 6.4.0 column order
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrexI1",
    "DVA_INTrexF",
    "DVA_INTrexI2",
    "RDV_INT",
    "RDV_FIN",
    "RDV_FIN2",
    "OVA_FIN",
    "MVA_FIN",
    "OVA_INT",
    "MVA_INT",
    "DDC_FIN",
    "DDC_INT",
    "ODC",
    "MDC",
]


def unbalanced_table(seed: int = 3) -> MRIOTable:
    """Four regions, three sectors, two categories; x above total uses (like rounded WIOD)."""
    rng = np.random.default_rng(seed)
    R, S, C = 4, 3, 2
    n = R * S
    Z = rng.uniform(0.0, 10.0, (n, n))
    Y = rng.uniform(1.0, 30.0, (n, R * C))
    x = Z.sum(axis=1) + Y.sum(axis=1) + rng.uniform(0.0, 5.0, n)
    return MRIOTable.from_arrays(
        regions=[f"R{i}" for i in range(R)],
        sectors=["a", "b", "c"],
        categories=["hh", "gfcf"],
        Z=Z,
        Y=Y,
        x=x,
    )


@pytest.mark.parametrize(
    "table", [small_table(), unbalanced_table()], ids=["balanced", "unbalanced"]
)
def test_every_term_matches_the_dense_block_formulas(table: MRIOTable) -> None:
    got = wwz_decomposition(LeontiefModel(table))
    ref = dense.wwz(table)  # (G, N, G, 16), domestic pairs zero
    G, N = table.n_regions, table.n_sectors
    foreign = np.arange(G)[:, None, None] != np.arange(G)[None, None, :]
    expected = ref[np.broadcast_to(foreign, (G, N, G))]
    scale = np.abs(expected).max()
    np.testing.assert_allclose(got.to_numpy(), expected, rtol=1e-10, atol=1e-13 * scale)


def test_layout_mirrors_decompr_rows_without_domestic_pairs(table: MRIOTable) -> None:
    got = wwz_decomposition(LeontiefModel(table))
    G, N = table.n_regions, table.n_sectors
    assert got.shape == (G * N * (G - 1), 16)
    assert list(got.index.names) == ["exporter", "sector", "importer"]
    assert list(got.columns) == [f"T{k}" for k in range(1, 17)]
    assert got.index[:3].tolist() == [
        ("RUS", "AGR", "KAZ"),
        ("RUS", "AGR", "CHN"),
        ("RUS", "MAN", "KAZ"),
    ]
    assert not (
        got.index.get_level_values("exporter") == got.index.get_level_values("importer")
    ).any()


def test_terms_map_one_to_one_onto_decomprs_columns() -> None:
    assert list(WWZ_TERMS) == [f"T{k}" for k in range(1, 17)]
    assert sorted(WWZ_TERMS.values()) == sorted(DECOMPR_COLUMNS)
    for groups in (WWZ_GROUPS, WWZ_TO_KWW):
        members = [t for terms in groups.values() for t in terms]
        assert sorted(members) == sorted(WWZ_TERMS)  # a partition of the 16 terms


def test_groups_sum_their_terms(table: MRIOTable) -> None:
    w = wwz_decomposition(LeontiefModel(table))
    g = wwz_groups(w)
    assert list(g.columns) == list(WWZ_GROUPS)
    np.testing.assert_allclose(g["RDV"], w["T6"] + w["T7"] + w["T8"], rtol=1e-15)
    np.testing.assert_allclose(g.sum(axis=1), w.sum(axis=1), rtol=1e-13)
    kww_by_flow = wwz_to_kww(w, aggregate=False)
    np.testing.assert_allclose(kww_by_flow["FVA_INT"], w["T13"] + w["T14"], rtol=1e-15)
    by_exporter = wwz_to_kww(w)
    assert by_exporter.index.tolist() == list(table.regions)
    np.testing.assert_allclose(
        by_exporter.loc["KAZ", "DDC"], w.loc["KAZ", ["T9", "T10"]].to_numpy().sum(), rtol=1e-13
    )


def test_groups_name_unknown_terms() -> None:
    w = pd.DataFrame({"T1": [1.0]})
    with pytest.raises(KeyError, match=r"\['T2', 'T3'\]"):
        wwz_groups(w, {"DVA_INT": ("T2", "T3")})


def test_one_region_has_no_flows() -> None:
    t = small_table(regions=("RUS",))
    w = wwz_decomposition(LeontiefModel(t))
    assert w.shape == (0, 16)
    assert list(w.index.names) == ["exporter", "sector", "importer"]
    assert wwz_to_kww(w).empty


def test_singular_domestic_block_is_named() -> None:
    # two regions of one sector: A = [[1, .5], [.5, 0]] is invertible, I - A_11 = 0 is not
    t = MRIOTable.from_arrays(
        regions=["P", "Q"], sectors=["s"], categories=["f"],
        Z=[[10.0, 5.0], [5.0, 0.0]], Y=[[1.0, 1.0], [1.0, 1.0]], x=[10.0, 10.0],
    )  # fmt: skip
    with pytest.raises(NotProductiveError, match=r"region 'P'.*industry P/s"):
        wwz_decomposition(LeontiefModel(t))


def test_value_added_in_a_zero_output_industry_is_refused() -> None:
    t = small_table()
    V = t.V.copy()
    Z = t.Z.copy()
    Y = t.Y.copy()
    x = t.x.copy()
    Z[0, :] = 0.0
    Z[:, 0] = 0.0
    Y[0, :] = 0.0
    x[0] = 0.0
    V[0, 0] = 1.0
    bad = MRIOTable.from_arrays(
        regions=t.regions, sectors=t.sectors, categories=t.categories,
        Z=Z, Y=Y, x=x, V=V, va_components=t.va_components,
    )  # fmt: skip
    with pytest.raises(ZeroOutputError, match="RUS/AGR has zero output but value added"):
        wwz_decomposition(LeontiefModel(bad))
