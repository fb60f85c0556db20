"""Scenario specs: parsing, paths of errors, parameters, substitution, hash, published schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from karavan.cli.scenario import schema_text
from karavan.errors import ScenarioError
from karavan.scenarios.distributions import Normal, Triangular
from karavan.scenarios.spec import ScenarioSpec

REPO = Path(__file__).resolve().parents[3]


def spec_data(**extra: Any) -> dict[str, Any]:
    return {
        "name": "test",
        "baseline": {"dataset": "toy", "year": 2011},
        "shocks": [
            {"type": "final_demand", "region": "RUS", "sector": "MAN", "value": 10},
            {
                "type": "new_plant",
                "region": "KAZ",
                "sector": "MAN",
                "output": {"dist": "normal", "mean": 50, "sd": 5},
                "inputs": {"AGR": 0.2, "SRV": 0.1},
                "sourcing": [{"product": "AGR", "local": 0.5, "bloc": 0.3}],
            },
            {
                "type": "import_substitution",
                "product": "MAN",
                "buyers": ["KAZ"],
                "supplier": "RUS",
                "share": {"dist": "triangular", "low": 0.1, "mode": 0.2, "high": 0.4},
                "capacity": 100,
            },
        ],
        **extra,
    }


def test_parameters_by_path_and_defaults() -> None:
    spec = ScenarioSpec.parse(spec_data())
    params = spec.parameters()
    assert list(params) == [
        "shocks[0].value",
        "shocks[1].output",
        "shocks[1].inputs[AGR]",
        "shocks[1].inputs[SRV]",
        "shocks[1].sourcing[0].local",
        "shocks[1].sourcing[0].bloc",
        "shocks[2].share",
        "shocks[2].capacity",
    ]
    assert params["shocks[0].value"] == 10.0
    assert params["shocks[1].output"] == Normal(mean=50, sd=5)
    assert isinstance(params["shocks[2].share"], Triangular)
    assert spec.bloc == "EAEU"
    assert not spec.is_deterministic()


def test_with_values_substitutes_numbers_and_changes_the_hash() -> None:
    spec = ScenarioSpec.parse(spec_data())
    fixed = spec.with_values({"shocks[1].output": 55.0, "shocks[2].share": 0.25})
    assert fixed.is_deterministic()
    assert fixed.parameters()["shocks[1].output"] == 55.0
    assert fixed.parameters()["shocks[2].share"] == 0.25
    assert fixed.with_values({"shocks[1].inputs[AGR]": 0.3}).parameters()[
        "shocks[1].inputs[AGR]"
    ] == pytest.approx(0.3)
    assert spec.spec_hash() != fixed.spec_hash()
    assert spec.spec_hash() == ScenarioSpec.parse(spec_data()).spec_hash()
    assert len(spec.spec_hash()) == 64
    with pytest.raises(ScenarioError, match=r"no parameter at shocks\[9\]\.value"):
        spec.with_values({"shocks[9].value": 1.0})


def test_with_values_revalidates_shares() -> None:
    spec = ScenarioSpec.parse(spec_data())
    with pytest.raises(ScenarioError, match=r"shocks\[1\]\.sourcing\[0\]: .*must not exceed 1"):
        spec.with_values({"shocks[1].sourcing[0].local": 0.9})


@pytest.mark.parametrize(
    ("change", "path", "fragment"),
    [
        ({"type": "bogus"}, "shocks[2]", "'final_demand', 'new_plant'"),
        ({"type": "final_demand", "region": "RUS", "sector": "MAN"}, "shocks[2].value", "Field"),
        (
            {"type": "final_demand", "region": "RUS", "sector": "MAN", "value": 1, "change": "x"},
            "shocks[2].change",
            "'absolute' or 'percent'",
        ),
        (
            {"type": "coefficient_change", "regions": "all", "sectors": "all"},
            "shocks[2]",
            "exactly one of factor or percent",
        ),
    ],
)
def test_bad_spec_names_the_path_and_allowed_values(
    change: dict[str, Any], path: str, fragment: str
) -> None:
    data = spec_data()
    data["shocks"][2] = change
    with pytest.raises(ValidationError):
        ScenarioSpec.model_validate(data)
    with pytest.raises(ScenarioError) as err:
        ScenarioSpec.parse(data)
    assert f"{path}:" in str(err.value) or f"{path}." in str(err.value)
    assert fragment in str(err.value)


def test_from_file_yaml_and_json(tmp_path: Path) -> None:
    data = spec_data()
    (tmp_path / "s.json").write_text(json.dumps(data))
    (tmp_path / "s.yaml").write_text(
        "name: test\nbaseline: {dataset: toy, year: 2011}\nshocks:\n"
        "  - {type: final_demand, region: RUS, sector: MAN, value: 10}\n"
    )
    assert ScenarioSpec.from_file(tmp_path / "s.json") == ScenarioSpec.parse(data)
    assert (
        ScenarioSpec.from_file(tmp_path / "s.yaml").shocks[0] == ScenarioSpec.parse(data).shocks[0]
    )
    (tmp_path / "bad.yaml").write_text("name: [unclosed\n")
    with pytest.raises(ScenarioError, match=r"bad\.yaml"):
        ScenarioSpec.from_file(tmp_path / "bad.yaml")


def test_committed_schema_equals_the_generated_one() -> None:
    committed = (REPO / "docs" / "scenario-schema.json").read_text(encoding="utf-8")
    assert committed == schema_text(), (
        "regenerate: karavan scenario schema -o docs/scenario-schema.json"
    )
