"""The perimeter of a bloc of regions and how closed its value chains are.

A *bloc* is any group of the table's regions (a name from :data:`karavan.core.BLOCS` such as
``EAEU``, or a list); members the table does not resolve are skipped and reported
(:func:`karavan.core.gvc.economies.resolve_bloc`). ``B`` below is the set of (region, sector)
industries of the members present, ``N`` the rest; ``v = (V'1) / x`` the value-added
coefficients (all components), ``L`` the Leontief inverse of the table *as published*: members
are summed only after the solve, never aggregated into one region first (that would change
``A`` and hence ``L`` unless the members share one input structure, Miller and Blair 2009,
sec. 4.3).

**Final demand** (Johnson and Noguera 2012, eq. 5; TiVA's ``FD_VA``). With
``y_B = sum_{r in B} Y_r`` the bloc's final use (all categories)::

    d = diag(v) L y_B                   value added by origin (region, sector)
    closure        c  = sum_B d / sum d  share created inside the bloc
    leakage        l  = d restricted to N (by origin region x sector);  sum l = sum d - sum_B d
    leakage share     = sum l / sum d = 1 - c
    absorbed       a[r] = sum_B diag(v) L Y_r   the bloc's value added in r's final use

**Extra-bloc exports**: the bloc is treated as one exporter and trade between members as
domestic, the exporter perimeter of Borin and Mancini (2019, "Measuring what matters in global
value chains and value-added trade", World Bank Policy Research WP 8804; 2023, Economic Systems
Research 35(4)) drawn around a group of countries. With ``e_B`` the members' gross exports
(intermediate and final) to non-members::

    w = diag(v) L e_B                   value-added content by origin; 1'w = 1'e_B when v L = 1'
    export closure  = sum_B w / sum w   regional (bloc) content, incl. double counting
    export leakage  = w restricted to N  content created outside the bloc, by origin

and the source-based split of each part (value added counted the first time it leaves the
bloc, Borin and Mancini's ``DVA/DDC`` and ``FVA/FDC``), with ``A^x`` the coefficients with the
bloc's export block ``A_BN`` set to zero, so that ``(I - A^x)^-1`` has blocks
``L^x_BB = (I - A_BB)^-1`` and ``L^x_NB = (I - A_NN)^-1 A_NB (I - A_BB)^-1``::

    first crossing   f = diag(v) (I - A^x)^-1 e_B      (RVA on B, FVA on N)
    double counted       w - f                          (RDC on B, FDC on N)

``sum_B f`` equals the bloc's value added created because of its extra-bloc exports by
hypothetical extraction, ``v_B (x - x*)`` with ``x*`` the output of a world in which the bloc
exports nothing to non-members (Los, Timmer and de Vries 2016, "Tracing value-added and double
counting in gross exports: comment", American Economic Review 106(7): 1958-66), here with the
bloc as the country. A bloc of every region has no extra-bloc exports: its export shares are
undefined (NaN).

**Member linkages**: ``M_fd[i, j] = sum_s (diag(v) L Y_j)[(i, s)]`` (value added created in
member ``i`` embodied in member ``j``'s final use) and ``M_x[i, j] = sum_s (diag(v) L e_j)[(i,
s)]`` with ``e_j`` member ``j``'s exports to non-members; ``sum M_fd = sum_B d`` and
``sum M_x = sum_B w``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from karavan.core.exports import final_exports_array, intermediate_exports_array
from karavan.core.gvc.economies import Bloc, BlocSpec, resolve_bloc
from karavan.core.leontief import LeontiefModel
from karavan.core.multipliers import value_added_coefficients
from karavan.core.table import Array, MRIOTable
from karavan.errors import LabelError, TableError

__all__ = [
    "ClosureIndicators",
    "closure_indicators",
    "closure_series",
    "extra_bloc_exports",
    "value_added_leakage",
    "value_added_linkage",
]

Use = Literal["final_demand", "exports"]


def extra_bloc_exports(table: MRIOTable, bloc: BlocSpec) -> pd.DataFrame:
    """Members' gross exports (intermediate + final) to each non-member region: exporter
    (region, sector) of the members x importer; the sum over importers is ``e_B``."""
    b = resolve_bloc(table.regions, bloc)
    E = _export_matrix(table)
    rows = b.mask(table)
    outside = [r for r in table.regions if r not in b.present]
    cols = np.array([table.regions.index(r) for r in outside], dtype=np.intp)
    return pd.DataFrame(
        E[np.ix_(rows, cols)],
        index=table.industry_index[rows],
        columns=pd.Index(outside, name="importer"),
    )


def _export_matrix(table: MRIOTable) -> Array:
    return intermediate_exports_array(table) + final_exports_array(table)


# ---------------------------------------------------------------------- the indicators
@dataclass(frozen=True)
class ClosureIndicators:
    """Closure and leakage of a bloc's final demand and extra-bloc exports in one year.

    Amounts are in the table's currency and unit. Frames (formulas in the module docstring):

    - ``final_demand``: origin (region, sector) -> ``d``, value added in the bloc's final use;
    - ``absorbed``: absorbing region -> ``a``, the bloc's value added in each region's final use;
    - ``exports``: origin (region, sector) x (``value_added`` ``w``, ``first_crossing`` ``f``,
      ``double_counted`` ``w - f``) for the members' exports to non-members;
    - ``linkage_final_demand`` / ``linkage_exports``: origin member x member, ``M_fd`` / ``M_x``.
    """

    bloc: Bloc
    year: int | None
    final_demand: pd.Series
    absorbed: pd.Series
    exports: pd.DataFrame
    gross_exports: float
    linkage_final_demand: pd.DataFrame
    linkage_exports: pd.DataFrame

    # ------------------------------------------------------------------ final demand
    def _inside(self, index: pd.Index) -> np.ndarray[Any, np.dtype[np.bool_]]:
        return np.asarray(index.get_level_values("region").isin(self.bloc.present))

    @property
    def total_in_final_demand(self) -> float:
        """``sum d``: value added embodied in the bloc's final use, from every origin."""
        return float(self.final_demand.sum())

    @property
    def inside(self) -> float:
        """``sum_B d``: the part created inside the bloc."""
        return float(self.final_demand[self._inside(self.final_demand.index)].sum())

    @property
    def leakage(self) -> float:
        """``sum l``: value added in the bloc's final use created outside it."""
        return float(self.final_demand[~self._inside(self.final_demand.index)].sum())

    @property
    def closure(self) -> float:
        """``c = sum_B d / sum d``."""
        return self.inside / self.total_in_final_demand

    @property
    def leakage_share(self) -> float:
        """``sum l / sum d`` (``1 - c``)."""
        return self.leakage / self.total_in_final_demand

    @property
    def bloc_value_added(self) -> float:
        """Value added created in the bloc and absorbed anywhere: ``sum_r a[r]``."""
        return float(self.absorbed.sum())

    @property
    def absorbed_outside(self) -> float:
        """The bloc's value added absorbed in non-members' final use."""
        return float(self.absorbed[~self.absorbed.index.isin(self.bloc.present)].sum())

    # ------------------------------------------------------------------ exports
    @property
    def export_value_added(self) -> float:
        """``sum w``: value-added content of the extra-bloc exports (``= gross_exports`` when
        value added is output minus intermediate inputs)."""
        return float(self.exports["value_added"].sum())

    @property
    def export_inside(self) -> float:
        """``sum_B w``: regional (bloc) value-added content, double counting included."""
        return float(self.exports["value_added"][self._inside(self.exports.index)].sum())

    @property
    def export_leakage(self) -> float:
        """``sum_N w``: content created outside the bloc."""
        return float(self.exports["value_added"][~self._inside(self.exports.index)].sum())

    @property
    def export_closure(self) -> float:
        """``sum_B w / sum w`` (NaN without extra-bloc exports)."""
        total = self.export_value_added
        return self.export_inside / total if total else float("nan")

    @property
    def export_leakage_share(self) -> float:
        """``sum_N w / sum w`` (NaN without extra-bloc exports)."""
        total = self.export_value_added
        return self.export_leakage / total if total else float("nan")

    @property
    def export_first_crossing_closure(self) -> float:
        """Source-based share ``sum_B f / sum f``: regional value added counted once (RVA over
        RVA + FVA), net of double counting (NaN without extra-bloc exports)."""
        f = self.exports["first_crossing"]
        total = float(f.sum())
        return float(f[self._inside(self.exports.index)].sum()) / total if total else float("nan")

    # ------------------------------------------------------------------ tables
    def leakage_by_origin(self, use: Use = "final_demand") -> pd.DataFrame:
        """Origin (region, sector) outside the bloc: ``value_added`` and its ``share`` of the
        total (``sum d`` or ``sum w``), largest first."""
        if use == "final_demand":
            values, total = self.final_demand, self.total_in_final_demand
        elif use == "exports":
            values, total = self.exports["value_added"], self.export_value_added
        else:
            raise LabelError(f"use must be 'final_demand' or 'exports'; got {use!r}")
        out = values[~self._inside(values.index)]
        frame = pd.DataFrame(
            {"value_added": out, "share": out / total if total else np.nan}, index=out.index
        )
        return frame.sort_values("value_added", ascending=False, kind="stable")

    def outside_sources(self) -> pd.DataFrame:
        """:meth:`leakage_by_origin` of the final demand."""
        return self.leakage_by_origin("final_demand")

    def by_origin_region(self) -> pd.DataFrame:
        """Origin region: ``value_added`` in the bloc's final use (``d`` summed over sectors),
        ``share`` of ``sum d`` and ``inside`` (a member), largest first."""
        by_region = self.final_demand.groupby(level="region", sort=False).sum()
        frame = pd.DataFrame(
            {
                "value_added": by_region,
                "share": by_region / self.total_in_final_demand,
                "inside": by_region.index.isin(self.bloc.present),
            },
            index=by_region.index,
        )
        return frame.sort_values("value_added", ascending=False, kind="stable")

    def absorbed_abroad(self) -> pd.DataFrame:
        """Absorbing region outside the bloc: ``value_added`` (``a[r]``) and ``share`` of the
        bloc's value added, largest first."""
        abroad = self.absorbed[~self.absorbed.index.isin(self.bloc.present)]
        total = self.bloc_value_added
        frame = pd.DataFrame(
            {"value_added": abroad, "share": abroad / total if total else np.nan},
            index=abroad.index,
        )
        return frame.sort_values("value_added", ascending=False, kind="stable")

    def summary(self) -> dict[str, Any]:
        """Every scalar indicator, by name (one row of :func:`closure_series`)."""
        bva = self.bloc_value_added
        return {
            "year": self.year,
            "members": "+".join(self.bloc.present),
            "value_added_in_final_demand": self.total_in_final_demand,
            "created_inside": self.inside,
            "leakage": self.leakage,
            "closure": self.closure,
            "leakage_share": self.leakage_share,
            "bloc_value_added": bva,
            "absorbed_outside": self.absorbed_outside,
            "absorbed_outside_share": self.absorbed_outside / bva if bva else float("nan"),
            "extra_bloc_exports": self.gross_exports,
            "export_value_added": self.export_value_added,
            "export_inside": self.export_inside,
            "export_leakage": self.export_leakage,
            "export_closure": self.export_closure,
            "export_leakage_share": self.export_leakage_share,
            "export_first_crossing_closure": self.export_first_crossing_closure,
        }


