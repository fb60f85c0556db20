"""Bulk import and export of registry records (CSV, JSON, Parquet).

Import is all or nothing. :func:`import_batch` reads the file (:mod:`karavan.registry.bulkformats`),
validates **every** row against the entity's ``XCreate`` schema and the database (referenced
organisations exist, a park is an industrial park, identifiers are free, the actor may write for
the owner) and collects one report entry ``{"file", "row", "column", "value", "message"}`` per
problem. Any problem raises :class:`~karavan.errors.ImportValidationError` with the whole report
and nothing is stored. Otherwise the records, their ``record_history`` rows, the batch row
(:class:`~karavan.registry.store.import_models.ImportBatchRow`) and ONE audit row for the batch
are written in one transaction; the batch is acknowledged (the function returns) only after the
commit.

Idempotency: the batch key is ``sha256(entity + "\\n" + file bytes)``, unique per entity in the
database. Importing the same file again returns the first batch's result with
``duplicate=True`` and writes nothing; two identical imports racing each other cannot both land
(the loser's transaction fails on the unique key and it answers with the winner's batch).

Speed: the ids are reserved up front and the records, their child rows and their history rows
are written by the driver in bulk (PostgreSQL ``COPY``, SQLite's ``executemany``; see
:mod:`karavan.registry.bulkwrite`), not one ORM object per row;
the batch is one write in the audit log (one row naming the batch, its key and the created ids).
``docs/bulk-import.md`` has the file formats, the report, the measured speed and the crash test.
"""

from __future__ import annotations

import gc
import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from karavan.errors import (
    ConflictError,
    ImportValidationError,
    PermissionDeniedError,
    RecordValidationError,
)
from karavan.registry import audit
from karavan.registry.actors import Actor, Role
from karavan.registry.bulkformats import BulkFormat, Row, read_rows, write_rows
from karavan.registry.bulkwrite import write_records
from karavan.registry.entities import EntitySpec, owner_for_new, spec_for
from karavan.registry.permissions import authorize
from karavan.registry.schemas import RecordStatus
from karavan.registry.service import MAX_PAGE, Registry
from karavan.registry.store.base import utcnow
from karavan.registry.store.import_models import ImportBatchRow
from karavan.registry.store.models import (
    OrganisationIdentifierRow,
    OrganisationRow,
)

__all__ = ["ImportResult", "batch_key", "export_records", "import_batch"]

_CHUNK = 500
"""Ids per ``IN (...)`` list when checking references (well under every backend's limit)."""


@dataclass(frozen=True, slots=True)
class ImportResult:
    """An acknowledged batch: its id, entity, key, row count and the created ids in file order.

    ``duplicate`` is true when the same file had already been imported: the result is the first
    import's, and nothing was written this time.
    """

    batch_id: int
    entity: str
    content_sha256: str
    rows: int
    created_ids: tuple[int, ...]
    status: str
    duplicate: bool = False


def batch_key(entity: str, data: bytes) -> str:
    """The batch key: hex SHA-256 of the entity name, a newline and the file's bytes."""
    return hashlib.sha256(entity.encode("utf-8") + b"\n" + data).hexdigest()


# --- validation --------------------------------------------------------------------------------


