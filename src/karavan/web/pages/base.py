"""What every HTML page shares: the Jinja2 environment, :func:`render`, the navigation, the
embedding of Plotly figures, and the serving of Plotly's JavaScript from its installed wheel.

Templates live in ``karavan/web/templates`` and extend ``base.html`` (blocks ``title``,
``head``, ``content`` and ``scripts``). :func:`render` gives every template:

``lang``, ``other_lang``
    the page's language and the other one (``"ru"`` / ``"en"``);
``t``
    ``t(key, **params)``, the message catalogue in that language (:mod:`.i18n`);
``region_name``, ``sector_name``
    ``region_name(code)`` / ``sector_name(code)`` in that language;
``nav``, ``active``
    the navigation entries and the one the page belongs to;
``lang_url(lang)``
    this page's URL in another language (keeps the other query parameters);
``request``, ``static_url(path)``, ``num``, ``pct``
    the request, a static file's URL, and numbers formatted for the language.

The language comes from :func:`.i18n.negotiate`; when the request chose it with ``?lang=``,
the response stores it in the ``karavan_lang`` cookie (a year, ``SameSite=Lax``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter
from fastapi.responses import Response
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from karavan import __version__
from karavan.web.pages.i18n import (
    LANG_COOKIE,
    LANGS,
    Lang,
    negotiate,
    region_name,
    sector_name,
    translator,
)

__all__ = [
    "NAV",
    "PLOTLY_JS_URL",
    "STATIC_DIR",
    "TEMPLATE_DIR",
    "NavItem",
    "assets_router",
    "environment",
    "figure_json",
    "format_number",
    "format_share",
    "render",
]

TEMPLATE_DIR = Path(str(files("karavan.web").joinpath("templates")))
STATIC_DIR = Path(str(files("karavan.web").joinpath("static")))
PLOTLY_JS_URL = "/assets/plotly.min.js"
_COOKIE_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class NavItem:
    """One entry of the main navigation: its id (``active``), path and message key."""

    id: str
    path: str
    label_key: str


NAV: tuple[NavItem, ...] = (
    NavItem("overview", "/", "nav.overview"),
    NavItem("value_chains", "/value-chains", "nav.value_chains"),
    NavItem("dependency", "/dependency", "nav.dependency"),
    NavItem("scenarios", "/scenarios", "nav.scenarios"),
    NavItem("registry", "/registry", "nav.registry"),
    NavItem("matching", "/matching", "nav.matching"),
    NavItem("trade", "/trade", "nav.trade"),
)
"""Every page of the site, in menu order (a page not served yet is left out of the menu)."""


@cache
def environment() -> jinja2.Environment:
    """The templates' environment: autoescaping, undefined names are errors."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=jinja2.select_autoescape(("html", "xml"), default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def format_number(value: float | int | None, lang: Lang, digits: int = 0) -> str:
    """``12 345.6`` (Russian: thin space groups, decimal comma) or ``12,345.6`` (English);
    a dash for a missing value."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    text = f"{value:,.{digits}f}"
    if lang == "ru":
        text = text.replace(",", "\u202f").replace(".", ",")
    return text.replace("-", "−")


def format_share(value: float | None, lang: Lang, digits: int = 1) -> str:
    """A share as a percentage (``83.4%`` / ``83,4 %``)."""
    if value is None or not math.isfinite(value):
        return "—"
    number = format_number(100.0 * value, lang, digits)
    return f"{number}\u00a0%" if lang == "ru" else f"{number}%"


def figure_json(figure_json_text: str) -> Markup:
    """A figure's JSON made safe inside ``<script type="application/json">`` (no ``</``)."""
    safe = figure_json_text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(safe)


def _visible_nav(request: Request) -> list[NavItem]:
    """The entries whose page the application serves (pages land one by one)."""
    served: frozenset[str] = getattr(request.app.state, "page_paths", frozenset())
    return [item for item in NAV if item.path in served]


def _lang_url(request: Request, lang: Lang) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    params.append(("lang", lang))
    return f"{request.url.path}?{urlencode(params)}"


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
    active: str | None = None,
    lang: Lang | None = None,
) -> HTMLResponse:
    """The HTML response of ``template`` in the request's language with ``context`` added to
    the common names listed in the module's docstring. ``lang`` overrides the negotiation (the
    error pages pass it)."""
    chosen, from_query = negotiate(request)
    if lang is not None:
        chosen, from_query = lang, False
    other: Lang = LANGS[1] if chosen == LANGS[0] else LANGS[0]
    names: dict[str, Any] = {
        "request": request,
        "lang": chosen,
        "other_lang": other,
        "t": translator(chosen),
        "region_name": lambda code: region_name(str(code), chosen),
        "sector_name": lambda code: sector_name(str(code), chosen),
        "num": lambda value, digits=0: format_number(value, chosen, digits),
        "pct": lambda value, digits=1: format_share(value, chosen, digits),
        "nav": _visible_nav(request),
        "active": active,
        "lang_url": lambda target: _lang_url(request, target),
        "static_url": lambda path: f"/static/{path}?v={__version__}",
        "plotly_js_url": f"{PLOTLY_JS_URL}?v={_plotly_version()}",
        "figure_json": figure_json,
    }
    names.update(context or {})
    html = environment().get_template(template).render(names)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = chosen
    response.headers["Vary"] = "Accept-Language, Cookie"
    if from_query:
        response.set_cookie(LANG_COOKIE, chosen, max_age=_COOKIE_MAX_AGE, samesite="lax")
    return response


# ---------------------------------------------------------------------- Plotly's JavaScript
@cache
def _plotly_js() -> bytes:
    """``plotly.min.js`` as shipped inside the installed ``plotly`` wheel (never a CDN)."""
    path = Path(str(files("plotly").joinpath("package_data", "plotly.min.js")))
    return path.read_bytes()


@cache
def _plotly_version() -> str:
    from importlib.metadata import version

    return version("plotly")


def assets_router() -> APIRouter:
    """``GET /assets/plotly.min.js``: Plotly's JavaScript from the installed package."""
    router = APIRouter(include_in_schema=False)

    @router.get(PLOTLY_JS_URL)
    def plotly_js() -> Response:
        return Response(
            _plotly_js(),
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=31536000, immutable"},
        )

    return router
