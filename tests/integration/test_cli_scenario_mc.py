"""``karavan scenario run --draws`` (Monte Carlo from the command line) and ``karavan scenario
batch``: reproducible, independent of where the work runs (this process, a local pool, a Dask
cluster), saved and exported with their provenance."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

from karavan.cli.main import app
from karavan.datastore import DataStore
from karavan.scenarios.spec import ScenarioSpec
from karavan.sources.provenance import Provenance
from tests.conftest import small_table

cli = CliRunner()

MC_SPEC: dict[str, Any] = {
    "name": "toy uncertain",
    "baseline": {"dataset": "toy", "year": 2011},
    "bloc": ["RUS", "KAZ"],
    "shocks": [
        {
            "type": "final_demand",
            "region": "RUS",
            "sector": "MAN",
            "value": {"dist": "normal", "mean": 25, "sd": 5},
        },
        {
            "type": "import_substitution",
            "product": "SRV",
            "buyers": ["KAZ"],
            "supplier": "RUS",
            "share": {"dist": "uniform", "low": 0.1, "high": 0.5},
        },
    ],
}
HEADLINE = [
    "output_change",
    "value_added_change",
    "imports_change",
    "gas0_change",
    "gas1_change",
    "closure_after",
]


def run(*args: str, code: int = 0) -> Any:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    DataStore(root).save("toy", [small_table()], Provenance(source="test", licence="CC0"))
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(root))
    monkeypatch.delenv("COLUMNS", raising=False)
    return root


def write_spec(tmp_path: Path, data: dict[str, Any], name: str = "mc.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data))
    return str(path)


def test_same_seed_same_json_and_any_number_of_workers(data_dir: Path, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, MC_SPEC)
    a = run("scenario", "run", spec, "--draws", "40", "--seed", "1", "--json").stdout
    b = run("scenario", "run", spec, "--draws", "40", "--seed", "1", "--json").stdout
    assert a == b
    one = run("scenario", "run", spec, "--draws", "40", "--seed", "1", "-w", "1", "--json")
    two = run("scenario", "run", spec, "--draws", "40", "--seed", "1", "-w", "2", "--json")
    assert one.stdout == two.stdout == a
    out = json.loads(a)
    assert (out["draws"], out["seed"], out["method"]) == (40, 1, "random")
    assert out["parameters"] == ["shocks[0].value", "shocks[1].share"]
    assert list(out["summary"]) == HEADLINE
    head = out["summary"]["output_change"]
    assert head["p5"] < head["p50"] < head["p95"]
    # the final demand drives value added; the substituted share drives imports
    assert out["summary"]["value_added_change"]["drivers"][0]["parameter"] == "shocks[0].value"
    assert out["summary"]["imports_change"]["drivers"][0]["parameter"] == "shocks[1].share"
    pct = pd.DataFrame(out["percentiles"]["industries"])
    assert list(pct.columns) == ["region", "sector", "measure", "mean", "p5", "p50", "p95"]
    sens = pd.DataFrame(out["sensitivity"]["regions"])
    assert list(sens.columns) == ["region", "measure", "shocks[0].value", "shocks[1].share"]
    other = run_json("scenario", "run", spec, "--draws", "40", "--seed", "2")
    assert other["summary"] != out["summary"]


def test_latin_hypercube_and_readable_output(data_dir: Path, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, MC_SPEC)
    out = run_json("scenario", "run", spec, "--draws", "20", "--lhs", "--seed", "3")
    assert out["method"] == "lhs"
    plain = run_json("scenario", "run", spec, "--draws", "20", "--seed", "3")
    assert out["summary"] != plain["summary"]
    text = run("scenario", "run", spec, "--draws", "20", "--lhs").stdout
    assert "20 Latin hypercube draws, seed 0" in text
    assert "headline outputs" in text
    assert "top sensitivity drivers" in text
    assert "shocks[1].share" in text


def test_distributions_without_draws_still_need_values(data_dir: Path, tmp_path: Path) -> None:
    spec = write_spec(tmp_path, MC_SPEC)
    res = run("scenario", "run", spec, code=2)
    assert "distributions at shocks[0].value, shocks[1].share" in res.stderr
    res = run("scenario", "run", spec, "--lhs", code=2)
    assert "add --draws N" in res.stderr
    res = run("scenario", "run", spec, "--draws", "0", code=2)


def test_degenerate_distributions_give_the_deterministic_numbers(
    data_dir: Path, tmp_path: Path
) -> None:
    degenerate = json.loads(json.dumps(MC_SPEC))
    degenerate["shocks"][0]["value"] = {"dist": "normal", "mean": 25, "sd": 0}
    degenerate["shocks"][1]["share"] = {"dist": "uniform", "low": 0.3, "high": 0.3}
    fixed = json.loads(json.dumps(MC_SPEC))
    fixed["shocks"][0]["value"] = 25
    fixed["shocks"][1]["share"] = 0.3
    mc = run_json("scenario", "run", write_spec(tmp_path, degenerate), "--draws", "8")
    det = run_json("scenario", "run", write_spec(tmp_path, fixed, "fixed.yaml"))
    for measure in HEADLINE[:-1]:
        for stat in ("mean", "p5", "p50", "p95"):
            assert mc["summary"][measure][stat] == pytest.approx(
                det["summary"][measure], rel=1e-12, abs=1e-9
            )
        assert mc["summary"][measure]["drivers"] == []
    assert mc["summary"]["closure_after"]["p50"] == det["summary"]["closure_after"]
    pct = pd.DataFrame(mc["percentiles"]["industries"]).set_index(["region", "sector", "measure"])
    ind = pd.DataFrame(det["industries"]).set_index(["region", "sector"]).stack()
    ind.index = ind.index.set_names("measure", level=2)
    for stat in ("mean", "p5", "p95"):
        pd.testing.assert_series_equal(
            pct[stat], ind.reindex(pct.index), check_names=False, check_exact=True
        )


def test_save_list_and_export_a_monte_carlo_run(data_dir: Path, tmp_path: Path) -> None:
    out = run_json(
        "scenario", "run", write_spec(tmp_path, MC_SPEC), "--draws", "12", "--seed", "5", "--save"
    )
    run_id = out["run_id"]
    listed = json.loads(run("scenario", "list", "--json").stdout)
    prov = next(r for r in listed if r["run_id"] == run_id)
    assert (prov["kind"], prov["seed"], prov["method"], prov["draws"]) == (
        "monte_carlo",
        5,
        "random",
        12,
    )
    assert prov["spec_hash"] == ScenarioSpec.parse(MC_SPEC).spec_hash()
    assert (prov["dataset"], prov["year"], len(prov["dataset_checksum"])) == ("toy", 2011, 64)
    assert prov["karavan_version"]
    assert "random x12, seed 5" in run("scenario", "list").stdout

    run("scenario", "export", run_id, "-f", "csv", "-o", str(tmp_path / "mc.csv"))
    run("scenario", "export", run_id, "-f", "parquet", "-o", str(tmp_path / "mc.parquet"))
    run("scenario", "export", run_id, "-f", "json", "-o", str(tmp_path / "mc.json"))
    csv = pd.read_csv(tmp_path / "mc.csv")
    parquet = pd.read_parquet(tmp_path / "mc.parquet")
    assert len(csv) == len(parquet)
    frames = set(parquet["frame"])
    assert {"headline/percentiles", "headline/draws", "headline/sensitivity", "draws"} <= frames
    assert {"industries/percentiles", "industries/sensitivity", "regions/draws"} <= frames
    p95 = parquet[
        (parquet["frame"] == "headline/percentiles")
        & (parquet["measure"] == "output_change")
        & (parquet["statistic"] == "p95")
    ]["value"]
    assert p95.tolist() == [out["summary"]["output_change"]["p95"]]
    draws = parquet[parquet["frame"] == "draws"]
    assert sorted(draws["draw"].unique().tolist()) == list(range(12))
    doc = json.loads((tmp_path / "mc.json").read_text())
    assert doc["provenance"]["run_id"] == run_id
    assert doc["summary"] == out["summary"]
    assert doc["spec"] == ScenarioSpec.parse(MC_SPEC).canonical()
    assert len(doc["frames"]["headline/draws"]) == 12 * len(HEADLINE)
    res = run("scenario", "compare", run_id, run_id, code=2)
    assert "is a Monte Carlo run" in res.stderr


REPO = Path(__file__).resolve().parents[2]
EXAMPLES = [
    REPO / "examples" / "belarus_electronics_plant.yaml",
    REPO / "examples" / "metallurgy_energy_saving.yaml",
]


def _toy_examples(tmp_path: Path) -> list[str]:
    """Two deterministic specs on the toy table (the examples need the built-in data)."""
    demand = {**MC_SPEC, "name": "demand", "shocks": [{**MC_SPEC["shocks"][0], "value": 25}]}
    plant = {
        **MC_SPEC,
        "name": "plant",
        "shocks": [
            {
                "type": "new_plant",
                "region": "KAZ",
                "sector": "MAN",
                "output": 40,
                "borrow_from": "RUS",
            }
        ],
    }
    return [write_spec(tmp_path, demand, "a.yaml"), write_spec(tmp_path, plant, "b.yaml")]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_batch_equals_each_run_alone(data_dir: Path, tmp_path: Path, workers: str) -> None:
    files = _toy_examples(tmp_path)
    batch = run_json("scenario", "batch", *files, "--workers", workers)
    assert [s["scenario"] for s in batch["scenarios"]] == ["demand", "plant"]
    for f, got in zip(files, batch["scenarios"], strict=True):
        alone = run_json("scenario", "run", f)
        assert got["summary"] == alone["summary"]
        assert got["industries"] == alone["industries"]
        assert got["notes"] == alone["notes"]
    text = run("scenario", "batch", *files).stdout
    assert "2 scenarios on toy 2011" in text
    for word in ("demand", "plant", "output_change"):
        assert word in text


def test_batch_refuses_distributions_and_mixed_baselines(data_dir: Path, tmp_path: Path) -> None:
    files = _toy_examples(tmp_path)
    res = run("scenario", "batch", files[0], write_spec(tmp_path, MC_SPEC), code=2)
    assert "distributions at shocks[0].value" in res.stderr
    other = {**yaml.safe_load(Path(files[0]).read_text()), "baseline": {"dataset": "x"}}
    res = run("scenario", "batch", files[0], write_spec(tmp_path, other, "x.yaml"), code=2)
    assert "a batch shares one baseline" in res.stderr


def test_batch_of_two_examples_equals_running_each_alone(data_dir: Path) -> None:
    # the examples run on the built-in dataset (wiod2013-eaeu 2011)
    batch = run_json("scenario", "batch", *map(str, EXAMPLES))
    assert len(batch["scenarios"]) == 2
    for path, got in zip(EXAMPLES, batch["scenarios"], strict=True):
        alone = run_json("scenario", "run", str(path))
        assert got["scenario"] == alone["scenario"]
        assert got["summary"] == alone["summary"]
        assert got["regions"] == alone["regions"]
        assert got["notes"] == alone["notes"]


def test_monte_carlo_and_batch_on_a_dask_cluster_equal_the_local_runs(
    data_dir: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    spec = write_spec(tmp_path, MC_SPEC)
    files = _toy_examples(tmp_path)
    local = run("scenario", "run", spec, "--draws", "24", "--lhs", "--seed", "4", "--json")
    local_batch = run("scenario", "batch", *files, "--json")
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:
        address = cluster.scheduler_address
        remote = run(
            "scenario",
            "run",
            spec,
            "--draws",
            "24",
            "--lhs",
            "--seed",
            "4",
            "--dask",
            address,
            "--json",
        )
        remote_batch = run("scenario", "batch", *files, "--dask", address, "--json")
    assert remote.stdout == local.stdout
    assert remote_batch.stdout == local_batch.stdout
