"""Monte Carlo outputs of ``karavan scenario run --draws``: the headline measures of each draw,
the tables saved with a run (percentiles, sensitivity, draws, drivers), the JSON summary, and
the printed report."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from karavan.cli import render
from karavan.cli.render import Col, fmt_amount, fmt_share
from karavan.scenarios.montecarlo import MonteCarloResult, summarise_draws
from karavan.scenarios.sensitivity import spearman_coefficients

__all__ = ["TOP_DRIVERS", "headline_draws", "mc_frames", "mc_summary", "print_mc"]

TOP_DRIVERS = 3


def _level_names(index: pd.Index) -> pd.Index:
    names = ["measure" if n is None or str(n).startswith("level_") else str(n) for n in index.names]
    return index.set_names(names)


def _relabel(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out.index = _level_names(out.index)
    return out


def headline_draws(mc: MonteCarloResult) -> pd.DataFrame:
    """draw x headline measure: the total change of every measure (output, value added, imports
    from outside the bloc, each stressor) and the bloc's closure after, at each draw."""
    ind = mc.outputs["industries"]
    measure = ind.columns.get_level_values(-1)
    data: dict[str, Any] = {}
    for m in dict.fromkeys(measure):
        if str(m).endswith("_change"):
            data[str(m)] = ind.loc[:, measure == m].to_numpy().sum(axis=1)
    clo = mc.outputs["closure"]
    data["closure_after"] = clo[("after", "closure")].to_numpy()
    frame = pd.DataFrame(data, index=mc.draws.index)
    frame.columns.name = "measure"
    return frame


def mc_frames(mc: MonteCarloResult) -> dict[str, pd.DataFrame]:
    """Headline draws, percentiles and sensitivity, the parameter draws and the drivers, every
    output's percentiles and sensitivity, and the regions' and closure's draws (entry labels
    named; the unnamed level of measures is called ``measure``)."""
    head = headline_draws(mc)
    values = head.to_numpy(dtype=np.float64)
    uncertain = [str(c) for c in mc.sensitivity["industries"].columns]
    frames: dict[str, pd.DataFrame] = {
        "headline/percentiles": summarise_draws(values, head.columns),
        "headline/sensitivity": spearman_coefficients(mc.draws[uncertain], values, head.columns),
        "headline/draws": head,
        "draws": mc.draws,
        "drivers": mc.drivers(),
    }
    for name in mc.outputs:
        frames[f"{name}/percentiles"] = _relabel(mc.percentiles[name])
        frames[f"{name}/sensitivity"] = _relabel(mc.sensitivity[name])
    for name in ("regions", "closure"):  # small; industries x draws stays in Python
        out = mc.outputs[name].copy()
        out.columns = _level_names(out.columns)
        frames[f"{name}/draws"] = out
    return frames


def _top_drivers(rho: pd.Series, top: int) -> list[tuple[str, float]]:
    r = rho.dropna()
    order = r.abs().sort_values(ascending=False, kind="stable").index[:top]
    return [(str(p), float(r[p])) for p in order]


def mc_summary(frames: dict[str, pd.DataFrame]) -> dict[str, Any]:
    pct, sens = frames["headline/percentiles"], frames["headline/sensitivity"]
    out: dict[str, Any] = {}
    for m in pct.index:
        out[str(m)] = {
            **{str(k): float(v) for k, v in pct.loc[m].items()},
            "drivers": [
                {"parameter": p, "rho": rho} for p, rho in _top_drivers(sens.loc[m], TOP_DRIVERS)
            ],
        }
    return out


def print_mc(frames: dict[str, pd.DataFrame], title: str, caption: str) -> None:
    con = render.console()
    con.print(title)
    pct, sens = frames["headline/percentiles"], frames["headline/sensitivity"]

    def cell(m: str) -> Callable[[Any], str]:
        return fmt_share if m == "closure_after" else fmt_amount

    rows = [(m, *(cell(m)(pct.at[m, c]) for c in ("mean", "p5", "p50", "p95"))) for m in pct.index]
    con.print(
        render.table(
            "headline outputs",
            [Col("measure")] + [Col(c, str, True) for c in ("mean", "p5", "p50", "p95")],
            rows,
            caption=caption,
        )
    )
    driver_rows = []
    for m in pct.index:
        for rank, (p, rho) in enumerate(_top_drivers(sens.loc[m], TOP_DRIVERS), start=1):
            driver_rows.append((m if rank == 1 else "", rank, p, rho))
    if driver_rows:
        con.print(
            render.table(
                "top sensitivity drivers (Spearman rank correlation)",
                [
                    Col("measure"),
                    Col("rank", str, True),
                    Col("parameter"),
                    Col("rho", lambda v: f"{v:+.3f}", True),
                ],
                driver_rows,
            )
        )
    else:
        con.print("no parameter varies: no sensitivity ranking")
