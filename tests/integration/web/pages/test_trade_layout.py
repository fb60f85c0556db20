"""The product space's drawing is shipped, not computed per process (issue 9, speed): the page
and its nodes download place every product where ``product_space_layout.csv`` says, the file
covers exactly the built-in graph, the build that writes it is deterministic, and a product set
the file does not cover is drawn on the fly with a note on the page."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from scripts.build_product_space_layout import product_space_layout, write_layout

from karavan.settings import Settings
from karavan.trade import product_space
from karavan.web.app import create_app
from karavan.web.pages import trade
from karavan.web.pages.trade import read_shipped_layout, world_complexity


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("trade-layout")
    app = create_app(Settings(data_dir=root, database_url=f"sqlite:///{root / 'r.sqlite3'}"))
    with TestClient(app) as c:
        yield c


def _figure(html: str) -> Any:
    data = html[html.index('id="product-space-data">') :]
    figure: Any = json.loads(data[data.index(">") + 1 : data.index("</script>")])
    return figure


def test_shipped_file_covers_the_built_in_product_space() -> None:
    shipped = read_shipped_layout()
    assert shipped is not None
    space = product_space(world_complexity())
    assert len(shipped) == 785
    assert shipped["product"].tolist() == space.nodes["product"].astype(str).tolist()
    assert shipped[["x", "y"]].abs().max().max() <= 1.0
    assert shipped[["x", "y"]].abs().max().max() == pytest.approx(1.0, abs=1e-6)


def test_page_positions_are_the_files(client: TestClient) -> None:
    trade._layout.cache_clear()
    html = client.get("/trade", params={"country": "KAZ", "lang": "en"}).text
    assert 'id="layout-note"' not in html
    shipped = read_shipped_layout()
    assert shipped is not None
    where = {
        p: (x, y) for p, x, y in zip(shipped["product"], shipped["x"], shipped["y"], strict=True)
    }
    _, other, made = _figure(html)["data"]
    drawn = {}
    for trace in (other, made):
        for text, x, y in zip(trace["text"], trace["x"], trace["y"], strict=True):
            drawn[text.split(" ")[0]] = (x, y)
    assert len(drawn) == 785
    for product, (x, y) in drawn.items():
        # the page writes 5 decimals of the file's 6 (half-way cases round either way)
        assert x == pytest.approx(where[product][0], abs=5.1e-6), product
        assert y == pytest.approx(where[product][1], abs=5.1e-6), product
    nodes = client.get(
        "/trade/product-space", params={"country": "KAZ", "part": "nodes", "format": "parquet"}
    )
    got = pd.read_parquet(io.BytesIO(nodes.content)).set_index("product")
    expected = shipped.set_index("product").loc[got.index]
    assert got["x"].tolist() == expected["x"].tolist()
    assert got["y"].tolist() == expected["y"].tolist()


def test_build_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.csv"
    write_layout(product_space_layout(), first)
    write_layout(product_space_layout(), second)
    assert first.read_bytes() == second.read_bytes()
    assert first.read_text().splitlines()[0] == "product,x,y"
    assert len(first.read_text().splitlines()) == 786


def test_uncovered_product_set_is_computed_and_said(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    shipped = read_shipped_layout()
    assert shipped is not None
    monkeypatch.setattr(trade, "read_shipped_layout", lambda: shipped.iloc[:-1])
    monkeypatch.setattr(trade, "layout_positions", _grid)
    trade._layout.cache_clear()
    try:
        html = client.get("/trade", params={"country": "ARM", "lang": "en"}).text
        ru = client.get("/trade", params={"country": "ARM", "lang": "ru"}).text
    finally:
        trade._layout.cache_clear()
    assert 'id="layout-note"' in html
    assert "does not cover this set of products" in html
    assert "не покрывает этот набор товаров" in ru
    figure = _figure(html)
    assert "does not cover" in figure["layout"]["annotations"][0]["text"]
    xs = figure["data"][1]["x"] + figure["data"][2]["x"]
    assert sorted(xs) == [i / 1000 for i in range(785)]


def _grid(products: list[str], edges: pd.DataFrame, **_: object) -> object:
    """A stand-in drawing (product i at x = i / 1000), so the fallback test does not take 3 s."""
    import numpy as np

    n = len(products)
    return np.column_stack([np.arange(n) / 1000, np.zeros(n)])
