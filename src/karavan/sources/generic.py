"""Karavan's generic table format, for any national or inter-country (EAEU, say) table.

Two layouts, specified in ``docs/generic-format.md``:

- **long** (``generic-long``): CSV or Parquet, one row per non-zero entry, columns
  ``account, row_region, row_sector, col_region, col_sector_or_category, value[, unit]``.
  Combinations that are absent are zero *by definition*; an empty ``value`` is an error.
- **wide** (``generic-wide``): a CSV laid out like a published table, a two-row header
  (region; sector or category) and two label columns; industry rows then ``VA``, ``F`` and
  ``x`` rows. Every cell must hold a number (an empty cell is an error), except the
  final-demand part of ``VA`` and ``x`` rows, which must be empty.

An optional sidecar ``<file>.meta.json`` holds the metadata (source, year, currency, unit,
licence, citation, rounding, ...). Text is read as UTF-8 (a byte-order mark is allowed); a file
that is not UTF-8 but decodes as Windows-1251 with Cyrillic letters is read as cp1251 and the
provenance says so. In ``;``- or tab-separated files decimal commas are accepted (then a ``.``
in a number is refused as ambiguous); in ``,``-separated files numbers use a decimal point.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from karavan.core.table import MRIOTable
from karavan.errors import KaravanError, ParseError
from karavan.sources.generic_text import (
    first_line,
    fmt,
    header_cells,
    number,
    read_text,
    sidecar_path,
    table_metadata,
    uses_decimal_comma,
    write_sidecar,
)
from karavan.sources.generic_wide import read_wide, sniff_wide, write_wide
from karavan.sources.provenance import Provenance, raw_file_record

__all__ = [
    "ACCOUNTS",
    "LONG_COLUMNS",
    "provenance",
    "read",
    "read_long",
    "read_wide",
    "sidecar_path",
    "sniff",
    "sniff_long",
    "sniff_wide",
    "write_long",
    "write_wide",
]

LONG_COLUMNS = ("account", "row_region", "row_sector", "col_region", "col_sector_or_category")
ACCOUNTS = ("Z", "Y", "V", "F", "F_Y", "x")


# ---------------------------------------------------------------------- sniffing
def sniff_long(path: Path) -> bool:
    """A CSV or Parquet file whose columns are the long layout's."""
    suffix = path.suffix.lower()
    if suffix == ".parquet" and path.is_file():
        try:
            names = set(pq.read_schema(path).names)
        except (OSError, pa.ArrowException):
            return False
        return set(LONG_COLUMNS) | {"value"} <= names
    if suffix not in (".csv", ".tsv", ".txt"):
        return False
    head = first_line(path)
    return head is not None and set(LONG_COLUMNS) | {"value"} <= set(header_cells(head))


def sniff(path: Path) -> bool:
    """Either layout of the generic format."""
    return sniff_long(path) or sniff_wide(path)


# ---------------------------------------------------------------------- long layout
@dataclass(frozen=True)
class _Entry:
    account: str
    row_region: str
    row_sector: str
    col_region: str
    col_label: str
    value: float
    unit: str
    line: int


def _long_rows(path: Path) -> tuple[list[dict[str, Any]], list[int], bool, list[str]]:
    """Rows as dicts (value still text for CSV), their line numbers, text?, notes."""
    if path.suffix.lower() == ".parquet":
        try:
            data = pq.read_table(path).to_pylist()
        except (OSError, pa.ArrowException) as exc:
            raise ParseError(f"cannot read the Parquet file: {exc}", path=str(path)) from None
        names = list(data[0]) if data else list(pq.read_schema(path).names)
        _check_columns(names, path)
        return data, list(range(1, len(data) + 1)), False, []
    txt = read_text(path)
    notes = [f"read as {txt.encoding}"] if txt.encoding != "utf-8" else []
    reader = csv.reader(io.StringIO(txt.text, newline=""), delimiter=txt.delimiter)
    header = [c.strip() for c in next(reader, [])]
    _check_columns(header, path)
    rows: list[dict[str, Any]] = []
    lines: list[int] = []
    for cells in reader:
        if not cells:
            continue
        if len(cells) != len(header):
            raise ParseError(
                f"expected {len(header)} cells, got {len(cells)} (truncated or ragged row)",
                path=str(path),
                row=reader.line_num,
            )
        rows.append(dict(zip(header, cells, strict=True)))
        lines.append(reader.line_num)
    comma = txt.decimal_comma_allowed and uses_decimal_comma(r["value"] for r in rows)
    if comma:
        notes.append("decimal commas")
    return rows, lines, comma, notes


