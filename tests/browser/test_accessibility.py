"""Keyboard and laptop-screen accessibility in Chromium (issue 9, requirement 5): on every page
the first Tab reaches the skip link (shown when focused, and Enter moves focus to ``<main>``),
the next ones the home link and then the menu in order; every element the Tab key reaches has
a visible focus style (a computed outline or box-shadow); and at 1366 x 768 no page scrolls
sideways. The application runs here over its own seeded registry (the registry's seed and one
saved scenario run), so the other journeys' records are not disturbed."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from karavan.registry.seed import load_seed
from karavan.settings import Settings
from karavan.web.app import create_app
from tests.browser.conftest import VIEWPORT, _free_port

NAV = ["/", "/value-chains", "/dependency", "/scenarios", "/registry", "/matching", "/trade"]
TABS_PER_PAGE = 30
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) { return null; }
  const s = getComputedStyle(el);
  return {
    tag: el.tagName.toLowerCase(),
    href: el.getAttribute("href"),
    cls: el.className && el.className.baseVal === undefined ? el.className : "",
    outlineStyle: s.outlineStyle,
    outlineWidth: parseFloat(s.outlineWidth),
    boxShadow: s.boxShadow,
    left: el.getBoundingClientRect().left,
    width: el.getBoundingClientRect().width,
  };
}"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[str]]]:
    """A live server over a seeded registry; its base URL and the pages to visit."""
    data_dir: Path = tmp_path_factory.mktemp("a11y-browser")
    app = create_app(
        Settings(
            data_dir=data_dir,
            database_url=f"sqlite:///{data_dir / 'registry.sqlite3'}",
            secret_key="a11y-browser-secret-key-0123456789abcdef",
        )
    )
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, name="karavan-a11y-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"uvicorn did not start on 127.0.0.1:{port} within 30 s")
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        load_seed(app.state.registry)
        with httpx.Client(base_url=base, timeout=60) as client:
            org = re.search(r'href="(/registry/organisations/\d+)"', client.get("/registry").text)
            token = _TOKEN.search(client.get("/scenarios").text)
            assert org is not None
            assert token is not None
            run = client.post(
                "/scenarios/run",
                data={
                    "csrf_token": token.group(1),
                    "source": "form",
                    "region": "RUS",
                    "sector": "EOE",
                    "value": "100",
                },
            )
            assert run.status_code == 303, run.text[:500]
        yield (
            base,
            [
                *NAV,
                org.group(1),
                "/matching?text=steel+pipes&hs=730419&countries=KAZ",
                "/trade/opportunities",
                run.headers["location"],
                "/login",
            ],
        )
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _visit(page: Any, url: str) -> None:
    page.goto(url, wait_until="load")
    n_charts = page.locator("[data-figure]").count()
    if n_charts:  # the charts add focusable controls (Plotly's mode bar): wait for them
        page.wait_for_function(
            "n => document.querySelectorAll('[data-drawn]').length >= n", arg=n_charts
        )


def test_tab_order_starts_with_skip_link_then_menu(page: Any, site: tuple[str, list[str]]) -> None:
    base, urls = site
    for url in urls:
        for lang in ("ru", "en"):
            _visit(page, f"{base}{url}{'&' if '?' in url else '?'}lang={lang}")
            page.keyboard.press("Tab")
            skip = page.evaluate(FOCUSED)
            assert skip is not None, url
            assert (skip["href"], "skip-link" in skip["cls"]) == ("#main", True), (url, skip)
            assert skip["left"] >= 0, f"{url}: the focused skip link is off screen: {skip}"
            hrefs = []
            for _ in range(1 + len(NAV)):
                page.keyboard.press("Tab")
                hrefs.append(page.evaluate(FOCUSED)["href"])
            assert hrefs == ["/", *NAV], url
    # the skip link moves focus to the main content
    _visit(page, f"{base}/trade?lang=en")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    inside = page.evaluate("() => document.querySelector('main').contains(document.activeElement)")
    assert inside is True


def test_every_focused_element_shows_focus(page: Any, site: tuple[str, list[str]]) -> None:
    base, urls = site
    reached = 0
    invisible: list[str] = []
    for url in urls:
        _visit(page, f"{base}{url}{'&' if '?' in url else '?'}lang=en")
        for _ in range(TABS_PER_PAGE):
            page.keyboard.press("Tab")
            focused = page.evaluate(FOCUSED)
            if focused is None:
                break
            reached += 1
            outline = focused["outlineStyle"] != "none" and focused["outlineWidth"] > 0
            shadow = focused["boxShadow"] not in ("", "none")
            if not (outline or shadow):
                invisible.append(f"{url}: {focused}")
    assert invisible == []
    assert reached >= 10 * len(urls)


def test_no_page_scrolls_sideways_on_a_laptop(page: Any, site: tuple[str, list[str]]) -> None:
    base, urls = site
    assert page.viewport_size == VIEWPORT
    assert VIEWPORT == {"width": 1366, "height": 768}
    widths = {}
    for url in urls:
        for lang in ("ru", "en"):
            _visit(page, f"{base}{url}{'&' if '?' in url else '?'}lang={lang}")
            widths[(url, lang)] = page.evaluate(
                "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
            )
    too_wide = {k: v for k, v in widths.items() if v[0] > v[1]}
    assert too_wide == {}
    assert len(widths) == 2 * len(urls)
