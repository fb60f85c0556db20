"""Saved runs: round trip, provenance, listing, comparison, exports, atomic writes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from karavan.errors import DatasetNotFoundError
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.scenarios.store import DatasetRef, RunStore, compare_runs
from tests.conftest import small_table

REF = DatasetRef("toy", 2011, "ab" * 32)


def make_spec(value: float) -> ScenarioSpec:
    return ScenarioSpec.parse(
        {
            "name": f"demand {value:g}",
            "baseline": {"dataset": "toy", "year": 2011},
            "bloc": ["RUS", "KAZ"],
            "shocks": [{"type": "final_demand", "region": "RUS", "sector": "MAN", "value": value}],
        }
    )


@pytest.fixture(scope="module")
def runner() -> ScenarioRunner:
    return ScenarioRunner(small_table(), bloc=["RUS", "KAZ"])


def test_round_trip_with_provenance(tmp_path: Path, runner: ScenarioRunner) -> None:
    store = RunStore(tmp_path / "runs")
    spec = make_spec(10)
    result = runner.run(spec)
    saved = store.save(spec, result, REF)
    loaded = store.load(saved.provenance.run_id)
    assert loaded.provenance == saved.provenance
    assert loaded.spec == spec
    pd.testing.assert_frame_equal(loaded.result.industries, result.industries)
    pd.testing.assert_frame_equal(loaded.result.closure, result.closure)
    assert loaded.result.summary() == result.summary()
    prov = loaded.provenance
    assert (prov.dataset, prov.year, prov.dataset_checksum) == ("toy", 2011, "ab" * 32)
    assert prov.spec_hash == spec.spec_hash()
    assert prov.karavan_version
    assert store.load(prov.run_id[:20]).provenance == prov  # a unique prefix
    assert [p.run_id for p in store.list()] == [prov.run_id]
    assert not [p for p in (tmp_path / "runs").iterdir() if p.name.startswith(".")]


def test_compare_and_export(tmp_path: Path, runner: ScenarioRunner) -> None:
    store = RunStore(tmp_path / "runs")
    a = store.save(make_spec(10), runner.run(make_spec(10)), REF)
    b = store.save(make_spec(20), runner.run(make_spec(20)), REF)
    cmp = compare_runs(a, b)
    assert cmp.at["value_added_change", "difference"] == pytest.approx(10.0, rel=1e-9)
    assert cmp.at["output_change", b.provenance.run_id] == pytest.approx(
        2 * cmp.at["output_change", a.provenance.run_id]
    )
    out = store.export(a.provenance.run_id, "csv", tmp_path / "out" / "a.csv")
    long = pd.read_csv(out)
    ind = long[(long["frame"] == "industries") & (long["measure"] == "output_change")]
    assert ind["value"].sum() == pytest.approx(a.result.summary()["output_change"])
    pq = pd.read_parquet(store.export(a.provenance.run_id, "parquet", tmp_path / "a.parquet"))
    assert len(pq) == len(long)
    doc = json.loads(store.export(a.provenance.run_id, "json", tmp_path / "a.json").read_text())
    assert doc["provenance"]["run_id"] == a.provenance.run_id
    assert doc["summary"]["output_change"] == a.result.summary()["output_change"]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["a.json", "a.parquet"]


def test_unknown_run(tmp_path: Path) -> None:
    with pytest.raises(DatasetNotFoundError, match="names no saved run"):
        RunStore(tmp_path).load("nope")
