"""Trade and complexity pages: the product space, a member's feasible next products and the
bloc's import-substitution opportunities, each table downloadable as CSV or Parquet.

=========================================== ================================================
``GET /trade``                              the product space (Plotly network) coloured by a
                                            member's presence, and its next products
``GET /trade/next-products``                the next products table (``format=csv|parquet``)
``GET /trade/product-space``                the graph's nodes or edges (``format=csv|parquet``,
                                            ``part=nodes|edges``)
``GET /trade/opportunities``                the upload form
``POST /trade/opportunities``               import substitution on an uploaded BACI,
                                            Comtrade or long-format file (``format=`` to
                                            download the result)
=========================================== ================================================

Numbers come from :mod:`karavan.trade` exactly as ``karavan trade`` computes them: the built-in
world data (``world-sitc2``, exports of 226 countries) for the product space and next products.
Import substitution needs the bloc's imports, which the built-in data do not hold, so it runs
on a file the user uploads. The product space's layout (node positions) is a force-directed
drawing (:func:`layout_positions`): the trade package gives the graph, not a picture. Drawing
the 785 products takes about 3 s, so the drawing of the built-in world data is computed at build
time (``scripts/build_product_space_layout.py``) and shipped as
``karavan/data/trade/product_space_layout.csv``; the page reads it, and computes a drawing itself
only for a product set the file does not cover, saying so under the chart.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path as FilePath
from typing import Annotated, Any

import numpy as np
import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from karavan.errors import KaravanError, RecordValidationError
from karavan.trade import complexity, load_builtin_trade, next_products, product_space
from karavan.trade.complexity import ComplexityResult
from karavan.trade.eaeu import BlocView, import_substitution
from karavan.trade.readers import read_trade
from karavan.web.pages.base import render
from karavan.web.pages.forms import (
    CSRF_FIELD,
    checked_form,
    form_token,
    frame_download,
    with_form_cookie,
)
from karavan.web.pages.i18n import Lang, negotiate, region_name, translator

__all__ = [
    "LAYOUT_FILE",
    "LAYOUT_ITERATIONS",
    "LAYOUT_SEED",
    "MEMBERS",
    "Layout",
    "build_layout",
    "layout_note",
    "layout_positions",
    "read_shipped_layout",
    "router",
    "world_complexity",
]

router = APIRouter(tags=["pages: trade"], include_in_schema=False)

MEMBERS = ("RUS", "KAZ", "BLR", "ARM", "KGZ")
"""The EAEU members offered in the forms (all five are exporters of the built-in data)."""
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
LAYOUT_FILE = "product_space_layout.csv"
"""The shipped drawing of the built-in product space, in ``karavan/data/trade``."""
LAYOUT_SEED = 7
LAYOUT_ITERATIONS = 100


@cache
def world_complexity() -> ComplexityResult:
    """Complexity of the built-in world data (about 1.5 s, once per process)."""
    return complexity(load_builtin_trade("world-sitc2"))


def layout_positions(
    products: list[str], edges: pd.DataFrame, *, iterations: int = 100, seed: int = 7
) -> np.ndarray:
    """Positions (n x 2, within [-1, 1]) of a force-directed drawing of the graph
    (Fruchterman and Reingold 1991: repulsion k^2/d between every pair, attraction d^2/k along
    edges, a temperature that cools linearly); deterministic for a given seed."""
    n = len(products)
    index = {p: i for i, p in enumerate(products)}
    src = edges["source"].map(index).to_numpy(dtype=np.int64)
    dst = edges["target"].map(index).to_numpy(dtype=np.int64)
    rng = np.random.default_rng(seed)
    pos = rng.uniform(-1.0, 1.0, size=(n, 2))
    k = np.sqrt(4.0 / max(n, 1))
    temperature = 0.1
    for step in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        dist = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        force = (delta / dist[..., None] * (k * k / dist)[..., None]).sum(axis=1)
        d = pos[src] - pos[dst]
        length = np.maximum(np.linalg.norm(d, axis=1), 1e-3)
        pull = d * (length / k)[:, None]
        np.add.at(force, src, -pull)
        np.add.at(force, dst, pull)
        norm = np.maximum(np.linalg.norm(force, axis=1), 1e-9)
        pos += force / norm[:, None] * np.minimum(norm, temperature)[:, None]
        temperature = 0.1 * (1 - (step + 1) / iterations) + 1e-3
    span = np.abs(pos - pos.mean(axis=0)).max()
    return np.asarray((pos - pos.mean(axis=0)) / (span if span > 0 else 1.0))


def build_layout(
    space_nodes: pd.DataFrame,
    space_edges: pd.DataFrame,
    *,
    iterations: int = LAYOUT_ITERATIONS,
    seed: int = LAYOUT_SEED,
) -> pd.DataFrame:
    """The drawing of a product space as a frame ``product, x, y`` (rows in the nodes' order,
    coordinates rounded to 6 decimals so that the shipped CSV holds them exactly)."""
    products = [str(p) for p in space_nodes["product"]]
    xy = layout_positions(products, space_edges, iterations=iterations, seed=seed)
    return pd.DataFrame({"product": products, "x": xy[:, 0].round(6), "y": xy[:, 1].round(6)})


@dataclass(frozen=True)
class Layout:
    """Node positions of the product space and where they come from: ``shipped`` when read
    from :data:`LAYOUT_FILE`, false when computed in this process because the file does not
    cover the graph's products (the page then says so)."""

    frame: pd.DataFrame
    shipped: bool


