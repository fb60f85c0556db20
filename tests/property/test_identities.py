"""Identities of input-output accounting, checked on random productive, balanced tables.

Tables are built backwards so that they balance by construction: draw technical coefficients
``A >= 0`` with column sums below 1 and final demand ``Y >= 0``, solve ``x = (I - A)^-1 Y 1``,
then ``Z = A diag(x)`` and ``V = x - 1'Z``. Some industries may be "dormant": no final demand
and no sales, hence zero output, to exercise the zero-output conventions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from karavan.core import (
    Concordance,
    LeontiefModel,
    MRIOTable,
    aggregate,
    downstream_multipliers,
    footprint_accounts,
    output_multipliers,
    stressor_coefficients,
    stressor_multipliers,
    technical_coefficients,
    value_added_by_origin,
    value_added_multipliers,
)
from karavan.testing import assert_table_allclose

SETTINGS = settings(max_examples=60, deadline=None)
RTOL = 1e-9


@dataclass(frozen=True)
class Drawn:
    table: MRIOTable
    A: np.ndarray
    active: np.ndarray  # industries with positive output


@st.composite
def tables(draw: st.DrawFn) -> Drawn:
    R = draw(st.integers(2, 4))
    S = draw(st.integers(1, 5))
    C = draw(st.integers(1, 3))
    K = draw(st.integers(0, 3))
    n = R * S
    max_colsum = draw(st.sampled_from([0.1, 0.5, 0.9, 0.99]))
    density = draw(st.sampled_from([0.2, 0.6, 1.0]))
    n_va = draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    dormant = np.zeros(n, dtype=bool)
    if n > 2 and draw(st.booleans()):
        dormant[rng.choice(n, size=int(rng.integers(1, n // 2 + 1)), replace=False)] = True

    A = rng.random((n, n)) * (rng.random((n, n)) < density)
    colsum = A.sum(axis=0)
    target = rng.uniform(0.0, max_colsum, size=n)
    A *= np.divide(target, colsum, out=np.zeros(n), where=colsum > 0)[None, :]
    A[dormant, :] = 0.0  # a dormant industry sells nothing ...
    Y = rng.uniform(0.0, 1000.0, size=(n, R * C)) * (rng.random((n, R * C)) < 0.8)
    Y[~dormant, rng.integers(0, R * C)] += 1.0  # ... and active ones all have some demand
    Y[dormant, :] = 0.0  # ... nor has final demand, so its output is zero
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    x[dormant] = 0.0
    Z = A * x[None, :]
    va = x - Z.sum(axis=0)
    shares = rng.dirichlet(np.ones(n_va), size=n).T  # n_va x n, columns sum to 1
    V = shares * va[None, :]
    F = rng.uniform(0.0, 50.0, size=(K, n)) * (rng.random((K, n)) < 0.8)
    F[:, dormant] = 0.0
    F_Y = rng.uniform(0.0, 10.0, size=(K, R * C)) * (rng.random((K, R * C)) < 0.5)
    table = MRIOTable.from_arrays(
        regions=[f"R{i}" for i in range(R)],
        sectors=[f"s{j}" for j in range(S)],
        categories=[f"c{k}" for k in range(C)],
        Z=Z,
        Y=Y,
        x=x,
        V=V,
        va_components=[f"va{v}" for v in range(n_va)],
        F=F,
        F_Y=F_Y,
        stressors=[f"gas{k}" for k in range(K)],
        stressor_units=["kg"] * K,
    )
    return Drawn(table, A, ~dormant)


def close(actual: np.ndarray, expected: np.ndarray, scale: float | None = None) -> None:
    """Relative agreement, with an absolute floor set by the magnitude of the quantities."""
    expected = np.asarray(expected, dtype=float)
    floor = float(np.abs(expected).max(initial=0.0)) if scale is None else scale
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * max(floor, 1.0))


def approx(value: float) -> object:
    return pytest.approx(value, rel=RTOL, abs=RTOL)


# ---------------------------------------------------------------------- construction
@SETTINGS
@given(tables())
def test_generated_tables_are_valid(d: Drawn) -> None:
    report = d.table.validate(rtol=1e-9)
    assert report.passed, [c.message for c in report.failures]
    assert report.info["zero_output_industries"] == int((~d.active).sum())
    close(technical_coefficients(d.table).to_numpy(), d.A * d.active[None, :])


# ---------------------------------------------------------------------- the Leontief model
@SETTINGS
@given(tables())
def test_leontief_reproduces_output(d: Drawn) -> None:
    t = d.table
    model = LeontiefModel(t)
    close(model.solve(t.Y.sum(axis=1)), t.x)
    assert model.residual(t.x, t.Y.sum(axis=1)) <= RTOL * max(t.x.max(), 1.0)


@SETTINGS
@given(tables())
def test_zero_demand_gives_zero_output(d: Drawn) -> None:
    model = LeontiefModel(d.table)
    np.testing.assert_array_equal(model.solve(np.zeros(d.table.n)), np.zeros(d.table.n))
    np.testing.assert_array_equal(model.solve(np.zeros((d.table.n, 3))), np.zeros((d.table.n, 3)))


@SETTINGS
@given(tables())
def test_leontief_inverse_inverts(d: Drawn) -> None:
    t = d.table
    L = LeontiefModel(t).leontief_inverse()
    A = technical_coefficients(t).to_numpy()
    np.testing.assert_allclose(L @ (np.eye(t.n) - A), np.eye(t.n), rtol=0, atol=1e-12 * t.n)
    np.testing.assert_allclose((np.eye(t.n) - A) @ L, np.eye(t.n), rtol=0, atol=1e-12 * t.n)
    assert (L >= -1e-15).all()  # a productive, non-negative A has a non-negative inverse
    assert (np.diag(L) >= 1.0 - 1e-12).all()


@SETTINGS
@given(tables(), st.integers(0, 2**32 - 1))
def test_transposed_solve_is_the_transpose(d: Drawn, seed: int) -> None:
    model = LeontiefModel(d.table)
    L = model.leontief_inverse()
    b = np.random.default_rng(seed).normal(size=(d.table.n, 2))
    close(model.solve_transposed(b), L.T @ b, scale=float(np.abs(L).sum(axis=0).max()))
    close(model.solve(b), L @ b, scale=float(np.abs(L).sum(axis=1).max()))


@SETTINGS
@given(tables())
def test_output_multipliers_are_column_sums(d: Drawn) -> None:
    model = LeontiefModel(d.table)
    m = output_multipliers(model).to_numpy()
    close(m, model.leontief_inverse().sum(axis=0))
    # 1' L y = 1' x: multipliers weighted by final demand give total output.
    assert m @ d.table.Y.sum(axis=1) == approx(d.table.x.sum())


# ---------------------------------------------------------------------- value added
@SETTINGS
@given(tables())
def test_value_added_multipliers_sum_to_one(d: Drawn) -> None:
    # v' L = 1' for a balanced table: every unit of final demand is paid out as value added.
    total = value_added_multipliers(LeontiefModel(d.table)).to_numpy().sum(axis=0)
    close(total, d.active.astype(float))  # zero-output industries: coefficients are zero


@SETTINGS
@given(tables())
def test_value_added_by_origin_sums_to_value_added(d: Drawn) -> None:
    t = d.table
    va = value_added_by_origin(LeontiefModel(t))
    assert list(va.columns) == list(t.regions)
    close(va.to_numpy().sum(axis=1), t.value_added)
    close(va.to_numpy().sum(), t.Y.sum())  # GDP from the income and the expenditure side


@SETTINGS
@given(tables())
def test_ghosh_reproduces_output(d: Drawn) -> None:
    t = d.table
    model = LeontiefModel(t)
    close(model.supply_driven_output(t.value_added), t.x)
    both = model.supply_driven_output(np.column_stack([t.value_added, 2 * t.value_added]))
    close(both, np.column_stack([t.x, 2 * t.x]))


@SETTINGS
@given(tables())
def test_stressor_multipliers_attribute_every_emission(d: Drawn) -> None:
    # Upstream: M y = S L y = S x = F 1; downstream: (M_down + S) v = S G' v = S x = F 1.
    t = d.table
    model = LeontiefModel(t)
    total = t.F.sum(axis=1)
    scale = float(total.max(initial=0.0))
    close(stressor_multipliers(model).to_numpy() @ t.Y.sum(axis=1), total, scale)
    S = stressor_coefficients(t).to_numpy()
    close((downstream_multipliers(model).to_numpy() + S) @ t.value_added, total, scale)


# ---------------------------------------------------------------------- footprints
@SETTINGS
@given(tables())
def test_footprints_keep_totals(d: Drawn) -> None:
    t = d.table
    acc = footprint_accounts(LeontiefModel(t))
    total = t.F.sum(axis=1) + t.F_Y.sum(axis=1)
    scale = float(total.max(initial=0.0))
    close(acc.D_cba_reg.to_numpy().sum(axis=1), total, scale)
    close(acc.D_pba_reg.to_numpy().sum(axis=1), total, scale)
    close(acc.D_cba_reg.to_numpy().sum(axis=1), acc.D_pba_reg.to_numpy().sum(axis=1), scale)
    close(acc.D_pba.to_numpy(), t.F, scale)  # output recomputed as L y is x
    # Net trade in embodied stressors sums to zero over regions.
    close(acc.D_imp_reg.to_numpy().sum(axis=1), acc.D_exp_reg.to_numpy().sum(axis=1), scale)


@SETTINGS
@given(tables())
def test_value_added_footprints_keep_totals(d: Drawn) -> None:
    t = d.table
    acc = footprint_accounts(LeontiefModel(t), "value_added")
    assert list(acc.D_cba_reg.index) == list(t.va_components)
    close(acc.D_cba_reg.to_numpy().sum(axis=1), t.V.sum(axis=1))
    close(acc.D_pba_reg.to_numpy(), t.V.reshape(len(t.va_components), t.n_regions, -1).sum(2))
    # Value added embodied in each region's final demand is that demand's value.
    close(acc.D_cba_reg.to_numpy().sum(axis=0), t.Y_by_region.sum(axis=0))


@SETTINGS
@given(tables())
def test_embodied_imports_are_part_of_the_footprint(d: Drawn) -> None:
    acc = footprint_accounts(LeontiefModel(d.table), "all")
    cba, imp = acc.D_cba.to_numpy(), acc.D_imp.to_numpy()
    slack = RTOL * max(float(np.abs(cba).max(initial=0.0)), 1.0)
    assert (imp >= -slack).all()
    assert (imp <= cba + slack).all()
    assert (acc.D_exp.to_numpy() >= -slack).all()


# ---------------------------------------------------------------------- aggregation
def _totals(t: MRIOTable) -> dict[str, np.ndarray]:
    return {
        "Z": np.array(t.Z.sum()),
        "Y": t.Y.sum(axis=0).reshape(t.n_regions, -1).sum(axis=0),  # by category
        "x": np.array(t.x.sum()),
        "V": t.V.sum(axis=1),
        "F": t.F.sum(axis=1),
        "F_Y": t.F_Y.sum(axis=1),
    }


def _assert_flows_kept(before: MRIOTable, after: MRIOTable) -> None:
    b, a = _totals(before), _totals(after)
    for name in b:
        close(a[name], b[name], float(np.abs(b[name]).max(initial=0.0)))
    report = after.validate(rtol=1e-9)
    assert report.passed, [c.message for c in report.failures]


@st.composite
def mappings(draw: st.DrawFn, labels: tuple[str, ...], prefix: str) -> dict[str, str]:
    targets = draw(
        st.lists(st.integers(0, len(labels) - 1), min_size=len(labels), max_size=len(labels))
    )
    return {lab: f"{prefix}{t}" for lab, t in zip(labels, targets, strict=True)}


@SETTINGS
@given(st.data())
def test_many_to_one_aggregation_keeps_flows(data: st.DataObject) -> None:
    d = data.draw(tables())
    t = d.table
    regions = data.draw(mappings(t.regions, "G"))
    sectors = data.draw(mappings(t.sectors, "K"))
    agg = aggregate(t, regions=regions, sectors=sectors)
    assert agg.regions == tuple(dict.fromkeys(regions[r] for r in t.regions))
    assert agg.sectors == tuple(dict.fromkeys(sectors[s] for s in t.sectors))
    _assert_flows_kept(t, agg)
    # Per target region, output is the sum of its members' output.
    for g in agg.regions:
        members = [i for i, r in enumerate(t.regions) if regions[r] == g]
        got = agg.x.reshape(agg.n_regions, -1)[agg.regions.index(g)].sum()
        close(np.array(got), np.array(t.x.reshape(t.n_regions, -1)[members].sum()))


@SETTINGS
@given(st.data())
def test_weighted_split_aggregation_keeps_flows(data: st.DataObject) -> None:
    d = data.draw(tables())
    t = d.table
    n_new = data.draw(st.integers(1, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    w = rng.random((t.n_sectors, n_new)) * (rng.random((t.n_sectors, n_new)) < 0.7)
    w[np.arange(t.n_sectors), rng.integers(0, n_new, size=t.n_sectors)] += 0.1
    w /= w.sum(axis=1, keepdims=True)
    conc = Concordance(t.sectors, tuple(f"n{j}" for j in range(n_new)), w)
    agg = aggregate(t, sectors=conc)
    assert agg.sectors == conc.target
    _assert_flows_kept(t, agg)


@SETTINGS
@given(st.data())
def test_aggregated_model_is_consistent(data: st.DataObject) -> None:
    d = data.draw(tables())
    t = d.table
    agg = aggregate(
        t, regions=data.draw(mappings(t.regions, "G")), sectors=data.draw(mappings(t.sectors, "K"))
    )
    model = LeontiefModel(agg)
    # The aggregated table is balanced, so its model returns its output from its demand, and
    # output multipliers weighted by final demand still add up to total output.
    close(model.solve(agg.Y.sum(axis=1)), agg.x)
    total = output_multipliers(model).to_numpy() @ agg.Y.sum(axis=1)
    assert total == approx(t.x.sum())
    close(
        value_added_multipliers(model).to_numpy().sum(axis=0)[agg.x > 0],
        np.ones(int((agg.x > 0).sum())),
    )


@SETTINGS
@given(tables())
def test_identity_aggregation_is_the_same_table(d: Drawn) -> None:
    t = d.table
    agg = aggregate(t, regions={r: r for r in t.regions}, sectors=Concordance.identity(t.sectors))
    assert_table_allclose(agg, t, rtol=0.0)
