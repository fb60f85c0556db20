"""Shared fixtures: small exact tables and the location of ../shared/data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from karavan.core import MRIOTable, TableMetadata

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


def small_table(
    regions: tuple[str, ...] = ("RUS", "KAZ", "CHN"),
    sectors: tuple[str, ...] = ("AGR", "MAN", "SRV"),
    categories: tuple[str, ...] = ("HH", "GOV"),
    seed: int = 7,
    stressors: int = 2,
    integral: bool = False,
) -> MRIOTable:
    """A balanced, productive table built from random coefficients (x = L y exactly)."""
    rng = np.random.default_rng(seed)
    n = len(regions) * len(sectors)
    nf = len(regions) * len(categories)
    A = rng.uniform(0.0, 1.0, (n, n))
    A *= rng.uniform(0.3, 0.7, n)[None, :] / A.sum(axis=0)[None, :]
    Y = rng.uniform(10.0, 100.0, (n, nf))
    if integral:
        Y = np.round(Y)
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    Z = A * x[None, :]
    F = rng.uniform(0.0, 5.0, (stressors, n)) * x[None, :]
    F_Y = rng.uniform(0.0, 1.0, (stressors, nf))
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=sectors,
        categories=categories,
        Z=Z,
        Y=Y,
        x=x,
        F=F,
        F_Y=F_Y,
        stressors=[f"gas{i}" for i in range(stressors)],
        stressor_units=["kt"] * stressors,
        meta=TableMetadata(source="test", edition="synthetic", year=2011, licence="CC0"),
    )


@pytest.fixture
def table() -> MRIOTable:
    return small_table()


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_DATA}")
    return SHARED_DATA
