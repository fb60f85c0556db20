"""Systems saved by pymrio (``IOSystem.save_all``): read them, and write tables pymrio reads back.

pymrio is not imported: the files are parsed with pandas, so pymrio stays a test dependency.
Layout of a saved system (pymrio 0.5 to 0.7, text or Parquet tables)::

    file_parameters.json   {"systemtype": "IOSystem", "files": {"Z": {"name": "Z.txt",
                           "nr_index_col": "2", "nr_header": "2"}, "Y": ..., "unit": ...}}
    metadata.json          name, description, system, version, history (optional)
    Z.txt  Y.txt  [x.txt]  unit.txt  [population.txt]  [A.txt L.txt ...]
    <extension>/           one folder per extension (``emissions/``, ``factor_inputs/``)
        file_parameters.json   {"systemtype": "Extension", "name": "Emissions", "files": {...}}
        F.txt  [F_Y.txt]  unit.txt  [S.txt M.txt D_cba.txt ...]

Text tables are tab-separated with ``nr_header`` header rows (the column levels, e.g. region
and sector) followed by a row naming the index levels, then one row per entry with
``nr_index_col`` label columns. Parquet tables (``save_all(table_format="parquet")``) keep the
labels as a pandas index; files are named ``*.parquet`` and the file parameters say which.

Mapping to :class:`~karavan.core.table.MRIOTable`:

- ``Z``, ``Y`` as they are; ``x`` from ``x.txt`` (its ``indout`` column) when saved, else
  ``Z 1 + Y 1`` as pymrio's ``calc_x`` computes it (saved before ``calc_all``).
- The extension whose folder or name is ``factor_inputs`` (``Factor Inputs``) gives the
  value-added components ``V``, one per row of its ``F``; without one, ``V`` is one row,
  ``x - 1'Z``, and the notes say so.
- Every other extension's ``F`` rows become stressors, with ``F_Y`` (zeros where the extension
  has none) and the unit from its ``unit.txt``. A stressor index with several levels is
  flattened to one label joined by ``/`` (``emission_type1/air``); labels must be unique over
  all extensions.
- ``metadata.json``'s name and description go into the metadata's notes, with source
  ``pymrio`` and edition the saved name; the root ``unit.txt`` gives the monetary unit when it
  is one unit for every industry (``currency`` is then left empty, as pymrio does not split it).
- Derived accounts (``A``, ``L``, ``S``, ``M``, ``D_*``) and ``population`` are not read:
  Karavan recomputes the former and has no place for the latter.

:func:`write_pymrio` writes the opposite way: ``Z``, ``Y``, ``x`` and ``unit`` at the root,
``V`` as a ``factor_inputs`` extension and the stressors as a ``stressors`` extension (with
``F_Y`` and units), as text tables with every float written in full (round-trip exact).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from karavan.core.table import Array, MRIOTable, TableMetadata
from karavan.errors import NonFiniteError, ParseError
from karavan.sources.provenance import Provenance, raw_file_record

__all__ = ["provenance", "read", "sniff", "write_pymrio"]

PARAMETERS = "file_parameters.json"
METADATA = "metadata.json"
VALUE_ADDED_EXTENSION = "factor_inputs"
STRESSOR_EXTENSION = "stressors"
_CORE = ("Z", "Y")


# ---------------------------------------------------------------------- detection
def _parameters(directory: Path) -> dict[str, Any] | None:
    try:
        content = json.loads((directory / PARAMETERS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return content if isinstance(content, dict) else None


def sniff(path: Path) -> bool:
    """A directory holding ``file_parameters.json`` with ``systemtype`` ``IOSystem``."""
    path = Path(path)
    if not path.is_dir():
        return False
    params = _parameters(path)
    return params is not None and params.get("systemtype") == "IOSystem"


# ---------------------------------------------------------------------- reading
def _load_parameters(directory: Path, systemtype: str) -> dict[str, dict[str, Any]]:
    path = directory / PARAMETERS
    if not path.is_file():
        raise ParseError(f"not a pymrio-saved system: {PARAMETERS} is missing", path=str(path))
    params = _parameters(directory)
    if params is None:
        raise ParseError(f"{PARAMETERS} is not a valid JSON object", path=str(path))
    if params.get("systemtype") != systemtype:
        raise ParseError(
            f"expected systemtype {systemtype!r}",
            path=str(path),
            column="systemtype",
            value=params.get("systemtype"),
        )
    files = params.get("files")
    if not isinstance(files, dict):
        raise ParseError("expected a 'files' object", path=str(path), column="files")
    return files


def _count(entry: dict[str, Any], key: str, path: Path, name: str) -> int:
    try:
        n = int(entry[key])
    except (KeyError, TypeError, ValueError):
        raise ParseError(
            f"entry {name!r} needs a whole number {key!r}",
            path=str(path / PARAMETERS),
            column=key,
            value=entry.get(key),
        ) from None
    if n < 1:
        raise ParseError(
            f"{key} must be at least 1", path=str(path / PARAMETERS), column=key, value=n
        )
    return n


def _label(value: object) -> str:
    return "/".join(str(v) for v in value) if isinstance(value, tuple) else str(value)


def _read_frame(directory: Path, files: dict[str, Any], name: str) -> pd.DataFrame:
    """Table ``name`` of the file parameters, labels as read and values as float64."""
    entry = files[name]
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
        raise ParseError(
            f"entry {name!r} needs a file name", path=str(directory / PARAMETERS), column=name
        )
    path = directory / entry["name"]
    if not path.is_file():
        raise ParseError(
            f"{name} table {entry['name']} is missing (listed in {PARAMETERS})", path=str(path)
        )
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            n_index = _count(entry, "nr_index_col", directory, name)
            n_header = _count(entry, "nr_header", directory, name)
            frame = pd.read_csv(
                path,
                sep="\t",
                index_col=list(range(n_index)) if n_index > 1 else 0,
                header=list(range(n_header)) if n_header > 1 else 0,
            )
    except ParseError:
        raise
    except (OSError, ValueError, IndexError, pd.errors.ParserError) as exc:
        raise ParseError(f"cannot read {name}: {exc}", path=str(path)) from None
    return frame


def _numbers(frame: pd.DataFrame, name: str, path: Path) -> Array:
    """Values of ``frame`` as float64, or an error naming the first bad cell."""
    for col in frame.columns:
        column = frame[col]
        if column.dtype.kind not in "iuf":
            converted = pd.to_numeric(column, errors="coerce")
            bad = converted.isna() & column.notna()
            if bad.any():
                i = int(bad.to_numpy().argmax())
                raise ParseError(
                    f"{name} holds a non-numeric cell",
                    path=str(path),
                    row=_label(frame.index[i]),
                    column=_label(col),
                    value=column.iloc[i],
                )
    values = np.asarray(frame.to_numpy(dtype=np.float64), dtype=np.float64)
    bad_cells = ~np.isfinite(values)
    if bad_cells.any():
        r, c = (int(v[0]) for v in np.nonzero(bad_cells))
        raise NonFiniteError(
            f"{path}: {name} holds {int(bad_cells.sum())} empty or non-finite cell(s); first at "
            f"row {_label(frame.index[r])}, column {_label(frame.columns[c])}: {values[r, c]}"
        )
    return values


def _table_path(directory: Path, files: dict[str, Any], name: str) -> Path:
    return directory / str(files[name].get("name", name))


def _checked(
    directory: Path,
    files: dict[str, Any],
    name: str,
    rows: pd.Index | None,
    cols: pd.Index | None,
    frame: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, Array]:
    """Table ``name`` (read unless given) with its labels checked, and its values."""
    if frame is None:
        frame = _read_frame(directory, files, name)
    path = _table_path(directory, files, name)
    for what, got, expected in (("rows", frame.index, rows), ("columns", frame.columns, cols)):
        if expected is None:
            continue
        g = [_label(v) for v in got]
        e = [_label(v) for v in expected]
        if g != e:
            pos = next((i for i, (a, b) in enumerate(zip(g, e, strict=False)) if a != b), None)
            detail = (
                f"expected {len(e)} labels, got {len(g)}"
                if pos is None
                else f"at position {pos} expected {e[pos]!r}, got {g[pos]!r}"
            )
            raise ParseError(f"{name} {what} must match Z's: {detail}", path=str(path))
    return frame, _numbers(frame, name, path)


def _industry_labels(frame: pd.DataFrame, path: Path) -> tuple[list[str], list[str]]:
    if frame.index.nlevels != 2:
        raise ParseError(
            f"Z rows must have two label columns (region, sector); got {frame.index.nlevels}",
            path=str(path),
        )
    regions = list(dict.fromkeys(str(v) for v in frame.index.get_level_values(0)))
    sectors = list(dict.fromkeys(str(v) for v in frame.index.get_level_values(1)))
    return regions, sectors


def _require_product(
    index: pd.Index, first: list[str], second: list[str], what: str, pairs: str, path: Path
) -> None:
    """``index`` must hold every pair of ``first`` x ``second``, ``first``-major."""
    got = [_label(v) for v in index]
    expected = [f"{a}/{b}" for a in first for b in second]
    if got != expected:
        pos = next((i for i, (g, e) in enumerate(zip(got, expected, strict=False)) if g != e), None)
        detail = (
            f"{len(expected)} labels expected, got {len(got)}"
            if pos is None
            else f"at position {pos} expected {expected[pos]!r}, got {got[pos]!r}"
        )
        raise ParseError(
            f"{what} must be every {pairs} pair, {pairs.split()[0]}-major: {detail}", path=str(path)
        )


def _extension_dirs(directory: Path) -> list[Path]:
    """Sub-directories that pymrio saved an extension into.

    A sub-directory holding a ``file_parameters.json`` that cannot be read is an error, never
    skipped: dropping an extension would silently lose its accounts.
    """
    found = []
    for p in sorted(directory.iterdir()):
        if not (p.is_dir() and (p / PARAMETERS).is_file()):
            continue
        params = _parameters(p)
        if params is None:
            raise ParseError(
                f"{PARAMETERS} of sub-directory {p.name!r} is not a readable JSON object",
                path=str(p / PARAMETERS),
            )
        if params.get("systemtype") == "Extension":
            found.append(p)
    return found


def _clean(name: str) -> str:
    return re.sub(r"\W", "_", name.strip()).lower()


def _units(directory: Path, files: dict[str, Any], labels: list[str], where: str) -> list[str]:
    if "unit" not in files:
        raise ParseError(f"extension {where} lists no unit table", path=str(directory / PARAMETERS))
    frame = _read_frame(directory, files, "unit")
    path = _table_path(directory, files, "unit")
    if "unit" not in frame.columns:
        raise ParseError("expected a column 'unit'", path=str(path), column="unit")
    units = {_label(i): str(u) for i, u in zip(frame.index, frame["unit"], strict=True)}
    missing = [lab for lab in labels if lab not in units]
    if missing:
        raise ParseError("no unit for stressor", path=str(path), row=missing[0])
    return [units[lab] for lab in labels]


def _metadata(directory: Path) -> dict[str, Any]:
    path = directory / METADATA
    if not path.is_file():
        return {}
    try:
        content = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ParseError(f"{METADATA} is not valid JSON: {exc}", path=str(path)) from None
    return content if isinstance(content, dict) else {}


def read(path: Path) -> list[MRIOTable]:
    """Read a system saved by pymrio's ``save_all`` (text or Parquet tables) as one table."""
    directory = Path(path)
    files = _load_parameters(directory, "IOSystem")
    for name in _CORE:
        if name not in files:
            raise ParseError(
                f"{PARAMETERS} lists no {name} table", path=str(directory / PARAMETERS)
            )
    z_frame = _read_frame(directory, files, "Z")
    z_path = _table_path(directory, files, "Z")
    regions, sectors = _industry_labels(z_frame, z_path)
    industries = z_frame.index
    _, Z = _checked(directory, files, "Z", industries, industries, z_frame)
    y_frame, Y = _checked(directory, files, "Y", industries, None)
    if y_frame.columns.nlevels != 2:
        raise ParseError(
            "Y columns must have two levels (region, category)",
            path=str(_table_path(directory, files, "Y")),
        )
    categories = list(dict.fromkeys(str(v) for v in y_frame.columns.get_level_values(1)))
    _require_product(industries, regions, sectors, "Z rows", "region x sector", z_path)
    _require_product(
        y_frame.columns,
        regions,
        categories,
        "Y columns",
        "region x category",
        _table_path(directory, files, "Y"),
    )
    notes: list[str] = []
    if "x" in files:
        x_frame, x_all = _checked(directory, files, "x", industries, None)
        x = x_all[:, list(x_frame.columns).index("indout")] if "indout" in x_frame else x_all[:, 0]
    else:
        x = np.hstack((Z, Y)).sum(axis=1)  # summed as pymrio's calc_x sums, for equal bits
        notes.append("x not saved: computed as Z 1 + Y 1.")

    V: Array | None = None
    va_components: list[str] | None = None
    F_rows: list[Array] = []
    F_Y_rows: list[Array] = []
    stressors: list[str] = []
    units: list[str] = []
    for ext in _extension_dirs(directory):
        ext_files = _load_parameters(ext, "Extension")
        ext_name = str((_parameters(ext) or {}).get("name", ext.name))
        if "F" not in ext_files:
            raise ParseError(f"extension {ext_name} lists no F table", path=str(ext / PARAMETERS))
        f_frame, F_ext = _checked(ext, ext_files, "F", None, industries)
        labels = [_label(v) for v in f_frame.index]
        if VALUE_ADDED_EXTENSION in (_clean(ext.name), _clean(ext_name)) and V is None:
            V, va_components = F_ext, labels
            continue
        stressors += labels
        units += _units(ext, ext_files, labels, ext_name)
        F_rows.append(F_ext)
        if "F_Y" in ext_files:
            _, F_Y_ext = _checked(ext, ext_files, "F_Y", f_frame.index, y_frame.columns)
        else:
            F_Y_ext = np.zeros((len(labels), Y.shape[1]))
            notes.append(f"extension {ext_name} has no F_Y: zeros.")
        F_Y_rows.append(F_Y_ext)
    if V is None:
        notes.append("no factor_inputs extension: value added is one row, x - 1'Z.")

    meta = _metadata(directory)
    name = str(meta.get("name", ""))
    description = str(meta.get("description", ""))
    monetary = ""
    if "unit" in files:
        u_frame = _read_frame(directory, files, "unit")
        if "unit" in u_frame.columns and u_frame["unit"].nunique() == 1:
            monetary = str(u_frame["unit"].iloc[0])
    summary = f"pymrio system {name!r}" + (f": {description}" if description else "")
    return [
        MRIOTable.from_arrays(
            regions=regions,
            sectors=sectors,
            categories=categories,
            Z=Z,
            Y=Y,
            x=x,
            V=V,
            va_components=va_components,
            F=np.vstack(F_rows) if F_rows else np.zeros((0, Z.shape[0])),
            F_Y=np.vstack(F_Y_rows) if F_Y_rows else np.zeros((0, Y.shape[1])),
            stressors=stressors,
            stressor_units=units,
            meta=TableMetadata(
                source="pymrio",
                edition=name,
                currency="" if monetary else TableMetadata.currency,
                unit=monetary or TableMetadata.unit,
                notes=" ".join([f"{summary}, read from {directory}.", *notes]),
            ),
            copy=False,
        )
    ]


