"""Analysis commands: ``footprint``, ``multipliers``, ``value-added-origin``."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from karavan.cli import render
from karavan.cli.app import (
    JsonOpt,
    YearOpt,
    app,
    fail,
    leontief_model,
    load_table,
    parse_regions,
)
from karavan.cli.render import Col, fmt_amount, fmt_ratio, fmt_share
from karavan.core.footprints import footprint_accounts
from karavan.core.multipliers import multipliers
from karavan.core.value_added import value_added_by_origin

__all__ = ["footprint_cmd", "multipliers_cmd", "value_added_origin_cmd"]

NameArg = Annotated[str, typer.Argument(help="Dataset name.", show_default=False)]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region", "-r", help="Region(s), comma-separated (default: all).", show_default=False
    ),
]


class AccountsChoice(StrEnum):
    stressors = "stressors"
    value_added = "value_added"
    all = "all"


class ByChoice(StrEnum):
    region = "region"
    sector = "sector"
    industry = "industry"


def _header(info_name: str, year: int | None) -> dict[str, Any]:
    return {"dataset": info_name, "year": year}


# ---------------------------------------------------------------------- footprint
FOOTPRINT_COLS = (
    ("production_based", "production-based"),
    ("consumption_based", "consumption-based"),
    ("embodied_imports", "embodied imports"),
    ("embodied_exports", "embodied exports"),
    ("net_imported", "net imported"),
)


@app.command("footprint")
def footprint_cmd(
    ctx: typer.Context,
    name: NameArg,
    year: YearOpt = None,
    accounts: Annotated[
        AccountsChoice,
        typer.Option("--accounts", "-a", help="Which accounts: stressors, value_added or all."),
    ] = AccountsChoice.stressors,
    region: RegionOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Production- and consumption-based accounts per region, with embodied imports/exports."""
    info, table = load_table(ctx, name, year, progress=not json_out)
    if accounts is AccountsChoice.stressors and not table.stressors:
        fail(
            f"dataset {name!r} ({table.meta.year}) has no stressors (satellite accounts); "
            "use --accounts value_added for value-added footprints"
        )
    regions = parse_regions(table, region)
    model = leontief_model(table, progress=not json_out)
    summary = footprint_accounts(model, accounts.value).summary()
    summary = summary[summary["region"].isin(regions)].reset_index(drop=True)
    if json_out:
        render.print_json(
            {**_header(info.name, table.meta.year), "accounts": accounts.value, "rows": summary}
        )
        return
    con = render.console()
    for account, part in summary.groupby("account", sort=False):
        unit = str(part["unit"].iloc[0])
        con.print(
            render.table(
                f"{account} [{unit}], {name} {table.meta.year or ''}",
                [Col("region")] + [Col(label, fmt_amount, True) for _, label in FOOTPRINT_COLS],
                part[["region", *(c for c, _ in FOOTPRINT_COLS)]].itertuples(index=False),
            )
        )


# ---------------------------------------------------------------------- multipliers
READABLE_STRESSORS = 4


@app.command("multipliers")
def multipliers_cmd(
    ctx: typer.Context,
    name: NameArg,
    year: YearOpt = None,
    region: RegionOpt = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", "-n", min=0, help="Rows with the largest output multiplier (0: all)."
        ),
    ] = 20,
    json_out: JsonOpt = False,
) -> None:
    """Output, value-added and stressor multipliers per (region, sector), largest output first."""
    info, table = load_table(ctx, name, year, progress=not json_out)
    regions = parse_regions(table, region)
    model = leontief_model(table, progress=not json_out)
    m = multipliers(model)
    units = {str(acc): str(unit) for _, acc, unit in m.index}
    kinds = {str(acc): str(kind) for kind, acc, _ in m.index}
    frame = m.droplevel(["kind", "unit"]).T  # (region, sector) x account
    frame = frame[frame.index.get_level_values("region").isin(regions)]
    frame = frame.sort_values("output", ascending=False, kind="stable")
    if top:
        frame = frame.iloc[:top]
    names = table.meta.sector_names
    accounts = [str(a) for a in frame.columns]
    labelled = list(
        zip(
            [str(r) for r in frame.index.get_level_values("region")],
            [str(s) for s in frame.index.get_level_values("sector")],
            frame.to_numpy().tolist(),
            strict=True,
        )
    )
    if json_out:
        rows = [
            {
                "region": reg,
                "sector": sec,
                "sector_name": names.get(sec, ""),
                **dict(zip(accounts, values, strict=True)),
            }
            for reg, sec, values in labelled
        ]
        render.print_json(
            {**_header(info.name, table.meta.year), "units": units, "kinds": kinds, "rows": rows}
        )
        return
    stressors = [a for a in accounts if kinds[a] == "stressor"]
    shown = [a for a in accounts if kinds[a] != "stressor"] + stressors[:READABLE_STRESSORS]
    cols = [Col("region"), Col("sector")]
    if names:
        cols.append(Col("name"))
    cols += [Col(a, fmt_ratio, True) for a in shown]
    rows_out = []
    position = {a: j for j, a in enumerate(accounts)}
    for reg, sec, values in labelled:
        row: list[Any] = [reg, sec]
        if names:
            row.append(names.get(sec, ""))
        rows_out.append(row + [values[position[a]] for a in shown])
    con = render.console()
    limit = f"top {top}" if top else "all"
    con.print(
        render.table(
            f"Multipliers ({limit}, by output multiplier), {name} {table.meta.year or ''}",
            cols,
            rows_out,
        )
    )
    con.print("Units: " + "; ".join(f"{a}: {units[a]}" for a in shown), markup=False)
    if len(stressors) > READABLE_STRESSORS:
        con.print(
            f"{len(stressors) - READABLE_STRESSORS} more stressor multipliers with --json.",
            markup=False,
        )


