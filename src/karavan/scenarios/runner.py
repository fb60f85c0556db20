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

Where the parts live: the shocks are applied by :class:`~karavan.scenarios.shocks.ShockApplier`
(:mod:`karavan.scenarios.shocks`), the per-bloc cache and a run's changes are
:class:`~karavan.scenarios.blocs.BlocBaselines` (:mod:`karavan.scenarios.blocs`); this module
solves the changed system, enforces capacities and assembles the result.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from karavan.core.gvc.economies import Bloc, BlocSpec, resolve_bloc
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array, MRIOTable
from karavan.errors import LabelError, NotProductiveError, ScenarioError
from karavan.scenarios.binding import TableLabels
from karavan.scenarios.blocs import BlocBaselines
from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.shocks import ScenarioState, ShockApplier
from karavan.scenarios.spec import ImportSubstitutionShock, ScenarioSpec, _number

__all__ = ["ScenarioRunner", "ScenarioState"]

BISECTION_STEPS = 60


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
        self.shocks = ShockApplier(table, self.labels, self.A, self.v, self.S)
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
        self.baselines = BlocBaselines(table, self.model, self.A, self.v, self.S)
        self.baselines.get(self.bloc)

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
        return self.shocks.build(spec, bloc, thetas)

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

    # ------------------------------------------------------------------ results
    def _result(self, spec: ScenarioSpec, bloc: Bloc, st: ScenarioState) -> ScenarioResult:
        t = self.table
        cache = self.baselines.get(bloc)
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
        dx, dLy_B = self.baselines.changes(st, dy, dy_B, cache)
        after = self.baselines.measures(st, cache.x + dx, cache.Ly_B + dLy_B, imports_Y, cache)
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
