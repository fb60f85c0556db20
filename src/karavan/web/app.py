"""The web application factory: ``create_app(settings)`` serves the registry's JSON API.

``karavan serve`` runs it with uvicorn's factory string ``karavan.web.app:create_app`` (the CLI
never imports this package): settings then come from the environment (``KARAVAN_*``). Tests and
embedders pass ``settings`` and, if they like, a ready ``registry``.

Layout: JSON under ``/api/v1`` (records, auth, users, changes, audit, health, bulk, matching),
OpenAPI at ``/api/v1/openapi.json``, interactive docs at ``/api/v1/docs``. Every error has one
shape (:mod:`karavan.web.errors`); bodies over ``settings.max_body_bytes`` are refused with 413
before they are read (:mod:`karavan.web.limits`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI

from karavan import __version__
from karavan.registry import Registry, open_registry
from karavan.settings import Settings
from karavan.web.api import analytics as analytics_api
from karavan.web.api import auth, bulk, feeds, matching, records
from karavan.web.api.records import API_PREFIX
from karavan.web.errors import ErrorResponse, install_error_handlers
from karavan.web.limits import BodySizeLimit
from karavan.web.pages import install_pages
from karavan.web.pages.analytics import warm_caches

__all__ = ["API_PREFIX", "create_app"]

logger = logging.getLogger(__name__)

_ERRORS = {
    status: {"model": ErrorResponse, "description": description}
    for status, description in (
        (400, "Bad request"),
        (401, "Not signed in, or bad credentials"),
        (403, "Not allowed (or missing CSRF token)"),
        (404, "Not found, or not visible to the caller"),
        (409, "Conflict"),
        (412, "Stale If-Match version"),
        (413, "Body too large"),
        (422, "Invalid body or parameters"),
        (428, "If-Match required"),
        (429, "Too many attempts"),
    )
}


def _api_router() -> APIRouter:
    router = APIRouter(prefix=API_PREFIX, responses=_ERRORS)  # type: ignore[arg-type]
    for entity_router in records.record_routers():
        router.include_router(entity_router)
    router.include_router(auth.router)
    router.include_router(feeds.router)
    router.include_router(bulk.router)
    router.include_router(analytics_api.router)
    router.include_router(matching.router)
    return router


def _warm(data_dir: str) -> None:
    """Fill the analytics caches; logged, never raised (the pages compute on demand anyway)."""
    try:
        warm_caches(data_dir)
    except Exception:  # a start-up nicety must not take the server down
        logger.exception("warming the analytics caches failed; pages will compute on demand")


def create_app(settings: Settings | None = None, *, registry: Registry | None = None) -> FastAPI:
    """The API application over ``registry`` (default: the database of ``settings``, whose
    schema is brought up to date; it is closed when the application shuts down)."""
    settings = settings if settings is not None else Settings()
    owned = registry is None
    if registry is None and not settings.database_url:
        settings.data_dir.mkdir(parents=True, exist_ok=True)  # the default SQLite file's home
    served = registry if registry is not None else open_registry(settings.registry_url())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.warm_caches:
            threading.Thread(
                target=_warm, args=(str(settings.data_dir),), name="karavan-warm", daemon=True
            ).start()
        yield
        if owned:
            served.close()

    app = FastAPI(
        title="Karavan registry API",
        version=__version__,
        description=(
            "Organisations, products, needs and joint projects of the Eurasian industrial "
            "cooperation registry. See docs/api.md."
        ),
        openapi_url=f"{API_PREFIX}/openapi.json",
        docs_url=f"{API_PREFIX}/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.registry = served
    app.state.matcher = matching.MatcherHolder(served)
    install_error_handlers(app)
    app.include_router(_api_router())
    install_pages(app)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
