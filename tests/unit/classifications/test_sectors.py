"""WIOD 2013 sectors in ISIC Rev.3 and the OECD technology-intensity groups."""

from __future__ import annotations

import pandas as pd
import pytest

from karavan.classifications import (
    TECHNOLOGY_GROUPS,
    isic4_labels,
    technology_intensity,
    wiod_sectors_to_isic3,
)
from karavan.classifications.store import DATA
from karavan.errors import DatasetNotFoundError, LabelError

RAW_ISIC3_DIVISIONS = (
    ["01", "02", "05", "10", "11", "12", "13", "14"]
    + [f"{d}" for d in range(15, 38)]
    + ["40", "41", "45", "50", "51", "52", "55", "60", "61", "62", "63", "64", "65", "66", "67"]
    + ["70", "71", "72", "73", "74", "75", "80", "85", "90", "91", "92", "93", "95"]
)


def test_wiod_sectors_cover_isic3_once() -> None:
    table = wiod_sectors_to_isic3()
    assert len(table) == 59
    assert sorted(table["isic3_division"]) == sorted(RAW_ISIC3_DIVISIONS)
    sectors = pd.read_csv(DATA / "sectors_wiod35.csv", comment="#")
    order = table.drop_duplicates("index")
    assert order["sector"].tolist() == sectors["code"].tolist()
    assert order["index"].tolist() == list(range(1, 36))
    by_code = table.groupby("wiod_code", sort=False)["isic3_division"].apply(list).to_dict()
    assert by_code["AtB"] == ["01", "02", "05"]
    assert by_code["30t33"] == ["30", "31", "32", "33"]
    assert by_code["71t74"] == ["71", "72", "73", "74"]
    assert by_code["P"] == ["95"]


def test_hatzichronoglou_by_isic3() -> None:
    tech = technology_intensity("hatzichronoglou1997").set_index("isic3")["group"]
    assert tech.value_counts().to_dict() == {
        "low": 10,
        "medium-low": 6,
        "medium-high": 6,
        "high": 5,
    }
    assert tech["2423"] == "high"
    assert tech["24"] == "medium-high"
    assert tech["351"] == "medium-low"
    assert tech["353"] == "high"


def test_oecd2016_by_isic4() -> None:
    tech = technology_intensity().set_index("isic4")["group"]
    assert (
        tech.to_dict()
        == technology_intensity("oecd2016", by="isic4").set_index("isic4")["group"].to_dict()
    )
    by_group = {g: sorted(tech[tech == g].index) for g in TECHNOLOGY_GROUPS["oecd2016"]}
    assert by_group == {
        "high": ["21", "26", "303"],
        "medium-high": ["20", "252", "27", "28", "29", "302", "304", "309", "325"],
        "medium": ["22", "23", "24", "301", "32", "33"],
        "medium-low": [
            "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "25", "31",
        ],
        "low": [],
    }  # fmt: skip
    # every manufacturing division 10-33 is covered, by itself or by all of its groups
    covered = {c[:2] for c in tech.index}
    assert covered == {f"{d}" for d in range(10, 34)}
    labels = set(isic4_labels()["code"])
    assert set(tech.index) <= labels


def test_hatzichronoglou_by_wiod35() -> None:
    tech = technology_intensity("hatzichronoglou1997", by="wiod35")
    assert tech["index"].tolist() == list(range(3, 17))
    got = dict(zip(tech["wiod_code"], tech["groups"], strict=True))
    assert got == {
        "15t16": "low",
        "17t18": "low",
        "19": "low",
        "20": "low",
        "21t22": "low",
        "23": "medium-low",
        "24": "high;medium-high",
        "25": "medium-low",
        "26": "medium-low",
        "27t28": "medium-low",
        "29": "medium-high",
        "30t33": "high;medium-high",
        "34t35": "high;medium-high;medium-low",
        "36t37": "low",
    }
    assert tech.set_index("wiod_code").loc["24", "group"] == "mixed"


def test_missing_breakdowns_say_so() -> None:
    with pytest.raises(DatasetNotFoundError, match="not shipped by 'wiod35'; shipped: 'isic4'"):
        technology_intensity("oecd2016", by="wiod35")
    with pytest.raises(DatasetNotFoundError, match="not shipped by 'isic4'"):
        technology_intensity("hatzichronoglou1997", by="isic4")
    with pytest.raises(LabelError, match="unknown technology-intensity breakdown 'isic2'"):
        technology_intensity(by="isic2")  # type: ignore[arg-type]
    with pytest.raises(LabelError, match="did you mean 'hatzichronoglou1997'"):
        technology_intensity("hatzichronoglou")  # type: ignore[arg-type]
