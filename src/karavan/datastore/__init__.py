"""The local data directory and the library's entry points ``load`` and ``read``."""

from __future__ import annotations

from pathlib import Path

from karavan.core.table import MRIOTable
from karavan.datastore.store import BUILTIN_ROOT, DatasetInfo, DataStore
from karavan.errors import DatasetNotFoundError
from karavan.settings import Settings
from karavan.sources.formats import read_path
from karavan.sources.provenance import Provenance

__all__ = ["BUILTIN_ROOT", "DataStore", "DatasetInfo", "Provenance", "load", "read"]


def load(name: str, year: int | None = None, *, data_dir: str | Path | None = None) -> MRIOTable:
    """A stored dataset's table for ``year`` (may be omitted for a one-year dataset)."""
    root = Path(data_dir) if data_dir is not None else Settings().data_dir
    return DataStore(root).load(name, year)


def read(path: str | Path, format: str | None = None, *, year: int | None = None) -> MRIOTable:
    """Read a table file in any known format (detected when ``format`` is None) and validate it."""
    tables, _ = read_path(Path(path), format)
    if year is not None:
        tables = [t for t in tables if t.meta.year == year]
        if not tables:
            raise DatasetNotFoundError(f"{path} holds no table for year {year}")
    if len(tables) != 1:
        years = ", ".join(str(t.meta.year) for t in tables)
        raise DatasetNotFoundError(
            f"{path} holds {len(tables)} tables ({years}); choose one with year="
        )
    return tables[0]
