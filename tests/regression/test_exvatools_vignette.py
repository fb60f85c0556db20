"""TiVA indicators and Borin-Mancini decompositions against the figures exvatools publishes.

Goldens: ``tests/regression/data/exvatools_vignette.json`` (with the source of every number).
Each published figure is asserted to half a unit in its last printed decimal.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from karavan.core import LeontiefModel
from karavan.core.gvc.borin_mancini import borin_mancini
from karavan.core.gvc.tiva import TivaResult, tiva_indicators
from tests.regression.exvatools_tables import ICIO_MERGE, read_exvatools_sample

GOLDEN = json.loads((Path(__file__).parent / "data" / "exvatools_vignette.json").read_text())
SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "samples"
ICIO = SAMPLES / "iciotest_data.rda"
NAFTA = {"NAFTA": ("USA", "MEX", "MX1", "MX2", "CAN"), "CHN": ICIO_MERGE["CHN"]}

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not ICIO.is_file(), reason=f"exvatools sample not found at {ICIO}"),
]


def assert_printed(got: float, printed: str, what: str) -> None:
    """``got`` rounds to ``printed``: within half a unit of its last decimal (plus 1e-9)."""
    exponent = Decimal(printed).as_tuple().exponent
    assert isinstance(exponent, int)
    tol = 0.5 * 10.0**exponent + 1e-9
    assert abs(got - float(printed)) <= tol, f"{what}: got {got!r}, published {printed}"


@pytest.fixture(scope="module")
def model() -> LeontiefModel:
    return LeontiefModel(read_exvatools_sample(ICIO))


@pytest.fixture(scope="module")
def tiva(model: LeontiefModel) -> TivaResult:
    return tiva_indicators(model, blocs=ICIO_MERGE)


def _split(label: str) -> tuple[str, str]:
    region, sector = label.split("_", 1)
    return region, sector


def test_table_is_read_as_exvatools_reads_it(model: LeontiefModel) -> None:
    t = model.table
    assert t.regions == ("ESP", "FRA", "MEX", "USA", "CHN", "ROW", "MX1", "MX2", "CN1", "CN2")
    assert t.sectors == ("01T09", "10T39", "41T98")
    assert t.categories == ("CONS", "INVST")
    prod = tiva_indicators(model).by_sector["PROD"]
    for label, printed in GOLDEN["production"]["values"].items():
        assert_printed(prod.loc[_split(label)], printed, f"X {label}")


def test_value_added_in_final_demand_split_table(model: LeontiefModel) -> None:
    block = GOLDEN["value_added_in_final_demand_split"]
    got = tiva_indicators(model).fd_va_origin
    for label, values in block["rows"].items():
        for column, printed in zip(block["columns"], values, strict=True):
            assert_printed(got.loc[_split(label), column], printed, f"VBY {label} {column}")


def test_value_added_in_final_demand_melded(tiva: TivaResult) -> None:
    block = GOLDEN["value_added_in_final_demand_melded"]
    for label, values in block["rows"].items():
        for column, printed in zip(block["columns"], values, strict=True):
            got = tiva.fd_va_origin.loc[_split(label), column]
            assert_printed(got, printed, f"meld(VBY) {label} {column}")


def _check_terms(row: pd.Series, published: dict[str, str], what: str) -> None:
    for term, printed in published.items():
        assert_printed(float(row[term]), printed, f"{what} {term}")


def test_bm_source_spain(model: LeontiefModel) -> None:
    row = borin_mancini(model, blocs=ICIO_MERGE).loc["ESP"]
    _check_terms(row, GOLDEN["bm_src_ESP"]["values"], "bm_src ESP")


def test_bm_source_spain_services_to_usa(model: LeontiefModel) -> None:
    flows = borin_mancini(model, blocs=ICIO_MERGE, by_flow=True)
    _check_terms(
        flows.loc[("ESP", "41T98", "USA")],
        GOLDEN["bm_src_ESP_SRVWC_USA"]["values"],
        "bm_src ESP SRVWC->USA",
    )


@pytest.mark.parametrize("perspective", ["source", "sink"])
def test_bm_country_rows_and_groups(model: LeontiefModel, perspective: str) -> None:
    block = GOLDEN["bm_country"]
    terms = None if perspective == "source" else block["sink_terms"]
    plain = borin_mancini(model, perspective=perspective, blocs=ICIO_MERGE)  # type: ignore[arg-type]
    nafta = borin_mancini(model, perspective=perspective, blocs=NAFTA)  # type: ignore[arg-type]
    assert nafta.attrs["absent"]["NAFTA"] == ["CAN"]
    rows: dict[str, Any] = {
        "ESP": plain.loc["ESP"],
        "CHN": plain.loc["CHN"],
        "NAFTA": nafta.loc["NAFTA"],
        "MEX+USA": plain.loc[["MEX", "USA"]].sum(),
    }
    for name, published in block["rows"].items():
        wanted = {k: v for k, v in published.items() if terms is None or k in terms}
        _check_terms(rows[name], wanted, f"bm_{perspective} {name}")


def test_tiva_spain(tiva: TivaResult) -> None:
    row = tiva.country.loc["ESP"]
    checked = 0
    for item in GOLDEN["tiva_ESP"]["values"]:
        if item["indicator"] is None:
            continue
        assert_printed(row[item["indicator"]], item["value"], item["label"])
        checked += 1
    assert checked == 21
    for item in GOLDEN["tiva_ESP"]["percent_of_exports"]:
        assert_printed(row[item["indicator"]], item["value"], f"{item['label']} %")
    # the two participation figures, rebuilt from the partner frame
    partners = tiva.by_partner.loc["ESP"]
    assert_printed(partners["DEXFVAP"].sum(), "2501.78", "DEXFVAP")
    assert_printed(partners["FEXDVAP"].sum(), "3047.87", "FEXDVAP")


def test_foreign_content_of_spanish_exports(model: LeontiefModel, tiva: TivaResult) -> None:
    block = GOLDEN["foreign_content_ESP"]
    rows = block["rows"]
    fc = borin_mancini(model, blocs=ICIO_MERGE, by_flow=True)["FC"].loc["ESP"]
    sectors = GOLDEN["table"]["sector_groups"]
    importers = {"WLD": ["FRA", "MEX", "USA", "CHN", "ROW"], "EU27": ["FRA"]}
    importers["NONEU27"] = ["MEX", "USA", "CHN", "ROW"]
    for group in ("TOTAL", "GOODSWU", "SRVWC"):
        for j, column in enumerate(block["columns"]):
            got = fc.loc[(sectors[group], importers[column])].sum()
            assert_printed(got, rows[f"WLD_{group}"][j], f"FC WLD_{group} {column}")
    origin = tiva.by_partner.loc["ESP", "DEXFVAP"]
    for label, partners in (
        ("EU27_TOTAL", ["FRA"]),
        ("FRA_TOTAL", ["FRA"]),
        ("NONEU27_TOTAL", ["MEX", "USA", "CHN", "ROW"]),
        ("USA_TOTAL", ["USA"]),
    ):
        assert_printed(origin.loc[partners].sum(), rows[label][0], f"FC {label} WLD")


def test_nafta_exports_inside_and_outside_the_bloc(model: LeontiefModel, tiva: TivaResult) -> None:
    block = GOLDEN["nafta_exports"]
    bloc = tiva_indicators(model, blocs=NAFTA)
    assert bloc.blocs["NAFTA"] == ("MEX", "USA", "MX1", "MX2")
    assert bloc.absent["NAFTA"] == ("CAN",)
    world = tiva.by_sector["EXGR"].loc[["MEX", "USA"]].groupby(level="sector").sum()
    extra = bloc.by_sector["EXGR"].loc["NAFTA"]
    groups = {"TOTAL": ["01T09", "10T39", "41T98"], "TOTALxSRVWC": ["01T09", "10T39"]}
    groups["SRVWC"] = ["41T98"]
    for group, sectors in groups.items():
        w, x = world.loc[sectors].sum(), extra.loc[sectors].sum()
        got = {"WLD": w, "NAFTA": w - x, "WLDxNAFTA": x}
        for column, printed in zip(block["columns"], block["rows"][f"NAFTA_{group}"], strict=True):
            assert_printed(got[column], printed, f"EXGR NAFTA_{group} {column}")
    intra = tiva.by_partner.loc[[("MEX", "USA"), ("USA", "MEX")], "EXGR"].sum()
    assert_printed(intra, block["rows"]["NAFTA_TOTAL"][1], "intra-NAFTA exports")


WIOD_SAMPLE = SAMPLES / "wiodtest_data.rda"


@pytest.mark.skipif(not WIOD_SAMPLE.is_file(), reason=f"sample not found at {WIOD_SAMPLE}")
def test_wiod_layout_sample_reads_and_decomposes() -> None:
    """exvatools publishes no figures on ``wiodtest_data``; its layout (6 countries x 3
    industries, 12 final-demand columns, no split countries) must read, and the decompositions
    must close on it: terms add up to gross exports and TiVA's contents split them too."""
    t = read_exvatools_sample(WIOD_SAMPLE)
    assert t.regions == ("ESP", "FRA", "MEX", "USA", "CHN", "ROW")
    assert t.n == 18
    assert t.categories == ("CONS", "INVST")
    model = LeontiefModel(t)
    tiva = tiva_indicators(model).country
    for perspective in ("source", "sink"):
        d = borin_mancini(model, perspective=perspective)  # type: ignore[arg-type]
        parts = d[["DAVAX", "REX", "REF", "DDC", "FVA", "FDC"]].sum(axis=1)
        pd.testing.assert_series_equal(parts, d["EXGR"], check_names=False, rtol=1e-12)
        pd.testing.assert_series_equal(d["DC"], tiva["EXGR_DVA"], check_names=False, rtol=1e-12)
        pd.testing.assert_series_equal(d["FC"], tiva["EXGR_FVA"], check_names=False, rtol=1e-12)