def _check_columns(names: Sequence[str], path: Path) -> None:
    missing = [c for c in (*LONG_COLUMNS, "value") if c not in names]
    if missing:
        raise ParseError(
            f"long layout: missing columns {missing}; got {list(names)}", path=str(path), row=1
        )
    extra = [c for c in names if c not in (*LONG_COLUMNS, "value", "unit")]
    if extra:
        raise ParseError(
            f"long layout: unknown columns {extra} (allowed: {[*LONG_COLUMNS, 'value', 'unit']})",
            path=str(path),
            row=1,
            column=extra[0],
        )


def _entries(path: Path) -> tuple[list[_Entry], list[str]]:
    rows, lines, comma, notes = _long_rows(path)
    if not rows:
        raise ParseError("long layout: no data rows", path=str(path))
    out: list[_Entry] = []
    for row, line in zip(rows, lines, strict=True):
        label = {c: "" if row.get(c) is None else str(row[c]).strip() for c in LONG_COLUMNS}
        raw = row["value"]
        if raw is None:
            raise ParseError("value: empty cell", path=str(path), row=line, column="value")
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = float(raw)
            if not math.isfinite(value):
                raise ParseError(
                    "value: expected a finite number",
                    path=str(path),
                    row=line,
                    column="value",
                    value=raw,
                )
        else:
            value = number(str(raw), comma, path, line, "value", "value")
        unit = "" if row.get("unit") is None else str(row["unit"]).strip()
        entry = _Entry(
            label["account"],
            label["row_region"],
            label["row_sector"],
            label["col_region"],
            label["col_sector_or_category"],
            value,
            unit,
            line,
        )
        _check_entry(entry, path)
        out.append(entry)
    return out, notes


def _check_entry(e: _Entry, path: Path) -> None:
    def bad(column: str, value: str, message: str) -> ParseError:
        return ParseError(
            f"long layout, account {e.account}: {message}",
            path=str(path),
            row=e.line,
            column=column,
            value=value,
        )

    if e.account not in ACCOUNTS:
        raise bad("account", e.account, f"unknown account; expected one of {list(ACCOUNTS)}")
    stressor_or_va = e.account in ("V", "F", "F_Y")
    if stressor_or_va and e.row_region:
        raise bad("row_region", e.row_region, "must be empty (the row is a component/stressor)")
    if not stressor_or_va and not e.row_region:
        raise bad("row_region", e.row_region, "must name a region")
    if not e.row_sector:
        raise bad("row_sector", e.row_sector, "must not be empty")
    if e.account == "x":
        if e.col_region or e.col_label:
            raise bad("col_region", e.col_region or e.col_label, "x rows have no column labels")
    else:
        for column, value in (
            ("col_region", e.col_region),
            ("col_sector_or_category", e.col_label),
        ):
            if not value:
                raise bad(column, value, "must not be empty")
    if e.account in ("F", "F_Y") and not e.unit:
        raise bad("unit", e.unit, "stressor rows need a unit")
    if e.account not in ("F", "F_Y") and e.unit:
        raise bad("unit", e.unit, "only F and F_Y rows carry a unit")


