"""Writing a validated bulk-import batch: records, child rows and history rows, straight to the
database driver.

:mod:`karavan.registry.bulk` validates a whole file first and then calls :func:`write_records`
inside its transaction. This module holds that write path, split out because it is the one place
that bypasses the ORM: at 50,000 rows a batch, SQLAlchemy's per-row parameter handling and
psycopg's one ``INSERT`` per row cost more than the database's own work. So the ids are reserved
up front (:func:`_new_ids`) and every table is filled by the driver (:func:`_insert_rows`):
PostgreSQL gets one ``COPY ... FROM STDIN`` stream per table, SQLite one ``executemany`` of the
sqlite3 module. Triggers, constraints and indexes apply as for any insert; nothing here commits,
and a failure rolls the whole batch back with the caller's session.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from enum import Enum
from itertools import chain
from typing import Any, cast

from pydantic import TypeAdapter
from sqlalchemy import JSON, Table, func, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from karavan.registry.actors import Actor
from karavan.registry.entities import EntitySpec
from karavan.registry.search import search_document
from karavan.registry.store.base import utcnow
from karavan.registry.store.models import (
    OrganisationIdentifierRow,
    OrganisationSiteRow,
    ProjectCountryRow,
    ProjectParticipantRow,
    ProjectSectorRow,
    RecordHistoryRow,
)

__all__ = ["write_records"]

_DATETIME = TypeAdapter(datetime)


def _plain(value: Any) -> Any:
    return value.value if isinstance(value, Enum) else value


def _table(row_class: Any) -> Table:
    return cast(Table, row_class.__table__)


def _insert_children(session: Session, spec: EntitySpec, ids: Sequence[int], models: Any) -> None:
    """Child rows (identifiers and sites; countries, sectors and participants) of new records."""
    children: dict[Table, list[dict[str, Any]]] = {}
    if spec.name == "organisations":
        site_fields = ("name", "country", "region", "locality", "lat", "lon")
        children[_table(OrganisationIdentifierRow)] = [
            {"organisation_id": rid, "scheme": _plain(i.scheme), "value": i.value}
            for rid, model in zip(ids, models, strict=True)
            for i in model.identifiers
        ]
        children[_table(OrganisationSiteRow)] = [
            {"organisation_id": rid, **{name: getattr(site, name) for name in site_fields}}
            for rid, model in zip(ids, models, strict=True)
            for site in model.sites
        ]
    elif spec.name == "projects":
        pairs = list(zip(ids, models, strict=True))
        children[_table(ProjectCountryRow)] = [
            {"project_id": rid, "country": c} for rid, m in pairs for c in m.countries
        ]
        children[_table(ProjectSectorRow)] = [
            {"project_id": rid, "isic_code": s} for rid, m in pairs for s in m.sectors
        ]
        children[_table(ProjectParticipantRow)] = [
            {"project_id": rid, "organisation_id": p.organisation_id, "role": _plain(p.role)}
            for rid, m in pairs
            for p in m.participants
        ]
    for table, values in children.items():
        _insert_rows(session, table, values)


def _insert_rows(session: Session, table: Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts with the same keys, plain values) into ``table`` inside the
    session's transaction, through the driver rather than SQLAlchemy's executemany.

    Why: at 50,000 rows a batch, SQLAlchemy's per-row parameter handling and psycopg's one
    ``INSERT`` per row (through its pipeline) cost more than the database's own work.
    PostgreSQL gets one ``COPY ... FROM STDIN`` stream per table (JSON values sent as their
    text; generated columns such as ``search_vector`` are left to the server); SQLite one
    ``executemany`` of the sqlite3 module, each value first converted by its column type's
    bind processor exactly as SQLAlchemy would (JSON to text, dates to ISO strings).
    Triggers, constraints and indexes apply as for any insert: the FTS5 trigger fills the
    full-text index, and a failure rolls back the whole batch with the session.

    ``rows`` may be a generator: on PostgreSQL the server then stores the rows already sent
    while the next ones are still being built (:func:`write_records` stems them on the way).
    """
    iterator = iter(rows)
    first = next(iterator, None)
    if first is None:
        return
    names = list(first)
    connection = session.connection()
    driver: Any = connection.connection.driver_connection
    dbapi: Any = connection.dialect.loaded_dbapi
    try:
        _driver_insert(driver, connection.dialect, table, names, chain([first], iterator))
    except dbapi.IntegrityError as exc:
        # As SQLAlchemy would have raised it, so that the session turns it into ConflictError
        # (and a racing identical import is answered with the winner's batch).
        raise IntegrityError(f"bulk insert into {table.name}", None, exc) from exc


