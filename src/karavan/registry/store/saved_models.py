"""ORM tables of saved searches and the notifications they produce (issue 7, item 4).

A saved search belongs to one user; its ``query`` is opaque JSON to the registry (the matching
layer validates it as a ``NeedQuery`` before it is stored, and reads it back the same way).
``cursor_at`` and ``last_cursor`` are the position in the registry's change feed
(:meth:`karavan.registry.service.Registry.changes_since`: ``changed_at`` and ``cursor`` of the
last change already scored), so each published record is scored against the search once.

A notification says "record ``entity``/``record_id`` matched saved search ``saved_search_id``
with this score and evidence". ``UNIQUE (saved_search_id, entity, record_id)`` makes notifying
idempotent: a record re-published after an edit, or a notifier run twice over the same changes,
never notifies the same search twice. Deleting a saved search deletes its notifications.

These rows never leave :mod:`karavan.registry`: :mod:`karavan.registry.saved_searches` turns
them into frozen dataclasses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from karavan.registry.store.account_models import UTCDateTime
from karavan.registry.store.base import Base, utcnow

__all__ = ["NotificationRow", "SavedSearchRow"]


class SavedSearchRow(Base):
    """A user's standing query: notify me when a newly published record matches it."""

    __tablename__ = "saved_searches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    query: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Change-feed position: (changed_at, cursor) of the last change already scored.
    cursor_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_cursor: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True, index=True)


class NotificationRow(Base):
    """One match of a newly published record against a saved search (an in-app feed item)."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("saved_search_id", "entity", "record_id"),
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    saved_search_id: Mapped[int] = mapped_column(
        ForeignKey("saved_searches.id", ondelete="CASCADE"), index=True
    )
    entity: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    evidence: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
