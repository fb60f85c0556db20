"""Derive Karavan's classification tables and macro series from the shared reference files.

Reads ``../shared/data/classifications`` and ``../shared/data/macro`` (never read by the product
at run time) and writes compact derived files, each directory with a ``README.md`` (source,
licence, citation) and a ``provenance.csv`` (derived file, raw file, the raw file's sha256):

``src/karavan/data/classifications/``

- ``hs2022.parquet``  code, level (2/4/6), parent, section, description: the HS 2022
  nomenclature (datasets/harmonized-system, PDDL); UN Comtrade's chapter 99 ("commodities not
  specified according to kind": 99, 9999, 999999) and the ``TOTAL`` root are left out
- ``hs2022_sections.csv``  section (I..XXI), name (same source)
- ``hs_isic4.parquet``  the R package ``concordance``'s ``hs_isic4`` (HS 6-digit, all vintages
  combined, to ISIC Rev.4 4/3/2/1-digit), all 24,279 rows as they are (MIT)
- ``hs_isic3.parquet``  ``hs4_isic3`` (HS 2012 6-digit to ISIC Rev.3), all 5,205 rows (MIT)
- ``isic4_labels.csv``  ``isic4_desc``: 766 ISIC Rev.4 codes and labels (MIT)
- ``countries.csv``  iso3, iso2, m49, name_en, name_en_formal, name_ru, name_ru_formal
  (datasets/country-codes, PDDL)
- ``wiod35_isic3.csv``  the 35 WIOD 2013 sectors -> ISIC Rev.3 divisions (entered here from the
  WIOD 2013 sector definitions)
- ``technology_intensity_isic3.csv``  OECD technology groups of manufacturing by ISIC Rev.3
  division/group (Hatzichronoglou 1997; the ISIC Rev.3 version first in the OECD STI
  Scoreboard 2001), entered here
- ``technology_intensity_isic4.csv``  OECD R&D-intensity groups of manufacturing by ISIC Rev.4
  division/group (Galindo-Rueda and Verger 2016), entered here
- ``technology_intensity_wiod35.csv``  the same groups for the 14 WIOD manufacturing sectors,
  derived from the two tables above (a sector whose divisions fall in two groups is ``mixed``)

``src/karavan/data/macro/``

- ``gdp.parquet``, ``population.parquet``  country (ISO3 or World Bank aggregate code), name,
  year, value: World Bank WDI via datasets/gdp and datasets/population (CC BY 4.0), all rows

    python scripts/build_classifications.py [--shared PATH] [--out PATH]
"""

from __future__ import annotations

import argparse
import hashlib
import warnings
from pathlib import Path

import pandas as pd
import rdata

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SHARED = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "src" / "karavan" / "data"

WIOD35_ISIC3: dict[str, tuple[str, ...]] = {
    "AtB": ("01", "02", "05"),
    "C": ("10", "11", "12", "13", "14"),
    "15t16": ("15", "16"),
    "17t18": ("17", "18"),
    "19": ("19",),
    "20": ("20",),
    "21t22": ("21", "22"),
    "23": ("23",),
    "24": ("24",),
    "25": ("25",),
    "26": ("26",),
    "27t28": ("27", "28"),
    "29": ("29",),
    "30t33": ("30", "31", "32", "33"),
    "34t35": ("34", "35"),
    "36t37": ("36", "37"),
    "E": ("40", "41"),
    "F": ("45",),
    "50": ("50",),
    "51": ("51",),
    "52": ("52",),
    "H": ("55",),
    "60": ("60",),
    "61": ("61",),
    "62": ("62",),
    "63": ("63",),
    "64": ("64",),
    "J": ("65", "66", "67"),
    "70": ("70",),
    "71t74": ("71", "72", "73", "74"),
    "L": ("75",),
    "M": ("80",),
    "N": ("85",),
    "O": ("90", "91", "92", "93"),
    "P": ("95",),
}
"""WIOD 2013 sector codes (in the order c1..c35) and the ISIC Rev.3 divisions each covers: the
WIOD 2013 release's industry list (Timmer et al. 2015, table of the 35 industries; the codes
name the ISIC Rev.3 sections and divisions: ``AtB`` = sections A and B, ``15t16`` = divisions 15
to 16, and so on)."""

