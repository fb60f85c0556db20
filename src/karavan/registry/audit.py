"""Append-only audit log with a SHA-256 hash chain.

Every write to the registry appends one row with :func:`record`, in the caller's transaction,
so the entry commits or rolls back with the write it describes. Each row carries
``prev_hash`` (the ``hash`` of the row before it; 64 zeros for the first row) and

    hash = sha256(prev_hash + canonical_json(at, actor_id, actor, action, entity, entity_id,
                                             changes))

where canonical JSON has sorted keys, no spaces, and ``at`` as an ISO 8601 UTC timestamp with
microseconds. Editing, removing or reordering any row breaks the chain from there on, which
:func:`verify_chain` reports.

The database refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) on ``audit_log`` through the
triggers of :func:`install_triggers_sql`, which the initial migration runs.

Concurrency: on PostgreSQL, :func:`record` takes the transaction-level advisory lock
:data:`AUDIT_LOCK_KEY` before reading the latest row, so concurrent writers append one after
another (this needs READ COMMITTED, PostgreSQL's default: a REPEATABLE READ snapshot taken
before the lock would read a stale head). SQLite serialises writers itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from karavan.registry.actors import Actor
from karavan.registry.store.account_models import AuditLogRow
from karavan.registry.store.base import utcnow

__all__ = [
    "AUDIT_LOCK_KEY",
    "GENESIS_HASH",
    "AuditEntry",
    "entries",
    "install_triggers_sql",
    "record",
    "uninstall_triggers_sql",
    "verify_chain",
]

GENESIS_HASH = "0" * 64
"""``prev_hash`` of the first row of the chain."""

AUDIT_LOCK_KEY = 0x6B61726176616E  # "karavan" in ASCII, fits a signed 64-bit bigint
"""Key of the PostgreSQL advisory lock that serialises appends to the chain."""

APPEND_ONLY_MESSAGE = "audit_log is append-only"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit row as the API shows it."""

    id: int
    at: datetime
    actor_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: int | None
    changes: dict[str, Any]
    prev_hash: str
    hash: str


def _json_default(value: object) -> object:
    """Turn the non-JSON values a write may carry into JSON ones (datetimes as ISO text)."""
    if isinstance(value, datetime):
        return _iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value, key=repr) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(
        f"audit changes must be JSON values, datetimes, dates, decimals or enums; "
        f"got {type(value).__name__}: {value!r}"
    )


