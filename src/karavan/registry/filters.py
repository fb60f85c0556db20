"""SQL filters of the registry's reads: what an actor may see, and the filters of
:meth:`karavan.registry.service.Registry.list` (validated, so a filter that does not apply to an
entity is an error rather than silently ignored)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, or_

from karavan.errors import RecordValidationError
from karavan.registry.actors import Actor, Role
from karavan.registry.entities import EntitySpec
from karavan.registry.permissions import sees_all_statuses
from karavan.registry.schemas import OrgKind, RecordStatus
from karavan.registry.search import query_terms
from karavan.registry.store.models import (
    OrganisationRow,
    ProjectCountryRow,
    ProjectParticipantRow,
    ProjectRow,
    ProjectSectorRow,
)
from karavan.registry.store.search_index import matching_all_terms

__all__ = ["list_filters", "visibility"]


def visibility(actor: Actor, owner: Any, status: Any) -> ColumnElement[bool] | None:
    """The SQL form of :func:`~karavan.registry.permissions.can_read` (None: sees all)."""
    if sees_all_statuses(actor):
        return None
    clause: ColumnElement[bool] = status == RecordStatus.PUBLISHED.value
    if actor.role is Role.EDITOR and actor.organisation_id is not None:
        clause = or_(clause, owner == actor.organisation_id)
    return clause


def _code_prefix(prefix: str) -> str:
    if not (prefix.isascii() and prefix.isdigit() and 1 <= len(prefix) <= 6):
        raise RecordValidationError(
            f"code_prefix must be 1 to 6 digits (an HS or ISIC code prefix); got {prefix!r}",
            field="code_prefix",
            value=prefix,
        )
    return prefix


def _unsupported(entity: str, name: str, value: object) -> RecordValidationError:
    return RecordValidationError(
        f"filter {name} does not apply to {entity}", field=name, value=value
    )


def _validated_enum(enum: type[StrEnum], value: str, field: str) -> str:
    try:
        return enum(value).value
    except ValueError:
        raise RecordValidationError(
            f"{field} must be one of {', '.join(m.value for m in enum)}; got {value!r}",
            field=field,
            value=value,
        ) from None


def list_filters(
    actor: Actor,
    spec: EntitySpec,
    dialect: str,
    *,
    kind: str | None,
    country: str | None,
    code_prefix: str | None,
    q: str | None,
    status: str | None,
    organisation_id: int | None,
) -> list[ColumnElement[bool]]:
    """The WHERE clauses of a list of ``spec``'s records: visibility first, then each filter
    given (their meaning is documented on ``Registry.list``)."""
    where: list[ColumnElement[bool]] = []
    visible = visibility(actor, spec.owner_column, spec.row.status)
    if visible is not None:
        where.append(visible)
    if kind is not None:
        if spec.name != "organisations":
            raise _unsupported(spec.name, "kind", kind)
        where.append(OrganisationRow.kind == _validated_enum(OrgKind, kind, "kind"))
    if country is not None:
        code = country.strip().upper()
        if spec.name == "organisations":
            where.append(OrganisationRow.country == code)
        elif spec.name == "projects":
            where.append(ProjectRow.countries.any(ProjectCountryRow.country == code))
        else:
            raise _unsupported(spec.name, "country", country)
    if code_prefix is not None:
        prefix = _code_prefix(code_prefix)
        if spec.name == "projects":
            where.append(ProjectRow.sectors.any(ProjectSectorRow.isic_code.startswith(prefix)))
        elif spec.name in ("products", "needs"):
            coded = cast(Any, spec.row)
            where.append(or_(coded.hs_code.startswith(prefix), coded.isic_code.startswith(prefix)))
        else:
            raise _unsupported(spec.name, "code_prefix", code_prefix)
    if status is not None:
        where.append(spec.row.status == _validated_enum(RecordStatus, status, "status"))
    if organisation_id is not None:
        if spec.name == "organisations":
            where.append(OrganisationRow.park_id == organisation_id)
        elif spec.name == "projects":
            where.append(
                or_(
                    ProjectRow.owner_organisation_id == organisation_id,
                    ProjectRow.participants.any(
                        ProjectParticipantRow.organisation_id == organisation_id
                    ),
                )
            )
        else:
            where.append(spec.owner_column == organisation_id)
    if q is not None:
        terms = query_terms(q)
        if terms:
            table = cast(Table, spec.row.__table__)  # type: ignore[attr-defined]
            where.append(matching_all_terms(table, terms, dialect))
    return where
