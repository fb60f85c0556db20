"""Gross exports and imports, the base of every trade-in-value-added measure.

For exporter industry ``(s, i)`` (region ``s``, sector ``i``) and importing region ``r != s``:

- intermediate exports ``E^int[(s,i), r] = sum_j Z[(s,i), (r,j)]``
- final exports        ``E^fin[(s,i), r] = sum_c Y[(s,i), (r,c)]``
- gross exports        ``E = E^int + E^fin``; domestic blocks (``r = s``) are zero by definition.

Wang, Wei and Zhu (2013, NBER WP 19677), eq. (1); Borin and Mancini (2019, World Bank
Policy Research WP 8804), sec. 2. All results are labelled frames with rows (region, sector) and
columns ``importer``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from karavan.core.table import Array, MRIOTable

__all__ = [
    "bilateral_exports",
    "final_exports",
    "gross_exports",
    "gross_imports",
    "intermediate_exports",
]


def _offdiagonal(t: MRIOTable, by_region: Array) -> Array:
    """Zero the blocks where exporter region equals importer region (n x R input)."""
    out = by_region.copy()
    S = t.n_sectors
    for r in range(t.n_regions):
        out[r * S : (r + 1) * S, r] = 0.0
    return out


def _frame(t: MRIOTable, values: Array) -> pd.DataFrame:
    return pd.DataFrame(
        values, index=t.industry_index, columns=pd.Index(t.regions, name="importer")
    )


def intermediate_exports_array(t: MRIOTable) -> Array:
    """``E^int`` as an n x R array (domestic blocks zero)."""
    R, S = t.n_regions, t.n_sectors
    return _offdiagonal(t, t.Z.reshape(t.n, R, S).sum(axis=2))


def final_exports_array(t: MRIOTable) -> Array:
    """``E^fin`` as an n x R array (domestic blocks zero)."""
    return _offdiagonal(t, t.Y_by_region)


def intermediate_exports(t: MRIOTable) -> pd.DataFrame:
    return _frame(t, intermediate_exports_array(t))


def final_exports(t: MRIOTable) -> pd.DataFrame:
    return _frame(t, final_exports_array(t))


def bilateral_exports(t: MRIOTable) -> pd.DataFrame:
    """Gross exports by exporter (region, sector) x importer region."""
    return _frame(t, intermediate_exports_array(t) + final_exports_array(t))


def gross_exports(t: MRIOTable) -> pd.Series:
    """Total gross exports of each (region, sector) to all other regions."""
    e = (intermediate_exports_array(t) + final_exports_array(t)).sum(axis=1)
    return pd.Series(e, index=t.industry_index, name="gross exports")


def gross_imports(t: MRIOTable) -> pd.Series:
    """Gross imports of each region (intermediate and final) from all other regions."""
    total = (intermediate_exports_array(t) + final_exports_array(t)).sum(axis=0)
    return pd.Series(
        np.asarray(total), index=pd.Index(t.regions, name="region"), name="gross imports"
    )
