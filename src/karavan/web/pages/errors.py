"""Friendly HTML error pages for the site, the one JSON error shape for the API.

:func:`install_html_errors` wraps every exception handler that
:func:`karavan.web.errors.install_error_handlers` registered: under ``/api`` the handler's JSON
response is returned as it is; anywhere else the same status, message and headers are shown as
``error.html`` in the visitor's language (a link home, the technical message for 4xx, a generic
one for 5xx whose details went to the server's log).
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any, cast

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import Response

from karavan.web.pages.base import render

__all__ = ["API_PATH_PREFIX", "install_html_errors", "wants_json"]

API_PATH_PREFIX = "/api/"

Handler = Callable[[Request, Exception], Awaitable[Response]]
_SKIPPED_HEADERS = {"content-type", "content-length"}


def wants_json(request: Request) -> bool:
    """Whether an error on ``request`` is answered in JSON (the API, and the assets)."""
    path = request.url.path
    return path.startswith(API_PATH_PREFIX) or path == API_PATH_PREFIX.rstrip("/")


def _html_or(original: Handler) -> Handler:
    async def handler(request: Request, exc: Exception) -> Response:
        response = await original(request, exc)
        if wants_json(request):
            return response
        error: dict[str, Any] = {}
        try:
            error = json.loads(bytes(response.body)).get("error", {})
        except (ValueError, AttributeError):
            error = {}
        page = render(
            request,
            "error.html",
            {
                "status": response.status_code,
                "error_type": str(error.get("type", "")),
                "message": str(error.get("message", "")),
            },
            status_code=response.status_code,
        )
        for name, value in response.headers.items():
            if name.lower() not in _SKIPPED_HEADERS:
                page.headers[name] = value
        return page

    return handler


def install_html_errors(app: FastAPI) -> None:
    """Make every registered error handler answer HTML outside ``/api`` (call it after
    ``install_error_handlers``)."""
    for key, original in list(app.exception_handlers.items()):
        app.add_exception_handler(key, _html_or(cast(Handler, original)))
