"""The full set of checks on an :class:`~karavan.core.table.MRIOTable`.

Each check reports where it fails (row and column labels, the value), so that loaders can raise
a typed error naming the place and ``karavan validate`` can print a readable report.

Balance tolerance for a row (or column) with ``m`` published entries is
``rtol * |x_i| + rounding * m``: an entry rounded to whole units is off by at most half a unit,
so ``m`` of them by at most ``0.5 m`` (``rounding`` comes from the table's metadata).

Productivity: for a non-negative ``A`` the spectral radius equals its Perron root. When every
column sum of ``A`` is below 1 the root is below 1 (column sums bound it); otherwise the root is
computed (ARPACK) and, if >= 1, the sectors carrying the Perron vector are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse.linalg as spla

from karavan.errors import (
    BalanceError,
    NegativeValueError,
    NonFiniteError,
    NotProductiveError,
    TableError,
    ZeroOutputError,
)

if TYPE_CHECKING:
    from karavan.core.table import Array, MRIOTable

__all__ = ["SIGNED_CATEGORY_HINTS", "Check", "ValidationReport", "validate_table"]

# Final-use categories that may legitimately be negative (stock changes, discrepancies, and
# gross fixed capital formation, which is acquisitions less disposals of fixed assets (SNA 2008,
# 10.32) and so negative where disposals exceed acquisitions: WIOD 2013 has such entries).
SIGNED_CATEGORY_HINTS = (
    "inventor",
    "capital formation",
    "gfcf",
    "valuables",
    "discrepanc",
    "invnt",
    "civ",
    "dpabr",
)


@dataclass(frozen=True)
class Finding:
    """One offending place: a label for the row and column, the value, and a detail."""

    row: str
    column: str
    value: float
    detail: str = ""


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    message: str
    error: type[TableError] = TableError
    findings: tuple[Finding, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "check": self.name,
            "passed": self.passed,
            "message": self.message,
            "findings": [f.__dict__ for f in self.findings],
        }


@dataclass(frozen=True)
class ValidationReport:
    checks: tuple[Check, ...]
    info: dict[str, object] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def raise_if_failed(self, where: str = "") -> None:
        """Raise the typed error of the first failed check, naming its place."""
        for c in self.failures:
            prefix = f"{where}: " if where else ""
            raise c.error(prefix + c.message)

    def as_dict(self) -> dict[str, object]:
        return {"passed": self.passed, "checks": [c.as_dict() for c in self.checks], **self.info}


def _signed_category(name: str) -> bool:
    low = name.lower()
    return any(h in low for h in SIGNED_CATEGORY_HINTS)


def _first_bad(
    mask: np.ndarray, arr: Array, row_label: object, col_label: object, limit: int = 5
) -> tuple[Finding, ...]:
    rows, cols = np.nonzero(mask)
    out = []
    for r, c in zip(rows[:limit], cols[:limit], strict=True):
        out.append(Finding(row_label(int(r)), col_label(int(c)), float(arr[r, c])))  # type: ignore[operator]
    return tuple(out)


def _finite(t: MRIOTable) -> Check:
    parts: list[tuple[str, Array, object, object]] = [
        ("Z", t.Z, t.industry_label, t.industry_label),
        ("Y", t.Y, t.industry_label, t.final_demand_label),
        ("x", t.x[None, :], lambda i: "output", t.industry_label),
        ("V", t.V, lambda i: t.va_components[i], t.industry_label),
        ("F", t.F, lambda i: t.stressors[i], t.industry_label),
        ("F_Y", t.F_Y, lambda i: t.stressors[i], t.final_demand_label),
    ]
    for name, arr, rl, cl in parts:
        bad = ~np.isfinite(arr)
        if bad.any():
            f = _first_bad(bad, arr, rl, cl)
            return Check(
                "finite",
                False,
                f"{name} holds {int(bad.sum())} non-finite value(s); first at row {f[0].row}, "
                f"column {f[0].column}: {f[0].value}",
                NonFiniteError,
                f,
            )
    return Check("finite", True, "all values finite")


def _signs(t: MRIOTable) -> Check:
    signed_cols = np.repeat(
        np.array([not _signed_category(c) for c in t.categories])[None, :], t.n_regions, axis=0
    ).reshape(-1)
    parts: list[tuple[str, np.ndarray, Array, object, object]] = [
        ("x (gross output)", t.x[None, :] < 0, t.x[None, :], lambda i: "output", t.industry_label),
        ("Z (intermediate use)", t.Z < 0, t.Z, t.industry_label, t.industry_label),
        (
            "Y (final use, categories other than stock changes and capital formation)",
            (t.Y < 0) & signed_cols[None, :],
            t.Y,
            t.industry_label,
            t.final_demand_label,
        ),
    ]
    for name, bad, arr, rl, cl in parts:
        if bad.any():
            f = _first_bad(bad, arr, rl, cl)
            return Check(
                "non-negative",
                False,
                f"{name} must be non-negative: {int(bad.sum())} negative value(s); first at "
                f"row {f[0].row}, column {f[0].column}: {f[0].value}",
                NegativeValueError,
                f,
            )
    return Check(
        "non-negative",
        True,
        "x, Z and Y (except stock changes and capital formation) non-negative",
    )


def _balance(t: MRIOTable, rtol: float, rounding: float | None) -> Check:
    r = t.meta.rounding if rounding is None else rounding
    uses = t.Z.sum(axis=1) + t.Y.sum(axis=1)
    inputs = t.Z.sum(axis=0) + t.V.sum(axis=0)
    d_row = t.x - uses
    d_col = t.x - inputs
    tol_row = rtol * np.abs(t.x) + r * (t.Z.shape[1] + t.Y.shape[1]) + 1e-9
    tol_col = rtol * np.abs(t.x) + r * (t.Z.shape[0] + t.V.shape[0]) + 1e-9
    findings = []
    for kind, d, tol in (
        ("output - total uses", d_row, tol_row),
        ("output - total inputs", d_col, tol_col),
    ):
        order = np.argsort(-np.abs(d))[:5]
        for i in order:
            findings.append(
                Finding(t.industry_label(int(i)), kind, float(d[i]), f"tolerance {tol[i]:.6g}")
            )
    worst_row, worst_col = float(np.abs(d_row).max(initial=0)), float(np.abs(d_col).max(initial=0))
    bad_row = np.abs(d_row) > tol_row
    bad_col = np.abs(d_col) > tol_col
    if bad_row.any() or bad_col.any():
        which, d, bad = (
            ("total uses", d_row, bad_row) if bad_row.any() else ("total inputs", d_col, bad_col)
        )
        i = int(np.argmax(np.where(bad, np.abs(d), -1)))
        return Check(
            "balance",
            False,
            f"gross output differs from {which} beyond tolerance in {int(bad.sum())} industries; "
            f"worst {t.industry_label(i)}: x={t.x[i]:.6g}, difference {d[i]:.6g}",
            BalanceError,
            tuple(findings),
        )
    return Check(
        "balance",
        True,
        f"balanced: worst |x - uses| {worst_row:.6g}, worst |x - inputs| {worst_col:.6g} "
        f"(rtol {rtol:g}, rounding {r:g} per entry)",
        BalanceError,
        tuple(findings),
    )


def _zero_output(t: MRIOTable) -> Check:
    zero = np.flatnonzero(t.x == 0)
    if zero.size == 0:
        return Check("zero output", True, "no zero-output industries")
    for name, arr in (("intermediate inputs Z", t.Z), ("value added V", t.V), ("stressors F", t.F)):
        block = arr[:, zero]
        if np.any(block != 0):
            r, c = np.argwhere(block != 0)[0]
            j = int(zero[c])
            return Check(
                "zero output",
                False,
                f"industry {t.industry_label(j)} has zero output but non-zero {name} "
                f"({block[r, c]:.6g}): its coefficients are undefined",
                ZeroOutputError,
                (Finding(t.industry_label(j), name, float(block[r, c])),),
            )
    labels = ", ".join(t.industry_label(int(i)) for i in zero[:10])
    more = f" and {zero.size - 10} more" if zero.size > 10 else ""
    return Check(
        "zero output",
        True,
        f"{zero.size} zero-output industries with no inputs ({labels}{more}): their coefficient "
        "columns are zero by definition",
        ZeroOutputError,
        tuple(Finding(t.industry_label(int(i)), "output", 0.0) for i in zero),
    )


def spectral_radius(t: MRIOTable) -> tuple[float, Array]:
    """Perron root of A and its (normalised, non-negative) right vector.

    Uses ``max column sum`` as a certificate when it is below 1 (the vector is then empty).
    """
    inv_x = np.divide(1.0, t.x, out=np.zeros_like(t.x), where=t.x != 0)
    colsum = t.Z.sum(axis=0) * inv_x
    if colsum.size == 0 or colsum.max() < 1.0:
        return float(colsum.max(initial=0.0)), np.zeros(0)
    n = t.n
    if n < 3:  # ARPACK needs n > k + 1; so small a matrix is solved densely
        vals, vecs = np.linalg.eig(t.Z * inv_x[None, :])
        top = int(np.argmax(np.abs(vals)))
        vals, vecs = vals[top : top + 1], vecs[:, top : top + 1]
    else:
        op = spla.LinearOperator((n, n), matvec=lambda v: t.Z @ (inv_x * v), dtype=np.float64)
        vals, vecs = spla.eigs(op, k=1, which="LM", tol=1e-10, maxiter=20 * n)
    vec = np.abs(vecs[:, 0].real)
    return float(abs(vals[0])), vec / vec.sum()


def _productive(t: MRIOTable) -> Check:
    if (t.Z < 0).any():
        return Check("productive", False, "skipped: Z has negative entries", NotProductiveError)
    rho, vec = spectral_radius(t)
    if rho < 1.0:
        return Check("productive", True, f"spectral radius of A below 1 (bound {rho:.6f})")
    inv_x = np.divide(1.0, t.x, out=np.zeros_like(t.x), where=t.x != 0)
    colsum = t.Z.sum(axis=0) * inv_x
    over = np.flatnonzero(colsum >= 1.0)
    top = np.argsort(-vec)[:5]
    named = ", ".join(t.industry_label(int(i)) for i in top)
    cols = ", ".join(f"{t.industry_label(int(i))} ({colsum[i]:.4g})" for i in over[:5])
    return Check(
        "productive",
        False,
        f"not productive: spectral radius of A is {rho:.6g} >= 1; the Perron vector is "
        f"concentrated on {named}; input coefficients summing to >= 1 in: {cols or 'none'}",
        NotProductiveError,
        tuple(Finding(t.industry_label(int(i)), "column sum of A", float(colsum[i])) for i in over),
    )


def validate_table(
    t: MRIOTable, *, rtol: float = 1e-6, rounding: float | None = None
) -> ValidationReport:
    """Run all checks on ``t`` and return the report (does not raise).

    ``rtol``: relative balance tolerance; ``rounding``: per-entry rounding allowance,
    defaulting to the table's ``meta.rounding``.
    """
    finite = _finite(t)
    if not finite.passed:  # the other checks would only repeat NaN noise
        return ValidationReport((finite,))
    checks = (finite, _signs(t), _balance(t, rtol, rounding), _zero_output(t), _productive(t))
    zero = int((t.x == 0).sum())
    return ValidationReport(
        checks,
        {"industries": t.n, "zero_output_industries": zero},
    )
