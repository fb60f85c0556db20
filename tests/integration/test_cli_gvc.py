"""The ``closure``, ``dependency``, ``tiva`` and ``decompose`` commands, driven in-process on
small datasets saved in a temporary data directory; ``--json`` output equals the core
functions' results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from karavan.cli.main import app
from karavan.core.gvc.borin_mancini import borin_mancini
from karavan.core.gvc.closure import closure_indicators, closure_series
from karavan.core.gvc.dependency import dependency_map, external_input_flows
from karavan.core.gvc.kww import kww_decomposition
from karavan.core.gvc.sda import DRIVERS, closure_sda
from karavan.core.gvc.tiva import tiva_indicators
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable, TableMetadata
from karavan.datastore import DataStore
from karavan.sources.provenance import Provenance

REGIONS = ["RUS", "KAZ", "CHN", "RoW"]
SECTORS = ["AGR", "MAN", "SRV"]
YEARS = (2009, 2010, 2011)
EAEU = ["RUS", "KAZ"]


def toy_table(year: int, seed: int) -> MRIOTable:
    """Balanced: x = L y from random coefficients, so value added = output - inputs."""
    rng = np.random.default_rng(seed)
    n, nf = len(REGIONS) * len(SECTORS), len(REGIONS) * 2
    A = rng.uniform(0.0, 1.0, (n, n))
    A *= rng.uniform(0.3, 0.6, n)[None, :] / A.sum(axis=0)[None, :]
    Y = rng.uniform(20.0, 50.0, (n, nf))
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    return MRIOTable.from_arrays(
        regions=REGIONS,
        sectors=SECTORS,
        categories=["HH", "GFCF"],
        Z=A * x[None, :],
        Y=Y,
        x=x,
        meta=TableMetadata(
            source="Toy",
            year=year,
            sector_names={"AGR": "Agriculture", "MAN": "Manufacturing", "SRV": "Services"},
        ),
    )


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "data"
    store = DataStore(root)
    prov = Provenance(source="Toy", edition="1", licence="CC0", citation="Toy (2024).")
    store.save("toy", [toy_table(y, y) for y in YEARS], prov)
    store.save("one", [toy_table(2011, 7)], prov)
    monkeypatch.setenv("KARAVAN_DATA_DIR", str(root))
    monkeypatch.delenv("COLUMNS", raising=False)
    return root


runner = CliRunner()


def run(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    return result


def run_json(*args: str) -> Any:
    return json.loads(run(*args, "--json").stdout)


def error_line(*args: str) -> str:
    result = run(*args, code=2)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert result.stdout == ""
    return str(lines[0])


def load(root: Path, name: str, year: int | None = None) -> MRIOTable:
    return DataStore(root).load(name, year)


# ---------------------------------------------------------------------- closure
def test_closure_json_equals_closure_indicators(data_dir: Path) -> None:
    out = run_json("closure", "toy", "--year", "2010", "--top", "3")
    ind = closure_indicators(LeontiefModel(load(data_dir, "toy", 2010)), EAEU)
    assert out["year"] == 2010
    assert out["unit"] == "USD million"
    assert out["bloc"] == {
        "name": "EAEU",
        "members": ["RUS", "KAZ", "BLR", "ARM", "KGZ"],
        "resolved": EAEU,
        "not_resolved": ["BLR", "ARM", "KGZ"],
    }
    for key, value in ind.summary().items():
        if isinstance(value, float):
            assert out["summary"][key] == pytest.approx(value, rel=1e-12), key
    assert out["summary"]["members"] == "RUS+KAZ"
    assert out["summary"]["closure"] + out["summary"]["leakage_share"] == pytest.approx(1.0)
    leak = ind.leakage_by_origin().iloc[:3]
    got = [(r["origin_region"], r["origin_sector"]) for r in out["leakage_final_demand"]]
    assert got == list(leak.index)
    assert [r["value_added"] for r in out["leakage_final_demand"]] == pytest.approx(
        leak["value_added"].tolist(), rel=1e-12
    )
    assert out["leakage_final_demand"][0]["sector_name"] in {
        "Agriculture",
        "Manufacturing",
        "Services",
    }
    exports = ind.leakage_by_origin("exports").iloc[:3]
    assert [r["share"] for r in out["leakage_exports"]] == pytest.approx(
        exports["share"].tolist(), rel=1e-12
    )
    linkage = {(r["origin"], r["member"]): r["value_added"] for r in out["linkage_final_demand"]}
    assert linkage[("KAZ", "RUS")] == pytest.approx(ind.linkage_final_demand.at["KAZ", "RUS"])
    assert sum(linkage.values()) == pytest.approx(ind.inside)
    x_linkage = sum(r["value_added"] for r in out["linkage_exports"])
    assert x_linkage == pytest.approx(ind.export_inside)
    absorbed = {r["region"]: r["value_added"] for r in out["absorbed"]}
    assert absorbed == pytest.approx(ind.absorbed.to_dict())


def test_closure_readable_shows_shares_and_linkages(data_dir: Path) -> None:
    text = run("closure", "one", "--bloc", "EAEU+CHN", "--top", "2").stdout
    ind = closure_indicators(LeontiefModel(load(data_dir, "one")), ["RUS", "KAZ", "CHN"])
    assert "Closure of EAEU+CHN's value chains: one 2011" in text
    assert "BLR, ARM, KGZ not resolved" in text
    assert f"{100 * ind.closure:.1f}%" in text
    assert f"{100 * ind.export_closure:.1f}%" in text
    assert f"{ind.leakage:,.0f}" in text
    assert "Member linkages" in text
    assert "top 2; --top 0 for all" in text


def test_closure_all_years_equals_closure_series(data_dir: Path) -> None:
    out = run_json("closure", "toy", "--all-years", "--bloc", "CA=KAZ,CHN")
    series = closure_series((load(data_dir, "toy", y) for y in YEARS), ["KAZ", "CHN"])
    assert out["bloc"] == "CA"
    assert [r["year"] for r in out["rows"]] == list(YEARS)
    got = pd.DataFrame(out["rows"]).set_index("year")
    pd.testing.assert_frame_equal(got, series, check_exact=False, rtol=1e-12)
    text = run("closure", "toy", "--all-years").stdout
    for year, closure in closure_series((load(data_dir, "toy", y) for y in YEARS), EAEU)[
        "closure"
    ].items():
        assert str(year) in text
        assert f"{100 * closure:.1f}%" in text


def test_closure_sda_json_equals_closure_sda(data_dir: Path) -> None:
    out = run_json("closure", "toy", "--sda", "2009", "2011")
    sda = closure_sda(load(data_dir, "toy", 2009), load(data_dir, "toy", 2011), EAEU)
    assert (out["from"], out["to"]) == (2009, 2011)
    effects = pd.DataFrame(out["effects"]).set_index("driver")
    assert list(effects.index) == list(DRIVERS)
    pd.testing.assert_frame_equal(
        effects, sda.effects.rename_axis(columns=None), check_exact=False, rtol=1e-12
    )
    values = pd.DataFrame(out["values"]).set_index("measure")
    np.testing.assert_allclose(effects.sum().to_numpy(), values["change"].to_numpy(), rtol=1e-10)
    text = run("closure", "toy", "--sda", "2009", "2011").stdout
    assert "2009 -> 2011" in text
    assert f"{100 * sda.effects.at['technology', 'closure']:+.2f} pp" in text
    assert "final demand level" in text


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["closure", "toy"], "--all-years"),
        (["closure", "toy", "--year", "2010", "--all-years"], "exclude one another"),
        (["closure", "toy", "--sda", "2009", "2011", "--year", "2010"], "exclude one another"),
        (["closure", "toy", "--sda", "2009", "1990"], "no year 1990"),
        (["closure", "one", "--bloc", "X=BLR,ARM"], "no member among the table's regions"),
        (["closure", "one", "--bloc", "NOPE"], "unknown bloc"),
        (["dependency", "one", "--bloc", "X=BLR"], "no member among the table's regions"),
        (["dependency", "toy"], "choose one with --year"),
    ],
)
def test_errors_are_one_line_with_exit_code_2(
    data_dir: Path, args: list[str], expected: str
) -> None:
    assert expected in error_line(*args)


# ---------------------------------------------------------------------- dependency
def test_dependency_json_equals_the_core_functions(data_dir: Path) -> None:
    out = run_json("dependency", "toy", "--year", "2011", "--top", "4")
    t = load(data_dir, "toy", 2011)
    dm = dependency_map(LeontiefModel(t), EAEU)
    expected = dm.most_dependent("total", 4)
    got = pd.DataFrame(out["sectors"]).set_index(["region", "sector"])
    assert list(got.index) == list(expected.index)
    for col in ("direct", "total", "external_value_added", "intermediate_inputs"):
        np.testing.assert_allclose(got[col], expected[col], rtol=1e-12)
    flows = external_input_flows(t, EAEU, top=4)
    got_flows = pd.DataFrame(out["flows"])
    pd.testing.assert_frame_equal(got_flows, flows, check_exact=False, rtol=1e-12)
    assert out["bloc"]["resolved"] == EAEU


def test_dependency_readable(data_dir: Path) -> None:
    text = run("dependency", "one", "--top", "3").stdout
    t = load(data_dir, "one")
    flows = external_input_flows(t, EAEU, top=3)
    assert "Most dependent industries" in text
    assert "Largest input flows into EAEU from outside" in text
    assert f"{flows['value'].iloc[0]:,.2f}" in text or f"{flows['value'].iloc[0]:,.0f}" in text
    top = dependency_map(LeontiefModel(t), EAEU).most_dependent("total", 1)
    assert f"{100 * top['total'].iloc[0]:.1f}%" in text


# ---------------------------------------------------------------------- tiva and decompose
def test_tiva_json_equals_tiva_indicators(data_dir: Path) -> None:
    out = run_json("tiva", "one", "--bloc", "EAEU", "--by", "country")
    result = tiva_indicators(LeontiefModel(load(data_dir, "one")), blocs={"EAEU": tuple(EAEU)})
    got = pd.DataFrame(out["rows"]).set_index(result.country.index.names)
    np.testing.assert_allclose(
        got[result.country.columns].to_numpy(dtype=float),
        result.country.to_numpy(dtype=float),
        rtol=1e-12,
    )
    assert out["blocs"] == {"EAEU": EAEU}
    partner = run_json("tiva", "one", "--by", "partner")
    assert len(partner["rows"]) == len(
        tiva_indicators(LeontiefModel(load(data_dir, "one"))).by_partner
    )


def test_decompose_json_equals_the_decompositions(data_dir: Path) -> None:
    model = LeontiefModel(load(data_dir, "one"))
    out = run_json("decompose", "one", "--method", "kww", "--exporter", "KAZ")
    kww = kww_decomposition(model)
    assert len(out["rows"]) == 1
    row = out["rows"][0]
    for col in kww.columns:
        assert row[col] == pytest.approx(float(kww.loc["KAZ", col]), rel=1e-12)
    bm = run_json("decompose", "one", "-m", "borin-mancini", "--perspective", "sink")
    expected = borin_mancini(model, perspective="sink", level="country")
    assert len(bm["rows"]) == len(expected)
    assert bm["perspective"] == "sink"
    # The bloc-perimeter closure of a one-region bloc is Borin and Mancini's source-based split.
    ind = closure_indicators(model, ["KAZ"])
    source = borin_mancini(model, perspective="source", level="country").loc["KAZ"]
    assert ind.export_inside == pytest.approx(float(source["DC"]), rel=1e-10)
    assert ind.export_leakage == pytest.approx(float(source["FC"]), rel=1e-10)
    assert "apply to --method borin-mancini" in error_line(
        "decompose", "one", "-m", "wwz", "--level", "sector"
    )
