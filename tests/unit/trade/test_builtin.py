"""The built-in trade data: what ships, and (with ../shared/data) that it equals its sources."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from karavan.errors import DatasetNotFoundError
from karavan.trade.builtin import (
    TRADE_DATA,
    builtin_trade_datasets,
    country_names,
    gdp_per_capita,
    load_builtin_trade,
    m49_codes,
    population,
)


def test_world_table() -> None:
    t = load_builtin_trade("world-sitc2")
    assert t.shape == (226, 785)
    assert t.coverage == "none"
    assert t.year is None
    assert {"RUS", "KAZ", "BLR", "ARM", "KGZ", "CHN", "ROU"} <= set(t.exporters)
    assert t.meta.product_groups["7284"] == "7 Machinery and transport equipment"
    assert int((t.X > 0).sum()) == 124_336
    assert t.X[t.exporters.index("JPN")].sum() == 3_908_601_251.0
    with pytest.raises(DatasetNotFoundError, match="one period"):
        load_builtin_trade("world-sitc2", 2000)


def test_kazakhstan_tables() -> None:
    t = load_builtin_trade("baci-kaz-hs02", 2021)
    assert t.exporters == ("KAZ",)
    assert t.coverage == "partial"
    assert t.importers == ("CHN", "DEU", "GBR", "GRC", "RUS")
    assert t.X[0, t.products.index("270900")] == pytest.approx(21_834_545.2, abs=0.5)
    assert t.flows_between(["KAZ"], ["RUS"]).sum() == pytest.approx(6_021_824.0, rel=1e-6)
    assert t.meta.product_names["740311"].startswith("Copper: refined")
    assert load_builtin_trade("baci-kaz-hs02", 2002).shape == (1, 1506)
    with pytest.raises(DatasetNotFoundError, match="2002, 2019 and 2021"):
        load_builtin_trade("baci-kaz-hs02", 2010)
    assert [d.name for d in builtin_trade_datasets()] == ["world-sitc2", "baci-kaz-hs02"]


def test_countries_and_population() -> None:
    codes = m49_codes().set_index("m49")["iso3"]
    assert (codes[398], codes[643], codes[842], codes[490]) == ("KAZ", "RUS", "USA", "S19")
    assert country_names("ru")["KAZ"] == "Казахстан"
    assert population(2021)["KAZ"] == 19_743_603.0
    assert population()["RUS"] == pytest.approx(147_160_809.67, rel=1e-9)
    assert gdp_per_capita()["KAZ"] == 2907.0


@pytest.mark.shared
def test_built_in_data_equal_their_sources(shared_data: Path) -> None:
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        raw = rdata.read_rda(str(shared_data / "trade" / "world_trade_avg_1998_to_2000.rda"))
    (frame,) = raw.values()
    t = load_builtin_trade("world-sitc2")
    assert float(frame["value"].sum()) == pytest.approx(float(t.X.sum()), rel=1e-15)
    kaz = frame[frame["country"] == "kaz"].set_index("product")["value"]
    row = t.exports().loc["KAZ"]
    np.testing.assert_array_equal(row[row > 0].sort_index().to_numpy(), kaz.sort_index().to_numpy())
    baci = pd.read_csv(shared_data / "trade" / "baci_kaz_exports_2019.csv", dtype={"k": str})
    t19 = load_builtin_trade("baci-kaz-hs02", 2019)
    assert t19.X.sum() == pytest.approx(baci["v"].sum(), rel=1e-14)
    pop = pd.read_csv(shared_data / "macro" / "population.csv")
    kz = pop[(pop["Country Code"] == "KAZ") & (pop["Year"] == 2021)]["Value"].iloc[0]
    assert population(2021)["KAZ"] == kz
    assert not any(p.suffix == ".rda" for p in TRADE_DATA.iterdir())
