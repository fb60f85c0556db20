"""``karavan trade``: every command driven in-process; ``--json`` output is compared with the
trade layer's functions on the same data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from karavan.cli.main import app
from karavan.trade.builtin import load_builtin_trade
from karavan.trade.complexity import complexity
from karavan.trade.eaeu import bloc_rca, import_substitution, intra_bloc_trade
from karavan.trade.rca import rca
from karavan.trade.readers import read_baci
from karavan.trade.views import next_products, product_space
from tests.unit.trade.generated import bilateral_table, write_baci

runner = CliRunner()


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("COLUMNS", raising=False)
    return tmp_path


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, ["trade", *args])
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


def one_error_line(result: Any) -> str:
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout == ""
    return str(lines[0])


@pytest.fixture(scope="module")
def world_result() -> Any:
    return complexity(load_builtin_trade("world-sitc2"))


@pytest.fixture
def baci_file(tmp_path: Path) -> Path:
    return write_baci(bilateral_table(n_products=50), tmp_path / "BACI_HS17_Y2021_V202401.csv")


def test_datasets_list_licences() -> None:
    out = run_json("datasets")
    by = {d["name"]: d for d in out["datasets"]}
    assert by["world-sitc2"]["exporters"] == 226
    assert "Apache-2.0" in by["world-sitc2"]["licence"]
    assert "Etalab" in by["baci-kaz-hs02"]["licence"]
    assert "Gaulier" in by["baci-kaz-hs02"]["citation"]
    assert "Etalab" in run("datasets").stdout


def test_rca_json_equals_the_library() -> None:
    out = run_json("rca", "--country", "KAZ,RUS", "--top", "5")
    t = load_builtin_trade("world-sitc2")
    R = rca(t.X)
    rows = [r for r in out["rows"] if r["country"] == "KAZ"]
    assert len(rows) == 5
    kaz = R[t.exporters.index("KAZ")]
    top = np.sort(kaz[t.X[t.exporters.index("KAZ")] > 0])[::-1][:5]
    np.testing.assert_allclose([r["rca"] for r in rows], top, rtol=1e-12)
    assert rows[0]["product"] == "3221"
    assert out["source"]["classification"] == "SITC Rev.2 4-digit"
    assert "no partner dimension" in out["notes"][0]


def test_bloc_rca_json() -> None:
    out = run_json("rca", "--bloc", "EAEU", "--top", "3")
    ref = bloc_rca(load_builtin_trade("world-sitc2"), "EAEU").frame
    assert [r["product"] for r in out["rows"]] == list(ref["product"][:3])
    assert out["rows"][0]["rca"] == pytest.approx(ref["rca"].iloc[0], rel=1e-12)
    assert out["present"] == ["RUS", "KAZ", "BLR", "ARM", "KGZ"]


def test_complexity_json_equals_the_library(world_result: Any) -> None:
    out = run_json("complexity", "--top", "0")
    eci = {r["exporter"]: r["eci"] for r in out["countries"]}
    assert len(eci) == 226
    for c in ("RUS", "KAZ", "BLR", "ARM", "KGZ", "CHN"):
        assert eci[c] == pytest.approx(world_result.eci[world_result.exporters.index(c)], abs=1e-12)
    assert out["options"]["presence"] == "rca"
    assert out["eigenvalue"] == pytest.approx(world_result.eigenvalue)
    members = run_json("complexity", "--country", "KAZ,BLR")["countries"]
    assert [r["exporter"] for r in members] == ["BLR", "KAZ"]  # by ECI
    readable = run("complexity", "--top", "3").stdout
    assert "EAEU members" in readable
    assert "Kazakhstan" in readable


def test_complexity_options() -> None:
    out = run_json("complexity", "--presence", "rpop", "--fitness", "--top", "3")
    assert out["options"]["presence"] == "rpop"
    assert any("without population left out" in n for n in out["notes"])
    assert "fitness" in out["countries"][0]
    products = run_json("complexity", "--products", "--top", "2")["products"]
    assert products[0]["pci"] >= products[1]["pci"]
    small = run_json("complexity", "--min-exports", "1e8", "--top", "0")
    assert 0 < small["source"]["exporters"] < 226


def test_next_products_json(world_result: Any) -> None:
    out = run_json("next-products", "--country", "KAZ", "--top", "10")
    ref = next_products(world_result, "KAZ", top=10)
    assert [r["product"] for r in out["rows"]] == list(ref["product"])
    np.testing.assert_allclose([r["score"] for r in out["rows"]], ref["score"], rtol=1e-12)
    assert out["eci"]["KAZ"] == pytest.approx(world_result.eci[world_result.exporters.index("KAZ")])
    bloc = run_json("next-products", "--country", "EAEU", "--top", "2")
    assert bloc["countries"] == ["RUS", "KAZ", "BLR", "ARM", "KGZ"]
    assert [r["country"] for r in bloc["rows"]] == [c for c in bloc["countries"] for _ in range(2)]
    assert (
        run("next-products", "--country", "KAZ,RUS", "--top", "2").stdout.count("next products")
        == 2
    )


def test_product_space_json(world_result: Any) -> None:
    out = run_json("product-space", "--country", "KAZ")
    ref = product_space(world_result, country="KAZ")
    assert len(out["nodes"]) == len(ref.nodes) == 785
    assert len(out["edges"]) == len(ref.edges)
    assert {e["kind"] for e in out["edges"]} == {"mst", "threshold"}
    assert "mcp" in out["nodes"][0]


def test_opportunities_need_imports() -> None:
    message = one_error_line(run("opportunities", "--bloc", "EAEU", code=2))
    assert "holds exports to the world only" in message
    message = one_error_line(run("opportunities", "--data", "baci-kaz-hs02", code=2))
    assert "holds one exporter (KAZ)" in message


def test_opportunities_on_a_baci_file(baci_file: Path) -> None:
    out = run_json("opportunities", "--bloc", "EAEU", "--file", str(baci_file), "--top", "5")
    ref = import_substitution(read_baci(baci_file), "EAEU", top=5).frame
    assert [r["product"] for r in out["rows"]] == list(ref["product"])
    np.testing.assert_allclose(
        [r["external_imports"] for r in out["rows"]], ref["external_imports"], rtol=1e-12
    )
    assert out["source"]["partners"] == "complete"
    assert any("registry is not available" in n for n in out["notes"])
    assert "import-substitution" in run("opportunities", "--file", str(baci_file)).stdout


def test_intra_on_the_kazakhstan_extract() -> None:
    out = run_json("intra", "--top", "3")
    ref = intra_bloc_trade(load_builtin_trade("baci-kaz-hs02", 2021)).frame
    assert out["rows"][0]["product"] == "270900" == ref["product"].iloc[0]
    assert out["totals"]["intra"] == pytest.approx(ref["intra"].sum())
    assert any("lower bound" in n for n in out["notes"])


def test_errors_are_one_line() -> None:
    assert "unknown exporter(s) XXX" in one_error_line(run("rca", "--country", "XXX", code=2))
    message = one_error_line(run("next-products", "--country", "XXX", code=2))
    assert "unknown exporter(s) XXX" in message
    message = one_error_line(run("rca", "--data", "nope", code=2))
    assert "no built-in trade dataset 'nope'" in message
    message = one_error_line(run("complexity", "--file", "/nonexistent/x.csv", code=2))
    assert "x.csv" in message
