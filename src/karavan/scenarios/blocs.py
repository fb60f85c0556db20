"""Per-bloc baseline quantities of a scenario runner, and a run's changes against them.

Everything a run's results need that depends on the baseline and the bloc only (``x0 = L y``,
``L y_B``, the baseline measures and closure, the member masks and the coefficients ``c`` of
purchases from outside suppliers) is computed once per bloc by :class:`BlocBaselines`; a run
then solves only its changes (:meth:`BlocBaselines.changes`) and measures the changed state
(:meth:`BlocBaselines.measures`). The method is set out in :mod:`karavan.scenarios.runner`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from karavan.core.gvc.economies import Bloc
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array, MRIOTable
from karavan.errors import NotProductiveError
from karavan.scenarios.shocks import ScenarioState

__all__ = ["BlocBaseline", "BlocBaselines", "Changes", "Measures"]

Changes = tuple[Array, Array]
BoolArray = np.ndarray[Any, np.dtype[np.bool_]]
Measures = dict[str, Any]


@dataclass
class BlocBaseline:
    """Baseline quantities of one bloc (see :meth:`BlocBaselines.get`)."""

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


class BlocBaselines:
    """The :class:`BlocBaseline` of each bloc asked for, on one factorised baseline."""

    def __init__(
        self, table: MRIOTable, model: LeontiefModel, A: Array, v: Array, S: Array
    ) -> None:
        self.table = table
        self.model = model
        self.A = A
        self.v = v
        self.S = S
        self._blocs: dict[tuple[str, ...], BlocBaseline] = {}

    def get(self, bloc: Bloc) -> BlocBaseline:
        """Everything a run's results need that depends on the baseline and the bloc only,
        computed once per bloc."""
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
            cache = BlocBaseline(
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
            cache.before = self.measures(st, cache.x, cache.Ly_B, cache.imports_Y, cache)
            self._blocs[key] = cache
        return cache

    def _bloc_demand(self, st: ScenarioState, bloc: Bloc) -> Array:
        """``y_B``: final use of the bloc's members present (all categories)."""
        t = self.table
        members = [t.regions.index(m) for m in bloc.present]
        return np.asarray(st.Y.reshape(t.n, t.n_regions, -1)[:, members, :].sum(axis=(1, 2)))

    def changes(self, st: ScenarioState, dy: Array, dy_B: Array, cache: BlocBaseline) -> Changes:
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

    def measures(
        self, st: ScenarioState, x: Array, Ly_B: Array, imports_Y: Array, cache: BlocBaseline
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
