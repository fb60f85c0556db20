"""The built-in dataset ``wiod2013-eaeu``: shipped inside the package, complete (17 years), valid,
with licence and citation, and (with ``../shared`` beside the checkout) keeping WIOD's totals."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import rdata

import karavan
from karavan.core.aggregation import Concordance
from karavan.datastore import BUILTIN_ROOT, DataStore
from karavan.sources.native import sha256_file

NAME = "wiod2013-eaeu"
YEARS = tuple(range(1995, 2012))
SHARED = Path(__file__).parents[2].parent / "shared" / "data"
WIOD = SHARED / "wiod2013"
CONCORDANCE = BUILTIN_ROOT.parent / "concordances" / "wiod2013_eaeu_regions.csv"
REGIONS = (
    "RUS",
    "CHN",
    "ITA",
    "DEU",
    "JPN",
    "USA",
    "FRA",
    "KOR",
    "NLD",
    "POL",
    "GBR",
    "FIN",
    "EU-other",
    "Other-major",
    "RoW",
)


@pytest.fixture
def store(tmp_path: Path) -> DataStore:
    """An empty user data directory: only the built-in datasets are there."""
    return DataStore(tmp_path / "data")


def test_builtin_ships_inside_the_package(store: DataStore) -> None:
    info = store.info(NAME)
    assert info.builtin
    assert info.path == BUILTIN_ROOT / NAME
    assert Path(karavan.__file__).parent in info.path.parents
    assert not list(info.path.rglob("*.RData"))  # the raw files are not committed
    size = sum(p.stat().st_size for p in info.path.rglob("*") if p.is_file())
    assert size <= 10e6


def test_builtin_loads_without_reading_shared(tmp_path: Path) -> None:
    """In a fresh process, loading and validating opens no file under ../shared."""
    code = f"""
import sys
opened = []
def hook(event, args):
    if event == "open" and args and isinstance(args[0], (str, bytes)):
        opened.append(str(args[0]))
sys.addaudithook(hook)
from karavan.datastore import DataStore
t = DataStore({str(tmp_path)!r}).load({NAME!r}, 2011, verify=True)
assert t.validate().passed
shared = [p for p in opened if {str(SHARED.parent)!r} in p]
assert not shared, shared
print(t.n_regions, len(opened))
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[0] == str(len(REGIONS))


def test_builtin_lists_17_years_with_licence_and_citation(store: DataStore) -> None:
    info = next(d for d in store.list() if d.name == NAME)
    assert info.years == YEARS
    assert info.title == "WIOD 2013, 1995-2011, aggregated for EAEU analysis"
    p = info.provenance
    assert (p.source, p.licence, p.edition) == ("WIOD 2013 release", "CC BY 4.0", "November 2013")
    assert p.citation.startswith("Timmer, M. P., Dietzenbacher, E., Los, B., Stehrer, R.")
    assert p.derived_by == "scripts/build_builtin.py"
    assert [f["name"] for f in p.raw_files] == [f"wiot_{y}.RData" for y in YEARS]
    assert "Kazakhstan, Belarus, Armenia and Kyrgyzstan" in p.notes
    readme = (info.path / "README.md").read_text()
    assert "CC BY 4.0" in readme
    assert "make builtin" in readme


def test_every_year_loads_verified_and_validates(store: DataStore) -> None:
    for year in YEARS:
        t = store.load(NAME, year, verify=True)  # checksums of every file against table.json
        assert t.regions == REGIONS
        assert t.n_sectors == 35
        assert (t.meta.year, t.meta.licence) == (year, "CC BY 4.0")
        report = t.validate()
        assert report.passed, (year, [c.message for c in report.failures])


def test_concordance_maps_every_wiod_region_once() -> None:
    frame = pd.read_csv(CONCORDANCE, comment="#", dtype=str)
    assert len(frame) == 41
    assert frame["source"].is_unique
    mapping = dict(zip(frame["source"], frame["target"], strict=True))
    assert mapping["RUS"] == "RUS"
    assert mapping["CHN"] == "CHN"
    assert mapping["RoW"] == "RoW"
    assert mapping["AUT"] == "EU-other"
    assert mapping["ROM"] == "EU-other"
    assert mapping["BRA"] == "Other-major"
    assert tuple(dict.fromkeys(frame["target"])) == REGIONS


@pytest.mark.shared
@pytest.mark.skipif(not WIOD.is_dir(), reason=f"reference data not found at {WIOD}")
def test_builtin_keeps_the_raw_wiod_totals(store: DataStore) -> None:
    info = store.info(NAME)
    recorded = {f["name"]: f["sha256"] for f in info.provenance.raw_files}
    for year in YEARS:
        path = WIOD / f"wiot_{year}.RData"
        assert recorded[path.name] == sha256_file(path)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # Missing constructor for R class "iot"
            obj = rdata.read_rda(path)[f"wiot_{year}"]
        countries = [str(c) for c in obj["countries"]]
        x = np.asarray(obj["output"], dtype=np.float64)
        va = x - np.asarray(obj["inter"], dtype=np.float64).sum(axis=0)

        def region(values: np.ndarray, code: str, labels: list[str]) -> float:
            k = labels.index(code)
            return float(values[k * 35 : (k + 1) * 35].sum())

        t = store.load(NAME, year)
        totals = t.totals()
        assert totals["output"].sum() == x.sum()
        assert totals.loc["RUS", "output"] == region(x, "RUS", countries)
        assert totals.loc["CHN", "value_added"] == region(va, "CHN", countries)
        members = Concordance.from_frame(
            countries, pd.read_csv(CONCORDANCE, comment="#", dtype=str)
        )
        j = members.target.index("EU-other")
        eu = [c for c, w in zip(countries, members.weights, strict=True) if w[j] == 1]
        assert totals.loc["EU-other", "output"] == sum(region(x, c, countries) for c in eu)
