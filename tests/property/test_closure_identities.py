"""Identities of the closure, leakage, linkage, SDA and dependency measures on random balanced
tables (built backwards, as in test_identities: draw A and Y, solve for x, then Z = A diag(x);
some industries may be dormant, with zero output)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karavan.core import LeontiefModel, MRIOTable, TableMetadata
from karavan.core.gvc.closure import closure_indicators
from karavan.core.gvc.dependency import dependency_map, external_input_flows
from karavan.core.gvc.sda import closure_sda

SETTINGS = settings(max_examples=40, deadline=None)
RTOL = 1e-9


@dataclass(frozen=True)
class Case:
    table: MRIOTable
    other: MRIOTable  # same labels, another year
    bloc: tuple[str, ...]


def _table(
    rng: np.random.Generator, R: int, S: int, C: int, dormant: np.ndarray, year: int
) -> MRIOTable:
    n = R * S
    A = rng.random((n, n)) * (rng.random((n, n)) < rng.choice([0.3, 0.7, 1.0]))
    colsum = A.sum(axis=0)
    target = rng.uniform(0.0, rng.choice([0.2, 0.6, 0.95]), size=n)
    A *= np.divide(target, colsum, out=np.zeros(n), where=colsum > 0)[None, :]
    A[dormant, :] = 0.0
    Y = rng.uniform(0.0, 1000.0, size=(n, R * C)) * (rng.random((n, R * C)) < 0.8)
    Y[~dormant, rng.integers(0, R * C)] += 1.0
    Y[np.flatnonzero(~dormant)[0], :] += 1.0  # every region has some final use
    Y[dormant, :] = 0.0
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    x[dormant] = 0.0
    return MRIOTable.from_arrays(
        regions=[f"R{i}" for i in range(R)],
        sectors=[f"s{j}" for j in range(S)],
        categories=[f"c{k}" for k in range(C)],
        Z=A * x[None, :],
        Y=Y,
        x=x,
        meta=TableMetadata(year=year),
    )


@st.composite
def cases(draw: st.DrawFn) -> Case:
    R = draw(st.integers(2, 4))
    S = draw(st.integers(1, 4))
    C = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = R * S
    dormant = np.zeros(n, dtype=bool)
    if n > 2 and draw(st.booleans()):
        dormant[rng.choice(n, size=int(rng.integers(1, n // 2 + 1)), replace=False)] = True
    regions = [f"R{i}" for i in range(R)]
    members = draw(st.lists(st.sampled_from(regions), min_size=1, max_size=R, unique=True))
    return Case(
        table=_table(rng, R, S, C, dormant, 2000),
        other=_table(rng, R, S, C, dormant, 2010),
        bloc=tuple(members),
    )


def approx(value: float, scale: float = 1.0) -> object:
    return pytest.approx(value, rel=RTOL, abs=RTOL * max(scale, 1.0))


@SETTINGS
@given(cases())
def test_closure_and_leakage_share_sum_to_one(c: Case) -> None:
    ind = closure_indicators(LeontiefModel(c.table), c.bloc)
    total = ind.total_in_final_demand
    assert 0.0 <= ind.closure <= 1.0 + RTOL
    assert ind.closure + ind.leakage_share == approx(1.0)
    assert ind.inside + ind.leakage == approx(total, total)
    # Value added in final use = the bloc's final use (v L = 1' on a balanced table).
    members = [c.table.regions.index(r) for r in c.bloc]
    assert total == approx(float(c.table.Y_by_region[:, members].sum()), total)


@SETTINGS
@given(cases())
def test_leakage_by_origin_sums_to_the_total(c: Case) -> None:
    ind = closure_indicators(LeontiefModel(c.table), c.bloc)
    scale = ind.total_in_final_demand
    leak = ind.leakage_by_origin()
    assert float(leak["value_added"].sum()) == approx(ind.leakage, scale)
    assert set(leak.index.get_level_values("region")).isdisjoint(c.bloc)
    exports = ind.leakage_by_origin("exports")
    assert float(exports["value_added"].sum()) == approx(ind.export_leakage, ind.gross_exports)


@SETTINGS
@given(cases())
def test_linkage_matrices_sum_to_the_bloc_internal_value_added(c: Case) -> None:
    ind = closure_indicators(LeontiefModel(c.table), c.bloc)
    assert float(ind.linkage_final_demand.to_numpy().sum()) == approx(
        ind.inside, ind.total_in_final_demand
    )
    assert float(ind.linkage_exports.to_numpy().sum()) == approx(
        ind.export_inside, ind.gross_exports
    )


@SETTINGS
@given(cases())
def test_export_content_adds_up_to_gross_extra_bloc_exports(c: Case) -> None:
    ind = closure_indicators(LeontiefModel(c.table), c.bloc)
    e = ind.gross_exports
    assert ind.export_value_added == approx(e, e)
    first = float(ind.exports["first_crossing"].sum())
    double = float(ind.exports["double_counted"].sum())
    assert first + double == approx(e, e)
    assert double >= -RTOL * max(e, 1.0)
    if e > 0:
        assert ind.export_closure + ind.export_leakage_share == approx(1.0)


@SETTINGS
@given(cases())
def test_a_bloc_of_every_region_is_closed_and_independent(c: Case) -> None:
    t = c.table
    model = LeontiefModel(t)
    ind = closure_indicators(model, t.regions)
    assert ind.closure == approx(1.0)
    assert ind.leakage == 0.0
    assert ind.gross_exports == 0.0
    dm = dependency_map(model, t.regions)
    assert float(np.nansum(dm.shares[["direct", "total", "external_value_added"]])) == 0.0
    assert external_input_flows(t, t.regions).empty


@SETTINGS
@given(cases())
def test_dependency_shares_lie_in_the_unit_interval(c: Case) -> None:
    dm = dependency_map(LeontiefModel(c.table), c.bloc)
    for col in ("direct", "total", "external_value_added"):
        values = dm.shares[col].dropna().to_numpy()
        assert (values >= -RTOL).all(), col
        assert (values <= 1.0 + RTOL).all(), col
    np.testing.assert_allclose(
        dm.direct_by_supplier.sum(axis=1), dm.shares["direct"].fillna(0.0), atol=1e-12
    )
    defined = dm.shares["intermediate_inputs"] > 0
    assert dm.shares["direct"][defined].notna().all()


@SETTINGS
@given(cases())
def test_sda_drivers_sum_to_the_total_change(c: Case) -> None:
    sda = closure_sda(c.table, c.other, c.bloc)
    change = sda.values["change"].to_numpy()
    scale = np.abs(sda.values[["start", "end"]].to_numpy()).max(axis=1)
    gap = np.abs(sda.effects.sum().to_numpy() - change)
    assert (gap <= 1e-9 * np.maximum(scale, 1.0)).all(), gap
    assert sda.effects.loc["final_demand_level", "closure"] == approx(0.0)
