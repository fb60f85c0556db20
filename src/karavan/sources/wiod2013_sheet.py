"""The published spreadsheet of the WIOD 2013 release (``wiot11_row_sep12.xlsx``, one sheet).

Layout (the release's; pymrio's ``parse_wiod`` reads the same)::

    row 1     A: title ending in the year ("World Input-Output Table 2011")
    row 2     A: subtitle
    row 3     A: (industry-by-industry)    E..: ISIC codes of the industry columns
    row 4     A: (millions of US$)         E..: column descriptions
    row 5                                  E..: country of each column
    row 6                                  E..: code of each column (c1..c35 for industries)
    rows 7..  A ISIC code, B description, C country, D code c1..c35, then the 41 x 35 industry
              columns, the 41 x 5 final-use columns and the total output column
    below     rows coded in column D: r60 total intermediate consumption; r61 taxes less
              subsidies on products, r62 cif/fob adjustments on exports, r63 direct purchases
              abroad by residents, r64 purchases on the domestic territory by non-residents,
              r65 value added at basic prices, r66 international transport margins; r69 output
              at basic prices

``V`` holds the six rows r61..r66, whose sum is output minus intermediate inputs; r60 and r69
are checked against the table. Final-use columns are taken by position (five per country), and
their published descriptions must name the expected category. The sheet is streamed with
openpyxl's read-only mode; every cell is checked, and a bad one raises
:class:`~karavan.errors.ParseError` with the file, its row and column labels, its address and
its value.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError as XMLParseError

import numpy as np
import openpyxl
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from karavan.core.table import Array, MRIOTable
from karavan.errors import KaravanError, NonFiniteError, ParseError
from karavan.sources.wiod2013_labels import (
    CATEGORIES,
    CATEGORY_WORDS,
    COMMON_NOTES,
    OUTPUT_ROW,
    TOTAL_INTERMEDIATE_ROW,
    VA_ROWS,
    XLSX_ROUNDING,
    Sector,
    sector_labels,
    sectors,
    table_metadata,
)

__all__ = ["read_xlsx", "sniff_xlsx"]

HEADER_ROWS = 6
LABEL_COLUMNS = 4  # A code, B description, C country, D WIOD code
_XLSX_NAME = re.compile(r"^wiot(\d{2})_row_\w+\.xlsx$", re.IGNORECASE)
_NUMBER_TYPES = (int, float)


def sniff_xlsx(path: Path) -> bool:
    """A spreadsheet named as the release names them (``wiot11_row_sep12.xlsx``, ...).

    Other names: pass the format explicitly (``--format wiod2013-xlsx``).
    """
    path = Path(path)
    if not path.is_file() or not _XLSX_NAME.match(path.name):
        return False
    try:
        with path.open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def read_xlsx(path: Path) -> MRIOTable:
    """Read the published WIOD 2013 spreadsheet (``wiotYY_row_apr12.xlsx``), first sheet.

    Streams the sheet (openpyxl read-only mode). ``V`` holds the six published value-added rows
    ``r61``..``r66``; the published totals ``r60`` (intermediate consumption) and ``r69``
    (output) are checked against the table within rounding.
    """
    path = Path(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, EOFError) as exc:
        raise ParseError(
            f"cannot open the spreadsheet, truncated or damaged? ({type(exc).__name__}: {exc})",
            path=str(path),
        ) from exc
    try:
        if not wb.worksheets:
            raise ParseError("the workbook has no worksheet", path=str(path))
        return _read_sheet(wb.worksheets[0].iter_rows(values_only=True), path)
    except KaravanError:
        raise
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        KeyError,
        XMLParseError,
        ValueError,
    ) as exc:
        raise ParseError(
            f"the spreadsheet is truncated or damaged ({type(exc).__name__}: {exc})",
            path=str(path),
        ) from exc
    finally:
        wb.close()


def _cell(row: Sequence[Any], j: int) -> Any:
    return row[j] if j < len(row) else None


def _span(row: Sequence[Any], start: int, width: int) -> tuple[Any, ...]:
    """``width`` cells from ``start``; cells beyond the row's end read as empty."""
    cells = tuple(row[start : start + width])
    return cells + (None,) * (width - len(cells))


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


