"""Bulk-import and bulk-export files of registry records: CSV, JSON and Parquet <-> row dicts.

:func:`read_rows` turns a file into :class:`Row` objects: plain ``dict[str, object]`` of the
record's fields, each also carrying ``row.source`` (:class:`RowSource`: the file name and the
1-based row number a person finds it at), so that validation errors can say "file, row, column,
value". :func:`write_rows` does the reverse for exports; ``read_rows(write_rows(rows, f), f)``
gives the rows back (for CSV: every scalar as text, see below).

Conventions, the same for the three formats:

* **Missing** is the same as absent: an empty (or blank) CSV cell, a JSON ``null`` and a
  Parquet null all leave the key out of the row (also inside nested objects), so that the
  schema's default applies.
* **Row numbers**: CSV counts records as a spreadsheet shows them, the header being row 1 and
  the first data row row 2 (a quoted cell spanning lines is still one row; blank lines count
  and are skipped); JSON counts the elements of the top-level array from 1; Parquet counts
  rows from 1.

CSV specifics:

* UTF-8, with or without a byte-order mark; anything else is refused with the byte offset of
  the first undecodable byte (and a hint when the file decodes as Windows-1251 or is UTF-16).
  Comma-separated, ``"``-quoted (RFC 4180, as Python's :mod:`csv` ``excel`` dialect).
* The header names the fields; duplicate or empty names are refused; a row with more cells
  than the header is refused; missing trailing cells are missing values.
* **Structured columns** (:data:`STRUCTURED_COLUMNS` by default: ``certifications``,
  ``countries``, ``sectors``, ``identifiers``, ``sites``, ``participants``, ``sources``) hold a
  list: either JSON (a cell starting with ``[`` or ``{``; needed for lists of objects, e.g.
  ``[{"scheme": "RU-INN", "value": "7707083893"}]``) or ``;``-separated text
  (``ISO 9001; ГОСТ Р 15.201``, ``KAZ;RUS``), items stripped, empty items dropped.
* Every other cell is text as written; the record schemas convert ``"12.5"`` to a number.
* :func:`write_rows` writes the union of the rows' keys as the header (first-seen order),
  lists and objects as JSON, numbers with :func:`repr`, booleans as ``true``/``false``, dates
  in ISO format.

JSON: UTF-8, a top-level array of objects, or an object whose ``items`` is that array.
Parquet: read and written with pyarrow (lists and structs map to lists and dicts).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Literal

from karavan.errors import ImportValidationError

__all__ = [
    "STRUCTURED_COLUMNS",
    "BulkFormat",
    "Row",
    "RowSource",
    "read_rows",
    "write_rows",
]

BulkFormat = Literal["csv", "json", "parquet"]

STRUCTURED_COLUMNS: frozenset[str] = frozenset(
    {"certifications", "countries", "sectors", "identifiers", "sites", "participants", "sources"}
)
"""CSV columns whose cells hold a list (JSON or ``;``-separated); see the module docstring."""

_BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True, slots=True)
class RowSource:
    """Where a row came from: the file's name and its 1-based row number in that file."""

    file: str
    row: int


class Row(dict[str, object]):
    """The fields of one record as read from a file, with :attr:`source` telling where."""

    __slots__ = ("source",)

    def __init__(self, fields: Mapping[str, object], source: RowSource) -> None:
        super().__init__(fields)
        self.source = source


def _fail(
    message: str,
    filename: str,
    *,
    row: int | None = None,
    column: str | None = None,
    value: object = None,
) -> ImportValidationError:
    where = f"file {filename}" + (f", row {row}" if row is not None else "")
    where += f", column {column}" if column is not None else ""
    return ImportValidationError(
        f"{message} ({where})",
        report=[
            {"file": filename, "row": row, "column": column, "value": value, "message": message}
        ],
    )