# ---------------------------------------------------------------------- value added by origin
@app.command("value-added-origin")
def value_added_origin_cmd(
    ctx: typer.Context,
    name: NameArg,
    year: YearOpt = None,
    by: Annotated[
        ByChoice,
        typer.Option(
            "--by",
            help="Origin detail: region, sector (over all regions) or industry (region x sector).",
        ),
    ] = ByChoice.region,
    absorbing: Annotated[
        str | None,
        typer.Option(
            "--absorbing",
            help="Absorbing region(s), comma-separated (default: all).",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int,
        typer.Option(
            "--top", "-n", min=0, help="Origins per absorbing region, largest first (0: all)."
        ),
    ] = 10,
    json_out: JsonOpt = False,
) -> None:
    """Shares of each region's final-demand value added by where it was created."""
    info, table = load_table(ctx, name, year, progress=not json_out)
    absorbing_regions = parse_regions(table, absorbing)
    model = leontief_model(table, progress=not json_out)
    va = value_added_by_origin(model)  # (region, sector) x absorbing region
    if by is ByChoice.region:
        origin = va.groupby(level="region", sort=False).sum()
        origin.index.name = "origin_region"
    elif by is ByChoice.sector:
        origin = va.groupby(level="sector", sort=False).sum()
        origin.index.name = "origin_sector"
    else:
        origin = va.copy()
        origin.index = origin.index.set_names(["origin_region", "origin_sector"])
    origin = origin[absorbing_regions]
    totals = origin.sum(axis=0)
    origin_cols = [str(n) for n in origin.index.names]
    rows: list[dict[str, Any]] = []
    for r in absorbing_regions:
        col = origin[r].sort_values(ascending=False, kind="stable")
        if top:
            col = col.iloc[:top]
        total = float(totals[r])
        for key, value in col.items():
            labels = key if isinstance(key, tuple) else (key,)
            rows.append(
                {
                    "absorbing_region": r,
                    **dict(zip(origin_cols, labels, strict=True)),
                    "value_added": float(value),
                    "share": float(value) / total if total else float("nan"),
                    "domestic": labels[0] == r if by is not ByChoice.sector else None,
                }
            )
    unit = f"{table.meta.currency} {table.meta.unit}"
    if json_out:
        render.print_json(
            {
                **_header(info.name, table.meta.year),
                "by": by.value,
                "unit": unit,
                "totals": {r: float(totals[r]) for r in absorbing_regions},
                "rows": rows,
            }
        )
        return
    cols = [
        Col("absorbing"),
        Col("total", str, True),
        *(Col(c.replace("_", " ")) for c in origin_cols),
        Col("value added", fmt_amount, True),
        Col("share", fmt_share, True),
    ]
    table_rows: list[Any] = []
    previous = None
    for row in rows:
        first = row["absorbing_region"] != previous
        if first and previous is not None:
            table_rows.append(render.SECTION)
        previous = row["absorbing_region"]
        table_rows.append(
            (
                row["absorbing_region"] if first else "",
                fmt_amount(float(totals[row["absorbing_region"]])) if first else "",
                *(row[c] for c in origin_cols),
                row["value_added"],
                row["share"],
            )
        )
    render.console().print(
        render.table(
            f"Value added in final demand by origin ({unit}), {name} {table.meta.year or ''}",
            cols,
            table_rows,
            caption=None if not top else f"top {top} origins per absorbing region; --top 0 for all",
        )
    )
