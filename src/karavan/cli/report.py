"""``karavan report``: a readable report on a bloc's value chains (default: the EAEU on the
built-in WIOD 2013 data).

Presentation only: the numbers come from :mod:`karavan.core` (``closure_indicators`` of
:mod:`karavan.core.gvc.closure` for the value-added closure and its sources, ``aggregate`` with
``bloc_concordance`` for the bloc's totals and multipliers as one region).
"""

from __future__ import annotations

from typing import Annotated, Any

import pandas as pd
import typer

from karavan.cli import render
from karavan.cli.app import JsonOpt, app, fail, leontief_model, parse_bloc, state
from karavan.cli.render import Col, fmt_amount, fmt_ratio, fmt_share
from karavan.core.aggregation import aggregate, bloc_concordance
from karavan.core.gvc.closure import ClosureIndicators, closure_indicators
from karavan.core.gvc.economies import bloc_members
from karavan.core.multipliers import output_multipliers
from karavan.core.table import MRIOTable
from karavan.datastore import DatasetInfo, DataStore

__all__ = ["DEFAULT_DATASET", "build_report", "report_cmd"]

DEFAULT_DATASET = "wiod2013-eaeu"


def _rest_region(regions: tuple[str, ...]) -> str | None:
    """The table's rest-of-world region, if it has one (by its usual names)."""
    for r in regions:
        low = r.lower().replace("_", " ").replace("-", " ")
        if low in {"row", "rest of world", "rest of the world", "row region"}:
            return r
    return None


def _membership_sentence(
    source: str, bloc: str, present: tuple[str, ...], absent: tuple[str, ...], rest: str | None
) -> str:
    if not absent:
        return f"{source} resolves every member of {bloc} separately: {', '.join(present)}."
    verb = "is" if len(absent) == 1 else "are"
    where = f"inside {rest}" if rest else "not in the table"
    return (
        f"{source} resolves only {', '.join(present)} separately; {', '.join(absent)} {verb} "
        f"{where} and cannot be separated, so '{bloc}' below means "
        f"{' + '.join(present)}{' alone' if len(present) == 1 else ''}."
    )


def _year_row(year: int | None, ind: ClosureIndicators) -> dict[str, Any]:
    abroad = ind.absorbed_outside
    return {
        "year": year,
        "value_added_in_final_demand": ind.total_in_final_demand,
        "created_inside": ind.inside,
        "closure": ind.closure,
        "bloc_value_added": ind.bloc_value_added,
        "absorbed_abroad_share": abroad / ind.bloc_value_added if ind.bloc_value_added else None,
    }


def build_report(
    store: DataStore,
    dataset: str,
    year: int | None,
    bloc_name: str,
    members: tuple[str, ...],
    *,
    top: int = 10,
    progress: bool = False,
) -> dict[str, Any]:
    """Every number of the report, as plain values and frames (rendered as text or JSON)."""
    info = store.info(dataset)
    if year is None:
        dated = [y for y in info.years if y is not None]
        year = max(dated) if dated else store.resolve_year(info, None)
    else:
        year = store.resolve_year(info, year)
    years = list(info.years)
    trend: list[dict[str, Any]] = []
    chosen: tuple[MRIOTable, ClosureIndicators] | None = None
    present: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    for y in render.track(years, "computing", enabled=progress, label=str):
        table = store.load(dataset, y)
        present, absent = bloc_members(table.regions, members)
        if not present:
            fail(
                f"none of {bloc_name}'s members ({', '.join(members)}) is a region of dataset "
                f"{dataset!r} ({y}); it has {', '.join(table.regions)}"
            )
        if bloc_name in table.regions and bloc_name not in present:
            fail(
                f"the bloc's name {bloc_name!r} is already a region of {dataset!r}; "
                "name the bloc with NAME=..."
            )
        ind = closure_indicators(leontief_model(table, progress=False), present, name=bloc_name)
        trend.append(_year_row(y, ind))
        if y == year:
            chosen = (table, ind)
    assert chosen is not None
    table, ind = chosen
    present, absent = bloc_members(table.regions, members)
    return _year_detail(info, table, ind, bloc_name, members, present, absent, trend, top)


