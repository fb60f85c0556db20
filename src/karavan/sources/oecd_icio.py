"""OECD Inter-Country Input-Output (ICIO) tables, one year per CSV file, as published.

Layouts read (industry by industry, current USD million at basic prices)::

    2021 edition  ICIO2021_2018.csv (from the zips ICIO_2015-2018.zip, ...)
    2023 edition  2019.csv, from the zip ICIO2023_2016-2020 (extended tables; the csv may come
                  in a zip inside the zip: extract it first); 2019_SML.csv for the small tables

    header     first cell (a name or empty), then the industry columns REG_SECTOR
               ('AUS_01T02' in 2021, 'AUS_A01_02' in 2023), region-major, then the final-demand
               columns REG_CODE for HFCE, NPISH, GGFC, GFCF, INVNT, DPABR (six per region, same
               order for every region), then the total column: TOTAL (2021) or OUT (2023)
    rows       one per industry, in the order of the industry columns, then
               2021: REG_TAXSUB (one row per region: taxes less subsidies on products paid in
               that region), VALU (value added), OUTPUT
               2023: TLS (taxes less subsidies on products), VA (value added), OUT

The extended tables split Mexico and China into MX1, MX2 and CN1, CN2 (industry rows and
columns only, placed after the other regions; MEX and CHN keep their rows and columns, mostly
zero, and final demand is by MEX and CHN only). Any region coded MX<digit> or CN<digit> is merged
back into MEX or CHN: its rows are added to MEX's (CHN's) rows sector by sector, then its
columns to MEX's (CHN's) columns, in Z, Y, the tax and value-added rows and published output.
This is the sum pymrio's ``parse_oecd`` and MARIO's OECD parser compute; it changes the
Leontief inverse (see ``tests/regression/exvatools_tables.py`` for the split-table alternative).

``V`` has two components: taxes less subsidies on products (the 2021 REG_TAXSUB rows summed over
the paying region, which is said in the notes) and value added at basic prices. Entries of these
rows in the final-demand columns (taxes on final products) have no place in ``V`` and are left
out; their totals are stated in the notes. The published output (the total column and the
output row) is checked against row sums ``Z 1 + Y 1`` and column sums ``1'Z + 1'V`` within
``RTOL * |x| + ROUNDING * entries``: the publisher states no rounding, so the allowance is small.

The 2025 edition (files ``<year>.csv`` and ``<year>_SML.csv``) is read where its layout is the
2023 one, which MARIO's OECD parser (written for 2025) assumes: TLS, VA, OUT rows, OUT column and
the same final-demand codes. That is not confirmed from the publisher here; the edition is named
from a folder or archive ``ICIO20YY`` on the path, else "2023 layout".

Files must be comma-separated UTF-8 (or ASCII) with decimal points, as published. Anything else
(a semicolon-separated re-save with decimal commas, a cp1251 or latin-1 re-encoding) is refused
with :class:`~karavan.errors.ParseError` naming the file; so is any non-numeric cell (with its row
and column labels and value), a truncated file, and a missing or unexpected row or column.
"""

from __future__ import annotations

import csv
import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from karavan.core.table import Array, MRIOTable, TableMetadata
from karavan.errors import NonFiniteError, ParseError
from karavan.sources.icio_split import merge_split_regions, split_regions
from karavan.sources.provenance import Provenance, raw_file_record

__all__ = [
    "CATEGORIES",
    "ROUNDING",
    "RTOL",
    "VA_COMPONENTS",
    "provenance",
    "read",
    "read_table",
    "sniff",
]

CATEGORIES: tuple[str, ...] = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR")
"""Final-demand codes, in the files' order: household consumption, non-profit institutions
serving households, government consumption, gross fixed capital formation, changes in
inventories and valuables, direct purchases abroad by residents."""
VA_COMPONENTS: tuple[str, ...] = ("taxes less subsidies on products", "value added at basic prices")
TOTAL_COLUMNS = ("TOTAL", "OUT")  # 2021, 2023
OUTPUT_ROWS = ("OUTPUT", "OUT")
VALUE_ADDED_ROWS = ("VALU", "VA")
TAX_ROW = "TLS"
TAX_SUFFIX = "_TAXSUB"
RTOL = 1e-6
ROUNDING = 1e-6  # USD million per entry: an allowance for floating-point sums, not a published one
URL = "https://www.oecd.org/en/data/datasets/inter-country-input-output-tables.html"
LICENCE = "OECD terms and conditions (https://www.oecd.org/en/about/terms-conditions.html)"

