"""Text handling shared by the generic format's layouts (``docs/generic-format.md``):
encoding (UTF-8, with or without BOM; Windows-1251 Cyrillic detected), the separator, numbers
with a decimal point or comma, and the metadata sidecar ``<file>.meta.json``."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from karavan.core.table import MRIOTable, TableMetadata
from karavan.errors import ParseError

__all__ = [
    "Text",
    "first_line",
    "fmt",
    "header_cells",
    "number",
    "read_text",
    "sidecar_path",
    "table_metadata",
    "uses_decimal_comma",
    "write_sidecar",
]

BOM = b"\xef\xbb\xbf"
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
CYRILLIC = re.compile("[\u0400-\u04ff]")
MIXED_SCRIPT = re.compile("[A-Za-z][\u0400-\u04ff]|[\u0400-\u04ff][A-Za-z]")
META_FIELDS = frozenset(TableMetadata.__dataclass_fields__) | {"url"}


@dataclass(frozen=True)
class Text:
    text: str
    encoding: str  # "utf-8" or "cp1251"
    delimiter: str

    @property
    def decimal_comma_allowed(self) -> bool:
        return self.delimiter != ","


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    if raw.startswith(BOM):
        raw = raw[len(BOM) :]
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        try:
            text = raw.decode("cp1251")
        except UnicodeDecodeError:
            text = ""
        if CYRILLIC.search(text) and not MIXED_SCRIPT.search(text):
            return text, "cp1251"
        raise ParseError(
            "text is not UTF-8, nor Windows-1251 Cyrillic (read as cp1251 it would mix Latin "
            "and Cyrillic letters in one word); save the file as UTF-8",
            path=str(path),
            row=raw[: exc.start].count(b"\n") + 1,
            value=raw[exc.start : exc.start + 4],
        ) from None


def delimiter(first_line: str) -> str:
    if "\t" in first_line:
        return "\t"
    return ";" if ";" in first_line else ","


def read_text(path: Path) -> Text:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ParseError(f"cannot read the file: {exc}", path=str(path)) from None
    text, encoding = decode(raw, path)
    return Text(text, encoding, delimiter(text.split("\n", 1)[0]))


def first_line(path: Path, size: int = 8192) -> str | None:
    """The first line of a text file, or None when it cannot be read as text."""
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:
            raw = fh.read(size)
    except OSError:
        return None
    raw = raw.split(b"\n", 1)[0]
    try:
        return decode(raw, path)[0]
    except ParseError:
        return None


def header_cells(line: str) -> list[str]:
    row = next(csv.reader([line], delimiter=delimiter(line)), [])
    return [c.strip() for c in row]


def uses_decimal_comma(values: Iterable[str]) -> bool:
    return any("," in v for v in values)


def number(
    text: str, decimal_comma: bool, path: Path, row: object, column: object, what: str
) -> float:
    s = text.strip()
    if not s:
        raise ParseError(
            f"{what}: empty cell; write 0 for a zero (missing values are never zero-filled)",
            path=str(path),
            row=row,
            column=column,
        )
    if decimal_comma:
        if "." in s:
            raise ParseError(
                f"{what}: '.' in a number of a file with decimal commas is ambiguous "
                "(thousands separator or decimal point?); use one decimal mark and no "
                "thousands separators",
                path=str(path),
                row=row,
                column=column,
                value=text,
            )
        s = s.replace(",", ".")
    if not NUMBER.fullmatch(s):
        raise ParseError(
            f"{what}: expected a finite number", path=str(path), row=row, column=column, value=text
        )
    return float(s)


# ---------------------------------------------------------------------- metadata sidecar
def sidecar_path(path: Path) -> Path:
    """``<file>.meta.json`` beside ``path``."""
    return path.with_name(path.name + ".meta.json")


def read_sidecar(path: Path) -> dict[str, Any] | None:
    side = sidecar_path(path)
    if not side.is_file():
        return None
    try:
        data = json.loads(side.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise ParseError(f"metadata sidecar is not valid JSON: {exc}", path=str(side)) from None
    if not isinstance(data, dict):
        raise ParseError("metadata sidecar must hold a JSON object", path=str(side))
    unknown = sorted(set(data) - META_FIELDS)
    if unknown:
        raise ParseError(
            f"unknown metadata fields {unknown}; known: {sorted(META_FIELDS)}",
            path=str(side),
            column=unknown[0],
        )
    checks: dict[str, tuple[type, ...]] = {
        "year": (int, type(None)),
        "rounding": (int, float),
        "estimated": (bool,),
        "sector_names": (dict,),
    }
    for key, value in data.items():
        types = checks.get(key, (str,))
        if not isinstance(value, types) or (key == "year" and isinstance(value, bool)):
            raise ParseError(
                f"metadata field {key} has the wrong type", path=str(side), column=key, value=value
            )
    return data


def table_metadata(path: Path, notes: Sequence[str]) -> tuple[TableMetadata, str]:
    data = read_sidecar(path)
    if data is None:
        meta = TableMetadata(source=f"generic file {path.name}", currency="", unit="")
        notes = [
            f"no metadata sidecar {sidecar_path(path).name}: currency and unit unknown",
            *notes,
        ]
        url = ""
    else:
        data = dict(data)
        url = str(data.pop("url", ""))
        meta = TableMetadata.from_dict(data)
    extra = "; ".join(notes)
    if extra:
        meta = TableMetadata.from_dict(
            {**meta.to_dict(), "notes": "; ".join(n for n in (meta.notes, extra) if n)}
        )
    return meta, url


def write_sidecar(table: MRIOTable, path: Path) -> None:
    sidecar_path(path).write_text(
        json.dumps(table.meta.to_dict(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def fmt(v: float) -> str:
    return repr(float(v))
