"""The server-rendered web pages (Jinja2 templates, Plotly charts, Russian and English).

:func:`install_pages` is all the application factory calls: it adds :func:`pages_router`
(every page module's ``router`` and Plotly's JavaScript), mounts ``/static`` (Karavan's own CSS
and JavaScript) and makes errors outside ``/api`` friendly HTML pages. Page modules are listed in
:data:`PAGE_MODULES`; each defines ``router``, an ``APIRouter`` of its pages, and renders with
:func:`karavan.web.pages.base.render`. A listed module that does not exist yet is skipped (pages
land one at a time), any other import error propagates. See docs/web.md.
"""

from __future__ import annotations

import importlib
import importlib.util

from fastapi import APIRouter, FastAPI
from starlette.staticfiles import StaticFiles

from karavan.web.pages.base import STATIC_DIR, assets_router
from karavan.web.pages.errors import install_html_errors

__all__ = ["PAGE_MODULES", "install_pages", "pages_router", "served_paths"]

PAGE_MODULES: tuple[str, ...] = (
    "karavan.web.pages.analytics_pages",
    "karavan.web.pages.scenarios",
    "karavan.web.pages.registry",
    "karavan.web.pages.matching",
    "karavan.web.pages.trade",
)
"""The page modules, each with a ``router``; the navigation is :data:`.base.NAV`."""


def _page_routers() -> list[APIRouter]:
    routers: list[APIRouter] = []
    for name in PAGE_MODULES:
        if importlib.util.find_spec(name) is None:
            continue
        module = importlib.import_module(name)
        routers.append(module.router)
    return routers


def pages_router() -> APIRouter:
    """Every page module's routes and ``/assets/plotly.min.js`` (HTML: not in the OpenAPI)."""
    router = APIRouter(include_in_schema=False)
    router.include_router(assets_router())
    for page_router in _page_routers():
        router.include_router(page_router)
    return router


def served_paths() -> frozenset[str]:
    """The paths the page modules serve (the navigation shows the entries among them)."""
    return frozenset(str(getattr(route, "path", "")) for r in _page_routers() for route in r.routes)


def install_pages(app: FastAPI) -> None:
    """Add the pages, ``/static`` and the HTML error pages to ``app`` (after its API and its
    error handlers)."""
    app.include_router(pages_router())
    app.state.page_paths = served_paths()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_html_errors(app)
