"""Identities of scenario runs on random productive tables: a zero shock changes nothing,
demand shocks are linear, and the low-rank (Woodbury) update equals a full refactorisation."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from karavan.core import LeontiefModel, MRIOTable
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from tests.conftest import small_table

SETTINGS = settings(max_examples=25, deadline=None)
REGIONS = ("RUS", "KAZ", "CHN")
SECTORS = ("AGR", "MAN", "SRV")


def _spec(*shocks: dict[str, object]) -> ScenarioSpec:
    return ScenarioSpec.parse(
        {"name": "p", "baseline": {"dataset": "x"}, "bloc": ["RUS", "KAZ"], "shocks": shocks}
    )


def _demand(region: str, sector: str, value: float) -> dict[str, object]:
    return {"type": "final_demand", "region": region, "sector": sector, "value": value}


def _runner(seed: int) -> ScenarioRunner:
    return ScenarioRunner(small_table(REGIONS, SECTORS, seed=seed), bloc=["RUS", "KAZ"])


CHANGES = ["output_change", "value_added_change", "imports_change", "gas0_change"]


@SETTINGS
@given(
    seed=st.integers(0, 10_000),
    r1=st.sampled_from(REGIONS),
    s1=st.sampled_from(SECTORS),
    r2=st.sampled_from(REGIONS),
    s2=st.sampled_from(SECTORS),
    a=st.floats(-50, 50),
    b=st.floats(-50, 50),
    pct=st.floats(-30, 30),
)
def test_demand_shocks_are_linear(
    seed: int, r1: str, s1: str, r2: str, s2: str, a: float, b: float, pct: float
) -> None:
    runner = _runner(seed)
    base = {"type": "coefficient_change", "regions": "KAZ", "sectors": "all", "percent": pct}
    one = runner.run(_spec(base, _demand(r1, s1, a))).industries[CHANGES].to_numpy()
    two = runner.run(_spec(base, _demand(r1, s1, 2 * a))).industries[CHANGES].to_numpy()
    other = runner.run(_spec(base, _demand(r2, s2, b))).industries[CHANGES].to_numpy()
    both = runner.run(_spec(base, _demand(r1, s1, a), _demand(r2, s2, b))).industries
    only = runner.run(_spec(base)).industries[CHANGES].to_numpy()
    scale = 1e-9 * (1 + abs(a) + abs(b)) * runner.table.x.max()
    # with the same structural change, demand effects add up on top of it
    np.testing.assert_allclose(two - only, 2 * (one - only), atol=scale)
    np.testing.assert_allclose(
        both[CHANGES].to_numpy() - only, (one - only) + (other - only), atol=scale
    )


@SETTINGS
@given(seed=st.integers(0, 10_000), share=st.floats(0, 1), pct=st.floats(-50, 50))
def test_zero_shock_is_the_baseline_and_woodbury_is_exact(
    seed: int, share: float, pct: float
) -> None:
    runner = _runner(seed)
    zero = runner.run(
        _spec(
            _demand("RUS", "MAN", 0.0),
            {"type": "coefficient_change", "regions": "all", "sectors": "all", "factor": 1.0},
        )
    )
    assert np.abs(zero.industries.filter(like="_change").to_numpy()).max() == 0.0
    spec = _spec(
        {
            "type": "import_substitution",
            "product": "MAN",
            "buyers": ["KAZ", "CHN"],
            "supplier": "RUS",
            "share": share,
        },
        {"type": "coefficient_change", "regions": "CHN", "sectors": ["AGR"], "percent": pct},
    )
    state = runner.state(spec)
    t = runner.table
    A1 = state.dense_A(runner.A)
    modified = MRIOTable.from_arrays(
        regions=t.regions,
        sectors=t.sectors,
        categories=t.categories,
        Z=A1 * t.x[None, :],
        Y=state.Y,
        x=t.x,
    )
    y1 = state.Y.sum(axis=1)
    np.testing.assert_allclose(
        runner.output(state), LeontiefModel(modified).solve(y1), rtol=1e-10, atol=0
    )
