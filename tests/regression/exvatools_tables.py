"""The exvatools sample tables (``iciotest_data``, ``wiodtest_data``) as :class:`MRIOTable`.

Read as exvatools' ``generate_test_iot()`` does (R/generate_test_iot.R, exvatools 0.4.0 and
later): ``Z`` is the industry block, ``Yfd`` the final-demand columns ``<COUNTRY>_CONS`` and
``<COUNTRY>_INVST``, output ``x = Z 1 + Y 1`` (row sums) and value added ``x - 1'Z``.

The ICIO sample, like the OECD ICIO tables, splits Mexico and China into ``MX1``/``MX2`` and
``CN1``/``CN2`` while keeping empty ``MEX`` and ``CHN`` rows; final demand exists only for the six
countries ``ESP, FRA, MEX, USA, CHN, ROW``. The table keeps all ten regions (the split ones get
zero final-demand columns) and :data:`ICIO_MERGE` merges them back the way exvatools' ``make_wio``
does: computations run on the split table with the border drawn around ``MEX + MX1 + MX2`` (its
``pgn_MXall``), results are summed over the parts (its ``meld``). Merging the rows into one
region *before* computing would change the Leontief inverse and not reproduce exvatools.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from karavan.core import MRIOTable, TableMetadata

ICIO_MERGE: dict[str, tuple[str, ...]] = {
    "MEX": ("MEX", "MX1", "MX2"),
    "CHN": ("CHN", "CN1", "CN2"),
}


def read_exvatools_sample(path: Path) -> MRIOTable:
    """The labelled matrix of ``iciotest_data.rda`` or ``wiodtest_data.rda`` as a table."""
    import rdata

    name = path.stem
    array = rdata.read_rda(str(path))[name]
    rows = [str(v) for v in array.coords[array.dims[0]].values]
    cols = [str(v) for v in array.coords[array.dims[1]].values]
    values = np.asarray(array.values, dtype=np.float64)
    n = len(rows)
    if cols[:n] != rows:
        raise ValueError(f"{path}: the first {n} columns must repeat the row labels")
    regions = tuple(dict.fromkeys(r.split("_", 1)[0] for r in rows))
    sectors = tuple(dict.fromkeys(r.split("_", 1)[1] for r in rows))
    if len(regions) * len(sectors) != n:
        raise ValueError(f"{path}: rows are not region x sector")
    fd_cols = cols[n:]
    categories = tuple(dict.fromkeys(c.split("_", 1)[1] for c in fd_cols))
    Y = np.zeros((n, len(regions) * len(categories)))
    for j, label in enumerate(fd_cols):
        region, category = label.split("_", 1)
        Y[:, regions.index(region) * len(categories) + categories.index(category)] = values[
            :, n + j
        ]
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=sectors,
        categories=categories,
        Z=values[:, :n],
        Y=Y,
        meta=TableMetadata(
            source="exvatools",
            edition=name,
            year=2022,
            currency="USD",
            licence="GPL-3 (package data)",
            citation="E. Feás, exvatools: Value Added in Exports and Other Input-Output Table "
            "Analysis Tools, R package (CRAN)",
        ),
    )