def _year_detail(
    info: DatasetInfo,
    table: MRIOTable,
    ind: ClosureIndicators,
    bloc_name: str,
    members: tuple[str, ...],
    present: tuple[str, ...],
    absent: tuple[str, ...],
    trend: list[dict[str, Any]],
    top: int,
) -> dict[str, Any]:
    names = table.meta.sector_names
    agg = aggregate(table, regions=bloc_concordance(table.regions, {bloc_name: present}))
    totals = agg.totals()
    row = agg.regions.index(bloc_name)
    om = output_multipliers(leontief_model(agg, progress=False)).loc[bloc_name]
    om = om.sort_values(ascending=False, kind="stable")
    by_region = ind.by_origin_region()
    outside_regions = by_region[~by_region["inside"]].drop(columns="inside")
    outside_industries = ind.outside_sources()
    abroad = ind.absorbed_abroad()
    if top:
        om = om.iloc[:top]
    prov = info.provenance
    source = " ".join(x for x in (prov.source, prov.edition) if x) or info.name
    rest = _rest_region(table.regions)
    return {
        "dataset": {
            "name": info.name,
            "title": info.title,
            "source": source,
            "licence": prov.licence,
            "citation": prov.citation,
            "builtin": info.builtin,
        },
        "year": table.meta.year,
        "unit": f"{table.meta.currency} {table.meta.unit}",
        "price_basis": table.meta.price_basis,
        "bloc": {
            "name": bloc_name,
            "members": list(members),
            "resolved": list(present),
            "not_resolved": list(absent),
            "inside_region": rest if absent else None,
            "statement": _membership_sentence(
                prov.source or info.name, bloc_name, present, absent, rest
            ),
        },
        "totals": {
            key: {
                "value": float(totals[key].to_numpy()[row]),
                "share_of_table": float(totals[key].to_numpy()[row] / totals[key].sum()),
            }
            for key in ("output", "value_added", "final_demand")
        },
        "closure": {
            "value_added_in_final_demand": ind.total_in_final_demand,
            "created_inside": ind.inside,
            "share": ind.closure,
        },
        "trend": trend,
        "outside_sources_by_region": _head(outside_regions, top).rename_axis("origin_region"),
        "outside_sources_by_industry": _with_names(
            _head(outside_industries, top).rename_axis(["origin_region", "origin_sector"]), names
        ),
        "absorbed_abroad": _head(abroad, top).rename_axis("destination"),
        "top_output_multipliers": pd.DataFrame(
            {
                "sector_name": [names.get(str(s), "") for s in om.index],
                "output_multiplier": om.to_numpy(),
            },
            index=pd.Index(om.index, name="sector"),
        ),
    }


def _head(frame: pd.DataFrame, top: int) -> pd.DataFrame:
    """The first ``top`` rows (all when ``top`` is 0)."""
    return frame.iloc[:top] if top else frame


def _with_names(frame: pd.DataFrame, names: Any) -> pd.DataFrame:
    out = frame.copy()
    out.insert(0, "sector_name", [names.get(str(s), "") for s in out.index.get_level_values(1)])
    return out


