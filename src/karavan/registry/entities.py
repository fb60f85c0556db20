"""The four record entities as data: one :class:`EntitySpec` per entity says which ORM row class
and which schemas it uses, who owns a record, and how a row and a schema map onto each other.

The service (:mod:`karavan.registry.service`) is written once over these specs. A record's
*content* is the dict of its ``XCreate`` fields; its *state* adds the server-owned fields and is
what ``XPublic`` validates and ``record_history`` stores.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from karavan.errors import ConflictError, RecordValidationError
from karavan.registry.actors import Actor
from karavan.registry.schemas import (
    ENTITIES,
    NeedCreate,
    NeedPublic,
    NeedUpdate,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
)
from karavan.registry.search import search_document
from karavan.registry.store.models import (
    NeedRow,
    OrganisationIdentifierRow,
    OrganisationRow,
    OrganisationSiteRow,
    ProductRow,
    ProjectCountryRow,
    ProjectParticipantRow,
    ProjectRow,
    ProjectSectorRow,
    RecordRow,
)

__all__ = ["SPECS", "EntitySpec", "check_references", "owner_for_new", "spec_for"]

_SERVER_FIELDS = (
    "id",
    "version",
    "status",
    "review_note",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
)
_SITE_FIELDS = ("name", "country", "region", "locality", "lat", "lon")


def _plain(value: Any) -> Any:
    """Enum members as their values (drivers may adapt an Enum by name)."""
    return value.value if isinstance(value, Enum) else value


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """How one entity is stored, validated, owned and indexed.

    ``scalars`` are the content fields stored in a same-named column; ``read_children`` and
    ``write_children`` turn the remaining content fields (child rows, JSON lists) into and out
    of the row. ``owner_column`` is the SQL expression of the owning organisation's id.
    """

    name: str
    row: type[RecordRow]
    create_schema: type[BaseModel]
    update_schema: type[BaseModel]
    public_schema: type[BaseModel]
    scalars: tuple[str, ...]
    owner_column: InstrumentedAttribute[Any]
    read_children: Callable[[Any], dict[str, Any]]
    write_children: Callable[[Session, Any, Any], None]
    search_texts: Callable[[Any], tuple[str | None, ...]]
    eager: tuple[str, ...] = ()

    def owner_of(self, row: Any) -> int | None:
        """The id of the organisation that owns ``row``."""
        value = getattr(row, self.owner_column.key)
        return int(value) if value is not None else None

    def content(self, row: Any) -> dict[str, Any]:
        """The record's ``XCreate`` fields as plain values."""
        data = {name: getattr(row, name) for name in self.scalars}
        data["sources"] = list(row.sources or [])
        data.update(self.read_children(row))
        return data

    def state(self, row: Any) -> dict[str, Any]:
        """The record's ``XPublic`` fields: content plus the server-owned fields."""
        data = self.content(row)
        data.update({name: getattr(row, name) for name in _SERVER_FIELDS})
        if isinstance(row, ProjectRow):
            data["owner_organisation_id"] = row.owner_organisation_id
        return data

    def public(self, row: Any) -> BaseModel:
        return self.public_model(self.state(row))

    def public_model(self, state: dict[str, Any]) -> BaseModel:
        return self.public_schema.model_validate(state)

    def apply(self, session: Session, row: Any, model: Any) -> None:
        """Write every content field of ``model`` (a validated ``XCreate``) into ``row``.

        Children are written first (they may need a flush, see :func:`_replace`), then the
        row's own columns and ``search_text``.
        """
        self.write_children(session, row, model)
        for name in self.scalars:
            setattr(row, name, _plain(getattr(model, name)))
        row.sources = [source.model_dump(mode="json") for source in model.sources]
        row.search_text = search_document(*self.search_texts(model))


def _replace(session: Session, row: Any, attribute: str, children: list[Any]) -> None:
    """Replace a child collection. The old rows are deleted (flushed) before the new ones are
    added, so a unique child (an identifier) can be kept by deleting and re-inserting it."""
    collection = getattr(row, attribute)
    if collection and row.id is not None:
        collection.clear()
        session.flush()
    collection.extend(children)


def _organisation_children(row: OrganisationRow) -> dict[str, Any]:
    return {
        "identifiers": [{"scheme": i.scheme, "value": i.value} for i in row.identifiers],
        "sites": [{name: getattr(site, name) for name in _SITE_FIELDS} for site in row.sites],
    }


def _write_organisation_children(session: Session, row: Any, model: Any) -> None:
    _replace(
        session,
        row,
        "identifiers",
        [
            OrganisationIdentifierRow(scheme=_plain(i.scheme), value=i.value)
            for i in model.identifiers
        ],
    )
    _replace(
        session,
        row,
        "sites",
        [
            OrganisationSiteRow(**{name: getattr(site, name) for name in _SITE_FIELDS})
            for site in model.sites
        ],
    )


def _product_children(row: ProductRow) -> dict[str, Any]:
    return {"certifications": list(row.certifications or [])}


def _write_product_children(_session: Session, row: Any, model: Any) -> None:
    row.certifications = list(model.certifications)


def _no_children(_row: Any) -> dict[str, Any]:
    return {}


def _write_no_children(_session: Session, _row: Any, _model: Any) -> None:
    return None