def closure_indicators(
    model: LeontiefModel, bloc: BlocSpec, *, name: str | None = None
) -> ClosureIndicators:
    """Closure, leakage and member linkages of ``bloc``'s final demand and extra-bloc exports.

    One solve ``L [Y_1 .. Y_R, e_1 .. e_m]`` on the model's factorisation (``R`` regions, ``m``
    members present) and two smaller factorisations, ``I - A_BB`` and ``I - A_NN``, for the
    first-crossing split. Raises :class:`~karavan.errors.BlocError` (a ``ConcordanceError``)
    when no member is a region of the table and :class:`~karavan.errors.TableError` when the
    bloc's final use embodies no value added.
    """
    t = model.table
    b = resolve_bloc(t.regions, bloc, name=name)
    inside = b.mask(t)
    member_idx = [t.regions.index(r) for r in b.present]
    outside_idx = [j for j, r in enumerate(t.regions) if r not in b.present]
    v = value_added_coefficients(t).to_numpy().sum(axis=0)

    E = _export_matrix(t)
    E_out = E[:, outside_idx].sum(axis=1)  # each industry's exports to non-members
    e_members = np.zeros((t.n, len(member_idx)))  # e_j: member j's extra-bloc exports
    for k, j in enumerate(member_idx):
        rows = slice(j * t.n_sectors, (j + 1) * t.n_sectors)
        e_members[rows, k] = E_out[rows]
    e_B = e_members.sum(axis=1)

    X = model.solve(np.hstack([t.Y_by_region, e_members]))
    VA_fd = v[:, None] * X[:, : t.n_regions]  # diag(v) L Y_r, n x R
    VA_x = v[:, None] * X[:, t.n_regions :]  # diag(v) L e_j, n x m

    d = VA_fd[:, member_idx].sum(axis=1)
    total = float(d.sum())
    if total <= 0.0:
        raise TableError(
            f"the final use of bloc {b.name!r} ({', '.join(b.present)}) embodies no value added "
            f"(total {total:.6g}); shares of it are undefined"
        )
    idx = t.industry_index
    w = VA_x.sum(axis=1)
    f = v * _first_crossing(t, model.inv_x, inside, e_B)
    exports = pd.DataFrame(
        {"value_added": w, "first_crossing": f, "double_counted": w - f}, index=idx
    )
    members = pd.Index(list(b.present), name="origin")
    dest = pd.Index(list(b.present), name="member")
    S = t.n_sectors
    return ClosureIndicators(
        bloc=b,
        year=t.meta.year,
        final_demand=pd.Series(d, index=idx, name="value_added"),
        absorbed=pd.Series(
            VA_fd[inside].sum(axis=0),
            index=pd.Index(t.regions, name="absorbing_region"),
            name="value_added",
        ),
        exports=exports,
        gross_exports=float(e_B.sum()),
        linkage_final_demand=pd.DataFrame(
            VA_fd[:, member_idx].reshape(t.n_regions, S, -1).sum(axis=1)[member_idx],
            index=members,
            columns=dest,
        ),
        linkage_exports=pd.DataFrame(
            VA_x.reshape(t.n_regions, S, -1).sum(axis=1)[member_idx],
            index=members,
            columns=dest,
        ),
    )


