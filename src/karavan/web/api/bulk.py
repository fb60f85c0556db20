"""Bulk import and export of records (CSV, JSON, Parquet), over :mod:`karavan.registry.bulk`.

``POST /import/{entity}?format=csv|json|parquet`` takes the file either as a multipart upload
(field ``file``; the format may then come from the file name's extension) or as the raw request
body. The batch is all or nothing: any bad row gives 422 with the row-level report in the error
details (``{"file", "row", "column", "value", "message"}`` per problem) and nothing is stored.
Imports are idempotent by content: the same file again answers 200 with the first batch's
result (``duplicate: true``) instead of 201.

``GET /export/{entity}?format=`` returns every record the caller may see as a file that imports
as it is (``server_fields=true`` adds ids, versions and statuses, for reading).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, cast

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from karavan.errors import RecordValidationError
from karavan.registry import EntityName, OrgKind, RecordStatus
from karavan.registry.bulk import ImportResult, export_records, import_batch
from karavan.web.api.records import MAX_ID
from karavan.web.security import ActorDep, RegistryDep, UserDep

__all__ = ["MEDIA_TYPES", "ImportReport", "router"]

router = APIRouter(tags=["bulk"])

Format = Literal["csv", "json", "parquet"]
MEDIA_TYPES: dict[str, str] = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "parquet": "application/vnd.apache.parquet",
}

_IMPORT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": {"type": "object"}}},
            "application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
        },
    }
}


class ImportReport(BaseModel):
    """An acknowledged batch: the created ids in file order (``duplicate``: already imported)."""

    batch_id: int
    entity: str
    content_sha256: str
    rows: int
    created_ids: list[int]
    status: str
    duplicate: bool


def _format_of(fmt: str | None, filename: str | None) -> Format:
    if fmt is not None:
        return cast(Format, fmt)
    suffix = (filename or "").rsplit(".", 1)[-1].lower() if filename and "." in filename else ""
    if suffix in MEDIA_TYPES:
        return cast(Format, suffix)
    raise RecordValidationError(
        "say the file's format with ?format=csv|json|parquet (or upload a file whose name ends "
        f"in .csv, .json or .parquet); got file name {filename!r}",
        field="format",
        value=filename,
    )


@router.post(
    "/import/{entity}",
    status_code=201,
    response_model=ImportReport,
    openapi_extra=_IMPORT_BODY,
    summary="Import a file of records, all or nothing (idempotent by content)",
    responses={200: {"model": ImportReport, "description": "The same file was imported before"}},
)
async def import_file(
    entity: EntityName,
    request: Request,
    response: Response,
    actor: UserDep,
    registry: RegistryDep,
    fmt_param: Annotated[
        Format | None, Query(alias="format", description="csv, json or parquet")
    ] = None,
    publish: Annotated[bool, Query(description="import as published (admins only)")] = False,
) -> ImportReport:
    content_type = request.headers.get("content-type", "")
    filename: str | None
    if content_type.startswith("multipart/form-data"):
        async with request.form(max_files=1, max_fields=5) as form:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise RecordValidationError(
                    "a multipart import needs the file in the field 'file'; got none",
                    field="file",
                )
            data = await upload.read()
            filename = upload.filename or f"upload.{fmt_param or 'csv'}"
    else:
        data = await request.body()
        filename = f"{entity}.{fmt_param}" if fmt_param is not None else None
    fmt = _format_of(fmt_param, filename)
    shown = filename or f"{entity}.{fmt}"
    result: ImportResult = await run_in_threadpool(
        import_batch, registry, actor, entity, data, fmt, filename=shown, publish=publish
    )
    if result.duplicate:
        response.status_code = 200
    return ImportReport(
        batch_id=result.batch_id,
        entity=result.entity,
        content_sha256=result.content_sha256,
        rows=result.rows,
        created_ids=list(result.created_ids),
        status=result.status,
        duplicate=result.duplicate,
    )


@router.get(
    "/export/{entity}",
    response_class=Response,
    summary="Export the records the caller may see as a file",
    responses={
        200: {
            "content": {media: {"schema": {"type": "string"}} for media in MEDIA_TYPES.values()},
            "description": "The file",
        }
    },
)
def export_file(
    entity: EntityName,
    actor: ActorDep,
    registry: RegistryDep,
    fmt: Annotated[Format, Query(alias="format")] = "csv",
    server_fields: bool = False,
    kind: OrgKind | None = None,
    country: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
    code_prefix: Annotated[str | None, Query(pattern=r"^[0-9]{1,6}$")] = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    status: RecordStatus | None = None,
    organisation_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    filters = {
        "kind": kind.value if kind is not None else None,
        "country": country,
        "code_prefix": code_prefix,
        "q": q,
        "status": status,
        "organisation_id": organisation_id,
    }
    data = export_records(
        registry,
        actor,
        entity,
        fmt,
        server_fields=server_fields,
        **{name: value for name, value in filters.items() if value is not None},
    )
    return Response(
        data,
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{entity}.{fmt}"'},
    )
