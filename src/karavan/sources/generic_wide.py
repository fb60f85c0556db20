"""The wide layout of the generic format (``docs/generic-format.md``): a CSV laid out like a
published table. Row 1 holds ``region, sector`` then each column's region; row 2 two empty cells
then each column's sector (industry columns, in the order of the industry rows) or final-demand
category. Rows: industries (region, sector), then ``VA, COMPONENT``, ``F, NAME [UNIT]`` and
one optional ``x, output``. Every cell holds a number except the final-demand part of ``VA``
and ``x`` rows, which must be empty."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np

from karavan.core.table import MRIOTable, TableMetadata
from karavan.errors import KaravanError, ParseError
from karavan.sources.generic_text import (
    first_line,
    fmt,
    header_cells,
    number,
    read_text,
    table_metadata,
    uses_decimal_comma,
    write_sidecar,
)

__all__ = ["read_wide", "sniff_wide", "write_wide"]

_WIDE_CORNER = ("region", "sector")
_STRESSOR = re.compile(r"(.*\S)\s*\[(.+)\]")


def _first_difference(a: list[tuple[str, str]], b: list[tuple[str, str]]) -> int:
    return next(
        (k for k, (u, v) in enumerate(zip(a, b, strict=False)) if u != v), min(len(a), len(b))
    )


def sniff_wide(path: Path) -> bool:
    """A CSV file whose first header row begins ``region, sector``."""
    if path.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return False
    head = first_line(path)
    return head is not None and tuple(c.lower() for c in header_cells(head)[:2]) == _WIDE_CORNER


def read_wide(path: Path) -> MRIOTable:
    """Read the wide layout (two header rows, two label columns; see the module docstring)."""
    txt = read_text(path)
    notes = [f"read as {txt.encoding}"] if txt.encoding != "utf-8" else []
    rows = [
        (reader.line_num, [c.strip() for c in cells])
        for reader in [csv.reader(io.StringIO(txt.text, newline=""), delimiter=txt.delimiter)]
        for cells in reader
        if cells
    ]
    comma = txt.decimal_comma_allowed and uses_decimal_comma(
        c for _, cells in rows[2:] for c in cells[2:]
    )
    if comma:
        notes.append("decimal commas")
    meta, _ = table_metadata(path, notes)
    return _parse_wide(rows, path, comma, meta)


def _parse_wide(
    rows: list[tuple[int, list[str]]], path: Path, comma: bool, meta: TableMetadata
) -> MRIOTable:
    p = str(path)
    if len(rows) < 3:
        raise ParseError("wide layout: expected two header rows and data rows", path=p)
    (l1, h1), (l2, h2) = rows[0], rows[1]
    if tuple(c.lower() for c in h1[:2]) != _WIDE_CORNER or h2[:2] != ["", ""]:
        raise ParseError(
            "wide layout: the header must begin 'region, sector' on row 1 and two empty cells "
            "on row 2",
            path=p,
            row=l1,
            value=h1[:2] + h2[:2],
        )
    width = len(h1)
    if len(h2) != width:
        raise ParseError(f"expected {width} cells, got {len(h2)}", path=p, row=l2)
    cols = list(zip(h1[2:], h2[2:], strict=True))
    for j, (cr, cl) in enumerate(cols):
        if not cr or not cl:
            raise ParseError("wide layout: empty column label", path=p, row=l1, column=j + 3)
    industry_rows: list[tuple[int, list[str]]] = []
    va_rows: list[tuple[int, list[str]]] = []
    f_rows: list[tuple[int, list[str]]] = []
    x_rows: list[tuple[int, list[str]]] = []
    for line, cells in rows[2:]:
        if len(cells) != width:
            raise ParseError(
                f"expected {width} cells, got {len(cells)} (truncated or ragged row)",
                path=p,
                row=line,
            )
        kind = {"VA": va_rows, "F": f_rows, "x": x_rows}.get(cells[0], industry_rows)
        if not cells[0] or not cells[1]:
            raise ParseError("wide layout: empty row label", path=p, row=line, column=1)
        kind.append((line, cells))
    if len(x_rows) > 1:
        raise ParseError("wide layout: more than one x row", path=p, row=x_rows[1][0])
    ind = [(c[0], c[1]) for _, c in industry_rows]
    R = list(dict.fromkeys(r for r, _ in ind))
    S = list(dict.fromkeys(s for _, s in ind))
    expected = [(r, s) for r in R for s in S]
    n = len(expected)
    if ind != expected:
        k = _first_difference(ind, expected)
        line = industry_rows[min(k, len(industry_rows) - 1)][0]
        raise ParseError(
            "wide layout: industry rows must list every region x sector pair, region-major; "
            f"expected {expected[k] if k < n else 'no more rows'}",
            path=p,
            row=line,
            value="/".join(ind[k]) if k < len(ind) else None,
        )
    if cols[:n] != expected:
        k = _first_difference(cols, expected)
        raise ParseError(
            "wide layout: the first columns must repeat the industry rows in order; expected "
            f"{'/'.join(expected[k]) if k < n else 'more columns'}",
            path=p,
            row=l1,
            column=k + 3,
            value="/".join(cols[k]) if k < len(cols) else None,
        )
    fd_cols = cols[n:]
    C = list(dict.fromkeys(c for _, c in fd_cols))
    if fd_cols != [(r, c) for r in R for c in C]:
        raise ParseError(
            "wide layout: final-demand columns must be every region x category pair, "
            f"region-major, for regions {R}",
            path=p,
            row=l1,
            column=n + 3,
        )

    def numbers(line: int, cells: list[str], stop: int) -> list[float]:
        return [
            number(cells[j + 2], comma, path, line, f"{j + 3} ({'/'.join(cols[j])})", "cell")
            for j in range(stop)
        ]

    def no_final_demand(line: int, cells: list[str]) -> None:
        for j in range(n, len(cols)):
            if cells[j + 2]:
                raise ParseError(
                    "wide layout: VA and x rows have no final-demand part; leave it empty",
                    path=p,
                    row=line,
                    column=f"{j + 3} ({'/'.join(cols[j])})",
                    value=cells[j + 2],
                )

    full = np.array([numbers(line, c, len(cols)) for line, c in industry_rows]).reshape(
        n, len(cols)
    )
    for line, cells in (*va_rows, *x_rows):
        no_final_demand(line, cells)
    V = [numbers(line, c, n) for line, c in va_rows]
    F = np.array([numbers(line, c, len(cols)) for line, c in f_rows]).reshape(
        len(f_rows), len(cols)
    )
    stressors, units = [], []
    for line, cells in f_rows:
        m = _STRESSOR.fullmatch(cells[1])
        if m is None:
            raise ParseError(
                "wide layout: a stressor row is labelled 'NAME [UNIT]'",
                path=p,
                row=line,
                column=2,
                value=cells[1],
            )
        stressors.append(m.group(1))
        units.append(m.group(2).strip())
    try:
        return MRIOTable.from_arrays(
            regions=R,
            sectors=S,
            categories=C,
            Z=full[:, :n],
            Y=full[:, n:],
            x=numbers(*x_rows[0], n) if x_rows else None,
            V=V if va_rows else None,
            va_components=[c[1] for _, c in va_rows] if va_rows else None,
            F=F[:, :n],
            F_Y=F[:, n:],
            stressors=stressors,
            stressor_units=units,
            meta=meta,
        )
    except KaravanError as exc:
        raise ParseError(f"wide layout: {exc}", path=p) from None


def _wide_rows(table: MRIOTable) -> list[list[str]]:
    ind = [(r, s) for r in table.regions for s in table.sectors]
    fd = [(r, c) for r in table.regions for c in table.categories]
    cols = [*ind, *fd]
    blank = [""] * len(fd)
    rows = [["region", "sector", *(c[0] for c in cols)], ["", "", *(c[1] for c in cols)]]
    for i, (r, s) in enumerate(ind):
        rows.append([r, s, *map(fmt, table.Z[i]), *map(fmt, table.Y[i])])
    for k, comp in enumerate(table.va_components):
        rows.append(["VA", comp, *map(fmt, table.V[k]), *blank])
    for k, (st, unit) in enumerate(zip(table.stressors, table.stressor_units, strict=True)):
        rows.append(["F", f"{st} [{unit}]", *map(fmt, table.F[k]), *map(fmt, table.F_Y[k])])
    rows.append(["x", "output", *map(fmt, table.x), *blank])
    return rows


def write_wide(table: MRIOTable, path: Path) -> None:
    """Write ``table`` in the wide layout (UTF-8, ``,``-separated) and its sidecar."""
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(_wide_rows(table))
    write_sidecar(table, path)
