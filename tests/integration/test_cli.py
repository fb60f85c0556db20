"""The ``karavan`` command line, driven in-process (typer's CliRunner) and once as the installed
script. Every command runs on small datasets saved in a temporary data directory; ``--json``
output is compared with the core functions' results."""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from karavan.cli.main import app
from karavan.core.aggregation import aggregate, bloc_concordance
from karavan.core.footprints import footprint_accounts
from karavan.core.gvc.closure import closure_indicators
from karavan.core.leontief import LeontiefModel
from karavan.core.multipliers import multipliers, output_multipliers
from karavan.core.table import MRIOTable, TableMetadata
from karavan.core.value_added import value_added_by_origin, value_added_origin_matrix
from karavan.datastore import BUILTIN_ROOT, DataStore
from karavan.sources.native import write_table
from karavan.sources.provenance import Provenance

REGIONS = ["RUS", "KAZ", "CHN", "RoW"]
SECTORS = ["AGR", "MAN", "SRV"]
YEARS = (2009, 2010, 2011)
LICENCE = "CC BY 4.0"
CITATION = "Toy, A. (2024). A toy MRIO."


def toy_table(year: int, seed: int, *, stressors: bool = True) -> MRIOTable:
    rng = np.random.default_rng(seed)
    n, nf = len(REGIONS) * len(SECTORS), len(REGIONS) * 2
    return MRIOTable.from_arrays(
        regions=REGIONS,
        sectors=SECTORS,
        categories=["HH", "GFCF"],
        Z=rng.uniform(1, 10, (n, n)),
        Y=rng.uniform(20, 50, (n, nf)),
        F=rng.uniform(0, 5, (2, n)) if stressors else None,
        F_Y=rng.uniform(0, 1, (2, nf)) if stressors else None,
        stressors=["CO2", "Water"] if stressors else [],
        stressor_units=["kt", "Mm3"] if stressors else [],
        meta=TableMetadata(
            source="Toy",
            edition="1",
            year=year,
            licence=LICENCE,
            citation=CITATION,
            sector_names={"AGR": "Agriculture", "MAN": "Manufacturing", "SRV": "Services"},
        ),
    )


def unbalanced_table() -> MRIOTable:
    t = toy_table(2011, 99)
    return MRIOTable.from_arrays(
        regions=t.regions,
        sectors=t.sectors,
        categories=t.categories,
        Z=t.Z,
        Y=t.Y,
        x=t.x * 1.5,  # output no longer equals total uses
        V=t.V,
        va_components=t.va_components,
        meta=t.meta,
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    store = DataStore(root)
    prov = Provenance(source="Toy", edition="1", licence=LICENCE, citation=CITATION)
    store.save("toy", [toy_table(y, y) for y in YEARS], prov, title="Toy MRIO")
    store.save("one", [toy_table(2011, 7)], prov)
    store.save("nostress", [toy_table(2011, 8, stressors=False)], prov)
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(root))
    monkeypatch.delenv("COLUMNS", raising=False)
    return root


runner = CliRunner()


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (
        result.exit_code,
        result.stdout,
        result.stderr,
        result.exception,
    )
    return result


def run_json(*args: str, code: int = 0) -> Any:
    return json.loads(run(*args, "--json", code=code).stdout)


def one_error_line(result: Any) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    return str(lines[0])


def load(root: Path, name: str, year: int | None = None) -> MRIOTable:
    return DataStore(root).load(name, year)


