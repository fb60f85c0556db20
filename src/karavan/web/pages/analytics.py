"""The numbers behind the analytics pages and their JSON API: one set of functions for both.

Every view is an :class:`AnalyticsView`: ``meta`` (dataset, year, bloc, unit, the statement of
which members the table resolves) and named ``tables`` (pandas frames with codes, names in the
requested language, amounts in the table's unit and shares as fractions). The pages
(:mod:`.overview`, :mod:`.value_chains`, :mod:`.dependency`) draw them; the API
(:mod:`karavan.web.api.analytics`) returns them as JSON, CSV or Parquet. The numbers come from
:mod:`karavan.core`: :func:`~karavan.core.gvc.closure_indicators`,
:func:`~karavan.core.gvc.closure_series`, :func:`~karavan.core.value_added_by_origin`,
:func:`~karavan.core.gvc.dependency_map`; nothing here recomputes them differently.

Speed: a page must render within a second, and factorising ``I - A`` of the built-in table
(525 industries) takes about 0.1 s, so the Leontief models and closure indicators of recently
used (dataset, year[, bloc]) are kept in small LRU caches, and the closure trend over all years
(one factorisation per year, seconds) is cached per (dataset, bloc) and fetched by the page
after it has rendered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from karavan.core import BLOCS, value_added_by_origin
from karavan.core.gvc import ClosureIndicators, closure_indicators, closure_series, dependency_map
from karavan.core.gvc.economies import bloc_members
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable
from karavan.datastore import DatasetInfo, DataStore
from karavan.errors import DatasetNotFoundError, LabelError
from karavan.web.pages.i18n import Lang, catalogue, region_name, sector_name
from karavan.web.tables import cached_table

if TYPE_CHECKING:
    from starlette.requests import Request

__all__ = [
    "DEFAULT_BLOC",
    "DEFAULT_DATASET",
    "AnalyticsView",
    "Selection",
    "clear_caches",
    "data_store",
    "dependency_view",
    "overview_view",
    "select",
    "trend_cached",
    "trend_view",
    "value_chains_view",
]

DEFAULT_DATASET = "wiod2013-eaeu"
DEFAULT_BLOC = "EAEU"
TOP_LEAKS = 10


@dataclass(frozen=True)
class Selection:
    """What a page shows: a dataset, one of its years and a bloc (a key of ``BLOCS``)."""

    root: str
    dataset: str
    year: int
    bloc: str
    info: DatasetInfo = field(compare=False, hash=False, repr=False)

    @property
    def members(self) -> tuple[str, ...]:
        return BLOCS[self.bloc]

    @property
    def years(self) -> list[int]:
        return [y for y in self.info.years if y is not None]


@dataclass(frozen=True)
class AnalyticsView:
    """A view's description and its tables (see the module docstring)."""

    meta: dict[str, Any]
    tables: dict[str, pd.DataFrame]

    def table(self, name: str | None) -> pd.DataFrame:
        """The table ``name`` (the first when None); LabelError naming the choices if unknown."""
        if name is None:
            return next(iter(self.tables.values()))
        if name not in self.tables:
            raise LabelError(
                f"unknown table {name!r} for this view; choose one of {', '.join(self.tables)}"
            )
        return self.tables[name]


def data_store(request: Request) -> DataStore:
    """The datasets of the application's settings (``KARAVAN_DATA_DIR`` and the built-in)."""
    return DataStore(request.app.state.settings.data_dir)


def select(store: DataStore, dataset: str | None, year: int | None, bloc: str | None) -> Selection:
    """The validated selection (defaults: the built-in dataset, its latest year, the EAEU).
    Unknown datasets and years raise DatasetNotFoundError, unknown blocs LabelError."""
    name = dataset or DEFAULT_DATASET
    try:
        info = store.info(name)
    except DatasetNotFoundError:
        known = ", ".join(d.name for d in store.list()) or "none"
        # the store's message names its directory: not for the web
        raise DatasetNotFoundError(f"no dataset named {name[:80]!r}; available: {known}") from None
    dated = [y for y in info.years if y is not None]
    if not dated:
        raise LabelError(f"dataset {name!r} has no dated years; the analytics pages need years")
    chosen = store.resolve_year(info, year if year is not None else max(dated))
    assert chosen is not None
    key = {k.upper(): k for k in BLOCS}.get((bloc or DEFAULT_BLOC).strip().upper())
    if key is None:
        raise LabelError(f"unknown bloc {bloc!r}; choose one of {', '.join(BLOCS)}")
    return Selection(str(store.root), name, chosen, key, info)