def _report_value(value: object) -> object:
    """``value`` as JSON (a report is sent over HTTP): scalars kept, the rest as text."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, list):
        return [_report_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _report_value(v) for k, v in value.items()}
    return str(value)


def _entry(row: Row, column: str | None, message: str) -> dict[str, object]:
    value = row.get(column) if column is not None else None
    return {
        "file": row.source.file,
        "row": row.source.row,
        "column": column,
        "value": _report_value(value),
        "message": message,
    }


def _schema_errors(row: Row, exc: ValidationError) -> list[dict[str, object]]:
    """One report entry per pydantic error, its column being the first part of the location."""
    entries = []
    for error in exc.errors(include_url=False):
        loc = error["loc"]
        column = str(loc[0]) if loc else None
        message = error["msg"].removeprefix("Value error, ")
        if len(loc) > 1:
            path = str(loc[0]) + "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in loc[1:]
            )
            message = f"{path}: {message}"
        entries.append(_entry(row, column, message))
    return entries


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), _CHUNK):
        yield values[start : start + _CHUNK]


def _organisation_kinds(session: Session, ids: set[int]) -> dict[int, str]:
    """``{id: kind}`` of the organisations among ``ids`` that exist."""
    kinds: dict[int, str] = {}
    ordered = sorted(ids)
    for chunk in _chunks(ordered):
        for record_id, kind in session.execute(
            select(OrganisationRow.id, OrganisationRow.kind).where(OrganisationRow.id.in_(chunk))
        ):
            kinds[record_id] = kind
    return kinds


def _taken_identifiers(session: Session, pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (scheme, value) pairs among ``pairs`` already registered in the database.

    One query per scheme and chunk, ``scheme = ? AND value IN (...)``, which both backends
    look up in the unique index on (scheme, value). With a row-value ``(scheme, value) IN
    (...)`` list instead, PostgreSQL's check of a 50,000-row batch rose from 4 to 44 us per
    row over the first 200,000 organisations (server time; this form stayed at 3-5 us).
    """
    taken: set[tuple[str, str]] = set()
    table = OrganisationIdentifierRow
    by_scheme: dict[str, list[str]] = {}
    for scheme, value in sorted(pairs):
        by_scheme.setdefault(scheme, []).append(value)
    for scheme, values in by_scheme.items():
        for chunk in _chunks(values):
            found = session.execute(
                select(table.value).where(table.scheme == scheme, table.value.in_(chunk))
            )
            taken.update((scheme, value) for value in found.scalars())
    return taken


def _references(model: Any, entity: str) -> list[tuple[str, str, int]]:
    """``(column, what, organisation id)`` for every organisation a record refers to."""
    refs: list[tuple[str, str, int]] = []
    if getattr(model, "park_id", None) is not None:
        refs.append(("park_id", "park_id", int(model.park_id)))
    if entity in ("products", "needs"):
        refs.append(("organisation_id", "organisation_id", int(model.organisation_id)))
    if entity == "projects":
        refs.extend(
            ("participants", f"participants[{i}].organisation_id", int(p.organisation_id))
            for i, p in enumerate(model.participants)
        )
    return refs


def _check_database(
    session: Session,
    actor: Actor,
    spec: EntitySpec,
    rows: Sequence[Row],
    models: Sequence[Any],
) -> list[dict[str, object]]:
    """Report entries for rows whose references, identifiers or owner the database refuses."""
    report: list[dict[str, object]] = []
    refs = [_references(model, spec.name) for model in models]
    kinds = _organisation_kinds(session, {ref[2] for row_refs in refs for ref in row_refs})
    pairs = [
        [(_plain(i.scheme), i.value) for i in getattr(model, "identifiers", ())] for model in models
    ]
    taken = _taken_identifiers(session, {pair for row_pairs in pairs for pair in row_pairs})
    first_row: dict[tuple[str, str], int] = {}
    for row, model, row_refs, row_pairs in zip(rows, models, refs, pairs, strict=True):
        for column, what, organisation_id in row_refs:
            kind = kinds.get(organisation_id)
            if kind is None:
                report.append(
                    _entry(
                        row,
                        column,
                        f"{what} refers to organisation {organisation_id}, which does not exist",
                    )
                )
            elif column == "park_id" and kind != "industrial_park":
                report.append(
                    _entry(
                        row,
                        column,
                        f"park_id must be an organisation of kind industrial_park; "
                        f"organisation {organisation_id} is {kind}",
                    )
                )
        for scheme, value in row_pairs:
            if (scheme, value) in taken:
                report.append(
                    _entry(
                        row,
                        "identifiers",
                        f"identifier {scheme} {value} is already registered for another "
                        f"organisation",
                    )
                )
            elif (scheme, value) in first_row:
                report.append(
                    _entry(
                        row,
                        "identifiers",
                        f"identifier {scheme} {value} is repeated: row "
                        f"{first_row[(scheme, value)]} of this file has it too",
                    )
                )
            else:
                first_row[(scheme, value)] = row.source.row
        try:
            authorize(actor, "create", spec.name, owner_for_new(spec, model, actor))
        except PermissionDeniedError as exc:
            owner_column = "organisation_id" if spec.name in ("products", "needs") else None
            report.append(_entry(row, owner_column, str(exc)))
    return report


