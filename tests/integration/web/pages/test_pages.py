"""The analytics pages render in both languages with the numbers of karavan.core, state the
data and the rest-of-the-world caveat, and offer their downloads; errors are friendly pages
outside /api and the one JSON shape inside it."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.integration.web.pages.conftest import selection

from karavan.core.gvc import closure_indicators, dependency_map
from karavan.core.leontief import LeontiefModel
from karavan.datastore import load
from karavan.settings import Settings
from karavan.web.pages.analytics import overview_view, value_chains_view

DATASET = "wiod2013-eaeu"


def _figure(html: str, chart_id: str) -> dict[str, object]:
    match = re.search(
        rf'<script type="application/json" id="{chart_id}-data">(.*?)</script>', html, re.S
    )
    assert match, f"no figure {chart_id} in the page"
    return json.loads(match.group(1))


def _main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.mark.parametrize(
    ("lang", "title", "share"),
    [("en", "Overview: EAEU, 2011", "79.3%"), ("ru", "Обзор: ЕАЭС, 2011", "79,3\u00a0%")],
)
def test_overview_shows_the_closure_of_core(
    client: TestClient, lang: str, title: str, share: str
) -> None:
    ind = closure_indicators(LeontiefModel(load(DATASET, year=2011)), "EAEU", name="EAEU")
    assert f"{100 * ind.closure:.1f}" == "79.3"
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    html = response.text
    assert f'<html lang="{lang}" data-plotly-src="/assets/plotly.min.js' in html
    assert f"<h1>{title}</h1>" in html
    closure_kpi = re.search(r'data-indicator="closure"><span class="kpi-value">([^<]+)<', html)
    assert closure_kpi
    assert closure_kpi.group(1) == share
    # the RoW caveat, in the page's language
    caveat = {"en": "does not resolve Kazakhstan", "ru": "не выделяет Казахстан"}[lang]
    assert caveat in html
    assert ("Rest of the world" if lang == "en" else "Остальной мир") in _main(html)


def test_overview_numbers_for_another_year(client: TestClient, settings: Settings) -> None:
    ind = closure_indicators(LeontiefModel(load(DATASET, year=1995)), "EAEU", name="EAEU")
    html = client.get("/?lang=en&year=1995").text
    assert f"{100 * ind.closure:.1f}%" in html
    top = ind.leakage_by_origin("final_demand").iloc[0]
    assert f"{top['value_added']:,.0f}" in _main(html)
    view = overview_view(selection(settings, 1995), "en")
    assert view.tables["summary"]["value"].iloc[0] == pytest.approx(ind.closure, rel=1e-12)
    assert view.tables["leaks"]["value_added"].iloc[0] == pytest.approx(top["value_added"])


def test_trend_fragment_and_its_chart(client: TestClient) -> None:
    html = client.get("/fragments/overview-trend?lang=en&year=2011").text
    fig = _figure(html, "trend-chart")
    first = fig["data"][0]  # type: ignore[index]
    assert first["x"] == list(range(1995, 2012))
    ind = closure_indicators(LeontiefModel(load(DATASET, year=2003)), "EAEU", name="EAEU")
    assert first["y"][2003 - 1995] == pytest.approx(100 * ind.closure, abs=0.006)
    # once computed, the overview embeds the trend at once
    page = client.get("/?lang=en").text
    assert 'id="trend-chart"' in page
    assert "data-fragment" not in page


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_value_chains_sankey_and_treemap(client: TestClient, settings: Settings, lang: str) -> None:
    html = client.get(f"/value-chains?lang={lang}&year=2005").text
    sankey = _figure(html, "sankey-chart")["data"][0]  # type: ignore[index]
    model = LeontiefModel(load(DATASET, year=2005))
    ind = closure_indicators(model, "EAEU", name="EAEU")
    values = sankey["link"]["value"]
    labels = sankey["node"]["label"]
    # the origin -> inside/outside links add up to the value added in the final demand
    n_origins = len(labels) - 3
    assert sum(values[:n_origins]) == pytest.approx(ind.total_in_final_demand, abs=n_origins)
    outside = {"en": "Created outside EAEU", "ru": "Создано вне ЕАЭС"}[lang]
    idx = labels.index(outside)
    into_outside = sum(
        v
        for s, tg, v in zip(sankey["link"]["source"], sankey["link"]["target"], values, strict=True)
        if tg == idx
    )
    assert into_outside == pytest.approx(ind.leakage, abs=n_origins)
    assert ("Rest of the world" if lang == "en" else "Остальной мир") in labels
    treemap = _figure(html, "treemap-chart")["data"][0]  # type: ignore[index]
    leaves = [v for v, p in zip(treemap["values"], treemap["parents"], strict=True) if p]
    assert sum(leaves) == pytest.approx(ind.leakage, abs=0.05 * len(leaves))
    assert all(v == 0 for v, p in zip(treemap["values"], treemap["parents"], strict=True) if not p)
    assert ("Construction" if lang == "en" else "Строительство") in treemap["labels"]
    # the figure states the dataset, year, unit and the caveat
    note = treemap["layout"] if "layout" in treemap else _figure(html, "treemap-chart")["layout"]
    text = note["annotations"][0]["text"]  # type: ignore[index]
    assert "2005" in text
    assert DATASET in text
    assert ("USD million" if lang == "en" else "млн долл. США") in text
    view = value_chains_view(selection(settings, 2005), lang)  # type: ignore[arg-type]
    assert view.tables["flows"]["value_added"].sum() == pytest.approx(ind.total_in_final_demand)


def test_value_chains_for_one_member_and_an_unresolved_one(client: TestClient) -> None:
    assert client.get("/value-chains?member=RUS&lang=en").status_code == 200
    response = client.get("/value-chains?member=KAZ&lang=en")
    assert response.status_code == 400
    assert "text/html" in response.headers["content-type"]
    assert "choose one of RUS" in response.text


def test_dependency_heatmap(client: TestClient) -> None:
    html = client.get("/dependency?lang=en&year=2011&bloc=EAEU%2BCHN").text
    fig = _figure(html, "dependency-chart")
    heat = fig["data"][0]  # type: ignore[index]
    dep = dependency_map(LeontiefModel(load(DATASET, year=2011)), "EAEU+CHN", name="EAEU+CHN")
    assert heat["y"] == ["Russia", "China"]
    assert len(heat["x"]) == 35
    direct = dep.shares["direct"]
    assert heat["z"][0][heat["x"].index("MIN")] == pytest.approx(
        100 * direct[("RUS", "MIN")], abs=0.051
    )
    assert heat["z"][1][heat["x"].index("EOE")] == pytest.approx(
        100 * direct[("CHN", "EOE")], abs=0.051
    )
    assert "Dependency map: EAEU and China, 2011" in html


def test_downloads_match_the_page(client: TestClient) -> None:
    csv = client.get("/api/v1/analytics/overview?year=2011&table=leaks&format=csv&lang=ru")
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    frame = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    ind = closure_indicators(LeontiefModel(load(DATASET, year=2011)), "EAEU", name="EAEU")
    top = ind.leakage_by_origin("final_demand")
    assert list(frame["origin_region"][:3]) == list(top.index.get_level_values(0)[:3])
    assert frame["value_added"].iloc[0] == pytest.approx(top["value_added"].iloc[0])
    assert frame["origin_region_name"].iloc[0] == "Остальной мир"
    parquet = client.get("/api/v1/analytics/dependency?format=parquet&year=2011")
    shares = pd.read_parquet(io.BytesIO(parquet.content))
    assert len(shares) == 35
    assert set(shares.columns) >= {"region", "sector", "sector_name", "direct", "total"}
    data = client.get("/api/v1/analytics/value-chains?year=2011").json()
    assert data["meta"]["not_resolved"] == ["KAZ", "BLR", "ARM", "KGZ"]
    assert data["meta"]["unit"] == "USD million"
    assert sum(r["value_added"] for r in data["tables"]["flows"]) == pytest.approx(
        ind.total_in_final_demand
    )
    # every download link on the page answers
    html = client.get("/?lang=en&year=2011").text
    links = re.findall(r'href="(/api/v1/analytics/[^"]+)"', html)
    assert len(links) >= 6
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


def test_errors_are_pages_outside_the_api_and_json_inside(client: TestClient) -> None:
    page = client.get("/no-such-page?lang=en")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert '<h1 id="error-heading">Page not found</h1>' in page.text
    assert 'href="/"' in page.text
    assert "<nav" in page.text
    ru = client.get("/no-such-page?lang=ru")
    assert "Страница не найдена" in ru.text
    bad_year = client.get("/?year=1990&lang=en")
    assert bad_year.status_code == 400
    assert "has no year 1990 (it has 1995-2011)" in bad_year.text
    invalid = client.get("/?year=abc&lang=en")
    assert invalid.status_code == 422
    assert "text/html" in invalid.headers["content-type"]
    api = client.get("/api/v1/analytics/overview?year=1990")
    assert api.status_code == 400
    assert api.json()["error"]["message"].startswith("dataset 'wiod2013-eaeu' has no year 1990")
    assert set(api.json()["error"]) == {"type", "message", "details"}
    unknown = client.get("/api/v1/analytics/overview?dataset=nope")
    assert unknown.status_code in (400, 404)
    assert "available: wiod2013-eaeu" in unknown.json()["error"]["message"]
    assert "/" not in unknown.json()["error"]["message"].split("available")[0].replace("'", "")
    bad_table = client.get("/api/v1/analytics/overview?format=csv&table=nope")
    assert bad_table.status_code == 400
    assert "summary, leaks, leaks_by_region" in bad_table.json()["error"]["message"]


def test_static_and_plotly_are_served_locally(client: TestClient) -> None:
    js = client.get("/assets/plotly.min.js")
    assert js.status_code == 200
    assert js.headers["content-type"].startswith("text/javascript")
    assert len(js.content) > 1_000_000
    html = client.get("/value-chains?lang=en").text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert all(s.startswith("/") for s in scripts), scripts
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert client.get("/static/karavan.css").status_code == 200
    assert client.get("/static/nope.css").status_code == 404


def test_page_has_landmarks_labels_and_a_skip_link(client: TestClient) -> None:
    html = client.get("/value-chains?lang=en").text
    assert '<a class="skip-link" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
    assert '<nav class="site-nav" aria-label="Main navigation">' in html
    for name in ("dataset", "year", "bloc", "member"):
        assert f'<label for="sel-{name}">' in html
        assert f'id="sel-{name}"' in html
    assert 'aria-current="page">Value chains</a>' in html
    assert 'role="img" aria-label="Sankey diagram' in html


def test_warming_fills_the_overview_caches(tmp_path: Path) -> None:
    from karavan.datastore import DataStore
    from karavan.web.pages import analytics

    analytics.clear_caches()
    sel = analytics.select(DataStore(tmp_path), None, None, None)
    assert not analytics.trend_cached(sel)
    analytics.warm_caches(str(tmp_path))
    assert analytics.trend_cached(sel)
    trend = analytics._trend(sel.root, sel.dataset, sel.bloc)
    assert len(trend) == 17  # every built-in year, 1995-2011
