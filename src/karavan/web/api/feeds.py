"""The change feed, the audit log (admins) and the health check.

``GET /changes`` returns history rows after a point in time, oldest first, and a ``next_cursor``
to pass back for the next batch: a client syncs by calling it with ``since`` once and with
``cursor`` from then on. The cursor is opaque text (it encodes the last row's time and id).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel

from karavan.errors import RecordValidationError
from karavan.registry import ANONYMOUS, ChangeEntry, EntityName, audit
from karavan.web.api.records import MAX_ID
from karavan.web.errors import ApiError
from karavan.web.security import ActorDep, AdminDep, RegistryDep

__all__ = ["AuditEntryPublic", "ChangeFeed", "Health", "decode_cursor", "encode_cursor", "router"]

router = APIRouter()

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class ChangeFeed(BaseModel):
    """A batch of the change feed; pass ``next_cursor`` as ``cursor`` to continue."""

    items: list[ChangeEntry]
    next_cursor: str


class AuditEntryPublic(BaseModel):
    """One row of the append-only audit log, with its place in the hash chain."""

    id: int
    at: dt.datetime
    actor_id: int | None
    actor: str
    action: str
    entity: str
    entity_id: int | None
    changes: dict[str, Any]
    prev_hash: str
    hash: str


class Health(BaseModel):
    """The service is up and its database answers."""

    status: str
    database: str


def encode_cursor(at: dt.datetime, cursor: int) -> str:
    """The opaque cursor for "after the row ``cursor`` written at ``at``"."""
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{cursor}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """(time, row id) of a cursor from :func:`encode_cursor`; RecordValidationError if it
    was not made by it."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        at_text, _, row_id = base64.urlsafe_b64decode(padded).decode().partition("|")
        at = dt.datetime.fromisoformat(at_text)
        number = int(row_id)
        if at.tzinfo is None or not 0 <= number <= MAX_ID:
            raise ValueError(at_text)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise RecordValidationError(
            f"cursor must be a next_cursor returned by GET /changes; got {cursor[:60]!r}",
            field="cursor",
            value=cursor[:60],
        ) from exc
    return at, number


@router.get("/changes", response_model=ChangeFeed, tags=["changes"], summary="The change feed")
def changes(
    actor: ActorDep,
    registry: RegistryDep,
    since: Annotated[
        dt.datetime | None,
        Query(description="ISO 8601 time with a zone; rows written after it (default: all)"),
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=200, description="next_cursor of the previous batch")
    ] = None,
    entity: EntityName | None = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> ChangeFeed:
    if cursor is not None:
        start, after = decode_cursor(cursor)
        if since is not None:
            raise RecordValidationError(
                "give either since or cursor, not both", field="since", value=since.isoformat()
            )
        items = registry.changes_since(actor, start, entity, limit, after_cursor=after)
    else:
        start = since if since is not None else EPOCH
        after = 0
        items = registry.changes_since(actor, start, entity, limit)
    if items:
        last = items[-1]
        next_cursor = encode_cursor(last.changed_at, last.cursor)
    else:
        next_cursor = encode_cursor(start, after)
    return ChangeFeed(items=items, next_cursor=next_cursor)


@router.get(
    "/audit",
    response_model=list[AuditEntryPublic],
    tags=["audit"],
    summary="The audit log (admins only), oldest first",
)
def audit_log(
    actor: AdminDep,
    registry: RegistryDep,
    entity: Annotated[str | None, Query(max_length=50)] = None,
    entity_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    actor_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    since: Annotated[dt.datetime | None, Query(description="rows after this time")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[AuditEntryPublic]:
    if since is not None and since.tzinfo is None:
        raise RecordValidationError(
            f"since must carry a time zone; got {since.isoformat()}",
            field="since",
            value=since.isoformat(),
        )
    with registry.session() as session:
        rows = audit.entries(
            session,
            entity=entity,
            entity_id=entity_id,
            actor_id=actor_id,
            since=since,
            limit=limit,
        )
    return [
        AuditEntryPublic(
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
        for row in rows
    ]


@router.get("/health", response_model=Health, tags=["health"], summary="Database reachable?")
def health(registry: RegistryDep) -> Health:
    try:
        registry.list(ANONYMOUS, "organisations", limit=1)
    except Exception as exc:  # any failure to reach the database is "unavailable"
        raise ApiError(
            503,
            f"the database does not answer: {type(exc).__name__}",
            type_name="ServiceUnavailable",
        ) from exc
    return Health(status="ok", database="ok")
