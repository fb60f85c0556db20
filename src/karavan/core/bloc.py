"""Value-added closure of a bloc of regions: how much of the value added embodied in the bloc's
final use the bloc creates itself, where the rest comes from, and where the bloc's own value
added is absorbed.

With ``VA[(i, s), r]`` the value added created in sector ``s`` of region ``i`` and embodied in
region ``r``'s final use (:func:`karavan.core.value_added.value_added_by_origin`; Johnson and
Noguera 2012, eq. 5) and ``B`` the bloc's members present in the table:

- value added in the bloc's final use, by origin:  ``d[(i, s)] = sum_{r in B} VA[(i, s), r]``
- closure (the share created inside the bloc):
  ``c = sum_{i in B, s} d[(i, s)] / sum_{i, s} d[(i, s)]``
- the bloc's value added absorbed in region ``r``: ``a[r] = sum_{i in B, s} VA[(i, s), r]``;
  ``sum_r a[r]`` equals the bloc's value added ``sum_{i in B, s} v_(i, s)`` for a balanced table.

Members are summed after the solve on the table as given, so there is no aggregation bias
(aggregating the bloc into one region first changes ``L`` unless the members share one input
structure).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from karavan.core.leontief import LeontiefModel
from karavan.core.value_added import value_added_by_origin
from karavan.errors import LabelError, TableError

__all__ = [
    "BlocValueAdded",
    "bloc_closure",
    "bloc_members",
    "bloc_value_added",
    "bloc_value_added_shares",
]


def bloc_members(
    regions: Sequence[str], members: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(present, absent)``: the members the table resolves as regions of their own, and the
    ones it does not (they are inside an aggregate such as a rest-of-world region, or absent).
    Both keep the order of ``members``."""
    have = set(regions)
    wanted = tuple(dict.fromkeys(members))
    return tuple(m for m in wanted if m in have), tuple(m for m in wanted if m not in have)


@dataclass(frozen=True)
class BlocValueAdded:
    """Value added in a bloc's final use by origin, and the bloc's value added by destination.

    ``in_final_use``: ``d`` above, indexed by origin (region, sector); ``absorbed``: ``a`` above,
    indexed by absorbing region (members included). Amounts in the table's currency and unit.
    """

    members: tuple[str, ...]
    in_final_use: pd.Series
    absorbed: pd.Series

    @property
    def total_in_final_use(self) -> float:
        """Value added embodied in the bloc's final use, from every origin: ``sum d``."""
        return float(self.in_final_use.sum())

    @property
    def inside(self) -> float:
        """The part of ``sum d`` created inside the bloc."""
        origin = self.in_final_use.index.get_level_values("region")
        return float(self.in_final_use[origin.isin(self.members)].sum())

    @property
    def closure(self) -> float:
        """Share of the value added embodied in the bloc's final use created inside it: ``c``."""
        return self.inside / self.total_in_final_use

    @property
    def bloc_value_added(self) -> float:
        """Value added created in the bloc and absorbed anywhere: ``sum_r a[r]``."""
        return float(self.absorbed.sum())

    def by_origin_region(self) -> pd.DataFrame:
        """Origin region: ``value_added`` (sum of ``d`` over sectors), ``share`` of ``sum d`` and
        ``inside`` (a bloc member), largest first."""
        by_region = self.in_final_use.groupby(level="region", sort=False).sum()
        return _shares(by_region, self.total_in_final_use, self.members)

    def outside_sources(self) -> pd.DataFrame:
        """Origin (region, sector) outside the bloc: ``value_added`` and ``share`` of ``sum d``,
        largest first."""
        origin = self.in_final_use.index.get_level_values("region")
        out = self.in_final_use[~origin.isin(self.members)]
        frame = pd.DataFrame(
            {"value_added": out, "share": out / self.total_in_final_use},
            index=out.index,
        )
        return frame.sort_values("value_added", ascending=False, kind="stable")

    def absorbed_abroad(self) -> pd.DataFrame:
        """Absorbing region outside the bloc: ``value_added`` (``a[r]``) and ``share`` of the
        bloc's value added ``sum_r a[r]``, largest first."""
        abroad = self.absorbed[~self.absorbed.index.isin(self.members)]
        frame = pd.DataFrame(
            {"value_added": abroad, "share": abroad / self.bloc_value_added}, index=abroad.index
        )
        return frame.sort_values("value_added", ascending=False, kind="stable")


def _shares(values: pd.Series, total: float, members: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "value_added": values,
            "share": values / total,
            "inside": values.index.isin(members),
        },
        index=values.index,
    )
    return frame.sort_values("value_added", ascending=False, kind="stable")


def bloc_value_added(model: LeontiefModel, members: Iterable[str]) -> BlocValueAdded:
    """Value added embodied in the final use of the bloc ``members`` (regions of the table), by
    origin, and the bloc's value added by absorbing region (formulas in the module docstring).

    Every member must be a region of the table (use :func:`bloc_members` to split a bloc's list
    first); the bloc's final use must embody some value added.
    """
    t = model.table
    bloc = tuple(dict.fromkeys(members))
    if not bloc:
        raise LabelError("a bloc needs at least one member region; got none")
    unknown = [m for m in bloc if m not in t.regions]
    if unknown:
        raise LabelError(
            f"bloc members {unknown} are not regions of the table; it has {list(t.regions)}"
        )
    va = value_added_by_origin(model)
    in_bloc_origin = np.repeat(np.isin(np.asarray(t.regions), bloc), t.n_sectors)
    d = va[list(bloc)].sum(axis=1).rename("value_added")
    a = va[in_bloc_origin].sum(axis=0).rename("value_added")
    a.index.name = "absorbing_region"
    if float(d.sum()) <= 0.0:
        raise TableError(
            f"the final use of bloc {list(bloc)} embodies no value added "
            f"(total {float(d.sum()):.6g}); shares of it are undefined"
        )
    return BlocValueAdded(members=bloc, in_final_use=d, absorbed=a)


def bloc_value_added_shares(model: LeontiefModel, members: Iterable[str]) -> pd.DataFrame:
    """Origin region x (``value_added``, ``share``, ``inside``): the value added embodied in the
    bloc's final use by origin region, ``sum_s d[(i, s)]`` and its share of ``sum d``."""
    return bloc_value_added(model, members).by_origin_region()


def bloc_closure(model: LeontiefModel, members: Iterable[str]) -> float:
    """Share ``c`` of the value added in the bloc's final use that the bloc creates itself."""
    return bloc_value_added(model, members).closure
