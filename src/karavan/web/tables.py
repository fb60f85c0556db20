"""The one cache of MRIO tables the web application reads (analytics pages, the scenario lab,
project matching), so a table several pages use is loaded once per process."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from karavan.core import MRIOTable
from karavan.datastore import DataStore

__all__ = ["TABLE_CACHE", "cached_table"]

TABLE_CACHE = 4
"""Tables kept (least recently used dropped): a built-in year is about 2 MB, a user's ICIO
table a few hundred."""


@lru_cache(maxsize=TABLE_CACHE)
def cached_table(root: str, dataset: str, year: int | None) -> MRIOTable:
    """Year ``year`` (already resolved) of ``dataset`` in the data directory ``root``."""
    return DataStore(Path(root)).load(dataset, year)
