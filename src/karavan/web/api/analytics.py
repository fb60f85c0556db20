"""The analytics pages' numbers as JSON, CSV or Parquet: ``/api/v1/analytics/...``.

The same functions draw the pages (:mod:`karavan.web.pages.analytics`): ``overview`` (closure
indicators and biggest leaks of a year), ``trend`` (the indicators of every year),
``value-chains`` (value added by origin region in the members' final demand, and the leakage by
origin region and sector) and ``dependency`` (member sectors' dependency on inputs from
outside the bloc). Query: ``dataset`` (default the built-in ``wiod2013-eaeu``), ``year``
(default its latest), ``bloc`` (``EAEU`` or ``EAEU+CHN``), ``lang`` (``ru``/``en``: the names
columns and the statement), ``format``: ``json`` (default: ``{"meta": ..., "tables": {name:
[rows]}}``), ``csv`` (UTF-8 with a byte-order mark, so spreadsheet programs read the Cyrillic
names) or ``parquet`` (one table: ``table``, default the view's first).
"""

from __future__ import annotations

import io
import math
from typing import Annotated, Any, Literal

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from karavan.web.pages.analytics import (
    AnalyticsView,
    Selection,
    data_store,
    dependency_view,
    overview_view,
    select,
    trend_view,
    value_chains_view,
)
from karavan.web.pages.i18n import Lang

__all__ = ["router", "view_response"]

router = APIRouter(prefix="/analytics", tags=["analytics"])

Format = Literal["json", "csv", "parquet"]
DatasetQ = Annotated[str | None, Query(description="Dataset (default wiod2013-eaeu).")]
YearQ = Annotated[int | None, Query(ge=1900, le=2200, description="Year (default the latest).")]
BlocQ = Annotated[str | None, Query(description="EAEU (default) or EAEU+CHN.")]
LangQ = Annotated[Lang, Query(description="Language of names and statements.")]
FormatQ = Annotated[Format, Query(description="json, csv or parquet.")]
TableQ = Annotated[str | None, Query(description="Table for csv/parquet (default the first).")]


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts (NaN and infinities as null)."""
    rows: list[dict[str, Any]] = [
        {str(k): v for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]
    for row in rows:
        for key, value in row.items():
            if isinstance(value, float) and not math.isfinite(value):
                row[key] = None
            elif hasattr(value, "item"):
                row[key] = value.item()
    return rows


def view_response(view: AnalyticsView, name: str, fmt: Format, table: str | None) -> Response:
    """``view`` in ``fmt``; CSV and Parquet carry one table, as an attachment."""
    if fmt == "json":
        body = {"meta": view.meta, "tables": {k: _records(v) for k, v in view.tables.items()}}
        return JSONResponse(body)
    frame = view.table(table)
    chosen = table or next(iter(view.tables))
    meta = view.meta
    stem = f"karavan-{name}-{meta['dataset']}-{meta['bloc']}-{meta['year']}-{chosen}"
    if fmt == "csv":
        text = frame.to_csv(index=False)
        return Response(
            ("\ufeff" + text).encode("utf-8"),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{stem}.csv"'},
        )
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return Response(
        buffer.getvalue(),
        media_type="application/vnd.apache.parquet",
        headers={"Content-Disposition": f'attachment; filename="{stem}.parquet"'},
    )


def _select(request: Request, dataset: str | None, year: int | None, bloc: str | None) -> Selection:
    return select(data_store(request), dataset, year, bloc)


@router.get("/overview", summary="Closure indicators and biggest leaks of one year")
def overview(
    request: Request,
    dataset: DatasetQ = None,
    year: YearQ = None,
    bloc: BlocQ = None,
    lang: LangQ = "en",
    format: FormatQ = "json",
    table: TableQ = None,
) -> Response:
    """Tables ``summary``, ``leaks`` and ``leaks_by_region`` (amounts in ``meta.unit``)."""
    view = overview_view(_select(request, dataset, year, bloc), lang)
    return view_response(view, "overview", format, table)


@router.get("/trend", summary="Closure indicators of every year of a dataset")
def trend(
    request: Request,
    dataset: DatasetQ = None,
    bloc: BlocQ = None,
    lang: LangQ = "en",
    format: FormatQ = "json",
) -> Response:
    """Table ``trend``: one row per year (seconds the first time, cached after)."""
    view = trend_view(_select(request, dataset, None, bloc), lang)
    return view_response(view, "trend", format, None)


@router.get("/value-chains", summary="Value added by origin in the members' final demand")
def value_chains(
    request: Request,
    dataset: DatasetQ = None,
    year: YearQ = None,
    bloc: BlocQ = None,
    member: Annotated[str | None, Query(description="One member (default all).")] = None,
    lang: LangQ = "en",
    format: FormatQ = "json",
    table: TableQ = None,
) -> Response:
    """Tables ``flows`` (origin region -> member final demand) and ``leakage`` (origin region
    and sector outside the bloc)."""
    view = value_chains_view(_select(request, dataset, year, bloc), lang, member or None)
    return view_response(view, "value-chains", format, table)


@router.get("/dependency", summary="Member sectors' dependency on inputs from outside")
def dependency(
    request: Request,
    dataset: DatasetQ = None,
    year: YearQ = None,
    bloc: BlocQ = None,
    lang: LangQ = "en",
    format: FormatQ = "json",
) -> Response:
    """Table ``shares``: member region x sector, direct / total / value-added shares."""
    view = dependency_view(_select(request, dataset, year, bloc), lang)
    return view_response(view, "dependency", format, None)
