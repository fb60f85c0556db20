"""Health checks of a registry database, for the crash tests and operators: what the database
engine says of itself, and the registry's own invariants (every record's current version has
its history row; the audit chain verifies)."""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from karavan.registry import audit
from karavan.registry.entities import SPECS
from karavan.registry.store.models import RecordHistoryRow

__all__ = ["integrity_problems"]


def integrity_problems(session: Session, dialect: str) -> list[str]:
    """Problems found (empty when sound). SQLite: ``PRAGMA integrity_check``, ``PRAGMA
    foreign_key_check`` and the FTS5 indexes' ``integrity-check``. Both backends: every record
    has the history row of its current version, and the audit chain verifies."""
    problems: list[str] = []
    if dialect == "sqlite":
        for (line,) in session.execute(text("PRAGMA integrity_check")):
            if line != "ok":
                problems.append(f"sqlite integrity_check: {line}")
        for table, rowid, parent, fk in session.execute(text("PRAGMA foreign_key_check")):
            problems.append(
                f"{table} row {rowid} refers to a missing {parent} row (foreign key {fk})"
            )
        for name in SPECS:
            try:
                session.execute(
                    text(f"INSERT INTO fts_{name}(fts_{name}) VALUES ('integrity-check')")
                )
            except DatabaseError as exc:
                problems.append(f"full-text index fts_{name}: {exc.orig}")
        session.rollback()
    for name, spec in SPECS.items():
        missing = session.execute(
            select(spec.row.id, spec.row.version).where(
                ~select(RecordHistoryRow.id)
                .where(
                    RecordHistoryRow.entity == name,
                    RecordHistoryRow.entity_id == spec.row.id,
                    RecordHistoryRow.version == spec.row.version,
                )
                .exists()
            )
        ).all()
        problems.extend(
            f"{name} {record_id} version {version} has no record_history row"
            for record_id, version in missing
        )
    problems.extend(audit.verify_chain(session))
    return problems
