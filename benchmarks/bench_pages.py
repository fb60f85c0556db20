"""Web pages benchmark (issue 9): first render of every page on the built-in data, target 1 s.

    .venv/bin/python benchmarks/bench_pages.py [--repeat 5] [--no-browser]

The pages (:func:`page_urls`): ``/``, ``/value-chains``, ``/dependency``, ``/registry`` and an
organisation's page (the registry holding its built-in seed, ``karavan registry seed``),
``/matching`` with a need, ``/trade``, ``/scenarios`` and a saved scenario run's page (a run
made from the lab's form before measuring). Three measurements per page:

- **cold** (server): the first ``GET page`` in a *fresh Python process* right after the
  application started (FastAPI's TestClient: routing, the computation, the Plotly figures as
  JSON, the template, every per-process cache empty). This is the first render a visitor gets
  from a server that just started; the imports and the application's start-up are not counted.
- **warm** (server): ``--repeat`` further requests of the same URL in one process (p50, max),
  and for the analytics pages ``new year``: the first request for each of other years (a
  visitor choosing a year; the year's ``I - A`` factorised then).
- **browser**: Chromium (``/usr/bin/chromium``) driven by Playwright loads each page from a live
  uvicorn server ``--repeat`` times after one warm-up visit, each visit in a new context (empty
  browser cache); from the page's timing entries: ``domContentLoaded`` and
  ``first-contentful-paint`` (the page is shown: its first paint), and ``charts`` (every Plotly
  chart drawn, the ``data-drawn`` mark our script sets); ``cached charts``: the same in one
  context visited again (``plotly.min.js``, 4.8 MB, from the browser's cache, as for a
  returning visitor). The overview's trend (all 17 years) arrives after the page, as a
  fragment; its server time (cold) is reported apart.

The application runs with ``warm_caches=False``: a served application (``karavan serve``) starts
a thread that computes the overview's trend (17 years) at start-up, so that the first visitor
gets it at once; during those few seconds it competes with other requests for the interpreter,
and the figures here are the pages' own costs without it.

Prints a table and writes ``benchmarks/results/pages.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
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
ANALYTICS = ("/", "/value-chains", "/dependency")
MATCHING_QUERY = "/matching?text=steel+pipes&hs=730419&countries=KAZ"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _percentiles(values: list[float]) -> dict[str, float]:
    """p50 and max of the finite values (a page painted before the entry was observed has no
    first-contentful-paint entry)."""
    finite = [v for v in values if math.isfinite(v)] or [math.nan]
    return {"p50": statistics.median(finite), "max": max(finite), "n": len(finite)}


def _app(data_dir: Path) -> Any:
    from karavan.settings import Settings
    from karavan.web.app import create_app

    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'registry.sqlite3'}",
        secret_key="bench-pages-secret-key-0123456789abcdef",
        # Measured without the start-up warming thread, so each figure is the page's own cost
        # with empty caches (the thread computes the overview trend, 3-5 s of one core, and
        # would slow whatever request arrives meanwhile; see the module docstring).
        warm_caches=False,
    )
    return create_app(settings)


def prepare(data_dir: Path) -> list[str]:
    """Seed the registry and save one scenario run under ``data_dir``; the URLs to measure."""
    from fastapi.testclient import TestClient

    from karavan.registry.seed import load_seed

    app = _app(data_dir)
    with TestClient(app) as client:
        registry = app.state.registry
        load_seed(registry)
        html = client.get("/registry?lang=en").text
        org = re.search(r'href="/registry/organisations/(\d+)"', html)
        if org is None:
            raise RuntimeError("the seeded registry page links no organisation")
        form = client.get("/scenarios?lang=en").text
        token = _TOKEN.search(form)
        if token is None:
            raise RuntimeError("the scenario lab's form has no csrf_token")
        run = client.post(
            "/scenarios/run",
            data={
                "csrf_token": token.group(1),
                "source": "form",
                "region": "RUS",
                "sector": "EOE",
                "value": "100",
            },
            follow_redirects=False,
        )
        if run.status_code != 303:
            raise RuntimeError(f"a scenario run should redirect (303); got {run.status_code}")
        run_page = run.headers["location"]
    return [
        *ANALYTICS,
        "/registry",
        f"/registry/organisations/{org.group(1)}",
        MATCHING_QUERY,
        "/trade",
        "/scenarios",
        run_page,
    ]


def _with_lang(url: str, lang: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}lang={lang}"


_COLD = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {repo!r})
from fastapi.testclient import TestClient
from benchmarks.bench_pages import _app
app = _app(Path({data_dir!r}))
with TestClient(app) as client:
    start = time.perf_counter()
    status = client.get({url!r}).status_code
    print(json.dumps({{"status": status, "cold_s": time.perf_counter() - start}}))
"""


