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

**What a run computes.** Everything that depends on the baseline and the bloc only is computed
once per bloc and cached: ``x0 = L y``, ``L y_B``, the baseline measures and closure, the
member masks, and ``c[p, j] = sum_{o outside, o != r(j)} A[(o, p), j]``, the coefficients of
each buyer's purchases of each product from outside suppliers, so that imports from outside are
``c x`` summed over each region's buyers (``O(S n)``, not the ``O(n^2)`` of forming ``Z1``;
changed columns and the plants' purchases are added from their own coefficients). A run solves
only the changes, by linearity: ``L (y + dy) = x0 + L dy`` and ``L (y_B + dy_B) = L y_B +
L dy_B`` (one right-hand side when ``dy_B`` is zero or a multiple of ``dy``, as for one
final-demand shock; none for ``dy = 0``), plus the ``k`` Woodbury columns, all in one
triangular solve; only the changed rows of ``Y`` are read. The labelled frames reuse the
runner's indexes, and ``regions`` is summed with the arrays. The numbers equal the
straightforward computation (dense ``A1``, ``Z1`` and a new LU) to rounding (tests:
``tests/unit/scenarios/test_runner_cache.py``, 1e-12).
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
        # labels of every result, built once
        self._industry_index = table.industry_index
        self._region_index = pd.Index(list(table.regions), name="region")
        names = [
            f"{m}_{w}" for m in ("output", "value_added", "imports") for w in ("baseline", "change")
        ]
        names.insert(2, "output_direct")
        names += [f"{s}_{w}" for s in table.stressors for w in ("baseline", "change")]
        self._columns = pd.Index(names)
        self._closure_columns = pd.Index(["total", "inside", "leakage", "closure", "leakage_share"])
        self._when = pd.Index(["before", "after"], name="when")
        self._blocs: dict[tuple[str, ...], _BlocCache] = {}
        self._bloc_cache(self.bloc)

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
    def _bloc_cache(self, bloc: Bloc) -> _BlocCache:
        """Everything a run's results need that depends on the baseline and the bloc only,
        computed once per bloc (the runner's own bloc at construction)."""
        key = bloc.present
        cache = self._blocs.get(key)
        if cache is None:
            t = self.table
            n, R, S_, C = t.n, t.n_regions, t.n_sectors, len(t.categories)
            members = [t.regions.index(m) for m in bloc.present]
            member = np.zeros(R, dtype=bool)
            member[members] = True
            W = (~member)[:, None] & ~np.eye(R, dtype=bool)  # origin o outside, o != buyer
            Wf = W.astype(np.float64)
            # c[p, j] = sum_o W[o, r(j)] A[(o, p), j]: buyer j's coefficients of product p from
            # outside suppliers, so that its purchases of p from them are c[p, j] x_j
            col_w = Wf[:, np.arange(n) // S_]  # R x n
            c = np.zeros((S_, n))
            for o in range(R):
                if not W[o].any():  # a member: never an outside supplier
                    continue
                c += self.A[o * S_ : (o + 1) * S_, :] * col_w[o][None, :]
            fcols = (np.asarray(members, dtype=np.intp)[:, None] * C + np.arange(C)).reshape(-1)
            PY = t.Y.reshape(n, R, C).sum(axis=2)  # purchases of final use by buyer region
            cache = _BlocCache(
                member=member,
                rows=np.repeat(member, S_),
                fcols=fcols,
                W=W,
                Wf=Wf,
                c=c,
                x=np.zeros(0),
                Ly_B=np.zeros(0),
                imports_Y=np.einsum("opr,or->rp", PY.reshape(R, S_, R), W),
                before={},
            )
            st = ScenarioState(columns={}, Y=t.Y, v=self.v, S=self.S)
            # the same two-column solve as before any caching, so that the baseline is the
            # solve of y and y_B (a run adds its changes to it)
            X = self.model.solve(np.column_stack([t.Y.sum(axis=1), self._bloc_demand(st, bloc)]))
            cache.x = np.ascontiguousarray(X[:, 0])
            cache.Ly_B = np.ascontiguousarray(X[:, 1])
            cache.before = self._measures(st, cache.x, cache.Ly_B, cache.imports_Y, cache)
            self._blocs[key] = cache
        return cache

    def _bloc_demand(self, st: ScenarioState, bloc: Bloc) -> Array:
        """``y_B``: final use of the bloc's members present (all categories)."""
        t = self.table
        members = [t.regions.index(m) for m in bloc.present]
        return np.asarray(st.Y.reshape(t.n, t.n_regions, -1)[:, members, :].sum(axis=(1, 2)))

    def _changes(self, st: ScenarioState, dy: Array, dy_B: Array, cache: _BlocCache) -> Changes:
        """``dx = x1 - x0`` and ``d(L y_B)`` of a state whose final demand (plants' purchases
        included) changed by ``dy``, the bloc's by ``dy_B``: by linearity only the changes are
        solved (one right-hand side when ``dy_B`` is zero or a multiple of ``dy``, as for one
        final-demand shock), plus the Woodbury update of the changed columns."""
        n = self.table.n
        cols = np.fromiter(st.columns, dtype=np.intp, count=len(st.columns))
        k = cols.size
        has_dy, has_b = bool(dy.any()), bool(dy_B.any())
        alpha = _multiple(dy, dy_B) if has_dy and has_b else None
        rhs: list[Array] = []
        if k:
            rhs.extend(st.columns[j] - self.A[:, j] for j in cols)
        if has_dy:
            rhs.append(dy)
        if has_b and alpha is None:
            rhs.append(dy_B)
        if not rhs:
            return np.zeros(n), np.zeros(n)
        X = self.model.solve(rhs[0] if len(rhs) == 1 else np.column_stack(rhs))
        if X.ndim == 1:
            X = X[:, None]
        Ldy = X[:, k] if has_dy else np.zeros(n)
        if not has_b:
            LdyB = np.zeros(n)
        elif alpha is not None:
            LdyB = alpha * Ldy
        else:
            LdyB = X[:, k + int(has_dy)]
        if not k:
            return Ldy, LdyB
        LU = X[:, :k]
        K = np.eye(k) - LU[cols, :]
        b = np.column_stack([cache.x[cols] + Ldy[cols], cache.Ly_B[cols] + LdyB[cols]])
        try:
            z = np.linalg.solve(K, b)
        except np.linalg.LinAlgError:
            raise NotProductiveError(
                "the changed coefficients make (I - A) singular: the scenario's table is not "
                "productive"
            ) from None
        dz = LU @ z
        return Ldy + dz[:, 0], LdyB + dz[:, 1]

    def _measures(
        self, st: ScenarioState, x: Array, Ly_B: Array, imports_Y: Array, cache: _BlocCache
    ) -> Measures:
        """Output, value added, imports, stressors and closure of a state with output ``x``
        and ``Ly_B = (I - A1)^-1 y_B``. Imports from outside the bloc: ``c x`` (``c``: the
        baseline coefficients from outside, cached; changed columns recomputed), plus those of
        final use ``imports_Y`` (buyer region x product), plus plants' purchases."""
        t = self.table
        n, R, S_ = t.n, t.n_regions, t.n_sectors
        direct = np.zeros(n)
        va = st.v * x
        F = st.S * x[None, :]
        cx = cache.c * x[None, :]
        for j, col in st.columns.items():
            cx[:, j] = (cache.Wf[:, j // S_] @ col.reshape(R, S_)) * x[j]
        imports = cx.reshape(S_, R, S_).sum(axis=2).T + imports_Y  # buyer region x product
        for j, q, a, v_p, s_p in st.plants:
            direct[j] += q
            va[j] += q * v_p
            F[:, j] += q * s_p
            imports[j // S_] += cache.Wf[:, j // S_] @ (q * a).reshape(R, S_)
        d = st.v * Ly_B
        inside = float(d[cache.rows].sum())
        total = float(d.sum())
        return {
            "output": x + direct,
            "output_direct": direct,
            "value_added": va,
            "imports": np.ascontiguousarray(imports).reshape(-1),
            "F": F,
            "closure": [
                total,
                inside,
                total - inside,
                inside / total if total else float("nan"),
                (total - inside) / total if total else float("nan"),
            ],
        }

    def _result(self, spec: ScenarioSpec, bloc: Bloc, st: ScenarioState) -> ScenarioResult:
        t = self.table
        cache = self._bloc_cache(bloc)
        before = cache.before
        dy, dy_B = st.plant_demand(t.n), np.zeros(t.n)
        imports_Y = cache.imports_Y
        if st.y_rows:  # only the changed rows of Y: their sums and their imports
            rows = np.fromiter(sorted(st.y_rows), dtype=np.intp, count=len(st.y_rows))
            dY = st.Y[rows] - t.Y[rows]
            dy[rows] += dY.sum(axis=1)
            dy_B[rows] = dY[:, cache.fcols].sum(axis=1)
            S_ = t.n_sectors
            dP = dY.reshape(rows.size, t.n_regions, -1).sum(axis=2)  # row x buyer region
            imports_Y = imports_Y.copy()
            np.add.at(imports_Y.T, rows % S_, dP * cache.W[rows // S_])
        dx, dLy_B = self._changes(st, dy, dy_B, cache)
        after = self._measures(st, cache.x + dx, cache.Ly_B + dLy_B, imports_Y, cache)
        k = len(t.stressors)
        data = np.empty((7 + 2 * k, t.n))
        data[0] = before["output"]
        data[1] = after["output"] - before["output"]
        data[2] = after["output_direct"]
        for i, m in enumerate(("value_added", "imports")):
            data[3 + 2 * i] = before[m]
            data[4 + 2 * i] = after[m] - before[m]
        data[7::2] = before["F"]
        data[8::2] = after["F"] - before["F"]
        notes = list(st.notes)
        if bloc.absent:
            notes.append(
                f"bloc {bloc.name}: {', '.join(bloc.absent)} not resolved by the table "
                f"(the bloc here is {', '.join(bloc.present)})"
            )
        if not t.stressors:
            notes.append("the table has no stressors (satellite accounts): none are reported")
        closure = pd.DataFrame(
            np.array([before["closure"], after["closure"]]),
            index=self._when,
            columns=self._closure_columns,
        )
        R = t.n_regions
        by_region = data.reshape(data.shape[0], R, -1).sum(axis=2)
        return ScenarioResult(
            name=spec.name,
            spec_hash=spec.spec_hash(),
            bloc=bloc.name,
            bloc_members=bloc.present,
            industries=pd.DataFrame(
                data.T, index=self._industry_index, columns=self._columns, copy=False
            ),
            closure=closure,
            stressors=t.stressors,
            notes=tuple(notes),
            by_region=pd.DataFrame(
                by_region.T, index=self._region_index, columns=self._columns, copy=False
            ),
        )


def _multiple(dy: Array, dy_B: Array) -> float | None:
    """``alpha`` with ``dy_B = alpha dy`` exactly where either is non-zero, else None."""
    nz = np.flatnonzero(dy)
    if nz.size == 0 or np.any(dy_B[dy == 0] != 0.0):
        return None
    ratios = dy_B[nz] / dy[nz]
    alpha = float(ratios[0])
    if np.all(ratios == alpha) and np.array_equal(alpha * dy, dy_B):
        return alpha
    return None


Changes = tuple[Array, Array]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
Measures = dict[str, Any]


@dataclass
class _BlocCache:
    """Baseline quantities of one bloc (see :meth:`ScenarioRunner._bloc_cache`)."""

    member: BoolArray  # regions in the bloc (R)
    rows: BoolArray  # industries of members (n)
    fcols: np.ndarray[Any, np.dtype[np.intp]]  # final-use columns of members
    W: BoolArray  # origin o outside the bloc and o != buyer r (R x R)
    Wf: Array  # W as floats
    c: Array  # buyers' coefficients of each product from outside suppliers (S x n)
    x: Array  # baseline output L y
    Ly_B: Array  # L y_B
    imports_Y: Array  # final use's purchases from outside the bloc (buyer region x product)
    before: Measures
