"""The WIOD 2013 reader on the real release in ``../shared/data/wiod2013`` (skipped without it):
full resolution, exact agreement with the raw arrays, balance within rounding, all 17 years."""

from __future__ import annotations

import csv
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import rdata

from karavan.errors import NonFiniteError, ParseError
from karavan.sources import wiod2013
from karavan.sources.formats import detect_format, read_path
from karavan.sources.native import sha256_file
from karavan.sources.wiod2013_labels import CATEGORIES, sectors

SHARED = Path(__file__).parents[2].parent / "shared" / "data"
WIOD = SHARED / "wiod2013"
YEARS = range(1995, 2012)

pytestmark = [
    pytest.mark.shared,
    pytest.mark.skipif(not WIOD.is_dir(), reason=f"reference data not found at {WIOD}"),
]


def raw(year: int) -> dict[str, Any]:
    """The R list as rdata reads it, arrays as float64."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Missing constructor for R class "iot"
        obj = rdata.read_rda(WIOD / f"wiot_{year}.RData")[f"wiot_{year}"]
    return {
        "countries": [str(c) for c in obj["countries"]],
        "inter": np.asarray(obj["inter"], dtype=np.float64),
        "final": np.asarray(obj["final"], dtype=np.float64),
        "output": np.asarray(obj["output"], dtype=np.float64),
    }


@pytest.fixture(scope="module")
def wiot_2011() -> Any:
    return wiod2013.read_rdata(WIOD / "wiot_2011.RData")


def test_2011_reads_at_full_resolution(wiot_2011: Any) -> None:
    t = wiot_2011
    assert (t.n_regions, t.n_sectors, len(t.categories)) == (41, 35, 5)
    assert t.categories == CATEGORIES
    assert t.regions[:3] == ("AUS", "AUT", "BEL")
    assert {"RUS", "CHN", "ROM"} <= set(t.regions)
    assert t.regions[-1] == "RoW"
    with (SHARED / "adb-derived" / "sectors.csv").open(newline="") as fh:
        published = list(csv.DictReader(fh))
    assert t.sectors == tuple(r["c_abv"] for r in published)
    assert dict(t.meta.sector_names) == {r["c_abv"]: r["c_name"] for r in published}
    assert [s.code for s in sectors().values()] == [r["c_abv"] for r in published]


def test_2011_equals_the_raw_arrays(wiot_2011: Any) -> None:
    r = raw(2011)
    assert list(wiot_2011.regions) == r["countries"]
    np.testing.assert_array_equal(wiot_2011.x, r["output"])
    np.testing.assert_array_equal(wiot_2011.Z, r["inter"])
    np.testing.assert_array_equal(wiot_2011.Y, r["final"])
    np.testing.assert_array_equal(wiot_2011.value_added, r["output"] - r["inter"].sum(axis=0))


def test_2011_totals_equal_the_raw_sums(wiot_2011: Any) -> None:
    r = raw(2011)
    totals = wiot_2011.totals()
    assert totals["output"].sum() == r["output"].sum()
    k = r["countries"].index("RUS")
    assert totals.loc["RUS", "output"] == r["output"][k * 35 : (k + 1) * 35].sum()
    c = r["countries"].index("CHN")
    chn_va = (r["output"] - r["inter"].sum(axis=0))[c * 35 : (c + 1) * 35].sum()
    assert totals.loc["CHN", "value_added"] == chn_va
    assert totals["final_demand"].sum() == r["final"].sum()


def test_2011_balances_within_rounding(wiot_2011: Any) -> None:
    t = wiot_2011
    d = t.x - t.Z.sum(axis=1) - t.Y.sum(axis=1)
    worst = float(np.abs(d).max())
    assert 0 < worst <= 110  # published entries are whole numbers: rows are off by up to ~110
    assert float(np.abs(t.x - t.Z.sum(axis=0) - t.V.sum(axis=0)).max()) == 0.0
    report = t.validate()
    assert report.passed, [c.message for c in report.failures]
    assert report.info["zero_output_industries"] == 22


def test_every_year_reads_and_validates() -> None:
    worst = {}
    for year in YEARS:
        path = WIOD / f"wiot_{year}.RData"
        assert detect_format(path).name == "wiod2013-rdata"
        (t,), prov = read_path(path)  # raises the typed error of any failed check
        assert (t.meta.year, t.n_regions, t.n_sectors) == (year, 41, 35)
        assert prov.raw_files[0]["sha256"] == sha256_file(path)
        worst[year] = float(np.abs(t.x - t.Z.sum(axis=1) - t.Y.sum(axis=1)).max())
    assert max(worst.values()) == 113.0  # 2000, POL/CCP
    assert min(worst.values()) > 0


def test_truncated_copy_names_the_file(tmp_path: Path) -> None:
    data = (WIOD / "wiot_2011.RData").read_bytes()
    cut = tmp_path / "wiot_2011.RData"
    cut.write_bytes(data[: len(data) // 3])
    assert wiod2013.sniff_rdata(cut)
    with pytest.raises(ParseError) as err:
        read_path(cut)
    assert err.value.path == str(cut)
    assert str(cut) in str(err.value)


def test_nan_in_a_real_table_names_row_and_column(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        obj = rdata.read_rda(WIOD / "wiot_2011.RData")["wiot_2011"]
    countries = [str(c) for c in obj["countries"]]
    inter = np.asarray(obj["inter"], dtype=np.float64)
    rus, chn = countries.index("RUS"), countries.index("CHN")
    inter[rus * 35 + 1, chn * 35 + 11] = np.nan  # RUS mining -> CHN basic metals
    wiot = {
        "year": np.asarray(obj["year"]),
        "countries": np.array(countries),
        "industries": np.array([str(s) for s in obj["industries"]]),
        "inter": inter,
        "final": np.asarray(obj["final"]),
        "output": np.asarray(obj["output"]),
    }
    path = tmp_path / "wiot_2011.RData"
    rdata.write_rda(path, {"wiot_2011": wiot})
    with pytest.raises(NonFiniteError) as err:
        read_path(path)
    assert str(err.value) == (
        f"{path}: inter holds 1 missing or non-finite value(s); first at row RUS/MIN, "
        "column CHN/MFM: nan"
    )
