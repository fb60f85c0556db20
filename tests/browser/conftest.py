"""Browser tests: Playwright drives the Chromium of the operating system against a live server.

Fixtures:

``live_server``
    (session) the whole application (:func:`karavan.web.app.create_app`) served by uvicorn in a
    thread on a free port of 127.0.0.1, over a temporary data directory and SQLite registry;
    ``live_server.url`` is its base URL, ``live_server.registry`` the registry it serves (add
    users and records there before a journey).
``browser``
    (session) Chromium launched by Playwright from ``/usr/bin/chromium`` (or
    ``$KARAVAN_CHROMIUM``), headless, no sandbox, no network features; never
    ``playwright install``.
``page``
    (per test) a fresh context (1366 x 768, a laptop screen) and page; after the test a
    full-page screenshot goes to ``test-artifacts/screenshots/<test name>.png``.
``screenshot``
    ``screenshot(page, name)`` saves another screenshot under the same folder.

Every test here is marked ``browser``. Without Chromium they are skipped with the reason,
unless ``KARAVAN_REQUIRE_BROWSER`` is set (``make unit`` sets it after installing Chromium),
when they fail instead, so CI cannot skip them silently.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI

from karavan.registry import Registry
from karavan.settings import Settings
from karavan.web.app import create_app

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
CHROMIUM = Path(os.environ.get("KARAVAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1366, "height": 768}
SERVER_START_S = 30.0


def _browser_missing_reason() -> str | None:
    if CHROMIUM.is_file():
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            return "the Python package playwright is not installed (pip install -e '.[dev]')"
        return None
    return (
        f"no Chromium at {CHROMIUM} (install Debian's chromium: make browser-deps, or set "
        "KARAVAN_CHROMIUM)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this folder's tests ``browser``; skip them without Chromium unless it is required."""
    here = Path(__file__).parent
    reason = _browser_missing_reason()
    required = bool(os.environ.get("KARAVAN_REQUIRE_BROWSER"))
    for item in items:
        if here not in Path(str(item.path)).parents:
            continue
        item.add_marker(pytest.mark.browser)
        if reason is not None and not required:
            item.add_marker(pytest.mark.skip(reason=f"browser test skipped: {reason}"))


@dataclass
class LiveServer:
    """A running application: its base ``url``, ``app``, ``registry`` and ``settings``."""

    url: str
    app: FastAPI
    registry: Registry
    settings: Settings


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The application under uvicorn in a thread (module docstring)."""
    data_dir = tmp_path_factory.mktemp("karavan-browser-data")
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.sqlite3'}",
        secret_key="browser-tests-secret-key-0123456789abcdef",
    )
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="karavan-live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + SERVER_START_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} in {SERVER_START_S} s")
        time.sleep(0.05)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", app, app.state.registry, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Chromium of the OS, launched by Playwright (fails, not skips, when it is required)."""
    reason = _browser_missing_reason()
    if reason is not None:
        pytest.fail(f"KARAVAN_REQUIRE_BROWSER is set but {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name)[:120]


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """``screenshot(page, name)``: a full-page PNG under test-artifacts/screenshots."""

    def take(page: Any, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{_safe(name)}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def page(
    browser: Any, request: pytest.FixtureRequest, screenshot: Callable[[Any, str], Path]
) -> Iterator[Any]:
    """A fresh browser context and page; a screenshot of the final state after the test."""
    context = browser.new_context(viewport=VIEWPORT, accept_downloads=True)
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    try:
        yield new_page
    finally:
        try:
            screenshot(new_page, request.node.name)
        finally:
            context.close()