def render_report(rep: dict[str, Any]) -> None:
    """Print the report as text."""
    con = render.console()
    d, b, unit, year = rep["dataset"], rep["bloc"], rep["unit"], rep["year"]
    name = b["name"]
    con.print(f"{name} value chains: {d['name']}, {year}", style="bold", markup=False)
    data = f"Data: {d['source']}"
    if d["licence"]:
        data += f"; licence {d['licence']}"
    con.print(data + ".", markup=False)
    if d["citation"]:
        con.print(f"Cite: {d['citation']}", markup=False)
    con.print(f"Amounts in {unit}, {rep['price_basis']}.", markup=False)
    con.print()
    con.print(f"Members: {b['statement']}", markup=False)
    labels = {
        "output": "gross output",
        "value_added": "value added",
        "final_demand": "final demand",
    }
    con.print()
    con.print(
        render.table(
            f"{name} in {year}",
            [Col(""), Col(unit, fmt_amount, True), Col("share of all regions", fmt_share, True)],
            [(labels[k], v["value"], v["share_of_table"]) for k, v in rep["totals"].items()],
        )
    )
    c = rep["closure"]
    con.print(
        f"Closure: {fmt_share(c['share'])} of the value added embodied in {name}'s final demand "
        f"({fmt_amount(c['value_added_in_final_demand'])} {unit}) was created inside {name} "
        f"({year}).",
        markup=False,
    )
    if len(rep["trend"]) > 1:
        con.print()
        con.print(
            render.table(
                "Closure by year",
                [
                    Col("year"),
                    Col("VA in final demand", fmt_amount, True),
                    Col("created inside", fmt_amount, True),
                    Col("closure", fmt_share, True),
                    Col(f"{name} VA absorbed abroad", fmt_share, True),
                ],
                [
                    (
                        r["year"],
                        r["value_added_in_final_demand"],
                        r["created_inside"],
                        r["closure"],
                        r["absorbed_abroad_share"],
                    )
                    for r in rep["trend"]
                ],
            )
        )
    share_col = Col(f"share of {name} final-demand VA", fmt_share, True)
    regions = rep["outside_sources_by_region"]
    con.print()
    con.print(
        render.table(
            f"Largest sources of value added from outside {name} in its final demand",
            [Col("origin region"), Col("value added", fmt_amount, True), share_col],
            regions[["value_added", "share"]].itertuples(),
        )
    )
    industries = rep["outside_sources_by_industry"]
    con.print()
    con.print(
        render.table(
            "... by origin region and sector",
            [
                Col("region"),
                Col("sector"),
                Col("name"),
                Col("value added", fmt_amount, True),
                share_col,
            ],
            [
                (reg, sec, row.sector_name, row.value_added, row.share)
                for (reg, sec), row in zip(industries.index, industries.itertuples(), strict=True)
            ],
        )
    )
    abroad = rep["absorbed_abroad"]
    con.print()
    con.print(
        render.table(
            f"{name}'s value added absorbed abroad, by destination",
            [
                Col("destination"),
                Col("value added", fmt_amount, True),
                Col(f"share of {name} VA", fmt_share, True),
            ],
            abroad[["value_added", "share"]].itertuples(),
        )
    )
    om = rep["top_output_multipliers"]
    con.print()
    con.print(
        render.table(
            f"Top sectors of {name} by output multiplier ({name} as one region)",
            [Col("sector"), Col("name"), Col("output multiplier", fmt_ratio, True)],
            om[["sector_name", "output_multiplier"]].itertuples(),
        )
    )


@app.command("report")
def report_cmd(
    ctx: typer.Context,
    dataset: Annotated[
        str, typer.Option("--dataset", "-d", help="Dataset name.")
    ] = DEFAULT_DATASET,
    year: Annotated[
        int | None,
        typer.Option("--year", "-y", help="Year (default: the latest).", show_default=False),
    ] = None,
    bloc: Annotated[
        str,
        typer.Option(
            "--bloc", "-b", help="EAEU, EAEU+CHN, a list 'RUS,KAZ,CHN' or 'NAME=RUS,CHN'."
        ),
    ] = "EAEU",
    top: Annotated[int, typer.Option("--top", "-n", min=0, help="Rows per ranking (0: all).")] = 10,
    json_out: JsonOpt = False,
) -> None:
    """A readable report on a bloc's value chains (default: the EAEU, built-in WIOD data)."""
    bloc_name, members = parse_bloc(bloc)
    rep = build_report(
        state(ctx).store, dataset, year, bloc_name, members, top=top, progress=not json_out
    )
    if json_out:
        render.print_json(rep)
    else:
        render_report(rep)
