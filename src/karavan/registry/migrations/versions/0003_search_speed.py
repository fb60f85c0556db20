"""Search and list speed at a million records (BENCHMARKS.md, "Registry (issue 6)").

- PostgreSQL: every searchable table gets a stored generated column ``search_vector``
  (``to_tsvector('simple', search_text)``) and its GIN index replaces the expression index of
  0001 (same name), so that rechecking a lossy bitmap reads the vector instead of parsing the
  text again (:func:`karavan.registry.store.search_index.search_vector_sql`). SQLite: nothing
  (FTS5 already stores its index).
- Both: an index on ``organisations (status, country, kind)``, the filters of a list of
  organisations (the index on ``status`` alone stays: SQLite's search plan looks matches up
  by ``(status, rowid)`` in it).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

from karavan.registry.store import search_index

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in search_index.search_vector_sql(dialect):
        op.execute(statement)
    op.create_index(
        "ix_organisations_status_country_kind",
        "organisations",
        ["status", "country", "kind"],
        unique=False,
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.drop_index("ix_organisations_status_country_kind", table_name="organisations")
    for statement in search_index.drop_search_vector_sql(dialect):
        op.execute(statement)