_NAME_2021 = re.compile(r"^ICIO2021_(?P<year>\d{4})\.csv$", re.IGNORECASE)
_NAME_2023 = re.compile(r"^(?P<year>\d{4})(?:_SML)?\.csv$", re.IGNORECASE)
_EDITION_IN_PATH = re.compile(r"ICIO[_-]?(20\d\d)(?!\d)", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\d+,\d+\s*$")
_SNIFF_BYTES = 1 << 20


def _edition(path: Path) -> str:
    if _NAME_2021.match(path.name):
        return "2021"
    for part in reversed(path.parts[:-1]):
        m = _EDITION_IN_PATH.search(part)
        if m:
            return m.group(1)
    return "2023 layout"


def _year(path: Path) -> int:
    m = _NAME_2021.match(path.name) or _NAME_2023.match(path.name)
    if m is None:
        raise ParseError(
            "cannot tell the year from the file name; expected ICIO2021_YYYY.csv (2021 edition) "
            "or YYYY.csv / YYYY_SML.csv (2023 edition), as published",
            path=str(path),
            value=path.name,
        )
    return int(m.group("year"))


def sniff(path: Path) -> bool:
    """A CSV named as the publisher names them whose header holds ``_HFCE`` columns."""
    path = Path(path)
    if not path.is_file() or not (_NAME_2021.match(path.name) or _NAME_2023.match(path.name)):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(_SNIFF_BYTES)
    except OSError:
        return False
    first = head.split(b"\n", 1)[0]
    return b"_HFCE" in first and b"," in first


# ---------------------------------------------------------------------- header and layout
@dataclass(frozen=True)
class _Layout:
    columns: tuple[str, ...]  # data columns (the header without its first cell)
    regions: tuple[str, ...]  # industry regions as published, split ones included
    sectors: tuple[str, ...]
    fd_regions: tuple[str, ...]
    total: str

    @property
    def n(self) -> int:
        return len(self.regions) * len(self.sectors)

    @property
    def nf(self) -> int:
        return len(self.fd_regions) * len(CATEGORIES)


def _text_lines(path: Path) -> Iterator[list[str]]:
    """The file's rows as lists of strings, streamed; decoding errors become ParseError."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            yield from csv.reader(fh)
    except UnicodeDecodeError as exc:
        raise ParseError(
            f"not UTF-8 or ASCII text (byte {exc.object[exc.start : exc.start + 1]!r} at offset "
            f"{exc.start} of a block); the publisher's CSV files are ASCII: was the file re-saved "
            "in another encoding (cp1251, latin-1)? Re-save it as UTF-8",
            path=str(path),
        ) from exc


def _header(path: Path) -> list[str]:
    for row in _text_lines(path):
        if len(row) == 1 and ";" in row[0]:
            raise ParseError(
                "the header is semicolon-separated (a re-save with decimal commas?); expected "
                "the publisher's comma-separated layout with decimal points",
                path=str(path),
                row=1,
            )
        return [c.strip() for c in row]
    raise ParseError("the file is empty", path=str(path))


def _split_label(label: str, path: Path, column: int) -> tuple[str, str]:
    region, sep, code = label.partition("_")
    if not sep or not region or not code:
        raise ParseError(
            "expected a column label REGION_CODE", path=str(path), row=1, column=column, value=label
        )
    return region, code


def _layout(header: Sequence[str], path: Path) -> _Layout:
    p = str(path)
    cols = tuple(header[1:])
    if len(cols) < 2 or cols[-1] not in TOTAL_COLUMNS:
        raise ParseError(
            f"the last column must be the total output column, one of {TOTAL_COLUMNS}",
            path=p,
            row=1,
            column=len(header),
            value=cols[-1] if cols else None,
        )
    dup = next((c for i, c in enumerate(cols) if c in cols[:i]), None)
    if dup is not None:
        raise ParseError("a column label appears twice", path=p, row=1, value=dup)
    body = cols[:-1]
    parts = [_split_label(c, path, k + 2) for k, c in enumerate(body)]
    first_fd = next((k for k, (_, code) in enumerate(parts) if code in CATEGORIES), None)
    if first_fd is None or first_fd == 0:
        raise ParseError(
            f"expected industry columns followed by final-demand columns REGION_{CATEGORIES[0]}, "
            f"..., REGION_{CATEGORIES[-1]}",
            path=p,
            row=1,
        )
    industries, final = parts[:first_fd], parts[first_fd:]
    regions = tuple(dict.fromkeys(r for r, _ in industries))
    S = len(industries) // len(regions)
    sectors = tuple(code for _, code in industries[:S])
    for k, rc in enumerate(industries):
        if rc != (regions[k // S], sectors[k % S]):
            raise ParseError(
                "industry columns must be region-major with the same sectors for every region; "
                f"expected {regions[k // S]}_{sectors[k % S]}",
                path=p,
                row=1,
                column=k + 2,
                value=body[k],
            )
    C = len(CATEGORIES)
    fd_regions = tuple(dict.fromkeys(r for r, _ in final))
    for k, rc in enumerate(final):
        region = fd_regions[k // C] if k // C < len(fd_regions) else "?"
        if rc != (region, CATEGORIES[k % C]):
            raise ParseError(
                f"final-demand columns must be {', '.join(CATEGORIES)} for each region in turn; "
                f"expected {region}_{CATEGORIES[k % C]}",
                path=p,
                row=1,
                column=first_fd + k + 2,
                value=body[first_fd + k],
            )
    if len(final) != C * len(fd_regions):
        raise ParseError(
            f"each region needs {C} final-demand columns; got {len(final)} for "
            f"{len(fd_regions)} regions",
            path=p,
            row=1,
        )
    return _Layout(cols, regions, sectors, fd_regions, cols[-1])


# ---------------------------------------------------------------------- cells
def _numbers(path: Path, layout: _Layout) -> tuple[list[str], Array]:
    """Row labels and the numeric block (rows x data columns) via pandas' C parser."""
    names = ["label", *layout.columns]
    dtypes: dict[str, type] = {c: np.float64 for c in layout.columns}
    try:
        with warnings.catch_warnings():
            # a row longer than the header: refuse rather than drop or shift cells
            warnings.simplefilter("error", pd.errors.ParserWarning)
            frame = pd.read_csv(
                path,
                header=0,
                names=names,
                index_col=False,
                dtype={"label": str, **dtypes},
                encoding="utf-8-sig",
                keep_default_na=False,
                na_values=[""],
                engine="c",
            )
    except pd.errors.ParserWarning as exc:
        raise ParseError(
            f"a row has more cells than the header has labels ({exc})", path=str(path)
        ) from exc
    except UnicodeDecodeError as exc:
        list(_text_lines(path))  # raises the located ParseError
        raise ParseError("not UTF-8 or ASCII text", path=str(path)) from exc
    except pd.errors.ParserError as exc:
        raise ParseError(f"malformed CSV ({exc})", path=str(path)) from exc
    except ValueError as exc:
        _raise_bad_cell(path, layout)
        raise ParseError(f"a cell is not a number ({exc})", path=str(path)) from exc
    labels = [str(v).strip() if isinstance(v, str) else "" for v in frame["label"]]
    return labels, frame.iloc[:, 1:].to_numpy(dtype=np.float64)


def _raise_bad_cell(path: Path, layout: _Layout) -> None:
    """Find the first non-numeric cell by streaming the text, and raise a located ParseError."""
    reader = _text_lines(path)
    next(reader, None)
    for r, row in enumerate(reader, start=2):
        label = row[0].strip() if row else ""
        for k, cell in enumerate(row[1:]):
            text = cell.strip()
            if not text:
                continue
            try:
                float(text)
            except ValueError:
                comma = _DECIMAL_COMMA.match(text) is not None
                raise ParseError(
                    "decimal comma in a cell; expected decimal points, as published"
                    if comma
                    else "non-numeric cell",
                    path=str(path),
                    row=label or r,
                    column=layout.columns[k] if k < len(layout.columns) else k + 2,
                    value=cell,
                ) from None


def _check_finite(block: Array, rows: Sequence[str], cols: Sequence[str], path: Path) -> None:
    bad = ~np.isfinite(block)
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad))
        v = float(block[r, c])
        if np.isnan(v):
            raise ParseError(
                f"empty cell ({int(bad.sum())} empty or NaN in all; truncated file?)",
                path=str(path),
                row=rows[r],
                column=cols[c],
            )
        raise NonFiniteError(f"{path}: infinite value at row {rows[r]}, column {cols[c]}: {v}")


