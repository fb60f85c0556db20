"""Binding a scenario's labels to a table: names -> positions, or an error with the path.

Every lookup takes the spec path of the field (``shocks[2].region``) so that a
:class:`~karavan.errors.LabelError` says where the bad label is and which labels are allowed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from karavan.core.aggregation import EAEU_MEMBERS
from karavan.core.table import MRIOTable
from karavan.errors import LabelError
from karavan.scenarios.spec import ALL, Labels

__all__ = ["TableLabels"]

Index = np.ndarray[Any, np.dtype[np.intp]]


class TableLabels:
    """The labels of one table, with lookups that name the spec path on failure."""

    def __init__(self, table: MRIOTable) -> None:
        self.table = table
        self._region = {r: i for i, r in enumerate(table.regions)}
        self._sector = {s: i for i, s in enumerate(table.sectors)}
        self._category = {c: i for i, c in enumerate(table.categories)}
        self._stressor = {s: i for i, s in enumerate(table.stressors)}

    def _one(self, kind: str, lookup: dict[str, int], path: str, label: str) -> int:
        if label in lookup:
            return lookup[label]
        hint = ""
        if kind == "region" and label in EAEU_MEMBERS:
            hint = (
                f" ({label} is not resolved by this table: in WIOD 2013 Kazakhstan, Belarus,"
                " Armenia and Kyrgyzstan are inside RoW)"
            )
        if not lookup:
            raise LabelError(f"{path}: {label!r} is not a {kind} of the table; it has no {kind}s")
        raise LabelError(
            f"{path}: {label!r} is not a {kind} of the table{hint}; allowed: {', '.join(lookup)}"
        )

    def _many(self, kind: str, lookup: dict[str, int], path: str, labels: Labels) -> list[int]:
        if isinstance(labels, str):
            if labels == ALL:
                return list(lookup.values())
            return [self._one(kind, lookup, path, labels)]
        if not labels:
            raise LabelError(
                f"{path}: an empty list selects no {kind}; allowed: {', '.join(lookup)}"
            )
        return [self._one(kind, lookup, f"{path}[{i}]", lab) for i, lab in enumerate(labels)]

    def region(self, path: str, label: str) -> int:
        return self._one("region", self._region, path, label)

    def regions(self, path: str, labels: Labels) -> list[int]:
        return self._many("region", self._region, path, labels)

    def sector(self, path: str, label: str) -> int:
        return self._one("sector", self._sector, path, label)

    def sectors(self, path: str, labels: Labels) -> list[int]:
        return self._many("sector", self._sector, path, labels)

    def categories(self, path: str, labels: Labels) -> list[int]:
        return self._many("category", self._category, path, labels)

    def stressor(self, path: str, label: str) -> int:
        if not self._stressor:
            raise LabelError(
                f"{path}: {label!r} is not a stressor of the table; the table has no stressors "
                "(satellite accounts; WIOD 2013 has none): use a dataset with them, or "
                "'value_added'"
            )
        return self._one("stressor", self._stressor, path, label)

    def industries(self, regions: Sequence[int], sectors: Sequence[int]) -> Index:
        """Industry positions (region-major) of every region x sector pair."""
        S = self.table.n_sectors
        r = np.asarray(regions, dtype=np.intp)[:, None]
        s = np.asarray(sectors, dtype=np.intp)[None, :]
        return np.asarray((r * S + s).reshape(-1))

    def final_columns(self, regions: Sequence[int], categories: Sequence[int]) -> Index:
        """Columns of ``Y`` (region-major) of every region x category pair."""
        C = len(self.table.categories)
        r = np.asarray(regions, dtype=np.intp)[:, None]
        c = np.asarray(categories, dtype=np.intp)[None, :]
        return np.asarray((r * C + c).reshape(-1))
