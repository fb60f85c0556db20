"""The matching page: a need (text, HS / ISIC codes, preferred countries, quantity,
certifications, know-how) -> ranked partners, each with the evidence that makes its score.

=========================================== ================================================
``GET /matching``                           the form; with a need in the query, the ranked
                                            partners (``format=csv|parquet`` downloads them)
=========================================== ================================================

A need is a read, so the form is a GET (bookmarkable, no CSRF token needed). The page calls
the application's one :class:`~karavan.matching.Matcher` (``app.state.matcher``, the
:class:`~karavan.web.api.matching.MatcherHolder` the JSON API uses), so ``POST /api/v1/match``
and this page give the same ranking for the same need.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from karavan.matching import Match, MatchResult, NeedQuery
from karavan.web.api.matching import MatcherHolder
from karavan.web.pages.base import render
from karavan.web.pages.forms import frame_download
from karavan.web.pages.i18n import negotiate
from karavan.web.security import get_registry

__all__ = ["evidence_rows", "matcher_holder", "need_from_form", "router"]

router = APIRouter(tags=["pages: matching"], include_in_schema=False)

_SPLIT = re.compile(r"[\s,;]+")


def matcher_holder(request: Request) -> MatcherHolder:
    """The application's matcher holder (``app.state.matcher``), made on first use when the
    application was built without one."""
    holder = getattr(request.app.state, "matcher", None)
    if not isinstance(holder, MatcherHolder):
        holder = MatcherHolder(get_registry(request))
        request.app.state.matcher = holder
    return holder


def _list(value: str) -> list[str]:
    return [part for part in _SPLIT.split(value.strip()) if part]


def need_from_form(values: dict[str, str]) -> NeedQuery:
    """The :class:`NeedQuery` of the form's fields (codes and countries separated by spaces
    or commas; certifications by semicolons or commas); ValidationError when it is not a
    valid need."""
    data: dict[str, Any] = {
        "text": values.get("text", "").strip() or None,
        "hs_codes": _list(values.get("hs", "")),
        "isic_codes": _list(values.get("isic", "")),
        "preferred_countries": [c.upper() for c in _list(values.get("countries", ""))],
        "certifications": [
            c.strip() for c in re.split(r"[;,]", values.get("certifications", "")) if c.strip()
        ],
        "technology": values.get("technology", "") in ("1", "on", "true"),
        "limit": values.get("limit", "") or 10,
    }
    if values.get("quantity", "").strip():
        data["quantity"] = values["quantity"].strip().replace(",", ".")
        data["unit"] = values.get("unit", "").strip() or None
    return NeedQuery.model_validate(data)


def evidence_rows(match: Match) -> list[dict[str, Any]]:
    """One row per piece of evidence: its kind, what it says and its share of the score."""
    rows: list[dict[str, Any]] = []
    for e in match.evidence:
        if e.kind == "code":
            code = e.code if e.code.startswith(e.level) else f"{e.level}: {e.code}"
            detail = f"{code} ← {', '.join(e.wanted)}"
            if e.via:
                detail += f" (ISIC {e.via})"
        elif e.kind == "term":
            detail = f"«{e.term}» → {e.matched} ({e.field}, tf {e.tf:g})"
        elif e.kind == "country":
            detail = f"{e.country}: {e.tier or '—'}" + (" ★" if e.preferred else "")
        elif e.kind == "capacity":
            detail = (
                f"{e.verdict}: {'—' if e.capacity is None else format(e.capacity, 'g')} "
                f"{e.capacity_unit or ''} / {e.quantity:g} {e.unit or ''}"
            )
        else:
            detail = f"{', '.join(e.held) or '—'} / {', '.join(e.wanted)}"
        rows.append({"kind": e.kind, "detail": detail.strip(), "contribution": e.contribution})
    return rows


def _frame(result: MatchResult) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "rank": m.rank,
                "score": m.score,
                "organisation_id": m.organisation_id,
                "organisation_name_en": m.organisation_name_en,
                "organisation_name_ru": m.organisation_name_ru,
                "country": m.country,
                "kind": m.organisation_kind.value,
                "product_id": m.product_id,
                "hs_code": m.hs_code,
                "isic_code": m.isic_code,
                "capacity": m.capacity,
                "capacity_unit": m.capacity_unit,
                "certifications": "; ".join(m.certifications),
                "evidence": " | ".join(
                    f"{r['kind']}: {r['detail']} ({r['contribution']:.3f})"
                    for r in evidence_rows(m)
                ),
            }
            for m in result.matches
        ]
    )


@router.get("/matching", summary="Find partners for a need")
def matching_page(
    request: Request,
    text: Annotated[str, Query(max_length=2000)] = "",
    hs: Annotated[str, Query(max_length=500)] = "",
    isic: Annotated[str, Query(max_length=500)] = "",
    countries: Annotated[str, Query(max_length=500)] = "",
    quantity: Annotated[str, Query(max_length=30)] = "",
    unit: Annotated[str, Query(max_length=50)] = "",
    certifications: Annotated[str, Query(max_length=1000)] = "",
    technology: Annotated[str, Query(max_length=5)] = "",
    limit: Annotated[str, Query(max_length=3)] = "10",
    format: Annotated[str, Query(pattern="^(html|csv|parquet)$")] = "html",
) -> Response:
    """The form, and with a need the ranked partners and their evidence."""
    values = {
        "text": text,
        "hs": hs,
        "isic": isic,
        "countries": countries,
        "quantity": quantity,
        "unit": unit,
        "certifications": certifications,
        "technology": technology,
        "limit": limit,
    }
    asked = any(values[k].strip() for k in ("text", "hs", "isic"))
    result: MatchResult | None = None
    error: str | None = None
    if asked:
        try:
            need = need_from_form(values)
        except ValidationError as exc:
            error = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'need'}: {e['msg']}" for e in exc.errors()
            )
        else:
            result = matcher_holder(request).matcher().match(need)
    if result is not None and format != "html":
        return frame_download(_frame(result), format, "matches")
    lang = negotiate(request)[0]
    matches = [
        {
            "m": m,
            "name": (m.organisation_name_ru if lang == "ru" else m.organisation_name_en)
            or f"#{m.organisation_id}",
            "evidence": evidence_rows(m),
        }
        for m in (result.matches if result else [])
    ]
    query = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k not in ("format", "lang")]
    )
    return render(
        request,
        "matching/index.html",
        {
            "values": values,
            "asked": asked,
            "error": error,
            "result": result,
            "matches": matches,
            "download_url": f"/matching?{query}",
        },
        status_code=422 if error else 200,
        active="matching",
    )
