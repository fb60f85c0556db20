"""One JSON error shape for every error the API returns, and the mapping of Karavan's errors.

Every error response, whatever raised it (the registry, FastAPI's request validation, Starlette's
404 for an unknown route or 405 for a wrong method, the body-size limit, a bug), has the body::

    {"error": {"type": "<ExceptionClassName or http_error>", "message": "...", "details": [...]}}

Karavan's errors map to statuses by class (the most specific class wins)::

    RecordNotFoundError        404
    AuthenticationError        401  (with WWW-Authenticate: Bearer)
    PermissionDeniedError      403
    StaleWriteError            412
    ConflictError              409
    RecordValidationError      422  (details: field and value; imports: the row-level report)
    RateLimitedError           429  (with Retry-After)
    any other KaravanError     400

Anything unexpected is a 500 with the same shape and a generic message: the traceback goes to
the server's log, never into the body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from karavan.errors import (
    AuthenticationError,
    ConflictError,
    ImportValidationError,
    KaravanError,
    PermissionDeniedError,
    RateLimitedError,
    RecordNotFoundError,
    RecordValidationError,
    StaleWriteError,
)

__all__ = [
    "HTTP_ERROR",
    "ApiError",
    "ErrorBody",
    "ErrorResponse",
    "error_response",
    "install_error_handlers",
    "status_for",
]

log = logging.getLogger("karavan.web")

HTTP_ERROR = "http_error"
"""``type`` of errors that come from HTTP itself (unknown route, wrong method, bad header)."""

_STATUS: tuple[tuple[type[KaravanError], int], ...] = (
    (RecordNotFoundError, 404),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (StaleWriteError, 412),
    (ConflictError, 409),
    (RecordValidationError, 422),
    (RateLimitedError, 429),
)


class ErrorBody(BaseModel):
    """What went wrong: the error's class name (or ``http_error``), a message, details."""

    type: str
    message: str
    details: list[Any] = []


class ErrorResponse(BaseModel):
    """The body of every error response (documented in the OpenAPI spec)."""

    error: ErrorBody


class ApiError(Exception):
    """An error the web layer raises itself, with its status, type, details and headers
    (a stale write with the current version, a malformed precondition header)."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type_name: str = HTTP_ERROR,
        details: Sequence[Any] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.type_name = type_name
        self.details = list(details)
        self.headers = dict(headers or {})


def status_for(exc: KaravanError) -> int:
    """The HTTP status of a Karavan error (400 for one without a more specific mapping)."""
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def error_response(
    status_code: int,
    type_name: str,
    message: str,
    details: Sequence[Any] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A response of the one error shape."""
    body = {"error": {"type": type_name, "message": message, "details": list(details)}}
    return JSONResponse(jsonable_encoder(body), status_code=status_code, headers=headers)


def _karavan_details(exc: KaravanError) -> list[Any]:
    if isinstance(exc, ImportValidationError):
        return list(exc.report)
    if isinstance(exc, RecordValidationError) and (exc.field is not None or exc.value is not None):
        value = (
            exc.value if isinstance(exc.value, str | int | float | bool | None) else str(exc.value)
        )
        return [{"field": exc.field, "value": value}]
    return []


def _karavan_headers(exc: KaravanError) -> dict[str, str]:
    if isinstance(exc, AuthenticationError):
        return {"WWW-Authenticate": 'Bearer realm="karavan"'}
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(max(1, int(exc.retry_after)))}
    return {}


def _validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    """FastAPI's / pydantic's error list reduced to JSON-safe ``{loc, msg, type}`` entries
    (``ctx`` may hold exception objects, and ``input`` may echo a large body back)."""
    return [
        {
            "loc": [str(part) if not isinstance(part, int) else part for part in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in errors
    ]


async def _on_karavan_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KaravanError)
    return error_response(
        status_for(exc),
        type(exc).__name__,
        str(exc) or type(exc).__name__,
        _karavan_details(exc),
        _karavan_headers(exc),
    )


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.type_name, exc.message, exc.details, exc.headers)


async def _on_request_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    details = _validation_details(exc.errors())
    where = ", ".join(".".join(str(p) for p in d["loc"]) + f": {d['msg']}" for d in details[:3])
    more = f" (and {len(details) - 3} more)" if len(details) > 3 else ""
    return error_response(
        422, type(exc).__name__, f"the request is invalid: {where}{more}", details
    )


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    message = str(exc.detail)
    if exc.status_code == 404 and message == "Not Found":
        message = f"no route {request.url.path}"
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        allowed = _allowed_methods(request)
        headers["Allow"] = ", ".join(allowed)
        message = (
            f"method {request.method} is not allowed on {request.url.path}; "
            f"allowed: {', '.join(allowed)}"
        )
    return error_response(exc.status_code, HTTP_ERROR, message, (), headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's own ``Allow`` header names
    only the first route that matched the path)."""
    methods: set[str] = set()
    for context in iter_route_contexts(request.app.routes):
        match, _ = context.matches(request.scope)
        if match is not Match.NONE:
            methods |= set(context.methods or ())
    return sorted(methods)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        500,
        "InternalServerError",
        "an unexpected error occurred on the server (it has been logged)",
    )


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every error the one shape."""
    app.add_exception_handler(KaravanError, _on_karavan_error)
    app.add_exception_handler(ApiError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(ValidationError, _on_request_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)
