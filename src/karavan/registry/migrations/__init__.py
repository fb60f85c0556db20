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

from karavan.registry.store.search_index import is_search_object

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
    """Autogenerate's filter: leave out the full-text index objects, which the migrations
    create in raw SQL and the models do not describe
    (:func:`karavan.registry.store.search_index.is_search_object`): SQLite's ``fts_*`` tables
    and their shadow tables, PostgreSQL's GIN indexes and its generated ``search_vector``
    columns (without this, autogenerate would propose dropping them)."""
    return not is_search_object(name, type_)


def upgrade_to_head(connection: Connection) -> None:
    """Upgrade the database behind ``connection`` to the newest revision, in its transaction."""
    command.upgrade(alembic_config(connection), "head")
