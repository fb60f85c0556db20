"""The registry service: CRUD, review workflow, history and change feed over the four entities.

``Registry`` is the one entry point the web layer, the CLI, the bulk importer and the seed loader
use. It is generic over the entities (``organisations``, ``products``, ``needs``, ``projects``):
one table of specs (:data:`karavan.registry.entities.SPECS`) says which ORM class, which schemas
and how the owner is found, so create / get / update / list / workflow are written once.

Every call takes the :class:`~karavan.registry.actors.Actor` first; permissions are the pure
rules of :mod:`karavan.registry.permissions`. A record the actor may not see is reported as
:class:`~karavan.errors.RecordNotFoundError`, so existence does not leak. Every write bumps
``version``, appends the full new state to ``record_history`` and one audit row
(:func:`karavan.registry.audit.record`), all in the same transaction.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar, cast

from pydantic import BaseModel, ValidationError
from sqlalchemy import Engine, func, or_, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from karavan.errors import (
    ConflictError,
    RecordNotFoundError,
    RecordValidationError,
    StaleWriteError,
)
from karavan.registry import accounts, audit
from karavan.registry.actors import Actor, Role
from karavan.registry.entities import EntitySpec, check_references, owner_for_new, spec_for
from karavan.registry.filters import list_filters, visibility
from karavan.registry.integrity import integrity_problems
from karavan.registry.migrations import upgrade_to_head
from karavan.registry.permissions import Action, authorize, can_read
from karavan.registry.schemas import (
    ChangeEntry,
    HistoryEntry,
    NeedPublic,
    OrganisationPublic,
    Page,
    ProductPublic,
    ProjectPublic,
    RecordStatus,
)
from karavan.registry.store.base import utcnow
from karavan.registry.store.engine import make_engine
from karavan.registry.store.models import (
    ProjectRow,
    RecordHistoryRow,
)

__all__ = ["MAX_COUNT", "MAX_PAGE", "PublicRecord", "Registry", "open_registry"]

PublicRecord = OrganisationPublic | ProductPublic | NeedPublic | ProjectPublic
"""What the service returns for one record (the entity's ``XPublic``)."""

MAX_PAGE = 500
"""Largest ``limit`` of :meth:`Registry.list`."""
MAX_COUNT = 10_000
""":meth:`Registry.list` counts matches up to this many (or ``offset + limit``, if larger) and
then stops: an exact count of a broad search ('завод': 611,000 of a million organisations) took
0.4 s on SQLite and 3 s on PostgreSQL, against under 70 ms for the page itself (BENCHMARKS.md,
"Registry (issue 6)"); past the bound ``Page.total`` is a lower bound and ``total_exact`` false."""
MAX_CHANGES = 10_000
"""Largest ``limit`` of :meth:`Registry.changes_since`."""
MAX_NOTE = 5000

_H = TypeVar("_H", bound=HistoryEntry)

MIGRATION_LOCK_KEY = 0x6B617261766D67  # serialises concurrent upgrades on PostgreSQL

_TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "submit": (frozenset({"draft", "rejected"}), "submitted"),
    "approve": (frozenset({"submitted"}), "published"),
    "reject": (frozenset({"submitted"}), "rejected"),
}
"""Workflow action -> (statuses it may start from, status it leads to)."""


def _payload(expected: type[BaseModel], payload: BaseModel, entity: str) -> BaseModel:
    if not isinstance(payload, expected):
        raise RecordValidationError(
            f"{entity} expects a {expected.__name__} payload; got {type(payload).__name__}",
            field="payload",
            value=type(payload).__name__,
        )
    return payload


def _validated(schema: type[BaseModel], data: dict[str, Any], entity: str) -> BaseModel:
    """``data`` validated as ``schema``; a failure becomes RecordValidationError naming the
    first field at fault (an update can break a rule that spans fields)."""
    try:
        return schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or None
        raise RecordValidationError(
            f"{entity}: {first['msg']} (field {field or '<record>'})",
            field=field,
            value=first.get("input"),
        ) from exc


