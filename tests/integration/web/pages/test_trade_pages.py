"""Trade and complexity pages, in-process: the next products and the product space are those
of :mod:`karavan.trade` on the built-in world data; import substitution runs on an uploaded
BACI file and shows exactly :func:`~karavan.trade.eaeu.import_substitution`'s ranking; every
table downloads as CSV and Parquet with the same numbers."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.unit.trade.generated import bilateral_table, write_baci

from karavan.registry import open_registry
from karavan.settings import Settings
from karavan.trade import next_products, product_space
from karavan.trade.eaeu import import_substitution
from karavan.trade.readers import read_baci
from karavan.web.app import create_app
from karavan.web.pages.base import format_number
from karavan.web.pages.trade import layout_positions, world_complexity

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("trade-pages")
    registry = open_registry(f"sqlite:///{root}/registry.sqlite3")
    app = create_app(Settings(data_dir=root), registry=registry)
    with TestClient(app) as c:
        yield c
    registry.close()


def table_rows(html: str, table_id: str) -> list[list[str]]:
    """The cells' text of a table's body rows."""
    table = html[html.index(f'<table id="{table_id}">') :]
    body = table[table.index("<tbody>") : table.index("</tbody>")]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in body.split("</tr>") if "<td" in row]


def test_next_products_are_the_trade_packages(client: TestClient) -> None:
    page = client.get("/trade", params={"country": "KAZ", "top": 20, "lang": "en"})
    assert page.status_code == 200
    expected = next_products(world_complexity(), "KAZ", top=20)
    rows = table_rows(page.text, "next-products")
    assert [r[0] for r in rows] == expected["product"].tolist()
    assert [r[6] for r in rows] == [format_number(v, "en", 2) for v in expected["score"]]
    assert [r[2] for r in rows] == [format_number(v, "en", 3) for v in expected["density"]]
    result = world_complexity()
    eci = format_number(float(result.eci[result.exporters.index("KAZ")]), "en", 2)
    assert f"Economic complexity index of Kazakhstan: {eci}." in page.text


def test_next_products_download_equals_the_frame(client: TestClient) -> None:
    expected = next_products(world_complexity(), "ARM", top=10)
    csv = client.get("/trade/next-products", params={"country": "ARM", "top": 10})
    got = pd.read_csv(io.StringIO(csv.text), dtype={"product": str})
    assert got["product"].tolist() == expected["product"].tolist()
    np.testing.assert_allclose(got["score"], expected["score"], rtol=1e-12)
    parquet = client.get(
        "/trade/next-products", params={"country": "ARM", "top": 10, "format": "parquet"}
    )
    pd.testing.assert_frame_equal(pd.read_parquet(io.BytesIO(parquet.content)), expected)


def test_product_space_chart_and_its_data(client: TestClient) -> None:
    html = client.get("/trade", params={"country": "BLR", "lang": "ru"}).text
    data = html[html.index('id="product-space-data">') :]
    figure = json.loads(data[data.index(">") + 1 : data.index("</script>")])
    space = product_space(world_complexity(), country="BLR")
    edges, other, made = figure["data"]
    assert len(edges["x"]) == 3 * len(space.edges)  # two ends and a break per edge
    assert len(other["x"]) + len(made["x"]) == len(space.nodes)
    assert len(made["x"]) == int((space.nodes["mcp"] > 0).sum())
    assert made["name"] == "Беларусь"
    assert "/assets/plotly.min.js" in html  # from the installed wheel, no CDN
    assert "cdn" not in html.lower()
    nodes = pd.read_csv(
        io.StringIO(client.get("/trade/product-space", params={"country": "BLR"}).text),
        dtype={"product": str},
    )
    assert nodes["product"].tolist() == space.nodes["product"].tolist()
    assert nodes["x"].abs().max() <= 1.0 + 1e-12
    np.testing.assert_allclose(nodes["density"], space.nodes["density"], rtol=1e-12)


def test_layout_is_deterministic_and_bounded() -> None:
    edges = pd.DataFrame({"source": ["a", "b", "c"], "target": ["b", "c", "d"]})
    first = layout_positions(["a", "b", "c", "d"], edges, iterations=30)
    again = layout_positions(["a", "b", "c", "d"], edges, iterations=30)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first).max() == pytest.approx(1.0)
    assert first.shape == (4, 2)


def test_unknown_member_is_a_422_page(client: TestClient) -> None:
    page = client.get("/trade", params={"country": "FRA", "lang": "en"})
    assert page.status_code == 422
    assert "country must be one of RUS, KAZ, BLR, ARM, KGZ" in page.text


@pytest.fixture(scope="module")
def baci_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("baci") / "BACI_HS17_Y2021_V202401.csv"
    return write_baci(bilateral_table(n_products=50), path)


def upload(client: TestClient, path: Path, fmt: str = "html") -> httpx.Response:
    form = client.get("/trade/opportunities?lang=en").text
    token = _TOKEN.search(form)
    assert token is not None
    with path.open("rb") as f:
        return client.post(
            "/trade/opportunities",
            data={"csrf_token": token.group(1), "top": "15", "format": fmt},
            files={"file": (path.name, f, "text/csv")},
        )


def test_import_substitution_on_an_uploaded_file(client: TestClient, baci_file: Path) -> None:
    expected = import_substitution(read_baci(baci_file), "EAEU", top=15).frame
    page = upload(client, baci_file)
    assert page.status_code == 200
    rows = table_rows(page.text, "opportunities")
    assert [r[0].split()[0] for r in rows] == expected["product"].tolist()
    assert [r[7] for r in rows] == [format_number(v, "en", 3) for v in expected["score"]]
    csv = upload(client, baci_file, "csv")
    got = pd.read_csv(io.StringIO(csv.text), dtype={"product": str})
    np.testing.assert_allclose(got["external_imports"], expected["external_imports"])


def test_exports_only_file_is_explained(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "exports.csv"
    pd.DataFrame(
        {"year": [2021, 2021], "exporter": ["KAZ", "CHN"], "product": ["010101", "010101"]}
        | {"value": [1.0, 2.0]}
    ).to_csv(path, index=False)
    page = upload(client, path)
    assert page.status_code == 422
    assert "holds exports to the world only" in page.text


def test_upload_needs_the_form_token(client: TestClient, baci_file: Path) -> None:
    with baci_file.open("rb") as f:
        response = client.post(
            "/trade/opportunities",
            data={"csrf_token": "forged"},
            files={"file": (baci_file.name, f, "text/csv")},
        )
    assert response.status_code == 403
