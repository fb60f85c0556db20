"""The scenario runner: Woodbury updates against full refactorisations, each shock's effect in
numbers, label errors with paths and allowed values."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.gvc.closure import closure_indicators
from karavan.errors import LabelError, ScenarioError
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from tests.conftest import small_table

BLOC = ["RUS", "KAZ"]


def spec(*shocks: dict[str, Any], bloc: Any = BLOC) -> ScenarioSpec:
    return ScenarioSpec.parse(
        {"name": "t", "baseline": {"dataset": "toy", "year": 2011}, "bloc": bloc, "shocks": shocks}
    )


@pytest.fixture(scope="module")
def runner() -> ScenarioRunner:
    return ScenarioRunner(small_table(), bloc=BLOC)


ALL_SHOCKS = (
    {"type": "final_demand", "region": "RUS", "sector": "MAN", "value": 100},
    {
        "type": "import_substitution",
        "product": "MAN",
        "buyers": ["RUS", "KAZ"],
        "supplier": "KAZ",
        "share": 0.5,
    },
    {"type": "coefficient_change", "regions": "RUS", "sectors": "AGR", "percent": -10},
    {
        "type": "new_plant",
        "region": "KAZ",
        "sector": "MAN",
        "output": 50,
        "borrow_from": "RUS",
        "sourcing": [{"local": 0.5, "bloc": 0.3}],
    },
    {
        "type": "intensity_change",
        "account": "gas0",
        "regions": "all",
        "sectors": "MAN",
        "percent": -15,
    },
)


def refactorised(runner: ScenarioRunner, s: ScenarioSpec) -> np.ndarray:
    """Output of the changed system by a new LU of a table built with the changed A."""
    st = runner.state(s)
    t = runner.table
    A1 = st.dense_A(runner.A)
    x = t.x  # any positive scale: A = Z diag(x)^-1 recovers A1
    modified = MRIOTable.from_arrays(
        regions=t.regions,
        sectors=t.sectors,
        categories=t.categories,
        Z=A1 * x[None, :],
        Y=st.Y,
        x=x,
    )
    return LeontiefModel(modified).solve(st.Y.sum(axis=1) + st.plant_demand(t.n))


def test_low_rank_update_equals_refactorisation(runner: ScenarioRunner) -> None:
    s = spec(*ALL_SHOCKS)
    st = runner.state(s)
    assert len(st.columns) == 3 + 3  # RUS, KAZ buyers x 3 sectors; RUS/AGR already among them
    x_w = runner.output(st)
    x_full = refactorised(runner, s)
    np.testing.assert_allclose(x_w, x_full, rtol=1e-10, atol=0)
    res = runner.run(s)
    np.testing.assert_allclose(
        res.industries["output_baseline"] + res.industries["output_change"],
        x_full + res.industries["output_direct"],
        rtol=1e-10,
    )


def test_zero_shock_gives_zero_change(runner: ScenarioRunner) -> None:
    zero = spec(
        {"type": "final_demand", "region": "RUS", "sector": "MAN", "value": 0},
        {"type": "coefficient_change", "regions": "all", "sectors": "all", "percent": 0},
        {
            "type": "import_substitution",
            "product": "MAN",
            "buyers": "all",
            "supplier": "RUS",
            "share": 0,
        },
        {"type": "new_plant", "region": "KAZ", "sector": "AGR", "output": 0, "borrow_from": "RUS"},
    )
    res = runner.run(zero)
    changes = res.industries.filter(like="_change").to_numpy()
    assert np.abs(changes).max() <= 1e-9 * np.abs(res.industries["output_baseline"]).max()
    assert res.closure.loc["after"].to_numpy() == pytest.approx(
        res.closure.loc["before"].to_numpy()
    )


def test_baseline_closure_matches_the_closure_indicators(runner: ScenarioRunner) -> None:
    res = runner.run(spec())
    ci = closure_indicators(runner.model, BLOC)
    assert res.closure.at["before", "closure"] == pytest.approx(ci.closure, rel=1e-12)
    assert res.closure.at["before", "leakage"] == pytest.approx(ci.leakage, rel=1e-12)
    np.testing.assert_allclose(res.industries["output_baseline"], runner.table.x, rtol=1e-9)


def test_final_demand_shock_adds_L_times_the_shock(runner: ScenarioRunner) -> None:
    t = runner.table
    res = runner.run(spec({"type": "final_demand", "region": "CHN", "sector": "SRV", "value": 30}))
    dy = np.zeros(t.n)
    dy[t.industry_index.get_loc(("CHN", "SRV"))] = 30.0
    np.testing.assert_allclose(res.industries["output_change"], runner.model.solve(dy), atol=1e-10)
    # v L = 1': world value added rises by the shock
    assert res.summary()["value_added_change"] == pytest.approx(30.0, rel=1e-10)


def test_percent_final_demand_scales_the_selected_entries(runner: ScenarioRunner) -> None:
    t = runner.table
    s = spec(
        {
            "type": "final_demand",
            "region": "RUS",
            "sector": "AGR",
            "buyer": "KAZ",
            "category": "HH",
            "change": "percent",
            "value": 10,
        }
    )
    st = runner.state(s)
    i, j = t.industry_index.get_loc(("RUS", "AGR")), t.final_demand_index.get_loc(("KAZ", "HH"))
    assert st.Y[i, j] == pytest.approx(1.1 * t.Y[i, j])
    assert np.count_nonzero(st.Y - t.Y) == 1


def test_new_plant_direct_and_indirect(runner: ScenarioRunner) -> None:
    t = runner.table
    s = spec(
        {
            "type": "new_plant",
            "region": "KAZ",
            "sector": "MAN",
            "output": 50,
            "inputs": {"AGR": 0.2, "SRV": 0.1},
            "sourcing": [{"product": "all", "local": 1.0}],
        }
    )
    res = runner.run(s)
    a = np.zeros(t.n)
    a[t.industry_index.get_loc(("KAZ", "AGR"))] = 0.2
    a[t.industry_index.get_loc(("KAZ", "SRV"))] = 0.1
    k = t.industry_index.get_loc(("KAZ", "MAN"))
    expected = runner.model.solve(50 * a)
    expected[k] += 50
    np.testing.assert_allclose(res.industries["output_change"], expected, atol=1e-10)
    assert res.industries["output_direct"].sum() == 50
    # value added: v L (q a) + q (1 - 0.3) = q (0.3 + 0.7)
    assert res.summary()["value_added_change"] == pytest.approx(50.0, rel=1e-10)


def test_plant_sourcing_splits_by_group(runner: ScenarioRunner) -> None:
    s = spec(
        {
            "type": "new_plant",
            "region": "KAZ",
            "sector": "MAN",
            "output": 10,
            "inputs": {"AGR": 0.4},
            "sourcing": [{"local": 0.25, "bloc": 0.5, "world": 0.25}],
        }
    )
    _, _, a, v_p, _ = runner.state(s).plants[0]
    t = runner.table
    by_region = dict(zip(t.regions, a.reshape(3, 3)[:, 0], strict=True))
    assert by_region == pytest.approx({"KAZ": 0.1, "RUS": 0.2, "CHN": 0.1})
    assert v_p == pytest.approx(0.6)


def test_import_substitution_moves_purchases_and_keeps_column_sums(runner: ScenarioRunner) -> None:
    t = runner.table
    s = spec(
        {
            "type": "import_substitution",
            "product": "MAN",
            "buyers": ["KAZ"],
            "supplier": "RUS",
            "share": 0.4,
        }
    )
    st = runner.state(s)
    A1 = st.dense_A(runner.A)
    chn, rus = t.industry_index.get_loc(("CHN", "MAN")), t.industry_index.get_loc(("RUS", "MAN"))
    for j in range(3, 6):  # KAZ's industries
        assert A1[chn, j] == pytest.approx(0.6 * runner.A[chn, j])
        assert A1[rus, j] == pytest.approx(runner.A[rus, j] + 0.4 * runner.A[chn, j])
    np.testing.assert_allclose(A1.sum(axis=0), runner.A.sum(axis=0), rtol=1e-14)
    np.testing.assert_allclose(st.Y.sum(axis=0), t.Y.sum(axis=0), rtol=1e-14)
    res = runner.run(s)
    assert res.regions().at["KAZ", "imports_change"] < 0
    assert res.closure.at["after", "closure"] > res.closure.at["before", "closure"]


def test_capacity_caps_the_output_increase(runner: ScenarioRunner) -> None:
    s = spec(
        {
            "type": "import_substitution",
            "product": "MAN",
            "buyers": ["KAZ", "RUS"],
            "supplier": "RUS",
            "share": 0.5,
            "capacity": 5,
        }
    )
    res = runner.run(s)
    assert res.industries.at[("RUS", "MAN"), "output_change"] == pytest.approx(5.0, rel=1e-9)
    assert any("capacity 5 of RUS/MAN binds" in n for n in res.notes)


def test_coefficient_change_lets_value_added_absorb_it(runner: ScenarioRunner) -> None:
    s = spec(
        {
            "type": "coefficient_change",
            "regions": ["RUS"],
            "sectors": ["AGR"],
            "inputs": ["MAN"],
            "factor": 0.5,
        }
    )
    st = runner.state(s)
    j = 0
    A1 = st.dense_A(runner.A)
    assert A1[:, j].sum() + st.v[j] == pytest.approx(runner.A[:, j].sum() + runner.v[j])
    assert A1[4, j] == pytest.approx(0.5 * runner.A[4, j])  # KAZ/MAN into RUS/AGR


def test_intensity_change_scales_the_stressor(runner: ScenarioRunner) -> None:
    res = runner.run(
        spec(
            {
                "type": "intensity_change",
                "account": "gas1",
                "regions": ["CHN"],
                "sectors": "all",
                "percent": -20,
            }
        )
    )
    t = runner.table
    expected = -0.2 * t.F[1, 6:].sum() * 1.0
    assert res.summary()["gas1_change"] == pytest.approx(expected, rel=1e-9)
    assert res.summary()["output_change"] == 0


@pytest.mark.parametrize(
    ("shock", "fragment"),
    [
        (
            {"type": "final_demand", "region": "BLR", "sector": "MAN", "value": 1},
            "shocks[0].region: 'BLR' is not a region of the table (BLR is not resolved",
        ),
        (
            {"type": "final_demand", "region": "RUS", "sector": "XXX", "value": 1},
            "shocks[0].sector: 'XXX' is not a sector of the table; allowed: AGR, MAN, SRV",
        ),
        (
            {
                "type": "final_demand",
                "region": "RUS",
                "sector": "MAN",
                "category": ["HH", "NO"],
                "value": 1,
            },
            "shocks[0].category[1]: 'NO' is not a category of the table; allowed: HH, GOV",
        ),
        (
            {
                "type": "intensity_change",
                "account": "energy",
                "regions": "all",
                "sectors": "all",
                "percent": 1,
            },
            "shocks[0].account: 'energy' is not a stressor of the table; allowed: gas0",
        ),
        (
            {
                "type": "import_substitution",
                "product": "MAN",
                "buyers": "all",
                "supplier": "CHN",
                "share": 0.1,
            },
            "shocks[0].supplier: 'CHN' is not a member of the bloc",
        ),
        (
            {
                "type": "new_plant",
                "region": "KAZ",
                "sector": "MAN",
                "output": 1,
                "inputs": {"Q": 1},
            },
            "shocks[0].inputs[Q]: 'Q' is not a sector",
        ),
    ],
)
def test_bad_labels_name_the_path_and_allowed_values(
    runner: ScenarioRunner, shock: dict[str, Any], fragment: str
) -> None:
    with pytest.raises(LabelError) as err:
        runner.run(spec(shock))
    assert fragment in str(err.value)


def test_distributions_without_values_are_refused(runner: ScenarioRunner) -> None:
    s = spec(
        {
            "type": "final_demand",
            "region": "RUS",
            "sector": "MAN",
            "value": {"dist": "uniform", "low": 0, "high": 10},
        }
    )
    with pytest.raises(ScenarioError, match=r"distributions at shocks\[0\]\.value"):
        runner.run(s)
    a = runner.run(s, {"shocks[0].value": 4.0})
    b = runner.run(spec({"type": "final_demand", "region": "RUS", "sector": "MAN", "value": 4}))
    np.testing.assert_array_equal(a.industries.to_numpy(), b.industries.to_numpy())


def test_year_mismatch_is_an_error(runner: ScenarioRunner) -> None:
    s = ScenarioSpec.parse(
        {"name": "t", "baseline": {"dataset": "toy", "year": 1999}, "bloc": BLOC}
    )
    with pytest.raises(LabelError, match=r"baseline\.year"):
        runner.run(s)


def test_no_stressors_is_said(runner: ScenarioRunner) -> None:
    t = small_table(stressors=0)
    res = ScenarioRunner(t, bloc=BLOC).run(spec())
    assert res.stressors == ()
    assert any("no stressors" in n for n in res.notes)
    with pytest.raises(LabelError, match="the table has no stressors"):
        ScenarioRunner(t, bloc=BLOC).run(
            spec(
                {
                    "type": "intensity_change",
                    "account": "energy",
                    "regions": "all",
                    "sectors": "all",
                    "percent": -15,
                }
            )
        )


def test_bloc_share_without_other_members_is_an_error() -> None:
    runner = ScenarioRunner(small_table(), bloc=["RUS"])
    s = spec(
        {"type": "new_plant", "region": "RUS", "sector": "MAN", "output": 10,
         "borrow_from": "KAZ", "sourcing": [{"local": 0.5, "bloc": 0.5}]},
        bloc=["RUS"],
    )  # fmt: skip
    with pytest.raises(ScenarioError, match=r"shocks\[0\]\.sourcing\[0\]\.bloc: no region"):
        runner.run(s)
