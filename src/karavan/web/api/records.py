"""The record routes, the same for each entity (organisations, products, needs, projects).

For ``/api/v1/{entity}``:

=================================== ===================================================
``POST /{entity}``                  create (201, ``Location``, ``ETag``)
``GET /{entity}``                   list: filters, ``limit``/``offset``, ``Link`` header
``GET /{entity}/{id}``              one record (``ETag``; ``If-None-Match`` -> 304)
``PATCH /{entity}/{id}``            partial update; ``If-Match: "<version>"`` required
``POST /{entity}/{id}/submit``      draft/rejected -> submitted (``If-Match``)
``POST /{entity}/{id}/approve``     submitted -> published (``If-Match``)
``POST /{entity}/{id}/reject``      submitted -> rejected (``If-Match``; a note required)
``GET /{entity}/{id}/history``      every version the caller may see
=================================== ===================================================

A record's ETag is its version in quotes (``"3"``). Writes without ``If-Match`` are refused
with 428; a version that is no longer current with 412, whose details and ``ETag`` header give
the current version. Bodies are the entity's ``XCreate`` / ``XUpdate`` schemas, which forbid
server-owned fields (``id``, ``version``, ``status``, ``created_by``, ...): sending one is a 422.
Writes need a signed-in user (401 otherwise); what that user may do is the registry's call.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from karavan.errors import StaleWriteError
from karavan.registry import (
    ENTITIES,
    Actor,
    HistoryEntry,
    NeedCreate,
    NeedPublic,
    NeedUpdate,
    OrganisationCreate,
    OrganisationPublic,
    OrganisationUpdate,
    OrgKind,
    Page,
    ProductCreate,
    ProductPublic,
    ProductUpdate,
    ProjectCreate,
    ProjectPublic,
    ProjectUpdate,
    PublicRecord,
    RecordStatus,
    Registry,
)
from karavan.web.errors import HTTP_ERROR, ApiError
from karavan.web.security import ActorDep, RegistryDep, UserDep

__all__ = ["API_PREFIX", "MAX_ID", "TransitionIn", "entity_router", "etag", "record_routers"]

API_PREFIX = "/api/v1"
MAX_ID = 2**63 - 1
"""Largest id a path or query accepts (a 64-bit signed integer, the database's id type)."""

_SCHEMAS: dict[str, tuple[type[BaseModel], type[BaseModel], type[BaseModel]]] = {
    "organisations": (OrganisationCreate, OrganisationUpdate, OrganisationPublic),
    "products": (ProductCreate, ProductUpdate, ProductPublic),
    "needs": (NeedCreate, NeedUpdate, NeedPublic),
    "projects": (ProjectCreate, ProjectUpdate, ProjectPublic),
}
_IF_MATCH = re.compile(r'^\s*"(\d{1,18})"\s*$')

RecordIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="the record's id")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^"[0-9]{1,18}"$',
        description='the version the change is based on, as its ETag: `"3"` (required)',
    ),
]
IfNoneMatch = Annotated[str | None, Header(alias="If-None-Match")]


class TransitionIn(BaseModel):
    """Body of a workflow transition: an optional note (required to reject)."""

    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=5000)


def etag(version: int) -> str:
    """The ETag of a record at ``version``: the version in double quotes."""
    return f'"{version}"'


def _expected_version(if_match: str | None, entity: str, record_id: int) -> int:
    if if_match is None:
        raise ApiError(
            428,
            f'writing {entity} {record_id} needs the header If-Match: "<version>" with the '
            "version you read (the record's ETag); got none",
            details=[{"field": "If-Match", "value": None}],
        )
    match = _IF_MATCH.match(if_match)
    if match is None:  # the header's pattern already refuses this (422); kept for direct calls
        raise ApiError(
            400,
            f'If-Match must be one version in double quotes, like "3"; got {if_match[:40]!r}',
            type_name=HTTP_ERROR,
            details=[{"field": "If-Match", "value": if_match[:40]}],
        )
    return int(match.group(1))


def _none_match(if_none_match: str | None, version: int) -> bool:
    """Whether ``If-None-Match`` names the current version (weak or strong) or is ``*``."""
    if if_none_match is None:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag(version) in tags


def _stale(
    registry: Registry,
    actor: Actor,
    entity: str,
    record_id: int,
    expected: int,
    exc: StaleWriteError,
) -> ApiError:
    """412 with the current version in the details and the ``ETag`` header."""
    current = registry.get(actor, entity, record_id)
    return ApiError(
        412,
        str(exc),
        type_name=type(exc).__name__,
        details=[
            {
                "field": "If-Match",
                "expected_version": expected,
                "current_version": current.version,
            }
        ],
        headers={"ETag": etag(current.version)},
    )


def _with_etag(response: Response, record: PublicRecord) -> PublicRecord:
    response.headers["ETag"] = etag(record.version)
    return record


def _link_header(request: Request, page: Page[Any]) -> str | None:
    links = []
    if page.offset + page.limit < page.total:
        nxt = request.url.include_query_params(offset=page.offset + page.limit)
        links.append(f'<{nxt}>; rel="next"')
    if page.offset > 0:
        prev = request.url.include_query_params(offset=max(0, page.offset - page.limit))
        links.append(f'<{prev}>; rel="prev"')
    return ", ".join(links) or None


