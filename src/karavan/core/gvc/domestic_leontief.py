"""Region blocks of a table and the local (domestic) Leontief inverses of its economies.

The gross-export decompositions of Koopman, Wang and Wei (2014) and Wang, Wei and Zhu (2013)
split the coefficient matrix ``A`` (n x n, ``n = G N`` for ``G`` regions of ``N`` sectors) into
its domestic blocks ``A_ss`` and the imported ones ``A_sr`` (``r != s``). Besides the global
inverse ``B = (I - A)^-1`` (Karavan's ``L``), they use each region's *local* Leontief inverse

    ``L_ss = (I - A_ss)^-1``

which counts the output that a region's own production network needs, imports held fixed.
:class:`DomesticLeontief` factorises each block ``I - A_ss`` once (LAPACK ``getrf``) and applies
``L_ss`` or ``L_ss'`` to every economy's part of a vector or matrix at once, i.e. the
block-diagonal ``L = diag(L_11, ..., L_GG)`` of decompr's ``load_tables_vectors`` (exvatools'
``Ld``), without forming it. An economy is a region or a bloc of regions
(:class:`~karavan.core.gvc.economies.Economies`): for a bloc, ``A_ss`` is the block of all its
members' industries, and the bloc's local inverse counts the output of its internal network.

Notation shared by the decomposition modules (``karavan.core.gvc.wwz``, ``.kww``,
``.leontief_decomposition``; ``.tiva`` and ``.borin_mancini`` use the local inverses too):

- ``v``   value added per unit of output, ``V 1 / x`` (0 where ``x = 0``);
- ``Y_r`` final use of region ``r`` (all categories), a column of ``Y_by_region``;
- ``Y_ss`` domestic final use (``yd``), ``Y_sr`` final exports (``Ym`` with own blocks zero);
- ``E_sr`` bilateral gross exports (intermediate plus final), ``E_s*`` their sum over ``r``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.linalg import lapack

from karavan.core.exports import final_exports_array, intermediate_exports_array
from karavan.core.gvc.economies import Economies, Index, economies
from karavan.core.leontief import LeontiefModel
from karavan.core.multipliers import _per_output
from karavan.core.table import Array, MRIOTable
from karavan.errors import NotProductiveError

__all__ = ["DomesticLeontief", "TradeBlocks", "coefficient_rows"]


class TradeBlocks:
    """Final demand and gross exports of a table split by region blocks (all n x G or n).

    Attributes
    ----------
    own : integer array (n,)
        Region number of each industry.
    v : array (n,)
        Value added per unit of output (sum of the value-added components).
    Y : array (n, G)
        Final use by using region, categories summed.
    yd : array (n,)
        Domestic final use ``Y[(s, i), s]``.
    Ym : array (n, G)
        Final exports: ``Y`` with each industry's own region set to zero.
    E_bilateral : array (n, G)
        Gross exports ``E_sr`` (intermediate plus final), zero for ``r = s``.
    E : array (n,)
        Total gross exports ``E_s*``.
    """

    __slots__ = ("E", "E_bilateral", "G", "N", "Y", "Ym", "n", "own", "v", "yd")

    def __init__(self, table: MRIOTable) -> None:
        self.G = table.n_regions
        self.N = table.n_sectors
        self.n = table.n
        self.own = np.repeat(np.arange(self.G), self.N)
        self.v: Array = _per_output(
            table, table.V.sum(axis=0, keepdims=True), "value added", ("value added",)
        )[0]
        self.Y: Array = table.Y_by_region
        rows = np.arange(self.n)
        self.yd: Array = self.Y[rows, self.own].copy()
        self.Ym: Array = self.Y.copy()
        self.Ym[rows, self.own] = 0.0
        self.E_bilateral: Array = intermediate_exports_array(table) + final_exports_array(table)
        self.E: Array = self.E_bilateral.sum(axis=1)

    def block_expand(self, values: Array) -> Array:
        """``D[j, r] = values[j]`` if industry ``j`` belongs to region ``r``, else 0 (n x G)."""
        out = np.zeros((self.n, self.G))
        out[np.arange(self.n), self.own] = values
        return out

    def block(self, r: int) -> slice:
        """The rows (or columns) of region ``r``."""
        return slice(r * self.N, (r + 1) * self.N)

    def region_sums(self, values: Array) -> Array:
        """Sum an n-vector within each region: G values."""
        return np.asarray(values.reshape(self.G, self.N).sum(axis=1))


class DomesticLeontief:
    """The local Leontief inverses ``L_ss = (I - A_ss)^-1`` of every economy, factorised once.

    ``econ`` partitions the table's regions into economies (regions, or blocs merged into one;
    :func:`~karavan.core.gvc.economies.economies`); by default each region is one. ``A_ss`` is
    the block of ``A`` on economy ``s``'s industries (``Economies.industries``), and the
    solves apply ``diag(L_11, ..., L_EE)``, block by block, to every economy's rows at once.

    Memory: one ``k x k`` factorisation per economy of ``k`` industries (``n N`` values in all
    when every economy is one region).

    Raises
    ------
    NotProductiveError
        If some ``I - A_ss`` is singular (possible only when ``A`` has negative entries or an
        economy's own coefficients sum to 1 or more), naming the region or bloc and the
        industry.
    """

    __slots__ = ("_factors", "_pivots", "_rows")

    def __init__(self, model: LeontiefModel, econ: Economies | None = None) -> None:
        t = model.table
        if econ is None:
            econ = economies(t)
        self._rows: list[slice | Index] = []
        self._factors: list[Array] = []
        self._pivots: list[np.ndarray[Any, np.dtype[np.int32]]] = []
        for e, label in enumerate(econ.labels):
            ix = econ.industries(e)
            rows = _as_slice(ix)
            k = ix.size
            Z_ss = t.Z[rows, rows] if isinstance(rows, slice) else t.Z[np.ix_(ix, ix)]
            block = np.asfortranarray(-(Z_ss * model.inv_x[None, rows]))
            block.flat[:: k + 1] += 1.0
            lu, piv, info = lapack.dgetrf(block, overwrite_a=True)
            if info > 0:
                kind = "region" if econ.members[e] == (label,) else "bloc"
                raise NotProductiveError(
                    f"the domestic block I - A_ss of {kind} {label!r} is singular: "
                    f"U[{info - 1},{info - 1}] is zero (industry "
                    f"{t.industry_label(int(ix[info - 1]))}); its local Leontief inverse "
                    "L_ss = (I - A_ss)^-1 does not exist"
                )
            self._rows.append(rows)
            self._factors.append(np.asarray(lu))
            self._pivots.append(piv)

    def _apply(self, rhs: Any, trans: int) -> Array:
        b = np.asarray(rhs, dtype=np.float64)
        out = np.empty_like(b)
        for rows, lu, piv in zip(self._rows, self._factors, self._pivots, strict=True):
            x, info = lapack.dgetrs(lu, piv, b[rows], trans=trans)
            assert info == 0
            out[rows] = x
        return out

    def solve(self, rhs: Any) -> Array:
        """``diag(L_11, ..., L_EE) rhs``: each economy's rows solved with its own block."""
        return self._apply(rhs, 0)

    def solve_transposed(self, rhs: Any) -> Array:
        """``diag(L_11, ..., L_EE)' rhs``; for coefficients ``c``, the row ``c_s L_ss`` per
        economy, e.g. the local value-added multipliers ``V_s L_ss`` for ``c = v``."""
        return self._apply(rhs, 1)

    def diagonal(self) -> Array:
        """``L_ss[j, j]`` for every industry ``j`` (n). The one quantity that needs the columns
        of ``L_ss``: each economy's block is solved against its identity in turn (``k^3``
        flops), and only the diagonal is kept."""
        n = sum(lu.shape[0] for lu in self._factors)
        out = np.empty(n)
        for rows, lu, piv in zip(self._rows, self._factors, self._pivots, strict=True):
            inverse, info = lapack.dgetrs(lu, piv, np.eye(lu.shape[0]))
            assert info == 0
            out[rows] = np.diag(inverse)
        return out


def _as_slice(ix: Index) -> slice | Index:
    """A run of consecutive industries as a slice (views, not copies), else the index."""
    if ix.size and ix[-1] - ix[0] == ix.size - 1:
        return slice(int(ix[0]), int(ix[-1]) + 1)
    return ix


def coefficient_rows(model: LeontiefModel, rows: slice) -> Array:
    """Rows of ``A = Z diag(x)^-1`` (zero columns for zero output), without forming ``A``."""
    return np.asarray(model.table.Z[rows] * model.inv_x[None, :])
