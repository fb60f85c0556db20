"""ORM tables of the registry's records (SQLAlchemy 2, typed): organisations with their
identifiers and sites, products, needs, joint projects with their countries, sectors and
participants, and the ``record_history`` of every version.

Child rows are parts of their parent record: they are versioned with it, replaced as a whole on
update and deleted with it (``cascade="all, delete-orphan"``). Each record row carries
``version`` as SQLAlchemy's ``version_id_col``, so every UPDATE of a record is
``UPDATE ... WHERE id = ? AND version = ?`` and a concurrent write is detected atomically.
``search_text`` holds the stemmed tokens of the record's texts (:func:`karavan.registry.search.
search_document`); the full-text indexes over it live in :mod:`.search_index`.

Rows never leave :mod:`karavan.registry`: the service turns them into ``XPublic`` schemas.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from karavan.registry.store import (  # noqa: F401 (complete Base.metadata for the migration)
    account_models,
    import_models,
    saved_models,
)
from karavan.registry.store.account_models import UTCDateTime
from karavan.registry.store.base import Base, utcnow

__all__ = [
    "NeedRow",
    "OrganisationIdentifierRow",
    "OrganisationRow",
    "OrganisationSiteRow",
    "ProductRow",
    "ProjectCountryRow",
    "ProjectParticipantRow",
    "ProjectRow",
    "ProjectSectorRow",
    "RecordHistoryRow",
    "RecordRow",
]

NAME = 300
TEXT = 5000


class RecordRow:
    """Columns every record has (server-owned), with ``version`` as the optimistic lock.

    ``id`` sorts first in the table (mixin columns would otherwise follow the subclass's).
    """

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True, sort_order=-1)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    status: Mapped[str] = mapped_column(String(16), index=True, default="draft")
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(Integer)
    updated_by: Mapped[int | None] = mapped_column(Integer)
    sources: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    search_text: Mapped[str] = mapped_column(Text, default="")

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:  # noqa: N805 (a class-level directive)
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class OrganisationRow(RecordRow, Base):
    """An organisation. Lists filter it by visibility (``status``), country and kind together,
    so one index on ``(status, country, kind)`` answers them (entries with equal keys are in
    id order, the list's order; migration 0003: a count of 340,000 matches went from 257 to
    13 ms). The index on ``status`` alone stays: a search looks its matches up by
    ``(status, rowid)`` in it on SQLite, which the composite index cannot do."""

    __tablename__ = "organisations"
    __table_args__ = (Index("ix_organisations_status_country_kind", "status", "country", "kind"),)

    kind: Mapped[str] = mapped_column(String(32), index=True)
    name_en: Mapped[str] = mapped_column(String(NAME))
    name_ru: Mapped[str] = mapped_column(String(NAME))
    name_kk: Mapped[str | None] = mapped_column(String(NAME))
    country: Mapped[str] = mapped_column(String(3), index=True)
    region: Mapped[str | None] = mapped_column(String(NAME))
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(2000))
    park_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    resident_since: Mapped[date | None] = mapped_column(Date)

    identifiers: Mapped[list[OrganisationIdentifierRow]] = relationship(
        cascade="all, delete-orphan", order_by="OrganisationIdentifierRow.id"
    )
    sites: Mapped[list[OrganisationSiteRow]] = relationship(
        cascade="all, delete-orphan", order_by="OrganisationSiteRow.id"
    )


class OrganisationIdentifierRow(Base):
    """A national registration number; unique across the registry."""

    __tablename__ = "organisation_identifiers"
    __table_args__ = (UniqueConstraint("scheme", "value"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(64))


class OrganisationSiteRow(Base):
    __tablename__ = "organisation_sites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str | None] = mapped_column(String(NAME))
    country: Mapped[str] = mapped_column(String(3), index=True)
    region: Mapped[str | None] = mapped_column(String(NAME))
    locality: Mapped[str | None] = mapped_column(String(NAME))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class _CodedRow(RecordRow):
    """Columns shared by products and needs (an organisation's offer or demand, coded)."""

    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    hs_code: Mapped[str | None] = mapped_column(String(6), index=True)
    isic_code: Mapped[str | None] = mapped_column(String(4), index=True)
    text: Mapped[str] = mapped_column(Text)
    lang: Mapped[str] = mapped_column(String(2))


class ProductRow(_CodedRow, Base):
    __tablename__ = "products"

    capacity: Mapped[float | None] = mapped_column(Float)
    capacity_unit: Mapped[str | None] = mapped_column(String(50))
    certifications: Mapped[list[str]] = mapped_column(JSON, default=list)


class NeedRow(_CodedRow, Base):
    __tablename__ = "needs"

    volume: Mapped[float | None] = mapped_column(Float)
    volume_unit: Mapped[str | None] = mapped_column(String(50))


class ProjectRow(RecordRow, Base):
    __tablename__ = "projects"

    name_en: Mapped[str] = mapped_column(String(NAME))
    name_ru: Mapped[str] = mapped_column(String(NAME))
    description: Mapped[str | None] = mapped_column(Text)
    corridor: Mapped[str | None] = mapped_column(String(40), index=True)
    phase: Mapped[str] = mapped_column(String(24), index=True)
    investment_usd_m: Mapped[float | None] = mapped_column(Float)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    park_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id"), index=True
    )

    countries: Mapped[list[ProjectCountryRow]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectCountryRow.id"
    )
    sectors: Mapped[list[ProjectSectorRow]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectSectorRow.id"
    )
    participants: Mapped[list[ProjectParticipantRow]] = relationship(
        cascade="all, delete-orphan", order_by="ProjectParticipantRow.id"
    )


class ProjectCountryRow(Base):
    __tablename__ = "project_countries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    country: Mapped[str] = mapped_column(String(3), index=True)


class ProjectSectorRow(Base):
    __tablename__ = "project_sectors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    isic_code: Mapped[str] = mapped_column(String(4), index=True)


class ProjectParticipantRow(Base):
    __tablename__ = "project_participants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))


class RecordHistoryRow(Base):
    """The full state of a record after one write (``data`` is its ``XPublic`` as JSON).

    ``status`` and ``owner_organisation_id`` repeat the state's so that the change feed and
    history can be filtered by visibility without parsing ``data``.
    """

    __tablename__ = "record_history"
    __table_args__ = (
        Index("ix_record_history_entity_entity_id", "entity", "entity_id"),
        UniqueConstraint("entity", "entity_id", "version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    owner_organisation_id: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    changed_by: Mapped[int | None] = mapped_column(Integer)
