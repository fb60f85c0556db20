"""What a scenario run returns: labelled changes against the baseline, and the bloc's closure.

All amounts are in the table's currency and unit. ``industries`` is indexed by (region, sector):

- ``output_baseline`` ``x0 = L y`` and ``output_change`` ``x1 + q - x0`` (``q``: new plants'
  own output, also shown alone as ``output_direct``), so direct + indirect effects;
- ``value_added_baseline`` / ``value_added_change``: ``v x`` before and after (plants' value
  added included in their industry's row);
- ``imports_baseline`` / ``imports_change``: purchases of the product ``sector`` by region
  ``region`` (all its industries, new plants included, and its final use) from regions outside
  the bloc other than itself;
- ``<stressor>_baseline`` / ``<stressor>_change`` for each stressor the table has (none for
  WIOD 2013, which has no satellite accounts).

``closure`` has rows ``before`` and ``after`` and the final-demand closure of the bloc
(:mod:`karavan.core.gvc.closure`): ``total`` ``sum d``, ``inside`` ``sum_B d``, ``leakage``
``sum_N d``, ``closure`` and ``leakage_share``, with ``d = diag(v) L y_B``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

__all__ = ["MEASURES", "ScenarioResult"]

MEASURES = ("output", "value_added", "imports")
"""Measures reported for every table; each stressor of the table is added to them."""


@dataclass(frozen=True, eq=False)
class ScenarioResult:
    """One deterministic run of a scenario on a baseline table (see the module docstring)."""

    name: str
    spec_hash: str
    bloc: str
    bloc_members: tuple[str, ...]
    industries: pd.DataFrame
    closure: pd.DataFrame
    stressors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    by_region: pd.DataFrame | None = field(default=None, repr=False)
    """:meth:`regions`, when the runner computed it with the result (else summed on demand)."""

    @property
    def measures(self) -> tuple[str, ...]:
        return MEASURES + self.stressors

    def regions(self) -> pd.DataFrame:
        """``industries`` summed by region (every ``*_baseline``, ``*_change`` column)."""
        if self.by_region is not None:
            return self.by_region
        return self.industries.groupby(level="region", sort=False).sum()

    def totals(self) -> pd.Series:
        """``industries`` summed over every region and sector."""
        return self.industries.sum(axis=0)

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """``industries``, ``regions`` and ``closure`` as frames."""
        return {
            "industries": self.industries,
            "regions": self.regions(),
            "closure": self.closure,
        }

    def summary(self) -> dict[str, Any]:
        """Scalars: total change of every measure and the closure before and after."""
        tot = self.totals()
        out: dict[str, Any] = {"name": self.name, "spec_hash": self.spec_hash, "bloc": self.bloc}
        for m in self.measures:
            out[f"{m}_baseline"] = float(tot[f"{m}_baseline"])
            out[f"{m}_change"] = float(tot[f"{m}_change"])
        out["output_direct"] = float(tot["output_direct"])
        for col in ("closure", "leakage", "leakage_share"):
            out[f"{col}_before"] = float(self.closure[col].loc["before"])
            out[f"{col}_after"] = float(self.closure[col].loc["after"])
        return out

    def meta(self) -> dict[str, Any]:
        """Everything but the frames (what a store writes beside them)."""
        return {
            "name": self.name,
            "spec_hash": self.spec_hash,
            "bloc": self.bloc,
            "bloc_members": list(self.bloc_members),
            "stressors": list(self.stressors),
            "notes": list(self.notes),
        }

    @classmethod
    def from_parts(
        cls, meta: dict[str, Any], industries: pd.DataFrame, closure: pd.DataFrame
    ) -> ScenarioResult:
        """Rebuild a result from :meth:`meta` and its two stored frames."""
        return cls(
            name=str(meta["name"]),
            spec_hash=str(meta["spec_hash"]),
            bloc=str(meta["bloc"]),
            bloc_members=tuple(meta["bloc_members"]),
            industries=industries,
            closure=closure,
            stressors=tuple(meta.get("stressors", ())),
            notes=tuple(meta.get("notes", ())),
        )
