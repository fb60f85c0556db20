"""``karavan scenario``: run, save, list, compare, export and schema, driven in-process; the
``--json`` numbers are compared with the Python runner's. The examples in ``examples/`` run on
the built-in data (those that can)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from karavan.cli.main import app
from karavan.cli.scenario import schema_text
from karavan.datastore import DataStore
from karavan.errors import LabelError
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.sources.provenance import Provenance
from tests.conftest import small_table

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
RUNNABLE = [
    "belarus_electronics_plant.yaml",
    "kazakhstan_machinery_substitution.yaml",
    "metallurgy_energy_saving.yaml",
    "belt_and_road_demand.yaml",
]

cli = CliRunner()


def run(*args: str, code: int = 0) -> Any:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    DataStore(root).save("toy", [small_table()], Provenance(source="test", licence="CC0"))
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(root))
    monkeypatch.delenv("COLUMNS", raising=False)
    return root


SPEC = {
    "name": "toy demand and plant",
    "baseline": {"dataset": "toy", "year": 2011},
    "bloc": ["RUS", "KAZ"],
    "shocks": [
        {"type": "final_demand", "region": "RUS", "sector": "MAN", "value": 25},
        {
            "type": "new_plant",
            "region": "KAZ",
            "sector": "MAN",
            "output": 40,
            "borrow_from": "RUS",
            "sourcing": [{"local": 0.4, "bloc": 0.4}],
        },
        {
            "type": "import_substitution",
            "product": "SRV",
            "buyers": ["KAZ"],
            "supplier": "RUS",
            "share": 0.3,
        },
    ],
}


def write_spec(tmp_path: Path, data: dict[str, Any], name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return path


def test_run_json_equals_the_python_result(data_dir: Path, tmp_path: Path) -> None:
    out = json.loads(run("scenario", "run", str(write_spec(tmp_path, SPEC)), "--json").stdout)
    spec = ScenarioSpec.parse(SPEC)
    expected = ScenarioRunner(DataStore(data_dir).load("toy", 2011), bloc=spec.bloc).run(spec)
    for k, v in expected.summary().items():
        assert out["summary"][k] == (
            pytest.approx(v, rel=1e-12, abs=1e-9) if isinstance(v, float) else v
        )
    got = pd.DataFrame(out["industries"]).set_index(["region", "sector"])
    np.testing.assert_allclose(
        got.to_numpy(), expected.industries.to_numpy(), rtol=1e-12, atol=1e-9
    )
    assert out["closure"][1]["closure"] == pytest.approx(expected.closure.at["after", "closure"])
    assert out["run_id"] is None


def test_save_list_compare_export(data_dir: Path, tmp_path: Path) -> None:
    a = json.loads(
        run("scenario", "run", str(write_spec(tmp_path, SPEC)), "--save", "--json").stdout
    )
    other = {**SPEC, "name": "toy demand only", "shocks": SPEC["shocks"][:1]}
    b = json.loads(
        run(
            "scenario", "run", str(write_spec(tmp_path, other, "b.yaml")), "--save", "--json"
        ).stdout
    )
    listed = json.loads(run("scenario", "list", "--json").stdout)
    assert [r["run_id"] for r in listed] == [a["run_id"], b["run_id"]]
    assert listed[0]["dataset"] == "toy"
    assert listed[0]["year"] == 2011
    assert len(listed[0]["dataset_checksum"]) == 64
    cmp = json.loads(run("scenario", "compare", a["run_id"], b["run_id"], "--json").stdout)
    row = next(r for r in cmp if r["measure"] == "output_direct")
    assert (row[a["run_id"]], row[b["run_id"]]) == (40.0, 0.0)
    assert "scenario runs compared" in run("scenario", "compare", a["run_id"], b["run_id"]).stdout
    out = tmp_path / "a.csv"
    run("scenario", "export", a["run_id"], "--format", "csv", "--output", str(out))
    long = pd.read_csv(out)
    total = long[(long["frame"] == "industries") & (long["measure"] == "output_change")]
    assert total["value"].sum() == pytest.approx(a["summary"]["output_change"])
    run("scenario", "export", a["run_id"], "-f", "json", "-o", str(tmp_path / "a.json"))
    doc = json.loads((tmp_path / "a.json").read_text())
    assert doc["summary"]["output_change"] == a["summary"]["output_change"]
    assert "toy demand" in run("scenario", "list").stdout


def test_bad_spec_is_one_error_line_with_the_path(data_dir: Path, tmp_path: Path) -> None:
    bad = {**SPEC, "shocks": [{**SPEC["shocks"][0], "region": "BLR"}]}
    res = run("scenario", "run", str(write_spec(tmp_path, bad)), code=2)
    assert res.stderr.startswith("error: shocks[0].region: 'BLR' is not a region")
    assert "allowed: RUS, KAZ, CHN" in res.stderr
    typo = {**SPEC, "shocks": [{**SPEC["shocks"][0], "change": "percentage"}]}
    res = run("scenario", "run", str(write_spec(tmp_path, typo)), code=2)
    assert "shocks[0].change" in res.stderr
    assert "'absolute' or 'percent'" in res.stderr


def test_schema_command_prints_the_committed_schema(tmp_path: Path) -> None:
    assert run("scenario", "schema").stdout == schema_text()
    run("scenario", "schema", "--output", str(tmp_path / "s.json"))
    assert (tmp_path / "s.json").read_text() == (REPO / "docs" / "scenario-schema.json").read_text()


@pytest.mark.parametrize("example", RUNNABLE)
def test_examples_run_on_the_builtin_data(example: str, data_dir: Path) -> None:
    out = json.loads(run("scenario", "run", str(EXAMPLES / example), "--json").stdout)
    spec = ScenarioSpec.from_file(EXAMPLES / example)
    table = DataStore(data_dir).load(spec.baseline.dataset, spec.baseline.year)
    expected = ScenarioRunner(table, bloc=spec.bloc).run(spec)
    assert out["summary"]["output_change"] == pytest.approx(
        expected.summary()["output_change"], rel=1e-12
    )
    assert out["summary"]["output_change"] != 0
    assert any("not resolved by the table" in n for n in out["notes"])
    assert any("no stressors" in n for n in out["notes"])


def test_energy_accounts_example_needs_an_energy_stressor(data_dir: Path) -> None:
    path = EXAMPLES / "metallurgy_energy_accounts.yaml"
    res = run("scenario", "run", str(path), code=2)
    assert "distributions at shocks[0].percent" in res.stderr
    res = run("scenario", "run", str(path), "--set", "shocks[0].percent=-15", code=2)
    assert "shocks[0].account: 'energy' is not a stressor" in res.stderr
    run("scenario", "run", str(path), "--set", "shocks[0].percent", code=2)
    spec = ScenarioSpec.from_file(path)
    table = DataStore(data_dir).load(spec.baseline.dataset, spec.baseline.year)
    with pytest.raises(LabelError, match=r"shocks\[0\]\.account: 'energy' .* no stressors"):
        ScenarioRunner(table).run(spec, {"shocks[0].percent": -15.0})


def test_readable_run_shows_totals_closure_and_notes(data_dir: Path, tmp_path: Path) -> None:
    out = run("scenario", "run", str(write_spec(tmp_path, SPEC)), "--top", "3").stdout
    assert "total change" in out
    assert "toy demand and plant on toy 2011; bloc RUS+KAZ (RUS, KAZ)" in out
    assert "bloc closure" in out
    assert "output change includes 40.00 of new plants' output" in out
    assert "largest output changes" in out
    assert "gas0" in out
