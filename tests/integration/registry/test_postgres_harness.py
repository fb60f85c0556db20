"""The PostgreSQL harness gives what the registry tests rely on.

`make test` starts a throwaway cluster with scripts/postgres.sh and sets
KARAVAN_TEST_POSTGRES_URL; these tests check that it is a real PostgreSQL 15+, that fresh
databases are isolated from each other, that fsync is on (crash-consistency tests mean nothing
without it) and that the server listens on loopback only.
"""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import fresh_postgres_database


def scalar(url: str, sql: str) -> object:
    """Run one query on a new connection and return its single value."""
    engine = sa.create_engine(url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_server_is_postgresql_15_or_newer(postgres_url: str) -> None:
    version = int(str(scalar(postgres_url, "SHOW server_version_num")))
    assert version >= 150000, f"expected PostgreSQL >= 15 (150000); got {version}"
    assert scalar(postgres_url, "SELECT current_database()") == "karavan_test"


def test_fresh_database_is_empty_and_named_apart(
    postgres_url: str, fresh_postgres_url: str
) -> None:
    assert sa.make_url(fresh_postgres_url).database != "karavan_test"
    tables = scalar(
        fresh_postgres_url,
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
    )
    assert tables == 0


def test_two_fresh_databases_are_isolated(postgres_url: str) -> None:
    with (
        fresh_postgres_database(postgres_url) as first,
        fresh_postgres_database(postgres_url) as second,
    ):
        assert sa.make_url(first).database != sa.make_url(second).database
        engine = sa.create_engine(first, poolclass=sa.NullPool)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE marker (n integer)"))
            conn.execute(sa.text("INSERT INTO marker VALUES (41), (42)"))
        engine.dispose()
        assert scalar(first, "SELECT sum(n) FROM marker") == 83
        assert scalar(second, "SELECT to_regclass('public.marker') IS NULL") is True


def test_fresh_database_is_dropped_afterwards(postgres_url: str) -> None:
    with fresh_postgres_database(postgres_url) as url:
        name = sa.make_url(url).database
        assert (
            scalar(postgres_url, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == 1
        )
    assert scalar(postgres_url, f"SELECT count(*) FROM pg_database WHERE datname = '{name}'") == 0


def test_fsync_and_synchronous_commit_are_on(postgres_url: str) -> None:
    assert scalar(postgres_url, "SHOW fsync") == "on"
    assert scalar(postgres_url, "SHOW synchronous_commit") == "on"
    assert scalar(postgres_url, "SHOW full_page_writes") == "on"


def test_server_listens_on_loopback_only(postgres_url: str) -> None:
    assert scalar(postgres_url, "SHOW listen_addresses") == "127.0.0.1"
    assert sa.make_url(postgres_url).host == "127.0.0.1"


def test_registry_url_gives_each_backend(registry_url: str) -> None:
    url = sa.make_url(registry_url)
    assert url.get_backend_name() in {"sqlite", "postgresql"}
    engine = sa.create_engine(registry_url, poolclass=sa.NullPool)
    try:
        assert sa.inspect(engine).get_table_names() == []
    finally:
        engine.dispose()
