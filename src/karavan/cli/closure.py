"""The closure of a bloc's value chains: ``closure`` (closure and leakage of its final demand
and exports, member linkages, by year, and the structural decomposition of its change) and
``dependency`` (its industries' dependency on inputs from outside).

Presentation only: the numbers come from :mod:`karavan.core.gvc.closure`,
:mod:`karavan.core.gvc.sda` and :mod:`karavan.core.gvc.dependency`; ``--json`` prints them as
they are, the readable form rounds them.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Annotated, Any

import pandas as pd
import typer

from karavan.cli import render
from karavan.cli.app import (
    JsonOpt,
    YearOpt,
    app,
    fail,
    leontief_model,
    load_table,
    parse_bloc,
    state,
)
from karavan.cli.render import SECTION, Col, fmt_amount, fmt_share
from karavan.core.gvc.closure import ClosureIndicators, closure_indicators, closure_series
from karavan.core.gvc.dependency import dependency_map, external_input_flows
from karavan.core.gvc.economies import Bloc
from karavan.core.gvc.sda import closure_sda
from karavan.core.table import MRIOTable

__all__ = ["closure_cmd", "dependency_cmd", "unit_label"]

NameArg = Annotated[str, typer.Argument(help="Dataset name.", show_default=False)]
BlocOpt = Annotated[
    str,
    typer.Option("--bloc", "-b", help="EAEU, EAEU+CHN, a list 'RUS,KAZ,CHN' or 'NAME=RUS,CHN'."),
]
TopOpt = Annotated[int, typer.Option("--top", "-n", min=0, help="Rows per ranking (0: all).")]


def unit_label(table: MRIOTable) -> str:
    """``USD million`` and the like."""
    return f"{table.meta.currency} {table.meta.unit}"


def _bloc_json(b: Bloc) -> dict[str, Any]:
    return {
        "name": b.name,
        "members": list(b.members),
        "resolved": list(b.present),
        "not_resolved": list(b.absent),
    }


def _bloc_line(b: Bloc) -> str:
    line = f"Bloc {b.name}: {', '.join(b.present)}"
    if b.absent:
        line += f" ({', '.join(b.absent)} not resolved by the table, left out)"
    return line + "."


def _head(frame: pd.DataFrame, top: int) -> pd.DataFrame:
    return frame.iloc[:top] if top else frame


# ---------------------------------------------------------------------- closure
@app.command("closure")
def closure_cmd(
    ctx: typer.Context,
    name: NameArg,
    bloc: BlocOpt = "EAEU",
    year: YearOpt = None,
    all_years: Annotated[
        bool, typer.Option("--all-years", help="One row per year of the dataset.")
    ] = False,
    sda: Annotated[
        tuple[int, int] | None,
        typer.Option(
            "--sda",
            metavar="FROM TO",
            help="Decompose the change in closure from year FROM to year TO by driver.",
            show_default=False,
        ),
    ] = None,
    top: TopOpt = 10,
    json_out: JsonOpt = False,
) -> None:
    """How closed a bloc's value chains are: the share of the value added in its final demand
    and in its exports to non-members created inside it, and where the rest comes from."""
    if sum((year is not None, all_years, sda is not None)) > 1:
        fail("--year, --all-years and --sda exclude one another; give one of them")
    bloc_name, members = parse_bloc(bloc)
    if sda is not None:
        _closure_sda(ctx, name, bloc_name, members, sda, json_out)
    elif all_years:
        _closure_all_years(ctx, name, bloc_name, members, json_out)
    else:
        _closure_year(ctx, name, year, bloc_name, members, top, json_out)


def _closure_year(
    ctx: typer.Context,
    name: str,
    year: int | None,
    bloc_name: str,
    members: tuple[str, ...],
    top: int,
    json_out: bool,
) -> None:
    if year is None:
        years = [y for y in state(ctx).store.info(name).years if y is not None]
        if len(years) > 1:
            fail(
                f"dataset {name!r} holds {len(years)} years ({years[0]}-{years[-1]}); choose one "
                f"with --year (e.g. --year {years[-1]}), or --all-years for every year"
            )
    info, table = load_table(ctx, name, year, progress=not json_out)
    ind = closure_indicators(leontief_model(table, progress=not json_out), members, name=bloc_name)
    names = table.meta.sector_names
    leak_fd = _with_names(_head(ind.leakage_by_origin("final_demand"), top), names)
    leak_x = _with_names(_head(ind.leakage_by_origin("exports"), top), names)
    unit = unit_label(table)
    if json_out:
        render.print_json(
            {
                "dataset": info.name,
                "year": table.meta.year,
                "unit": unit,
                "bloc": _bloc_json(ind.bloc),
                "summary": ind.summary(),
                "leakage_final_demand": leak_fd,
                "leakage_exports": leak_x,
                "linkage_final_demand": _linkage_records(ind.linkage_final_demand),
                "linkage_exports": _linkage_records(ind.linkage_exports),
                "absorbed": ind.absorbed.rename_axis("region").to_frame(),
            }
        )
        return
    _render_closure_year(name, table, ind, leak_fd, leak_x, top)


def _with_names(frame: pd.DataFrame, names: Any) -> pd.DataFrame:
    out = frame.rename_axis(["origin_region", "origin_sector"])
    sectors = out.index.get_level_values("origin_sector")
    return out.assign(sector_name=[names.get(str(s), "") for s in sectors])


def _linkage_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    values = frame.to_numpy()
    return [
        {"origin": str(o), "member": str(m), "value_added": float(values[i, j])}
        for i, o in enumerate(frame.index)
        for j, m in enumerate(frame.columns)
    ]


def _render_closure_year(
    name: str,
    table: MRIOTable,
    ind: ClosureIndicators,
    leak_fd: pd.DataFrame,
    leak_x: pd.DataFrame,
    top: int,
) -> None:
    con = render.console()
    b, unit, year = ind.bloc, unit_label(table), table.meta.year or ""
    con.print(f"Closure of {b.name}'s value chains: {name} {year}", style="bold", markup=False)
    con.print(_bloc_line(b), markup=False)
    con.print(f"Amounts in {unit}, {table.meta.price_basis}.", markup=False)
    s = ind.summary()
    con.print(
        render.table(
            None,
            [
                Col(""),
                Col("value added", fmt_amount, True),
                Col("created inside", fmt_amount, True),
                Col("from outside", fmt_amount, True),
                Col("closure", fmt_share, True),
            ],
            [
                (
                    "in final demand",
                    s["value_added_in_final_demand"],
                    s["created_inside"],
                    s["leakage"],
                    s["closure"],
                ),
                (
                    "in exports to non-members",
                    s["export_value_added"],
                    s["export_inside"],
                    s["export_leakage"],
                    s["export_closure"],
                ),
            ],
            caption=(
                f"Exports to non-members {fmt_amount(s['extra_bloc_exports'])}; counting each "
                f"value added once (first crossing) the exports' closure is "
                f"{fmt_share(s['export_first_crossing_closure'])}. {b.name}'s value added absorbed "
                f"outside it: {fmt_share(s['absorbed_outside_share'])}."
            ),
        )
    )
    for title, frame in (
        (f"Value added from outside {b.name} in its final demand", leak_fd),
        (f"Value added from outside {b.name} in its exports to non-members", leak_x),
    ):
        con.print()
        con.print(
            render.table(
                title,
                [
                    Col("origin"),
                    Col("sector"),
                    Col("name"),
                    Col("value added", fmt_amount, True),
                    Col("share", fmt_share, True),
                ],
                [
                    (reg, sec, row.sector_name, row.value_added, row.share)
                    for (reg, sec), row in zip(frame.index, frame.itertuples(), strict=True)
                ],
                caption=f"top {top}; --top 0 for all" if top else None,
            )
        )
    if len(b.present) > 1:
        con.print()
        con.print(
            "Member linkages: value added created in each member (rows) and embodied in each "
            "member's final demand, or in its exports to non-members (columns).",
            markup=False,
        )
        for title, frame in (
            ("In final demand", ind.linkage_final_demand),
            ("In exports", ind.linkage_exports),
        ):
            con.print(
                render.table(
                    title,
                    [Col("origin")] + [Col(str(c), fmt_amount, True) for c in frame.columns],
                    [(str(o), *row) for o, row in zip(frame.index, frame.to_numpy(), strict=True)],
                )
            )


def _closure_all_years(
    ctx: typer.Context, name: str, bloc_name: str, members: tuple[str, ...], json_out: bool
) -> None:
    store = state(ctx).store
    info = store.info(name)
    tables = [
        store.load(name, y)
        for y in render.track(list(info.years), "loading", enabled=not json_out, label=str)
    ]
    series = closure_series(tables, members, name=bloc_name)
    unit = unit_label(tables[-1])
    if json_out:
        render.print_json({"dataset": info.name, "bloc": bloc_name, "unit": unit, "rows": series})
        return
    con = render.console()
    con.print(f"Closure of {bloc_name}'s value chains by year: {name}", style="bold", markup=False)
    con.print(f"Amounts in {unit}.", markup=False)
    con.print(
        render.table(
            None,
            [
                Col("year"),
                Col("members"),
                Col("VA in final demand", fmt_amount, True),
                Col("closure", fmt_share, True),
                Col("from outside", fmt_amount, True),
                Col("exports to non-members", fmt_amount, True),
                Col("export closure", fmt_share, True),
            ],
            [
                (
                    y,
                    r.members,
                    r.value_added_in_final_demand,
                    r.closure,
                    r.leakage,
                    r.extra_bloc_exports,
                    r.export_closure,
                )
                for y, r in zip(series.index, series.itertuples(), strict=True)
            ],
        )
    )


def _closure_sda(
    ctx: typer.Context,
    name: str,
    bloc_name: str,
    members: tuple[str, ...],
    years: tuple[int, int],
    json_out: bool,
) -> None:
    store = state(ctx).store
    info = store.info(name)
    start, end = (store.load(name, store.resolve_year(info, y)) for y in years)
    result = closure_sda(start, end, members, name=bloc_name)
    unit = unit_label(end)
    if json_out:
        render.print_json(
            {
                "dataset": info.name,
                "bloc": _bloc_json(result.bloc),
                "from": result.start_year,
                "to": result.end_year,
                "unit": unit,
                "values": result.values,
                "effects": result.effects,
            }
        )
        return
    con = render.console()
    con.print(
        f"What changed the closure of {bloc_name}'s value chains, {years[0]} -> {years[1]}: {name}",
        style="bold",
        markup=False,
    )
    con.print(_bloc_line(result.bloc), markup=False)
    con.print(
        f"Average over all 720 orderings of the six drivers (Dietzenbacher and Los 1998). "
        f"Amounts in {unit}; in current prices the level effect includes price changes.",
        markup=False,
    )
    v: dict[Hashable, dict[Hashable, Any]] = result.values.to_dict(orient="index")
    e: dict[Hashable, dict[Hashable, Any]] = result.effects.to_dict(orient="index")

    def pp(x: float) -> str:
        return f"{round(100 * x, 2) + 0.0:+.2f} pp"

    c, lk = v["closure"], v["leakage"]
    rows: list[Any] = [
        (
            "closure",
            fmt_share(c["start"]),
            fmt_share(c["end"]),
            pp(c["change"]),
            fmt_amount(lk["start"]),
            fmt_amount(lk["end"]),
            fmt_amount(lk["change"]),
        ),
        SECTION,
    ]
    rows += [
        (
            str(driver).replace("_", " "),
            "",
            "",
            pp(effects["closure"]),
            "",
            "",
            fmt_amount(effects["leakage"]),
        )
        for driver, effects in e.items()
    ]
    con.print(
        render.table(
            None,
            [
                Col(""),
                Col("from", str, True),
                Col("to", str, True),
                Col("closure change", str, True),
                Col("leakage from", str, True),
                Col("to", str, True),
                Col("leakage change", str, True),
            ],
            rows,
        )
    )


# ---------------------------------------------------------------------- dependency
@app.command("dependency")
def dependency_cmd(
    ctx: typer.Context,
    name: NameArg,
    bloc: BlocOpt = "EAEU",
    year: YearOpt = None,
    top: TopOpt = 10,
    json_out: JsonOpt = False,
) -> None:
    """Which of the bloc's industries depend most on inputs from outside it, directly and
    through the whole chain, and the largest external input flows into the bloc."""
    bloc_name, members = parse_bloc(bloc)
    info, table = load_table(ctx, name, year, progress=not json_out)
    model = leontief_model(table, progress=not json_out)
    dm = dependency_map(model, members, name=bloc_name)
    sectors = _head(dm.most_dependent("total"), top).rename_axis(["region", "sector"])
    flows = external_input_flows(table, members, top=top, name=bloc_name)
    names = table.meta.sector_names
    sectors = sectors.assign(
        sector_name=[names.get(str(s), "") for s in sectors.index.get_level_values(1)]
    )
    if json_out:
        render.print_json(
            {
                "dataset": info.name,
                "year": table.meta.year,
                "unit": unit_label(table),
                "bloc": _bloc_json(dm.bloc),
                "sectors": sectors,
                "flows": flows,
            }
        )
        return
    con = render.console()
    con.print(
        f"Dependency of {bloc_name}'s industries on inputs from outside it: {name} "
        f"{table.meta.year or ''}",
        style="bold",
        markup=False,
    )
    con.print(_bloc_line(dm.bloc), markup=False)
    con.print(
        render.table(
            "Most dependent industries (by the whole chain)",
            [
                Col("region"),
                Col("sector"),
                Col("name"),
                Col("inputs", fmt_amount, True),
                Col("direct", fmt_share, True),
                Col("whole chain", fmt_share, True),
                Col("VA from outside", fmt_share, True),
            ],
            [
                (
                    reg,
                    sec,
                    r.sector_name,
                    r.intermediate_inputs,
                    r.direct,
                    r.total,
                    r.external_value_added,
                )
                for (reg, sec), r in zip(sectors.index, sectors.itertuples(), strict=True)
            ],
            caption="direct: share of intermediate inputs bought outside; whole chain: share of "
            "all direct and indirect input requirements (L - I) produced outside; VA from "
            "outside: share of the value of its product created outside.",
        )
    )
    con.print()
    con.print(
        render.table(
            f"Largest input flows into {bloc_name} from outside ({unit_label(table)})",
            [
                Col("supplier"),
                Col("sector"),
                Col("buyer"),
                Col("sector"),
                Col("value", fmt_amount, True),
                Col("of buyer's inputs", fmt_share, True),
                Col(f"{bloc_name} output of product", fmt_amount, True),
            ],
            flows[
                [
                    "supplier_region",
                    "supplier_sector",
                    "buyer_region",
                    "buyer_sector",
                    "value",
                    "share_of_buyer_inputs",
                    "bloc_output_of_product",
                ]
            ].itertuples(index=False),
        )
    )
