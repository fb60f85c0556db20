"""Shocks applied to a baseline: a spec -> the changed system (:class:`ScenarioState`).

What each shock does to ``A``, ``Y``, ``v`` and ``S`` is set out in
:mod:`karavan.scenarios.runner`; :class:`ShockApplier` builds the state, and the runner solves it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from karavan.core.gvc.economies import Bloc
from karavan.core.table import Array, MRIOTable
from karavan.errors import LabelError, ScenarioError
from karavan.scenarios.binding import TableLabels
from karavan.scenarios.spec import (
    CoefficientChangeShock,
    FinalDemandShock,
    ImportSubstitutionShock,
    IntensityChangeShock,
    NewPlantShock,
    ScenarioSpec,
    Shock,
    _number,
)

__all__ = ["ScenarioState", "ShockApplier"]


@dataclass
class ScenarioState:
    """The changed system a spec describes: changed coefficient columns, final use, value-added
    and stressor coefficients, and new plants (column, output, inputs, v, s). ``Y`` is a
    read-only view of the table's until a shock changes it (then a copy); ``y_rows`` are the
    rows of ``Y`` shocks changed."""

    columns: dict[int, Array]
    Y: Array
    v: Array
    S: Array
    plants: list[tuple[int, float, Array, float, Array]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    y_rows: set[int] = field(default_factory=set)

    def writable_Y(self) -> Array:
        """``Y``, copied first if it is still the table's."""
        if not self.Y.flags.writeable:
            self.Y = self.Y.copy()
        return self.Y

    def dense_A(self, A: Array) -> Array:
        """The full changed ``A1`` (for checks; runs never form it)."""
        out = A.copy()
        for j, col in self.columns.items():
            out[:, j] = col
        return out

    def plant_demand(self, n: int) -> Array:
        out = np.zeros(n)
        for _, q, a, _, _ in self.plants:
            out += q * a
        return out


