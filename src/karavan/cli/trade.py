"""The ``karavan trade`` group: the built-in trade data, revealed advantage and economic
complexity, on the built-in trade data or a file (CEPII BACI, UN Comtrade bulk CSV, or the
generic long format). The bloc and country views (opportunities, intra, next-products,
product-space) are in :mod:`karavan.cli.trade_views`; both register on :data:`trade_app`."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import typer

from karavan.cli import render
from karavan.cli.app import JsonOpt, YearOpt, app, fail
from karavan.cli.render import Col, fmt_amount, fmt_ratio, fmt_share
from karavan.core.aggregation import EAEU_MEMBERS
from karavan.trade.builtin import builtin_trade_datasets, country_names, load_builtin_trade
from karavan.trade.builtin import population as builtin_population
from karavan.trade.complexity import ComplexityResult, complexity
from karavan.trade.eaeu import bloc_rca
from karavan.trade.rca import population_vector, rca, rpop
from karavan.trade.readers import read_trade
from karavan.trade.table import TradeTable

__all__ = [
    "DataOpt",
    "FileOpt",
    "FormatOpt",
    "Loaded",
    "MinExportsOpt",
    "TopOpt",
    "first_rows",
    "fmt_count",
    "load_trade",
    "notes_caption",
    "pick_exporters",
    "require_world",
    "source_title",
    "trade_app",
]

trade_app = typer.Typer(
    help="Trade data, revealed comparative advantage and economic complexity.",
    no_args_is_help=True,
)
app.add_typer(trade_app, name="trade")


class FileFormat(StrEnum):
    baci = "baci"
    comtrade = "comtrade"
    long = "long"


class PresenceChoice(StrEnum):
    rca = "rca"
    rpop = "rpop"


DataOpt = Annotated[
    str,
    typer.Option("--data", "-d", help="Built-in trade dataset: world-sitc2 or baci-kaz-hs02."),
]
FileOpt = Annotated[
    Path | None,
    typer.Option(
        "--file",
        "-f",
        help="A trade file instead (BACI, UN Comtrade bulk CSV, or long format).",
        dir_okay=False,
        show_default=False,
    ),
]
FormatOpt = Annotated[
    FileFormat | None,
    typer.Option(
        "--format", help="Layout of --file (default: from its header).", show_default=False
    ),
]
TopOpt = Annotated[int, typer.Option("--top", "-n", min=0, help="Rows to show (0: all).")]
PresenceOpt = Annotated[
    PresenceChoice,
    typer.Option("--presence", help="Mcp from rca (Balassa) or rpop (population-based)."),
]
MinExportsOpt = Annotated[
    float,
    typer.Option(
        "--min-exports",
        min=0,
        help="Leave out exporters whose total exports are below this, in the data's unit "
        "(the Atlas leaves small economies out; default keeps all, as ecomplexity does).",
    ),
]


@dataclass(frozen=True)
class Loaded:
    """The table a command works on, its description for ``--json`` and notes to print."""

    table: TradeTable
    source: dict[str, Any]
    notes: list[str]


def load_trade(
    data: str,
    file: Path | None,
    fmt: FileFormat | None,
    year: int | None,
    *,
    min_exports: float = 0.0,
    presence: PresenceChoice = PresenceChoice.rca,
) -> tuple[Loaded, pd.Series | None]:
    """The table to work on (a file, or a built-in dataset), what it is, and notes on what was
    left out; with RPOP also the built-in population (exporters without one are left out, and
    the notes say which)."""
    if file is not None:
        table = read_trade(file, format=fmt.value if fmt else None, year=year)
        name = str(file)
    else:
        table = load_builtin_trade(data, year)
        name = data
    notes: list[str] = []
    if table.meta.notes:
        notes.append(table.meta.notes)
    if min_exports > 0:
        small = [
            e for e, v in zip(table.exporters, table.X.sum(axis=1), strict=True) if v < min_exports
        ]
        if small:
            table = table.drop_exporters(small)
            notes.append(f"{len(small)} exporter(s) below --min-exports left out")
    pop = None
    if presence is PresenceChoice.rpop:
        pop = builtin_population(None if file is None and data == "world-sitc2" else table.year)
        missing = [e for e in table.exporters if e not in pop.index]
        if missing:
            table = table.drop_exporters(missing)
            notes.append(
                f"RPOP: {len(missing)} exporter(s) without population left out: "
                f"{', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}"
            )
    source = {
        "data": name,
        "year": table.year,
        "period": table.meta.period,
        "classification": table.meta.classification,
        "unit": table.meta.value_unit,
        "exporters": len(table.exporters),
        "products": len(table.products),
        "partners": table.coverage,
        "licence": table.meta.licence,
        "citation": table.meta.citation,
    }
    return Loaded(table, source, notes), pop


def require_world(loaded: Loaded, what: str) -> None:
    """Stop unless the data hold several exporters (RCA compares an exporter with the world)."""
    if len(loaded.table.exporters) < 2:
        fail(
            f"{what} compares exporters with the world; {loaded.source['data']} holds one "
            f"exporter ({', '.join(loaded.table.exporters)}): use world-sitc2 or a BACI file"
        )


def pick_exporters(table: TradeTable, spec: str | None, default: tuple[str, ...]) -> list[str]:
    """``--country`` ``A`` or ``A,B`` (case-insensitive for ISO3 codes) -> exporters of the
    table; without it, those of ``default`` the table has."""
    have = set(table.exporters)

    def label(code: str) -> str:
        return code if code in have or code.upper() not in have else code.upper()

    wanted = [label(c.strip()) for c in spec.split(",") if c.strip()] if spec else list(default)
    unknown = [c for c in wanted if c not in table.exporters]
    if spec and unknown:
        fail(
            f"unknown exporter(s) {', '.join(unknown)}; the data have {len(table.exporters)} "
            f"exporters (e.g. {', '.join(table.exporters[:8])})"
        )
    chosen = [c for c in wanted if c in table.exporters]
    if not chosen:
        fail(f"none of {', '.join(wanted)} is an exporter of these data; use --country")
    return chosen


def source_title(loaded: Loaded) -> str:
    """``world-sitc2 1998-2000 average, ...`` or ``file.csv 2021``, for table titles."""
    s = loaded.source
    when = s["year"] if s["year"] is not None else s["period"]
    return f"{s['data']} {when or ''}".strip()


def notes_caption(loaded: Loaded, extra: list[str] | None = None) -> str | None:
    """The notes as a table caption (None when there are none)."""
    lines = [*loaded.notes, *(extra or [])]
    return "\n".join(lines) if lines else None


def first_rows(frame: pd.DataFrame, top: int) -> pd.DataFrame:
    """The first ``top`` rows (all with 0)."""
    return frame.iloc[:top] if top else frame


def fmt_count(v: Any) -> str:
    """A count, or ``-`` when missing."""
    return "-" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{int(v)}"


# ---------------------------------------------------------------------- datasets
@trade_app.command("datasets")
def datasets_cmd(json_out: JsonOpt = False) -> None:
    """The built-in trade datasets, with what they hold, licence and citation."""
    infos = builtin_trade_datasets()
    if json_out:
        render.print_json({"datasets": [vars(d) for d in infos]})
        return
    con = render.console()
    con.print(
        render.table(
            "built-in trade data",
            [Col("name"), Col("years"), Col("classification"), Col("unit"), Col("partners")],
            [
                (
                    d.name,
                    ", ".join(str(y) for y in d.years if y is not None) or "1998-2000 avg",
                    d.classification,
                    d.unit,
                    d.partners,
                )
                for d in infos
            ],
        )
    )
    for d in infos:
        con.print(f"{d.name}: {d.licence}. {d.citation}", highlight=False)


# ---------------------------------------------------------------------- rca
@trade_app.command("rca")
def rca_cmd(
    data: DataOpt = "world-sitc2",
    file: FileOpt = None,
    fmt: FormatOpt = None,
    year: YearOpt = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            "-c",
            help="Exporter(s), comma-separated (default: EAEU).",
            show_default=False,
        ),
    ] = None,
    bloc: Annotated[
        str | None,
        typer.Option(
            "--bloc",
            "-b",
            help="Show the bloc's RCA as one exporter: EAEU, EAEU+CHN.",
            show_default=False,
        ),
    ] = None,
    presence: PresenceOpt = PresenceChoice.rca,
    top: TopOpt = 15,
    json_out: JsonOpt = False,
) -> None:
    """Revealed comparative advantage (Balassa RCA, or RPOP) by product, highest first."""
    loaded, pop = load_trade(data, file, fmt, year, presence=presence)
    require_world(loaded, "RCA")
    t = loaded.table
    if bloc is not None:
        view = bloc_rca(t, bloc.split(",") if "," in bloc else bloc)
        frame = view.frame[view.frame["bloc_exports"] > 0]
        if json_out:
            render.print_json(
                {
                    "source": loaded.source,
                    "bloc": view.bloc,
                    "members": list(view.members),
                    "present": list(view.present),
                    "notes": [*loaded.notes, *view.notes],
                    "rows": first_rows(frame, top),
                }
            )
            return
        render.console().print(
            render.table(
                f"{view.bloc} revealed comparative advantage, {source_title(loaded)}",
                [
                    Col("product"),
                    Col("name"),
                    Col("bloc exports", fmt_amount, True),
                    Col("bloc share", fmt_share, True),
                    Col("RCA", fmt_ratio, True),
                    Col("members RCA>=1", fmt_count, True),
                ],
                first_rows(frame, top)[
                    ["product", "name", "bloc_exports", "bloc_share", "rca", "members_with_rca"]
                ].itertuples(index=False),
                caption=notes_caption(loaded, list(view.notes)),
            )
        )
        return
    chosen = pick_exporters(t, country, EAEU_MEMBERS)
    if presence is PresenceChoice.rpop and pop is not None:
        index = rpop(t.X, population_vector(t, pop))
    else:
        index = rca(t.X)
    world = t.X.sum(axis=0)
    rows = []
    for c in chosen:
        i = t.exporters.index(c)
        part = pd.DataFrame(
            {
                "country": c,
                "product": list(t.products),
                "name": [t.meta.product_names.get(p, "") for p in t.products],
                "exports": t.X[i],
                "world_share": np.divide(t.X[i], world, out=np.zeros_like(world), where=world > 0),
                presence.value: index[i],
            }
        )
        part = part[part["exports"] > 0].sort_values(presence.value, ascending=False, kind="stable")
        rows.append(first_rows(part, top))
    frame = pd.concat(rows, ignore_index=True)
    if json_out:
        render.print_json(
            {"source": loaded.source, "index": presence.value, "notes": loaded.notes, "rows": frame}
        )
        return
    names = country_names()
    con = render.console()
    for c in chosen:
        part = frame[frame["country"] == c]
        con.print(
            render.table(
                f"{c} {names.get(c, '')}: {presence.value.upper()}, {source_title(loaded)}",
                [
                    Col("product"),
                    Col("name"),
                    Col(f"exports [{t.meta.value_unit}]", fmt_amount, True),
                    Col("world share", fmt_share, True),
                    Col(presence.value.upper(), fmt_ratio, True),
                ],
                part[["product", "name", "exports", "world_share", presence.value]].itertuples(
                    index=False
                ),
                caption=notes_caption(loaded) if c == chosen[-1] else None,
            )
        )


# ---------------------------------------------------------------------- complexity
def _result(
    loaded: Loaded, pop: pd.Series | None, presence: PresenceChoice, **kw: Any
) -> ComplexityResult:
    return complexity(loaded.table, presence=presence.value, population=pop, **kw)


@trade_app.command("complexity")
def complexity_cmd(
    data: DataOpt = "world-sitc2",
    file: FileOpt = None,
    fmt: FormatOpt = None,
    year: YearOpt = None,
    country: Annotated[
        str | None,
        typer.Option(
            "--country",
            "-c",
            help="Exporter(s) to show, comma-separated (default: all).",
            show_default=False,
        ),
    ] = None,
    presence: PresenceOpt = PresenceChoice.rca,
    threshold: Annotated[
        float, typer.Option("--threshold", help="Mcp = 1 where the index is at least this.")
    ] = 1.0,
    continuous: Annotated[
        bool, typer.Option("--continuous", help="Continuous proximity (correlation of RCA).")
    ] = False,
    fitness: Annotated[
        bool, typer.Option("--fitness", help="Also Fitness-Complexity (Tacchella et al. 2012).")
    ] = False,
    products: Annotated[
        bool, typer.Option("--products", help="List products (PCI) instead of countries.")
    ] = False,
    min_exports: MinExportsOpt = 0.0,
    top: TopOpt = 20,
    json_out: JsonOpt = False,
) -> None:
    """Economic complexity: ECI and COI of countries (or PCI of products), with diversity."""
    loaded, pop = load_trade(data, file, fmt, year, min_exports=min_exports, presence=presence)
    require_world(loaded, "economic complexity")
    res = _result(
        loaded, pop, presence, threshold=threshold, continuous=continuous, fitness=fitness
    )
    options = {k: v for k, v in res.options.items()}
    if products:
        frame = (
            res.product_frame()
            .reset_index()
            .sort_values("pci", ascending=False, kind="stable", na_position="last")
        )
        if json_out:
            render.print_json(
                {
                    "source": loaded.source,
                    "options": options,
                    "notes": loaded.notes,
                    "products": first_rows(frame, top),
                }
            )
            return
        render.console().print(
            render.table(
                f"product complexity, {source_title(loaded)}",
                [
                    Col("product"),
                    Col("name"),
                    Col("group"),
                    Col("ubiquity", fmt_count, True),
                    Col("PCI", fmt_ratio, True),
                ],
                first_rows(frame, top)[["product", "name", "group", "ubiquity", "pci"]].itertuples(
                    index=False
                ),
                caption=notes_caption(loaded),
            )
        )
        return
    frame = (
        res.countries()
        .reset_index()
        .sort_values("eci", ascending=False, kind="stable", na_position="last")
    )
    names = country_names()
    frame.insert(1, "name", [names.get(c, "") for c in frame["exporter"]])
    if country:
        chosen = pick_exporters(loaded.table, country, ())
        frame = frame[frame["exporter"].isin(chosen)]
    if json_out:
        render.print_json(
            {
                "source": loaded.source,
                "options": options,
                "eigenvalue": res.eigenvalue,
                "notes": loaded.notes,
                "countries": first_rows(frame, top) if not country else frame,
            }
        )
        return
    cols = [
        Col("rank", fmt_count, True),
        Col("exporter"),
        Col("name"),
        Col("diversity", fmt_count, True),
        Col("ECI", fmt_ratio, True),
        Col("COI", fmt_ratio, True),
    ]
    fields = ["eci_rank", "exporter", "name", "diversity", "eci", "coi"]
    if fitness:
        cols.append(Col("fitness", fmt_ratio, True))
        fields.append("fitness")
    shown = frame if country else first_rows(frame, top)
    con = render.console()
    con.print(
        render.table(
            f"economic complexity, {source_title(loaded)}",
            cols,
            shown[fields].itertuples(index=False),
            caption=None if country else notes_caption(loaded),
        )
    )
    if not country:
        members = frame[frame["exporter"].isin(EAEU_MEMBERS)]
        con.print(
            render.table(
                "EAEU members",
                cols,
                members[fields].itertuples(index=False),
                caption=notes_caption(loaded) if country else None,
            )
        )