def _diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """``{field: [old, new]}`` for the fields that changed (server timestamps left out)."""
    skip = {"version", "updated_at", "updated_by"}
    return {
        key: [before.get(key), value]
        for key, value in after.items()
        if key not in skip and before.get(key) != value
    }


class Registry:
    """The registry over one database (SQLite or PostgreSQL), given as a SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._dialect = engine.dialect.name

    # --- plumbing ------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision (runs the packaged migrations).

        The whole upgrade is one transaction, holding a lock (SQLite ``BEGIN IMMEDIATE``,
        a PostgreSQL advisory lock) so that two processes starting at once upgrade in turn.
        """
        with self.engine.connect() as connection:
            if self._dialect == "sqlite":
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            elif self._dialect == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
                )
            upgrade_to_head(connection)
            connection.commit()

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session in one write transaction: committed when the block ends, rolled back on
        error. For the bulk importer and the accounts module, which write several rows
        atomically (see :meth:`create_in`).

        On SQLite the transaction starts with ``BEGIN IMMEDIATE`` (writers queue for the lock
        up front instead of failing when a read transaction tries to become a write one).
        A concurrent write detected at flush becomes StaleWriteError; a unique value taken,
        ConflictError.
        """
        with self._sessions() as session:
            try:
                if self._dialect == "sqlite":
                    session.execute(text("BEGIN IMMEDIATE"))
                yield session
                session.commit()
            except StaleDataError as exc:
                session.rollback()
                raise StaleWriteError(
                    f"a record changed while this write was in progress: {exc}"
                ) from exc
            except IntegrityError as exc:
                session.rollback()
                raise ConflictError(
                    f"the write breaks a uniqueness or reference rule of the database: {exc.orig}"
                ) from exc
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: it takes no write lock and is rolled back at the end
        (audit log listings, account look-ups that write nothing)."""
        with self._sessions() as session:
            yield session

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()

    def check_integrity(self) -> list[str]:
        """Problems found in the database (empty when sound).

        SQLite: ``PRAGMA integrity_check``, ``PRAGMA foreign_key_check`` and the FTS5 indexes'
        ``integrity-check``. Both backends: every record has the history row of its current
        version, and the audit chain verifies (:func:`karavan.registry.audit.verify_chain`).
        """
        with self._sessions() as session:
            return integrity_problems(session, self._dialect)

    # --- records -------------------------------------------------------------------------------

    def create(self, actor: Actor, entity: str, payload: BaseModel) -> PublicRecord:
        """Store a new record (``payload`` is the entity's ``XCreate``) as ``draft``, version 1.

        An editor's projects belong to the editor's organisation; an editor without an
        organisation who creates one is bound to it. Raises PermissionDeniedError,
        RecordValidationError (bad reference, wrong payload type), ConflictError (identifier
        taken).
        """
        with self.session() as session:
            return self.create_in(session, actor, entity, payload)

    def create_in(
        self, session: Session, actor: Actor, entity: str, payload: BaseModel
    ) -> PublicRecord:
        """:meth:`create` inside the caller's transaction (bulk import, seed loading)."""
        spec = spec_for(entity)
        model = _payload(spec.create_schema, payload, entity)
        owner = owner_for_new(spec, model, actor)
        authorize(actor, "create", entity, owner)
        check_references(session, spec, model, None)
        now = utcnow()
        row = spec.row()
        spec.apply(session, row, model)
        row.status = RecordStatus.DRAFT.value
        row.created_at = row.updated_at = now
        row.created_by = row.updated_by = actor.user_id
        if isinstance(row, ProjectRow):
            row.owner_organisation_id = owner
        session.add(row)
        session.flush()
        if entity == "organisations" and actor.role is Role.EDITOR and actor.user_id is not None:
            accounts.set_organisation(session, actor, actor.user_id, row.id)
        public = self._public(spec, row)
        content = spec.create_schema.model_validate(spec.content(row)).model_dump(mode="json")
        self._record(session, actor, spec, row, "create", public, content, now)
        return public

    def get(self, actor: Actor, entity: str, record_id: int) -> PublicRecord:
        """The record, if the actor may see it; RecordNotFoundError otherwise."""
        spec = spec_for(entity)
        with self.read_session() as session:
            return self._public(spec, self._visible_row(session, actor, spec, record_id))

    def update(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        payload: BaseModel,
        expected_version: int,
    ) -> PublicRecord:
        """Change the fields set in ``payload`` (the entity's ``XUpdate``); the merged record
        is validated as a whole (``XCreate``'s rules).

        Raises StaleWriteError when the stored version is not ``expected_version``. An editor's
        write to a published record puts it back to ``draft``.
        """
        spec = spec_for(entity)
        patch = _payload(spec.update_schema, payload, entity)
        with self.session() as session:
            row = self._visible_row(session, actor, spec, record_id, for_update=True)
            owner = spec.owner_of(row)
            authorize(actor, "update", entity, owner, row.status)
            self._check_version(spec, row, expected_version)
            before = self._public(spec, row).model_dump(mode="json")
            merged = {**spec.content(row), **patch.model_dump(exclude_unset=True)}
            model = _validated(spec.create_schema, merged, entity)
            if entity in ("products", "needs"):
                new_owner = int(cast(Any, model).organisation_id)
                if new_owner != owner:
                    authorize(actor, "update", entity, new_owner, row.status)
            check_references(session, spec, model, record_id)
            spec.apply(session, row, model)
            if actor.role is Role.EDITOR and row.status == RecordStatus.PUBLISHED.value:
                row.status = RecordStatus.DRAFT.value
            now = utcnow()
            row.updated_at = now
            row.updated_by = actor.user_id
            session.flush()
            public = self._public(spec, row)
            changes = _diff(before, public.model_dump(mode="json"))
            self._record(session, actor, spec, row, "update", public, changes, now)
            return public

    def list(
        self,
        actor: Actor,
        entity: str,
        *,
        kind: str | None = None,
        country: str | None = None,
        code_prefix: str | None = None,
        q: str | None = None,
        status: RecordStatus | str | None = None,
        organisation_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> Page[Any]:
        """Records the actor may see, filtered, ordered by id, one page of them.

        ``kind`` (organisations), ``country`` (organisations; projects: one of ``countries``),
        ``code_prefix`` (products/needs: HS code or ISIC code starts with it; projects: a sector
        starts with it), ``q`` (full-text: every query term matches as a prefix of a stemmed
        token), ``status``, ``organisation_id`` (products/needs: the owner; projects: owner or
        participant; organisations: residents of that park). ``limit`` is 1..500. A filter
        that does not apply to the entity is a RecordValidationError.

        ``total`` counts matches only up to ``max(MAX_COUNT, offset + limit)``; beyond that it
        is that bound plus one and ``total_exact`` is false (see :class:`Page`).
        """
        spec = spec_for(entity)
        if not 1 <= limit <= MAX_PAGE:
            raise RecordValidationError(
                f"limit must be 1..{MAX_PAGE}; got {limit}", field="limit", value=limit
            )
        if offset < 0:
            raise RecordValidationError(
                f"offset must be >= 0; got {offset}", field="offset", value=offset
            )
        row = spec.row
        where = list_filters(
            actor,
            spec,
            self._dialect,
            kind=kind,
            country=country,
            code_prefix=code_prefix,
            q=q,
            status=status,
            organisation_id=organisation_id,
        )
        query = select(row).where(*where)
        bound = max(MAX_COUNT, offset + limit)
        counted = select(row.id).where(*where).limit(bound + 1).subquery()
        with self.read_session() as session:
            total = session.scalar(select(func.count()).select_from(counted)) or 0
            rows = session.scalars(
                query.order_by(row.id)
                .limit(limit)
                .offset(offset)
                .options(*(selectinload(getattr(row, name)) for name in spec.eager))
            ).all()
            items = [self._public(spec, found) for found in rows]
        return Page(
            items=items, total=total, limit=limit, offset=offset, total_exact=total <= bound
        )

    # --- workflow ------------------------------------------------------------------------------

    def submit(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        expected_version: int,
        note: str | None = None,
    ) -> PublicRecord:
        """``draft | rejected`` -> ``submitted`` (owner's editor or admin); a ``note`` for the
        reviewer replaces ``review_note`` when given."""
        return self._transition(actor, "submit", entity, record_id, expected_version, note)

    def approve(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        expected_version: int,
        note: str | None = None,
    ) -> PublicRecord:
        """``submitted`` -> ``published`` (reviewer or admin); ``review_note`` becomes ``note``."""
        return self._transition(actor, "approve", entity, record_id, expected_version, note)

    def reject(
        self,
        actor: Actor,
        entity: str,
        record_id: int,
        expected_version: int,
        note: str | None = None,
    ) -> PublicRecord:
        """``submitted`` -> ``rejected`` (reviewer or admin); ``note`` (why) is required."""
        return self._transition(actor, "reject", entity, record_id, expected_version, note)

    def _transition(
        self,
        actor: Actor,
        action: Action,
        entity: str,
        record_id: int,
        expected_version: int,
        note: str | None,
    ) -> PublicRecord:
        spec = spec_for(entity)
        note = note.strip() if note is not None else None
        if action == "reject" and not note:
            raise RecordValidationError(
                f"rejecting {entity} {record_id} needs a note saying why; got none",
                field="note",
                value=note,
            )
        if note is not None and len(note) > MAX_NOTE:
            raise RecordValidationError(
                f"note must be at most {MAX_NOTE} characters; got {len(note)}",
                field="note",
                value=note[:100],
            )
        sources, target = _TRANSITIONS[action]
        with self.session() as session:
            row = self._visible_row(session, actor, spec, record_id, for_update=True)
            authorize(actor, action, entity, spec.owner_of(row), row.status)
            self._check_version(spec, row, expected_version)
            if row.status not in sources:
                raise ConflictError(
                    f"cannot {action} {entity} {record_id}: it is {row.status!r}; "
                    f"{action} needs one of {sorted(sources)}"
                )
            old_status = row.status
            row.status = target
            if note is not None or action == "approve":
                row.review_note = note or None
            now = utcnow()
            row.updated_at = now
            row.updated_by = actor.user_id
            session.flush()
            public = self._public(spec, row)
            changes = {"status": [old_status, target], "note": note}
            self._record(session, actor, spec, row, action, public, changes, now)
            return public

    # --- history -------------------------------------------------------------------------------

    def history(self, actor: Actor, entity: str, record_id: int) -> builtins.list[HistoryEntry]:
        """Every version of a record the actor may see, oldest first (the public sees the
        published versions only)."""
        spec = spec_for(entity)
        with self.read_session() as session:
            self._visible_row(session, actor, spec, record_id)
            query = (
                select(RecordHistoryRow)
                .where(RecordHistoryRow.entity == entity, RecordHistoryRow.entity_id == record_id)
                .order_by(RecordHistoryRow.version)
            )
            visible = visibility(
                actor, RecordHistoryRow.owner_organisation_id, RecordHistoryRow.status
            )
            if visible is not None:
                query = query.where(visible)
            return [_history_entry(HistoryEntry, row) for row in session.scalars(query)]

    def changes_since(
        self,
        actor: Actor,
        since: datetime,
        entity: str | None = None,
        limit: int = 1000,
        *,
        after_cursor: int | None = None,
    ) -> builtins.list[ChangeEntry]:
        """History rows with ``changed_at > since`` (or ``== since`` and cursor >
        ``after_cursor``), in (changed_at, cursor) order, at most ``limit`` (1..10000).

        To sync, pass back the last entry's ``changed_at`` and ``cursor``. The public and
        viewers see versions in status ``published``; editors also their organisation's;
        reviewers and admins all. ``since`` must be timezone-aware.
        """
        if since.tzinfo is None:
            raise RecordValidationError(
                f"since must be timezone-aware (UTC); got naive {since.isoformat()}",
                field="since",
                value=since.isoformat(),
            )
        if not 1 <= limit <= MAX_CHANGES:
            raise RecordValidationError(
                f"limit must be 1..{MAX_CHANGES}; got {limit}", field="limit", value=limit
            )
        after = RecordHistoryRow.changed_at > since
        if after_cursor is not None:
            after = or_(
                after,
                (RecordHistoryRow.changed_at == since) & (RecordHistoryRow.id > after_cursor),
            )
        query = select(RecordHistoryRow).where(after)
        if entity is not None:
            query = query.where(RecordHistoryRow.entity == spec_for(entity).name)
        visible = visibility(actor, RecordHistoryRow.owner_organisation_id, RecordHistoryRow.status)
        if visible is not None:
            query = query.where(visible)
        query = query.order_by(RecordHistoryRow.changed_at, RecordHistoryRow.id).limit(limit)
        with self.read_session() as session:
            return [_history_entry(ChangeEntry, row) for row in session.scalars(query)]

    # --- internals -----------------------------------------------------------------------------

    @staticmethod
    def _public(spec: EntitySpec, row: Any) -> PublicRecord:
        return cast(PublicRecord, spec.public(row))

    @staticmethod
    def _visible_row(
        session: Session,
        actor: Actor,
        spec: EntitySpec,
        record_id: int,
        *,
        for_update: bool = False,
    ) -> Any:
        row = session.get(spec.row, record_id, with_for_update=for_update)
        if row is None or not can_read(actor, spec.owner_of(row), row.status):
            raise RecordNotFoundError(f"no {spec.name} record with id {record_id}")
        return row

    @staticmethod
    def _check_version(spec: EntitySpec, row: Any, expected_version: int) -> None:
        if row.version != expected_version:
            raise StaleWriteError(
                f"{spec.name} {row.id} is at version {row.version}; the write expected version "
                f"{expected_version} (someone else wrote in between: read it again)"
            )

    @staticmethod
    def _record(
        session: Session,
        actor: Actor,
        spec: EntitySpec,
        row: Any,
        action: str,
        public: BaseModel,
        changes: dict[str, Any],
        now: datetime,
    ) -> None:
        """Append the new state to ``record_history`` and one row to the audit log."""
        session.add(
            RecordHistoryRow(
                entity=spec.name,
                entity_id=row.id,
                version=row.version,
                action=action,
                status=row.status,
                owner_organisation_id=spec.owner_of(row),
                data=public.model_dump(mode="json"),
                changed_at=now,
                changed_by=actor.user_id,
            )
        )
        audit.record(session, actor, action, spec.name, row.id, {"version": row.version, **changes})


def _history_entry(schema: type[_H], row: RecordHistoryRow) -> _H:
    return schema.model_validate(
        {
            "entity": row.entity,
            "entity_id": row.entity_id,
            "version": row.version,
            "action": row.action,
            "status": row.status,
            "data": row.data,
            "changed_at": row.changed_at,
            "changed_by": row.changed_by,
            "cursor": row.id,
        }
    )


def open_registry(url: str, *, upgrade: bool = True) -> Registry:
    """A :class:`Registry` on ``url`` (``sqlite:///path`` or ``postgresql://...``), with its
    schema upgraded to the newest revision unless ``upgrade=False``."""
    registry = Registry(make_engine(url))
    if upgrade:
        registry.upgrade()
    return registry
