"""Web pages benchmark (issue 9): first render of each page on the built-in data, target 1 s.

    .venv/bin/python benchmarks/bench_pages.py [--repeat 5] [--no-browser]

Two measurements per page (the analytics pages ``/``, ``/value-chains``, ``/dependency``, and
every other page the application serves in its menu):

- **server**: the time of ``GET page`` through the whole application (FastAPI's TestClient:
  routing, the analytics, the Plotly figures as JSON, the template). ``cold`` is the first
  request of a page with every cache of ``karavan.web.pages.analytics`` emptied (the year's
  ``I - A`` factorised, the indicators computed); ``warm`` the next ``--repeat`` requests for
  other years, each the first for its year, after the pages were visited once (what a visitor
  choosing a year sees), and the same URL again (p50, max).
- **browser**: Chromium (``/usr/bin/chromium``) driven by Playwright loads each page from a live
  uvicorn server ``--repeat`` times after one warm-up visit; from the page's timing entries:
  ``domContentLoaded``, ``first-contentful-paint`` (the page is shown: its first render) and
  ``charts`` (every Plotly chart drawn, the ``data-drawn`` mark our script sets), each visit in
  a new context (empty browser cache); ``cached charts``: the same, visiting again in one
  context (``plotly.min.js`` from the browser's cache, as for a returning visitor). The
  overview's trend (all 17 years) arrives after the page; its time is reported apart.

Prints a table and writes ``benchmarks/results/pages.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
TARGET_S = 1.0
YEARS = (2011, 2008, 2003, 1999, 1995)


def _percentiles(values: list[float]) -> dict[str, float]:
    """p50 and max of the finite values (a page painted before the entry was observed has no
    first-contentful-paint entry)."""
    finite = [v for v in values if math.isfinite(v)] or [math.nan]
    return {"p50": statistics.median(finite), "max": max(finite), "n": len(finite)}


def _app(data_dir: Path) -> Any:
    from karavan.settings import Settings
    from karavan.web.app import create_app

    settings = Settings(
        data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'registry.sqlite3'}"
    )
    return create_app(settings)


def _pages(app: Any) -> list[str]:
    from karavan.web.pages.base import NAV

    served = getattr(app.state, "page_paths", frozenset())
    return [item.path for item in NAV if item.path in served]


def server_side(data_dir: Path, repeat: int) -> dict[str, Any]:
    """Cold and warm render times of every page through TestClient."""
    from fastapi.testclient import TestClient

    from karavan.web.pages.analytics import clear_caches

    app = _app(data_dir)
    out: dict[str, Any] = {}
    with TestClient(app) as client:
        client.get("/dependency?lang=en")  # imports, templates, first Plotly figure
        for path in _pages(app):
            clear_caches()
            start = time.perf_counter()
            status = client.get(f"{path}?lang=en").status_code
            cold = time.perf_counter() - start
            new_years: list[float] = []
            for year in YEARS[1 : 1 + repeat]:
                start = time.perf_counter()
                client.get(f"{path}?lang=ru&year={year}")
                new_years.append(time.perf_counter() - start)
            same: list[float] = []
            for _ in range(repeat):
                start = time.perf_counter()
                client.get(f"{path}?lang=en")
                same.append(time.perf_counter() - start)
            out[path] = {
                "status": status,
                "cold_s": cold,
                "new_year": _percentiles(new_years),
                "same_url": _percentiles(same),
            }
        start = time.perf_counter()
        client.get("/fragments/overview-trend?lang=en")
        out["trend_fragment_s"] = time.perf_counter() - start
    return out


def browser_side(data_dir: Path, repeat: int) -> dict[str, Any]:
    """Navigation timing in Chromium for every page."""
    import uvicorn
    from playwright.sync_api import sync_playwright
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, _free_port

    app = _app(data_dir)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    out: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for path in _pages(app):
                dcl: list[float] = []
                fcp: list[float] = []
                charts: list[float] = []
                cached: list[float] = []
                trend: list[float] = []
                warm_context = browser.new_context(viewport=VIEWPORT)
                for i in range(2 * repeat + 1):
                    # odd visits: a new context (empty browser cache); even ones: the same
                    # context again (plotly.min.js from the browser's cache)
                    fresh = i % 2 == 1 or i == 0
                    context = browser.new_context(viewport=VIEWPORT) if fresh else warm_context
                    page = context.new_page()
                    page.goto(f"{base}{path}?lang=en", wait_until="load")
                    n_charts = page.locator("[data-figure]").count()
                    if n_charts:
                        page.wait_for_function(
                            "n => document.querySelectorAll('[data-drawn]').length >= n",
                            arg=n_charts,
                        )
                    drawn = page.evaluate("() => performance.now()")
                    timing = page.evaluate(
                        "() => performance.getEntriesByType('navigation')[0].toJSON()"
                    )
                    paint = page.evaluate(
                        "() => (performance.getEntriesByName('first-contentful-paint')[0]"
                        " || {startTime: NaN}).startTime"
                    )
                    if path == "/" and page.locator("[data-fragment]").count():
                        page.locator("#trend-chart[data-drawn='true']").wait_for(timeout=120_000)
                        trend.append(page.evaluate("() => performance.now()") / 1000)
                    page.close()
                    if fresh:
                        context.close()
                    if i == 0:
                        continue  # the first visit warms the server's caches for this page
                    if not fresh:
                        cached.append(drawn / 1000)
                        continue
                    dcl.append(timing["domContentLoadedEventEnd"] / 1000)
                    fcp.append(paint / 1000)
                    charts.append(drawn / 1000)
                warm_context.close()
                out[path] = {
                    "dom_content_loaded": _percentiles(dcl),
                    "first_contentful_paint": _percentiles(fcp),
                    "charts_drawn": _percentiles(charts),
                    "charts_drawn_cached": _percentiles(cached),
                }
                if trend:
                    out[path]["trend_first_visit_s"] = trend[0]
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory(prefix="karavan-bench-pages-") as tmp:
        data_dir = Path(tmp)
        results: dict[str, Any] = {
            "target_s": TARGET_S,
            "server": server_side(data_dir, args.repeat),
        }
        if not args.no_browser:
            results["browser"] = browser_side(data_dir, args.repeat)
    print(f"First render, target {TARGET_S:.1f} s (seconds)")
    print(f"{'page':<16}{'cold':>7}{'new year p50/max':>20}{'same p50/max':>16}", end="")
    print(f"{'browser DCL p50/max':>22}{'FCP p50/max':>16}{'charts p50/max':>18}", end="")
    print(f"{'cached charts':>16}")
    for path, row in results["server"].items():
        if not isinstance(row, dict):
            continue
        line = (
            f"{path:<16}{row['cold_s']:>7.3f}"
            f"{row['new_year']['p50']:>11.3f}/{row['new_year']['max']:<8.3f}"
            f"{row['same_url']['p50']:>8.3f}/{row['same_url']['max']:<7.3f}"
        )
        b = results.get("browser", {}).get(path)
        if b:
            line += (
                f"{b['dom_content_loaded']['p50']:>13.3f}/{b['dom_content_loaded']['max']:<8.3f}"
                f"{b['first_contentful_paint']['p50']:>8.3f}/"
                f"{b['first_contentful_paint']['max']:<7.3f}"
                f"{b['charts_drawn']['p50']:>9.3f}/{b['charts_drawn']['max']:<8.3f}"
                f"{b['charts_drawn_cached']['p50']:>7.3f}/{b['charts_drawn_cached']['max']:<7.3f}"
            )
        print(line)
    print(
        f"overview trend fragment (17 years, cold): {results['server']['trend_fragment_s']:.2f} s"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
