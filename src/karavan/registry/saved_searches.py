"""Saved searches and their notifications: "tell me when a newly published record matches".

A saved search is a user's standing query. Its ``query`` is JSON that the registry stores
without reading it: the matching layer (:mod:`karavan.matching.saved`) validates it as a
``NeedQuery`` before it reaches :func:`create_saved_search`, and the notifier
(:mod:`karavan.matching.notify`) scores newly published records against it and writes
notifications here. The registry keeps the change-feed position of each search
(``cursor_at``, ``last_cursor``: the ``changed_at`` and ``cursor`` of the last change already
scored), so a record is scored once per search; a notification is unique per
(saved search, entity, record), so re-running the notifier over the same changes writes nothing.

Every function takes a SQLAlchemy :class:`~sqlalchemy.orm.Session` whose transaction the
caller owns (nothing here commits), like :mod:`karavan.registry.accounts`, and returns frozen
dataclasses, never ORM rows. Every write appends an audit row (:func:`karavan.registry.audit.
record`) in the same transaction.

Access: a saved search and its notifications are its owner's alone; anyone else, admins
included, gets :class:`~karavan.errors.PermissionDeniedError` (a private watch list is not an
administrative record). The notifier's functions (:func:`active_saved_searches`,
:func:`add_notification`, :func:`advance_cursor`) are for the system actor and admins only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from karavan.errors import PermissionDeniedError, RecordNotFoundError, RecordValidationError
from karavan.registry import audit
from karavan.registry.actors import Actor, Role
from karavan.registry.schemas import ENTITIES
from karavan.registry.store.account_models import UserRow
from karavan.registry.store.base import utcnow
from karavan.registry.store.saved_models import NotificationRow, SavedSearchRow

__all__ = [
    "MAX_NAME",
    "MAX_NOTIFICATIONS_PAGE",
    "MAX_QUERY_BYTES",
    "MAX_SAVED_SEARCHES_PER_USER",
    "NotificationInfo",
    "SavedSearchInfo",
    "active_saved_searches",
    "add_notification",
    "advance_cursor",
    "create_saved_search",
    "delete_saved_search",
    "get_saved_search",
    "list_notifications",
    "list_saved_searches",
    "mark_all_read",
    "mark_read",
    "notified_records",
    "unread_count",
    "update_saved_search",
]

MAX_NAME = 200
MAX_QUERY_BYTES = 16_384
"""Largest saved query, as compact JSON (a need's text is at most 5,000 characters)."""
MAX_SAVED_SEARCHES_PER_USER = 100
MAX_NOTIFICATIONS_PAGE = 500
MAX_EVIDENCE_BYTES = 65_536


@dataclass(frozen=True, slots=True)
class SavedSearchInfo:
    """A saved search as callers see it; ``query`` is the JSON the matching layer stored."""

    id: int
    user_id: int
    name: str
    query: dict[str, Any]
    created_at: datetime
    cursor_at: datetime
    last_cursor: int | None
    active: bool


@dataclass(frozen=True, slots=True)
class NotificationInfo:
    """One feed item: ``entity`` record ``record_id`` matched saved search ``saved_search_id``."""

    id: int
    user_id: int
    saved_search_id: int
    entity: str
    record_id: int
    score: float
    evidence: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


# --- conversions and checks -------------------------------------------------------------------


def _search_info(row: SavedSearchRow) -> SavedSearchInfo:
    return SavedSearchInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        query=dict(row.query),
        created_at=row.created_at,
        cursor_at=row.cursor_at,
        last_cursor=row.last_cursor,
        active=row.active,
    )


def _notification_info(row: NotificationRow) -> NotificationInfo:
    return NotificationInfo(
        id=row.id,
        user_id=row.user_id,
        saved_search_id=row.saved_search_id,
        entity=row.entity,
        record_id=row.record_id,
        score=row.score,
        evidence=dict(row.evidence),
        created_at=row.created_at,
        read_at=row.read_at,
    )


def _require_user(actor: Actor, what: str) -> int:
    """The actor's user id; anonymous callers and the system have no saved searches."""
    if actor.user_id is None:
        raise PermissionDeniedError(
            f"only signed-in users may {what}; actor {actor.label} has no user account"
        )
    return actor.user_id