HATZICHRONOGLOU_ISIC3: tuple[tuple[str, str, str], ...] = (
    ("2423", "high", "Pharmaceuticals"),
    ("30", "high", "Office, accounting and computing machinery"),
    ("32", "high", "Radio, television and communication equipment"),
    ("33", "high", "Medical, precision and optical instruments"),
    ("353", "high", "Aircraft and spacecraft"),
    ("24", "medium-high", "Chemicals excluding pharmaceuticals (24 excl. 2423)"),
    ("29", "medium-high", "Machinery and equipment n.e.c."),
    ("31", "medium-high", "Electrical machinery and apparatus n.e.c."),
    ("34", "medium-high", "Motor vehicles, trailers and semi-trailers"),
    ("352", "medium-high", "Railroad equipment and transport equipment n.e.c. (352+359)"),
    ("359", "medium-high", "Railroad equipment and transport equipment n.e.c. (352+359)"),
    ("23", "medium-low", "Coke, refined petroleum products and nuclear fuel"),
    ("25", "medium-low", "Rubber and plastics products"),
    ("26", "medium-low", "Other non-metallic mineral products"),
    ("27", "medium-low", "Basic metals"),
    ("28", "medium-low", "Fabricated metal products, except machinery and equipment"),
    ("351", "medium-low", "Building and repairing of ships and boats"),
    ("15", "low", "Food products and beverages"),
    ("16", "low", "Tobacco products"),
    ("17", "low", "Textiles"),
    ("18", "low", "Wearing apparel; dressing and dyeing of fur"),
    ("19", "low", "Leather, luggage, handbags, saddlery, harness and footwear"),
    ("20", "low", "Wood and products of wood and cork"),
    ("21", "low", "Pulp, paper and paper products"),
    ("22", "low", "Publishing, printing and reproduction of recorded media"),
    ("36", "low", "Manufacturing n.e.c."),
    ("37", "low", "Recycling"),
)
"""OECD technology intensity of manufacturing, ISIC Rev.3 (code, group, label). A longer code
overrides the division it belongs to (2423 within 24). Confirmed against NSF Science and
Engineering Indicators 2008, table 6-6 (which cites the OECD classification) and the OECD STI
Scoreboard 2009, "Technology classification"."""

OECD2016_ISIC4: tuple[tuple[str, str, str], ...] = (
    ("21", "high", "Pharmaceuticals"),
    ("26", "high", "Computer, electronic and optical products"),
    ("303", "high", "Air and spacecraft and related machinery"),
    ("20", "medium-high", "Chemicals and chemical products"),
    ("252", "medium-high", "Weapons and ammunition"),
    ("27", "medium-high", "Electrical equipment"),
    ("28", "medium-high", "Machinery and equipment n.e.c."),
    ("29", "medium-high", "Motor vehicles, trailers and semi-trailers"),
    ("302", "medium-high", "Railroad, military vehicles and transport n.e.c. (30X: 302, 304, 309)"),
    ("304", "medium-high", "Railroad, military vehicles and transport n.e.c. (30X: 302, 304, 309)"),
    ("309", "medium-high", "Railroad, military vehicles and transport n.e.c. (30X: 302, 304, 309)"),
    ("325", "medium-high", "Medical and dental instruments"),
    ("22", "medium", "Rubber and plastic products"),
    ("23", "medium", "Other non-metallic mineral products"),
    ("24", "medium", "Basic metals"),
    ("301", "medium", "Building of ships and boats"),
    ("32", "medium", "Other manufacturing except medical and dental instruments (32X)"),
    ("33", "medium", "Repair and installation of machinery and equipment"),
    ("10", "medium-low", "Food products (10-12: food, beverages and tobacco)"),
    ("11", "medium-low", "Beverages (10-12: food, beverages and tobacco)"),
    ("12", "medium-low", "Tobacco products (10-12: food, beverages and tobacco)"),
    ("13", "medium-low", "Textiles"),
    ("14", "medium-low", "Wearing apparel"),
    ("15", "medium-low", "Leather and related products"),
    ("16", "medium-low", "Wood and products of wood and cork"),
    ("17", "medium-low", "Paper and paper products"),
    ("18", "medium-low", "Printing and reproduction of recorded media"),
    ("19", "medium-low", "Coke and refined petroleum products"),
    ("25", "medium-low", "Fabricated metal products except weapons and ammunition (25X)"),
    ("31", "medium-low", "Furniture"),
)
"""OECD taxonomy of economic activities by R&D intensity, manufacturing (ISIC Rev.4 code,
group, label): Galindo-Rueda and Verger (2016), OECD STI Working Paper 2016/04. No
manufacturing industry is in the "low" group. A longer code overrides its division (252 in 25,
325 in 32); division 30 has rows only for its groups. Confirmed against NSF Science and
Engineering Indicators, table SAKTI-1 ("OECD classification of industries, by R&D intensity",
two editions), which reproduces the paper's table."""

