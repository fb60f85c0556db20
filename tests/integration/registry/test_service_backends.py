"""The registry's key scenarios on both backends (SQLite, and PostgreSQL when
``KARAVAN_TEST_POSTGRES_URL`` is set): migration, CRUD, workflow, search, concurrency, history,
change feed, append-only audit and integrity checks. Each test gets a fresh, empty database
(fixture ``registry_url`` of ``tests/conftest.py``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.exc import DatabaseError

from karavan.errors import ConflictError, RecordNotFoundError, StaleWriteError
from karavan.registry.actors import ANONYMOUS
from karavan.registry.migrations import include_object
from karavan.registry.schemas import OrganisationUpdate, RecordStatus
from karavan.registry.service import Registry, open_registry
from karavan.registry.store.base import Base
from tests.unit.registry.conftest import (
    ADMIN,
    REVIEWER,
    editor_of,
    need,
    organisation,
    product,
    project,
)


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    registry = open_registry(registry_url)
    yield registry
    registry.close()


def test_migration_matches_the_models_and_is_idempotent(
    registry: Registry, registry_url: str
) -> None:
    with registry.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object})
        assert compare_metadata(context, Base.metadata) == []
        if registry.engine.dialect.name == "postgresql":
            columns = connection.exec_driver_sql(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'search_vector' AND is_generated = 'ALWAYS' ORDER BY 1"
            ).scalars()
            assert list(columns) == ["needs", "organisations", "products", "projects"]
    registry.upgrade()  # a second upgrade is a no-op
    assert registry.check_integrity() == []


def test_crud_workflow_and_history(registry: Registry) -> None:
    editor = editor_of(1)
    org = registry.create(ADMIN, "organisations", organisation())
    prod = registry.create(editor, "products", product(org.id))
    registry.create(editor, "needs", need(org.id))
    registry.create(
        editor, "projects", project(participants=[{"organisation_id": 1, "role": "operator"}])
    )
    registry.submit(editor, "products", prod.id, 1)
    published = registry.approve(REVIEWER, "products", prod.id, 2)
    assert (published.status, published.version) == (RecordStatus.PUBLISHED, 3)
    assert registry.get(ANONYMOUS, "products", prod.id) == published
    with pytest.raises(RecordNotFoundError):
        registry.get(ANONYMOUS, "needs", 1)
    history = registry.history(ADMIN, "products", prod.id)
    assert [(h.version, h.action) for h in history] == [
        (1, "create"),
        (2, "submit"),
        (3, "approve"),
    ]
    assert history[2].changed_at.tzinfo is not None
    assert registry.check_integrity() == []


def test_search_in_russian_english_and_kazakh(registry: Registry) -> None:
    registry.create(
        ADMIN,
        "organisations",
        organisation(name_ru="Металлургический завод", name_kk="Қарағанды құбыр зауыты"),
    )
    registry.create(ADMIN, "products", product(1, text="Seamless steel pipes"))
    assert registry.list(ADMIN, "organisations", q="металлургия").total == 1
    assert registry.list(ADMIN, "organisations", q="заводы металлург").total == 1
    assert registry.list(ADMIN, "organisations", q="құбыр").total == 1
    assert registry.list(ADMIN, "organisations", q="нефть").total == 0
    assert registry.list(ADMIN, "products", q="pipe").total == 1
    assert registry.list(ADMIN, "products", q="pipe steel seam").total == 1
    assert registry.list(ADMIN, "products", q="pipe copper").total == 0


def test_filters_and_pagination(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    for code in ("730419", "720851", "730630"):
        registry.create(ADMIN, "products", product(1, hs_code=code))
    page = registry.list(ADMIN, "products", code_prefix="73", limit=1, offset=1)
    assert ([p.hs_code for p in page.items], page.total) == (["730630"], 2)
    assert registry.list(ADMIN, "organisations", country="KAZ", kind="enterprise").total == 1


def test_concurrent_writers_one_wins_the_other_is_stale(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def write(name: str) -> None:
        barrier.wait()
        try:
            registry.update(ADMIN, "organisations", org.id, OrganisationUpdate(name_en=name), 1)
            outcomes.append("ok")
        except StaleWriteError:
            outcomes.append("stale")

    threads = [threading.Thread(target=write, args=(f"W{i}",)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "stale"]
    got = registry.get(ADMIN, "organisations", org.id)
    assert got.version == 2
    assert got.name_en in {"W0", "W1"}
    assert len(registry.history(ADMIN, "organisations", org.id)) == 2
    assert registry.check_integrity() == []


def test_unique_identifier_conflict(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    with pytest.raises(ConflictError, match="already registered"):
        registry.create(ADMIN, "organisations", organisation(name_en="Copy"))


def test_change_feed(registry: Registry) -> None:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    registry.create(ADMIN, "organisations", organisation())
    registry.submit(ADMIN, "organisations", 1, 1)
    registry.approve(ADMIN, "organisations", 1, 2)
    feed = registry.changes_since(ADMIN, start)
    assert [(c.version, c.action) for c in feed] == [(1, "create"), (2, "submit"), (3, "approve")]
    assert [c.version for c in registry.changes_since(ANONYMOUS, start)] == [3]
    tail = registry.changes_since(ADMIN, feed[0].changed_at, after_cursor=feed[0].cursor)
    assert [c.version for c in tail] == [2, 3]


def test_audit_log_refuses_update_and_delete(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    for statement in ("UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), registry.engine.begin() as c:
            c.exec_driver_sql(statement)
    assert registry.check_integrity() == []