def _iso(at: datetime) -> str:
    """ISO 8601 in UTC with microseconds; a naive datetime is taken as UTC (SQLite)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _canonical_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """The changes exactly as they will be stored and read back (a JSON round trip)."""
    normalised = json.loads(json.dumps(changes, default=_json_default, sort_keys=True))
    if not isinstance(normalised, dict):
        raise TypeError(f"audit changes must be a dict; got {type(changes).__name__}")
    return normalised


def _row_hash(
    prev_hash: str,
    *,
    at: datetime,
    actor_id: int | None,
    actor: str,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
) -> str:
    """``sha256(prev_hash + canonical JSON of the row's fields)`` as 64 hex digits."""
    payload = json.dumps(
        {
            "at": _iso(at),
            "actor_id": actor_id,
            "actor": actor,
            "action": action,
            "entity": entity,
            "entity_id": entity_id,
            "changes": changes,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_json_default,
    )
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None,
    changes: dict[str, Any],
) -> None:
    """Append one audit row in the caller's transaction (flushed, not committed).

    ``changes`` is any JSON-able dict (datetimes, dates, decimals and enums are turned into
    text). Never pass secrets: record ids and names, not passwords or tokens.
    """
    if not action or not entity:
        raise ValueError(f"audit record needs an action and an entity; got {action!r}, {entity!r}")
    stored_changes = _canonical_changes(changes)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    prev_hash = session.scalar(select(AuditLogRow.hash).order_by(AuditLogRow.id.desc()).limit(1))
    prev = prev_hash if prev_hash is not None else GENESIS_HASH
    at = utcnow()
    row = AuditLogRow(
        at=at,
        actor_id=actor.user_id,
        actor=actor.label,
        action=action,
        entity=entity,
        entity_id=entity_id,
        changes=stored_changes,
        prev_hash=prev,
        hash=_row_hash(
            prev,
            at=at,
            actor_id=actor.user_id,
            actor=actor.label,
            action=action,
            entity=entity,
            entity_id=entity_id,
            changes=stored_changes,
        ),
    )
    session.add(row)
    # Flush now: the next record() in this transaction must see this row as the chain's head
    # even when the caller's session does not autoflush.
    session.flush()


def verify_chain(session: Session, *, batch_size: int = 1000) -> list[str]:
    """Recompute the whole chain in id order; return the problems found (empty when intact).

    Each problem names the row id, what was expected and what is stored.
    """
    problems: list[str] = []
    expected_prev = GENESIS_HASH
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditLogRow)
            .where(AuditLogRow.id > last_id)
            .order_by(AuditLogRow.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return problems
        for row in rows:
            if row.prev_hash != expected_prev:
                problems.append(
                    f"audit_log row {row.id}: prev_hash does not link to the row before it; "
                    f"expected {expected_prev}, stored {row.prev_hash}"
                )
            recomputed = _row_hash(
                row.prev_hash,
                at=row.at,
                actor_id=row.actor_id,
                actor=row.actor,
                action=row.action,
                entity=row.entity,
                entity_id=row.entity_id,
                changes=row.changes,
            )
            if recomputed != row.hash:
                problems.append(
                    f"audit_log row {row.id}: hash does not match the row's contents; "
                    f"recomputed {recomputed}, stored {row.hash}"
                )
            expected_prev = row.hash
            last_id = row.id


def entries(
    session: Session,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    actor_id: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """Audit rows matching every given filter, oldest first, at most ``limit`` (1..1000).

    ``since`` is exclusive (rows with ``at > since``) and must be timezone-aware.
    """
    if not 1 <= limit <= 1000:
        raise ValueError(f"limit must be between 1 and 1000; got {limit}")
    query = select(AuditLogRow).order_by(AuditLogRow.id).limit(limit)
    if entity is not None:
        query = query.where(AuditLogRow.entity == entity)
    if entity_id is not None:
        query = query.where(AuditLogRow.entity_id == entity_id)
    if actor_id is not None:
        query = query.where(AuditLogRow.actor_id == actor_id)
    if since is not None:
        query = query.where(AuditLogRow.at > since)
    return [
        AuditEntry(
            id=row.id,
            at=row.at,
            actor_id=row.actor_id,
            actor=row.actor,
            action=row.action,
            entity=row.entity,
            entity_id=row.entity_id,
            changes=row.changes,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )
        for row in session.scalars(query)
    ]


def install_triggers_sql(dialect_name: str) -> list[str]:
    """SQL statements that make ``audit_log`` append-only, for the dialect named.

    SQLite: ``BEFORE UPDATE`` and ``BEFORE DELETE`` triggers that ``RAISE(ABORT, ...)``.
    PostgreSQL: a plpgsql function raising an exception, run ``BEFORE UPDATE OR DELETE`` for
    each row and ``BEFORE TRUNCATE`` for the statement. The statements contain neither ``%``
    nor ``:name`` so they pass unchanged through ``text()`` and Alembic's ``op.execute``.
    """
    if dialect_name == "sqlite":
        return [
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
            "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END",
        ]
    if dialect_name == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION USING MESSAGE = '{APPEND_ONLY_MESSAGE} (' || TG_OP || ' refused)', "
            "ERRCODE = 'insufficient_privilege'; "
            "END; $$",
            "CREATE OR REPLACE TRIGGER audit_log_no_update_delete "
            "BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()",
            "CREATE OR REPLACE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()",
        ]
    raise ValueError(
        f"install_triggers_sql supports the dialects 'sqlite' and 'postgresql'; "
        f"got {dialect_name!r}"
    )


def uninstall_triggers_sql(dialect_name: str) -> list[str]:
    """SQL statements that remove what :func:`install_triggers_sql` created (for downgrades)."""
    if dialect_name == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS audit_log_no_update",
            "DROP TRIGGER IF EXISTS audit_log_no_delete",
        ]
    if dialect_name == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS audit_log_no_update_delete ON audit_log",
            "DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log",
            "DROP FUNCTION IF EXISTS audit_log_refuse_change()",
        ]
    raise ValueError(
        f"uninstall_triggers_sql supports the dialects 'sqlite' and 'postgresql'; "
        f"got {dialect_name!r}"
    )
