"""Saved searches and notifications in the registry: owner-only access, audited writes,
idempotent notifications, forward-only cursors, and the table's uniqueness rule."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from karavan.errors import PermissionDeniedError, RecordNotFoundError, RecordValidationError
from karavan.registry import audit, saved_searches
from karavan.registry.actors import ANONYMOUS, SYSTEM, Actor, Role
from karavan.registry.migrations import alembic_config, include_object
from karavan.registry.service import Registry, open_registry
from karavan.registry.store.account_models import AuditLogRow, UserRow
from karavan.registry.store.base import Base
from karavan.registry.store.saved_models import NotificationRow, SavedSearchRow

QUERY = {"text": "seamless steel pipes for oil pipelines", "hs_code": "730419"}


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    """A migrated registry on each backend (SQLite; PostgreSQL when the test cluster runs)."""
    registry = open_registry(registry_url)
    yield registry
    registry.close()


def _user(session: Session, email: str, role: Role = Role.VIEWER) -> Actor:
    row = UserRow(email=email, display_name=email, password_hash="x", role=role.value)
    session.add(row)
    session.flush()
    return Actor(user_id=row.id, role=role, label=email)


@pytest.fixture
def people(registry: Registry) -> tuple[Actor, Actor, Actor]:
    """Two viewers (Alice, Bob) and an admin, as accounts in the registry."""
    with registry.session() as session:
        alice = _user(session, "alice@example.org")
        bob = _user(session, "bob@example.org")
        admin = _user(session, "root@example.org", Role.ADMIN)
    return alice, bob, admin


def _audit_actions(session: Session) -> list[tuple[str, str]]:
    return [(e.action, e.entity) for e in audit.entries(session)]


def test_create_list_get_and_audit(registry: Registry, people: tuple[Actor, Actor, Actor]) -> None:
    alice, bob, _ = people
    with registry.session() as session:
        first = saved_searches.create_saved_search(session, alice, "  Pipes  ", QUERY)
        saved_searches.create_saved_search(session, alice, "Cotton", {"text": "cotton yarn"})
        saved_searches.create_saved_search(session, bob, "Bob's", {"text": "wheat"})
    assert first.name == "Pipes"
    assert first.query == QUERY
    assert first.active is True
    assert first.last_cursor is None
    assert first.cursor_at == first.created_at
    with registry.read_session() as session:
        mine = saved_searches.list_saved_searches(session, alice)
        assert [s.name for s in mine] == ["Pipes", "Cotton"]
        assert saved_searches.get_saved_search(session, alice, first.id) == first
        assert _audit_actions(session).count(("create", "saved_searches")) == 3
        assert audit.verify_chain(session) == []


def test_only_the_owner_reads_changes_or_deletes(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, bob, admin = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
    with registry.session() as session:
        for intruder in (bob, admin):
            with pytest.raises(PermissionDeniedError, match="belongs to another user"):
                saved_searches.get_saved_search(session, intruder, search.id)
            with pytest.raises(PermissionDeniedError, match="belongs to another user"):
                saved_searches.update_saved_search(session, intruder, search.id, name="x")
            with pytest.raises(PermissionDeniedError, match="belongs to another user"):
                saved_searches.delete_saved_search(session, intruder, search.id)
        with pytest.raises(PermissionDeniedError, match="signed-in users"):
            saved_searches.create_saved_search(session, ANONYMOUS, "x", QUERY)
        with pytest.raises(PermissionDeniedError, match="signed-in users"):
            saved_searches.list_saved_searches(session, SYSTEM)
        with pytest.raises(RecordNotFoundError, match="no saved search with id 999"):
            saved_searches.get_saved_search(session, alice, 999)
        assert saved_searches.list_saved_searches(session, bob) == []


def test_names_and_queries_are_checked(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, _, _ = people
    with registry.session() as session:
        with pytest.raises(RecordValidationError, match="1 to 200 characters; got 0"):
            saved_searches.create_saved_search(session, alice, "   ", QUERY)
        with pytest.raises(RecordValidationError, match="non-empty JSON object"):
            saved_searches.create_saved_search(session, alice, "x", {})
        with pytest.raises(RecordValidationError, match="at most 16384 bytes"):
            saved_searches.create_saved_search(session, alice, "x", {"text": "a" * 17_000})
        with pytest.raises(RecordValidationError, match="plain JSON"):
            saved_searches.create_saved_search(session, alice, "x", {"text": {1, 2}})


def test_update_changes_fields_and_restarts_the_cursor(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, _, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        moved = saved_searches.advance_cursor(
            session, SYSTEM, search.id, search.cursor_at + timedelta(seconds=5), 42
        )
        assert moved.last_cursor == 42
        renamed = saved_searches.update_saved_search(session, alice, search.id, name="Tubes")
        assert (renamed.name, renamed.last_cursor) == ("Tubes", 42)  # a rename keeps the cursor
        paused = saved_searches.update_saved_search(session, alice, search.id, active=False)
        assert paused.active is False
        assert paused.last_cursor == 42
        resumed = saved_searches.update_saved_search(session, alice, search.id, active=True)
        assert resumed.active is True
        assert resumed.last_cursor is None  # a resumed search watches from now on
        again = saved_searches.update_saved_search(session, alice, search.id, name="Tubes")
        assert again == resumed
        actions = _audit_actions(session)
    # create, advance_cursor, 3 real updates; the no-op update wrote nothing
    assert actions.count(("update", "saved_searches")) == 3
    assert actions.count(("advance_cursor", "saved_searches")) == 1


def test_notifications_are_idempotent_and_owner_only(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, bob, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        evidence = {"reasons": ["hs_code 730419 equals the query's"]}
        first = saved_searches.add_notification(
            session, SYSTEM, search.id, "products", 7, 0.91, evidence
        )
        second = saved_searches.add_notification(
            session, SYSTEM, search.id, "products", 7, 0.95, evidence
        )
        other = saved_searches.add_notification(
            session, SYSTEM, search.id, "organisations", 7, 0.5, {}
        )
    assert first is not None
    assert (first.user_id, first.entity, first.record_id, first.score) == (
        alice.user_id,
        "products",
        7,
        0.91,
    )
    assert first.evidence == evidence
    assert second is None
    assert other is not None
    with registry.session() as session:
        feed = saved_searches.list_notifications(session, alice)
        assert [(n.entity, n.record_id) for n in feed] == [("organisations", 7), ("products", 7)]
        assert saved_searches.unread_count(session, alice) == 2
        assert saved_searches.list_notifications(session, bob) == []
        with pytest.raises(PermissionDeniedError, match="belongs to another user"):
            saved_searches.mark_read(session, bob, first.id)
        read = saved_searches.mark_read(session, alice, first.id)
        assert read.read_at is not None
        assert saved_searches.mark_read(session, alice, first.id).read_at == read.read_at
        unread = saved_searches.list_notifications(session, alice, unread_only=True)
        assert [n.id for n in unread] == [other.id]
        assert saved_searches.mark_all_read(session, alice) == 1
        assert saved_searches.mark_all_read(session, alice) == 0
        assert saved_searches.unread_count(session, alice) == 0
        actions = _audit_actions(session)
    assert actions.count(("notify", "notifications")) == 2
    assert actions.count(("mark_read", "notifications")) == 1
    assert actions.count(("mark_all_read", "notifications")) == 1


def test_feed_pages_newest_first(registry: Registry, people: tuple[Actor, Actor, Actor]) -> None:
    alice, _, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        for record_id in range(1, 6):
            saved_searches.add_notification(
                session, SYSTEM, search.id, "products", record_id, 0.5, {}
            )
        page1 = saved_searches.list_notifications(session, alice, limit=2)
        page2 = saved_searches.list_notifications(session, alice, limit=2, before_id=page1[-1].id)
        with pytest.raises(RecordValidationError, match=r"limit must be 1\.\.500; got 0"):
            saved_searches.list_notifications(session, alice, limit=0)
    assert [n.record_id for n in page1] == [5, 4]
    assert [n.record_id for n in page2] == [3, 2]


def test_notifier_functions_need_the_system_or_an_admin(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, bob, admin = people
    with registry.session() as session:
        mine = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        paused = saved_searches.create_saved_search(session, bob, "Off", QUERY, active=False)
        with pytest.raises(PermissionDeniedError, match="only the system or an admin"):
            saved_searches.active_saved_searches(session, alice)
        with pytest.raises(PermissionDeniedError, match="only the system or an admin"):
            saved_searches.add_notification(session, alice, mine.id, "products", 1, 1.0, {})
        with pytest.raises(PermissionDeniedError, match="only the system or an admin"):
            saved_searches.advance_cursor(session, bob, mine.id, mine.cursor_at, 1)
        assert [s.id for s in saved_searches.active_saved_searches(session, admin)] == [mine.id]
        assert paused.id not in [
            s.id for s in saved_searches.active_saved_searches(session, SYSTEM)
        ]
        with pytest.raises(RecordValidationError, match="entity must be one of"):
            saved_searches.add_notification(session, SYSTEM, mine.id, "users", 1, 1.0, {})
        # a deactivated user's searches are not scored
        session.get_one(UserRow, alice.user_id).is_active = False
        session.flush()
        assert saved_searches.active_saved_searches(session, SYSTEM) == []


def test_cursor_moves_forward_only(registry: Registry, people: tuple[Actor, Actor, Actor]) -> None:
    alice, _, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        later = search.cursor_at + timedelta(minutes=1)
        assert (
            saved_searches.advance_cursor(session, SYSTEM, search.id, later, 10).last_cursor == 10
        )
        back = saved_searches.advance_cursor(session, SYSTEM, search.id, search.cursor_at, 99)
        assert (back.cursor_at, back.last_cursor) == (later, 10)
        same_time = saved_searches.advance_cursor(session, SYSTEM, search.id, later, 11)
        assert same_time.last_cursor == 11
        with pytest.raises(RecordValidationError, match="timezone-aware"):
            saved_searches.advance_cursor(
                session, SYSTEM, search.id, later.replace(tzinfo=None), 12
            )
        assert _audit_actions(session).count(("advance_cursor", "saved_searches")) == 2


def test_delete_removes_the_search_and_its_notifications(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, _, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        keep = saved_searches.create_saved_search(session, alice, "Keep", QUERY)
        saved_searches.add_notification(session, SYSTEM, search.id, "products", 1, 1.0, {})
        saved_searches.add_notification(session, SYSTEM, keep.id, "products", 1, 1.0, {})
    with registry.session() as session:
        saved_searches.delete_saved_search(session, alice, search.id)
    with registry.read_session() as session:
        assert session.scalar(select(func.count()).select_from(SavedSearchRow)) == 1
        remaining = session.scalars(select(NotificationRow.saved_search_id)).all()
        assert remaining == [keep.id]
        last = session.scalars(select(AuditLogRow).order_by(AuditLogRow.id.desc())).first()
        assert last is not None
        assert (last.action, last.entity, last.entity_id) == ("delete", "saved_searches", search.id)
    assert registry.check_integrity() == []


def test_the_table_refuses_a_duplicate_notification(
    registry: Registry, people: tuple[Actor, Actor, Actor]
) -> None:
    alice, _, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
    row: dict[str, Any] = {
        "user_id": alice.user_id,
        "saved_search_id": search.id,
        "entity": "products",
        "record_id": 3,
        "score": 1.0,
        "evidence": {},
    }
    with registry.read_session() as session:
        session.add(NotificationRow(**row))
        session.flush()
        session.add(NotificationRow(**row))
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()


def test_the_migration_creates_the_tables_as_modelled(registry: Registry) -> None:
    with registry.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
        tables = set(inspect(connection).get_table_names())
        version = connection.exec_driver_sql("SELECT version_num FROM alembic_version").all()
    assert diff == []
    assert {"saved_searches", "notifications"} <= tables
    scripts = ScriptDirectory.from_config(alembic_config())
    assert version == [(scripts.get_current_head(),)]
    assert scripts.get_revision("0002").down_revision == "0001"


def test_a_lost_race_is_answered_with_none_and_the_transaction_goes_on(
    registry: Registry, people: tuple[Actor, Actor, Actor], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two notifiers that both found no notification yet: the unique key stops the second,
    inside a savepoint, so the rest of its transaction still commits."""
    alice, _, _ = people
    with registry.session() as session:
        search = saved_searches.create_saved_search(session, alice, "Pipes", QUERY)
        saved_searches.add_notification(session, SYSTEM, search.id, "products", 1, 1.0, {})
    with registry.session() as session:
        with monkeypatch.context() as patched:
            patched.setattr(session, "scalar", lambda *args, **kwargs: None)  # sees no row
            lost = saved_searches.add_notification(
                session, SYSTEM, search.id, "products", 1, 2.0, {}
            )
        assert lost is None
        other = saved_searches.add_notification(session, SYSTEM, search.id, "products", 2, 1.0, {})
        assert other is not None
    with registry.read_session() as session:
        assert [
            (n.record_id, n.score) for n in saved_searches.list_notifications(session, alice)
        ] == [
            (2, 1.0),
            (1, 1.0),
        ]
        assert audit.verify_chain(session) == []
