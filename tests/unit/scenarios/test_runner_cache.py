"""The runner's cached, incremental results against the straightforward computation: a reused
runner against a fresh one, every measure against the formulas of :mod:`karavan.scenarios.results`
evaluated on the dense changed system, and a demand shock's closure against
:func:`~karavan.core.gvc.closure.closure_indicators` on the shocked table built explicitly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.gvc.closure import closure_indicators
from karavan.core.gvc.economies import resolve_bloc
from karavan.errors import LabelError, ScenarioError
from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from tests.conftest import small_table
from tests.unit.scenarios.test_runner import ALL_SHOCKS

REGIONS = ("RUS", "KAZ", "CHN", "USA")
BLOCS = (["RUS", "KAZ"], ["KAZ"], ["RUS", "KAZ", "CHN"])
RTOL = 1e-12


def spec(*shocks: dict[str, Any], bloc: Any) -> ScenarioSpec:
    return ScenarioSpec.parse(
        {"name": "c", "baseline": {"dataset": "toy", "year": 2011}, "bloc": bloc, "shocks": shocks}
    )


CASES: tuple[tuple[dict[str, Any], ...], ...] = (
    (),
    *((s,) for s in ALL_SHOCKS),
    ALL_SHOCKS,
    (
        {"type": "final_demand", "region": "CHN", "sector": "SRV", "buyer": ["RUS", "USA"],
         "value": 30},
        {"type": "final_demand", "region": "USA", "sector": "AGR", "change": "percent",
         "value": -4},
    ),
    (
        {"type": "final_demand", "region": "USA", "sector": "MAN", "buyer": "KAZ", "value": 12},
        {"type": "coefficient_change", "regions": ["KAZ", "USA"], "sectors": "MAN",
         "percent": 20},
    ),
)  # fmt: skip


@pytest.fixture(scope="module")
def table() -> MRIOTable:
    return small_table(regions=REGIONS)


def _close(got: np.ndarray, want: np.ndarray) -> None:
    scale = max(float(np.abs(want).max(initial=0.0)), 1.0)
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=RTOL * scale)


def straightforward(runner: ScenarioRunner, s: ScenarioSpec) -> dict[str, np.ndarray]:
    """Every column of ``industries`` and the closure, from the dense changed ``A1``, ``Z1``
    and a fresh LU of ``I - A1`` (no cache, no linearity)."""
    t = runner.table
    n, R, S_ = t.n, t.n_regions, t.n_sectors
    st = runner.state(s)
    present = resolve_bloc(t.regions, s.bloc).present
    member = np.array([r in present for r in t.regions])

    def measures(A: np.ndarray, Y: np.ndarray, v: np.ndarray, S: np.ndarray, plants: Any) -> Any:
        M = np.eye(n) - A
        q_a = sum((q * a for _, q, a, _, _ in plants), np.zeros(n))
        x = np.linalg.solve(M, Y.sum(axis=1) + q_a)
        y_B = Y.reshape(n, R, -1)[:, member, :].sum(axis=(1, 2))
        d = v * np.linalg.solve(M, y_B)
        direct = np.zeros(n)
        va, F = v * x, S * x[None, :]
        P = (A * x[None, :]).reshape(n, R, S_).sum(axis=2) + Y.reshape(n, R, -1).sum(axis=2)
        for j, q, a, v_p, s_p in plants:
            direct[j] += q
            va[j] += q * v_p
            F[:, j] += q * s_p
            P[:, j // S_] += q * a
        W = (~member)[:, None] & ~np.eye(R, dtype=bool)
        imports = np.einsum("opr,or->rp", P.reshape(R, S_, R), W).reshape(-1)
        total, inside = d.sum(), d[np.repeat(member, S_)].sum()
        closure = np.array(
            [total, inside, total - inside, inside / total, (total - inside) / total]
        )
        return x + direct, direct, va, imports, F, closure

    b = measures(runner.A, t.Y, runner.v, runner.S, [])
    a = measures(st.dense_A(runner.A), st.Y, st.v, st.S, st.plants)
    out = {
        "output_baseline": b[0],
        "output_change": a[0] - b[0],
        "output_direct": a[1],
        "value_added_baseline": b[2],
        "value_added_change": a[2] - b[2],
        "imports_baseline": b[3],
        "imports_change": a[3] - b[3],
        "closure_before": b[5],
        "closure_after": a[5],
    }
    for k, name in enumerate(t.stressors):
        out[f"{name}_baseline"] = b[4][k]
        out[f"{name}_change"] = a[4][k] - b[4][k]
    return out


@pytest.mark.parametrize("bloc", BLOCS, ids="+".join)
@pytest.mark.parametrize("case", range(len(CASES)))
def test_result_equals_the_straightforward_computation(
    table: MRIOTable, case: int, bloc: list[str]
) -> None:
    s = spec(*CASES[case], bloc=bloc)
    runner = ScenarioRunner(table, bloc=bloc)
    try:
        res = runner.run(s)
    except (LabelError, ScenarioError) as e:  # a spec this bloc cannot take (supplier, sourcing)
        pytest.skip(str(e))
    want = straightforward(runner, s)
    for col in res.industries.columns:
        _close(res.industries[col].to_numpy(), want[col])
    _close(res.closure.loc["before"].to_numpy(), want["closure_before"])
    _close(res.closure.loc["after"].to_numpy(), want["closure_after"])
    # regions() as the grouped sum of industries
    grouped = res.industries.groupby(level="region", sort=False).sum()
    pd.testing.assert_frame_equal(res.regions(), grouped, check_exact=False, rtol=RTOL)
    stored = ScenarioResult.from_parts(res.meta(), res.industries, res.closure)
    pd.testing.assert_frame_equal(stored.regions(), res.regions(), check_exact=False, rtol=RTOL)


def test_reused_runner_equals_fresh_runners(table: MRIOTable) -> None:
    """One runner through every case and bloc, in turn (caches per bloc filled as it goes),
    gives what a fresh runner gives for each, bit for bit."""
    reused = ScenarioRunner(table, bloc=BLOCS[0])
    for _ in range(2):
        for bloc in BLOCS:
            for shocks in CASES:
                s = spec(*shocks, bloc=bloc)
                try:
                    got = reused.run(s)
                except (LabelError, ScenarioError):
                    continue
                want = ScenarioRunner(table, bloc=bloc).run(s)
                pd.testing.assert_frame_equal(got.industries, want.industries, check_exact=True)
                pd.testing.assert_frame_equal(got.closure, want.closure, check_exact=True)
                pd.testing.assert_frame_equal(got.regions(), want.regions(), check_exact=True)
                assert got.summary() == want.summary()


def test_demand_shock_closure_equals_closure_indicators_of_the_shocked_table(
    table: MRIOTable,
) -> None:
    bloc = ["RUS", "KAZ"]
    runner = ScenarioRunner(table, bloc=bloc)
    s = spec(
        {"type": "final_demand", "region": "CHN", "sector": "MAN", "buyer": "RUS", "value": 40},
        {"type": "final_demand", "region": "RUS", "sector": "SRV", "change": "percent",
         "value": 15},
        bloc=bloc,
    )  # fmt: skip
    res = runner.run(s)
    st = runner.state(s)
    x1 = runner.output(st)
    shocked = MRIOTable.from_arrays(
        regions=table.regions,
        sectors=table.sectors,
        categories=table.categories,
        Z=runner.A * x1[None, :],
        Y=st.Y,
        x=x1,
        V=(runner.v * x1)[None, :],
        va_components=["value_added"],
    )
    ci = closure_indicators(LeontiefModel(shocked), bloc)
    after = res.closure.loc["after"]
    assert after["total"] == pytest.approx(ci.total_in_final_demand, rel=RTOL)
    assert after["inside"] == pytest.approx(ci.inside, rel=RTOL)
    assert after["leakage"] == pytest.approx(ci.leakage, rel=RTOL)
    assert after["closure"] == pytest.approx(ci.closure, rel=RTOL)
    assert after["leakage_share"] == pytest.approx(ci.leakage_share, rel=RTOL)
    base = closure_indicators(runner.model, bloc)
    assert res.closure.at["before", "closure"] == pytest.approx(base.closure, rel=RTOL)
