"""Plotly figures of the analytics pages, built on the server as JSON and drawn in the browser
by ``plotly.min.js`` (served from the installed ``plotly`` package, never a CDN).

Each function takes a view's frame (:mod:`.analytics`) and its ``meta`` and returns the figure
as JSON text. Every figure carries a source line (dataset, year, unit) and the statement of which
members the table resolves, as an annotation under the plot, so a downloaded PNG keeps them.
"""

from __future__ import annotations

import textwrap
from typing import Any

import pandas as pd
import plotly.graph_objects as go  # type: ignore[import-untyped]

from karavan.web.pages.i18n import Translator

__all__ = ["closure_trend", "dependency_heatmap", "leakage_treemap", "value_chain_sankey"]

_FONT = "system-ui, -apple-system, Segoe UI, Roboto, Noto Sans, sans-serif"
INSIDE_COLOUR = "#0b5394"
OUTSIDE_COLOUR = "#c2410c"


def _footnote(t: Translator, meta: dict[str, Any], unit: str) -> str:
    source = t(
        "chart.source",
        source=meta["source"],
        dataset=meta["dataset"],
        year=meta["year"],
        unit=unit,
    )
    return "<br>".join(textwrap.wrap(f"{source} {meta['statement']}", 150))


def _layout(fig: go.Figure, t: Translator, meta: dict[str, Any], unit: str, height: int) -> None:
    fig.update_layout(
        height=height,
        margin={"l": 10, "r": 10, "t": 10, "b": 70},
        font={"family": _FONT, "size": 13, "color": "#1a1f29"},
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        separators=", " if meta["lang"] == "ru" else ".,",
        annotations=[
            {
                "text": _footnote(t, meta, unit),
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 0,
                "yshift": -60,
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "align": "left",
                "font": {"size": 11, "color": "#4a5263"},
            }
        ],
    )


def closure_trend(trend: pd.DataFrame, t: Translator, meta: dict[str, Any]) -> str:
    """Closure of final demand and of exports to non-members by year, in percent."""
    fig = go.Figure()
    for column, key, colour in (
        ("closure", "overview.closure_series", INSIDE_COLOUR),
        ("export_closure", "overview.export_series", OUTSIDE_COLOUR),
    ):
        fig.add_trace(
            go.Scatter(
                x=trend["year"].tolist(),
                y=(100.0 * trend[column]).round(2).tolist(),
                mode="lines+markers",
                name=t(key),
                line={"color": colour, "width": 2.5},
                hovertemplate="%{x}: %{y:.1f}%<extra>" + t(key) + "</extra>",
            )
        )
    fig.update_yaxes(ticksuffix="%", rangemode="tozero", gridcolor="#e3e6ec")
    fig.update_xaxes(dtick=2, gridcolor="#e3e6ec")
    _layout(fig, t, meta, "%", 380)
    fig.update_layout(legend={"orientation": "h", "y": 1.08, "x": 0})
    return str(fig.to_json())


def value_chain_sankey(flows: pd.DataFrame, t: Translator, meta: dict[str, Any]) -> str:
    """Origin regions -> created inside / outside the bloc -> each member's final demand."""
    bloc = meta["bloc_label"]
    origins = list(dict.fromkeys(flows["origin_region"]))
    names = dict(zip(flows["origin_region"], flows["origin_region_name"], strict=False))
    inside_of = dict(zip(flows["origin_region"], flows["inside"], strict=False))
    dests = list(dict.fromkeys(flows["destination"]))
    dest_names = dict(zip(flows["destination"], flows["destination_name"], strict=False))
    labels = [names[o] for o in origins] + [t("vc.inside", bloc=bloc), t("vc.outside", bloc=bloc)]
    labels += [t("vc.final_demand", name=dest_names[d]) for d in dests]
    colours = [INSIDE_COLOUR if inside_of[o] else OUTSIDE_COLOUR for o in origins]
    colours += [INSIDE_COLOUR, OUTSIDE_COLOUR] + ["#4a5263"] * len(dests)
    inside_node, outside_node = len(origins), len(origins) + 1
    source: list[int] = []
    target: list[int] = []
    value: list[float] = []
    by_origin = flows.groupby("origin_region", sort=False)["value_added"].sum()
    for i, origin in enumerate(origins):
        source.append(i)
        target.append(inside_node if inside_of[origin] else outside_node)
        value.append(round(float(by_origin[origin]), 1))
    middle = flows.groupby(["inside", "destination"], sort=False)["value_added"].sum()
    for key, amount in zip(middle.index, middle.to_numpy(), strict=True):
        inside, dest = key
        source.append(inside_node if inside else outside_node)
        target.append(len(origins) + 2 + dests.index(dest))
        value.append(round(float(amount), 1))
    fig = go.Figure(
        go.Sankey(
            arrangement="snap",
            valueformat=",.0f",
            valuesuffix=" " + meta["unit_label"],
            node={"label": labels, "color": colours, "pad": 12, "thickness": 16},
            link={
                "source": source,
                "target": target,
                "value": value,
                "color": [
                    "rgba(11,83,148,0.35)"
                    if colours[s] == INSIDE_COLOUR
                    else "rgba(194,65,12,0.35)"
                    for s in source
                ],
            },
        )
    )
    _layout(fig, t, meta, meta["unit_label"], 520)
    return str(fig.to_json())


