"""Full-text indexes over the records' ``search_text`` and the one query function over them.

``search_text`` already holds stemmed, lower-cased terms (:func:`karavan.registry.search.
search_document`), so the database only has to split on spaces and match prefixes; no language
configuration of the database is involved and both backends answer the same:

- SQLite: one FTS5 table per searchable table, ``fts_<table>``, an external-content index over
  ``<table>.search_text`` (``content_rowid='id'``), kept in sync by AFTER INSERT / UPDATE / DELETE
  triggers; a query is ``"term1"* "term2"*`` (every term, as a prefix).
- PostgreSQL: a stored generated column ``search_vector tsvector GENERATED ALWAYS AS
  (to_tsvector('simple', search_text)) STORED`` with a GIN index on it (migration 0003); a
  query is ``search_vector @@ to_tsquery('simple', 'term1:* & term2:*')``.

Why a stored column on PostgreSQL (migration 0001 indexed the expression
``to_tsvector('simple', search_text)`` instead): a broad term matches hundreds of thousands of
rows, whose bitmap does not fit ``work_mem`` and goes lossy; every row of a lossy page is then
rechecked, which with an expression index means parsing ``search_text`` into a tsvector again
(2.9 s to count 'завод' in a million organisations). With the vector stored the recheck only
reads it (a count capped at 10,001 matches: 102 -> 5.9 ms at 300,000 organisations). The
column is not in the ORM models (SQLite has no such column: FTS5 plays its part), so
:data:`SEARCH_VECTOR` is what schema comparisons leave out (:func:`is_search_object`).

:func:`index_sql` gives the DDL of migration 0001, :func:`search_vector_sql` that of 0003;
:func:`matching_all_terms` is the filter the service adds to a query.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Integer, Table, bindparam, column, func, literal_column, text
from sqlalchemy.dialects.postgresql import TSVECTOR

from karavan.errors import RegistryError

__all__ = [
    "SEARCHABLE_TABLES",
    "SEARCH_VECTOR",
    "drop_index_sql",
    "drop_search_vector_sql",
    "index_sql",
    "is_search_object",
    "matching_all_terms",
    "search_vector_sql",
]

SEARCHABLE_TABLES = ("organisations", "products", "needs", "projects")
SEARCH_VECTOR = "search_vector"
"""PostgreSQL only: the stored tsvector column of every searchable table (migration 0003)."""
_WORD = re.compile(r"\w+")


def _check_dialect(dialect_name: str) -> None:
    if dialect_name not in ("sqlite", "postgresql"):
        raise RegistryError(
            f"full-text search supports the dialects 'sqlite' and 'postgresql'; "
            f"got {dialect_name!r}"
        )


def _sqlite_sql(table: str) -> list[str]:
    fts = f"fts_{table}"
    insert = f"INSERT INTO {fts}(rowid, search_text) VALUES (new.id, new.search_text);"
    delete = (
        f"INSERT INTO {fts}({fts}, rowid, search_text) VALUES ('delete', old.id, old.search_text);"
    )
    return [
        f"CREATE VIRTUAL TABLE {fts} USING fts5(search_text, content='{table}', "
        "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
        f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER {fts}_au AFTER UPDATE OF search_text ON {table} "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",
    ]


def index_sql(dialect_name: str) -> list[str]:
    """DDL statements creating the full-text indexes of every searchable table."""
    _check_dialect(dialect_name)
    if dialect_name == "sqlite":
        return [sql for table in SEARCHABLE_TABLES for sql in _sqlite_sql(table)]
    return [
        f"CREATE INDEX ix_{table}_search_text_fts ON {table} "
        "USING gin (to_tsvector('simple', search_text))"
        for table in SEARCHABLE_TABLES
    ]


def drop_index_sql(dialect_name: str) -> list[str]:
    """DDL statements removing what :func:`index_sql` created (for downgrades)."""
    _check_dialect(dialect_name)
    if dialect_name == "sqlite":
        return [
            sql
            for table in SEARCHABLE_TABLES
            for sql in (
                f"DROP TRIGGER IF EXISTS fts_{table}_ai",
                f"DROP TRIGGER IF EXISTS fts_{table}_ad",
                f"DROP TRIGGER IF EXISTS fts_{table}_au",
                f"DROP TABLE IF EXISTS fts_{table}",
            )
        ]
    return [f"DROP INDEX IF EXISTS ix_{table}_search_text_fts" for table in SEARCHABLE_TABLES]


def search_vector_sql(dialect_name: str) -> list[str]:
    """DDL of migration 0003: on PostgreSQL, replace each expression GIN index of
    :func:`index_sql` by a stored ``search_vector`` column and a GIN index on it (same index
    name); nothing on SQLite. Adding the column rewrites each table once."""
    _check_dialect(dialect_name)
    if dialect_name == "sqlite":
        return []
    return [
        sql
        for table in SEARCHABLE_TABLES
        for sql in (
            f"ALTER TABLE {table} ADD COLUMN {SEARCH_VECTOR} tsvector "
            f"GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED",
            f"DROP INDEX IF EXISTS ix_{table}_search_text_fts",
            f"CREATE INDEX ix_{table}_search_text_fts ON {table} USING gin ({SEARCH_VECTOR})",
        )
    ]


def drop_search_vector_sql(dialect_name: str) -> list[str]:
    """DDL undoing :func:`search_vector_sql` (back to migration 0001's expression indexes)."""
    _check_dialect(dialect_name)
    if dialect_name == "sqlite":
        return []
    return [
        sql
        for table in SEARCHABLE_TABLES
        for sql in (
            f"DROP INDEX IF EXISTS ix_{table}_search_text_fts",
            f"ALTER TABLE {table} DROP COLUMN IF EXISTS {SEARCH_VECTOR}",
            f"CREATE INDEX ix_{table}_search_text_fts ON {table} "
            "USING gin (to_tsvector('simple', search_text))",
        )
    ]


def is_search_object(name: str | None, type_: str) -> bool:
    """Whether a database object belongs to the full-text machinery that the migrations create
    in raw SQL and the ORM models do not describe: SQLite's ``fts_*`` tables (and their shadow
    tables), the ``*_search_text_fts`` GIN indexes and PostgreSQL's ``search_vector`` columns.
    Schema comparisons (Alembic's ``include_object``) leave these out."""
    if name is None:
        return False
    if type_ == "table":
        return name.startswith("fts_")
    if type_ == "index":
        return name.endswith("_search_text_fts")
    return type_ == "column" and name == SEARCH_VECTOR


def matching_all_terms(table: Table, terms: list[str], dialect_name: str) -> ColumnElement[bool]:
    """A WHERE clause keeping the rows of ``table`` whose ``search_text`` has, for every one of
    ``terms``, a token starting with it.

    ``terms`` come from :func:`karavan.registry.search.query_terms` (word characters only, at
    least one); anything else is refused rather than embedded in a query string.
    """
    _check_dialect(dialect_name)
    if table.name not in SEARCHABLE_TABLES:
        raise RegistryError(
            f"table {table.name!r} has no full-text index; expected one of {SEARCHABLE_TABLES}"
        )
    if not terms or not all(_WORD.fullmatch(term) for term in terms):
        raise RegistryError(f"search terms must be non-empty words; got {terms!r}")
    if dialect_name == "sqlite":
        fts = f"fts_{table.name}"
        match = " ".join(f'"{term}"*' for term in terms)
        rowids = (
            text(f"SELECT rowid FROM {fts} WHERE {fts} MATCH :fts_match")
            .bindparams(fts_match=match)
            .columns(column("rowid", Integer))
        )
        return table.c.id.in_(rowids)
    tsquery = " & ".join(f"{term}:*" for term in terms)
    simple: ColumnElement[Any] = literal_column("'simple'")
    vector = column(SEARCH_VECTOR, TSVECTOR, _selectable=table)
    return vector.bool_op("@@")(func.to_tsquery(simple, bindparam("ts_match", tsquery)))
