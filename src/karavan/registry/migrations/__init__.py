"""Alembic migrations of the registry's schema, packaged with the code.

:func:`upgrade_to_head` runs them on a connection without an ``alembic.ini``: the script
location is this package's directory and the connection is handed to ``env.py`` through
``config.attributes["connection"]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

__all__ = ["MIGRATIONS_DIR", "alembic_config", "include_object", "upgrade_to_head"]

MIGRATIONS_DIR = Path(__file__).resolve().parent


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the packaged migrations (and ``connection``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Autogenerate's filter: leave out the full-text index objects, which the migration
    creates in raw SQL (:mod:`karavan.registry.store.search_index`) and the models do not
    describe: SQLite's ``fts_*`` tables and their shadow tables, PostgreSQL's GIN indexes."""
    if name is None:
        return True
    if type_ == "table" and name.startswith("fts_"):
        return False
    return not (type_ == "index" and name.endswith("_search_text_fts"))


def upgrade_to_head(connection: Connection) -> None:
    """Upgrade the database behind ``connection`` to the newest revision, in its transaction."""
    command.upgrade(alembic_config(connection), "head")
