"""Derive Karavan's built-in trade data from the shared reference files.

Reads ``../shared/data`` (never read by the product at run time) and writes compact derived
files to ``src/karavan/data/trade/``:

- ``world_sitc2_exports.parquet``  exporter (ISO3), product (SITC Rev.2 4-digit), value:
  world exports, 1998-2000 average, year-2000 USD, from ``trade/world_trade_avg_1998_to_2000.rda``
  (R package ``economiccomplexity``, Apache-2.0)
- ``world_countries.csv``  country, name, name_ru, gdp_per_capita (1998-2000 average,
  year-2000 USD, same package), population (1998-2000 average, World Bank WDI, CC BY 4.0)
- ``sitc2_sections.csv``  the ten SITC Rev.2 sections (classification facts, UN)
- ``baci_kaz_hs02_exports.parquet``  year, product (HS 2002 6-digit), value (USD thousand):
  Kazakhstan's exports in 2002, 2019 and 2021 (CEPII BACI V202301, Etalab Open Licence 2.0)
- ``baci_kaz_hs02_partners.parquet``  year, importer (ISO3), product, value, quantity:
  Kazakhstan's 2021 exports to its five largest partners (same source)
- ``hs02_products.parquet``  product, description, section, section_name (HS 2002, from BACI)
- ``countries_m49.csv``  m49, iso3, name, name_ru (datasets/country-codes, PDDL), with the
  codes BACI uses for territories it groups
- ``population.parquet``  country (ISO3), year, population, 1995 onwards (World Bank WDI,
  CC BY 4.0; countries only, no aggregates)

    python scripts/build_trade.py [--shared PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import rdata

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "karavan" / "data" / "trade"

SITC2_SECTIONS = {
    "0": "Food and live animals",
    "1": "Beverages and tobacco",
    "2": "Crude materials, inedible, except fuels",
    "3": "Mineral fuels, lubricants and related materials",
    "4": "Animal and vegetable oils, fats and waxes",
    "5": "Chemicals and related products, n.e.s.",
    "6": "Manufactured goods classified chiefly by material",
    "7": "Machinery and transport equipment",
    "8": "Miscellaneous manufactured articles",
    "9": "Commodities and transactions not classified elsewhere in the SITC",
}

CODE_FIXES = {"rom": "ROU"}
"""Lower-case codes of the economiccomplexity data that are not ISO 3166-1: ``rom`` is the old
UNDP code of Romania (ISO3 ``ROU``). ``ant`` (Netherlands Antilles) and ``scg`` (Serbia and
Montenegro) are withdrawn ISO codes (ISO 3166-3) and are kept as ``ANT`` and ``SCG``."""

BACI_SPECIAL = {
    58: ("BLX", "Belgium-Luxembourg", "Бельгия-Люксембург"),
    251: ("FRA", "France (incl. Monaco)", "Франция"),
    381: ("ITA", "Italy (incl. San Marino and Holy See)", "Италия"),
    490: ("S19", "Other Asia, n.e.s.", ""),
    579: ("NOR", "Norway (incl. Svalbard and Jan Mayen)", "Норвегия"),
    699: ("IND", "India", "Индия"),
    757: ("CHE", "Switzerland (incl. Liechtenstein)", "Швейцария"),
    842: ("USA", "United States (incl. Puerto Rico and US Virgin Islands)", "США"),
}
"""Country codes of BACI (and UN Comtrade) that are not ISO 3166-1 numeric codes, with the
ISO3 code of the main territory (BACI's country file gives the same)."""

WITHDRAWN = {
    "ANT": ("Netherlands Antilles", "Нидерландские Антильские острова"),
    "SCG": ("Serbia and Montenegro", "Сербия и Черногория"),
}
"""Names of the two withdrawn ISO codes in the world data (ISO 3166-3)."""

WDI_YEARS = (1995, 2024)


def read_rda(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = rdata.read_rda(str(path))
    (frame,) = data.values()
    return pd.DataFrame(frame).reset_index(drop=True)


def iso3(code: str) -> str:
    return CODE_FIXES.get(code, code.upper())


def build_countries(shared: Path) -> pd.DataFrame:
    cc = pd.read_csv(
        shared / "classifications" / "country-codes.csv", dtype=str, keep_default_na=False
    )
    cc = cc[(cc["M49"] != "") & (cc["ISO3166-1-Alpha-3"] != "")]
    out = pd.DataFrame(
        {
            "m49": cc["M49"].astype(int),
            "iso3": cc["ISO3166-1-Alpha-3"],
            "name": cc["CLDR display name"].where(
                cc["CLDR display name"] != "", cc["UNTERM English Short"]
            ),
            "name_ru": cc["UNTERM Russian Short"],
        }
    )
    special = pd.DataFrame(
        [(k, *v) for k, v in BACI_SPECIAL.items()], columns=["m49", "iso3", "name", "name_ru"]
    )
    out = pd.concat([out[~out["m49"].isin(special["m49"])], special], ignore_index=True)
    return out.sort_values("m49").reset_index(drop=True)


def build_population(shared: Path, iso_codes: set[str]) -> pd.DataFrame:
    pop = pd.read_csv(shared / "macro" / "population.csv")
    pop = pop.rename(columns={"Country Code": "country", "Year": "year", "Value": "population"})
    pop = pop[pop["country"].isin(iso_codes)]
    pop = pop[(pop["year"] >= WDI_YEARS[0]) & (pop["year"] <= WDI_YEARS[1])]
    pop = pop[["country", "year", "population"]].astype(
        {"country": "string", "year": "int16", "population": "float64"}
    )
    return pop.sort_values(["country", "year"]).reset_index(drop=True)


def build_world(
    shared: Path, countries: pd.DataFrame, pop: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    trade = read_rda(shared / "trade" / "world_trade_avg_1998_to_2000.rda")
    gdp = read_rda(shared / "trade" / "world_gdp_avg_1998_to_2000.rda")
    exports = pd.DataFrame(
        {
            "exporter": [iso3(str(c)) for c in trade["country"]],
            "product": trade["product"].astype(str),
            "value": trade["value"].astype("float64"),
        }
    )
    if exports.duplicated(["exporter", "product"]).any():
        raise SystemExit("world trade: a (country, product) pair appears twice")
    if (exports["value"] <= 0).any() or not np.isfinite(exports["value"]).all():
        raise SystemExit("world trade: values must be positive and finite")
    if not exports["product"].str.fullmatch(r"\d{4}").all():
        raise SystemExit("world trade: products must be 4-digit SITC codes")
    exporters = sorted(exports["exporter"].unique())
    avg_pop = (
        pop[pop["year"].between(1998, 2000)].groupby("country")["population"].agg(["mean", "count"])
    )
    avg_pop = avg_pop[avg_pop["count"] == 3]["mean"]
    gdp_pc = pd.Series(gdp["value"].to_numpy(float), index=[iso3(str(c)) for c in gdp["country"]])
    names = countries.drop_duplicates("iso3").set_index("iso3")
    table = pd.DataFrame({"country": exporters})
    table["name"] = [names["name"].get(c, WITHDRAWN.get(c, ("",))[0]) for c in exporters]
    table["name_ru"] = [names["name_ru"].get(c, WITHDRAWN.get(c, ("", ""))[1]) for c in exporters]
    table["gdp_per_capita"] = [gdp_pc.get(c, np.nan) for c in exporters]
    table["population"] = [avg_pop.get(c, np.nan) for c in exporters]
    return exports.sort_values(["exporter", "product"]).reset_index(drop=True), table


def hs6(values: pd.Series) -> pd.Series:
    text = values.astype(str).str.strip()
    if not text.str.fullmatch(r"\d{5,6}").all():
        bad = text[~text.str.fullmatch(r"\d{5,6}")].iloc[0]
        raise SystemExit(f"BACI extract: product code {bad!r} is not an HS6 code")
    return text.str.zfill(6)


def build_kaz(
    shared: Path, countries: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    frames, products = [], []
    for year in (2002, 2019, 2021):
        raw = pd.read_csv(shared / "trade" / f"baci_kaz_exports_{year}.csv", dtype={"k": str})
        if set(raw["t"]) != {year} or set(raw["i"]) != {398}:
            raise SystemExit(f"baci_kaz_exports_{year}.csv: expected t={year} and i=398 only")
        k = hs6(raw["k"])
        frames.append(pd.DataFrame({"year": year, "product": k, "value": raw["v"].astype(float)}))
        products.append(
            pd.DataFrame(
                {
                    "product": k,
                    "description": raw["hs02_desc"].astype(str),
                    "section": raw["section"].astype(int),
                    "section_name": raw["section_name"].astype(str),
                }
            )
        )
    exports = pd.concat(frames, ignore_index=True)
    if exports.duplicated(["year", "product"]).any():
        raise SystemExit("BACI extracts: a (year, product) pair appears twice")
    exports = exports.astype({"year": "int16"})
    raw = pd.read_csv(shared / "trade" / "baci_kaz_partners_2021.csv", dtype={"k": str})
    by_m49 = countries.set_index("m49")["iso3"]
    unknown = sorted(set(raw["j"]) - set(by_m49.index))
    if unknown:
        raise SystemExit(f"BACI partners: unknown country codes {unknown}")
    partners = pd.DataFrame(
        {
            "year": raw["t"].astype("int16"),
            "importer": by_m49.reindex(raw["j"]).to_numpy(),
            "product": hs6(raw["k"]),
            "value": raw["v"].astype(float),
            "quantity": pd.to_numeric(raw["q"].astype(str).str.strip(), errors="coerce"),
        }
    )
    merged = partners.groupby("product")["value"].sum()
    totals = exports[exports["year"] == 2021].set_index("product")["value"]
    over = merged - totals.reindex(merged.index).fillna(0.0)
    if (over > 1e-6 * np.maximum(merged, 1.0)).any():
        raise SystemExit("BACI partners: flows to partners exceed total exports for a product")
    names = pd.concat(products).drop_duplicates("product").sort_values("product")
    return exports, partners, names.reset_index(drop=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    countries = build_countries(args.shared)
    pop = build_population(args.shared, set(countries["iso3"]))
    world, world_countries = build_world(args.shared, countries, pop)
    kaz, partners, hs = build_kaz(args.shared, countries)
    opts = {"index": False, "compression": "zstd"}
    world.to_parquet(out / "world_sitc2_exports.parquet", **opts)
    kaz.to_parquet(out / "baci_kaz_hs02_exports.parquet", **opts)
    partners.to_parquet(out / "baci_kaz_hs02_partners.parquet", **opts)
    pop.to_parquet(out / "population.parquet", **opts)
    world_countries.to_csv(out / "world_countries.csv", index=False, lineterminator="\n")
    countries.to_csv(out / "countries_m49.csv", index=False, lineterminator="\n")
    hs.to_parquet(out / "hs02_products.parquet", **opts)
    pd.DataFrame({"section": list(SITC2_SECTIONS), "name": list(SITC2_SECTIONS.values())}).to_csv(
        out / "sitc2_sections.csv", index=False, lineterminator="\n"
    )
    for path in sorted(out.iterdir()):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
