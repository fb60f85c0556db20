"""Refuse request bodies larger than ``settings.max_body_bytes`` with 413, before reading them.

A pure ASGI middleware (no Starlette ``BaseHTTPMiddleware``, which would buffer the body):

* a ``Content-Length`` above the limit is answered at once, before the application or the body
  is touched (one that is not a number: 400);
* a body without ``Content-Length`` (chunked transfer) is counted while the application reads
  it; the chunk that crosses the limit makes ``receive`` raise :class:`BodyTooLargeError` (an
  HTTP 413 exception that FastAPI passes through), so at most one chunk past the limit is ever
  held. Should the error reach this middleware before a response has started, the 413 is sent
  from here.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from karavan.web.errors import HTTP_ERROR, error_response

__all__ = ["BodySizeLimit", "BodyTooLargeError"]


class BodyTooLargeError(HTTPException):
    """The request body is larger than the server accepts (HTTP 413)."""

    def __init__(self, limit: int, got: str) -> None:
        super().__init__(
            413, f"request body too large: at most {limit} bytes are accepted; got {got}"
        )


class BodySizeLimit:
    """ASGI middleware: bodies over ``max_bytes`` get 413 with the one error shape."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        if max_bytes <= 0:
            raise ValueError(f"max_bytes must be positive; got {max_bytes}")
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared < 0:
            response = error_response(
                400, HTTP_ERROR, "Content-Length must be a non-negative integer"
            )
            await response(scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await self._refuse(scope, receive, send, f"Content-Length {declared}")
            return

        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError(self.max_bytes, f"more than {self.max_bytes} bytes")
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError as exc:
            if started:
                raise
            await self._refuse(scope, receive, send, str(exc.detail).rsplit("got ", 1)[-1])

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, got: str) -> None:
        response = error_response(
            413,
            HTTP_ERROR,
            f"request body too large: at most {self.max_bytes} bytes are accepted; got {got}",
            headers={"Connection": "close"},
        )
        await response(scope, receive, send)


def _content_length(scope: Scope) -> int | None:
    """The declared ``Content-Length`` (-1 when it is not a number), or None when absent."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return -1
    return None