def _driver_insert(
    driver: Any, dialect: Dialect, table: Table, names: list[str], rows: Iterable[dict[str, Any]]
) -> None:
    """:func:`_insert_rows` once the driver connection is at hand."""
    columns = ", ".join(names)
    if dialect.name == "postgresql":
        json_names = {n for n in names if isinstance(table.c[n].type, JSON)}
        copy_sql = f"COPY {table.name} ({columns}) FROM STDIN"
        with driver.cursor() as cursor, cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[n]) if n in json_names else row[n] for n in names])
        return
    processors = [
        (index, processor)
        for index, name in enumerate(names)
        if (processor := table.c[name].type.bind_processor(dialect)) is not None
    ]

    def values() -> Iterator[list[Any]]:
        for row in rows:
            value = [row[name] for name in names]
            for index, processor in processors:
                value[index] = processor(value[index])
            yield value

    marks = ", ".join("?" * len(names))
    driver.executemany(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", values())


def _new_ids(session: Session, table: Table, count: int) -> list[int]:
    """``count`` fresh ids for ``table``, increasing, reserved inside the caller's transaction.

    SQLite: the rows after the largest id (the transaction holds the write lock from ``BEGIN
    IMMEDIATE``, so nobody else can take them). PostgreSQL: ``nextval`` of the id column's
    sequence, ``count`` times in one query (values another transaction takes in between are
    skipped, so the ids may have gaps). Setting the ids ourselves lets one executemany
    ``INSERT`` write the whole batch with no ``RETURNING`` round trip per row.
    """
    if session.get_bind().dialect.name == "postgresql":
        found = session.execute(
            text(
                "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                "FROM generate_series(1, :count)"
            ),
            {"table": table.name, "count": count},
        ).scalars()
        return sorted(int(i) for i in found)
    largest = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(largest + 1, largest + 1 + count))


def write_records(
    session: Session, actor: Actor, spec: EntitySpec, models: Sequence[Any], status: str
) -> list[int]:
    """Insert the records, their children and their version-1 history rows; the new ids.

    The history row's ``data`` is the record's ``XPublic`` as JSON, built from the validated
    model and the server-owned fields (what :meth:`Registry.create_in` stores, without
    re-validating each record as ``XPublic``).
    """
    now = utcnow()
    server = {
        "version": 1,
        "status": status,
        "review_note": None,
        "created_at": now,
        "updated_at": now,
        "created_by": actor.user_id,
        "updated_by": actor.user_id,
    }
    stamp = _DATETIME.dump_python(now, mode="json")
    server_json = {**server, "created_at": stamp, "updated_at": stamp}
    if spec.name == "projects":
        server["owner_organisation_id"] = server_json["owner_organisation_id"] = (
            actor.organisation_id
        )
    table = _table(spec.row)
    ids = _new_ids(session, table, len(models))
    history: list[dict[str, Any]] = []

    def records() -> Iterator[dict[str, Any]]:
        """The record rows, built (and stemmed) as the insert consumes them; each one's
        history row is appended to ``history`` on the way."""
        for record_id, model in zip(ids, models, strict=True):
            data = model.model_dump(mode="json")
            row = {name: _plain(getattr(model, name)) for name in spec.scalars}
            row["sources"] = data["sources"]
            row["search_text"] = search_document(*spec.search_texts(model))
            if spec.name == "products":
                row["certifications"] = data["certifications"]
            row.update(server, id=record_id)
            data.update(server_json, id=record_id)
            owner: int | None
            if spec.name == "organisations":
                owner = record_id
            elif spec.name == "projects":
                owner = actor.organisation_id
            else:
                owner = int(model.organisation_id)
            history.append(
                {
                    "entity": spec.name,
                    "entity_id": record_id,
                    "version": 1,
                    "action": "create",
                    "status": status,
                    "owner_organisation_id": owner,
                    "data": data,
                    "changed_at": now,
                    "changed_by": actor.user_id,
                }
            )
            yield row

    _insert_rows(session, table, records())
    if len(history) != len(ids):
        raise RuntimeError(
            f"bulk insert of {spec.name}: built {len(history)} history rows; expected one per "
            f"record, {len(ids)}"
        )
    _insert_children(session, spec, ids, models)
    _insert_rows(session, _table(RecordHistoryRow), history)
    return ids