def _validated_models(spec: EntitySpec, rows: Sequence[Row]) -> tuple[list[Any], list[Any]]:
    """The rows as ``XCreate`` models, and the report entries of the rows that are not."""
    models: list[Any] = []
    report: list[dict[str, object]] = []
    for row in rows:
        try:
            models.append(spec.create_schema.model_validate(dict(row)))
        except ValidationError as exc:
            report.extend(_schema_errors(row, exc))
    return models, report


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _id_summary(ids: Sequence[int]) -> dict[str, object]:
    """The created ids for the audit row: a range when contiguous, else the full list."""
    if not ids:
        return {"count": 0}
    if ids[-1] - ids[0] + 1 == len(ids):  # ids are strictly increasing
        return {"count": len(ids), "first_id": ids[0], "last_id": ids[-1]}
    return {"count": len(ids), "ids": list(ids)}


def _duplicate(batch: ImportBatchRow, actor: Actor) -> ImportResult:
    """The earlier batch with the same content, answered only to its importer or an admin:
    anyone else learns that the file was taken, not the ids it created."""
    if actor.role is not Role.ADMIN and batch.actor_id != actor.user_id:
        raise ConflictError(
            f"this {batch.entity} file (sha256 {batch.content_sha256[:12]}...) was already "
            "imported by another account; nothing was stored"
        )
    return _result(batch, duplicate=True)


def _result(batch: ImportBatchRow, *, duplicate: bool) -> ImportResult:
    return ImportResult(
        batch_id=batch.id,
        entity=batch.entity,
        content_sha256=batch.content_sha256,
        rows=batch.rows,
        created_ids=tuple(int(i) for i in batch.created_ids),
        status=batch.status,
        duplicate=duplicate,
    )


def _existing(session: Session, entity: str, key: str) -> ImportBatchRow | None:
    return session.scalar(
        select(ImportBatchRow).where(
            ImportBatchRow.entity == entity, ImportBatchRow.content_sha256 == key
        )
    )


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a batch is parsed, validated and written.

    A batch allocates a few hundred thousand small dicts and lists at once, which triggers
    full collections that walk the whole heap again and again (a third of the import time on
    20,000 rows); none of these objects form cycles, so nothing is lost by waiting.
    Reference counting still frees memory as usual.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _check_importer(actor: Actor, entity: str, publish: bool) -> None:
    role = actor.role.value if actor.role is not None else "anonymous"
    if actor.role not in (Role.ADMIN, Role.EDITOR):
        raise PermissionDeniedError(
            f"{actor.label} ({role}) may not import {entity}; bulk import needs an admin or editor"
        )
    if entity == "organisations" and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"{actor.label} ({role}) may not import organisations; only admins may"
        )
    if publish and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"{actor.label} ({role}) may not import records as published; only admins may "
            "(editors' imports are drafts to submit for review)"
        )


def import_batch(
    registry: Registry,
    actor: Actor,
    entity: str,
    source: bytes | str | os.PathLike[str],
    fmt: BulkFormat,
    *,
    filename: str,
    publish: bool = False,
) -> ImportResult:
    """Import every row of ``source`` (bytes, or a path) as new ``entity`` records, or none.

    Records are drafts (``publish=True``, admins only: published). Admins may import every
    entity; editors products, needs and projects of their own organisation. Returns after the
    commit. Raises ImportValidationError (with ``report``) when the file cannot be read or any
    row is invalid, PermissionDeniedError when the actor may not import at all, and
    RecordValidationError for an unknown entity.
    """
    spec = spec_for(entity)
    _check_importer(actor, entity, publish)
    data = source if isinstance(source, bytes) else Path(source).read_bytes()
    key = batch_key(entity, data)
    with registry.session() as session:
        found = _existing(session, entity, key)
        if found is not None:
            return _duplicate(found, actor)
    with _gc_paused():
        return _import_new(registry, actor, spec, data, key, fmt, filename, publish)


