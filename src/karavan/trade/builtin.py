"""The built-in trade data shipped in ``karavan/data/trade`` (see its README for sources,
licences and citations; ``scripts/build_trade.py`` derives them from the reference files).

Two datasets:

- ``world-sitc2``: exports of 226 economies (incl. RUS, KAZ, BLR, ARM, KGZ and CHN) by SITC
  Rev.2 4-digit product, 1998-2000 average, year-2000 USD (R package ``economiccomplexity``,
  Apache-2.0). **Exports to the world only: no partner dimension, hence no imports.**
- ``baci-kaz-hs02``: Kazakhstan's exports by HS 2002 6-digit product in 2002, 2019 and 2021,
  USD thousand (CEPII BACI V202301, Etalab Open Licence 2.0); for 2021 also its exports to its
  five largest partners (China, Russia, Greece, the United Kingdom, Germany), a partial
  partner dimension. One exporter only: enough for Kazakhstan's basket and its trade with
  Russia, not for RCA (which needs the world) nor for Kazakhstan's imports.

Also: population by country and year (World Bank WDI, CC BY 4.0), GDP per capita 1998-2000,
ISO 3166 / M49 country codes with English and Russian names (PDDL).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from karavan.errors import DatasetNotFoundError
from karavan.trade.table import TradeMetadata, TradeTable

__all__ = [
    "TRADE_DATA",
    "BuiltinTradeDataset",
    "builtin_trade_datasets",
    "country_names",
    "gdp_per_capita",
    "load_builtin_trade",
    "m49_codes",
    "population",
]

TRADE_DATA = Path(__file__).resolve().parent.parent / "data" / "trade"

WORLD_CITATION = (
    "Vargas, M. (2024). economiccomplexity: Computational Methods for Economic Complexity. "
    "R package (data: world_trade_avg_1998_to_2000, world_gdp_avg_1998_to_2000). "
    "Population: World Bank, World Development Indicators (CC BY 4.0)."
)
BACI_CITATION = (
    "Gaulier, G. and Zignago, S. (2010). BACI: International Trade Database at the "
    "Product-Level. The 1994-2007 Version. CEPII Working Paper 2010-23. Release V202301."
)


@dataclass(frozen=True)
class BuiltinTradeDataset:
    """What a built-in trade dataset holds, for listings."""

    name: str
    title: str
    years: tuple[int | None, ...]
    classification: str
    unit: str
    exporters: int
    partners: str
    licence: str
    citation: str
    notes: str


@cache
def _world_countries() -> pd.DataFrame:
    return pd.read_csv(TRADE_DATA / "world_countries.csv", keep_default_na=False, na_values=[""])


@cache
def _hs_products() -> pd.DataFrame:
    return pd.read_parquet(TRADE_DATA / "hs02_products.parquet")


@cache
def _sitc_sections() -> dict[str, str]:
    frame = pd.read_csv(TRADE_DATA / "sitc2_sections.csv", dtype=str)
    return dict(zip(frame["section"], frame["name"], strict=True))


def builtin_trade_datasets() -> list[BuiltinTradeDataset]:
    """The built-in trade datasets."""
    return [
        BuiltinTradeDataset(
            name="world-sitc2",
            title="World exports by SITC Rev.2 4-digit product, 1998-2000 average",
            years=(None,),
            classification="SITC Rev.2 4-digit",
            unit="USD (year-2000 prices)",
            exporters=len(_world_countries()),
            partners="none (exports to the world; no imports)",
            licence="Apache-2.0 (economiccomplexity data); population CC BY 4.0 (World Bank)",
            citation=WORLD_CITATION,
            notes="SITC sections as product groups; no product names in the source.",
        ),
        BuiltinTradeDataset(
            name="baci-kaz-hs02",
            title="Kazakhstan's exports by HS 2002 6-digit product (CEPII BACI)",
            years=(2002, 2019, 2021),
            classification="HS 2002 6-digit",
            unit="USD thousand",
            exporters=1,
            partners="2021 only, partial: China, Russia, Greece, United Kingdom, Germany",
            licence="Etalab Open Licence 2.0 (CEPII BACI)",
            citation=BACI_CITATION,
            notes="One exporter (KAZ): no RCA or complexity on its own.",
        ),
    ]


def load_builtin_trade(name: str = "world-sitc2", year: int | None = None) -> TradeTable:
    """A built-in trade table: ``world-sitc2`` (no year) or ``baci-kaz-hs02`` (2002, 2019 or
    2021; the 2021 table has the partial partner dimension)."""
    if name == "world-sitc2":
        if year is not None:
            raise DatasetNotFoundError(
                f"'world-sitc2' is one period (the 1998-2000 average); got --year {year}"
            )
        return _world_table()
    if name == "baci-kaz-hs02":
        if year is None:
            year = 2021
        if year not in (2002, 2019, 2021):
            raise DatasetNotFoundError(
                f"'baci-kaz-hs02' holds 2002, 2019 and 2021; got year {year}"
            )
        return _kaz_table(year)
    known = ", ".join(d.name for d in builtin_trade_datasets())
    raise DatasetNotFoundError(f"no built-in trade dataset {name!r}; known: {known}")


@cache
def _world_table() -> TradeTable:
    frame = pd.read_parquet(TRADE_DATA / "world_sitc2_exports.parquet")
    sections = _sitc_sections()
    products = sorted(frame["product"].unique())
    meta = TradeMetadata(
        source="economiccomplexity (R package) world trade data",
        edition="world_trade_avg_1998_to_2000",
        classification="SITC Rev.2 4-digit",
        currency="USD",
        unit="",
        period="1998-2000 average, year-2000 prices",
        licence="Apache-2.0",
        citation=WORLD_CITATION,
        notes="Exports to the world only: there is no partner dimension, so no imports. "
        "Values are best read as structure (shares, RCA): their world total is far below "
        "published world exports.",
        product_names={p: f"SITC {p}" for p in products},
        product_groups={p: f"{p[0]} {sections[p[0]]}" for p in products},
    )
    return TradeTable.from_frame(
        frame, year=None, meta=meta, exporters=sorted(frame["exporter"].unique()), products=products
    )


def _hs_meta(products: list[str], notes: str) -> TradeMetadata:
    hs = _hs_products().set_index("product")
    desc = hs["description"].to_dict()
    group = (hs["section"].astype(str) + " " + hs["section_name"]).to_dict()
    return TradeMetadata(
        source="CEPII BACI",
        edition="V202301, HS 2002",
        classification="HS 2002 6-digit",
        currency="USD",
        unit="thousand",
        licence="Etalab Open Licence 2.0",
        citation=BACI_CITATION,
        notes=notes,
        product_names={p: str(desc.get(p, "")) for p in products},
        product_groups={p: str(group.get(p, "")) for p in products},
    )


@cache
def _kaz_table(year: int) -> TradeTable:
    exports = pd.read_parquet(TRADE_DATA / "baci_kaz_hs02_exports.parquet")
    exports = exports[exports["year"] == year]
    products = sorted(exports["product"])
    X = exports.set_index("product")["value"].reindex(products).to_numpy(np.float64)[None, :]
    if year != 2021:
        return TradeTable.from_arrays(
            exporters=["KAZ"],
            products=products,
            X=X,
            year=year,
            meta=_hs_meta(products, "Kazakhstan's exports to the world; no partners."),
        )
    partners = pd.read_parquet(TRADE_DATA / "baci_kaz_hs02_partners.parquet")
    importers = sorted(partners["importer"].unique())
    pos = {p: j for j, p in enumerate(products)}
    flows = np.zeros((1, len(importers), len(products)))
    im = {m: i for i, m in enumerate(importers)}
    for m, p, v in zip(partners["importer"], partners["product"], partners["value"], strict=True):
        flows[0, im[m], pos[p]] = v
    return TradeTable.from_arrays(
        exporters=["KAZ"],
        products=products,
        X=X,
        importers=importers,
        flows=flows,
        coverage="partial",
        year=year,
        meta=_hs_meta(
            products,
            "Partners: Kazakhstan's five largest (CHN, RUS, GRC, GBR, DEU); its exports to "
            "all other partners, Belarus, Armenia and Kyrgyzstan included, are not broken "
            "down.",
        ),
    )


@cache
def _population() -> pd.DataFrame:
    return pd.read_parquet(TRADE_DATA / "population.parquet")


def population(year: int | None = None) -> pd.Series:
    """Population by ISO3 country: for ``year``, or (``None``) the 1998-2000 average that goes
    with ``world-sitc2``. World Bank WDI, CC BY 4.0."""
    if year is None:
        world = _world_countries().dropna(subset=["population"])
        return pd.Series(
            world["population"].to_numpy(np.float64),
            index=pd.Index(world["country"].astype(str), name="country"),
            name="population",
        )
    pop = _population()
    part = pop[pop["year"] == year]
    if part.empty:
        years = sorted(set(pop["year"].tolist()))
        raise DatasetNotFoundError(
            f"no built-in population for {year}; it covers {years[0]}-{years[-1]}"
        )
    return pd.Series(
        part["population"].to_numpy(np.float64),
        index=pd.Index(part["country"].astype(str), name="country"),
        name="population",
    )


def gdp_per_capita() -> pd.Series:
    """GDP per capita, 1998-2000 average, year-2000 USD (``economiccomplexity`` data)."""
    world = _world_countries().dropna(subset=["gdp_per_capita"])
    return pd.Series(
        world["gdp_per_capita"].to_numpy(np.float64),
        index=pd.Index(world["country"].astype(str), name="country"),
        name="gdp_per_capita",
    )


@cache
def m49_codes() -> pd.DataFrame:
    """M49 / ISO 3166 numeric code -> ISO3, English and Russian names (incl. BACI's codes for
    grouped territories, e.g. 842 USA, 757 CHE, 490 'S19' Other Asia n.e.s.)."""
    return pd.read_csv(
        TRADE_DATA / "countries_m49.csv",
        dtype={"m49": "int64", "iso3": "str", "name": "str", "name_ru": "str"},
        keep_default_na=False,
    )


def country_names(language: str = "en") -> dict[str, str]:
    """ISO3 -> country name in English (``en``) or Russian (``ru``)."""
    codes = m49_codes().drop_duplicates("iso3")
    column = {"en": "name", "ru": "name_ru"}.get(language)
    if column is None:
        raise DatasetNotFoundError(f"country names exist in 'en' and 'ru'; got {language!r}")
    names = dict(zip(codes["iso3"], codes[column], strict=True))
    world = _world_countries()
    for c, en, ru in zip(world["country"], world["name"], world["name_ru"], strict=True):
        names.setdefault(str(c), str(en if column == "name" else ru))
    return names