class ShockApplier:
    """Applies a spec's shocks, in order, to the baseline coefficients ``A``, ``v`` and ``S``
    of ``table`` (never modified: a state copies what it changes)."""

    def __init__(self, table: MRIOTable, labels: TableLabels, A: Array, v: Array, S: Array) -> None:
        self.table = table
        self.labels = labels
        self.A = A
        self.v = v
        self.S = S
        # baseline purchases of each product by each region (intermediate + final), n x R:
        # the default origin shares of a new plant's inputs
        R, S_ = table.n_regions, table.n_sectors
        self._purchases: Array = table.Z.reshape(table.n, R, S_).sum(axis=2) + table.Y_by_region

    def build(self, spec: ScenarioSpec, bloc: Bloc, thetas: Mapping[int, float]) -> ScenarioState:
        """The state of ``spec``'s shocks, with the import-substitution shares ``thetas``
        (shock index -> share) in place of the spec's."""
        t = self.table
        Y = t.Y.view()
        Y.flags.writeable = False
        state = ScenarioState(columns={}, Y=Y, v=self.v.copy(), S=self.S.copy())
        for i, shock in enumerate(spec.shocks):
            self._apply(state, f"shocks[{i}]", shock, bloc, thetas.get(i))
        return state

    def _apply(
        self, st: ScenarioState, path: str, shock: Shock, bloc: Bloc, theta: float | None
    ) -> None:
        lab = self.labels
        if isinstance(shock, FinalDemandShock):
            i = lab.industries(
                [lab.region(f"{path}.region", shock.region)],
                [lab.sector(f"{path}.sector", shock.sector)],
            )[0]
            cols = lab.final_columns(
                lab.regions(f"{path}.buyer", shock.buyer),
                lab.categories(f"{path}.category", shock.category),
            )
            value = _number(shock.value)
            st.writable_Y()
            st.y_rows.add(int(i))
            base = st.Y[i, cols]
            if shock.change == "percent":
                st.Y[i, cols] = base * (1.0 + value / 100.0)
            elif cols.size == 1:
                st.Y[i, cols] = base + value
            elif base.sum() != 0.0:
                st.Y[i, cols] = base + value * base / base.sum()
            else:
                raise ScenarioError(
                    f"{path}.value: an absolute change spread over {cols.size} final-use entries "
                    "whose baseline is zero; name one buyer and one category"
                )
        elif isinstance(shock, CoefficientChangeShock):
            cols = lab.industries(
                lab.regions(f"{path}.regions", shock.regions),
                lab.sectors(f"{path}.sectors", shock.sectors),
            )
            rows = lab.industries(
                lab.regions(f"{path}.origins", shock.origins),
                lab.sectors(f"{path}.inputs", shock.inputs),
            )
            f = (
                _number(shock.factor)
                if shock.factor is not None
                else 1.0 + _number(shock.percent) / 100.0
            )
            for j in cols:
                col = self._column(st, int(j))
                delta = col[rows] * (f - 1.0)
                col[rows] += delta
                st.v[j] -= delta.sum()
        elif isinstance(shock, IntensityChangeShock):
            cols = lab.industries(
                lab.regions(f"{path}.regions", shock.regions),
                lab.sectors(f"{path}.sectors", shock.sectors),
            )
            f = 1.0 + _number(shock.percent) / 100.0
            if shock.account == "value_added":
                st.v[cols] *= f
            else:
                st.S[lab.stressor(f"{path}.account", shock.account), cols] *= f
        elif isinstance(shock, ImportSubstitutionShock):
            self._substitute(st, path, shock, bloc, theta)
        else:
            self._plant(st, path, shock, bloc)

    def _column(self, st: ScenarioState, j: int) -> Array:
        if j not in st.columns:
            st.columns[j] = self.A[:, j].copy()
        return st.columns[j]

    def _outside(self, bloc: Bloc, buyer: int) -> Array:
        """Region mask: non-members other than ``buyer``."""
        regions = self.table.regions
        return np.array([r not in bloc.present and k != buyer for k, r in enumerate(regions)])

    def _substitute(
        self,
        st: ScenarioState,
        path: str,
        shock: ImportSubstitutionShock,
        bloc: Bloc,
        theta: float | None,
    ) -> None:
        lab, t = self.labels, self.table
        p = lab.sector(f"{path}.product", shock.product)
        m = lab.region(f"{path}.supplier", shock.supplier)
        if t.regions[m] not in bloc.present:
            raise LabelError(
                f"{path}.supplier: {shock.supplier!r} is not a member of the bloc {bloc.name!r}; "
                f"allowed: {', '.join(bloc.present)}"
            )
        share = _number(shock.share) if theta is None else theta
        if not 0.0 <= share <= 1.0:
            raise ScenarioError(f"{path}.share: must lie in [0, 1]; got {share:g}")
        S_ = t.n_sectors
        target = m * S_ + p
        for r in lab.regions(f"{path}.buyers", shock.buyers):
            rows = np.flatnonzero(self._outside(bloc, r)) * S_ + p
            for j in range(r * S_, (r + 1) * S_):
                col = self._column(st, j)
                moved = share * col[rows]
                col[rows] -= moved
                col[target] += moved.sum()
            fcols = lab.final_columns([r], range(len(t.categories)))
            st.writable_Y()
            st.y_rows.update(rows.tolist())
            st.y_rows.add(target)
            moved_f = share * st.Y[np.ix_(rows, fcols)]
            st.Y[np.ix_(rows, fcols)] -= moved_f
            st.Y[target, fcols] += moved_f.sum(axis=0)

    def _plant(self, st: ScenarioState, path: str, shock: NewPlantShock, bloc: Bloc) -> None:
        lab, t = self.labels, self.table
        S_, R = t.n_sectors, t.n_regions
        r = lab.region(f"{path}.region", shock.region)
        s = lab.sector(f"{path}.sector", shock.sector)
        if shock.borrow_from is not None:
            b = lab.region(f"{path}.borrow_from", shock.borrow_from)
            ref = b * S_ + s
            totals = self.A[:, ref].reshape(R, S_).sum(axis=0)
        else:
            ref = r * S_ + s
            totals = np.zeros(S_)
            for prod, coef in (shock.inputs or {}).items():
                totals[lab.sector(f"{path}.inputs[{prod}]", prod)] = _number(coef)
        rules = {}
        for k, rule in enumerate(shock.sourcing):
            key = (
                -1
                if rule.product == "all"
                else lab.sector(f"{path}.sourcing[{k}].product", rule.product)
            )
            rules[key] = (k, rule)
        member = np.array([reg in bloc.present for reg in t.regions])
        own = np.arange(R) == r
        groups = {"bloc": member & ~own, "world": ~member & ~own}
        a = np.zeros(t.n)
        for p in np.flatnonzero(totals):
            buys = self._purchases[p::S_, r]  # r's purchases of p by origin region (R)
            k_rule = rules.get(int(p), rules.get(-1))
            if k_rule is None:
                if buys.sum() <= 0.0:
                    raise ScenarioError(
                        f"{path}: {t.regions[r]} buys no {t.sectors[p]} in the baseline, so its "
                        "origins are unknown; add a sourcing rule for it"
                    )
                shares = buys / buys.sum()
            else:
                k, rule = k_rule
                local, in_bloc, world = rule.shares()
                shares = np.where(own, local, 0.0)
                for name, part in (("bloc", in_bloc), ("world", world)):
                    if part == 0.0:
                        continue
                    w = np.where(groups[name], buys, 0.0)
                    if w.sum() <= 0.0:  # r buys no p from the group: its producers' output
                        w = np.where(groups[name], self.table.x[p::S_], 0.0)
                        st.notes.append(
                            f"{path}.sourcing[{k}].{name}: {t.regions[r]} buys no "
                            f"{t.sectors[p]} from the {name} in the baseline; its share is "
                            "split by the output of the group's producers"
                        )
                    if w.sum() <= 0.0:
                        raise ScenarioError(
                            f"{path}.sourcing[{k}].{name}: no region of the {name} produces "
                            f"{t.sectors[p]}, so the share cannot be placed"
                        )
                    shares = shares + part * w / w.sum()
            a[np.arange(R) * S_ + p] = totals[p] * shares
        if shock.value_added is not None:
            v_p = _number(shock.value_added)
        elif shock.inputs is not None:
            v_p = 1.0 - float(totals.sum())
        else:
            v_p = float(self.v[ref])
        s_p = self.S[:, ref].copy()
        for name, coef in shock.stressors.items():
            s_p[lab.stressor(f"{path}.stressors[{name}]", name)] = _number(coef)
        st.plants.append((r * S_ + s, _number(shock.output), a, v_p, s_p))