def _require_notifier(actor: Actor, what: str) -> None:
    if not (actor.is_system or actor.role is Role.ADMIN):
        raise PermissionDeniedError(
            f"only the system or an admin may {what}; actor {actor.label} has role {actor.role}"
        )


def _owned_search(session: Session, actor: Actor, search_id: int, what: str) -> SavedSearchRow:
    user_id = _require_user(actor, what)
    row = session.get(SavedSearchRow, search_id)
    if row is None:
        raise RecordNotFoundError(f"no saved search with id {search_id}")
    if row.user_id != user_id:
        raise PermissionDeniedError(
            f"saved search {search_id} belongs to another user; actor {actor.label} may not {what}"
        )
    return row


def _checked_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME:
        raise RecordValidationError(
            f"saved search name must have 1 to {MAX_NAME} characters; got {len(name)}",
            field="name",
            value=name[:100],
        )
    return name


def _json_size(value: object, field: str, limit: int) -> int:
    """Compact JSON size of ``value`` in bytes; refuses values that are not JSON or too big."""
    try:
        size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    except (TypeError, ValueError) as exc:
        raise RecordValidationError(
            f"{field} must be plain JSON (objects, lists, strings, numbers); got {exc}",
            field=field,
        ) from exc
    if size > limit:
        raise RecordValidationError(
            f"{field} must be at most {limit} bytes of JSON; got {size}", field=field, value=size
        )
    return size