def snapshot(root: Path) -> dict[str, str]:
    """Every file under the data directory with its SHA-256 (the listing and the content)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ---------------------------------------------------------------------- datasets
def test_datasets_json_lists_sizes_and_provenance(data_dir: Path) -> None:
    out = run_json("datasets")
    assert out["data_dir"] == str(data_dir)
    by_name = {d["name"]: d for d in out["datasets"]}
    toy = by_name["toy"]
    assert toy["years"] == list(YEARS)
    assert (toy["regions"], toy["sectors"]) == (4, 3)
    assert toy["builtin"] is False
    assert toy["title"] == "Toy MRIO"
    assert toy["provenance"]["licence"] == LICENCE
    assert toy["provenance"]["citation"] == CITATION
    assert by_name["one"]["years"] == [2011]


def test_datasets_readable_shows_span_licence_and_citation(data_dir: Path) -> None:
    out = run("datasets").stdout
    assert "2009-2011" in out
    assert "4 x 3" in out
    assert LICENCE in out
    assert f"toy: {CITATION}" in out


@pytest.mark.skipif(
    not (BUILTIN_ROOT / "wiod2013-eaeu" / "dataset.json").is_file(),
    reason="built-in dataset not present",
)
def test_builtin_dataset_shows_licence_and_citation(data_dir: Path) -> None:
    by_name = {d["name"]: d for d in run_json("datasets")["datasets"]}
    wiod = by_name["wiod2013-eaeu"]
    assert wiod["builtin"] is True
    assert "CC BY 4.0" in wiod["provenance"]["licence"]
    assert wiod["provenance"]["citation"]
    assert wiod["years"][0] == 1995
    assert wiod["years"][-1] == 2011
    info = run_json("info", "wiod2013-eaeu", "--year", "2011")
    assert "CC BY 4.0" in info["dataset"]["provenance"]["licence"]
    assert "RUS" in info["table"]["regions"]
    assert info["validation"]["passed"] is True


# ---------------------------------------------------------------------- info
def test_info_json_equals_the_core_results(data_dir: Path) -> None:
    out = run_json("info", "toy", "--year", "2010")
    t = load(data_dir, "toy", 2010)
    totals = pd.DataFrame(out["totals"]).set_index("region")
    pd.testing.assert_frame_equal(totals, t.totals(), check_exact=False, rtol=1e-12)
    assert out["validation"]["passed"] is True
    assert [c["check"] for c in out["validation"]["checks"]] == [
        c.name for c in t.validate().checks
    ]
    table = out["table"]
    assert table["year"] == 2010
    assert table["regions"] == REGIONS
    assert table["sectors"] == SECTORS
    assert table["stressors"] == [{"name": "CO2", "unit": "kt"}, {"name": "Water", "unit": "Mm3"}]
    assert table["industries"] == 12
    year_dir = data_dir / "toy" / "2010"
    assert table["bytes"] == sum(p.stat().st_size for p in year_dir.iterdir())
    assert out["dataset"]["bytes"] > table["bytes"]
    assert out["dataset"]["provenance"]["citation"] == CITATION
    assert out["zero_output"] == []


def test_info_year_may_be_omitted_for_a_one_year_dataset(data_dir: Path) -> None:
    out = run_json("info", "one")
    assert out["table"]["year"] == 2011
    total_output = sum(r["output"] for r in out["totals"])
    assert total_output == pytest.approx(float(load(data_dir, "one").x.sum()))


def test_info_without_year_on_a_multi_year_dataset_describes_the_dataset(data_dir: Path) -> None:
    out = run_json("info", "toy")
    assert out["table"] is None
    assert out["dataset"]["years"] == list(YEARS)
    text = run("info", "toy").stdout
    assert "--year" in text
    assert LICENCE in text
    assert CITATION in text


def test_info_readable_shows_totals_checks_and_units(data_dir: Path) -> None:
    text = run("info", "one").stdout
    t = load(data_dir, "one")
    rus_output = float(t.totals().loc["RUS", "output"])
    assert f"{rus_output:,.0f}" in text
    assert "USD million" in text
    assert "CO2 [kt]" in text
    assert "all 5 passed" in text
    assert "Zero-output industries: none" in text


# ---------------------------------------------------------------------- validate
def test_validate_a_stored_dataset_checks_every_year(data_dir: Path) -> None:
    out = run_json("validate", "toy")
    assert out["kind"] == "dataset"
    assert out["passed"] is True
    assert [t["year"] for t in out["tables"]] == list(YEARS)
    assert run("validate", "toy", "--year", "2010").stdout.count("all 5 passed") == 1


def test_validate_a_failing_file_exits_3_and_stores_nothing(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "unbalanced"
    write_table(unbalanced_table(), bad)
    before = snapshot(data_dir)
    out = run_json("validate", str(bad), code=3)
    assert out["kind"] == "file"
    assert out["passed"] is False
    checks = {c["check"]: c for c in out["tables"][0]["checks"]}
    assert checks["balance"]["passed"] is False
    assert checks["finite"]["passed"] is True
    text = run("validate", str(bad), code=3).stdout
    assert "FAIL" in text
    assert "1 failed" in text
    assert snapshot(data_dir) == before


def test_validate_a_good_file_exits_0(data_dir: Path, tmp_path: Path) -> None:
    good = tmp_path / "good"
    write_table(toy_table(2011, 3), good)
    out = run_json("validate", str(good))
    assert out["passed"] is True
    assert out["tables"][0]["year"] == 2011


# ---------------------------------------------------------------------- footprint
def test_footprint_json_equals_footprint_accounts(data_dir: Path) -> None:
    out = run_json("footprint", "toy", "--year", "2011")
    expected = footprint_accounts(LeontiefModel(load(data_dir, "toy", 2011))).summary()
    got = pd.DataFrame(out["rows"])
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
    assert {r["unit"] for r in out["rows"] if r["account"] == "CO2"} == {"kt"}
    assert out["accounts"] == "stressors"
    assert out["year"] == 2011


def test_footprint_value_added_for_chosen_regions(data_dir: Path) -> None:
    out = run_json("footprint", "one", "--accounts", "value_added", "--region", "RUS,CHN")
    t = load(data_dir, "one")
    acc = footprint_accounts(LeontiefModel(t), "value_added")
    assert [r["region"] for r in out["rows"]] == ["RUS", "CHN"]
    for r in out["rows"]:
        assert r["unit"] == "USD million"
        assert r["consumption_based"] == pytest.approx(acc.D_cba_reg.at["value added", r["region"]])
        assert r["embodied_imports"] == pytest.approx(acc.D_imp_reg.at["value added", r["region"]])
    text = run("footprint", "one", "-a", "all", "-r", "KAZ").stdout
    assert "value added [USD million]" in text
    assert "CO2 [kt]" in text
    assert "Water [Mm3]" in text


def test_footprint_without_stressors_suggests_value_added(data_dir: Path) -> None:
    line = one_error_line(run("footprint", "nostress", code=2))
    assert "no stressors" in line
    assert "--accounts value_added" in line
    out = run_json("footprint", "nostress", "--accounts", "value_added")
    assert len(out["rows"]) == len(REGIONS)


# ---------------------------------------------------------------------- multipliers
def test_multipliers_json_equals_the_core_multipliers(data_dir: Path) -> None:
    out = run_json("multipliers", "one", "--top", "0")
    m = multipliers(LeontiefModel(load(data_dir, "one"))).droplevel(["kind", "unit"])
    assert len(out["rows"]) == 12
    for row in out["rows"]:
        for account in ("output", "value added", "CO2", "Water"):
            assert row[account] == pytest.approx(
                m.at[account, (row["region"], row["sector"])], rel=1e-12
            )
    outputs = [r["output"] for r in out["rows"]]
    assert outputs == sorted(outputs, reverse=True)
    assert out["units"]["CO2"] == "kt per USD million"
    assert out["rows"][0]["sector_name"] in {"Agriculture", "Manufacturing", "Services"}


def test_multipliers_top_and_region(data_dir: Path) -> None:
    out = run_json("multipliers", "one", "--region", "KAZ", "--top", "2")
    om = output_multipliers(LeontiefModel(load(data_dir, "one"))).loc["KAZ"]
    best = om.sort_values(ascending=False).index[:2].tolist()
    assert [r["sector"] for r in out["rows"]] == best
    assert {r["region"] for r in out["rows"]} == {"KAZ"}
    text = run("multipliers", "one", "-r", "KAZ", "-n", "2").stdout
    assert f"{om[best[0]]:.3f}" in text
    assert "Units:" in text
    assert "kt per USD million" in text


# ---------------------------------------------------------------------- value added by origin
def test_value_added_origin_by_region_gives_shares_of_final_demand(data_dir: Path) -> None:
    out = run_json("value-added-origin", "one", "--absorbing", "RUS", "--top", "0")
    matrix = value_added_origin_matrix(LeontiefModel(load(data_dir, "one")))
    column = matrix["RUS"]
    assert out["totals"]["RUS"] == pytest.approx(float(column.sum()))
    got = {r["origin_region"]: r for r in out["rows"]}
    assert set(got) == set(REGIONS)
    for origin, row in got.items():
        assert row["value_added"] == pytest.approx(float(column[origin]))
        assert row["share"] == pytest.approx(float(column[origin] / column.sum()))
        assert row["domestic"] is (origin == "RUS")
    assert sum(r["share"] for r in out["rows"]) == pytest.approx(1.0)


def test_value_added_origin_by_sector_and_industry(data_dir: Path) -> None:
    va = value_added_by_origin(LeontiefModel(load(data_dir, "one")))
    by_sector = run_json(
        "value-added-origin", "one", "--by", "sector", "--absorbing", "CHN", "-n", "0"
    )
    expected = va["CHN"].groupby(level="sector").sum()
    assert {r["origin_sector"]: r["value_added"] for r in by_sector["rows"]} == pytest.approx(
        expected.to_dict()
    )
    top = run_json("value-added-origin", "one", "--by", "industry", "--absorbing", "CHN", "-n", "3")
    largest = va["CHN"].sort_values(ascending=False).iloc[:3]
    assert [(r["origin_region"], r["origin_sector"]) for r in top["rows"]] == list(largest.index)
    all_regions = run_json("value-added-origin", "one", "-n", "1")
    assert [r["absorbing_region"] for r in all_regions["rows"]] == REGIONS
    text = run("value-added-origin", "one", "--absorbing", "KAZ", "-n", "2").stdout
    assert "KAZ" in text
    assert "%" in text


# ---------------------------------------------------------------------- aggregate
def test_aggregate_bloc_writes_a_new_dataset_for_every_year(data_dir: Path) -> None:
    out = run_json("aggregate", "toy", "--bloc", "EAEU", "--output", "toy-eaeu")
    assert out["regions"] == ["EAEU", "CHN", "RoW"]
    assert out["dataset"]["years"] == list(YEARS)
    prov = out["dataset"]["provenance"]
    assert prov["licence"] == LICENCE
    assert prov["citation"] == CITATION
    assert "RUS+KAZ" in prov["derived_by"]
    assert "aggregated from dataset 'toy'" in prov["notes"]
    for year in YEARS:
        src = load(data_dir, "toy", year)
        expected = aggregate(src, regions=bloc_concordance(src.regions, {"EAEU": REGIONS[:2]}))
        got = load(data_dir, "toy-eaeu", year)
        np.testing.assert_allclose(got.Z, expected.Z, rtol=1e-12)
        np.testing.assert_allclose(got.F, expected.F, rtol=1e-12)
        assert got.x.sum() == pytest.approx(src.x.sum())


def test_aggregate_with_concordance_files(data_dir: Path, tmp_path: Path) -> None:
    sectors = tmp_path / "sectors.csv"
    sectors.write_text("source,target\nAGR,PRIM\nMAN,SEC\nSRV,SEC\n")
    regions = tmp_path / "regions.csv"
    regions.write_text(
        "source,target,weight\nRUS,EAEU,1\nKAZ,EAEU,1\nCHN,Asia,1\nRoW,Asia,0.5\nRoW,Other,0.5\n"
    )
    run(
        "aggregate",
        "toy",
        "--year",
        "2010",
        "--regions",
        str(regions),
        "--sectors",
        str(sectors),
        "-o",
        "agg",
    )
    got = load(data_dir, "agg")
    assert got.regions == ("EAEU", "Asia", "Other")
    assert got.sectors == ("PRIM", "SEC")
    src = load(data_dir, "toy", 2010)
    assert got.x.sum() == pytest.approx(src.x.sum())
    x = src.x  # region-major: RUS (0-2), KAZ (3-5), CHN (6-8), RoW (9-11); AGR, MAN, SRV
    expected = [
        x[0] + x[3],
        x[[1, 2, 4, 5]].sum(),
        x[6] + 0.5 * x[9],
        x[[7, 8]].sum() + 0.5 * x[[10, 11]].sum(),
        0.5 * x[9],
        0.5 * x[[10, 11]].sum(),
    ]
    np.testing.assert_allclose(got.x, expected, rtol=1e-12)


def test_aggregate_errors_name_the_problem(data_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "partial.csv"
    bad.write_text("source,target\nRUS,EAEU\n")
    line = one_error_line(run("aggregate", "toy", "--regions", str(bad), "-o", "x", code=2))
    assert str(bad) in line
    assert "KAZ" in line
    missing = one_error_line(
        run("aggregate", "toy", "--regions", str(tmp_path / "no.csv"), "-o", "x", code=2)
    )
    assert "no.csv" in missing
    assert "unknown bloc" in one_error_line(
        run("aggregate", "toy", "--bloc", "XYZ", "-o", "x", code=2)
    )
    assert "exists" in one_error_line(
        run("aggregate", "toy", "--bloc", "EAEU", "-o", "one", code=2)
    )
    assert not (data_dir / "x").exists()


# ---------------------------------------------------------------------- report
def test_report_json_equals_the_core_functions(data_dir: Path) -> None:
    out = run_json("report", "--dataset", "toy")
    assert out["year"] == 2011  # the latest by default
    bloc = out["bloc"]
    assert bloc["resolved"] == ["RUS", "KAZ"]
    assert bloc["not_resolved"] == ["BLR", "ARM", "KGZ"]
    assert bloc["inside_region"] == "RoW"
    assert "inside RoW" in bloc["statement"]
    closures = []
    for year in YEARS:
        t = load(data_dir, "toy", year)
        closures.append(closure_indicators(LeontiefModel(t), ["RUS", "KAZ"]).closure)
    assert [r["closure"] for r in out["trend"]] == pytest.approx(closures, rel=1e-12)
    assert out["closure"]["share"] == pytest.approx(closures[-1], rel=1e-12)
    t = load(data_dir, "toy", 2011)
    bva = closure_indicators(LeontiefModel(t), ["RUS", "KAZ"])
    first = out["outside_sources_by_region"][0]
    by_region = bva.by_origin_region()
    assert first["value_added"] == pytest.approx(
        by_region[~by_region["inside"]]["value_added"].iloc[0]
    )
    assert {r["destination"] for r in out["absorbed_abroad"]} == {"CHN", "RoW"}
    agg = aggregate(t, regions=bloc_concordance(t.regions, {"EAEU": ["RUS", "KAZ"]}))
    om = output_multipliers(LeontiefModel(agg)).loc["EAEU"]
    assert {
        r["sector"]: r["output_multiplier"] for r in out["top_output_multipliers"]
    } == pytest.approx(om.to_dict())
    assert out["totals"]["output"]["value"] == pytest.approx(float(t.x[:6].sum()))


def test_report_readable_with_a_custom_bloc_and_year(data_dir: Path) -> None:
    text = run("report", "--dataset", "toy", "--year", "2010", "--bloc", "EAEU+CHN").stdout
    assert "EAEU+CHN value chains: toy, 2010" in text
    assert "BLR, ARM, KGZ are inside RoW" in text
    assert "Closure by year" in text
    assert "2009" in text
    t = load(data_dir, "toy", 2010)
    share = closure_indicators(LeontiefModel(t), ["RUS", "KAZ", "CHN"]).closure
    assert f"{100 * share:.1f}%" in text
    custom = run_json("report", "-d", "one", "--bloc", "CA=KAZ,CHN")
    assert custom["bloc"]["resolved"] == ["KAZ", "CHN"]
    assert custom["bloc"]["not_resolved"] == []
    assert len(custom["trend"]) == 1


def test_report_errors(data_dir: Path) -> None:
    line = one_error_line(run("report", "-d", "toy", "--bloc", "X=BLR,ARM", code=2))
    assert "none of X's members" in line
    assert "no year 1990" in one_error_line(run("report", "-d", "toy", "--year", "1990", code=2))


@pytest.mark.skipif(
    not (BUILTIN_ROOT / "wiod2013-eaeu" / "dataset.json").is_file(),
    reason="built-in dataset not present",
)
def test_report_on_the_builtin_data(data_dir: Path) -> None:
    out = run_json("report")
    assert out["dataset"]["name"] == "wiod2013-eaeu"
    assert out["year"] == 2011
    assert out["bloc"]["resolved"] == ["RUS"]
    assert 0 < out["closure"]["share"] < 1
    assert len(out["trend"]) == 17
    assert "RUS" in run("report").stdout


# ---------------------------------------------------------------------- import
def test_import_a_native_table_with_default_name(data_dir: Path, tmp_path: Path) -> None:
    src = tmp_path / "table"
    write_table(toy_table(2011, 21), src)
    out = run_json("import", str(src))
    assert out["dataset"]["name"] == "toy-1-2011"
    assert out["stored"][0]["checks"]["passed"] is True
    got = load(data_dir, "toy-1-2011")
    np.testing.assert_array_equal(got.Z, toy_table(2011, 21).Z)
    text = run("import", str(src), "--name", "again", "--title", "Again").stdout
    assert "Stored 1 table(s) as dataset 'again'" in text
    assert "all 5 passed" in text


def test_import_add_and_replace(data_dir: Path, tmp_path: Path) -> None:
    for year in (2012, 2013):
        write_table(toy_table(year, year), tmp_path / str(year))
    run("import", str(tmp_path / "2012"), str(tmp_path / "2013"), "--name", "toy", "--add")
    assert DataStore(data_dir).info("toy").years == (*YEARS, 2012, 2013)
    run("import", str(tmp_path / "2013"), "--name", "toy", "--replace")
    assert DataStore(data_dir).info("toy").years == (2013,)
    line = one_error_line(run("import", str(tmp_path / "2012"), "--name", "one", code=2))
    assert "exists" in line
    assert "exclude" in one_error_line(
        run("import", str(tmp_path / "2012"), "--add", "--replace", code=2)
    )


@pytest.mark.parametrize("kind", ["garbage", "truncated-rdata", "broken-parquet", "unbalanced"])
def test_a_failed_import_changes_nothing_in_the_data_dir(
    data_dir: Path, tmp_path: Path, kind: str
) -> None:
    good = tmp_path / "good"
    write_table(toy_table(2012, 4), good)
    if kind == "garbage":
        bad = tmp_path / "wiot_2011.RData"
        bad.write_bytes(b"this is not a table\n" * 10)
    elif kind == "truncated-rdata":
        bad = tmp_path / "wiot_2011.RData"
        whole = gzip.compress(b"RDX2\nX\n" + b"\x00" * 64 + b"wiot_2011" + b"x" * 4096)
        bad.write_bytes(whole[: len(whole) // 2])
    elif kind == "broken-parquet":
        bad = tmp_path / "broken"
        write_table(toy_table(2013, 5), bad)
        (bad / "Z.parquet").write_bytes(b"PAR1 damaged")
    else:
        bad = tmp_path / "unbalanced"
        write_table(unbalanced_table(), bad)
    before = snapshot(data_dir)
    # A new dataset, and more years for an existing one: the good file is read first.
    line = one_error_line(run("import", str(good), str(bad), "--name", "new", code=2))
    assert str(bad) in line
    line = one_error_line(run("import", str(good), str(bad), "--name", "toy", "--add", code=2))
    assert str(bad) in line
    assert snapshot(data_dir) == before
    assert DataStore(data_dir).info("toy").years == YEARS


def test_a_missing_file_is_one_line(data_dir: Path, tmp_path: Path) -> None:
    line = one_error_line(run("import", str(tmp_path / "nope.RData"), code=2))
    assert "nope.RData" in line


# ---------------------------------------------------------------------- errors and settings
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["info", "missing"], "no dataset named 'missing'"),
        (["info", "toy", "--year", "1990"], "no year 1990"),
        (["footprint", "toy"], "choose one with --year"),
        (["multipliers", "one", "--region", "XXX"], "unknown region(s) XXX"),
        (["info", "toy", "--bogus"], "No such option"),
        (["footprint", "one", "--accounts", "nonsense"], "nonsense"),
        (["nosuchcommand"], "No such command"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    data_dir: Path, args: list[str], expected: str
) -> None:
    line = one_error_line(run(*args, code=2))
    assert expected in line


def test_unexpected_errors_exit_1_with_one_line(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(model: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("karavan.cli.analysis.multipliers", broken)
    line = one_error_line(run("multipliers", "one", code=1))
    assert "unexpected RuntimeError: boom" in line
    assert "--traceback" in line
    result = runner.invoke(app, ["--traceback", "multipliers", "one"])
    assert result.exit_code == 1
    assert isinstance(result.exception, RuntimeError)


def test_data_dir_option_overrides_the_environment(
    data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "empty"
    names = {d["name"] for d in run_json("--data-dir", str(empty), "datasets")["datasets"]}
    assert names.isdisjoint({"toy", "one"})
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(empty))
    assert "toy" not in {d["name"] for d in run_json("datasets")["datasets"]}
    names = {d["name"] for d in run_json("--data-dir", str(data_dir), "datasets")["datasets"]}
    assert {"toy", "one"} <= names
    out = run_json("--data-dir", str(data_dir), "info", "one")
    assert out["dataset"]["path"] == str(data_dir / "one")


def test_no_arguments_prints_help_and_version(data_dir: Path) -> None:
    assert "report" in run().stdout
    assert run("--version").stdout.startswith("karavan ")


def test_the_installed_script(data_dir: Path, tmp_path: Path) -> None:
    script = shutil.which("karavan", path=str(Path(sys.executable).parent))
    assert script is not None, "the karavan script is not installed (pip install -e .)"
    env = {**os.environ, "KARAVAN_DATA_DIR": str(tmp_path / "elsewhere")}
    done = subprocess.run(
        [script, "--data-dir", str(data_dir), "multipliers", "one", "--json", "--top", "1"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    row = json.loads(done.stdout)["rows"][0]
    om = output_multipliers(LeontiefModel(load(data_dir, "one")))
    assert row["output"] == pytest.approx(float(om.max()), rel=1e-12)
    failed = subprocess.run(
        [script, "info", "toy"], capture_output=True, text=True, env=env, check=False, timeout=120
    )
    assert failed.returncode == 2
    assert failed.stderr.count("\n") == 1
    assert failed.stderr.startswith("error: no dataset named 'toy'")