def provenance(path: Path) -> Provenance:
    """Source ``pymrio``, the saved name as edition, and every table file with its checksum."""
    directory = Path(path)
    meta = _metadata(directory)
    records = [
        {**raw_file_record(p), "name": str(p.relative_to(directory))}
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    ]
    return Provenance(
        source="pymrio",
        edition=str(meta.get("name", "")),
        raw_files=tuple(records),
        notes=f"pymrio-saved system {directory}"
        + (f": {meta['description']}" if meta.get("description") else ""),
    )


# ---------------------------------------------------------------------- writing
def _save(frame: pd.DataFrame, directory: Path, name: str) -> dict[str, str]:
    frame.to_csv(directory / f"{name}.txt", sep="\t")
    return {
        "name": f"{name}.txt",
        "nr_index_col": str(frame.index.nlevels),
        "nr_header": str(frame.columns.nlevels),
    }


def _save_parameters(
    directory: Path, files: dict[str, dict[str, str]], systemtype: str, name: str | None
) -> None:
    content: dict[str, Any] = {"files": files, "systemtype": systemtype}
    if name is not None:
        content["name"] = name
    (directory / PARAMETERS).write_text(json.dumps(content, indent=4), encoding="utf-8")


def write_pymrio(table: MRIOTable, directory: Path) -> Path:
    """Write ``table`` as pymrio's ``save_all`` does, so that ``pymrio.load_all`` reads it.

    ``directory`` is created and must not exist. ``V`` becomes the ``factor_inputs`` extension
    (index level ``inputtype``), the stressors the ``stressors`` extension (index level
    ``stressor``, with ``F_Y`` and units); a table without stressors gets no such extension.
    Floats are written in full, so reading back gives the same numbers bit for bit.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=False)
    industries = table.industry_index
    monetary = f"{table.meta.currency} {table.meta.unit}".strip()
    files = {
        "Z": _save(table.Z_frame, directory, "Z"),
        "Y": _save(table.Y_frame, directory, "Y"),
        "x": _save(pd.DataFrame({"indout": table.x}, index=industries), directory, "x"),
        "unit": _save(
            pd.DataFrame({"unit": [monetary] * table.n}, index=industries), directory, "unit"
        ),
    }
    _save_parameters(directory, files, "IOSystem", None)
    meta = table.meta
    name = meta.edition or meta.source or "karavan"
    metadata = {
        "description": meta.notes or f"exported by Karavan from {meta.source}",
        "name": name,
        "system": "ixi",
        "version": str(meta.year or ""),
        "history": [],
    }
    (directory / METADATA).write_text(json.dumps(metadata, indent=4), encoding="utf-8")

    va_dir = directory / VALUE_ADDED_EXTENSION
    va_dir.mkdir()
    va_index = pd.Index(table.va_components, name="inputtype")
    va_files = {
        "F": _save(pd.DataFrame(table.V, index=va_index, columns=industries), va_dir, "F"),
        "unit": _save(
            pd.DataFrame({"unit": [monetary] * len(va_index)}, index=va_index), va_dir, "unit"
        ),
    }
    _save_parameters(va_dir, va_files, "Extension", "Factor Inputs")

    if table.stressors:
        st_dir = directory / STRESSOR_EXTENSION
        st_dir.mkdir()
        st_files = {
            "F": _save(table.F_frame, st_dir, "F"),
            "F_Y": _save(table.F_Y_frame, st_dir, "F_Y"),
            "unit": _save(
                pd.DataFrame(
                    {"unit": list(table.stressor_units)},
                    index=pd.Index(table.stressors, name="stressor"),
                ),
                st_dir,
                "unit",
            ),
        }
        _save_parameters(st_dir, st_files, "Extension", "Stressors")
    return directory