# ---------------------------------------------------------------------- reading
def read(path: Path) -> list[MRIOTable]:
    """The one table in ``path``, as a list (what a source format's ``read`` returns)."""
    return [read_table(path)]


def read_table(path: Path) -> MRIOTable:
    """Read one year of the OECD ICIO tables from its published CSV file.

    Split regions (MX1, MX2, CN1, CN2) are merged into MEX and CHN; published output is checked
    against the row and column sums. The year comes from the file name.
    """
    path = Path(path)
    p = str(path)
    year = _year(path)
    layout = _layout(_header(path), path)
    labels, values = _numbers(path, layout)
    n, nf = layout.n, layout.nf
    industry_labels = layout.columns[:n]
    if len(labels) < n:
        raise ParseError(
            f"the file ends after {len(labels)} of {n} industry rows (truncated?)",
            path=p,
            row=len(labels) + 1,
        )
    for i in range(n):
        if labels[i] != industry_labels[i]:
            raise ParseError(
                f"industry row {i + 1} must match industry column {i + 1}: expected "
                f"{industry_labels[i]}",
                path=p,
                row=i + 2,
                column=1,
                value=labels[i] or None,
            )
    tax_rows: list[int] = []
    va_row = out_row = None
    for i in range(n, len(labels)):
        lab = labels[i]
        if lab == TAX_ROW or lab.endswith(TAX_SUFFIX):
            tax_rows.append(i)
        elif lab in VALUE_ADDED_ROWS and va_row is None:
            va_row = i
        elif lab in OUTPUT_ROWS and out_row is None:
            out_row = i
        else:
            raise ParseError(
                f"unexpected row below the {n} industry rows: expected {TAX_ROW} or "
                f"REGION{TAX_SUFFIX}, then one of {VALUE_ADDED_ROWS}, then one of {OUTPUT_ROWS}",
                path=p,
                row=i + 2,
                column=1,
                value=lab or None,
            )
    missing = [
        what
        for what, found in (
            (f"{TAX_ROW} (or REGION{TAX_SUFFIX})", tax_rows),
            ("/".join(VALUE_ADDED_ROWS), va_row is not None),
            ("/".join(OUTPUT_ROWS), out_row is not None),
        )
        if not found
    ]
    if missing:
        raise ParseError(
            f"rows {missing} are missing below the industry rows (truncated file?)",
            path=p,
            row=len(labels) + 1,
            column=1,
        )
    assert va_row is not None
    assert out_row is not None
    cols = layout.columns
    _check_finite(values[:n], labels[:n], cols, path)
    bottom = [*tax_rows, va_row, out_row]
    _check_finite(values[bottom][:, :n], [labels[i] for i in bottom], cols[:n], path)

    Z, Y, x = values[:n, :n], values[:n, n : n + nf], values[:n, -1]
    V = np.vstack([values[tax_rows, :n].sum(axis=0), values[va_row, :n]])
    x_row = values[out_row, :n]
    fd_taxes = float(np.nansum(values[tax_rows, n : n + nf]))
    fd_va = float(np.nansum(values[va_row, n : n + nf]))

    regions, merged = split_regions(layout.regions, path)
    if merged:
        Z, Y, x, V, x_row = merge_split_regions(
            layout.regions, regions, len(layout.sectors), Z, Y, x, V, x_row
        )
    if regions != layout.fd_regions:
        raise ParseError(
            "the regions of the industry rows (split regions merged) must be those of the "
            f"final-demand columns, in order; got {list(regions)} and {list(layout.fd_regions)}",
            path=p,
            row=1,
        )
    S = len(layout.sectors)

    def column(j: int) -> str:
        return f"{regions[j // S]}_{layout.sectors[j % S]}"

    _check_total(
        x,
        Z.sum(axis=1) + Y.sum(axis=1),
        n + nf,
        layout.total,
        "row sums Z 1 + Y 1",
        column,
        path,
        by_row=True,
    )
    _check_total(
        x_row,
        Z.sum(axis=0) + V.sum(axis=0),
        n + len(bottom) - 1,
        labels[out_row],
        "column sums 1'Z + 1'V",
        column,
        path,
        by_row=False,
    )
    _check_total(
        x_row, x, 1, labels[out_row], f"the {layout.total} column", column, path, by_row=False
    )
    edition = _edition(path)
    notes = _notes(path, edition, layout, merged, len(tax_rows), fd_taxes, fd_va)
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=layout.sectors,
        categories=CATEGORIES,
        Z=Z,
        Y=Y,
        x=x,
        V=V,
        va_components=VA_COMPONENTS,
        meta=TableMetadata(
            source="OECD ICIO",
            edition=f"{edition} edition" if edition.isdigit() else edition,
            year=year,
            currency="USD",
            unit="million",
            price_basis="basic prices (current)",
            licence=LICENCE,
            citation=_citation(edition),
            rounding=ROUNDING,
            estimated=False,
            notes=notes,
        ),
        copy=False,
    )