# ---------------------------------------------------------------------- caches
@lru_cache(maxsize=8)
def _model(root: str, dataset: str, year: int) -> LeontiefModel:
    """The factorised Leontief model of one year (kept: about 2 MB per built-in year)."""
    return LeontiefModel(cached_table(root, dataset, year))


@lru_cache(maxsize=16)
def _closure(root: str, dataset: str, year: int, bloc: str) -> ClosureIndicators:
    return closure_indicators(_model(root, dataset, year), BLOCS[bloc], name=bloc)


_trend_keys: set[tuple[str, str, str]] = set()


@lru_cache(maxsize=8)
def _trend(root: str, dataset: str, bloc: str) -> pd.DataFrame:
    store = DataStore(Path(root))
    frame = closure_series(store.iter_tables(dataset), BLOCS[bloc], name=bloc)
    _trend_keys.add((root, dataset, bloc))
    return frame


def trend_cached(sel: Selection) -> bool:
    """Whether the trend of ``sel``'s dataset and bloc is already computed (the overview then
    draws it at once instead of fetching it after rendering)."""
    return (sel.root, sel.dataset, sel.bloc) in _trend_keys


def warm_caches(root: str) -> None:
    """Compute what the overview shows first (the default selection's closure and its trend
    over every year), so that the first visitor does not wait for it. Run by the application
    in a background thread at start-up; a failure only means the first visit computes it."""
    store = DataStore(Path(root))
    sel = select(store, None, None, None)
    _closure(sel.root, sel.dataset, sel.year, sel.bloc)
    _trend(sel.root, sel.dataset, sel.bloc)


def clear_caches() -> None:
    """Forget every cached model and result (tests; after a dataset is replaced)."""
    cached_table.cache_clear()
    _model.cache_clear()
    _closure.cache_clear()
    _trend.cache_clear()
    _trend_keys.clear()


# ---------------------------------------------------------------------- meta
def _meta(sel: Selection, table: MRIOTable, lang: Lang) -> dict[str, Any]:
    """The view's description, with the statement of which members the table resolves (every
    page shows it: on the built-in data Kazakhstan, Belarus, Armenia and Kyrgyzstan are inside
    the rest of the world, so "EAEU" means Russia alone)."""
    present, absent = bloc_members(table.regions, sel.members)
    t = catalogue()
    prov = sel.info.provenance
    source = " ".join(x for x in (prov.source, prov.edition) if x) or sel.dataset
    rest = next((r for r in table.regions if r.upper() == "ROW"), None)
    names = ", ".join(region_name(r, lang) for r in absent)
    bloc_label = t.t(lang, f"bloc.{sel.bloc}")
    if not absent:
        statement = t.t(lang, "data.members_all", bloc=bloc_label)
    elif rest is not None:
        statement = t.t(
            lang,
            "data.row_caveat",
            source=source,
            absent=names,
            rest=region_name(rest, lang),
            bloc=bloc_label,
            present=", ".join(region_name(r, lang) for r in present),
        )
    else:
        statement = t.t(lang, "data.members_missing", absent=names, bloc=bloc_label)
    unit = f"{table.meta.currency} {table.meta.unit}"
    basis = table.meta.price_basis
    return {
        "dataset": sel.dataset,
        "dataset_title": sel.info.title,
        "source": source,
        "licence": prov.licence,
        "year": sel.year,
        "years": sel.years,
        "bloc": sel.bloc,
        "bloc_label": bloc_label,
        "members": list(sel.members),
        "resolved": list(present),
        "not_resolved": list(absent),
        "rest_region": rest if absent else None,
        "statement": statement,
        "unit": unit,
        "unit_label": t.t(lang, "unit.usd_million") if unit == "USD million" else unit,
        "price_basis": basis,
        "price_basis_label": (
            t.t(lang, "price.basic_current") if basis == "basic prices (current)" else basis
        ),
        "lang": lang,
    }


