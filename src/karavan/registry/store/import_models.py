"""ORM table of acknowledged bulk-import batches (:mod:`karavan.registry.bulk`).

One row per batch that committed: the entity, the SHA-256 of ``entity + file bytes`` (the
batch key), the uploaded file's name, how many records it created and their ids. The row is
written in the same transaction as the batch's records, so a batch row exists exactly when all
of its records do. ``UNIQUE (entity, content_sha256)`` makes a re-run of the same file a no-op
even when two identical imports race: the second one's transaction fails on the constraint and
the importer answers with the first batch.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from karavan.registry.store.account_models import UTCDateTime
from karavan.registry.store.base import Base, utcnow

__all__ = ["ImportBatchRow"]


class ImportBatchRow(Base):
    """A committed bulk-import batch; ``created_ids`` lists the new records' ids in file order."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("entity", "content_sha256"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    content_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(300))
    rows: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    created_ids: Mapped[list[int]] = mapped_column(JSON)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
