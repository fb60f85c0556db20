"""Browser journeys of the scenario lab: run a final-demand change from the form, see the
charts drawn and the runner's numbers, run it with uncertainty, and compare two runs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from karavan.datastore import DataStore
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.web.pages.base import format_number
from karavan.web.pages.scenarios import form_spec
from tests.browser.conftest import LiveServer


def run_form(page: Any, server: LiveServer, value: str, low: str = "", high: str = "") -> str:
    page.goto(f"{server.url}/scenarios?lang=en")
    form = page.locator("#demand-form")
    form.locator("#s-region").select_option("RUS")
    form.locator("#s-sector").select_option("EOE")
    form.get_by_label("Change, USD million").fill(value)
    form.get_by_label("low").fill(low)
    form.get_by_label("high").fill(high)
    form.get_by_label("Monte Carlo draws").fill("30")
    form.get_by_role("button", name="Run").click()
    page.wait_for_url("**/scenarios/runs/**")
    page.locator("#by-region[data-drawn='true']").wait_for(timeout=60_000)
    return str(page.url.rsplit("/", 1)[1].split("?")[0])


def test_run_a_scenario_and_compare(
    page: Any, live_server: LiveServer, screenshot: Callable[[Any, str], Path]
) -> None:
    first = run_form(page, live_server, "100")
    spec = ScenarioSpec.parse(form_spec("RUS", "EOE", 100.0, None, None))
    table = DataStore(live_server.settings.data_dir).load("wiod2013-eaeu", 2011)
    summary = ScenarioRunner(table, bloc="EAEU").run(spec).summary()
    assert page.locator("#total-output").inner_text() == format_number(
        summary["output_change"], "en", 2
    )
    drawn = page.evaluate("() => document.getElementById('by-region').data.length")
    assert drawn == 2  # output and value added
    page.locator("#by-sector[data-drawn='true']").wait_for()
    screenshot(page, "scenario_run")

    second = run_form(page, live_server, "300")
    assert second != first
    page.goto(f"{live_server.url}/scenarios?lang=en")
    page.locator(f"input[name='a'][value='{first}']").check()
    page.locator(f"input[name='b'][value='{second}']").check()
    page.get_by_role("button", name="Compare two runs").click()
    page.wait_for_url("**/scenarios/compare?**")
    row = page.locator("#compare tr", has_text="output_change").first
    cells = row.locator("td").all_inner_texts()
    assert cells[2] == format_number(2 * summary["output_change"], "en", 2)  # linear: 300 - 100


def test_run_with_uncertainty_shows_a_band(page: Any, live_server: LiveServer) -> None:
    run_form(page, live_server, "100", low="50", high="200")
    assert "Monte Carlo: 30 draws" in page.locator(".data-note").first.inner_text()
    has_band = page.evaluate(
        "() => document.getElementById('by-region').data.every(t => t.error_y !== undefined)"
    )
    assert has_band
    p5, p50, p95 = (
        float(
            page.locator("#totals tbody tr")
            .first.locator("td")
            .nth(i)
            .inner_text()
            .replace(",", "")
        )
        for i in range(3)
    )
    assert p5 < p50 < p95
