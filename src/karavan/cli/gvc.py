"""Value added in trade: ``tiva`` (OECD TiVA indicators) and ``decompose`` (gross-export
decompositions: Borin-Mancini, WWZ, KWW).

Presentation only: the numbers come from :mod:`karavan.core.gvc` (``tiva``, ``borin_mancini``,
``wwz``, ``kww``); ``--json`` prints them as they are, the readable form rounds them. The bloc
commands (``closure``, ``dependency``) are in :mod:`karavan.cli.closure`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import pandas as pd
import typer

from karavan.cli import render
from karavan.cli.app import JsonOpt, YearOpt, app, fail, leontief_model, load_table, parse_bloc
from karavan.cli.closure import unit_label
from karavan.cli.render import Col, fmt_amount
from karavan.core.gvc.borin_mancini import borin_mancini
from karavan.core.gvc.kww import kww_decomposition
from karavan.core.gvc.tiva import tiva_indicators
from karavan.core.gvc.wwz import wwz_decomposition
from karavan.core.table import MRIOTable

__all__ = ["decompose_cmd", "tiva_cmd"]

NameArg = Annotated[str, typer.Argument(help="Dataset name.", show_default=False)]


# ---------------------------------------------------------------------- tiva and decompose
class TivaBy(StrEnum):
    country = "country"
    partner = "partner"
    sector = "sector"


class Method(StrEnum):
    borin_mancini = "borin-mancini"
    wwz = "wwz"
    kww = "kww"


class Perspective(StrEnum):
    source = "source"
    sink = "sink"


class Level(StrEnum):
    country = "country"
    bilateral = "bilateral"
    sector = "sector"


@app.command("tiva")
def tiva_cmd(
    ctx: typer.Context,
    name: NameArg,
    year: YearOpt = None,
    bloc: Annotated[
        list[str] | None,
        typer.Option(
            "--bloc",
            "-b",
            help="A bloc to treat as one economy at its perimeter (repeatable): EAEU, "
            "EAEU+CHN, 'NAME=RUS,KAZ'.",
            show_default=False,
        ),
    ] = None,
    by: Annotated[TivaBy, typer.Option("--by", help="country, partner or sector.")] = (
        TivaBy.country
    ),
    json_out: JsonOpt = False,
) -> None:
    """OECD TiVA indicators of every economy: value added in exports and in final demand."""
    blocs = dict(parse_bloc(b) for b in bloc) if bloc else None
    info, table = load_table(ctx, name, year, progress=not json_out)
    result = tiva_indicators(leontief_model(table, progress=not json_out), blocs=blocs)
    frame = {
        TivaBy.country: result.country,
        TivaBy.partner: result.by_partner,
        TivaBy.sector: result.by_sector,
    }[by]
    extra: dict[str, Any] = {"by": by.value, "blocs": {k: list(v) for k, v in result.blocs.items()}}
    _print_frame(info.name, table, f"TiVA indicators by {by.value}", frame, json_out, extra)


@app.command("decompose")
def decompose_cmd(
    ctx: typer.Context,
    name: NameArg,
    method: Annotated[Method, typer.Option("--method", "-m", help="borin-mancini, wwz or kww.")],
    year: YearOpt = None,
    perspective: Annotated[
        Perspective | None,
        typer.Option(
            "--perspective",
            help="Borin-Mancini: source or sink (default source).",
            show_default=False,
        ),
    ] = None,
    level: Annotated[
        Level | None,
        typer.Option(
            "--level",
            help="Borin-Mancini: country, bilateral or sector (default country).",
            show_default=False,
        ),
    ] = None,
    exporter: Annotated[
        str | None,
        typer.Option("--exporter", "-e", help="Only this exporting region.", show_default=False),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Decompose gross exports into value-added components (Borin-Mancini, WWZ or KWW)."""
    if method is not Method.borin_mancini and (perspective is not None or level is not None):
        fail(f"--perspective and --level apply to --method borin-mancini, not {method.value}")
    info, table = load_table(ctx, name, year, progress=not json_out)
    if exporter is not None and exporter not in table.regions:
        fail(f"unknown exporter {exporter!r}; the table has {', '.join(table.regions)}")
    model = leontief_model(table, progress=not json_out)
    extra: dict[str, Any] = {"method": method.value}
    if method is Method.borin_mancini:
        extra["perspective"] = (perspective or Perspective.source).value
        extra["level"] = (level or Level.country).value
        frame = borin_mancini(
            model,
            perspective=(perspective or Perspective.source).value,
            level=(level or Level.country).value,
        )
    elif method is Method.wwz:
        frame = wwz_decomposition(model)
    else:
        frame = kww_decomposition(model)
    if exporter is not None:
        frame = _rows_of(frame, exporter)
    title = f"Decomposition of gross exports ({method.value})"
    _print_frame(info.name, table, title, frame, json_out, extra)


def _rows_of(frame: pd.DataFrame, region: str) -> pd.DataFrame:
    """Rows of ``frame`` whose exporter (or first index level) is ``region``."""
    names = [str(n) for n in frame.index.names]
    level = next((n for n in ("exporter", "region", "country") if n in names), None)
    values = frame.index.get_level_values(level if level is not None else 0)
    return frame[values.astype(str) == region]


def _print_frame(
    dataset: str,
    table: MRIOTable,
    title: str,
    frame: pd.DataFrame,
    json_out: bool,
    extra: dict[str, Any],
) -> None:
    """A labelled frame as JSON records, or as a table with amounts rounded."""
    if json_out:
        render.print_json(
            {
                "dataset": dataset,
                "year": table.meta.year,
                "unit": unit_label(table),
                **extra,
                "rows": frame,
            }
        )
        return
    flat = frame.reset_index() if any(n is not None for n in frame.index.names) else frame
    cols = [
        Col(str(c), fmt_amount, True) if pd.api.types.is_numeric_dtype(flat[c]) else Col(str(c))
        for c in flat.columns
    ]
    render.console().print(
        render.table(
            f"{title}, {dataset} {table.meta.year or ''} ({unit_label(table)})",
            cols,
            flat.itertuples(index=False),
        )
    )
