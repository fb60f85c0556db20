"""Browser journeys of the analytics pages: the overview in both languages, choosing a year on
Value chains, downloading a table, and keyboard navigation."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from karavan.datastore import DataStore
from karavan.web.pages.analytics import overview_view, select, value_chains_view
from tests.browser.conftest import LiveServer


def _selection(server: LiveServer, year: int | None = None) -> Any:
    return select(DataStore(server.settings.data_dir), None, year, None)


def test_overview_loads_and_switches_language(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/?lang=ru")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("h1").inner_text().startswith("Обзор: ЕАЭС, 2011")
    closure = overview_view(_selection(live_server), "ru").tables["summary"]["value"].iloc[0]
    kpi = page.locator('[data-indicator="closure"] .kpi-value').inner_text()
    assert kpi.replace("\u00a0", " ") == f"{100 * closure:.1f} %".replace(".", ",")
    assert "Россия" in page.locator(".data-note").inner_text()
    # the trend arrives after the page and is drawn
    page.locator("#trend-chart[data-drawn='true']").wait_for(timeout=60_000)
    page.get_by_role("link", name="English").click()
    page.wait_for_url("**lang=en**")
    assert page.locator("h1").inner_text().startswith("Overview: EAEU, 2011")
    assert "Russia" in page.locator(".data-note").inner_text()
    assert "Rest of the world" in page.locator(".data-note").inner_text()
    assert page.get_by_role("navigation", name="Main navigation").is_visible()
    # the choice is remembered: a plain URL is English now
    page.goto(f"{live_server.url}/value-chains")
    assert page.locator("h1").inner_text().startswith("Value chains")


def test_choose_a_year_updates_the_sankey(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/value-chains?lang=en")
    page.locator("#sankey-chart[data-drawn='true']").wait_for()
    page.get_by_label("Year").select_option("2000")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**year=2000**")
    page.locator("#sankey-chart[data-drawn='true']").wait_for()
    assert "2000" in page.locator("h1").inner_text()
    page.locator("#treemap-chart[data-drawn='true']").wait_for()
    # the treemap drew a box per region and sector (Plotly draws nothing on inconsistent data)
    assert page.locator("#treemap-chart path.surface").count() > 30
    expected = value_chains_view(_selection(live_server, 2000), "en").tables["flows"]
    drawn = page.evaluate(
        "() => document.getElementById('sankey-chart').data[0].link.value.slice(0, 15)"
    )
    total = float(expected["value_added"].sum())
    assert abs(sum(drawn) - total) < 1.0 * len(drawn)


def test_download_csv(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/?lang=en&year=2010")
    with page.expect_download() as info:
        page.locator("a[href*='table=leaks&format=csv']").first.click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = overview_view(_selection(live_server, 2010), "en").tables["leaks"]
    assert len(rows) == len(expected)
    assert rows[0]["origin_region"] == expected["origin_region"].iloc[0]
    assert float(rows[0]["value_added"]) == float(expected["value_added"].iloc[0])
    assert download.suggested_filename.endswith(".csv")


def test_keyboard_reaches_the_nav_and_follows_a_link(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/?lang=en")
    page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.textContent.trim()")
    assert focused == "Skip to content"
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent.trim()") == "Dependency map":
            break
    else:
        raise AssertionError("Tab never reached the 'Dependency map' link of the navigation")
    page.keyboard.press("Enter")
    page.wait_for_url("**/dependency")
    assert page.locator("h1").inner_text().startswith("Dependency map")


def test_png_download_of_a_chart(page: Any, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/dependency?lang=ru&year=2011")
    page.locator("#dependency-chart[data-drawn='true']").wait_for()
    with page.expect_download() as info:
        page.get_by_role("button", name="Скачать диаграмму в PNG", exact=True).click()
    download = info.value
    assert download.suggested_filename == "karavan-dependency-2011.png"
    assert Path(download.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