@dataclass(frozen=True)
class _Layout:
    year: int
    regions: tuple[str, ...]
    sectors: tuple[Sector, ...]

    @property
    def n(self) -> int:
        return len(self.regions) * len(self.sectors)

    @property
    def nf(self) -> int:
        return len(self.regions) * len(CATEGORIES)

    @property
    def width(self) -> int:
        """Numeric columns: industries, final uses, total output."""
        return self.n + self.nf + 1

    def industry(self, i: int) -> str:
        S = len(self.sectors)
        return f"{self.regions[i // S]}/{self.sectors[i % S].code}"

    def column(self, j: int) -> str:
        """Label of numeric column ``j`` (0 = column E)."""
        if j < self.n:
            return self.industry(j)
        k = j - self.n
        if k < self.nf:
            C = len(CATEGORIES)
            return f"{self.regions[k // C]}/{CATEGORIES[k % C]}"
        return "output" if k == self.nf else f"column {get_column_letter(LABEL_COLUMNS + j + 1)}"


def _header(head: list[tuple[Any, ...]], path: Path) -> _Layout:
    p = str(path)
    title = _text(_cell(head[0], 0))
    m = re.search(r"((?:19|20)\d\d)$", title)
    if not m:
        raise ParseError(
            "cell A1 must hold the title ending in the year (World Input-Output Table ...)",
            path=p,
            row=1,
            column="A",
            value=title or None,
        )
    unit = _text(_cell(head[3], 0)).lower()
    if "million" not in unit or not ("us$" in unit or "usd" in unit):
        raise ParseError(
            "cell A4 must state the unit, (millions of US$)", path=p, row=4, column="A", value=unit
        )
    regions_row, codes_row = head[4], head[5]
    known = sectors()
    j = LABEL_COLUMNS
    cols: list[tuple[str, str]] = []
    while _text(_cell(codes_row, j)) in known:
        cols.append((_text(_cell(regions_row, j)), _text(_cell(codes_row, j))))
        j += 1
    if not cols:
        raise ParseError(
            "row 6 must hold the WIOD sector codes c1..c35 of the industry columns from column E",
            path=p,
            row=6,
            column="E",
            value=_cell(codes_row, LABEL_COLUMNS),
        )
    regions = tuple(dict.fromkeys(r for r, _ in cols))
    codes = [c for r, c in cols if r == regions[0]]
    found = sector_labels(codes, path, "row 6")
    layout = _Layout(int(m.group(1)), regions, found)
    S = len(found)
    if len(cols) != layout.n or not all(r for r in regions):
        raise ParseError(
            f"industry columns must be every country x sector pair, region-major: {len(regions)} "
            f"countries x {S} sectors make {layout.n} columns; found {len(cols)}",
            path=p,
            row="5-6",
            column=get_column_letter(LABEL_COLUMNS + len(cols) + 1),
        )
    for k, (r, c) in enumerate(cols):
        if (r, c) != (regions[k // S], found[k % S].wiod_code):
            raise ParseError(
                f"industry columns must be region-major with the same sectors for every country; "
                f"expected {regions[k // S]} {found[k % S].wiod_code}",
                path=p,
                row="5-6",
                column=get_column_letter(LABEL_COLUMNS + k + 1),
                value=f"{r} {c}",
            )
    C = len(CATEGORIES)
    first = LABEL_COLUMNS + layout.n
    for k in range(layout.nf):
        col = first + k
        region = _text(_cell(regions_row, col))
        if region != regions[k // C]:
            raise ParseError(
                f"final-use columns must be {C} per country in the industries' country order; "
                f"expected {regions[k // C]}",
                path=p,
                row=5,
                column=get_column_letter(col + 1),
                value=region or None,
            )
        code = _text(_cell(codes_row, col))
        if k >= C and code != _text(_cell(codes_row, first + k % C)):
            raise ParseError(
                "every country's final-use columns must carry the same codes",
                path=p,
                row=6,
                column=get_column_letter(col + 1),
                value=code or None,
            )
        desc = _text(_cell(head[3], col)).lower()
        if k < C and desc and not any(w in desc for w in CATEGORY_WORDS[k]):
            raise ParseError(
                f"final-use column {k + 1} of each country must be {CATEGORIES[k]}",
                path=p,
                row=4,
                column=get_column_letter(col + 1),
                value=desc,
            )
    return layout


def _numbers(
    cells: Sequence[Any],
    offset: int,
    layout: _Layout,
    row_label: str,
    excel_row: int,
    path: Path,
    *,
    allow_empty: bool = False,
) -> Array:
    """Cells as floats; the first empty, non-numeric or non-finite one raises, located."""
    if not all(type(v) in _NUMBER_TYPES or (allow_empty and v is None) for v in cells):
        k = next(
            k
            for k, v in enumerate(cells)
            if not (type(v) in _NUMBER_TYPES or (allow_empty and v is None))
        )
        v = cells[k]
        ref = f"{get_column_letter(LABEL_COLUMNS + offset + k + 1)}{excel_row}"
        raise ParseError(
            f"{'empty' if v is None else 'non-numeric'} cell {ref}",
            path=str(path),
            row=row_label,
            column=layout.column(offset + k),
            value=v,
        )
    arr = np.array([np.nan if v is None else v for v in cells], dtype=np.float64)
    bad = ~np.isfinite(arr) & np.array([v is not None for v in cells])
    if bad.any():
        k = int(np.argmax(bad))
        ref = f"{get_column_letter(LABEL_COLUMNS + offset + k + 1)}{excel_row}"
        raise NonFiniteError(
            f"{path}: non-finite cell {ref} at row {row_label}, column "
            f"{layout.column(offset + k)}: {arr[k]}"
        )
    return arr


def _read_sheet(rows: Any, path: Path) -> MRIOTable:
    p = str(path)
    head: list[tuple[Any, ...]] = []
    for row in rows:
        head.append(tuple(row))
        if len(head) == HEADER_ROWS:
            break
    if len(head) < HEADER_ROWS:
        raise ParseError(
            f"the sheet ends within the {HEADER_ROWS}-row header", path=p, row=len(head) + 1
        )
    layout = _header(head, path)
    n, nf, width = layout.n, layout.nf, layout.width
    S = len(layout.sectors)
    Z = np.empty((n, n))
    Y = np.empty((n, nf))
    x = np.empty(n)
    bottom: dict[str, tuple[int, tuple[Any, ...]]] = {}
    i, excel_row = 0, HEADER_ROWS
    for raw in rows:
        excel_row += 1
        row = tuple(raw)
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        labels = (_text(_cell(row, 2)), _text(_cell(row, 3)))
        if i < n:
            expected = (layout.regions[i // S], layout.sectors[i % S].wiod_code)
            if labels != expected:
                raise ParseError(
                    f"industry row {i + 1} must match industry column {i + 1}: "
                    f"expected country and code {expected[0]} {expected[1]} in columns C-D",
                    path=p,
                    row=excel_row,
                    column="C-D",
                    value=f"{labels[0]} {labels[1]}",
                )
            cells = _span(row, LABEL_COLUMNS, width)
            _no_extra(row, width, excel_row, path)
            values = _numbers(cells, 0, layout, layout.industry(i), excel_row, path)
            Z[i], Y[i], x[i] = values[:n], values[n : n + nf], values[-1]
            i += 1
            continue
        code = labels[1]
        if code not in (TOTAL_INTERMEDIATE_ROW, *VA_ROWS, OUTPUT_ROW):
            raise ParseError(
                f"unexpected row below the {n} industry rows: column D must hold one of "
                f"{TOTAL_INTERMEDIATE_ROW}, {', '.join(VA_ROWS)}, {OUTPUT_ROW}",
                path=p,
                row=excel_row,
                column="D",
                value=code or None,
            )
        if code in bottom:
            raise ParseError(
                "row code appears twice", path=p, row=excel_row, column="D", value=code
            )
        bottom[code] = (excel_row, row)
    if i < n:
        raise ParseError(
            f"the sheet ends after {i} of {n} industry rows (truncated?)", path=p, row=excel_row
        )
    missing = [c for c in (TOTAL_INTERMEDIATE_ROW, *VA_ROWS, OUTPUT_ROW) if c not in bottom]
    if missing:
        raise ParseError(
            f"rows {missing} are missing below the industry rows (column D codes)",
            path=p,
            row=excel_row,
            column="D",
        )

    def bottom_row(code: str) -> tuple[Array, Array]:
        excel_row, row = bottom[code]
        cells = _span(row, LABEL_COLUMNS, n + nf)
        label = f"{code} ({_text(_cell(row, 1)) or VA_ROWS.get(code, code)})"
        industries = _numbers(cells[:n], 0, layout, label, excel_row, path)
        final = _numbers(cells[n:], n, layout, label, excel_row, path, allow_empty=True)
        return industries, final

    V = np.empty((len(VA_ROWS), n))
    final_totals: dict[str, float] = {}
    for k, code in enumerate(VA_ROWS):
        V[k], final = bottom_row(code)
        total = float(np.nansum(final))
        if total:
            final_totals[code] = total
    inputs, _ = bottom_row(TOTAL_INTERMEDIATE_ROW)
    published_x, _ = bottom_row(OUTPUT_ROW)
    _check_total(
        inputs, Z.sum(axis=0), n, TOTAL_INTERMEDIATE_ROW, "intermediate inputs", layout, path
    )
    _check_total(
        published_x, x, n + len(VA_ROWS), OUTPUT_ROW, "the total output column", layout, path
    )
    notes = (
        f"WIOD 2013 release, spreadsheet {path.name}. {COMMON_NOTES} Value added: the six "
        f"published rows r61-r66 ({'; '.join(VA_ROWS.values())}); they sum to output minus "
        "intermediate inputs."
    )
    if final_totals:
        listed = "; ".join(f"{c} {VA_ROWS[c]} {v:,.6g}" for c, v in final_totals.items())
        notes += (
            " The published value-added rows also hold entries in the final-use columns (totals: "
            f"{listed}); a table has no value-added rows for final use, so they are left out."
        )
    return MRIOTable.from_arrays(
        regions=layout.regions,
        sectors=[s.code for s in layout.sectors],
        categories=CATEGORIES,
        Z=Z,
        Y=Y,
        x=x,
        V=V,
        va_components=tuple(VA_ROWS.values()),
        meta=table_metadata(layout.year, layout.sectors, XLSX_ROUNDING, notes),
        copy=False,
    )


def _no_extra(row: Sequence[Any], width: int, excel_row: int, path: Path) -> None:
    for k in range(LABEL_COLUMNS + width, len(row)):
        if row[k] is not None:
            raise ParseError(
                f"unexpected cell {get_column_letter(k + 1)}{excel_row} beyond the total output "
                "column",
                path=str(path),
                row=excel_row,
                column=get_column_letter(k + 1),
                value=row[k],
            )


def _check_total(
    published: Array,
    computed: Array,
    entries: int,
    code: str,
    what: str,
    layout: _Layout,
    path: Path,
) -> None:
    """A published total row must equal the table's figure within rounding."""
    tol = XLSX_ROUNDING * entries + 1e-6 * np.abs(computed)
    diff = published - computed
    bad = np.abs(diff) > tol
    if bad.any():
        j = int(np.argmax(np.where(bad, np.abs(diff), -1)))
        raise ParseError(
            f"published row {code} differs from {what} by {diff[j]:.6g} "
            f"(computed {computed[j]:.6g}; tolerance {tol[j]:.3g}) in {int(bad.sum())} column(s)",
            path=str(path),
            row=code,
            column=layout.column(j),
            value=float(published[j]),
        )