def _check_total(
    published: Array,
    computed: Array,
    entries: int,
    label: str,
    what: str,
    column: Callable[[int], str],
    path: Path,
    *,
    by_row: bool,
) -> None:
    """Published output must equal ``computed`` within ``RTOL * |x| + ROUNDING * entries``."""
    tol = RTOL * np.abs(computed) + ROUNDING * entries + 1e-9
    diff = published - computed
    bad = np.abs(diff) > tol
    if bad.any():
        j = int(np.argmax(np.where(bad, np.abs(diff), -1)))
        where = column(j)
        raise ParseError(
            f"published output ({label}) differs from {what} by {diff[j]:.6g} (computed "
            f"{computed[j]:.6g}; tolerance {tol[j]:.3g}) for {int(bad.sum())} industr"
            f"{'y' if bad.sum() == 1 else 'ies'} (split regions merged)",
            path=str(path),
            row=where if by_row else label,
            column=label if by_row else where,
            value=float(published[j]),
        )


def _notes(
    path: Path,
    edition: str,
    layout: _Layout,
    merged: dict[str, str],
    n_tax_rows: int,
    fd_taxes: float,
    fd_va: float,
) -> str:
    parts = [
        f"OECD ICIO, {edition} {'edition ' if edition.isdigit() else ''}file {path.name}. "
        "Industry by industry, current USD million at basic prices. Final demand: "
        + ", ".join(CATEGORIES)
        + " (DPABR: direct purchases abroad by residents; INVNT may be negative)."
    ]
    if merged:
        pairs = "; ".join(
            f"{', '.join(k for k, v in merged.items() if v == p)} into {p}"
            for p in dict.fromkeys(merged.values())
        )
        parts.append(
            f"Split regions merged by summing rows and columns: {pairs} (Z, Y, V and output)."
        )
    if n_tax_rows > 1:
        parts.append(
            f"Taxes less subsidies on products: the {n_tax_rows} REGION_TAXSUB rows (by paying "
            "region) summed into one component."
        )
    if fd_taxes or fd_va:
        parts.append(
            "Taxes less subsidies on final products (and value added) in the final-demand "
            f"columns are left out of the table (totals {fd_taxes:,.6g} and {fd_va:,.6g})."
        )
    if edition == "2023 layout":
        parts.append(
            "Edition not named on the path: read with the 2023 layout (also assumed for 2025)."
        )
    return " ".join(parts)


def _citation(edition: str) -> str:
    if edition == "2021":
        return "OECD (2021), OECD Inter-Country Input-Output Database, http://oe.cd/icio"
    year = edition if edition.isdigit() else "2023"
    return f"OECD ({year}), OECD Inter-Country Input-Output Tables, http://oe.cd/icio"


def provenance(path: Path) -> Provenance:
    """Source, licence, citation and the raw file's checksum."""
    path = Path(path)
    edition = _edition(path)
    return Provenance(
        source="OECD Inter-Country Input-Output (ICIO) tables",
        licence=LICENCE,
        citation=_citation(edition),
        edition=f"{edition} edition" if edition.isdigit() else edition,
        url=URL,
        raw_files=(raw_file_record(path),),
    )
