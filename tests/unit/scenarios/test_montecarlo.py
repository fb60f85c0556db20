"""Monte Carlo over labelled evaluations: draws, reproducibility, percentiles, sensitivity."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from karavan.errors import ScenarioError
from karavan.scenarios.distributions import LogNormal, Normal, Triangular, Uniform
from karavan.scenarios.montecarlo import draw_parameters, draw_uniforms, monte_carlo
from tests.conftest import small_table
from tests.scenario_models import DemandScenario, Linear

UNCERTAIN = {
    "growth": Normal(mean=0.05, sd=0.02),
    "shift": Triangular(low=-0.1, mode=0.0, high=0.2),
}


def test_degenerate_distributions_reproduce_the_deterministic_evaluation() -> None:
    evaluate = DemandScenario(small_table())
    cases = [  # (growth, shift, their locations as the deterministic spec would hold them)
        (Normal(mean=0.05, sd=0.0), Triangular(low=-0.1, mode=-0.1, high=-0.1), 0.05, -0.1),
        (
            LogNormal(mu=np.log(0.3), sigma=0.0),
            Uniform(low=0.7, high=0.7),
            np.exp(np.log(0.3)),
            0.7,
        ),
    ]
    for growth, shift, g, s in cases:
        result = monte_carlo(evaluate, {"growth": growth, "shift": shift}, n=37, seed=3)
        values = {"growth": float(g), "shift": s}
        exact = evaluate(values)
        assert (result.draws["growth"] == values["growth"]).all()
        for name, out in exact.items():
            flat = out.to_numpy().reshape(-1)
            assert np.array_equal(result.outputs[name].to_numpy(), np.tile(flat, (37, 1)))
            for column in ("mean", "p5", "p50", "p95"):
                assert np.array_equal(result.percentiles[name][column].to_numpy(), flat)
            assert result.sensitivity[name].isna().all().all()  # nothing varies


def test_same_seed_gives_the_same_result_on_one_or_two_workers() -> None:
    evaluate = DemandScenario(small_table())
    serial = monte_carlo(evaluate, UNCERTAIN, n=60, seed=11, method="lhs")
    pooled = monte_carlo(evaluate, UNCERTAIN, n=60, seed=11, method="lhs", workers=2)
    rechunked = monte_carlo(evaluate, UNCERTAIN, n=60, seed=11, method="lhs", chunk_size=7)
    for other in (pooled, rechunked):
        pd.testing.assert_frame_equal(other.draws, serial.draws, check_exact=True)
        for name in serial.outputs:
            pd.testing.assert_frame_equal(
                other.outputs[name], serial.outputs[name], check_exact=True
            )
            pd.testing.assert_frame_equal(
                other.percentiles[name], serial.percentiles[name], check_exact=True
            )
            pd.testing.assert_frame_equal(
                other.sensitivity[name], serial.sensitivity[name], check_exact=True
            )
    other_seed = monte_carlo(evaluate, UNCERTAIN, n=60, seed=12, method="lhs")
    assert not np.array_equal(other_seed.draws.to_numpy(), serial.draws.to_numpy())


def test_outputs_are_labelled_by_entry() -> None:
    t = small_table()
    result = monte_carlo(DemandScenario(t), UNCERTAIN, n=8, seed=0)
    assert result.outputs["output"].columns.equals(t.industry_index)
    entries = result.percentiles["stressors"].index
    assert entries.names == ["stressor", "region", "sector"]
    assert entries[0] == ("gas0", "RUS", "AGR")
    assert entries[t.n] == ("gas1", "RUS", "AGR")
    draw = {"growth": result.draws.loc[3, "growth"], "shift": result.draws.loc[3, "shift"]}
    frame = DemandScenario(t)(draw)["stressors"]
    assert (
        result.outputs["stressors"].loc[3, ("gas1", "KAZ", "MAN")]
        == frame.loc["gas1", ("KAZ", "MAN")]
    )
    frames = result.to_frames()
    assert set(frames) == {"draws", "drivers"} | {
        f"{o}/{k}"
        for o in ("output", "value_added", "stressors")
        for k in ("percentiles", "draws", "sensitivity")
    }


def test_latin_hypercube_puts_one_draw_in_each_stratum() -> None:
    n, d = 50, 4
    u = draw_uniforms(n, d, seed=5, method="lhs")
    for j in range(d):
        assert np.array_equal(np.sort(np.floor(u[:, j] * n)), np.arange(n))
    # the pairing across parameters is random, not the same permutation
    assert not np.array_equal(np.argsort(u[:, 0]), np.argsort(u[:, 1]))
    # through the distributions: Uniform(2, 4) strata of width 2/n
    draws = draw_parameters({"a": Uniform(low=2.0, high=4.0), "b": 1.5}, n, seed=5, method="lhs")
    assert np.array_equal(np.sort(np.floor((draws["a"].to_numpy() - 2.0) / 2.0 * n)), np.arange(n))
    assert (draws["b"] == 1.5).all()
    # plain random draws are not stratified (at this seed)
    plain = draw_uniforms(n, d, seed=5, method="random")
    assert len(np.unique(np.floor(plain[:, 0] * n))) < n


@pytest.mark.parametrize("method", ["random", "lhs"])
def test_percentiles_of_a_linear_function_of_a_normal_match_theory(method: str) -> None:
    # y = 1 + 3 x1 - 0 x2, x1 ~ N(2, 0.5): y ~ N(7, 1.5)
    n, mu, sd = 4000, 7.0, 1.5
    result = monte_carlo(
        Linear(1.0, 3.0, 0.0),
        {"x1": Normal(mean=2.0, sd=0.5), "x2": 0.0},
        n=n,
        seed=2024,
        method=method,
    )
    row = result.percentiles["y"].loc["total"]
    assert abs(row["mean"] - mu) <= 4 * sd / np.sqrt(n)  # 4 standard errors of the mean
    for p in (5, 50, 95):
        q = p / 100
        z = stats.norm.ppf(q)
        # standard error of a sample quantile: sqrt(q (1 - q) / n) / f(z), f the density of y
        se = np.sqrt(q * (1 - q) / n) / (stats.norm.pdf(z) / sd)
        assert abs(row[f"p{p}"] - (mu + sd * z)) <= 4 * se


def test_sensitivity_ranks_the_parameter_that_drives_the_output_first() -> None:
    # y = 10 x1 + x2 with x1, x2 ~ U(0, 1): rho(x1) ~ 0.99, rho(x2) ~ 0.1 (Spearman)
    result = monte_carlo(
        Linear(0.0, 10.0, 1.0),
        {"x1": Uniform(low=0, high=1), "x2": Uniform(low=0, high=1)},
        n=500,
        seed=1,
    )
    rho = result.sensitivity["y"].loc["total"]
    assert rho["x1"] > 0.98
    assert 0.0 < rho["x2"] < 0.25
    expected = stats.spearmanr(result.draws["x2"], result.outputs["y"]["total"]).statistic
    assert rho["x2"] == pytest.approx(expected, abs=1e-12)
    assert result.ranking("y").loc["total"].to_dict() == {"x1": 1.0, "x2": 2.0}
    assert result.sensitivity["constant"].isna().all().all()
    drivers = result.drivers()
    first = drivers[(drivers["output"] == "y") & (drivers["rank"] == 1)]
    assert first["parameter"].tolist() == ["x1"]


def test_changing_labels_and_bad_arguments_raise() -> None:
    def shifting(values: dict[str, float]) -> dict[str, pd.Series | pd.DataFrame]:
        label = "up" if values["x"] > 0.5 else "down"
        return {"y": pd.Series([values["x"]], index=[label])}

    with pytest.raises(ScenarioError, match="changed its labels"):
        monte_carlo(shifting, {"x": Uniform(low=0, high=1)}, n=40, seed=0, chunk_size=40)
    with pytest.raises(ScenarioError, match="must be a pandas Series or DataFrame"):
        monte_carlo(lambda v: {"y": 1.0}, {"x": 1.0}, n=2)  # type: ignore[arg-type, return-value]
    with pytest.raises(ScenarioError, match="method must be"):
        draw_uniforms(3, 1, seed=0, method="sobol")  # type: ignore[arg-type]
    with pytest.raises(ScenarioError, match="at least 1"):
        monte_carlo(Linear(0, 1, 1), {"x1": 0.0, "x2": 0.0}, n=0)


def test_numbers_only_give_the_deterministic_value_and_no_sensitivity() -> None:
    result = monte_carlo(Linear(1.0, 2.0, 3.0), {"x1": 1.0, "x2": 2.0}, n=3)
    assert result.percentiles["y"].loc["total"].tolist() == [9.0, 9.0, 9.0, 9.0]
    assert result.sensitivity["y"].shape == (1, 0)
    assert result.drivers().empty