def _checked_query(query: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(query, dict) or not query:
        raise RecordValidationError(
            f"saved search query must be a non-empty JSON object; got {query!r:.100}",
            field="query",
        )
    _json_size(query, "query", MAX_QUERY_BYTES)
    return dict(query)


# --- the owner's side ---------------------------------------------------------------------------


def create_saved_search(
    session: Session,
    actor: Actor,
    name: str,
    query: dict[str, Any],
    *,
    active: bool = True,
) -> SavedSearchInfo:
    """Save ``query`` (already validated by the matching layer) for the signed-in actor.

    The search watches changes from now on: records published before it was saved are not
    notified (the user has seen them in the search results). At most
    :data:`MAX_SAVED_SEARCHES_PER_USER` per user.
    """
    user_id = _require_user(actor, "save searches")
    name = _checked_name(name)
    query = _checked_query(query)
    if session.get(UserRow, user_id) is None:
        raise RecordNotFoundError(f"no user with id {user_id} (actor {actor.label})")
    count = session.scalar(
        select(func.count()).select_from(SavedSearchRow).where(SavedSearchRow.user_id == user_id)
    )
    if (count or 0) >= MAX_SAVED_SEARCHES_PER_USER:
        raise RecordValidationError(
            f"a user may keep at most {MAX_SAVED_SEARCHES_PER_USER} saved searches; user "
            f"{user_id} has {count}: delete one first",
            field="name",
            value=name,
        )
    now = utcnow()
    row = SavedSearchRow(
        user_id=user_id,
        name=name,
        query=query,
        created_at=now,
        cursor_at=now,
        last_cursor=None,
        active=active,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "saved_searches",
        row.id,
        {"name": name, "query": query, "active": active},
    )
    return _search_info(row)


def get_saved_search(session: Session, actor: Actor, search_id: int) -> SavedSearchInfo:
    """The actor's own saved search (PermissionDeniedError for anyone else's)."""
    return _search_info(_owned_search(session, actor, search_id, "read this saved search"))


def list_saved_searches(session: Session, actor: Actor) -> list[SavedSearchInfo]:
    """The actor's saved searches, oldest first."""
    user_id = _require_user(actor, "list saved searches")
    rows = session.scalars(
        select(SavedSearchRow).where(SavedSearchRow.user_id == user_id).order_by(SavedSearchRow.id)
    )
    return [_search_info(row) for row in rows]


def update_saved_search(
    session: Session,
    actor: Actor,
    search_id: int,
    *,
    name: str | None = None,
    query: dict[str, Any] | None = None,
    active: bool | None = None,
) -> SavedSearchInfo:
    """Rename, change the query of, pause (``active=False``) or resume a saved search.

    A changed query or a resumed search watches from now on (its cursor moves to now), so
    records published meanwhile, or matching only the old query, are not notified late.
    """
    row = _owned_search(session, actor, search_id, "change this saved search")
    changes: dict[str, Any] = {}
    if name is not None:
        new_name = _checked_name(name)
        if new_name != row.name:
            changes["name"] = [row.name, new_name]
            row.name = new_name
    restart = False
    if query is not None:
        new_query = _checked_query(query)
        if new_query != row.query:
            changes["query"] = [row.query, new_query]
            row.query = new_query
            restart = True
    if active is not None and active != row.active:
        changes["active"] = [row.active, active]
        restart = restart or active
        row.active = active
    if restart:
        row.cursor_at = utcnow()
        row.last_cursor = None
    if changes:
        session.flush()
        audit.record(session, actor, "update", "saved_searches", row.id, changes)
    return _search_info(row)


def delete_saved_search(session: Session, actor: Actor, search_id: int) -> None:
    """Delete a saved search and its notifications."""
    row = _owned_search(session, actor, search_id, "delete this saved search")
    name = row.name
    session.execute(delete(NotificationRow).where(NotificationRow.saved_search_id == search_id))
    session.delete(row)
    session.flush()
    audit.record(session, actor, "delete", "saved_searches", search_id, {"name": name})


def list_notifications(
    session: Session,
    actor: Actor,
    *,
    unread_only: bool = False,
    saved_search_id: int | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> list[NotificationInfo]:
    """The actor's notification feed, newest first; page with ``before_id`` (the last id seen).

    ``saved_search_id`` narrows the feed to one of the actor's searches.
    """
    user_id = _require_user(actor, "read notifications")
    if not 1 <= limit <= MAX_NOTIFICATIONS_PAGE:
        raise RecordValidationError(
            f"limit must be 1..{MAX_NOTIFICATIONS_PAGE}; got {limit}", field="limit", value=limit
        )
    query = select(NotificationRow).where(NotificationRow.user_id == user_id)
    if saved_search_id is not None:
        _owned_search(session, actor, saved_search_id, "read this saved search's notifications")
        query = query.where(NotificationRow.saved_search_id == saved_search_id)
    if unread_only:
        query = query.where(NotificationRow.read_at.is_(None))
    if before_id is not None:
        query = query.where(NotificationRow.id < before_id)
    rows = session.scalars(query.order_by(NotificationRow.id.desc()).limit(limit))
    return [_notification_info(row) for row in rows]


def unread_count(session: Session, actor: Actor) -> int:
    """How many of the actor's notifications are unread (the badge in the web app)."""
    user_id = _require_user(actor, "read notifications")
    count = session.scalar(
        select(func.count())
        .select_from(NotificationRow)
        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
    )
    return int(count or 0)


def mark_read(session: Session, actor: Actor, notification_id: int) -> NotificationInfo:
    """Mark one of the actor's notifications read; marking it again is a no-op."""
    user_id = _require_user(actor, "mark notifications read")
    row = session.get(NotificationRow, notification_id)
    if row is None:
        raise RecordNotFoundError(f"no notification with id {notification_id}")
    if row.user_id != user_id:
        raise PermissionDeniedError(
            f"notification {notification_id} belongs to another user; actor {actor.label} may "
            "not mark it read"
        )
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "mark_read",
            "notifications",
            row.id,
            {"saved_search_id": row.saved_search_id},
        )
    return _notification_info(row)


def mark_all_read(session: Session, actor: Actor) -> int:
    """Mark all of the actor's unread notifications read; return how many changed."""
    user_id = _require_user(actor, "mark notifications read")
    result = session.execute(
        update(NotificationRow)
        .where(NotificationRow.user_id == user_id, NotificationRow.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        audit.record(session, actor, "mark_all_read", "notifications", None, {"count": changed})
    return changed


# --- the notifier's side ------------------------------------------------------------------------


def active_saved_searches(session: Session, actor: Actor) -> list[SavedSearchInfo]:
    """Every active saved search of an active user, by id (what the notifier scores)."""
    _require_notifier(actor, "read every saved search")
    rows = session.scalars(
        select(SavedSearchRow)
        .join(UserRow, UserRow.id == SavedSearchRow.user_id)
        .where(SavedSearchRow.active.is_(True), UserRow.is_active.is_(True))
        .order_by(SavedSearchRow.id)
    )
    return [_search_info(row) for row in rows]


def add_notification(
    session: Session,
    actor: Actor,
    saved_search_id: int,
    entity: str,
    record_id: int,
    score: float,
    evidence: dict[str, Any],
) -> NotificationInfo | None:
    """Notify the owner of ``saved_search_id`` that ``entity`` record ``record_id`` matched.

    Idempotent: returns ``None`` (and writes nothing) when this search was already notified
    of this record, also when a concurrent notifier wrote it first (the unique constraint
    decides, inside a savepoint, so the caller's transaction goes on).
    """
    _require_notifier(actor, "write notifications")
    if entity not in ENTITIES:
        raise RecordValidationError(
            f"entity must be one of {list(ENTITIES)}; got {entity!r}", field="entity", value=entity
        )
    if not isinstance(evidence, dict):
        raise RecordValidationError(
            f"evidence must be a JSON object; got {type(evidence).__name__}", field="evidence"
        )
    _json_size(evidence, "evidence", MAX_EVIDENCE_BYTES)
    search = session.get(SavedSearchRow, saved_search_id)
    if search is None:
        raise RecordNotFoundError(f"no saved search with id {saved_search_id}")
    existing = session.scalar(
        select(NotificationRow.id).where(
            NotificationRow.saved_search_id == saved_search_id,
            NotificationRow.entity == entity,
            NotificationRow.record_id == record_id,
        )
    )
    if existing is not None:
        return None
    row = NotificationRow(
        user_id=search.user_id,
        saved_search_id=saved_search_id,
        entity=entity,
        record_id=record_id,
        score=float(score),
        evidence=evidence,
        created_at=utcnow(),
        read_at=None,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    audit.record(
        session,
        actor,
        "notify",
        "notifications",
        row.id,
        {
            "user_id": search.user_id,
            "saved_search_id": saved_search_id,
            "entity": entity,
            "record_id": record_id,
            "score": round(float(score), 6),
        },
    )
    return _notification_info(row)


def notified_records(session: Session, actor: Actor, saved_search_id: int, entity: str) -> set[int]:
    """Ids of the ``entity`` records ``saved_search_id`` was already notified of (so the notifier
    can tell "this organisation was announced" before announcing one of its products)."""
    _require_notifier(actor, "read every notification")
    return set(
        session.scalars(
            select(NotificationRow.record_id).where(
                NotificationRow.saved_search_id == saved_search_id,
                NotificationRow.entity == entity,
            )
        )
    )


def advance_cursor(
    session: Session,
    actor: Actor,
    saved_search_id: int,
    cursor_at: datetime,
    last_cursor: int,
) -> SavedSearchInfo:
    """Record that the notifier scored the change feed up to (``cursor_at``, ``last_cursor``).

    The cursor only moves forward: a position at or before the stored one is ignored (two
    notifiers racing leave the further one). Audited only when it moves.
    """
    _require_notifier(actor, "move a saved search's cursor")
    if cursor_at.tzinfo is None:
        raise RecordValidationError(
            f"cursor_at must be timezone-aware (UTC); got naive {cursor_at.isoformat()}",
            field="cursor_at",
            value=cursor_at.isoformat(),
        )
    row = session.get(SavedSearchRow, saved_search_id)
    if row is None:
        raise RecordNotFoundError(f"no saved search with id {saved_search_id}")
    stored = (row.cursor_at, row.last_cursor if row.last_cursor is not None else -1)
    if (cursor_at, last_cursor) > stored:
        row.cursor_at = cursor_at
        row.last_cursor = last_cursor
        session.flush()
        audit.record(
            session,
            actor,
            "advance_cursor",
            "saved_searches",
            row.id,
            {"cursor_at": cursor_at, "last_cursor": last_cursor},
        )
    return _search_info(row)