def _first_crossing(t: MRIOTable, inv_x: Array, inside: Any, e_B: Array) -> Array:
    """``(I - A^x)^-1 e_B``: ``(I - A_BB)^-1 e_B`` on the bloc, ``(I - A_NN)^-1 A_NB`` of that
    outside it (output counted before the bloc's exports come back to it)."""
    out = np.zeros(t.n)
    if not e_B.any():
        return out
    b, nb = np.flatnonzero(inside), np.flatnonzero(~inside)
    A_BB = t.Z[np.ix_(b, b)] * inv_x[b][None, :]
    out[b] = np.linalg.solve(np.eye(b.size) - A_BB, e_B[b])
    if nb.size:
        A_NN = t.Z[np.ix_(nb, nb)] * inv_x[nb][None, :]
        A_NB = t.Z[np.ix_(nb, b)] * inv_x[b][None, :]
        out[nb] = np.linalg.solve(np.eye(nb.size) - A_NN, A_NB @ out[b])
    return out


def value_added_leakage(
    model: LeontiefModel, bloc: BlocSpec, *, use: Use = "final_demand"
) -> pd.DataFrame:
    """Value added from outside the bloc in its final use (``use="final_demand"``) or in its
    extra-bloc exports (``"exports"``), by origin (region, sector), largest first; ``share`` is
    of the total value added embodied (formulas in the module docstring)."""
    return closure_indicators(model, bloc).leakage_by_origin(use)


