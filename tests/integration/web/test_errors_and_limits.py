"""The one error shape for every error status, and the body-size limit (413)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.integration.web.conftest import MAX_BODY, World, json_payload

from karavan.settings import Settings
from karavan.web.app import create_app


def assert_error_shape(response: Any, status: int, type_name: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"type", "message", "details"}
    assert isinstance(error["message"], str)
    assert error["message"]
    assert isinstance(error["details"], list)
    if type_name is not None:
        assert error["type"] == type_name
    return error


# --- (f) every error status ----------------------------------------------------------------------


def test_error_shape_for_every_status(sqlite_world: World) -> None:
    w = sqlite_world
    c = w.client
    admin = w.headers("admin_A")
    record = w.record("organisations", "B", "draft")
    path = f"/api/v1/organisations/{record.id}"

    assert_error_shape(c.get("/api/v1/organisations/notanumber"), 422, "RequestValidationError")
    assert_error_shape(
        c.patch(path, json={"region": "x"}, headers={**admin, "If-Match": "garbage"}),
        422,
        "RequestValidationError",
    )
    assert_error_shape(
        c.post("/api/v1/products", content=b"{}", headers={**admin, "Content-Length": "x"}),
        400,
        "http_error",
    )
    assert_error_shape(c.get("/api/v1/auth/me"), 401, "AuthenticationError")
    assert_error_shape(c.post("/api/v1/users", json={}, headers=w.headers("viewer_A")), 403, None)
    assert_error_shape(c.get("/api/v1/organisations/987654"), 404, "RecordNotFoundError")
    assert_error_shape(c.get("/api/v1/no/such/route"), 404, "http_error")
    wrong_method = c.put(path, json={})
    assert_error_shape(wrong_method, 405, "http_error")
    assert wrong_method.headers["allow"] == "GET, PATCH"
    assert_error_shape(
        c.post(f"{path}/approve", headers={**admin, "If-Match": f'"{record.version}"'}),
        409,
        "ConflictError",
    )
    assert_error_shape(
        c.patch(path, json={"region": "x"}, headers={**admin, "If-Match": '"999"'}),
        412,
        "StaleWriteError",
    )
    assert_error_shape(
        c.post("/api/v1/products", content=b"x" * (MAX_BODY + 1), headers=admin), 413, "http_error"
    )
    invalid = assert_error_shape(
        c.post("/api/v1/products", json={"organisation_id": 1}, headers=admin),
        422,
        "RequestValidationError",
    )
    assert {tuple(d["loc"]) for d in invalid["details"]} >= {("body", "text"), ("body", "lang")}
    bad_reference = assert_error_shape(
        c.post(
            "/api/v1/products",
            json=json_payload("products", 424242),
            headers=admin,
        ),
        422,
        "RecordValidationError",
    )
    assert bad_reference["details"] == [{"field": "organisation_id", "value": 424242}]
    assert_error_shape(c.patch(path, json={"region": "x"}, headers=admin), 428, "http_error")
    assert_error_shape(c.get("/api/v1/changes?cursor=%%%"), 422, "RecordValidationError")
    malformed_json = c.post(
        "/api/v1/products",
        content=b"{not json",
        headers={**admin, "content-type": "application/json"},
    )
    assert_error_shape(malformed_json, 422, "RequestValidationError")


def test_unexpected_errors_are_500_without_traceback(tmp_path: Path) -> None:
    class Broken:
        def list(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("secret internals at /srv/db")

        def close(self) -> None:
            pass

    app = create_app(Settings(data_dir=tmp_path), registry=Broken())  # type: ignore[arg-type]
    client = TestClient(app, raise_server_exceptions=False)
    error = assert_error_shape(client.get("/api/v1/organisations"), 500, "InternalServerError")
    assert "secret" not in error["message"]
    assert "Traceback" not in client.get("/api/v1/organisations").text
    health = client.get("/api/v1/health")
    assert_error_shape(health, 503, "ServiceUnavailable")


# --- (e) body size -------------------------------------------------------------------------------


def test_content_length_over_the_limit_is_413_before_reading(sqlite_world: World) -> None:
    received: list[int] = []
    inner = sqlite_world.app

    async def app(scope: Any, receive: Any, send: Any) -> None:
        async def spying_receive() -> Any:
            message = await receive()
            received.append(len(message.get("body", b"")))
            return message

        await inner(scope, spying_receive, send)

    client = TestClient(app)
    body = b"{" + b" " * MAX_BODY + b"}"
    response = client.post(
        "/api/v1/products",
        content=body,
        headers={**sqlite_world.headers("admin_A"), "content-type": "application/json"},
    )
    error = assert_error_shape(response, 413, "http_error")
    assert f"at most {MAX_BODY} bytes" in error["message"]
    assert f"Content-Length {MAX_BODY + 2}" in error["message"]
    assert received == []  # refused on the header: nothing of the body was read


def test_chunked_body_over_the_limit_is_413(sqlite_world: World) -> None:
    chunks_sent = 0

    def chunks() -> Iterator[bytes]:
        nonlocal chunks_sent
        for _ in range(4 * MAX_BODY // 1024):
            chunks_sent += 1
            yield b" " * 1024

    response = sqlite_world.client.post(
        "/api/v1/products",
        content=chunks(),
        headers={**sqlite_world.headers("admin_A"), "content-type": "application/json"},
    )
    assert response.request.headers.get("transfer-encoding") == "chunked"
    assert "content-length" not in response.request.headers
    error = assert_error_shape(response, 413, "http_error")
    assert f"more than {MAX_BODY} bytes" in error["message"]


def test_body_under_the_limit_passes(sqlite_world: World) -> None:
    body = json_payload("products", sqlite_world.orgs["A"], text="plate " * 100)
    response = sqlite_world.client.post(
        "/api/v1/products", json=body, headers=sqlite_world.headers("admin_A")
    )
    assert response.status_code == 201


def test_streamed_body_stops_being_read_at_the_limit(sqlite_world: World) -> None:
    """Driven at the ASGI level with 1 KiB chunks and no Content-Length: the middleware stops
    the request after the chunk that crosses the limit, and answers 413."""
    chunks_read = 0
    sent: list[MutableMapping[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        return {"type": "http.request", "body": b" " * 1024, "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    token = sqlite_world.tokens["admin_A"]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/products",
        "raw_path": b"/api/v1/products",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"transfer-encoding", b"chunked"),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
        "state": {},
    }
    # In a thread of its own: another test's event loop (Playwright's) may be running here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, sqlite_world.app(scope, receive, send)).result()
    assert chunks_read == MAX_BODY // 1024 + 1
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 413
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert json.loads(body)["error"]["type"] == "http_error"