def _invalid(report: list[dict[str, object]], filename: str, rows: int) -> ImportValidationError:
    first = report[0]
    return ImportValidationError(
        f"{len(report)} problem(s) in {filename} ({len({e['row'] for e in report})} of {rows} "
        f"rows); nothing imported; first: row {first['row']}, column {first['column']}: "
        f"{first['message']}",
        report=report,
    )


def _import_new(
    registry: Registry,
    actor: Actor,
    spec: EntitySpec,
    data: bytes,
    key: str,
    fmt: BulkFormat,
    filename: str,
    publish: bool,
) -> ImportResult:
    """:func:`import_batch` once the file is known not to be a re-run."""
    entity = spec.name
    rows = read_rows(data, fmt, filename=filename)
    if not rows:
        raise ImportValidationError(
            f"file {filename} has no rows; expected at least one {entity} record",
            report=[
                {"file": filename, "row": None, "column": None, "value": None, "message": "no rows"}
            ],
        )
    models, report = _validated_models(spec, rows)
    if report:
        raise _invalid(report, filename, len(rows))
    status = RecordStatus.PUBLISHED.value if publish else RecordStatus.DRAFT.value
    try:
        with registry.session() as session:
            found = _existing(session, entity, key)
            if found is not None:
                return _duplicate(found, actor)
            report = _check_database(session, actor, spec, rows, models)
            if report:
                raise _invalid(report, filename, len(rows))
            ids = write_records(session, actor, spec, models, status)
            batch = ImportBatchRow(
                entity=entity,
                content_sha256=key,
                filename=filename[:300],
                rows=len(ids),
                status=status,
                created_ids=ids,
                actor_id=actor.user_id,
                actor=actor.label,
                created_at=utcnow(),
            )
            session.add(batch)
            session.flush()
            audit.record(
                session,
                actor,
                "import",
                entity,
                None,
                {
                    "batch_id": batch.id,
                    "content_sha256": key,
                    "filename": batch.filename,
                    "status": status,
                    **_id_summary(ids),
                },
            )
            return _result(batch, duplicate=False)
    except ConflictError:
        # An identical import committed first (the unique batch key, or the identifiers its
        # records took): answer with that batch; any other conflict is the caller's to see.
        with registry.session() as session:
            found = _existing(session, entity, key)
            if found is not None:
                return _duplicate(found, actor)
        raise


# --- export ------------------------------------------------------------------------------------


def _export_row(record: BaseModel, fields: Iterable[str]) -> dict[str, object]:
    """The record's ``fields`` as JSON values; every row has every field (``None`` when
    unset), so each format writes the same columns for all rows (Parquet takes its columns
    from the first row)."""
    dumped = record.model_dump(mode="json")
    return {name: dumped.get(name) for name in fields}


def export_records(
    registry: Registry,
    actor: Actor,
    entity: str,
    fmt: BulkFormat,
    *,
    server_fields: bool = False,
    **filters: Any,
) -> bytes:
    """Every ``entity`` record the actor may see (narrowed by ``filters``, the keyword filters
    of :meth:`Registry.list`: ``kind``, ``country``, ``code_prefix``, ``q``, ``status``,
    ``organisation_id``), in id order, as a ``fmt`` file.

    By default the columns are the entity's ``XCreate`` fields, so the file imports as it is
    (:func:`import_batch`); ``server_fields=True`` adds ``id``, ``version``, ``status`` and the
    other server-owned fields (such a file is for reading, not for import).
    """
    spec = spec_for(entity)
    fields = list(spec.create_schema.model_fields)
    if server_fields:
        fields = ["id", *[f for f in spec.public_schema.model_fields if f != "id"]]
    if "limit" in filters or "offset" in filters:
        raise RecordValidationError(
            "export_records takes every matching record; limit and offset are not filters",
            field="limit" if "limit" in filters else "offset",
            value=filters.get("limit", filters.get("offset")),
        )
    rows: list[Mapping[str, object]] = []
    offset = 0
    while True:
        page = registry.list(actor, entity, limit=MAX_PAGE, offset=offset, **filters)
        rows.extend(_export_row(record, fields) for record in page.items)
        offset += len(page.items)
        if len(page.items) < MAX_PAGE:  # the last page (``total`` may be a lower bound)
            break
    return write_rows(rows, fmt)
