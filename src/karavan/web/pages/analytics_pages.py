"""The analytics pages: Overview (``/``), Value chains (``/value-chains``) and Dependency map
(``/dependency``), and the overview's trend fragment (``/fragments/overview-trend``).

Each handler validates the selection (``dataset``, ``year``, ``bloc``; ``member`` on Value
chains) with :func:`.analytics.select`, takes the view from :mod:`.analytics` (the functions the
JSON API calls too), draws its figures with :mod:`.charts` and renders its template. Errors in
the selection (an unknown year, a member the table does not resolve) become the friendly error
page with the message saying what is allowed.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from starlette.responses import HTMLResponse

from karavan.core import BLOCS
from karavan.web.api.records import API_PREFIX
from karavan.web.pages import charts
from karavan.web.pages.analytics import (
    Selection,
    data_store,
    dependency_view,
    overview_view,
    select,
    trend_cached,
    trend_view,
    value_chains_view,
)
from karavan.web.pages.base import render
from karavan.web.pages.i18n import Lang, negotiate, region_name, translator

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

DatasetQ = Annotated[str | None, Query()]
YearQ = Annotated[int | None, Query(ge=1900, le=2200)]
BlocQ = Annotated[str | None, Query()]
TOP_DEPENDENT = 15


def _datasets(request: Request) -> list[tuple[str, str]]:
    """(name, title) of every dataset with dated years (the analytics need years)."""
    return [
        (info.name, info.title or info.name)
        for info in data_store(request).list()
        if any(y is not None for y in info.years)
    ]


def _params(sel: Selection, lang: Lang, **extra: str | None) -> str:
    query = {"dataset": sel.dataset, "year": str(sel.year), "bloc": sel.bloc, "lang": lang}
    query.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(query)


def _selector(
    request: Request, sel: Selection, lang: Lang, *, with_year: bool = True
) -> list[tuple[str, str, list[tuple[str, str]], str]]:
    """The (name, label, options, selected) fields of the page's selection form."""
    t = translator(lang)
    fields = [("dataset", t("form.dataset"), _datasets(request), sel.dataset)]
    if with_year:
        fields.append(
            ("year", t("form.year"), [(str(y), str(y)) for y in sel.years], str(sel.year))
        )
    fields.append(("bloc", t("form.bloc"), [(b, t(f"bloc.{b}")) for b in BLOCS], sel.bloc))
    return fields


def _trend_context(sel: Selection, lang: Lang) -> dict[str, Any]:
    view = trend_view(sel, lang)
    t = translator(lang)
    trend = view.tables["trend"]
    meta = view.meta
    return {
        "trend_meta": meta,
        "trend_rows": trend.to_dict(orient="records"),
        "trend_figure": charts.closure_trend(trend, t, meta),
        "trend_first": int(trend["year"].min()),
        "trend_last": int(trend["year"].max()),
        "trend_download": f"{API_PREFIX}/analytics/trend?"
        + urlencode({"dataset": sel.dataset, "bloc": sel.bloc, "lang": lang}),
    }


@router.get("/", response_class=HTMLResponse)
def overview_page(
    request: Request, dataset: DatasetQ = None, year: YearQ = None, bloc: BlocQ = None
) -> HTMLResponse:
    """The bloc's closure indicators, their trend and the biggest leaks."""
    lang, _ = negotiate(request)
    sel = select(data_store(request), dataset, year, bloc)
    view = overview_view(sel, lang)
    context: dict[str, Any] = {
        "meta": view.meta,
        "fields": _selector(request, sel, lang),
        "summary": view.tables["summary"].to_dict(orient="records"),
        "leaks": view.tables["leaks"].to_dict(orient="records"),
        "leaks_by_region": view.tables["leaks_by_region"].to_dict(orient="records"),
        "download": f"{API_PREFIX}/analytics/overview?{_params(sel, lang)}",
        "trend_ready": trend_cached(sel),
        "trend_fragment": "/fragments/overview-trend?" + _params(sel, lang),
    }
    if context["trend_ready"]:
        context.update(_trend_context(sel, lang))
    return render(request, "overview.html", context, active="overview")


@router.get("/fragments/overview-trend", response_class=HTMLResponse)
def overview_trend_fragment(
    request: Request, dataset: DatasetQ = None, year: YearQ = None, bloc: BlocQ = None
) -> HTMLResponse:
    """The overview's trend chart and table (the page fetches it when not yet computed)."""
    lang, _ = negotiate(request)
    sel = select(data_store(request), dataset, year, bloc)
    return render(request, "_overview_trend.html", _trend_context(sel, lang))


@router.get("/value-chains", response_class=HTMLResponse)
def value_chains_page(
    request: Request,
    dataset: DatasetQ = None,
    year: YearQ = None,
    bloc: BlocQ = None,
    member: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    """A Sankey of value added from origin to the members' final demand and a treemap of the
    leakage by origin region and sector."""
    lang, _ = negotiate(request)
    t = translator(lang)
    sel = select(data_store(request), dataset, year, bloc)
    view = value_chains_view(sel, lang, member or None)
    meta = view.meta
    flows, leakage = view.tables["flows"], view.tables["leakage"]
    fields = _selector(request, sel, lang)
    members = [("", t("form.member_all"))] + [(m, region_name(m, lang)) for m in meta["resolved"]]
    fields.append(("member", t("form.member"), members, member or ""))
    shown = [member] if member else meta["resolved"]
    context: dict[str, Any] = {
        "meta": meta,
        "fields": fields,
        "members_label": ", ".join(region_name(m, lang) for m in shown),
        "sankey": charts.value_chain_sankey(flows, t, meta),
        "treemap": charts.leakage_treemap(leakage, t, meta),
        "flows": flows.to_dict(orient="records"),
        "leakage": leakage.iloc[:20].to_dict(orient="records"),
        "download": f"{API_PREFIX}/analytics/value-chains?{_params(sel, lang, member=member)}",
    }
    return render(request, "value_chains.html", context, active="value_chains")


@router.get("/dependency", response_class=HTMLResponse)
def dependency_page(
    request: Request, dataset: DatasetQ = None, year: YearQ = None, bloc: BlocQ = None
) -> HTMLResponse:
    """A heat map member x sector of the share of inputs bought outside the bloc and the most
    dependent member sectors."""
    lang, _ = negotiate(request)
    t = translator(lang)
    sel = select(data_store(request), dataset, year, bloc)
    view = dependency_view(sel, lang)
    shares = view.tables["shares"]
    top = shares.sort_values("direct", ascending=False, kind="stable", na_position="last")
    context: dict[str, Any] = {
        "meta": view.meta,
        "fields": _selector(request, sel, lang),
        "heatmap": charts.dependency_heatmap(shares, t, view.meta),
        "top": top.iloc[:TOP_DEPENDENT].to_dict(orient="records"),
        "download": f"{API_PREFIX}/analytics/dependency?{_params(sel, lang)}",
    }
    return render(request, "dependency.html", context, active="dependency")