def _drop_missing(value: object) -> object:
    """``value`` with None entries of nested dicts removed (lists keep their items)."""
    if isinstance(value, dict):
        return {str(k): _drop_missing(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_missing(v) for v in value]
    return value


def _decode_utf8(data: bytes, filename: str) -> str:
    offset = len(_BOM) if data.startswith(_BOM) else 0
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail("file is UTF-16 (byte-order mark); expected UTF-8, re-save as UTF-8", filename)
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        at = offset + exc.start
        hint = ""
        try:
            as_cp1251 = data.decode("cp1251")
        except UnicodeDecodeError:
            pass
        else:
            if any("\u0400" <= c <= "\u04ff" for c in as_cp1251):
                hint = "; it decodes as Windows-1251 (cp1251): re-save it as UTF-8"
        raise _fail(
            f"file is not valid UTF-8: byte 0x{data[at]:02x} at byte offset {at}{hint}",
            filename,
            value=data[max(0, at - 8) : at + 8].hex(" "),
        ) from None


def _structured_cell(cell: str, filename: str, row: int, column: str) -> object:
    if cell[0] in "[{":
        try:
            return _drop_missing(json.loads(cell))
        except json.JSONDecodeError as exc:
            raise _fail(
                f"cell starts like JSON but is not valid JSON: {exc.msg} at character {exc.pos}",
                filename,
                row=row,
                column=column,
                value=cell,
            ) from None
    return [item.strip() for item in cell.split(";") if item.strip()]


def _read_csv(data: bytes, filename: str, structured: Collection[str]) -> list[Row]:
    reader = csv.reader(io.StringIO(_decode_utf8(data, filename), newline=""), strict=True)
    rows: list[Row] = []
    try:
        header = next(reader, None)
        if header is None:
            raise _fail("file is empty; expected a header row", filename, row=1)
        names = [name.strip() for name in header]
        for i, name in enumerate(names, start=1):
            if not name:
                raise _fail(f"header cell {i} is empty; expected a field name", filename, row=1)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise _fail(f"header repeats {', '.join(duplicates)}", filename, row=1)
        for number, cells in enumerate(reader, start=2):
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(names):
                raise _fail(
                    f"row has {len(cells)} cells; the header has {len(names)}",
                    filename,
                    row=number,
                    value=cells[len(names)],
                )
            fields: dict[str, object] = {}
            for name, cell in zip(names, cells, strict=False):
                if not cell.strip():
                    continue
                if name in structured:
                    fields[name] = _structured_cell(cell.strip(), filename, number, name)
                else:
                    fields[name] = cell
            rows.append(Row(fields, RowSource(filename, number)))
    except csv.Error as exc:
        raise _fail(f"malformed CSV near line {reader.line_num}: {exc}", filename) from None
    return rows


def _read_json(data: bytes, filename: str) -> list[Row]:
    try:
        document = json.loads(_decode_utf8(data, filename))
    except json.JSONDecodeError as exc:
        raise _fail(
            f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}", filename
        ) from None
    if isinstance(document, dict) and isinstance(document.get("items"), list):
        document = document["items"]
    if not isinstance(document, list):
        raise _fail(
            f'expected a top-level array of objects (or {{"items": [...]}}); '
            f"got {type(document).__name__}",
            filename,
        )
    rows: list[Row] = []
    for number, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            raise _fail(
                f"expected an object; got {type(item).__name__}", filename, row=number, value=item
            )
        fields = _drop_missing(item)
        assert isinstance(fields, dict)
        rows.append(Row(fields, RowSource(filename, number)))
    return rows


def _read_parquet(data: bytes, filename: str) -> list[Row]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(data))
    except (pa.ArrowException, OSError) as exc:
        raise _fail(f"not a readable Parquet file: {exc}", filename) from None
    rows: list[Row] = []
    for number, record in enumerate(table.to_pylist(), start=1):
        fields = _drop_missing(record)
        assert isinstance(fields, dict)
        rows.append(Row(fields, RowSource(filename, number)))
    return rows


def read_rows(
    source: bytes | str | os.PathLike[str],
    fmt: BulkFormat,
    *,
    filename: str,
    structured_columns: Collection[str] = STRUCTURED_COLUMNS,
) -> list[Row]:
    """The rows of a bulk-import file (bytes, or a path to read), each a :class:`Row` with its
    :class:`RowSource`; ``filename`` is the name errors give (the upload's name).

    Raises :class:`~karavan.errors.ImportValidationError` (a ``RecordValidationError``) with a
    one-entry ``report`` ``{"file", "row", "column", "value", "message"}`` when the file
    cannot be read as ``fmt``. Field values are not validated here: that is the schemas' job.
    """
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    if fmt == "csv":
        return _read_csv(data, filename, structured_columns)
    if fmt == "json":
        return _read_json(data, filename)
    if fmt == "parquet":
        return _read_parquet(data, filename)
    raise ValueError(f"format must be csv, json or parquet; got {fmt!r}")


def _jsonable(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to JSON")


def _csv_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=_jsonable)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return repr(value) if isinstance(value, float) else str(value)


def write_rows(rows: Iterable[Mapping[str, object]], fmt: BulkFormat) -> bytes:
    """``rows`` as a bulk-export file of ``fmt`` (CSV: UTF-8 without BOM, header first; JSON:
    one array, UTF-8; Parquet: pyarrow's inferred schema), readable by :func:`read_rows`."""
    if fmt == "json":
        return json.dumps(
            [dict(r) for r in rows], ensure_ascii=False, indent=1, default=_jsonable
        ).encode("utf-8")
    if fmt == "csv":
        materialised = rows if isinstance(rows, list) else list(rows)
        header: dict[str, None] = {}
        for row in materialised:
            header.update(dict.fromkeys(row))
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(header)
        for row in materialised:
            writer.writerow([_csv_cell(row.get(name)) for name in header])
        return out.getvalue().encode("utf-8")
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            materialised_rows = [dict(r) for r in rows]
            # Every row's keys, not only the first row's (from_pylist takes its columns from
            # the first row and would drop the others' extra keys without a word).
            columns: dict[str, None] = {}
            for row in materialised_rows:
                columns.update(dict.fromkeys(row))
            table = pa.Table.from_pylist(
                [{c: row.get(c) for c in columns} for row in materialised_rows]
            )
        except (pa.ArrowException, TypeError) as exc:
            raise ValueError(f"rows cannot be written as Parquet: {exc}") from exc
        sink = io.BytesIO()
        pq.write_table(table, sink)
        return sink.getvalue()
    raise ValueError(f"format must be csv, json or parquet; got {fmt!r}")
