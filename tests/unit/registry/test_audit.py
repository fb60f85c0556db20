"""The audit log: hash chain, append-only triggers, tamper detection, queries.

Runs on SQLite (a file in tmp_path) and on PostgreSQL when ``KARAVAN_TEST_POSTGRES_URL`` is set.
Tables are created from the ORM metadata and the triggers from ``install_triggers_sql``, as the
initial migration does.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from karavan.registry import audit
from karavan.registry.actors import SYSTEM, Actor, Role
from karavan.registry.store.account_models import (
    ApiTokenRow,
    AuditLogRow,
    LoginAttemptRow,
    UserRow,
    WebSessionRow,
)
from karavan.registry.store.base import Base

TABLES = [
    Base.metadata.tables[t.__tablename__]
    for t in (UserRow, ApiTokenRow, WebSessionRow, LoginAttemptRow, AuditLogRow)
]
EDITOR = Actor(user_id=7, role=Role.EDITOR, organisation_id=3, label="user:7")


def _engine(url: str) -> Engine:
    try:
        from karavan.registry.store.engine import make_engine
    except ImportError:
        return create_engine(url)
    return make_engine(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database with the account tables and the audit triggers installed."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    else:
        env = os.environ.get("KARAVAN_TEST_POSTGRES_URL")
        if not env:
            pytest.skip("KARAVAN_TEST_POSTGRES_URL is not set")
        url = env
    eng = _engine(url)
    dialect = eng.dialect.name
    with eng.begin() as conn:
        Base.metadata.drop_all(conn, tables=TABLES)
        Base.metadata.create_all(conn, tables=TABLES)
        for statement in audit.install_triggers_sql(dialect):
            conn.execute(text(statement))
    yield eng
    with eng.begin() as conn:
        for statement in audit.uninstall_triggers_sql(dialect):
            conn.execute(text(statement))
        Base.metadata.drop_all(conn, tables=TABLES)
    eng.dispose()


def _three_rows(engine: Engine) -> None:
    with Session(engine) as session:
        audit.record(session, SYSTEM, "create", "organisations", 1, {"name_en": "Alpha"})
        audit.record(session, EDITOR, "update", "organisations", 1, {"name_en": ["Alpha", "A"]})
        session.commit()
    with Session(engine) as session:
        audit.record(session, EDITOR, "submit", "products", 12, {"status": ["draft", "submitted"]})
        session.commit()


def test_chain_links_rows_and_verifies(engine: Engine) -> None:
    _three_rows(engine)
    with Session(engine) as session:
        rows = audit.entries(session)
        assert [r.id for r in rows] == [1, 2, 3]
        assert rows[0].prev_hash == audit.GENESIS_HASH == "0" * 64
        assert rows[1].prev_hash == rows[0].hash
        assert rows[2].prev_hash == rows[1].hash
        assert len({r.hash for r in rows}) == 3
        assert rows[1].actor == "user:7"
        assert rows[1].actor_id == 7
        assert rows[0].actor == "system"
        assert rows[0].actor_id is None
        assert rows[2].changes == {"status": ["draft", "submitted"]}
        assert audit.verify_chain(session) == []
        assert audit.verify_chain(session, batch_size=1) == []


def test_hash_is_sha256_of_prev_hash_and_canonical_json(engine: Engine) -> None:
    with Session(engine) as session:
        audit.record(session, EDITOR, "update", "needs", 5, {"b": 2, "a": "ä"})
        session.commit()
        row = session.scalars(select(AuditLogRow)).one()
    payload = (
        '{"action":"update","actor":"user:7","actor_id":7,"at":"'
        + row.at.astimezone(UTC).isoformat(timespec="microseconds")
        + '","changes":{"a":"ä","b":2},"entity":"needs","entity_id":5}'
    )
    expected = hashlib.sha256(("0" * 64 + payload).encode()).hexdigest()
    assert row.hash == expected
    assert row.at.tzinfo is not None


def test_changes_with_dates_enums_and_decimals_are_stored_as_text_and_verify(
    engine: Engine,
) -> None:
    from decimal import Decimal

    when = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    with Session(engine) as session:
        audit.record(
            session,
            SYSTEM,
            "update",
            "projects",
            2,
            {"start": date(2027, 1, 1), "at": when, "role": Role.EDITOR, "usd": Decimal("1.50")},
        )
        session.commit()
        (entry,) = audit.entries(session)
        assert entry.changes == {
            "at": "2026-05-01T12:30:00.000000+00:00",
            "role": "editor",
            "start": "2027-01-01",
            "usd": "1.50",
        }
        assert audit.verify_chain(session) == []


def test_record_refuses_values_that_are_not_json(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(TypeError, match="object"):
        audit.record(session, SYSTEM, "create", "needs", 1, {"x": object()})


def test_rolled_back_write_leaves_no_audit_row(engine: Engine) -> None:
    with Session(engine) as session:
        audit.record(session, SYSTEM, "create", "needs", 1, {})
        session.rollback()
    with Session(engine) as session:
        assert audit.entries(session) == []
        audit.record(session, SYSTEM, "create", "needs", 2, {})
        session.commit()
        (entry,) = audit.entries(session)
        assert entry.prev_hash == audit.GENESIS_HASH
        assert entry.entity_id == 2


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_log SET action = 'forged' WHERE id = 2",
        "DELETE FROM audit_log WHERE id = 2",
        "DELETE FROM audit_log",
    ],
)
def test_database_refuses_update_and_delete_in_raw_sql(engine: Engine, statement: str) -> None:
    _three_rows(engine)
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
        conn.rollback()
    with Session(engine) as session:
        assert [e.action for e in audit.entries(session)] == ["create", "update", "submit"]


def test_database_refuses_update_and_delete_through_the_orm(engine: Engine) -> None:
    _three_rows(engine)
    with Session(engine) as session:
        row = session.get(AuditLogRow, 1)
        assert row is not None
        row.action = "forged"
        with pytest.raises(DBAPIError, match="append-only"):
            session.flush()
        session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(update(AuditLogRow).values(actor="nobody"))
        session.rollback()
        row = session.get(AuditLogRow, 3)
        assert row is not None
        session.delete(row)
        with pytest.raises(DBAPIError, match="append-only"):
            session.flush()
        session.rollback()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(delete(AuditLogRow).where(AuditLogRow.id == 1))
        session.rollback()
        assert [e.actor for e in audit.entries(session)] == ["system", "user:7", "user:7"]
        assert audit.verify_chain(session) == []


def test_postgresql_refuses_truncate(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    _three_rows(engine)
    with engine.connect() as conn:
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("TRUNCATE audit_log"))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == 3


def _drop_triggers(engine: Engine) -> None:
    with engine.begin() as conn:
        for statement in audit.uninstall_triggers_sql(engine.dialect.name):
            conn.execute(text(statement))


def test_edited_row_is_reported(engine: Engine) -> None:
    _three_rows(engine)
    _drop_triggers(engine)
    with engine.begin() as conn:
        conn.execute(
            update(AuditLogRow).where(AuditLogRow.id == 2).values(changes={"name_en": "forged"})
        )
    with Session(engine) as session:
        problems = audit.verify_chain(session)
    assert len(problems) == 1
    assert problems[0].startswith("audit_log row 2: hash does not match")


def test_deleted_row_is_reported_at_the_next_row(engine: Engine) -> None:
    _three_rows(engine)
    _drop_triggers(engine)
    with engine.begin() as conn:
        conn.execute(delete(AuditLogRow).where(AuditLogRow.id == 2))
    with Session(engine) as session:
        problems = audit.verify_chain(session)
    assert len(problems) == 1
    assert problems[0].startswith("audit_log row 3: prev_hash does not link")


def test_row_rehashed_by_a_forger_breaks_the_link_to_the_next_row(engine: Engine) -> None:
    _three_rows(engine)
    _drop_triggers(engine)
    with Session(engine) as session:
        first = session.get(AuditLogRow, 1)
        assert first is not None
        forged = hashlib.sha256(b"forged").hexdigest()
        session.execute(
            update(AuditLogRow).where(AuditLogRow.id == 1).values(actor="someone else", hash=forged)
        )
        session.commit()
        problems = audit.verify_chain(session)
    assert [p.split(":")[0] for p in problems] == ["audit_log row 1", "audit_log row 2"]
    assert "hash does not match" in problems[0]
    assert f"expected {forged}" in problems[1]


def test_entries_filters(engine: Engine) -> None:
    _three_rows(engine)
    with Session(engine) as session:
        assert [e.id for e in audit.entries(session, entity="organisations")] == [1, 2]
        assert [e.id for e in audit.entries(session, entity="products", entity_id=12)] == [3]
        assert [e.id for e in audit.entries(session, actor_id=7)] == [2, 3]
        assert [e.id for e in audit.entries(session, limit=2)] == [1, 2]
        first_at = audit.entries(session)[0].at
        later = [e.id for e in audit.entries(session, since=first_at - timedelta(seconds=1))]
        assert later == [1, 2, 3]
        assert audit.entries(session, since=first_at + timedelta(days=1)) == []
        with pytest.raises(ValueError, match="between 1 and 1000; got 0"):
            audit.entries(session, limit=0)


def test_trigger_sql_for_both_dialects() -> None:
    sqlite = audit.install_triggers_sql("sqlite")
    postgres = audit.install_triggers_sql("postgresql")
    assert len(sqlite) == 2
    assert all("RAISE(ABORT, 'audit_log is append-only')" in s for s in sqlite)
    assert any("BEFORE UPDATE OR DELETE ON audit_log" in s for s in postgres)
    assert any("BEFORE TRUNCATE ON audit_log" in s for s in postgres)
    # No '%' and no ':name': the statements go through text() and Alembic unchanged.
    assert not any("%" in s or ":" in s for s in sqlite + postgres)
    with pytest.raises(ValueError, match="got 'mysql'"):
        audit.install_triggers_sql("mysql")


def test_canonical_json_has_sorted_keys_and_no_spaces(engine: Engine) -> None:
    with Session(engine) as session:
        audit.record(session, SYSTEM, "import", "organisations", None, {"z": [1, 2], "a": None})
        session.commit()
        (entry,) = audit.entries(session)
    assert entry.entity_id is None
    assert json.dumps(entry.changes, sort_keys=True) == '{"a": null, "z": [1, 2]}'


def test_concurrent_writers_keep_one_chain_on_postgresql(engine: Engine) -> None:
    """Without the advisory lock two transactions would read the same head and fork the chain."""
    if engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite serialises writers itself")
    from concurrent.futures import ThreadPoolExecutor

    def write(worker: int) -> None:
        for n in range(10):
            with Session(engine) as session:
                audit.record(session, SYSTEM, "create", "needs", worker * 100 + n, {"n": n})
                session.commit()

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(write, range(4)))
    with Session(engine) as session:
        rows = audit.entries(session, limit=1000)
        assert len(rows) == 40
        assert len({r.prev_hash for r in rows}) == 40
        assert audit.verify_chain(session) == []