GROUP_ORDER = ("high", "medium-high", "medium-low", "low")

WDI_FILES = {"gdp": "gdp.csv", "population": "population.csv"}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_rda(path: Path) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = rdata.read_rda(str(path))
    (frame,) = data.values()
    out = pd.DataFrame(frame).reset_index(drop=True)
    return out.astype({c: "string" for c in out.columns})


def build_hs(shared: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    raw = pd.read_csv(
        shared / "classifications" / "harmonized-system.csv", dtype=str, keep_default_na=False
    )
    hs = raw[raw["section"] != "TOTAL"]
    hs = pd.DataFrame(
        {
            "code": hs["hscode"],
            "level": hs["level"].astype("int8"),
            "parent": hs["parent"].where(hs["level"] != "2", None),
            "section": hs["section"],
            "description": hs["description"],
        }
    ).reset_index(drop=True)
    if hs["code"].duplicated().any():
        raise SystemExit("harmonized-system.csv: a code appears twice")
    if not (hs["code"].str.len() == hs["level"]).all():
        raise SystemExit("harmonized-system.csv: code length differs from level")
    sections = pd.read_csv(
        shared / "classifications" / "hs-sections.csv",
        dtype=str,
        keep_default_na=False,
        encoding="utf-8-sig",
    )
    sections["name"] = sections["name"].str.strip()
    if set(hs["section"]) != set(sections["section"]):
        raise SystemExit("hs-sections.csv does not list the sections of harmonized-system.csv")
    return hs, sections


def build_countries(shared: Path) -> pd.DataFrame:
    cc = pd.read_csv(
        shared / "classifications" / "country-codes.csv", dtype=str, keep_default_na=False
    )
    english = cc["CLDR display name"].where(
        cc["CLDR display name"] != "", cc["UNTERM English Short"]
    )
    out = pd.DataFrame(
        {
            "iso3": cc["ISO3166-1-Alpha-3"],
            "iso2": cc["ISO3166-1-Alpha-2"],
            "m49": cc["M49"].astype(int),
            "name_en": english,
            "name_en_formal": cc["UNTERM English Formal"],
            "name_ru": cc["UNTERM Russian Short"],
            "name_ru_formal": cc["UNTERM Russian Formal"],
        }
    )
    if out["iso3"].duplicated().any() or (out["iso3"] == "").any():
        raise SystemExit("country-codes.csv: ISO3 codes must be present and unique")
    return out.sort_values("iso3").reset_index(drop=True)


def build_wiod(sectors_csv: Path) -> pd.DataFrame:
    sectors = pd.read_csv(sectors_csv, comment="#", dtype={"index": int})
    codes = list(WIOD35_ISIC3)
    if len(sectors) != len(codes):
        raise SystemExit(f"{sectors_csv}: expected {len(codes)} sectors")
    rows = [
        (i, sector, wiod, division)
        for i, sector, wiod in zip(sectors["index"], sectors["code"], codes, strict=True)
        for division in WIOD35_ISIC3[wiod]
    ]
    return pd.DataFrame(rows, columns=["index", "sector", "wiod_code", "isic3_division"])


def build_technology(wiod: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    tech = pd.DataFrame(list(HATZICHRONOGLOU_ISIC3), columns=["isic3", "group", "label"])
    by_code = dict(zip(tech["isic3"], tech["group"], strict=True))
    # a sector's groups: those of its divisions and of the groups/classes under them (division
    # 24 holds 2423, high, and the rest of 24, medium-high; 35 only has rows for 351-359)
    rows = []
    for (index, sector, wiod_code), part in wiod.groupby(
        ["index", "sector", "wiod_code"], sort=True
    ):
        groups: set[str] = set()
        for division in part["isic3_division"]:
            inside = {g for c, g in by_code.items() if c.startswith(division)}
            groups |= inside
        if not groups:
            continue  # not manufacturing
        ordered = [g for g in GROUP_ORDER if g in groups]
        rows.append(
            (
                int(index),
                sector,
                wiod_code,
                ordered[0] if len(ordered) == 1 else "mixed",
                ";".join(ordered),
            )
        )
    per_sector = pd.DataFrame(rows, columns=["index", "sector", "wiod_code", "group", "groups"])
    known = set(wiod["isic3_division"])
    missing = {c[:2] for c in tech["isic3"]} - known
    if missing:
        raise SystemExit(f"technology table: ISIC Rev.3 divisions {sorted(missing)} unknown")
    return tech, per_sector.sort_values("index").reset_index(drop=True)


def build_wdi(shared: Path, name: str) -> pd.DataFrame:
    raw = pd.read_csv(shared / "macro" / WDI_FILES[name])
    out = pd.DataFrame(
        {
            "country": raw["Country Code"].astype("string"),
            "name": raw["Country Name"].astype("string"),
            "year": raw["Year"].astype("int16"),
            "value": raw["Value"].astype("float64"),
        }
    )
    if out.duplicated(["country", "year"]).any():
        raise SystemExit(f"{name}: a (country, year) pair appears twice")
    return out.sort_values(["country", "year"]).reset_index(drop=True)


def write_provenance(out: Path, rows: list[tuple[str, Path]], shared: Path) -> None:
    table = pd.DataFrame(
        [(derived, str(raw.relative_to(shared)), sha256(raw)) for derived, raw in rows],
        columns=["derived", "raw", "sha256"],
    )
    table.to_csv(out / "provenance.csv", index=False, lineterminator="\n")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=DEFAULT_SHARED)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    shared: Path = args.shared
    cls_dir: Path = args.out / "classifications"
    macro_dir: Path = args.out / "macro"
    cls_dir.mkdir(parents=True, exist_ok=True)
    macro_dir.mkdir(parents=True, exist_ok=True)
    raw = shared / "classifications"
    opts = {"index": False, "compression": "zstd"}

    hs, sections = build_hs(shared)
    hs.to_parquet(cls_dir / "hs2022.parquet", **opts)
    sections.to_csv(cls_dir / "hs2022_sections.csv", index=False, lineterminator="\n")
    isic4 = read_rda(raw / "hs_isic4.RData")
    isic4.to_parquet(cls_dir / "hs_isic4.parquet", **opts)
    isic3 = read_rda(raw / "hs4_isic3.RData")
    isic3.to_parquet(cls_dir / "hs_isic3.parquet", **opts)
    labels = read_rda(raw / "isic4_desc.RData").rename(columns={"desc": "label"})
    labels.to_csv(cls_dir / "isic4_labels.csv", index=False, lineterminator="\n")
    build_countries(shared).to_csv(cls_dir / "countries.csv", index=False, lineterminator="\n")
    wiod = build_wiod(args.out / "sectors_wiod35.csv")
    wiod.to_csv(cls_dir / "wiod35_isic3.csv", index=False, lineterminator="\n")
    tech, tech_wiod = build_technology(wiod)
    tech.to_csv(cls_dir / "technology_intensity_isic3.csv", index=False, lineterminator="\n")
    tech_wiod.to_csv(cls_dir / "technology_intensity_wiod35.csv", index=False, lineterminator="\n")
    oecd = pd.DataFrame(list(OECD2016_ISIC4), columns=["isic4", "group", "label"])
    unknown = set(oecd["isic4"]) - set(labels["code"])
    if unknown:
        raise SystemExit(f"OECD 2016 table: ISIC Rev.4 codes {sorted(unknown)} unknown")
    oecd.to_csv(cls_dir / "technology_intensity_isic4.csv", index=False, lineterminator="\n")
    write_provenance(
        cls_dir,
        [
            ("hs2022.parquet", raw / "harmonized-system.csv"),
            ("hs2022_sections.csv", raw / "hs-sections.csv"),
            ("hs_isic4.parquet", raw / "hs_isic4.RData"),
            ("hs_isic3.parquet", raw / "hs4_isic3.RData"),
            ("isic4_labels.csv", raw / "isic4_desc.RData"),
            ("countries.csv", raw / "country-codes.csv"),
        ],
        shared,
    )

    for name in WDI_FILES:
        build_wdi(shared, name).to_parquet(macro_dir / f"{name}.parquet", **opts)
    write_provenance(
        macro_dir,
        [(f"{n}.parquet", shared / "macro" / f) for n, f in WDI_FILES.items()],
        shared,
    )
    for folder in (cls_dir, macro_dir):
        for path in sorted(folder.iterdir()):
            print(f"{path}  {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
