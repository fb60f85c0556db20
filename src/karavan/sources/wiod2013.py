"""WIOD 2013 release (November 2013): world input-output tables for 1995-2011.

41 regions (40 countries and the rest of the world, ``RoW``) x 35 sectors, industry by industry,
in current USD million at basic prices (Timmer et al. 2015). Two layouts are read:

``wiot_YYYY.RData`` (:func:`read_rdata`, here)
    One R list ``wiot_YYYY`` with ``year``, ``countries`` (41 codes), ``industries``
    (``c1``..``c35``), ``inter`` (1435 x 1435 intermediate use, region-major), ``final``
    (1435 x 205: 41 regions x 5 final-use categories, by position) and ``output`` (1435). Value
    added is derived as ``output - column sums of inter`` (one row): in WIOD it holds, besides
    value added at basic prices, taxes less subsidies on products, cif/fob adjustments, direct
    purchases abroad and by non-residents, and international transport margins.
    The entries are whole numbers that fall short of the published figures by less than one unit
    (truncation: output exceeds total uses in almost every row, by up to about 110), so the
    table's ``rounding`` is 1.0 per entry.

``wiotYY_row_apr12.xlsx`` (:func:`read_xlsx`, in :mod:`karavan.sources.wiod2013_sheet`)
    The published spreadsheet, whose six value-added rows become the components of ``V``.

Sectors are labelled by short codes (``AHF``, ``MIN``, ``FBT``, ...; ``meta.sector_names`` holds
the full names) from the package's ``data/sectors_wiod35.csv``. Labels are kept as published
(Romania is ``ROM``). Readers check shapes, labels and that every cell is a finite number, and
raise :class:`~karavan.errors.ParseError` (or :class:`~karavan.errors.NonFiniteError` for NA, NaN
and infinity) naming the file, the row and column labels and the value. Accounting checks
(signs, balance, productivity) are :meth:`MRIOTable.validate`'s, which
:func:`karavan.sources.formats.read_path` runs on every table read.
"""

from __future__ import annotations

import bz2
import lzma
import re
import warnings
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import rdata

from karavan.core.table import Array, MRIOTable
from karavan.errors import NonFiniteError, ParseError
from karavan.sources.wiod2013_labels import (
    CATEGORIES,
    COMMON_NOTES,
    RDATA_ROUNDING,
    provenance,
    sector_labels,
    table_metadata,
)
from karavan.sources.wiod2013_sheet import read_xlsx, sniff_xlsx

__all__ = ["provenance", "read_rdata", "read_xlsx", "sniff_rdata", "sniff_xlsx"]

_RDATA_FIELDS = ("year", "countries", "industries", "inter", "final", "output")
_WIOT_OBJECT = re.compile(r"wiot_(\d{4})")
_RDATA_NAME = re.compile(r"^wiot_(\d{4})\.(rdata|rda)$", re.IGNORECASE)
_R_SERIAL = (b"RDX2\n", b"RDX3\n")
_GZIP, _BZIP2, _XZ = b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00"