def _project_children(row: ProjectRow) -> dict[str, Any]:
    return {
        "countries": [c.country for c in row.countries],
        "sectors": [s.isic_code for s in row.sectors],
        "participants": [
            {"organisation_id": p.organisation_id, "role": p.role} for p in row.participants
        ],
    }


def _write_project_children(session: Session, row: Any, model: Any) -> None:
    _replace(session, row, "countries", [ProjectCountryRow(country=c) for c in model.countries])
    _replace(session, row, "sectors", [ProjectSectorRow(isic_code=s) for s in model.sectors])
    _replace(
        session,
        row,
        "participants",
        [
            ProjectParticipantRow(organisation_id=p.organisation_id, role=_plain(p.role))
            for p in model.participants
        ],
    )


_CODED = ("organisation_id", "hs_code", "isic_code", "text", "lang")

SPECS: dict[str, EntitySpec] = {
    "organisations": EntitySpec(
        name="organisations",
        row=OrganisationRow,
        create_schema=OrganisationCreate,
        update_schema=OrganisationUpdate,
        public_schema=OrganisationPublic,
        scalars=(
            "kind",
            "name_en",
            "name_ru",
            "name_kk",
            "country",
            "region",
            "description",
            "website",
            "park_id",
            "resident_since",
        ),
        owner_column=OrganisationRow.id,
        read_children=_organisation_children,
        write_children=_write_organisation_children,
        search_texts=lambda m: (m.name_en, m.name_ru, m.name_kk, m.region, m.description),
        eager=("identifiers", "sites"),
    ),
    "products": EntitySpec(
        name="products",
        row=ProductRow,
        create_schema=ProductCreate,
        update_schema=ProductUpdate,
        public_schema=ProductPublic,
        scalars=(*_CODED, "capacity", "capacity_unit"),
        owner_column=ProductRow.organisation_id,
        read_children=_product_children,
        write_children=_write_product_children,
        search_texts=lambda m: (m.text,),
    ),
    "needs": EntitySpec(
        name="needs",
        row=NeedRow,
        create_schema=NeedCreate,
        update_schema=NeedUpdate,
        public_schema=NeedPublic,
        scalars=(*_CODED, "volume", "volume_unit"),
        owner_column=NeedRow.organisation_id,
        read_children=_no_children,
        write_children=_write_no_children,
        search_texts=lambda m: (m.text,),
    ),
    "projects": EntitySpec(
        name="projects",
        row=ProjectRow,
        create_schema=ProjectCreate,
        update_schema=ProjectUpdate,
        public_schema=ProjectPublic,
        scalars=(
            "name_en",
            "name_ru",
            "description",
            "corridor",
            "phase",
            "investment_usd_m",
            "start_date",
            "end_date",
            "park_id",
        ),
        owner_column=ProjectRow.owner_organisation_id,
        read_children=_project_children,
        write_children=_write_project_children,
        search_texts=lambda m: (m.name_en, m.name_ru, m.description),
        eager=("countries", "sectors", "participants"),
    ),
}


def spec_for(entity: str) -> EntitySpec:
    """The spec of ``entity``; RecordValidationError for an unknown entity name."""
    try:
        return SPECS[entity]
    except KeyError:
        raise RecordValidationError(
            f"unknown entity {entity!r}; expected one of {', '.join(ENTITIES)}",
            field="entity",
            value=entity,
        ) from None


def owner_for_new(spec: EntitySpec, model: Any, actor: Actor) -> int | None:
    """The organisation a new record will belong to: none yet for an organisation, the
    ``organisation_id`` of a product or need, the creator's organisation for a project."""
    if spec.name == "organisations":
        return None
    if spec.name == "projects":
        return actor.organisation_id
    return int(model.organisation_id)


def check_references(session: Session, spec: EntitySpec, model: Any, record_id: int | None) -> None:
    """Referenced organisations exist (a park is an industrial park); identifiers are not
    registered for another organisation."""
    park_id = getattr(model, "park_id", None)
    if park_id is not None:
        park = session.get(OrganisationRow, park_id)
        if (
            park is None
            or park.kind != "industrial_park"
            or (spec.name == "organisations" and park_id == record_id)
        ):
            raise RecordValidationError(
                f"park_id must be another organisation of kind industrial_park; "
                f"got {park_id} ({'missing' if park is None else park.kind})",
                field="park_id",
                value=park_id,
            )
    referenced: list[tuple[str, int]] = []
    if spec.name in ("products", "needs"):
        referenced.append(("organisation_id", model.organisation_id))
    if spec.name == "projects":
        referenced.extend(
            (f"participants[{i}].organisation_id", p.organisation_id)
            for i, p in enumerate(model.participants)
        )
    for field, organisation_id in referenced:
        if session.get(OrganisationRow, organisation_id) is None:
            raise RecordValidationError(
                f"{field} refers to organisation {organisation_id}, which does not exist",
                field=field,
                value=organisation_id,
            )
    if spec.name == "organisations":
        for identifier in model.identifiers:
            holder = session.scalar(
                select(OrganisationIdentifierRow.organisation_id).where(
                    OrganisationIdentifierRow.scheme == identifier.scheme.value,
                    OrganisationIdentifierRow.value == identifier.value,
                )
            )
            if holder is not None and holder != record_id:
                raise ConflictError(
                    f"identifier {identifier.scheme.value} {identifier.value} is already "
                    f"registered for another organisation"
                )