def value_added_linkage(
    model: LeontiefModel, bloc: BlocSpec, *, use: Use = "final_demand"
) -> pd.DataFrame:
    """Origin member x member: value added created in the origin and embodied in the member's
    final use (``M_fd``) or in its exports to non-members (``M_x``)."""
    ind = closure_indicators(model, bloc)
    if use == "final_demand":
        return ind.linkage_final_demand
    if use == "exports":
        return ind.linkage_exports
    raise LabelError(f"use must be 'final_demand' or 'exports'; got {use!r}")


def closure_series(
    tables: Iterable[MRIOTable], bloc: BlocSpec, *, name: str | None = None
) -> pd.DataFrame:
    """:meth:`ClosureIndicators.summary` for every table (e.g. every year of a dataset), one row
    per year, indexed by ``year``. Each table is solved on its own; the members present may
    differ between years (column ``members``). Years must be set and distinct."""
    rows: list[dict[str, Any]] = []
    seen: set[int] = set()
    for t in tables:
        y = t.meta.year
        if y is None:
            raise LabelError(f"closure_series needs the year of every table; {t!r} has none")
        if y in seen:
            raise LabelError(f"closure_series got two tables for year {y}")
        seen.add(y)
        rows.append(closure_indicators(LeontiefModel(t), bloc, name=name).summary())
    if not rows:
        raise LabelError("closure_series needs at least one table; got none")
    return pd.DataFrame(rows).set_index("year").sort_index()