def _decompressed_head(path: Path, size: int = 4096) -> bytes:
    """The first ``size`` bytes of the (possibly compressed) R data stream; b'' if unreadable."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(1 << 20)  # a bzip2 block needs up to ~900 kB before it yields output
        if raw.startswith(_GZIP):
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, size)
        if raw.startswith(_BZIP2):
            return bz2.BZ2Decompressor().decompress(raw, max_length=size)
        if raw.startswith(_XZ):
            return lzma.LZMADecompressor().decompress(raw, max_length=size)
        return raw[:size]
    except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError):
        return b""


def sniff_rdata(path: Path) -> bool:
    """An R data file (gzip, bzip2, xz or uncompressed) holding a WIOD 2013 ``wiot_YYYY`` list.

    Cheap: the magic bytes, then either the file name ``wiot_YYYY.RData`` or a peek at the
    start of the stream (format ``RDX2``/``RDX3`` and an object named ``wiot_YYYY``).
    """
    path = Path(path)
    if not path.is_file():
        return False
    try:
        with path.open("rb") as fh:
            magic = fh.read(6)
    except OSError:
        return False
    if not magic.startswith((_GZIP, _BZIP2, _XZ, *_R_SERIAL)):
        return False
    if _RDATA_NAME.match(path.name):
        return True
    head = _decompressed_head(path)
    return head.startswith(_R_SERIAL) and re.search(rb"wiot_\d{4}", head) is not None


def _load_rda(path: Path) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message='Missing constructor for R class "iot"', category=UserWarning
        )
        try:
            data = rdata.read_rda(path)
        except Exception as exc:  # the rdata parser raises many kinds; keep the cause chained
            raise ParseError(
                f"cannot read the R data file, truncated or damaged? ({type(exc).__name__}: {exc})",
                path=str(path),
            ) from exc
    if not isinstance(data, Mapping):
        raise ParseError("expected R data holding named objects", path=str(path))
    return {str(k): v for k, v in data.items()}


def _strings(value: Any, field: str, path: Path) -> list[str]:
    arr = np.asarray(getattr(value, "values", value)).reshape(-1)
    if arr.dtype.kind not in "UO" or not all(isinstance(v, str) and v for v in arr):
        raise ParseError(
            f"{field} must be a character vector of labels",
            path=str(path),
            column=field,
            value=arr[:5].tolist(),
        )
    labels = [str(v) for v in arr]
    if len(set(labels)) != len(labels):
        dup = next(v for v in labels if labels.count(v) > 1)
        raise ParseError(f"{field} labels must be unique", path=str(path), column=field, value=dup)
    return labels


_LabelFn = Callable[[int], str]


def _finite_numbers(
    value: Any,
    field: str,
    shape: tuple[int, ...],
    row_label: _LabelFn,
    col_label: _LabelFn,
    path: Path,
    expected: str,
) -> Array:
    """``value`` as a float64 array of ``shape``, or a typed error naming the first bad cell."""
    raw = value if isinstance(value, np.ndarray) else getattr(value, "values", value)
    mask = np.ma.getmaskarray(raw) if np.ma.isMaskedArray(raw) else None
    arr = np.asarray(np.ma.getdata(raw))
    if arr.shape != shape:
        raise ParseError(
            f"{field} must have shape {shape} ({expected}); got {arr.shape}",
            path=str(path),
            column=field,
        )
    grid = arr.reshape(shape[0], -1)
    if arr.dtype.kind not in "iuf":
        numbers = arr.dtype.kind == "O" and all(_is_number(v) for v in grid.flat)
        if not numbers:
            kind = {"U": "text", "S": "text", "b": "logical values"}.get(arr.dtype.kind, "objects")
            first = next((i for i in np.ndindex(grid.shape) if not _reads_as_number(grid[i])), None)
            idx = first or (0, 0)
            raise ParseError(
                f"{field} must hold numbers; it holds {kind}, "
                + ("first cell not a number" if first else "first cell"),
                path=str(path),
                row=row_label(idx[0]),
                column=col_label(idx[1]),
                value=grid[idx].item() if isinstance(grid[idx], np.generic) else grid[idx],
            )
    out = arr.astype(np.float64)
    bad = ~np.isfinite(out) if mask is None else ~np.isfinite(out) | mask
    if bad.any():
        r, c = (int(i[0]) for i in np.nonzero(bad.reshape(grid.shape)))
        what = (
            "NA"
            if mask is not None and mask.reshape(grid.shape)[r, c]
            else out.reshape(grid.shape)[r, c]
        )
        raise NonFiniteError(
            f"{path}: {field} holds {int(bad.sum())} missing or non-finite value(s); first at "
            f"row {row_label(r)}, column {col_label(c)}: {what}"
        )
    return out


def _is_number(v: object) -> bool:
    return isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_)


def _reads_as_number(v: object) -> bool:
    if isinstance(v, str):
        try:
            float(v)
        except ValueError:
            return False
        return True
    return _is_number(v)


def read_rdata(path: Path) -> MRIOTable:
    """Read one year of the WIOD 2013 release from its R data file ``wiot_YYYY.RData``.

    The table is not validated here (``read_path`` does that); the layout is: shapes, labels
    and every cell a finite number, or :class:`~karavan.errors.ParseError` /
    :class:`~karavan.errors.NonFiniteError` naming the place.
    """
    path = Path(path)
    data = _load_rda(path)
    names = [k for k in data if _WIOT_OBJECT.fullmatch(k)]
    if len(names) != 1:
        raise ParseError(
            f"expected one R object named wiot_YYYY; the file holds {sorted(data)}", path=str(path)
        )
    name = names[0]
    wiot = data[name]
    if not isinstance(wiot, Mapping):
        raise ParseError(
            f"{name} must be an R list; got {type(wiot).__name__}", path=str(path), column=name
        )
    wiot = {str(k): v for k, v in wiot.items()}
    missing = [f for f in _RDATA_FIELDS if f not in wiot]
    if missing:
        raise ParseError(
            f"{name} lacks {missing} (it has {sorted(wiot)})", path=str(path), column=missing[0]
        )
    year_arr = np.asarray(getattr(wiot["year"], "values", wiot["year"])).reshape(-1)
    name_year = int(name[-4:])
    if year_arr.size != 1 or year_arr.dtype.kind not in "iuf" or int(year_arr[0]) != name_year:
        raise ParseError(
            f"year must be the single number {name_year} (the object's name is {name})",
            path=str(path),
            column="year",
            value=year_arr.tolist(),
        )
    regions = _strings(wiot["countries"], "countries", path)
    sectors = sector_labels(_strings(wiot["industries"], "industries", path), path, "industries")
    R, S, C = len(regions), len(sectors), len(CATEGORIES)
    n, nf = R * S, R * C

    def industry(i: int) -> str:
        return f"{regions[i // S]}/{sectors[i % S].code}"

    def final_use(j: int) -> str:
        return f"{regions[j // C]}/{CATEGORIES[j % C]}"

    dims = f"{R} countries x {S} industries"
    Z = _finite_numbers(wiot["inter"], "inter", (n, n), industry, industry, path, dims)
    Y = _finite_numbers(
        wiot["final"], "final", (n, nf), industry, final_use, path, f"{dims}; {R} x {C} final uses"
    )
    x = _finite_numbers(wiot["output"], "output", (n,), industry, lambda j: "output", path, dims)
    notes = (
        f"WIOD 2013 release, R data file {path.name}. {COMMON_NOTES} Value added is one row, "
        "output minus intermediate inputs: in WIOD it includes, besides value added at basic "
        "prices, taxes less subsidies on products, cif/fob adjustments on exports, direct "
        "purchases abroad by residents, purchases by non-residents and international transport "
        "margins. Entries are whole USD million below the published figures by less than one "
        "unit (output exceeds total uses in almost every row, by up to about 110), hence a "
        "rounding allowance of 1.0 per entry."
    )
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=[s.code for s in sectors],
        categories=CATEGORIES,
        Z=Z,
        Y=Y,
        x=x,
        V=(x - Z.sum(axis=0))[None, :],
        va_components=("value added",),
        meta=table_metadata(name_year, sectors, RDATA_ROUNDING, notes),
        copy=False,
    )