def entity_router(entity: str) -> APIRouter:
    """The routes of one entity, typed with its schemas so that OpenAPI documents each."""
    create_schema, update_schema, public_schema = _SCHEMAS[entity]
    router = APIRouter(prefix=f"/{entity}", tags=[entity])
    location = f"{API_PREFIX}/{entity}"

    def create(
        payload: BaseModel, actor: UserDep, registry: RegistryDep, response: Response
    ) -> PublicRecord:
        record = registry.create(actor, entity, payload)
        response.headers["Location"] = f"{location}/{record.id}"
        return _with_etag(response, record)

    def read(
        record_id: RecordIdPath,
        actor: ActorDep,
        registry: RegistryDep,
        response: Response,
        if_none_match: IfNoneMatch = None,
    ) -> Any:
        record = registry.get(actor, entity, record_id)
        if _none_match(if_none_match, record.version):
            return Response(status_code=304, headers={"ETag": etag(record.version)})
        return _with_etag(response, record)

    def update(
        record_id: RecordIdPath,
        payload: BaseModel,
        actor: UserDep,
        registry: RegistryDep,
        response: Response,
        if_match: IfMatch = None,
    ) -> PublicRecord:
        expected = _expected_version(if_match, entity, record_id)
        try:
            record = registry.update(actor, entity, record_id, payload, expected)
        except StaleWriteError as exc:
            raise _stale(registry, actor, entity, record_id, expected, exc) from exc
        return _with_etag(response, record)

    def listing(
        request: Request,
        actor: ActorDep,
        registry: RegistryDep,
        response: Response,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
        kind: Annotated[OrgKind | None, Query(description="organisations only")] = None,
        country: Annotated[
            str | None,
            Query(
                min_length=3,
                max_length=3,
                description="ISO 3166 alpha-3; organisations: their country, projects: one of "
                "their countries",
            ),
        ] = None,
        code_prefix: Annotated[
            str | None,
            Query(
                pattern=r"^[0-9]{1,6}$",
                description="products/needs: HS or ISIC code prefix; projects: a sector prefix",
            ),
        ] = None,
        q: Annotated[
            str | None, Query(max_length=200, description="full-text search (every term)")
        ] = None,
        status: RecordStatus | None = None,
        organisation_id: Annotated[
            int | None,
            Query(
                ge=1,
                le=MAX_ID,
                description="products/needs: owner; projects: owner or participant; "
                "organisations: residents of that park",
            ),
        ] = None,
    ) -> Page[Any]:
        page = registry.list(
            actor,
            entity,
            kind=kind.value if kind is not None else None,
            country=country,
            code_prefix=code_prefix,
            q=q,
            status=status,
            organisation_id=organisation_id,
            limit=limit,
            offset=offset,
        )
        link = _link_header(request, page)
        if link is not None:
            response.headers["Link"] = link
        return page

    def history(
        record_id: RecordIdPath, actor: ActorDep, registry: RegistryDep
    ) -> list[HistoryEntry]:
        return registry.history(actor, entity, record_id)

    create.__annotations__["payload"] = create_schema
    update.__annotations__["payload"] = update_schema
    responses: dict[int | str, dict[str, Any]] = {
        304: {"description": "Not modified (If-None-Match names the current version)"}
    }
    router.add_api_route(
        "",
        create,
        methods=["POST"],
        status_code=201,
        response_model=public_schema,
        name=f"create_{entity}",
        summary=f"Create a record of {entity} (draft, version 1)",
    )
    router.add_api_route(
        "",
        listing,
        methods=["GET"],
        response_model=Page[public_schema],  # type: ignore[valid-type]
        name=f"list_{entity}",
        summary=f"List {entity} the caller may see",
    )
    router.add_api_route(
        "/{record_id}",
        read,
        methods=["GET"],
        response_model=public_schema,
        responses=responses,
        name=f"get_{entity}",
        summary=f"One record of {entity}",
    )
    router.add_api_route(
        "/{record_id}",
        update,
        methods=["PATCH"],
        response_model=public_schema,
        name=f"update_{entity}",
        summary=f"Change fields of a record of {entity} (If-Match required)",
    )
    for action in ("submit", "approve", "reject"):
        router.add_api_route(
            f"/{{record_id}}/{action}",
            _transition_route(entity, action),
            methods=["POST"],
            response_model=public_schema,
            name=f"{action}_{entity}",
            summary=f"Workflow: {action} a record of {entity} (If-Match required)",
        )
    router.add_api_route(
        "/{record_id}/history",
        history,
        methods=["GET"],
        response_model=list[HistoryEntry],
        name=f"history_{entity}",
        summary=f"Every version of a record of {entity} the caller may see",
    )
    return router


def _transition_route(entity: str, action: str) -> Any:
    def transition(
        record_id: RecordIdPath,
        actor: UserDep,
        registry: RegistryDep,
        response: Response,
        body: TransitionIn | None = None,
        if_match: IfMatch = None,
    ) -> PublicRecord:
        expected = _expected_version(if_match, entity, record_id)
        note = body.note if body is not None else None
        method = getattr(registry, action)
        try:
            record: PublicRecord = method(actor, entity, record_id, expected, note)
        except StaleWriteError as exc:
            raise _stale(registry, actor, entity, record_id, expected, exc) from exc
        return _with_etag(response, record)

    transition.__name__ = f"{action}_{entity}"
    return transition


def record_routers() -> list[APIRouter]:
    """One router per entity, in the order of :data:`karavan.registry.ENTITIES`."""
    return [entity_router(entity) for entity in ENTITIES]
