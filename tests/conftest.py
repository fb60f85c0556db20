"""Shared fixtures: small exact tables, the location of ../shared/data, and PostgreSQL databases."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

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


# --- PostgreSQL harness (scripts/postgres.sh; `make test` sets KARAVAN_TEST_POSTGRES_URL) -------

POSTGRES_URL_ENV = "KARAVAN_TEST_POSTGRES_URL"
POSTGRES_FIXTURES = frozenset({"postgres_url", "fresh_postgres_url"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that uses a PostgreSQL fixture `postgres`, so `-m "not postgres"` works."""
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """Create an empty database with a random name on the server of `admin_url`; drop it after.

    Yields the new database's URL (same server, user and driver). The drop uses WITH (FORCE) so
    connections a failed test leaked do not keep the database alive.
    """
    name = f"karavan_t_{secrets.token_hex(6)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            url = sa.make_url(admin_url).set(database=name)
            yield url.render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The throwaway cluster's admin URL (database karavan_test); skips when it is not running."""
    url = os.environ.get(POSTGRES_URL_ENV, "")
    if not url:
        pytest.skip(
            f"{POSTGRES_URL_ENV} is unset: run `make test` (or `make unit`), which starts a "
            "throwaway PostgreSQL with scripts/postgres.sh and sets it"
        )
    return url


@pytest.fixture
def fresh_postgres_url(postgres_url: str) -> Iterator[str]:
    """URL of a new, empty PostgreSQL database for this test only; dropped afterwards."""
    with fresh_postgres_database(postgres_url) as url:
        yield url


@pytest.fixture(
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def registry_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL for the registry on each backend (SQLite and PostgreSQL)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/registry.sqlite3"
    url: str = request.getfixturevalue("fresh_postgres_url")
    return url
