"""The scenario lab, in-process: a run from the small form, an example or an uploaded file
shows the numbers :class:`~karavan.scenarios.runner.ScenarioRunner` computes (and, with
distributions, the Monte Carlo percentiles of the same draws); runs are saved in the CLI's
run store, listed, downloaded and compared; bad specs and forged forms are refused."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from karavan.datastore import DataStore
from karavan.registry import open_registry
from karavan.scenarios.montecarlo import monte_carlo_scenario
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.scenarios.store import RunStore
from karavan.settings import Settings
from karavan.web.app import create_app
from karavan.web.pages.base import format_number
from karavan.web.pages.scenarios import EXAMPLES_DIR, form_spec

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass
class Lab:
    client: TestClient
    data_dir: Path

    @property
    def runs(self) -> RunStore:
        return RunStore(self.data_dir / "runs")

    def token(self) -> str:
        found = _TOKEN.search(self.client.get("/scenarios?lang=en").text)
        assert found is not None
        return found.group(1)

    def run(self, data: dict[str, str], **kwargs: object) -> httpx.Response:
        return self.client.post(
            "/scenarios/run", data={"csrf_token": self.token(), **data}, **kwargs
        )  # type: ignore[arg-type]

    def run_id(self, data: dict[str, str], **kwargs: object) -> str:
        response = self.run(data, follow_redirects=False, **kwargs)
        assert response.status_code == 303, response.text[:800]
        return response.headers["location"].rsplit("/", 1)[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("scenario-pages")
    registry = open_registry(f"sqlite:///{root}/registry.sqlite3")
    app = create_app(Settings(data_dir=root), registry=registry)
    with TestClient(app) as client:
        yield Lab(client, root)
    registry.close()


def expected_result(spec: ScenarioSpec) -> object:
    table = DataStore(Path("/nonexistent")).load(spec.baseline.dataset, spec.baseline.year)
    return ScenarioRunner(table, bloc=spec.bloc).run(spec)


def cell(html: str, cell_id: str) -> str:
    found = re.search(rf'id="{re.escape(cell_id)}">([^<]*)<', html)
    assert found is not None, f"no cell {cell_id}"
    return found.group(1)


def test_form_run_shows_the_runners_numbers(lab: Lab) -> None:
    run_id = lab.run_id({"source": "form", "region": "RUS", "sector": "EOE", "value": "100"})
    spec = ScenarioSpec.parse(form_spec("RUS", "EOE", 100.0, None, None))
    result = expected_result(spec)
    summary = result.summary()  # type: ignore[attr-defined]
    page = lab.client.get(f"/scenarios/runs/{run_id}?lang=en")
    assert page.status_code == 200
    for measure in ("output", "value_added", "imports"):
        assert cell(page.text, f"total-{measure}") == format_number(
            summary[f"{measure}_change"], "en", 2
        )
    assert summary["output_change"] > 100.0  # the multiplier: more than the demand itself
    regions = result.regions()  # type: ignore[attr-defined]
    rus = format_number(float(regions.at["RUS", "output_change"]), "en", 2)
    assert f'<th scope="row" data-region="RUS">Russia</th><td class="num">{rus}</td>' in page.text
    saved = lab.runs.load(run_id)
    assert saved.result.summary()["output_change"] == pytest.approx(summary["output_change"])
    assert saved.provenance.dataset == "wiod2013-eaeu"


def test_russian_run_page_names_sectors_in_russian(lab: Lab) -> None:
    run_id = lab.run_id({"source": "form", "region": "CHN", "sector": "MFM", "value": "50"})
    html = lab.client.get(f"/scenarios/runs/{run_id}?lang=ru").text
    assert "Изменение выпуска" in html
    assert "Китай" in html
    assert 'id="by-region-data"' in html
    assert 'id="by-sector-data"' in html


def test_monte_carlo_run_shows_the_percentile_band(lab: Lab) -> None:
    data = {"source": "form", "region": "RUS", "sector": "EOE", "value": "100"}
    run_id = lab.run_id(data | {"low": "50", "high": "200", "draws": "40"})
    saved = lab.runs.load_monte_carlo(run_id)
    assert (saved.provenance.kind, saved.provenance.draws, saved.provenance.seed) == (
        "monte_carlo",
        40,
        0,
    )
    spec = ScenarioSpec.parse(form_spec("RUS", "EOE", 100.0, 50.0, 200.0))
    table = DataStore(Path("/nonexistent")).load("wiod2013-eaeu", 2011)
    mc = monte_carlo_scenario(ScenarioRunner(table, bloc="EAEU"), spec, n=40, seed=0)
    out = mc.outputs["regions"]
    totals = out[[c for c in out.columns if c[-1] == "output_change"]].sum(axis=1).to_numpy()
    p5, p50, p95 = np.percentile(totals, [5, 50, 95])
    assert saved.summary["output_change"]["p50"] == pytest.approx(p50)
    assert p5 < p50 < p95  # a real band
    page = lab.client.get(f"/scenarios/runs/{run_id}?lang=en")
    assert page.status_code == 200
    assert cell(page.text, "total-output_change-p50") == format_number(p50, "en", 2)
    assert "whiskers: 5th to 95th percentile" in page.text
    assert '"error_y"' in page.text


def test_example_run_matches_the_cli_example(lab: Lab) -> None:
    if not (EXAMPLES_DIR / "belarus_electronics_plant.yaml").is_file():
        pytest.skip("examples/ is not beside this installation")
    run_id = lab.run_id({"source": "example", "example": "belarus_electronics_plant.yaml"})
    spec = ScenarioSpec.from_file(EXAMPLES_DIR / "belarus_electronics_plant.yaml")
    summary = expected_result(spec).summary()  # type: ignore[attr-defined]
    html = lab.client.get(f"/scenarios/runs/{run_id}?lang=en").text
    assert cell(html, "total-output") == format_number(summary["output_change"], "en", 2)
    assert summary["output_direct"] == 500.0


def test_uploaded_yaml_runs(lab: Lab) -> None:
    spec = form_spec("DEU", "TRE", -25.0, None, None) | {"name": "uploaded-cut"}
    body = yaml.safe_dump(spec).encode()
    run_id = lab.run_id(
        {"source": "upload"}, files={"file": ("cut.yaml", io.BytesIO(body), "application/yaml")}
    )
    summary = expected_result(ScenarioSpec.parse(spec)).summary()  # type: ignore[attr-defined]
    assert summary["output_change"] < 0
    html = lab.client.get(f"/scenarios/runs/{run_id}?lang=en").text
    assert "<h1>uploaded-cut</h1>" in html
    assert cell(html, "total-output") == format_number(summary["output_change"], "en", 2)


def test_bad_spec_is_shown_with_its_path(lab: Lab) -> None:
    bad = form_spec("RUS", "EOE", 1.0, None, None)
    bad["shocks"][0]["change"] = "doubling"
    response = lab.run(
        {"source": "upload"},
        files={"file": ("bad.yaml", io.BytesIO(yaml.safe_dump(bad).encode()), "text/yaml")},
    )
    assert response.status_code == 422
    assert "shocks[0].change" in response.text
    unknown = lab.run({"source": "form", "region": "XXX", "sector": "EOE", "value": "1"})
    assert unknown.status_code == 422
    assert "&#39;XXX&#39; is not a region of the table" in unknown.text


def test_forged_form_is_refused(lab: Lab) -> None:
    before = len(lab.runs.list())
    response = lab.client.post(
        "/scenarios/run",
        data={"csrf_token": "forged", "source": "form", "region": "RUS", "sector": "EOE"}
        | {"value": "1"},
    )
    assert response.status_code == 403
    assert len(lab.runs.list()) == before


def test_saved_runs_listed_compared_and_downloaded(lab: Lab) -> None:
    a = lab.run_id({"source": "form", "region": "RUS", "sector": "FBT", "value": "10"})
    b = lab.run_id({"source": "form", "region": "RUS", "sector": "FBT", "value": "30"})
    listing = lab.client.get("/scenarios?lang=en").text
    assert f'href="/scenarios/runs/{a}"' in listing
    assert f'href="/scenarios/runs/{b}"' in listing
    page = lab.client.get("/scenarios/compare", params={"a": a, "b": b, "lang": "en"})
    assert page.status_code == 200
    sa, sb = lab.runs.load(a).result.summary(), lab.runs.load(b).result.summary()
    diff = format_number(sb["output_change"] - sa["output_change"], "en", 2)
    row = re.search(r"<th scope=\"row\">output_change</th>(.*?)</tr>", page.text, re.S)
    assert row is not None
    assert re.findall(r'<td class="num">([^<]*)</td>', row.group(1))[2] == diff
    assert sb["output_change"] == pytest.approx(3 * sa["output_change"])  # linear model
    csv = lab.client.get("/scenarios/compare", params={"a": a, "b": b, "format": "csv"})
    frame = pd.read_csv(io.StringIO(csv.text)).set_index("measure")
    assert float(frame.at["output_change", "difference"]) == pytest.approx(
        sb["output_change"] - sa["output_change"]
    )
    run_csv = lab.client.get(f"/scenarios/runs/{a}/download", params={"format": "csv"})
    assert run_csv.status_code == 200
    assert len(pd.read_csv(io.StringIO(run_csv.text))) > 0
    parquet = lab.client.get(f"/scenarios/runs/{a}/download", params={"format": "parquet"})
    assert len(pd.read_parquet(io.BytesIO(parquet.content))) == len(
        pd.read_csv(io.StringIO(run_csv.text))
    )


def test_unknown_run_is_a_friendly_404(lab: Lab) -> None:
    page = lab.client.get("/scenarios/runs/20990101T000000000000Z-nothing?lang=en")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert str(lab.data_dir) not in page.text  # the store's directory stays private
    compare = lab.client.get("/scenarios/compare", params={"a": "nothing-a", "b": "nothing-b"})
    assert compare.status_code == 404
