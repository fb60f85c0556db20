"""Engines for the registry's two backends: SQLite (one file, for a laptop or a small server)
and PostgreSQL (through psycopg 3).

SQLite connections are set up for a web server with several threads: write-ahead logging (readers
never block the writer), ``foreign_keys=ON`` (SQLite leaves them off by default), a busy timeout
(a writer waits for the lock instead of failing at once) and ``synchronous=NORMAL`` (durable at
each checkpoint and safe against corruption in WAL mode).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import StaticPool

from karavan.errors import RegistryError

__all__ = ["BUSY_TIMEOUT_MS", "make_engine", "normalise_url"]

BUSY_TIMEOUT_MS = 30_000
"""How long a SQLite connection waits for a lock held by another writer."""


def normalise_url(url: str) -> str:
    """The URL with PostgreSQL routed to psycopg 3: ``postgresql://`` and ``postgres://``
    become ``postgresql+psycopg://``; other URLs are returned unchanged."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str) -> Engine:
    """An engine for ``sqlite:///path``, ``sqlite://`` (in memory, one shared connection) or
    ``postgresql[+psycopg]://user:pass@host:port/db``.

    Raises :class:`~karavan.errors.RegistryError` for any other backend.
    """
    parsed = make_url(normalise_url(url))
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        engine = create_engine(
            parsed,
            connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            poolclass=StaticPool if in_memory else None,
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            raise RegistryError(
                f"PostgreSQL is reached through psycopg 3 (postgresql+psycopg://); "
                f"got driver {parsed.get_driver_name()!r} in {parsed.render_as_string()}"
            )
        return create_engine(parsed, pool_pre_ping=True)
    raise RegistryError(
        f"the registry runs on SQLite or PostgreSQL; got backend {backend!r} "
        f"in {parsed.render_as_string()}"
    )
