"""The registry of table formats Karavan reads: detection and dispatch.

Each format names how to recognise a file (``sniff``, cheap: headers and magic bytes only), how
to read it into one or more :class:`~karavan.core.table.MRIOTable` (one per year) and the
provenance to record. ``read_path`` runs the full validation on every table read, raising the
typed error of the first failed check with the file named.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from karavan.core.table import MRIOTable
from karavan.errors import FormatDetectionError, SourceError
from karavan.sources import generic, native, oecd_icio, pymrio_io, wiod2013
from karavan.sources.provenance import Provenance, raw_file_record

__all__ = ["FORMATS", "SourceFormat", "detect_format", "read_path"]


@dataclass(frozen=True)
class SourceFormat:
    name: str
    description: str
    sniff: Callable[[Path], bool]
    read: Callable[[Path], list[MRIOTable]]
    provenance: Callable[[Path], Provenance]


def _native_read(path: Path) -> list[MRIOTable]:
    return [native.read_table(path)]


def _native_provenance(path: Path) -> Provenance:
    t = native.read_description(path)["meta"]
    return Provenance(
        source=t.get("source", ""),
        licence=t.get("licence", ""),
        citation=t.get("citation", ""),
        edition=t.get("edition", ""),
        raw_files=(),
        notes=f"copied from native table {path}",
    )


FORMATS: dict[str, SourceFormat] = {
    "native": SourceFormat(
        "native",
        "Karavan native table directory (table.json + Parquet arrays)",
        native.is_table_dir,
        _native_read,
        _native_provenance,
    ),
    "wiod2013-rdata": SourceFormat(
        "wiod2013-rdata",
        "WIOD 2013 release, R data file wiot_YYYY.RData (list with inter, final, output)",
        wiod2013.sniff_rdata,
        lambda p: [wiod2013.read_rdata(p)],
        lambda p: wiod2013.provenance(p),
    ),
    "wiod2013-xlsx": SourceFormat(
        "wiod2013-xlsx",
        "WIOD 2013 release, published spreadsheet wiotYY_row_apr12.xlsx",
        wiod2013.sniff_xlsx,
        lambda p: [wiod2013.read_xlsx(p)],
        lambda p: wiod2013.provenance(p),
    ),
    "oecd-icio": SourceFormat(
        "oecd-icio",
        "OECD ICIO tables, published CSV (ICIO2021_YYYY.csv; YYYY.csv, YYYY_SML.csv)",
        oecd_icio.sniff,
        oecd_icio.read,
        oecd_icio.provenance,
    ),
    "generic-long": SourceFormat(
        "generic-long",
        "generic long table: CSV or Parquet, one row per entry (docs/generic-format.md)",
        generic.sniff_long,
        lambda p: [generic.read_long(p)],
        generic.provenance,
    ),
    "generic-wide": SourceFormat(
        "generic-wide",
        "generic wide table: CSV with two header rows and two label columns",
        generic.sniff_wide,
        lambda p: [generic.read_wide(p)],
        generic.provenance,
    ),
    "pymrio": SourceFormat(
        "pymrio",
        "a system saved by pymrio's IOSystem.save_all (text or Parquet); export: write_pymrio",
        pymrio_io.sniff,
        pymrio_io.read,
        pymrio_io.provenance,
    ),
}


def detect_format(path: Path) -> SourceFormat:
    """The format that recognises ``path``; exactly one must."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or directory")
    hits = [f for f in FORMATS.values() if f.sniff(path)]
    if not hits:
        names = ", ".join(FORMATS)
        raise FormatDetectionError(
            f"{path}: no known table format recognises this file (known: {names}); pass --format"
        )
    if len(hits) > 1:
        raise FormatDetectionError(
            f"{path}: several formats match ({', '.join(h.name for h in hits)}); pass --format"
        )
    return hits[0]


def read_path(
    path: Path, fmt: str | None = None, *, validate: bool = True
) -> tuple[list[MRIOTable], Provenance]:
    """Read every table in ``path`` with its provenance; validated unless ``validate=False``."""
    path = Path(path)
    if fmt is None:
        spec = detect_format(path)
    else:
        try:
            spec = FORMATS[fmt]
        except KeyError:
            raise FormatDetectionError(
                f"unknown format {fmt!r}; known: {', '.join(FORMATS)}"
            ) from None
        if not path.exists():
            raise SourceError(f"{path}: no such file or directory")
    tables = spec.read(path)
    if validate:
        for t in tables:
            t.validate().raise_if_failed(where=str(path))
    prov = spec.provenance(path)
    return tables, prov


def file_record(path: Path) -> dict[str, object]:
    return raw_file_record(path)
