"""Karavan's native table format: one Parquet file per array plus a JSON description.

Layout of one table directory::

    table.json      format name and version, labels, metadata, array shapes, storage types,
                    SHA-256 of every Parquet file
    Z.parquet  Y.parquet  x.parquet  V.parquet  F.parquet  F_Y.parquet

Each array is stored row-major as a single column ``v`` (zstd-compressed). Arrays whose values
are all whole numbers within +-2**53 are stored as int64, others as float64; both convert back
to float64 exactly, so a round trip is bit-for-bit. Labels live in ``table.json``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from karavan.core.table import Array, MRIOTable, TableMetadata
from karavan.errors import IntegrityError, ParseError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "is_table_dir", "read_table", "write_table"]

FORMAT_NAME = "karavan-table"
FORMAT_VERSION = 1
ARRAYS = ("Z", "Y", "x", "V", "F", "F_Y")
_EXACT_INT = 2.0**53


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def _write_array(arr: Array, path: Path) -> str:
    flat = np.ascontiguousarray(arr).reshape(-1)
    integral = flat.size > 0 and bool(
        np.all(np.abs(flat) < _EXACT_INT) and np.array_equal(flat, np.trunc(flat))
    )
    column = pa.array(flat.astype(np.int64) if integral else flat)
    pq.write_table(
        pa.table({"v": column}),
        path,
        compression="zstd",
        compression_level=9,
        use_dictionary=False,
        row_group_size=1 << 22,
    )
    return "int64" if integral else "float64"


def write_table(table: MRIOTable, directory: Path) -> dict[str, Any]:
    """Write ``table`` into ``directory`` (created; must not hold a table already)."""
    directory.mkdir(parents=True, exist_ok=False)
    arrays: dict[str, Any] = {}
    for name in ARRAYS:
        arr = getattr(table, name)
        path = directory / f"{name}.parquet"
        storage = _write_array(arr, path)
        arrays[name] = {"shape": list(arr.shape), "storage": storage, "sha256": sha256_file(path)}
    description = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "regions": list(table.regions),
        "sectors": list(table.sectors),
        "categories": list(table.categories),
        "va_components": list(table.va_components),
        "stressors": list(table.stressors),
        "stressor_units": list(table.stressor_units),
        "meta": table.meta.to_dict(),
        "arrays": arrays,
    }
    (directory / "table.json").write_text(json.dumps(description, indent=1, ensure_ascii=False))
    return description


def is_table_dir(path: Path) -> bool:
    desc = path / "table.json"
    if not desc.is_file():
        return False
    try:
        return bool(json.loads(desc.read_text()).get("format") == FORMAT_NAME)
    except (OSError, ValueError):
        return False


def read_description(directory: Path) -> dict[str, Any]:
    path = directory / "table.json"
    try:
        desc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ParseError(
            "not a Karavan table directory: table.json is missing", path=str(directory)
        ) from None
    except ValueError as exc:
        raise ParseError(f"table.json is not valid JSON: {exc}", path=str(path)) from None
    if desc.get("format") != FORMAT_NAME:
        raise ParseError(
            f"expected format {FORMAT_NAME!r}",
            path=str(path),
            column="format",
            value=desc.get("format"),
        )
    if desc.get("format_version") != FORMAT_VERSION:
        raise ParseError(
            f"unsupported format version (this Karavan reads {FORMAT_VERSION})",
            path=str(path),
            column="format_version",
            value=desc.get("format_version"),
        )
    return desc


def _read_column(path: Path, name: str, size: int) -> Array:
    """Column ``v`` of ``path`` as float64, read batch by batch into one preallocated array
    (reading the whole column first would hold Arrow's chunks and their concatenation at once)."""
    try:
        pf = pq.ParquetFile(path)
        rows = pf.metadata.num_rows
        if rows != size:
            raise IntegrityError(f"{path}: holds {rows} values, table.json says {size}")
        flat = np.empty(size, dtype=np.float64)
        pos = 0
        for batch in pf.iter_batches(columns=["v"], batch_size=1 << 20):
            values = batch.column(0).to_numpy(zero_copy_only=False)
            flat[pos : pos + values.size] = values
            pos += values.size
    except (OSError, pa.ArrowException) as exc:
        raise ParseError(f"cannot read array {name}: {exc}", path=str(path)) from None
    if pos != size:
        raise IntegrityError(f"{path}: yielded {pos} values, table.json says {size}")
    return flat


def read_table(directory: Path, *, verify: bool = False) -> MRIOTable:
    """Read a table directory; ``verify`` re-hashes every file against ``table.json``."""
    desc = read_description(directory)
    arrays: dict[str, Array] = {}
    for name in ARRAYS:
        spec = desc["arrays"][name]
        path = directory / f"{name}.parquet"
        if verify and sha256_file(path) != spec["sha256"]:
            raise IntegrityError(
                f"{path}: checksum differs from table.json; the file was changed or damaged"
            )
        shape = tuple(spec["shape"])
        flat = _read_column(path, name, int(np.prod(shape)))
        arrays[name] = flat.reshape(shape)
    return MRIOTable.from_arrays(
        regions=desc["regions"],
        sectors=desc["sectors"],
        categories=desc["categories"],
        va_components=desc["va_components"],
        stressors=desc["stressors"],
        stressor_units=desc["stressor_units"],
        meta=TableMetadata.from_dict(desc["meta"]),
        copy=False,
        **arrays,
    )
