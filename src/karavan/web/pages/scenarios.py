"""The scenario lab: run an example, an uploaded scenario file or a small form's final-demand
change on its baseline table; see the change in output and value added by region and sector
(with the p5-p95 band of a Monte Carlo run); list, download and compare saved runs.

=========================================== ================================================
``GET /scenarios``                          the three ways to start, and the saved runs
``POST /scenarios/run``                     run (Monte Carlo when the spec has
                                            distributions), save, go to the run's page
``GET /scenarios/runs/{run_id}``            one saved run: totals, closure, charts, tables
``GET /scenarios/runs/{run_id}/download``   ``format=csv|parquet``: the run as the CLI's
                                            ``scenario export`` writes it
``GET /scenarios/compare?a=&b=``            two deterministic runs side by side
=========================================== ================================================

Runs are computed by :class:`~karavan.scenarios.runner.ScenarioRunner` and
:func:`~karavan.scenarios.montecarlo.monte_carlo_scenario` and saved in the same
:class:`~karavan.scenarios.store.RunStore` as ``karavan scenario run --save``
(``DATA_DIR/runs``), so the CLI lists and compares runs made here and the other way round.
Monte Carlo runs here are small (at most :data:`MAX_DRAWS` draws, in this process).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import numpy as np
import pandas as pd
import yaml
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.responses import RedirectResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from karavan.core.table import MRIOTable
from karavan.datastore import DatasetInfo, DataStore
from karavan.errors import DatasetNotFoundError, KaravanError, ScenarioError
from karavan.scenarios.montecarlo import monte_carlo_scenario
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.scenarios.store import DatasetRef, RunStore, compare_runs
from karavan.web.pages.base import render
from karavan.web.pages.forms import (
    CSRF_FIELD,
    checked_form,
    form_token,
    frame_download,
    with_form_cookie,
)
from karavan.web.pages.i18n import Lang, negotiate, region_name, sector_name, translator
from karavan.web.security import get_settings
from karavan.web.tables import cached_table

__all__ = [
    "DEFAULT_BASELINE",
    "EXAMPLES_DIR",
    "MAX_DRAWS",
    "form_spec",
    "router",
    "run_scenario",
]

router = APIRouter(tags=["pages: scenarios"], include_in_schema=False)

EXAMPLES_DIR = Path(__file__).resolve().parents[4] / "examples"
"""The worked examples of a source checkout (``examples/*.yaml``); none when installed."""
DEFAULT_BASELINE = ("wiod2013-eaeu", 2011)
"""The baseline of the small form: the built-in WIOD 2013 table, 2011."""
MAX_DRAWS = 500
DEFAULT_DRAWS = 100
MAX_SPEC_BYTES = 1024 * 1024
_RUN_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$"
RunId = Annotated[str, PathParam(pattern=_RUN_ID)]


# --- running -----------------------------------------------------------------------------------


def _table(data_dir: Path, dataset: str, year: int | None) -> tuple[DatasetInfo, MRIOTable]:
    store = DataStore(data_dir)
    info = store.info(dataset)
    return info, cached_table(str(data_dir), dataset, store.resolve_year(info, year))


def _runs(request: Request) -> RunStore:
    return RunStore(get_settings(request).data_dir / "runs")


def _mc_summary(outputs: pd.DataFrame) -> dict[str, Any]:
    """Percentiles over the draws of each measure's total change (summed over regions)."""
    out: dict[str, Any] = {}
    columns = outputs.columns
    for measure in ("output_change", "value_added_change", "imports_change"):
        picked = [c for c in columns if isinstance(c, tuple) and c[-1] == measure]
        if not picked:
            continue
        totals = outputs[picked].to_numpy(dtype=np.float64).sum(axis=1)
        p5, p50, p95 = np.percentile(totals, [5, 50, 95])
        out[measure] = {
            "mean": float(totals.mean()),
            "p5": float(p5),
            "p50": float(p50),
            "p95": float(p95),
        }
    return out


def run_scenario(
    store: RunStore, data_dir: Path, spec: ScenarioSpec, draws: int, seed: int = 0
) -> str:
    """Run ``spec`` on its baseline (deterministic; Monte Carlo with ``draws`` draws when it
    has distributions), save it in ``store`` and return the run's id."""
    info, table = _table(data_dir, spec.baseline.dataset, spec.baseline.year)
    ref = DatasetRef(info.name, table.meta.year, info.checksum(table.meta.year))
    runner = ScenarioRunner(table, bloc=spec.bloc)
    if spec.is_deterministic():
        return store.save(spec, runner.run(spec), ref).provenance.run_id
    mc = monte_carlo_scenario(runner, spec, n=draws, seed=seed, workers=1)
    frames = {
        "regions/percentiles": mc.percentiles["regions"],
        "industries/percentiles": mc.percentiles["industries"],
        "draws": mc.draws,
    }
    summary = _mc_summary(mc.outputs["regions"])
    saved = store.save_monte_carlo(
        spec, frames, summary, ref, seed=seed, method="random", draws=draws
    )
    return saved.provenance.run_id


def form_spec(
    region: str, sector: str, value: float, low: float | None, high: float | None
) -> dict[str, Any]:
    """The scenario of the small form: final demand for ``sector``'s product made in
    ``region`` changes by ``value`` (USD million), on the default baseline; with ``low`` and
    ``high`` the change is triangular (``value`` its mode), for a Monte Carlo run."""
    change: Any = value
    if low is not None and high is not None:
        change = {"dist": "triangular", "low": low, "mode": value, "high": high}
    dataset, year = DEFAULT_BASELINE
    return {
        "name": f"final-demand-{region}-{sector}",
        "description": f"final demand for {sector} made in {region} changes by {value:g}",
        "baseline": {"dataset": dataset, "year": year},
        "bloc": "EAEU",
        "shocks": [{"type": "final_demand", "region": region, "sector": sector, "value": change}],
    }


def _examples() -> list[str]:
    if not EXAMPLES_DIR.is_dir():
        return []
    return sorted(p.name for p in EXAMPLES_DIR.glob("*.yaml"))


def _number(value: Any, field: str, *, optional: bool = False) -> float | None:
    text = str(value if value is not None else "").strip().replace(",", ".")
    if not text and optional:
        return None
    try:
        number = float(text)
    except ValueError:
        raise ScenarioError(f"{field} must be a number; got {text[:40]!r}") from None
    if not np.isfinite(number):
        raise ScenarioError(f"{field} must be a finite number; got {text[:40]!r}")
    return number


async def _spec_of(form: Any) -> ScenarioSpec:
    source = str(form.get("source", ""))
    if source == "example":
        name = str(form.get("example", ""))
        if name not in _examples():
            raise ScenarioError(f"example must be one of {', '.join(_examples())}; got {name!r}")
        return ScenarioSpec.from_file(EXAMPLES_DIR / name)
    if source == "upload":
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ScenarioError("choose a scenario file (YAML or JSON); got none")
        raw = await upload.read(MAX_SPEC_BYTES + 1)
        if len(raw) > MAX_SPEC_BYTES:
            raise ScenarioError(f"a scenario file must be at most {MAX_SPEC_BYTES} bytes")
        try:
            text = raw.decode("utf-8")
            is_json = upload.filename.lower().endswith(".json")
            data = json.loads(text) if is_json else yaml.safe_load(text)
        except (UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise ScenarioError(f"{upload.filename}: not valid YAML or JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ScenarioError(
                f"{upload.filename}: a scenario must be a mapping; got {type(data).__name__}"
            )
        return ScenarioSpec.parse(data, source=upload.filename)
    if source == "form":
        value = _number(form.get("value"), "change")
        assert value is not None
        low = _number(form.get("low"), "low", optional=True)
        high = _number(form.get("high"), "high", optional=True)
        if (low is None) != (high is None):
            raise ScenarioError("give both low and high for an uncertain change, or neither")
        spec = form_spec(str(form.get("region", "")), str(form.get("sector", "")), value, low, high)
        return ScenarioSpec.parse(spec, source="form")
    raise ScenarioError(f"source must be example, upload or form; got {source!r}")


# --- pages -------------------------------------------------------------------------------------


def _lab_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    dataset, year = DEFAULT_BASELINE
    _, table = _table(get_settings(request).data_dir, dataset, year)
    token = form_token(request)
    response = render(
        request,
        "scenarios/index.html",
        {
            "examples": _examples(),
            "regions": list(table.regions),
            "sectors": list(table.sectors),
            "runs": list(reversed(_runs(request).list())),
            "error": error,
            "max_draws": MAX_DRAWS,
            "default_draws": DEFAULT_DRAWS,
            CSRF_FIELD: token,
        },
        status_code=status_code,
        active="scenarios",
    )
    return with_form_cookie(request, response, token)


@router.get("/scenarios", summary="The scenario lab")
def lab(request: Request) -> Response:
    """The examples, the upload, the small form and the saved runs."""
    return _lab_page(request)


@router.post("/scenarios/run", summary="Run a scenario")
async def run(request: Request) -> Response:
    """Run and save the chosen scenario, then show it; a bad spec shows the lab again with
    the error (422)."""
    form = await request.form()
    checked_form(request, str(form.get(CSRF_FIELD, "")))
    try:
        spec = await _spec_of(form)
        draws = int(_number(form.get("draws") or DEFAULT_DRAWS, "draws") or DEFAULT_DRAWS)
        if not 2 <= draws <= MAX_DRAWS:
            raise ScenarioError(f"draws must be 2..{MAX_DRAWS}; got {draws}")
        run_id = await run_in_threadpool(
            run_scenario, _runs(request), get_settings(request).data_dir, spec, draws
        )
    except KaravanError as exc:
        return _lab_page(request, str(exc), 422)
    return RedirectResponse(f"/scenarios/runs/{run_id}", 303)


def _bar(x: list[str], series: list[tuple[str, list[float], list[float] | None]]) -> str:
    traces = []
    for name, values, band in series:
        trace: dict[str, Any] = {"type": "bar", "name": name, "x": x, "y": values}
        if band is not None:
            trace["error_y"] = {
                "type": "data",
                "symmetric": False,
                "array": [float(hi - v) for hi, v in zip(band[1::2], values, strict=True)],
                "arrayminus": [float(v - lo) for lo, v in zip(band[0::2], values, strict=True)],
            }
        traces.append(trace)
    layout = {"barmode": "group", "margin": {"t": 20}, "legend": {"orientation": "h"}}
    return json.dumps({"data": traces, "layout": layout})


def _deterministic_view(request: Request, run_id: str, lang: Lang) -> dict[str, Any]:
    saved = _runs(request).load(run_id)
    result = saved.result
    t = translator(lang)
    regions = result.regions()
    labels = [region_name(str(r), lang) for r in regions.index]
    by_sector = result.industries.groupby(level="sector", sort=False).sum()
    top = by_sector["output_change"].abs().sort_values(ascending=False).index[:15]
    sector_labels = [sector_name(str(s), lang) for s in top]
    ind = result.industries
    order = ind["output_change"].abs().sort_values(ascending=False).index[:20]
    return {
        "kind": "scenario",
        "provenance": saved.provenance,
        "summary": result.summary(),
        "measures": ("output", "value_added", "imports"),
        "notes": list(result.notes),
        "region_rows": [
            {"region": r, **{k: float(v) for k, v in row.items()}}
            for r, row in zip(regions.index, regions.to_dict("records"), strict=True)
        ],
        "industry_rows": [
            {
                "region": r,
                "sector": s,
                "output_change": float(ind.loc[(r, s), "output_change"]),
                "value_added_change": float(ind.loc[(r, s), "value_added_change"]),
            }
            for r, s in order
        ],
        "region_figure": _bar(
            labels,
            [
                (t("scenarios.output_change"), regions["output_change"].tolist(), None),
                (t("scenarios.value_added_change"), regions["value_added_change"].tolist(), None),
            ],
        ),
        "sector_figure": _bar(
            sector_labels,
            [
                (t("scenarios.output_change"), by_sector.loc[top, "output_change"].tolist(), None),
                (
                    t("scenarios.value_added_change"),
                    by_sector.loc[top, "value_added_change"].tolist(),
                    None,
                ),
            ],
        ),
    }


def _percentile_table(long: pd.DataFrame, frame: str, labels: list[str]) -> pd.DataFrame:
    part = long[long["frame"] == frame]
    return part.pivot_table(
        index=[*labels, "measure"], columns="statistic", values="value", sort=False
    )


def _monte_carlo_view(request: Request, run_id: str, lang: Lang) -> dict[str, Any]:
    saved = _runs(request).load_monte_carlo(run_id)
    t = translator(lang)
    regions = _percentile_table(saved.long, "regions/percentiles", ["region"])
    cells: dict[tuple[str, str, str], float] = {
        (str(key[0]), str(key[1]), str(stat)): float(value)
        for key, values in zip(regions.index, regions.to_dict("records"), strict=True)
        for stat, value in values.items()
    }
    rows: list[dict[str, Any]] = []
    for region in dict.fromkeys(str(r) for r in regions.index.get_level_values("region")):
        row: dict[str, Any] = {"region": region}
        for m in ("output_change", "value_added_change"):
            for stat in ("p5", "p50", "p95", "mean"):
                row[f"{m}_{stat}"] = cells[(region, m, stat)]
        rows.append(row)
    labels = [region_name(r["region"], lang) for r in rows]

    def series(m: str) -> tuple[str, list[float], list[float] | None]:
        band = [float(v) for r in rows for v in (r[f"{m}_p5"], r[f"{m}_p95"])]
        return t(f"scenarios.{m}") + " (p50)", [float(r[f"{m}_p50"]) for r in rows], band

    industries = _percentile_table(saved.long, "industries/percentiles", ["region", "sector"])
    out = industries.xs("output_change", level="measure")
    order = out["p50"].abs().sort_values(ascending=False).index[:15]
    ind_rows: list[dict[str, Any]] = [
        {
            "region": str(key[0]),
            "sector": str(key[1]),
            **{str(k): float(v) for k, v in out.loc[key].items()},
        }
        for key in order
    ]
    ind_labels = [
        f"{region_name(r['region'], lang)}: {sector_name(r['sector'], lang)}" for r in ind_rows
    ]
    band: list[float] = [float(v) for r in ind_rows for v in (r["p5"], r["p95"])]
    return {
        "kind": "monte_carlo",
        "provenance": saved.provenance,
        "summary": saved.summary,
        "notes": [],
        "region_rows": rows,
        "industry_rows": ind_rows,
        "region_figure": _bar(labels, [series("output_change"), series("value_added_change")]),
        "sector_figure": _bar(
            ind_labels,
            [(t("scenarios.output_change") + " (p50)", [float(r["p50"]) for r in ind_rows], band)],
        ),
    }


@router.get("/scenarios/runs/{run_id}", summary="A saved run")
def run_page(request: Request, run_id: RunId) -> Response:
    """A saved run's totals, closure, charts by region and by sector (with the p5-p95 band
    of a Monte Carlo run) and its tables."""
    lang = negotiate(request)[0]
    kind = next((r.kind for r in _runs(request).list() if r.run_id.startswith(run_id)), None)
    with _known_runs(run_id):
        if kind == "monte_carlo":
            view = _monte_carlo_view(request, run_id, lang)
        else:
            view = _deterministic_view(request, run_id, lang)
    return render(request, "scenarios/run.html", view, active="scenarios")


@contextmanager
def _known_runs(*run_ids: str) -> Iterator[None]:
    """A run id that names no saved run is a 404 (the store's message, which lists the
    directory and every saved run, stays in the server)."""
    try:
        yield
    except DatasetNotFoundError:
        raise HTTPException(
            404, f"no saved run {' or '.join(repr(r) for r in run_ids)} (or a prefix of several)"
        ) from None


@router.get("/scenarios/runs/{run_id}/download", summary="Download a saved run")
def run_download(
    request: Request,
    run_id: RunId,
    format: Annotated[str, Query(pattern="^(csv|parquet)$")] = "csv",
) -> Response:
    """The run as ``karavan scenario export`` writes it (long table: every measure of every
    industry, or a Monte Carlo run's percentiles and draws)."""
    with tempfile.TemporaryDirectory() as tmp, _known_runs(run_id):
        path = _runs(request).export(run_id, format, Path(tmp) / f"run.{format}")  # type: ignore[arg-type]
        body = path.read_bytes()
    media = "text/csv; charset=utf-8" if format == "csv" else "application/vnd.apache.parquet"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{run_id}.{format}"'},
    )


@router.get("/scenarios/compare", summary="Compare two saved runs")
def compare(
    request: Request,
    a: Annotated[str, Query(pattern=_RUN_ID)],
    b: Annotated[str, Query(pattern=_RUN_ID)],
    format: Annotated[str, Query(pattern="^(html|csv|parquet)$")] = "html",
) -> Response:
    """Two deterministic runs' totals side by side with the difference, and their output
    change by region."""
    store = _runs(request)
    with _known_runs(a, b):
        run_a, run_b = store.load(a), store.load(b)
    table = compare_runs(run_a, run_b)
    if format != "html":
        return frame_download(table.reset_index().astype({"measure": str}), format, "compare")
    lang = negotiate(request)[0]
    ra, rb = run_a.result.regions(), run_b.result.regions()
    regions = list(dict.fromkeys([*ra.index, *rb.index]))
    figure = _bar(
        [region_name(str(r), lang) for r in regions],
        [
            (
                run_a.provenance.spec_name,
                ra["output_change"].reindex(regions).fillna(0).tolist(),
                None,
            ),
            (
                run_b.provenance.spec_name,
                rb["output_change"].reindex(regions).fillna(0).tolist(),
                None,
            ),
        ],
    )
    rows = [
        {"measure": str(m), "a": row.iloc[0], "b": row.iloc[1], "difference": row.iloc[2]}
        for m, row in table.iterrows()
    ]
    return render(
        request,
        "scenarios/compare.html",
        {
            "a": run_a.provenance,
            "b": run_b.provenance,
            "rows": rows,
            "figure": figure,
            "download_url": "/scenarios/compare?"
            + urlencode({"a": run_a.provenance.run_id, "b": run_b.provenance.run_id}),
        },
        active="scenarios",
    )
