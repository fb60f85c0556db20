"""Split regions of the OECD ICIO tables, merged back into their country.

The ICIO tables publish Mexico and China split by production type (MX1/MX2, CN1/CN2; MX3, CN3,
CN4 in older editions) in their industry rows and columns, with final demand only for the
country (MEX, CHN), whose own industry rows and columns are then zero. Merging adds each split
region's rows, then columns, to its country's, sector by sector (as pymrio and MARIO do).
This is the many-to-one aggregation of :mod:`karavan.core.aggregation`, done with slices
instead of dense concordance products, because the split table has no complete final-demand
block to build an :class:`~karavan.core.table.MRIOTable` from and because two n x n products
would cost more time and memory than the whole parse.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from karavan.core.table import Array
from karavan.errors import ParseError

__all__ = ["SPLIT_PARENTS", "merge_split_regions", "split_regions"]

SPLIT_PARENTS = {"MX": "MEX", "CN": "CHN"}
_SPLIT = re.compile(r"^(MX|CN)\d$")


def split_regions(regions: Sequence[str], path: Path) -> tuple[tuple[str, ...], dict[str, str]]:
    """Regions after merging, and each split region's parent."""
    merged: dict[str, str] = {}
    for r in regions:
        m = _SPLIT.match(r)
        if m:
            parent = SPLIT_PARENTS[m.group(1)]
            if parent not in regions:
                raise ParseError(
                    f"split region {r} has no {parent} rows and columns to be merged into",
                    path=str(path),
                    row=1,
                    value=r,
                )
            merged[r] = parent
    return tuple(r for r in regions if r not in merged), merged


def merge_split_regions(
    published: Sequence[str],
    regions: tuple[str, ...],
    n_sectors: int,
    Z: Array,
    Y: Array,
    x: Array,
    V: Array,
    x_row: Array,
) -> tuple[Array, Array, Array, Array, Array]:
    """Add each split region's rows, then columns, to its parent's, sector by sector.

    ``published`` are the regions of the industry rows as in the file, ``regions`` those after
    merging (from :func:`split_regions`); ``x`` is the output column, ``x_row`` the output row.
    """
    S = n_sectors
    plan = {r: (_SPLIT.match(r) is not None) for r in published}
    keep = np.concatenate(
        [np.arange(k * S, (k + 1) * S) for k, r in enumerate(published) if not plan[r]]
    )
    target = {r: regions.index(SPLIT_PARENTS[r[:2]] if plan[r] else r) for r in published}
    Zr, Yr, xr = Z[keep].copy(), Y[keep].copy(), x[keep].copy()
    for k, r in enumerate(published):
        if plan[r]:
            src, dst = slice(k * S, (k + 1) * S), slice(target[r] * S, (target[r] + 1) * S)
            Zr[dst] += Z[src]
            Yr[dst] += Y[src]
            xr[dst] += x[src]
    Zc, Vc, xc = Zr[:, keep].copy(), V[:, keep].copy(), x_row[keep].copy()
    for k, r in enumerate(published):
        if plan[r]:
            src, dst = slice(k * S, (k + 1) * S), slice(target[r] * S, (target[r] + 1) * S)
            Zc[:, dst] += Zr[:, src]
            Vc[:, dst] += V[:, src]
            xc[dst] += x_row[src]
    return Zc, Yr, xr, Vc, xc
