"""Deterministic synthetic MRIO tables of published sizes, for the engine benchmarks.

A table of ``R`` regions x ``S`` sectors (``n = R S`` industries, region-major) with ``C``
final-demand categories per region and ``k`` stressors is drawn from a seeded generator:

- ``A`` (n x n): every entry of a domestic block (supplier and user in the same region) is
  present and large; an off-diagonal (imported) block keeps a fraction of its entries, which
  are an order of magnitude smaller. Each column is then scaled to a column sum drawn from
  U(0.4, 0.7), so ``rho(A) <= ||A||_1 <= 0.7`` and the table is productive.
- ``Y`` (n x R C): positive; each region buys mostly from itself.
- ``x`` and ``y = Y 1``: a positive final-demand vector ``y0`` is pushed through a truncated
  Leontief series, ``x = sum_{p <= P} A^p y0``; the final demand is then re-set to
  ``y = (I - A) x``, which is positive (it is ``y0 - A^(P+1) y0``, within 0.7^(P+1) of ``y0``).
  So ``x = L y`` holds exactly (to rounding) with no O(n^3) solve, and ``Y``'s rows are
  rescaled to sum to ``y``.
- ``Z = A diag(x)`` (formed in place over ``A``), ``V = x' - 1'Z`` (one component),
  ``F`` = stressor intensity x output, ``F_Y`` emitted by households only.

Only one n x n array is ever held (``A`` becomes ``Z`` in place); the table takes it over
without a copy (``MRIOTable.from_arrays(..., copy=False)``) and :func:`to_pymrio` wraps the
same arrays in pymrio's frames.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from karavan.core import MRIOTable, TableMetadata

__all__ = ["SIZES", "Size", "synthetic_arrays", "synthetic_table", "to_pymrio"]

CATEGORIES = (
    "households",
    "non-profit institutions",
    "government",
    "gross fixed capital formation",
    "changes in inventories",
)
STRESSORS = (("CO2", "kt"), ("water", "Mm3"), ("employment", "1000 persons"))
SERIES_TERMS = 24  # P: 0.7^25 < 1.4e-4, so y stays within 0.014% (in 1-norm) of y0


@dataclass(frozen=True)
class Size:
    """A benchmark size named after the database whose dimensions it copies."""

    name: str
    regions: int
    sectors: int

    @property
    def n(self) -> int:
        return self.regions * self.sectors


SIZES = {
    1435: Size("WIOD", 41, 35),
    3645: Size("OECD ICIO", 81, 45),
    9800: Size("EXIOBASE", 49, 200),
}


def _coefficients(rng: np.random.Generator, R: int, S: int) -> np.ndarray[Any, Any]:
    """``A``, drawn one supplying region (S rows) at a time so that temporaries stay small."""
    n = R * S
    A = np.empty((n, n))
    # Each region's domestic density/scale; imports from one region are sparse and small.
    import_density = rng.uniform(0.15, 0.45, size=R)
    for i in range(R):
        rows = A[i * S : (i + 1) * S]
        rng.random(out=rows)
        keep = rng.random((S, n)) < import_density[i]
        rows *= keep
        rows *= 1.0 / max(R - 1, 1)
        rows[:, i * S : (i + 1) * S] = rng.random((S, S)) + 0.05
    col_sums = A.sum(axis=0)
    A *= (rng.uniform(0.4, 0.7, size=n) / col_sums)[None, :]
    return A


def synthetic_arrays(
    regions: int, sectors: int, categories: int = 5, stressors: int = 3, seed: int = 0
) -> dict[str, Any]:
    """The arrays and labels of a balanced, productive table (keyword arguments of
    :meth:`MRIOTable.from_arrays`); deterministic for a given seed."""
    if not 1 <= categories <= len(CATEGORIES) or not 1 <= stressors <= len(STRESSORS):
        raise ValueError(
            f"categories must be in 1..{len(CATEGORIES)} and stressors in 1..{len(STRESSORS)}; "
            f"got {categories} and {stressors}"
        )
    R, S, C, k = regions, sectors, categories, stressors
    n = R * S
    rng = np.random.default_rng([seed, R, S, C, k])
    A = _coefficients(rng, R, S)

    # Final use: n x R x C, each region buying mostly domestic products.
    Y = rng.uniform(0.2, 1.0, size=(n, R, C))
    Y *= np.array([1.0, 0.05, 0.3, 0.4, 0.02][:C])[None, None, :]
    home = np.repeat(np.arange(R), S)
    Y[np.arange(n), home, :] *= 20.0 * R
    Y *= rng.lognormal(0.0, 0.5, size=R)[None, :, None]  # region sizes
    y0 = Y.sum(axis=(1, 2))

    # x = sum_p A^p y0 (Horner-free accumulation), then y = (I - A) x exactly.
    x = y0.copy()
    term = y0
    for _ in range(SERIES_TERMS):
        term = A @ term
        x += term
    y = x - A @ x
    if not np.all(y > 0):
        raise ValueError("synthetic final demand came out non-positive; change the seed")
    Y *= (y / y0)[:, None, None]
    Y = Y.reshape(n, R * C)

    Z = A
    Z *= x[None, :]  # Z = A diag(x), in place: A is not kept
    V = (x - Z.sum(axis=0))[None, :]

    # Stressors: intensity per unit of output by sector, scaled by region (technology).
    intensity = rng.lognormal(0.0, 1.0, size=(k, S))[:, None, :] * rng.uniform(
        0.5, 2.0, size=(k, R, 1)
    )
    F = intensity.reshape(k, n) * x[None, :] * 1e-3
    F_Y = np.zeros((k, R, C))
    F_Y[:, :, 0] = rng.uniform(0.05, 0.15, size=(k, R)) * F.reshape(k, R, S).sum(axis=2)
    if k >= 3:
        F_Y[2:] = 0.0  # employment is not emitted by final use

    return {
        "regions": [f"R{r:02d}" for r in range(R)],
        "sectors": [f"S{s:03d}" for s in range(S)],
        "categories": list(CATEGORIES[:C]),
        "Z": Z,
        "Y": Y,
        "x": x,
        "V": V,
        "va_components": ["value added"],
        "F": F,
        "F_Y": F_Y.reshape(k, R * C),
        "stressors": [name for name, _ in STRESSORS[:k]],
        "stressor_units": [unit for _, unit in STRESSORS[:k]],
    }


def synthetic_table(
    regions: int, sectors: int, categories: int = 5, stressors: int = 3, seed: int = 0
) -> MRIOTable:
    """A balanced, productive :class:`MRIOTable` (see the module docstring), no copies made."""
    arrays = synthetic_arrays(regions, sectors, categories, stressors, seed)
    meta = TableMetadata(
        source="synthetic",
        edition=f"{regions}x{sectors} seed {seed}",
        notes="karavan benchmarks/synthetic.py",
    )
    return MRIOTable.from_arrays(**arrays, meta=meta, copy=False)


def to_pymrio(table: MRIOTable) -> Any:
    """The equivalent ``pymrio.IOSystem`` (Z, Y, x and an extension ``stressors`` with F, F_Y
    and unit), its frames wrapping the table's arrays without copying."""
    import pandas as pd
    import pymrio

    ind = pd.MultiIndex.from_product([table.regions, table.sectors], names=["region", "sector"])
    fd = pd.MultiIndex.from_product([table.regions, table.categories], names=["region", "category"])
    st = pd.Index(table.stressors, name="stressor")
    ext = {
        "name": "stressors",
        "F": pd.DataFrame(table.F, index=st, columns=ind, copy=False),
        "F_Y": pd.DataFrame(table.F_Y, index=st, columns=fd, copy=False),
        "unit": pd.DataFrame({"unit": list(table.stressor_units)}, index=st),
    }
    return pymrio.IOSystem(
        Z=pd.DataFrame(table.Z, index=ind, columns=ind, copy=False),
        Y=pd.DataFrame(table.Y, index=ind, columns=fd, copy=False),
        x=pd.DataFrame({"indout": table.x}, index=ind),
        stressors=ext,
    )
