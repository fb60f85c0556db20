"""Borin-Mancini decompositions against a textbook implementation with explicit inverses.

The reference below forms every extraction matrix ``B^F = (I - A^F)^-1`` by inversion and
applies the definitions of Borin and Mancini (2023) flow by flow; the engine uses Woodbury
updates instead, so agreement checks the algebra of ``karavan.core.gvc.borin_mancini``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.gvc.borin_mancini import TERMS, borin_mancini
from karavan.errors import LabelError, TableError
from tests.conftest import small_table

BASE = ("DAVAX", "REF", "DVA", "DDC", "FVA", "FDC")


def _groups(t: MRIOTable, blocs: dict[str, tuple[str, ...]]) -> list[tuple[str, list[int]]]:
    """(label, industry numbers) per economy, economies ordered by their first region."""
    S = t.n_sectors
    out: list[tuple[str, list[int]]] = []
    seen: dict[str, int] = {}
    for i, r in enumerate(t.regions):
        label = next((b for b, m in blocs.items() if r in m), r)
        if label not in seen:
            seen[label] = len(out)
            out.append((label, []))
        out[seen[label]][1].extend(range(i * S, (i + 1) * S))
    return out


def reference(
    t: MRIOTable, perspective: str, level: str, blocs: dict[str, tuple[str, ...]] | None = None
) -> pd.DataFrame:
    """Rows (exporter, sector, importer) of the decomposition, from explicit inverses."""
    groups = _groups(t, blocs or {})
    n, S, C = t.n, t.n_sectors, len(t.categories)
    x = t.x
    A = t.Z / x[None, :]
    eye = np.eye(n)
    B = np.linalg.inv(eye - A)
    v = (x - t.Z.sum(axis=0)) / x
    econ_of = np.empty(n, dtype=int)
    for e, (_, ix) in enumerate(groups):
        econ_of[ix] = e
    region_econ = econ_of[::S]
    Yr = t.Y.reshape(n, t.n_regions, C).sum(axis=2)
    Ye = np.zeros((n, len(groups)))
    for i in range(t.n_regions):
        Ye[:, region_econ[i]] += Yr[:, i]
    local_home = np.zeros(n)  # L_rr Y_rr
    for e, (_, ix) in enumerate(groups):
        Lrr = np.linalg.inv(np.eye(len(ix)) - A[np.ix_(ix, ix)])
        local_home[ix] = Lrr @ Ye[ix, e]
    rows = []
    for s, (s_label, Is) in enumerate(groups):
        foreign = [j for j in range(n) if econ_of[j] != s]
        partners = [p for p in range(len(groups)) if p != s]
        if level == "country":
            perimeters = [(Is, foreign, partners)]
        elif level == "bilateral":
            perimeters = [(Is, groups[p][1], [p]) for p in partners]
        else:
            perimeters = [([j for j in Is if j % S == i], foreign, partners) for i in range(S)]
        for P, Q, flows_to in perimeters:
            AF = A.copy()
            AF[np.ix_(P, Q)] = 0.0
            BF = np.linalg.inv(eye - AF)
            dom = np.isin(np.arange(n), Is)
            m, f = (v * dom) @ B, (v * ~dom) @ B
            mF, fF = (v * dom) @ BF, (v * ~dom) @ BF
            E = {}
            for j in P:
                for p in flows_to:
                    Ip = groups[p][1]
                    E[j, p] = t.Z[j, Ip].sum() + Ye[j, p]
            eF = np.zeros(n)
            for (j, _p), val in E.items():
                eF[j] += val
            z = BF @ eF  # output to produce the flows F
            g = B @ Ye[:, s]
            gF = BF @ Ye[:, s]
            for (j, p), e_jp in E.items():
                Ip = groups[p][1]
                a = A[j, Ip]
                direct = Ye[j, p] + a @ local_home[Ip]
                if perspective == "source":
                    vals = {
                        "DVA": mF[j] * e_jp,
                        "DDC": (m[j] - mF[j]) * e_jp,
                        "FVA": fF[j] * e_jp,
                        "FDC": (f[j] - fF[j]) * e_jp,
                        "REF": mF[j] * (a @ g[Ip]),
                        "DAVAX": mF[j] * direct,
                    }
                else:
                    reexported = a @ z[Ip]
                    vals = {
                        "DVA": m[j] * (e_jp - reexported),
                        "DDC": m[j] * reexported,
                        "FVA": f[j] * (e_jp - reexported),
                        "FDC": f[j] * reexported,
                        "REF": m[j] * (a @ gF[Ip]),
                        "DAVAX": m[j] * direct,
                    }
                vals["EXGR"] = e_jp
                rows.append((s_label, t.sectors[j % S], groups[p][0], vals))
    frame = pd.DataFrame(
        [r[3] for r in rows],
        index=pd.MultiIndex.from_tuples(
            [r[:3] for r in rows], names=["exporter", "sector", "importer"]
        ),
    )
    return frame.groupby(level=[0, 1, 2], sort=False).sum()


@pytest.fixture(scope="module")
def model() -> LeontiefModel:
    return LeontiefModel(small_table(regions=("RUS", "KAZ", "CHN", "ROW"), seed=11))


@pytest.mark.parametrize("perspective", ["source", "sink"])
@pytest.mark.parametrize("level", ["country", "bilateral", "sector"])
@pytest.mark.parametrize("blocs", [None, {"EAEU": ("RUS", "KAZ")}])
def test_flows_match_explicit_extraction_inverses(
    model: LeontiefModel, perspective: str, level: str, blocs: dict[str, tuple[str, ...]] | None
) -> None:
    got = borin_mancini(
        model,
        perspective=perspective,  # type: ignore[arg-type]
        level=level,  # type: ignore[arg-type]
        blocs=blocs,
        by_flow=True,
    )
    want = reference(model.table, perspective, level, blocs)
    got = got.loc[want.index]
    for name in (*BASE, "EXGR"):
        np.testing.assert_allclose(got[name], want[name], rtol=1e-10, atol=1e-9, err_msg=name)


@pytest.mark.parametrize("perspective", ["source", "sink"])
@pytest.mark.parametrize("level", ["country", "bilateral", "sector"])
def test_level_rows_are_sums_of_flows(model: LeontiefModel, perspective: str, level: str) -> None:
    rows = borin_mancini(model, perspective=perspective, level=level)  # type: ignore[arg-type]
    flows = borin_mancini(
        model,
        perspective=perspective,  # type: ignore[arg-type]
        level=level,  # type: ignore[arg-type]
        by_flow=True,
    )
    keys = {"country": ["exporter"], "bilateral": ["exporter", "importer"]}.get(
        level, ["exporter", "sector"]
    )
    summed = flows.groupby(level=keys, sort=False).sum().loc[rows.index]
    np.testing.assert_allclose(summed.to_numpy(), rows.to_numpy(), rtol=1e-12, atol=1e-9)
    assert list(rows.columns) == list(TERMS)


def test_terms_add_up_and_derived_columns(model: LeontiefModel) -> None:
    d = borin_mancini(model, level="bilateral", by_flow=True)
    parts = d[["DAVAX", "REX", "REF", "DDC", "FVA", "FDC"]].sum(axis=1)
    np.testing.assert_allclose(parts, d["EXGR"], rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(d["DVA"], d["DAVAX"] + d["REX"] + d["REF"], atol=1e-10)
    np.testing.assert_allclose(d["VAX"], d["DAVAX"] + d["REX"], atol=1e-10)
    np.testing.assert_allclose(d["GVC"], d["EXGR"] - d["DAVAX"], rtol=1e-12, atol=1e-10)
    np.testing.assert_allclose(d["GVCB"], d["DDC"] + d["FVA"] + d["FDC"], atol=1e-10)
    np.testing.assert_allclose(d["DC"] + d["FC"], d["EXGR"], rtol=1e-12, atol=1e-10)


def test_country_perspective_numbers_by_hand() -> None:
    """Two regions, one sector each: the terms in closed form.

    Extracting region A's exports leaves ``B^F_AA = 1 / (1 - a_AA)``, so ``DVA_A = v_A E_A /
    (1 - a_AA)``, while ``DC_A = v_A B_AA E_A`` and ``FC_A = v_B B_BA E_A``.
    """
    Z = np.array([[10.0, 20.0], [30.0, 5.0]])
    Y = np.array([[50.0, 20.0], [15.0, 60.0]])
    t = MRIOTable.from_arrays(regions=("A", "B"), sectors=("s",), categories=("hh",), Z=Z, Y=Y)
    x = t.x
    A = Z / x[None, :]
    B = np.linalg.inv(np.eye(2) - A)
    v = 1 - A.sum(axis=0)
    E1 = Z[0, 1] + Y[0, 1]
    d = borin_mancini(LeontiefModel(t))
    assert d.loc["A", "EXGR"] == pytest.approx(E1)
    assert d.loc["A", "DC"] == pytest.approx(v[0] * B[0, 0] * E1)
    assert d.loc["A", "DVA"] == pytest.approx(v[0] * E1 / (1 - A[0, 0]))
    assert d.loc["A", "FC"] == pytest.approx(v[1] * B[1, 0] * E1)
    # absorbed by the direct importer B: DAVAX = v_A / (1 - a_AA) (y_AB + a_AB L_BB y_BB)
    davax = v[0] / (1 - A[0, 0]) * (Y[0, 1] + A[0, 1] * Y[1, 1] / (1 - A[1, 1]))
    assert d.loc["A", "DAVAX"] == pytest.approx(davax)


def test_one_region_table_raises() -> None:
    t = small_table(regions=("RUS",))
    with pytest.raises(TableError, match="at least two economies"):
        borin_mancini(LeontiefModel(t))


def test_bloc_of_every_region_raises(model: LeontiefModel) -> None:
    with pytest.raises(TableError, match="at least two economies"):
        borin_mancini(model, blocs={"WORLD": model.table.regions})


def test_bloc_members_absent_from_the_table_are_reported(model: LeontiefModel) -> None:
    d = borin_mancini(model, blocs=["EAEU"])
    assert list(d.index) == ["EAEU", "CHN", "ROW"]
    assert d.attrs["blocs"] == {"EAEU": ["RUS", "KAZ"]}
    assert d.attrs["absent"] == {"EAEU": ["BLR", "ARM", "KGZ"]}
    assert d.attrs["perspective"] == "source"
    assert d.attrs["level"] == "country"
    # intra-bloc trade is not exported
    plain = borin_mancini(model, level="bilateral")
    extra = plain.loc[[("RUS", "CHN"), ("RUS", "ROW"), ("KAZ", "CHN"), ("KAZ", "ROW")], "EXGR"]
    assert d.loc["EAEU", "EXGR"] == pytest.approx(extra.sum())


@pytest.mark.parametrize(
    ("blocs", "match"),
    [
        ({"EAEU": ("BLR", "ARM")}, "no member among the table's regions"),
        ({"X": ()}, "lists no member"),
        ({"A": ("RUS",), "B": ("RUS", "KAZ")}, "in two blocs"),
        ({"CHN": ("RUS", "KAZ")}, "outside the bloc"),
        (["NOSUCH"], "unknown bloc"),
    ],
)
def test_bad_blocs_raise(model: LeontiefModel, blocs: object, match: str) -> None:
    with pytest.raises(LabelError, match=match):
        borin_mancini(model, blocs=blocs)  # type: ignore[arg-type]


def test_bad_arguments_raise(model: LeontiefModel) -> None:
    with pytest.raises(LabelError, match="perspective"):
        borin_mancini(model, perspective="world")  # type: ignore[arg-type]
    with pytest.raises(LabelError, match="level"):
        borin_mancini(model, level="region")  # type: ignore[arg-type]
