"""Storage: engine settings, the packaged migration (it matches the models, runs twice
harmlessly, installs the full-text index and the audit triggers) and integrity checks."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.exc import DatabaseError

from karavan.errors import RegistryError
from karavan.registry.migrations import MIGRATIONS_DIR, include_object
from karavan.registry.service import Registry, open_registry
from karavan.registry.store.base import Base
from karavan.registry.store.engine import BUSY_TIMEOUT_MS, make_engine, normalise_url
from karavan.registry.store.search_index import index_sql, matching_all_terms
from tests.unit.registry.conftest import ADMIN, organisation


def test_sqlite_connections_are_configured(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.sqlite3")
    with engine.connect() as connection:
        pragmas = {
            name: connection.execute(text(f"PRAGMA {name}")).scalar()
            for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
        }
    engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": BUSY_TIMEOUT_MS,
        "synchronous": 1,  # NORMAL
    }


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u:p@h:5432/db", "postgresql+psycopg://u:p@h:5432/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///a/b.sqlite3", "sqlite:///a/b.sqlite3"),
    ],
)
def test_postgres_urls_go_through_psycopg(url: str, expected: str) -> None:
    assert normalise_url(url) == expected


def test_other_backends_are_refused() -> None:
    with pytest.raises(RegistryError, match="SQLite or PostgreSQL; got backend 'mysql'"):
        make_engine("mysql://u@h/db")
    with pytest.raises(RegistryError, match="psycopg 3"):
        make_engine("postgresql+asyncpg://u@h/db")


def test_migration_creates_exactly_the_models(registry: Registry) -> None:
    with registry.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert diff == []
    assert set(Base.metadata.tables) | {"alembic_version"} <= tables
    assert {"users", "audit_log", "record_history", "fts_products"} <= tables


@pytest.mark.parametrize(
    ("name", "type_", "compared"),
    [
        ("search_vector", "column", False),  # PostgreSQL's generated tsvector (0003)
        ("ix_products_search_text_fts", "index", False),
        ("fts_organisations", "table", False),
        ("fts_organisations_data", "table", False),  # an FTS5 shadow table
        ("search_text", "column", True),
        ("ix_organisations_status", "index", True),
        ("organisations", "table", True),
    ],
)
def test_include_object_leaves_out_exactly_the_search_objects(
    name: str, type_: str, compared: bool
) -> None:
    assert include_object(None, name, type_, True, None) is compared


def test_migrations_are_packaged_as_python_modules() -> None:
    assert (MIGRATIONS_DIR / "env.py").is_file()
    assert (MIGRATIONS_DIR / "versions" / "0001_initial.py").is_file()


def test_upgrade_twice_is_harmless(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/twice.sqlite3"
    first = open_registry(url)
    first.create(ADMIN, "organisations", organisation())
    first.close()
    second = open_registry(url)
    assert second.list(ADMIN, "organisations").total == 1
    with second.engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [
            ("0003",)
        ]
    second.close()


def test_audit_log_is_append_only(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    with pytest.raises(DatabaseError, match="append-only"), registry.engine.begin() as c:
        c.exec_driver_sql("UPDATE audit_log SET actor = 'someone else'")
    with pytest.raises(DatabaseError, match="append-only"), registry.engine.begin() as c:
        c.exec_driver_sql("DELETE FROM audit_log")


def test_full_text_index_follows_the_table_through_triggers(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    with registry.engine.begin() as connection:
        match = "SELECT rowid FROM fts_organisations WHERE fts_organisations MATCH :q"
        assert connection.execute(text(match), {"q": '"завод"*'}).all() == [(1,)]
        connection.exec_driver_sql("UPDATE organisations SET search_text = 'other words'")
        assert connection.execute(text(match), {"q": '"завод"*'}).all() == []
        assert connection.execute(text(match), {"q": '"word"*'}).all() == [(1,)]
    assert registry.check_integrity() == []


def test_search_terms_must_be_words() -> None:
    table = Base.metadata.tables["products"]
    with pytest.raises(RegistryError, match="non-empty words"):
        matching_all_terms(table, ['pipe" OR "x'], "sqlite")
    with pytest.raises(RegistryError, match="non-empty words"):
        matching_all_terms(table, [], "postgresql")
    with pytest.raises(RegistryError, match="no full-text index"):
        matching_all_terms(Base.metadata.tables["users"], ["a"], "sqlite")
    with pytest.raises(RegistryError, match="dialects"):
        index_sql("oracle")


def test_postgres_search_clause_is_a_prefix_tsquery() -> None:
    from sqlalchemy.dialects import postgresql

    clause = matching_all_terms(Base.metadata.tables["needs"], ["уголь", "coal"], "postgresql")
    compiled = clause.compile(dialect=postgresql.dialect())
    assert str(compiled) == ("needs.search_vector @@ to_tsquery('simple', %(ts_match)s::VARCHAR)")
    assert compiled.params == {"ts_match": "уголь:* & coal:*"}
