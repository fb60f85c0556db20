"""Monte Carlo over a scenario spec through the runner: each draw is runner.run(spec, values)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from karavan.scenarios.montecarlo import monte_carlo_scenario
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from tests.conftest import small_table


def spec(demand: Any, plant: Any) -> ScenarioSpec:
    return ScenarioSpec.parse(
        {
            "name": "mc",
            "baseline": {"dataset": "toy", "year": 2011},
            "bloc": ["RUS", "KAZ"],
            "shocks": [
                {"type": "final_demand", "region": "RUS", "sector": "MAN", "value": demand},
                {
                    "type": "new_plant",
                    "region": "KAZ",
                    "sector": "MAN",
                    "output": plant,
                    "borrow_from": "RUS",
                },
            ],
        }
    )


def test_each_draw_is_a_run_of_the_spec_with_its_values() -> None:
    runner = ScenarioRunner(small_table(), bloc=["RUS", "KAZ"])
    uncertain = spec(
        {"dist": "normal", "mean": 100.0, "sd": 10.0},
        {"dist": "uniform", "low": 40.0, "high": 60.0},
    )
    result = monte_carlo_scenario(runner, uncertain, n=12, seed=4, method="lhs")
    assert list(result.draws.columns) == ["shocks[0].value", "shocks[1].output"]
    draw = result.draws.loc[5].to_dict()
    frames = runner.run(uncertain, values=draw).to_frames()
    industries = frames["industries"]
    row = result.outputs["industries"].loc[5]
    assert np.array_equal(row.to_numpy(), industries.to_numpy().reshape(-1))
    assert row.index[0] == (*industries.index[0], industries.columns[0])
    # the output change grows with the demand shock and the plant: both rank correlations > 0
    rho = result.sensitivity["industries"].loc[("RUS", "MAN", "output_change")]
    assert (rho > 0).all()
    pooled = monte_carlo_scenario(runner, uncertain, n=12, seed=4, method="lhs", workers=2)
    for name in result.outputs:
        pd.testing.assert_frame_equal(pooled.outputs[name], result.outputs[name], check_exact=True)


def test_degenerate_spec_equals_the_deterministic_run() -> None:
    runner = ScenarioRunner(small_table(), bloc=["RUS", "KAZ"])
    degenerate = spec({"dist": "normal", "mean": 100.0, "sd": 0.0}, 50.0)
    result = monte_carlo_scenario(runner, degenerate, n=5, seed=0)
    exact = runner.run(spec(100.0, 50.0)).to_frames()
    for name, frame in exact.items():
        flat = frame.to_numpy(dtype=np.float64).reshape(-1)
        assert np.array_equal(result.percentiles[name]["p50"].to_numpy(), flat)
        assert np.array_equal(result.percentiles[name]["mean"].to_numpy(), flat)