def read_shipped_layout() -> pd.DataFrame | None:
    """The shipped drawing (``product, x, y``), or None when the file is absent."""
    path = FilePath(str(files("karavan").joinpath("data", "trade", LAYOUT_FILE)))
    if not path.is_file():
        return None
    return pd.read_csv(path, dtype={"product": str, "x": float, "y": float})


@cache
def _layout() -> Layout:
    """The layout of the built-in product space: the shipped file when it holds exactly the
    graph's products, otherwise a drawing computed now (about 3 s, once per process)."""
    space = product_space(world_complexity())
    shipped = read_shipped_layout()
    if shipped is not None and set(shipped["product"]) == set(space.nodes["product"].astype(str)):
        return Layout(shipped, shipped=True)
    return Layout(build_layout(space.nodes, space.edges), shipped=False)


def _member(country: str) -> str:
    code = country.strip().upper()
    if code not in MEMBERS:
        raise RecordValidationError(
            f"country must be one of {', '.join(MEMBERS)}; got {country!r}",
            field="country",
            value=country,
        )
    return code


def product_space_figure(country: str, lang: Lang) -> dict[str, Any]:
    """The Plotly figure (as a dict) of the product space: edges as lines, products as markers
    sized by world exports, filled where ``country`` exports with comparative advantage."""
    space = product_space(world_complexity(), country=country)
    layout = _layout()
    nodes = space.nodes.merge(layout.frame, on="product")
    px = dict(zip(nodes["product"], nodes["x"].astype(float), strict=True))
    py = dict(zip(nodes["product"], nodes["y"].astype(float), strict=True))
    ex: list[float | None] = []
    ey: list[float | None] = []
    for s, t in zip(space.edges["source"], space.edges["target"], strict=True):
        ex += [round(px[s], 5), round(px[t], 5), None]
        ey += [round(py[s], 5), round(py[t], 5), None]
    size = 4 + 14 * np.sqrt(nodes["world_exports"] / nodes["world_exports"].max())
    made = nodes["mcp"] > 0
    name = region_name(country, lang)
    traces: list[dict[str, Any]] = [
        {
            "type": "scattergl",
            "mode": "lines",
            "x": ex,
            "y": ey,
            "line": {"width": 0.5, "color": "#b0b0b0"},
            "hoverinfo": "skip",
            "showlegend": False,
        }
    ]
    for flag, label, color in ((False, "other", "#d9d9d9"), (True, name, "#b2182b")):
        part = nodes[made == flag]
        traces.append(
            {
                "type": "scattergl",
                "mode": "markers",
                "name": label if flag else translator(lang)("trade.other_products"),
                "x": part["x"].round(5).tolist(),
                "y": part["y"].round(5).tolist(),
                "marker": {"size": size[made == flag].round(2).tolist(), "color": color},
                "text": [
                    f"{p} {g}<br>PCI {pci:.2f}, RCA {rca:.2f}, density {d:.3f}"
                    for p, g, pci, rca, d in zip(
                        part["product"],
                        part["group"],
                        part["pci"],
                        part["rca"],
                        part["density"],
                        strict=True,
                    )
                ],
                "hoverinfo": "text",
            }
        )
    figure_layout: dict[str, Any] = {
        "xaxis": {"visible": False},
        "yaxis": {"visible": False, "scaleanchor": "x"},
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "height": 620,
        "legend": {"orientation": "h"},
    }
    if not layout.shipped:
        figure_layout["annotations"] = [
            {
                "text": layout_note(lang),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1,
                "showarrow": False,
                "align": "left",
            }
        ]
    return {"data": traces, "layout": figure_layout}


def layout_note(lang: Lang) -> str:
    """What the page says when the drawing was computed now rather than read from the file."""
    if lang == "ru":
        return (
            "Расположение узлов рассчитано при загрузке страницы: поставляемый файл "
            f"{LAYOUT_FILE} не покрывает этот набор товаров."
        )
    return (
        f"Node positions computed for this page: the shipped {LAYOUT_FILE} does not cover "
        "this set of products."
    )