def read_long(path: Path) -> MRIOTable:
    """Read the long layout (CSV or Parquet); absent combinations are zero."""
    entries, notes = _entries(path)
    regions: dict[str, None] = {}
    sectors: dict[str, None] = {}
    categories: dict[str, None] = {}
    components: dict[str, None] = {}
    units: dict[str, str] = {}
    for e in entries:
        if e.account in ("Z", "Y", "x"):
            regions.setdefault(e.row_region)
            sectors.setdefault(e.row_sector)
        if e.account in ("Z", "V", "F"):
            regions.setdefault(e.col_region)
            sectors.setdefault(e.col_label)
        if e.account in ("Y", "F_Y"):
            categories.setdefault(e.col_label)
        if e.account == "V":
            components.setdefault(e.row_sector)
        if e.account in ("F", "F_Y") and units.setdefault(e.row_sector, e.unit) != e.unit:
            raise ParseError(
                f"stressor {e.row_sector} has two units ({units[e.row_sector]!r} and {e.unit!r})",
                path=str(path),
                row=e.line,
                column="unit",
                value=e.unit,
            )
    R, S, C = list(regions), list(sectors), list(categories)
    n, nf = len(R) * len(S), len(R) * len(C)
    ind = {(r, s): i for i, (r, s) in enumerate((r, s) for r in R for s in S)}
    fd = {(r, c): j for j, (r, c) in enumerate((r, c) for r in R for c in C)}
    comp = {v: i for i, v in enumerate(components)}
    stressors = {v: i for i, v in enumerate(units)}
    arrays = {
        "Z": np.zeros((n, n)),
        "Y": np.zeros((n, nf)),
        "V": np.zeros((len(comp), n)),
        "F": np.zeros((len(stressors), n)),
        "F_Y": np.zeros((len(stressors), nf)),
        "x": np.zeros((n, 1)),
    }
    seen: dict[tuple[str, str, str, str, str], int] = {}
    for e in entries:
        key = (e.account, e.row_region, e.row_sector, e.col_region, e.col_label)
        if key in seen:
            raise ParseError(
                f"duplicate entry (first on row {seen[key]})", path=str(path), row=e.line
            )
        seen[key] = e.line
        if e.account in ("Z", "Y", "x"):
            i = ind[(e.row_region, e.row_sector)]
        else:
            i = (comp if e.account == "V" else stressors)[e.row_sector]
        if e.account == "x":
            j = 0
        elif e.account in ("Y", "F_Y"):
            if e.col_region not in regions:
                raise ParseError(
                    "final-demand column region is not a region of the table's industries",
                    path=str(path),
                    row=e.line,
                    column="col_region",
                    value=e.col_region,
                )
            j = fd[(e.col_region, e.col_label)]
        else:
            j = ind[(e.col_region, e.col_label)]
        arrays[e.account][i, j] = e.value
    has = {e.account for e in entries}
    meta, _ = table_metadata(path, notes)
    try:
        return MRIOTable.from_arrays(
            regions=R,
            sectors=S,
            categories=C,
            Z=arrays["Z"],
            Y=arrays["Y"],
            x=arrays["x"][:, 0] if "x" in has else None,
            V=arrays["V"] if components else None,
            va_components=list(components) if components else None,
            F=arrays["F"],
            F_Y=arrays["F_Y"],
            stressors=list(units),
            stressor_units=list(units.values()),
            meta=meta,
            copy=False,
        )
    except KaravanError as exc:
        raise ParseError(f"long layout: {exc}", path=str(path)) from None


def write_long(table: MRIOTable, path: Path) -> None:
    """Write every entry of ``table`` (zeros included, so that every label appears) in the long
    layout: Parquet when ``path`` ends in ``.parquet``, else UTF-8 CSV; and the sidecar."""
    ind = [(r, s) for r in table.regions for s in table.sectors]
    fd = [(r, c) for r in table.regions for c in table.categories]
    rows: list[tuple[str, str, str, str, str, float, str]] = []
    for i, (rr, rs) in enumerate(ind):
        rows += [("Z", rr, rs, cr, cs, table.Z[i, j], "") for j, (cr, cs) in enumerate(ind)]
        rows += [("Y", rr, rs, cr, cc, table.Y[i, j], "") for j, (cr, cc) in enumerate(fd)]
    for k, comp in enumerate(table.va_components):
        rows += [("V", "", comp, cr, cs, table.V[k, j], "") for j, (cr, cs) in enumerate(ind)]
    for k, (st, unit) in enumerate(zip(table.stressors, table.stressor_units, strict=True)):
        rows += [("F", "", st, cr, cs, table.F[k, j], unit) for j, (cr, cs) in enumerate(ind)]
        rows += [("F_Y", "", st, cr, cc, table.F_Y[k, j], unit) for j, (cr, cc) in enumerate(fd)]
    rows += [("x", rr, rs, "", "", table.x[i], "") for i, (rr, rs) in enumerate(ind)]
    names = [*LONG_COLUMNS, "value", "unit"]
    if path.suffix.lower() == ".parquet":
        columns = {name: [r[k] for r in rows] for k, name in enumerate(names)}
        columns["value"] = [float(v) for v in columns["value"]]
        pq.write_table(pa.table(columns), path, compression="zstd")
    else:
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(names)
            writer.writerows([*r[:5], fmt(r[5]), r[6]] for r in rows)
    write_sidecar(table, path)


# ---------------------------------------------------------------------- entry points
def read(path: Path) -> list[MRIOTable]:
    """The one table in ``path``, in whichever layout it is."""
    if sniff_wide(path):
        return [read_wide(path)]
    return [read_long(path)]


def provenance(path: Path) -> Provenance:
    """Source, licence and citation from the sidecar; checksums of the file and sidecar;
    the encoding and decimal mark when they are not UTF-8 and '.'."""
    layout = "wide" if sniff_wide(path) else "long"
    table = read(path)[0]
    _, url = table_metadata(path, [])
    files = [raw_file_record(path)]
    if sidecar_path(path).is_file():
        files.append(raw_file_record(sidecar_path(path)))
    m = table.meta
    return Provenance(
        source=m.source,
        licence=m.licence,
        citation=m.citation,
        edition=m.edition,
        url=url,
        raw_files=tuple(files),
        notes="; ".join(n for n in (f"generic {layout} table {path.name}", m.notes) if n),
        estimated=m.estimated,
    )
