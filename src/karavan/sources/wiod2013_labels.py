"""Labels and metadata of the WIOD 2013 release, shared by its R data and spreadsheet readers.

The 35 sectors come from the package's ``data/sectors_wiod35.csv`` (written by
``scripts/build_wiod_sectors.py``); the final-use categories and value-added rows are the
release's, in the order of its files.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from karavan.core.table import TableMetadata
from karavan.errors import ParseError
from karavan.sources.provenance import Provenance, raw_file_record

__all__ = [
    "CATEGORIES",
    "CATEGORY_WORDS",
    "CITATION",
    "COMMON_NOTES",
    "LICENCE",
    "OUTPUT_ROW",
    "RDATA_ROUNDING",
    "TOTAL_INTERMEDIATE_ROW",
    "URL",
    "VA_ROWS",
    "XLSX_ROUNDING",
    "Sector",
    "provenance",
    "sector_labels",
    "sectors",
    "table_metadata",
]

SOURCE = "WIOD"
EDITION = "2013 release"
LICENCE = "CC BY 4.0"
URL = "http://www.wiod.org/database/wiots13"
CITATION = (
    "Timmer, M. P., Dietzenbacher, E., Los, B., Stehrer, R. and de Vries, G. J. (2015), "
    '"An Illustrated User Guide to the World Input-Output Database: the Case of Global '
    'Automotive Production", Review of International Economics 23(3): 575-605, '
    "doi:10.1111/roie.12178"
)
CURRENCY = "USD"
UNIT = "million"
PRICE_BASIS = "basic prices (current)"

CATEGORIES: tuple[str, ...] = (
    "household consumption",
    "NPISH consumption",
    "government consumption",
    "gross fixed capital formation",
    "changes in inventories",
)
"""The five final-use categories, in the order of the files' final-use columns."""

# A word that the published description of each final-use column must contain (spreadsheet).
CATEGORY_WORDS: tuple[tuple[str, ...], ...] = (
    ("household",),
    ("non-profit", "npish"),
    ("government",),
    ("fixed capital",),
    ("inventor",),
)

VA_ROWS: dict[str, str] = {
    "r61": "taxes less subsidies on products",
    "r62": "cif/fob adjustments on exports",
    "r63": "direct purchases abroad by residents",
    "r64": "purchases on the domestic territory by non-residents",
    "r65": "value added at basic prices",
    "r66": "international transport margins",
}
"""The published value-added rows of the spreadsheet, by their code in column D."""
TOTAL_INTERMEDIATE_ROW = "r60"
OUTPUT_ROW = "r69"

RDATA_ROUNDING = 1.0  # whole numbers below the published decimals by less than one unit
XLSX_ROUNDING = 0.5  # published figures: at most half a unit off


@dataclass(frozen=True)
class Sector:
    index: int
    wiod_code: str
    code: str
    name: str


@functools.cache
def sectors() -> dict[str, Sector]:
    """The 35 WIOD sectors by WIOD code (``c1``..``c35``), from the package's data."""
    text = resources.files("karavan").joinpath("data/sectors_wiod35.csv").read_text("utf-8")
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    out: dict[str, Sector] = {}
    for row in csv.DictReader(io.StringIO("\n".join(lines))):
        s = Sector(int(row["index"]), row["wiod_code"], row["code"], row["name"])
        out[s.wiod_code] = s
    return out


def sector_labels(codes: Sequence[str], path: Path, where: str) -> tuple[Sector, ...]:
    known = sectors()
    out = []
    for code in codes:
        if code not in known:
            raise ParseError(
                "unknown WIOD sector code (expected c1..c35)",
                path=str(path),
                column=where,
                value=code,
            )
        out.append(known[code])
    if len(set(codes)) != len(codes):
        dup = next(c for c in codes if list(codes).count(c) > 1)
        raise ParseError("a sector code appears twice", path=str(path), column=where, value=dup)
    return tuple(out)


def table_metadata(
    year: int, sector_list: Sequence[Sector], rounding: float, notes: str
) -> TableMetadata:
    """Metadata of one year's table."""
    return TableMetadata(
        source=SOURCE,
        edition=EDITION,
        year=year,
        currency=CURRENCY,
        unit=UNIT,
        price_basis=PRICE_BASIS,
        licence=LICENCE,
        citation=CITATION,
        rounding=rounding,
        estimated=False,
        notes=notes,
        sector_names={s.code: s.name for s in sector_list},
    )


COMMON_NOTES = (
    "Sectors: WIOD c1..c35, labelled by short codes (sector_names holds the full names). "
    "Final use by position: household consumption, NPISH consumption, government consumption, "
    "gross fixed capital formation, changes in inventories (net GFCF can be negative where "
    "disposals exceed acquisitions). Regions as published: ROM is Romania; RoW, the rest of the "
    "world, includes Kazakhstan, Belarus, Armenia and Kyrgyzstan, which WIOD does not resolve."
)


def provenance(path: Path) -> Provenance:
    """Source, licence, citation and the raw file's checksum."""
    path = Path(path)
    return Provenance(
        source="WIOD 2013 release",
        licence=LICENCE,
        citation=CITATION,
        edition="November 2013",
        url=URL,
        raw_files=(raw_file_record(path),),
    )