def next_products_frame(country: str, top: int) -> pd.DataFrame:
    """:func:`karavan.trade.next_products` of ``country`` on the built-in world data."""
    return next_products(world_complexity(), _member(country), top=top)


def _lang(request: Request) -> Lang:
    return negotiate(request)[0]


@router.get("/trade", summary="Trade and complexity")
def trade_page(
    request: Request,
    country: Annotated[str, Query(max_length=3)] = "KAZ",
    top: Annotated[int, Query(ge=1, le=200)] = 20,
) -> Response:
    """The product space and the member's feasible next products."""
    code = _member(country)
    lang = _lang(request)
    result = world_complexity()
    frame = next_products_frame(code, top)
    return render(
        request,
        "trade/index.html",
        {
            "country": code,
            "members": MEMBERS,
            "top": top,
            "eci": float(result.eci[result.exporters.index(code)]),
            "rows": frame.to_dict("records"),
            "figure": json.dumps(product_space_figure(code, lang)),
            "layout_note": None if _layout().shipped else layout_note(lang),
        },
        active="trade",
    )


@router.get("/trade/next-products", summary="Next products, downloadable")
def next_products_download(
    country: Annotated[str, Query(max_length=3)] = "KAZ",
    top: Annotated[int, Query(ge=1, le=1000)] = 20,
    format: Annotated[str, Query(pattern="^(csv|parquet)$")] = "csv",
) -> Response:
    """The same table as the page shows, as a file."""
    code = _member(country)
    return frame_download(next_products_frame(code, top), format, f"next-products-{code}")


@router.get("/trade/product-space", summary="Product-space graph, downloadable")
def product_space_download(
    country: Annotated[str, Query(max_length=3)] = "KAZ",
    part: Annotated[str, Query(pattern="^(nodes|edges)$")] = "nodes",
    format: Annotated[str, Query(pattern="^(csv|parquet)$")] = "csv",
) -> Response:
    """The chart's data: nodes (with the layout's x, y) or edges."""
    code = _member(country)
    space = product_space(world_complexity(), country=code)
    frame = space.nodes.merge(_layout().frame, on="product") if part == "nodes" else space.edges
    return frame_download(frame, format, f"product-space-{part}-{code}")


@router.get("/trade/opportunities", summary="Import substitution: upload form")
def opportunities_form(request: Request) -> Response:
    """The upload form (the built-in data hold no imports)."""
    return _opportunities_page(request, {"rows": None, "error": None})


def _opportunities_page(
    request: Request, context: dict[str, Any], status_code: int = 200
) -> Response:
    token = form_token(request)
    response = render(
        request,
        "trade/opportunities.html",
        {**context, CSRF_FIELD: token},
        status_code=status_code,
        active="trade",
    )
    return with_form_cookie(request, response, token)


@router.post("/trade/opportunities", summary="Import substitution on an uploaded file")
async def opportunities(request: Request) -> Response:
    """Import-substitution opportunities of the EAEU on the uploaded trade file (format
    detected from its header), best score first; ``format=csv|parquet`` downloads them."""
    form = await request.form()
    checked_form(request, str(form.get(CSRF_FIELD, "")))
    upload = form.get("file")
    fmt = str(form.get("format", "html"))
    top = _int(form.get("top"), 30)
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise RecordValidationError(
            "choose a trade file (BACI, Comtrade or long CSV/Parquet); got none", field="file"
        )
    data = await upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise RecordValidationError(
            f"the trade file must be at most {MAX_UPLOAD_BYTES} bytes; got more", field="file"
        )
    suffix = FilePath(upload.filename).suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise RecordValidationError(
            f"the trade file must be .csv or .parquet; got {upload.filename!r}",
            field="file",
            value=upload.filename,
        )
    with tempfile.TemporaryDirectory() as tmp:
        path = FilePath(tmp) / f"{FilePath(upload.filename).stem[:80]}{suffix}"
        path.write_bytes(data)
        try:
            view = await run_in_threadpool(_opportunities, path, top)
        except KaravanError as exc:
            return _opportunities_page(request, {"rows": None, "error": str(exc)}, 422)
    if fmt in ("csv", "parquet"):
        return frame_download(view.frame, fmt, "import-substitution-EAEU")
    return _opportunities_page(
        request,
        {
            "rows": view.frame.to_dict("records"),
            "members": list(view.present),
            "notes": list(view.notes),
            "error": None,
        },
    )


def _opportunities(path: FilePath, top: int) -> BlocView:
    """Import substitution of the EAEU on the trade file at ``path`` (in a worker thread:
    reading a BACI year and ranking takes seconds)."""
    return import_substitution(read_trade(path), "EAEU", top=top)


def _int(value: Any, default: int) -> int:
    try:
        return max(1, min(500, int(str(value))))
    except ValueError:
        return default
