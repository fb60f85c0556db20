"""The demand-driven (Leontief) and supply-driven (Ghosh) quantity models, factorised once.

With technical coefficients ``A = Z diag(x)^-1`` the Leontief model is ``x = (I - A)^-1 y = L y``
(Miller and Blair 2009, eq. 2.10). :class:`LeontiefModel` computes the LU factorisation of
``(I - A)`` once (LAPACK ``getrf``) and answers every later question by triangular solves:

- ``solve(y)``            ``L y``                  (``getrs``)
- ``solve_transposed(b)`` ``L' b``, so ``b' L``    (``getrs`` with ``trans=1``): multipliers
- ``leontief_inverse()``  ``L`` itself, only when asked (``getri`` on a copy of the factors)

The Ghosh model uses allocation coefficients ``B = diag(x)^-1 Z`` and ``G = (I - B)^-1``
(Miller and Blair 2009, eq. 12.8). Because ``B = diag(x)^-1 A diag(x)``,
``G = diag(x)^-1 L diag(x)`` (eq. 12.12), so the Ghosh model reuses the same factorisation.

Zero-output industries: their coefficient columns (and Ghosh rows) are zero by definition, which
is only consistent when they have no inputs (and, for Ghosh, no sales); both are checked here and
violations raise :class:`~karavan.errors.ZeroOutputError`. In the formulas above ``diag(x)`` then
uses 1 in place of 0, which leaves the identity block of those industries unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import lapack

from karavan.core.table import Array, MRIOTable
from karavan.errors import NotProductiveError, ZeroOutputError

__all__ = [
    "LeontiefModel",
    "allocation_coefficients",
    "ghosh_inverse",
    "leontief_inverse",
    "technical_coefficients",
]


def _inverse_output(t: MRIOTable) -> Array:
    """``1/x`` with zero-output industries mapped to 0, after checking they have no inputs."""
    zero = np.flatnonzero(t.x == 0)
    if zero.size and np.any(t.Z[:, zero] != 0):
        j = int(zero[np.argwhere(t.Z[:, zero] != 0)[0][1]])
        raise ZeroOutputError(
            f"industry {t.industry_label(j)} has zero output but buys intermediate inputs; "
            "its technical coefficients are undefined"
        )
    return np.divide(1.0, t.x, out=np.zeros_like(t.x), where=t.x != 0)


def technical_coefficients(t: MRIOTable) -> pd.DataFrame:
    """``A = Z diag(x)^-1``: inputs per unit of output (zero columns for zero output)."""
    idx = t.industry_index
    return pd.DataFrame(t.Z * _inverse_output(t)[None, :], index=idx, columns=idx)


def allocation_coefficients(t: MRIOTable) -> pd.DataFrame:
    """``B = diag(x)^-1 Z``: the Ghosh allocation (output) coefficients."""
    _check_ghosh(t)
    inv_x = np.divide(1.0, t.x, out=np.zeros_like(t.x), where=t.x != 0)
    idx = t.industry_index
    return pd.DataFrame(t.Z * inv_x[:, None], index=idx, columns=idx)


def _check_ghosh(t: MRIOTable) -> None:
    zero = np.flatnonzero(t.x == 0)
    if zero.size and np.any(t.Z[zero, :] != 0):
        i = int(zero[np.argwhere(t.Z[zero, :] != 0)[0][0]])
        raise ZeroOutputError(
            f"industry {t.industry_label(i)} has zero output but sells intermediate goods; "
            "its allocation coefficients are undefined"
        )


class LeontiefModel:
    """The factorised system ``(I - A) = P L U`` of one table, reused for every solve.

    Memory: one dense n x n array (the factors, computed in place) besides the table.
    """

    __slots__ = ("_factors", "_output_by_region", "_pivots", "inv_x", "scale", "table")

    def __init__(self, table: MRIOTable) -> None:
        self.table = table
        inv_x = _inverse_output(table)
        n = table.n
        # (I - A) built straight into Fortran order so that getrf factorises it in place. Z is
        # C-ordered, so this is a transposing copy: done in slabs of 128 columns it stays in
        # cache and takes half the time of one strided pass (same values, bit for bit).
        m = np.empty((n, n), dtype=np.float64, order="F")
        neg_inv_x = -inv_x
        for j in range(0, n, 128):
            cols = slice(j, j + 128)
            np.multiply(table.Z[:, cols], neg_inv_x[None, cols], out=m[:, cols])
        m.flat[:: n + 1] += 1.0
        lu, piv, info = lapack.dgetrf(m, overwrite_a=True)
        if info > 0:
            raise NotProductiveError(
                f"(I - A) is singular: U[{info - 1},{info - 1}] is zero (industry "
                f"{table.industry_label(info - 1)}); the table is not productive"
            )
        self._factors: Array = lu
        self._pivots: np.ndarray[Any, np.dtype[np.int32]] = piv
        self.inv_x: Array = inv_x
        self.scale: Array = np.where(table.x == 0, 1.0, table.x)  # diag(x) with 0 -> 1
        self._output_by_region: Array | None = None

    @property
    def n(self) -> int:
        return self.table.n

    def output_by_region(self) -> Array:
        """``L Y_r`` for every region ``r`` (n x R, read-only): the output that serves each
        region's final use. One solve with R right-hand sides, done once per model and shared
        by the footprint and value-added accounts."""
        if self._output_by_region is None:
            out = self.solve(self.table.Y_by_region)
            out.flags.writeable = False
            self._output_by_region = out
        return self._output_by_region

    def solve(self, rhs: Any) -> Array:
        """``L rhs = (I - A)^-1 rhs`` for a vector or a matrix of demand columns."""
        b = np.asarray(rhs, dtype=np.float64)
        out, info = lapack.dgetrs(self._factors, self._pivots, b, trans=0)
        assert info == 0
        return np.asarray(out)

    def solve_transposed(self, rhs: Any) -> Array:
        """``L' rhs``; for a row vector ``c`` of coefficients, ``(c L)' = L' c'``."""
        b = np.asarray(rhs, dtype=np.float64)
        out, info = lapack.dgetrs(self._factors, self._pivots, b, trans=1)
        assert info == 0
        return np.asarray(out)

    def leontief_inverse(self) -> Array:
        """The dense ``L = (I - A)^-1`` (n x n). Prefer :meth:`solve` when L is not needed."""
        # getri needs a workspace of n * block size to run blocked (level-3 BLAS); scipy's
        # default (n) makes it unblocked and ~15x slower at n = 1435
        lwork, info = lapack.dgetri_lwork(self.n)
        assert info == 0
        inv, info = lapack.dgetri(
            self._factors.copy(order="F"), self._pivots, lwork=int(lwork), overwrite_lu=True
        )
        assert info == 0
        return np.asarray(inv)

    def ghosh_inverse(self) -> Array:
        """The dense ``G = (I - B)^-1 = diag(x)^-1 L diag(x)``."""
        _check_ghosh(self.table)
        L = self.leontief_inverse()
        L *= self.scale[None, :]
        L /= self.scale[:, None]
        return L

    def supply_driven_output(self, v: Any) -> Array:
        """Ghosh model: ``x' = v' G`` for primary inputs ``v`` (vector or n x m matrix)."""
        _check_ghosh(self.table)
        b = np.asarray(v, dtype=np.float64)
        s = self.scale if b.ndim == 1 else self.scale[:, None]
        return self.solve_transposed(b / s) * s

    def residual(self, x: Array, y: Array) -> float:
        """``max |(I - A) x - y|``: a posteriori check of a solve."""
        t = self.table
        return float(np.max(np.abs(x - t.Z @ (self.inv_x * x) - y), initial=0.0))


def leontief_inverse(t: MRIOTable) -> pd.DataFrame:
    """``L = (I - A)^-1`` as a labelled frame."""
    idx = t.industry_index
    return pd.DataFrame(LeontiefModel(t).leontief_inverse(), index=idx, columns=idx)


def ghosh_inverse(t: MRIOTable) -> pd.DataFrame:
    """``G = (I - B)^-1`` as a labelled frame."""
    idx = t.industry_index
    return pd.DataFrame(LeontiefModel(t).ghosh_inverse(), index=idx, columns=idx)