def cold(data_dir: Path, url: str) -> dict[str, Any]:
    """The first request of ``url`` in a fresh process (module docstring)."""
    code = _COLD.format(repo=str(REPO), data_dir=str(data_dir), url=_with_lang(url, "en"))
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def server_side(data_dir: Path, urls: list[str], repeat: int) -> dict[str, Any]:
    """Cold (fresh process) and warm render times of every page through TestClient."""
    from fastapi.testclient import TestClient

    out: dict[str, Any] = {}
    for url in urls:
        out[url] = cold(data_dir, url)
    app = _app(data_dir)
    with TestClient(app) as client:
        for url in urls:
            client.get(_with_lang(url, "en"))
            same: list[float] = []
            for _ in range(repeat):
                start = time.perf_counter()
                client.get(_with_lang(url, "en"))
                same.append(time.perf_counter() - start)
            out[url]["same_url"] = _percentiles(same)
            if url in ANALYTICS:
                new_years: list[float] = []
                for year in YEARS[1 : 1 + repeat]:
                    start = time.perf_counter()
                    client.get(f"{url}?lang=ru&year={year}")
                    new_years.append(time.perf_counter() - start)
                out[url]["new_year"] = _percentiles(new_years)
        from karavan.web.pages.analytics import clear_caches

        clear_caches()
        start = time.perf_counter()
        client.get("/fragments/overview-trend?lang=en")
        out["trend_fragment_s"] = time.perf_counter() - start
    return out


def browser_side(data_dir: Path, urls: list[str], repeat: int) -> dict[str, Any]:
    """Navigation timing in Chromium for every page (module docstring)."""
    import uvicorn
    from playwright.sync_api import ViewportSize, sync_playwright
    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, VIEWPORT, _free_port

    app = _app(data_dir)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    viewport = ViewportSize(width=VIEWPORT["width"], height=VIEWPORT["height"])
    out: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            for url in urls:
                dcl: list[float] = []
                fcp: list[float] = []
                charts: list[float] = []
                trend: list[float] = []
                page_has_charts = False
                for i in range(repeat + 1):
                    context = browser.new_context(viewport=viewport)
                    page = context.new_page()
                    page.goto(f"{base}{_with_lang(url, 'en')}", wait_until="load")
                    n_charts = page.locator("[data-figure]").count()
                    page_has_charts = page_has_charts or n_charts > 0
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
                    if url == "/" and page.locator("[data-fragment]").count():
                        page.locator("#trend-chart[data-drawn='true']").wait_for(timeout=120_000)
                        trend.append(page.evaluate("() => performance.now()") / 1000)
                    context.close()
                    if i == 0:
                        continue  # the first visit warms the server's caches for this page
                    dcl.append(timing["domContentLoadedEventEnd"] / 1000)
                    fcp.append(paint / 1000)
                    charts.append(drawn / 1000 if n_charts else math.nan)
                cached: list[float] = []
                if page_has_charts:
                    # a returning visitor: one context, plotly.min.js from the browser's cache
                    context = browser.new_context(viewport=viewport)
                    for i in range(repeat + 1):
                        page = context.new_page()
                        page.goto(f"{base}{_with_lang(url, 'en')}", wait_until="load")
                        page.wait_for_function(
                            "n => document.querySelectorAll('[data-drawn]').length >= n",
                            arg=page.locator("[data-figure]").count(),
                        )
                        if i:
                            cached.append(page.evaluate("() => performance.now()") / 1000)
                        page.close()
                    context.close()
                out[url] = {
                    "dom_content_loaded": _percentiles(dcl),
                    "first_contentful_paint": _percentiles(fcp),
                    "charts_drawn": _percentiles(charts),
                    "charts_drawn_cached": _percentiles(cached),
                }
                if trend:
                    out[url]["trend_first_visit_s"] = trend[0]
            browser.close()
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    return out


def _pair(row: dict[str, float] | None) -> str:
    if not row or not math.isfinite(row["p50"]):
        return f"{'-':>13}"
    return f"{row['p50']:>6.3f}/{row['max']:<6.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    with tempfile.TemporaryDirectory(prefix="karavan-bench-pages-") as tmp:
        data_dir = Path(tmp)
        urls = prepare(data_dir)
        results: dict[str, Any] = {
            "target_s": TARGET_S,
            "uptime": subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
            "server": server_side(data_dir, urls, args.repeat),
        }
        if not args.no_browser:
            results["browser"] = browser_side(data_dir, urls, args.repeat)
    print(f"First render, target {TARGET_S:.1f} s (seconds, p50/max); {results['uptime']}")
    print(
        f"{'page':<40}{'cold':>7} {'warm':>13} {'new year':>13} "
        f"{'DCL':>13} {'FCP':>13} {'charts':>13} {'cached charts':>13}"
    )
    for url, row in results["server"].items():
        if not isinstance(row, dict):
            continue
        b = results.get("browser", {}).get(url, {})
        label = url if len(url) <= 38 else url[:35] + "..."
        print(
            f"{label:<40}{row['cold_s']:>7.3f} {_pair(row['same_url'])} "
            f"{_pair(row.get('new_year'))} {_pair(b.get('dom_content_loaded'))} "
            f"{_pair(b.get('first_contentful_paint'))} {_pair(b.get('charts_drawn'))} "
            f"{_pair(b.get('charts_drawn_cached'))}"
        )
    print(
        f"overview trend fragment (17 years, cold): {results['server']['trend_fragment_s']:.2f} s"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pages.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
