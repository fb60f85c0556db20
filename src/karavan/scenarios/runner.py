"""Running a scenario on a baseline table: shocks -> a changed Leontief system -> effects.

The baseline is factorised once (:class:`~karavan.core.leontief.LeontiefModel`, LU of
``I - A``); every run reuses the factors. Notation: ``A`` technical coefficients, ``y = Y 1``
final use, ``v`` value-added and ``S = F diag(x)^-1`` stressor coefficients per unit of output,
``x0 = L y`` the baseline output (equal to ``x`` when the table balances).

**Shocks** (applied in the order given; each acts on the state the previous ones left):

- ``final_demand``: ``Y[(r, s), c] += dY`` for the selected buyer columns ``c``;
- ``coefficient_change``: ``A[i, j] *= f`` for the chosen input rows ``i`` of the chosen
  columns ``j``; ``v_j`` absorbs the change (``v_j -= sum_i dA_ij``), value added being
  output less intermediate inputs;
- ``intensity_change``: ``v_j`` or ``S[k, j] *= 1 + p/100``;
- ``import_substitution``: for each buyer ``j`` (an industry or a final-use column of a buyer
  region ``r``), ``theta`` of its purchases of product ``p`` from outside suppliers
  (non-members other than ``r``) moves to the member ``m``:
  ``A[(o, p), j] *= 1 - theta``, ``A[(m, p), j] += theta sum_o A[(o, p), j]`` (and the same on
  ``Y``). Column sums, hence ``v``, are unchanged. With a ``capacity`` ``K``, ``theta`` is
  lowered (by bisection, the other shocks fixed) until the output increase of ``(m, p)`` is
  at most ``K``;
- ``new_plant``: a new industry with exogenous output ``q`` in ``(r, s)`` (Miller and Blair
  2009, ch. 13, the impact of a new industry). It buys ``q a`` (``a``: its input
  coefficients by origin and product: each product's total split by the sourcing shares,
  each group's share by the region's baseline purchases from the group's regions, or, if it
  buys none from them, by their output of the product, with a note); these purchases are a
  demand on the existing industries, ``dx = L (q a)`` (indirect effects), and its own output
  ``q`` (the direct effect) is reported in ``(r, s)``. Its output is assumed to serve new
  demand outside the model (exports or new uses): it displaces nobody; combine it with an
  ``import_substitution`` shock to model a plant replacing imports. Value added ``q v_p``
  and stressors ``q s_p`` of the plant are added to ``(r, s)``.

**Low-rank updates, not refactorisation.** The changed coefficients sit in ``k`` columns
``C``: ``A1 = A + U E_C'`` with ``U = A1[:, C] - A[:, C]`` (n x k) and ``E_C`` the columns of the
identity. By the Woodbury identity (Woodbury 1950, "Inverting modified matrices", Memorandum
Report 42, Statistical Research Group, Princeton; Sherman and Morrison 1950, Annals of
Mathematical Statistics 21(1): 124-127, for ``k = 1``; Miller and Blair 2009, ch. 13)::

    (I - A - U E_C')^-1 b = L b + L U (I_k - E_C' L U)^-1 E_C' L b

so a run costs ``k + m`` triangular solves on the baseline factors (``m`` right-hand sides)
and one k x k factorisation, instead of a new n x n factorisation. ``I_k - E_C' L U`` singular
means the changed table is not productive (raised as
:class:`~karavan.errors.NotProductiveError`).

**After the shocks**: ``x1 = (I - A1)^-1 (y1 + sum q a)``; value added ``v1 x1``;
stressors ``S1 x1``; intermediate purchases ``Z1 = A1 diag(x1)`` (plus the plants'); the bloc's
final-demand closure with ``d1 = diag(v1) (I - A1)^-1 y1_B``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from karavan.core.gvc.economies import Bloc, BlocSpec, resolve_bloc
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array, MRIOTable
from karavan.errors import LabelError, NotProductiveError, ScenarioError
from karavan.scenarios.binding import TableLabels
from karavan.scenarios.results import ScenarioResult
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

__all__ = ["ScenarioRunner", "ScenarioState"]

BISECTION_STEPS = 60


@dataclass
class ScenarioState:
    """The changed system a spec describes: changed coefficient columns, final use, value-added
    and stressor coefficients, and new plants (column, output, inputs, v, s)."""

    columns: dict[int, Array]
    Y: Array
    v: Array
    S: Array
    plants: list[tuple[int, float, Array, float, Array]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

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


class ScenarioRunner:
    """Runs scenarios on one baseline table, factorised once.

    ``runner.run(spec)`` for a deterministic spec; ``runner.run(spec, values)`` substitutes
    ``values`` (path -> number, see :meth:`ScenarioSpec.parameters`) first, which is what a
    Monte Carlo draw does. A spec with distributions and no values raises
    :class:`~karavan.errors.ScenarioError`: a run is one point, never the means.
    """

    def __init__(self, table: MRIOTable, *, bloc: BlocSpec = "EAEU") -> None:
        self.table = table
        self.model = LeontiefModel(table)
        self.labels = TableLabels(table)
        inv_x = self.model.inv_x
        self.A: Array = table.Z * inv_x[None, :]
        self.v: Array = table.value_added * inv_x
        self.S: Array = table.F * inv_x[None, :]
        self.x0: Array = self.model.solve(table.Y.sum(axis=1))
        # baseline purchases of each product by each region (intermediate + final), n x R:
        # the default origin shares of a new plant's inputs
        R, S_ = table.n_regions, table.n_sectors
        self._purchases: Array = table.Z.reshape(table.n, R, S_).sum(axis=2) + table.Y_by_region
        self.bloc: Bloc = resolve_bloc(table.regions, bloc)
        self._baseline: dict[tuple[str, ...], dict[str, Any]] = {}
        self._baseline_outputs(self.bloc)

    # ------------------------------------------------------------------ public
    def run(self, spec: ScenarioSpec, values: Mapping[str, float] | None = None) -> ScenarioResult:
        """The effects of ``spec`` (with ``values`` substituted) against the baseline."""
        if values:
            spec = spec.with_values(values)
        if not spec.is_deterministic():
            uncertain = [p for p, v in spec.parameters().items() if not isinstance(v, float)]
            raise ScenarioError(
                f"scenario {spec.name!r} has distributions at {', '.join(uncertain)}: pass "
                "values for them (runner.run(spec, values)) or run a Monte Carlo analysis"
            )
        self._check_year(spec)
        bloc = resolve_bloc(self.table.regions, spec.bloc)
        state = self.state(spec, bloc)
        return self._result(spec, bloc, state)

    def state(self, spec: ScenarioSpec, bloc: Bloc | None = None) -> ScenarioState:
        """The changed system of a deterministic ``spec`` (capacities enforced)."""
        b = bloc or resolve_bloc(self.table.regions, spec.bloc)
        thetas: dict[int, float] = {}
        state = self._build(spec, b, thetas)
        for i, shock in enumerate(spec.shocks):
            if isinstance(shock, ImportSubstitutionShock) and shock.capacity is not None:
                state = self._enforce_capacity(spec, b, i, shock, thetas)
        return state

    def output(self, state: ScenarioState) -> Array:
        """``x1 = (I - A1)^-1 (y1 + sum q a)`` by the Woodbury identity."""
        rhs = state.Y.sum(axis=1) + state.plant_demand(self.table.n)
        return self.solve(state, rhs)

    def solve(self, state: ScenarioState, rhs: Array) -> Array:
        """``(I - A1)^-1 rhs`` on the baseline factors (module docstring)."""
        Lb = self.model.solve(rhs)
        if not state.columns:
            return Lb
        cols = np.fromiter(state.columns, dtype=np.intp)
        U = np.column_stack([state.columns[j] - self.A[:, j] for j in cols])
        LU = self.model.solve(U)
        K = np.eye(cols.size) - LU[cols, :]
        try:
            z = np.linalg.solve(K, Lb[cols])
        except np.linalg.LinAlgError:
            raise NotProductiveError(
                "the changed coefficients make (I - A) singular: the scenario's table is not "
                "productive"
            ) from None
        return np.asarray(Lb + LU @ z)

    # ------------------------------------------------------------------ building the state
    def _check_year(self, spec: ScenarioSpec) -> None:
        year, have = spec.baseline.year, self.table.meta.year
        if year is not None and have is not None and year != have:
            raise LabelError(f"baseline.year: the spec asks for {year}; the table is of {have}")

    def _build(self, spec: ScenarioSpec, bloc: Bloc, thetas: Mapping[int, float]) -> ScenarioState:
        t = self.table
        state = ScenarioState(columns={}, Y=t.Y.copy(), v=self.v.copy(), S=self.S.copy())
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
            moved_f = share * st.Y[np.ix_(rows, fcols)]
            st.Y[np.ix_(rows, fcols)] -= moved_f
            st.Y[target, fcols] += moved_f.sum(axis=0)

    def _enforce_capacity(
        self,
        spec: ScenarioSpec,
        bloc: Bloc,
        i: int,
        shock: ImportSubstitutionShock,
        thetas: dict[int, float],
    ) -> ScenarioState:
        t = self.table
        target = t.regions.index(shock.supplier) * t.n_sectors + t.sectors.index(shock.product)
        cap = _number(shock.capacity)

        def build(theta: float) -> tuple[ScenarioState, float]:
            st = self._build(spec, bloc, {**thetas, i: theta})
            return st, float(self.output(st)[target] - self.x0[target])

        share = _number(shock.share)
        state, rise = build(share)
        if rise <= cap:
            thetas[i] = share
            return state
        lo, hi = 0.0, share
        state, rise0 = build(0.0)
        if rise0 > cap:
            hi = 0.0
        else:
            for _ in range(BISECTION_STEPS):
                mid = 0.5 * (lo + hi)
                _, r = build(mid)
                lo, hi = (mid, hi) if r <= cap else (lo, mid)
        thetas[i] = lo
        state, _ = build(lo)
        state.notes.append(
            f"shocks[{i}]: capacity {cap:g} of {shock.supplier}/{shock.product} binds: "
            f"share moved lowered from {share:g} to {lo:.6g}"
        )
        return state

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

    # ------------------------------------------------------------------ results
    def _baseline_outputs(self, bloc: Bloc) -> dict[str, Any]:
        key = bloc.present
        if key not in self._baseline:
            st = ScenarioState(columns={}, Y=self.table.Y, v=self.v, S=self.S)
            # the same two-column solve as a run's, so that a zero shock changes no bit
            rhs = np.column_stack([self.table.Y.sum(axis=1), self._bloc_demand(st, bloc)])
            X = self.model.solve(rhs)
            self._baseline[key] = self._measures(st, X[:, 0], X[:, 1], bloc)
        return self._baseline[key]

    def _bloc_demand(self, st: ScenarioState, bloc: Bloc) -> Array:
        """``y_B``: final use of the bloc's members present (all categories)."""
        t = self.table
        members = [t.regions.index(m) for m in bloc.present]
        return np.asarray(st.Y.reshape(t.n, t.n_regions, -1)[:, members, :].sum(axis=(1, 2)))

    def _measures(self, st: ScenarioState, x: Array, Ly_B: Array, bloc: Bloc) -> dict[str, Any]:
        """Output, value added, imports, stressors and closure of a state with output ``x``
        and ``Ly_B = (I - A1)^-1 y_B``."""
        t = self.table
        n, R, S_ = t.n, t.n_regions, t.n_sectors
        direct = np.zeros(n)
        va = st.v * x
        F = st.S * x[None, :]
        Z = self.A * x[None, :]
        for j, col in st.columns.items():
            Z[:, j] = col * x[j]
        P = Z.reshape(n, R, S_).sum(axis=2)
        P += st.Y.reshape(n, R, len(t.categories)).sum(axis=2)
        for j, q, a, v_p, s_p in st.plants:
            direct[j] += q
            va[j] += q * v_p
            F[:, j] += q * s_p
            P[:, j // S_] += q * a
        member = np.array([reg in bloc.present for reg in t.regions])
        W = (~member)[:, None] & ~np.eye(R, dtype=bool)  # origin o outside, o != buyer
        imports = np.einsum("opr,or->rp", P.reshape(R, S_, R), W).reshape(-1)
        d = st.v * Ly_B
        inside = float(d[np.repeat(member, S_)].sum())
        total = float(d.sum())
        return {
            "output": x + direct,
            "output_direct": direct,
            "value_added": va,
            "imports": imports,
            "F": F,
            "closure": {
                "total": total,
                "inside": inside,
                "leakage": total - inside,
                "closure": inside / total if total else float("nan"),
                "leakage_share": (total - inside) / total if total else float("nan"),
            },
        }

    def _result(self, spec: ScenarioSpec, bloc: Bloc, st: ScenarioState) -> ScenarioResult:
        t = self.table
        before = self._baseline_outputs(bloc)
        rhs = st.Y.sum(axis=1) + st.plant_demand(t.n)
        X = self.solve(st, np.column_stack([rhs, self._bloc_demand(st, bloc)]))
        after = self._measures(st, X[:, 0], X[:, 1], bloc)
        cols: dict[str, Array] = {}
        for m in ("output", "value_added", "imports"):
            cols[f"{m}_baseline"] = before[m]
            cols[f"{m}_change"] = after[m] - before[m]
            if m == "output":
                cols["output_direct"] = after["output_direct"]
        for k, name in enumerate(t.stressors):
            cols[f"{name}_baseline"] = before["F"][k]
            cols[f"{name}_change"] = after["F"][k] - before["F"][k]
        notes = list(st.notes)
        if bloc.absent:
            notes.append(
                f"bloc {bloc.name}: {', '.join(bloc.absent)} not resolved by the table "
                f"(the bloc here is {', '.join(bloc.present)})"
            )
        if not t.stressors:
            notes.append("the table has no stressors (satellite accounts): none are reported")
        closure = pd.DataFrame(
            [before["closure"], after["closure"]], index=pd.Index(["before", "after"], name="when")
        )
        return ScenarioResult(
            name=spec.name,
            spec_hash=spec.spec_hash(),
            bloc=bloc.name,
            bloc_members=bloc.present,
            industries=pd.DataFrame(cols, index=t.industry_index),
            closure=closure,
            stressors=t.stressors,
            notes=tuple(notes),
        )