def _named_origin(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    """Origin (region, sector) index -> columns with the names in ``lang``."""
    out = frame.reset_index()
    out.columns = ["origin_region", "origin_sector", *out.columns[2:]]
    out.insert(1, "origin_region_name", [region_name(r, lang) for r in out["origin_region"]])
    out.insert(3, "origin_sector_name", [sector_name(s, lang) for s in out["origin_sector"]])
    return out


# ---------------------------------------------------------------------- views
def overview_view(sel: Selection, lang: Lang, *, top: int = TOP_LEAKS) -> AnalyticsView:
    """The bloc's closure indicators in ``sel.year`` (table ``summary``: one row per indicator),
    its biggest leaks (``leaks``: origin region x sector outside the bloc, top ``top``) and the
    leak by origin region (``leaks_by_region``)."""
    ind = _closure(sel.root, sel.dataset, sel.year, sel.bloc)
    table = _model(sel.root, sel.dataset, sel.year).table
    summary = ind.summary()
    indicators = (
        ("closure", "share"),
        ("value_added_in_final_demand", "amount"),
        ("created_inside", "amount"),
        ("leakage", "amount"),
        ("export_closure", "share"),
        ("absorbed_outside_share", "share"),
    )
    t = catalogue()
    unit = f"{table.meta.currency} {table.meta.unit}"
    summary_frame = pd.DataFrame(
        {
            "indicator": [k for k, _ in indicators],
            "label": [t.t(lang, f"indicator.{k}") for k, _ in indicators],
            "value": [float(summary[k]) for k, _ in indicators],
            "unit": [unit if kind == "amount" else "fraction" for _, kind in indicators],
        }
    )
    leaks = _named_origin(ind.leakage_by_origin("final_demand").iloc[:top], lang)
    by_region = ind.by_origin_region()
    outside = by_region[~by_region["inside"]].drop(columns="inside").reset_index()
    outside.columns = ["origin_region", "value_added", "share"]
    outside.insert(
        1, "origin_region_name", [region_name(r, lang) for r in outside["origin_region"]]
    )
    return AnalyticsView(
        _meta(sel, table, lang),
        {"summary": summary_frame, "leaks": leaks, "leaks_by_region": outside},
    )


def trend_view(sel: Selection, lang: Lang) -> AnalyticsView:
    """The closure indicators of every year of ``sel``'s dataset (table ``trend``; seconds on
    first call, cached after)."""
    frame = _trend(sel.root, sel.dataset, sel.bloc)
    table = _model(sel.root, sel.dataset, sel.year).table
    columns = [
        "value_added_in_final_demand",
        "created_inside",
        "leakage",
        "closure",
        "export_closure",
        "absorbed_outside_share",
    ]
    trend = frame[columns].reset_index()
    return AnalyticsView(_meta(sel, table, lang), {"trend": trend})


def value_chains_view(sel: Selection, lang: Lang, member: str | None = None) -> AnalyticsView:
    """Where the value added in the members' final demand comes from.

    ``flows``: origin region x destination member: value added created in the origin region
    embodied in the member's final use (:func:`~karavan.core.value_added_by_origin` summed over
    the origin's sectors), with ``inside`` (origin is a member); restricted to ``member`` when
    given. ``leakage``: the bloc's final-demand leakage by origin region and sector (every
    non-zero origin outside the bloc), from :meth:`ClosureIndicators.leakage_by_origin`.
    """
    model = _model(sel.root, sel.dataset, sel.year)
    table = model.table
    meta = _meta(sel, table, lang)
    present = meta["resolved"]
    if member is not None and member not in present:
        raise LabelError(
            f"member {member!r} is not a member of {sel.bloc} resolved by {sel.dataset!r}; "
            f"choose one of {', '.join(present)}"
        )
    destinations = [member] if member else present
    va = value_added_by_origin(model)[destinations].groupby(level="region", sort=False).sum()
    flows = pd.DataFrame(va.stack()).reset_index()
    flows.columns = ["origin_region", "destination", "value_added"]
    flows = flows[flows["value_added"] > 0].reset_index(drop=True)
    flows.insert(1, "origin_region_name", [region_name(r, lang) for r in flows["origin_region"]])
    flows.insert(2, "inside", flows["origin_region"].isin(present))
    flows["destination_name"] = [region_name(r, lang) for r in flows["destination"]]
    flows = flows.sort_values(["destination", "value_added"], ascending=[True, False])
    ind = _closure(sel.root, sel.dataset, sel.year, sel.bloc)
    leak = ind.leakage_by_origin("final_demand")
    leakage = _named_origin(leak[leak["value_added"] > 0], lang)
    meta["member"] = member
    return AnalyticsView(meta, {"flows": flows.reset_index(drop=True), "leakage": leakage})


def dependency_view(sel: Selection, lang: Lang) -> AnalyticsView:
    """How much each member industry depends on inputs from outside the bloc (table
    ``shares``: member region x sector with the direct share of intermediate inputs bought
    outside, the total share of input requirements met outside, and the share of value added
    created outside, from :func:`~karavan.core.gvc.dependency_map`)."""
    model = _model(sel.root, sel.dataset, sel.year)
    dep = dependency_map(model, BLOCS[sel.bloc], name=sel.bloc)
    shares = dep.shares.reset_index()
    shares.columns = ["region", "sector", *shares.columns[2:]]
    shares.insert(1, "region_name", [region_name(r, lang) for r in shares["region"]])
    shares.insert(3, "sector_name", [sector_name(s, lang) for s in shares["sector"]])
    return AnalyticsView(_meta(sel, model.table, lang), {"shares": shares})
