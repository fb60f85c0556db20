"""Alembic environment of the registry: online migrations on the connection the caller passes
in ``config.attributes["connection"]`` (see :func:`karavan.registry.migrations.upgrade_to_head`),
or on an engine from the ``sqlalchemy.url`` option when run from the ``alembic`` command."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from karavan.registry.migrations import include_object
from karavan.registry.store import models  # noqa: F401 (registers every table on Base)
from karavan.registry.store.base import Base
from karavan.registry.store.engine import make_engine

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        include_object=include_object,
        # SQLite alters tables by copying them (batch mode); autogenerate may turn it off.
        render_as_batch=context.config.attributes.get(
            "render_as_batch", connection.dialect.name == "sqlite"
        ),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = context.config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("set sqlalchemy.url or pass a connection in config.attributes")
    engine = make_engine(url)
    try:
        with engine.connect() as fresh:
            _run(fresh)
            fresh.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("the registry's migrations run online only (they inspect the dialect)")
run_migrations_online()