def leakage_treemap(leakage: pd.DataFrame, t: Translator, meta: dict[str, Any]) -> str:
    """Leakage by origin region (outer boxes) and sector (inner boxes)."""
    regions = leakage.groupby(["origin_region", "origin_region_name"], sort=False)[
        "value_added"
    ].sum()
    # Regions carry 0 and branchvalues="remainder": Plotly sizes them by their sectors, so no
    # rounding can make a region smaller than its sectors (which "total" refuses to draw).
    ids = [str(r) for r, _ in regions.index]
    labels = [str(name) for _, name in regions.index]
    parents = [""] * len(ids)
    values = [0.0] * len(ids)
    for region, sector, name, amount in zip(
        leakage["origin_region"],
        leakage["origin_sector"],
        leakage["origin_sector_name"],
        leakage["value_added"].to_numpy(dtype=float),
        strict=True,
    ):
        ids.append(f"{region}/{sector}")
        labels.append(str(name))
        parents.append(str(region))
        values.append(round(float(amount), 1))
    fig = go.Figure(
        go.Treemap(
            ids=ids,
            labels=labels,
            parents=parents,
            values=values,
            branchvalues="remainder",
            maxdepth=2,
            texttemplate="%{label}<br>%{value:,.0f}",
            hovertemplate="%{label}<br>%{value:,.0f} "
            + meta["unit_label"]
            + "<br>%{percentRoot:.1%}<extra></extra>",
            marker={
                "colorscale": "Oranges",
                "colors": [*regions.to_numpy().tolist(), *values[len(ids) :]],
            },
        )
    )
    _layout(fig, t, meta, meta["unit_label"], 520)
    return str(fig.to_json())


def dependency_heatmap(shares: pd.DataFrame, t: Translator, meta: dict[str, Any]) -> str:
    """Member (rows) x sector (columns): direct share of inputs bought outside, in percent."""
    pivot = shares.pivot_table(
        index="region_name", columns="sector", values="direct", sort=False, dropna=False
    )
    sector_names = dict(zip(shares["sector"], shares["sector_name"], strict=False))
    z = (100.0 * pivot.to_numpy()).round(1)
    fig = go.Figure(
        go.Heatmap(
            z=z.tolist(),
            x=list(pivot.columns),
            y=list(pivot.index),
            customdata=[[sector_names[c] for c in pivot.columns] for _ in pivot.index],
            colorscale="YlOrRd",
            zmin=0,
            colorbar={"title": {"text": "%"}, "ticksuffix": "%"},
            hovertemplate="%{y} · %{customdata}<br>%{z:.1f}%<extra></extra>",
            xgap=1,
            ygap=1,
        )
    )
    fig.update_xaxes(tickangle=-60, side="bottom")
    height = 260 + 40 * len(pivot.index)
    _layout(fig, t, meta, "%", height)
    fig.update_layout(margin={"l": 10, "r": 10, "t": 10, "b": 140})
    fig.layout.annotations[0].yshift = -130
    return str(fig.to_json())
