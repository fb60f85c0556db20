"""The ``karavan match`` group: suppliers for a need, for a project's inputs and for the inputs
the EAEU buys outside it, ranked by :class:`karavan.matching.Matcher` over the registry's
published records, each row with the evidence for its place.

``need`` takes the need on the command line (text, HS and ISIC codes, preferred countries,
quantity); ``project`` and ``external`` read the inputs from a stored MRIO table (the built-in
``wiod2013-eaeu`` by default). All read the registry at ``--database-url`` (default: the one of
the settings) and print a table per need, or with ``--json`` the same JSON as the HTTP API.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from karavan.cli import render
from karavan.cli.app import JsonOpt, YearOpt, app, fail, load_table, state
from karavan.cli.render import Col, fmt_ratio
from karavan.cli.serve import DatabaseUrlOpt
from karavan.matching import (
    CapacityEvidence,
    CodeEvidence,
    CountryEvidence,
    InputMatches,
    Matcher,
    MatchResult,
    NeedQuery,
    TermEvidence,
)
from karavan.matching.ranking import Match
from karavan.registry import Registry, open_registry

__all__ = [
    "evidence_summary",
    "external_cmd",
    "match_app",
    "need_cmd",
    "project_cmd",
    "registry_path",
]

match_app = typer.Typer(
    help="Suppliers for a need, a project's inputs or the bloc's external inputs, with evidence.",
    no_args_is_help=True,
)
app.add_typer(match_app, name="match")

DEFAULT_DATASET = "wiod2013-eaeu"

DatasetOpt = Annotated[
    str, typer.Option("--dataset", "-d", help="Stored MRIO table to read the inputs from.")
]
TopOpt = Annotated[int, typer.Option("--top", "-n", min=1, max=50, help="Inputs to match.")]
LimitOpt = Annotated[
    int, typer.Option("--limit", "-l", min=1, max=100, help="Suppliers per need (1-100).")
]


def registry_path(url: str) -> Path | None:
    """The file of a SQLite registry URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///")
    return Path(path) if path and path != ":memory:" else None


@contextmanager
def _matcher(ctx: typer.Context, database_url: str | None) -> Iterator[Matcher]:
    """A matcher over the registry at ``database_url`` (default: the settings'); a SQLite file
    that does not exist is an error (matching must not create an empty registry)."""
    url = database_url or state(ctx).settings.registry_url()
    path = registry_path(url)
    if path is not None and not path.is_file():
        fail(
            f"no registry at {path}: create it with 'karavan registry init' (and "
            "'karavan registry seed'), or give --database-url"
        )
    registry: Registry = open_registry(url)
    try:
        yield Matcher(registry)
    finally:
        registry.close()


# ---------------------------------------------------------------------- rendering
def evidence_summary(match: Match) -> dict[str, str]:
    """A match's evidence in four short cells: codes matched, terms, country tier, capacity."""
    codes: list[str] = []
    terms: list[str] = []
    tier = "-"
    capacity = "-"
    for e in match.evidence:
        if isinstance(e, CodeEvidence):
            label = e.code + (f" via {e.via}" if e.via else "")
            if e.inferred_from:
                label += " (inferred)"
            codes.append(label)
        elif isinstance(e, TermEvidence):
            terms.append(e.term)
        elif isinstance(e, CountryEvidence):
            tier = e.tier or "no tier"
            if e.preferred:
                tier += ", preferred"
        elif isinstance(e, CapacityEvidence):
            capacity = e.verdict
            if e.capacity is not None:
                capacity += f" ({e.capacity:g} {e.capacity_unit or ''})".replace(" )", ")")
    if capacity == "-" and match.capacity is not None:
        capacity = f"{match.capacity:g} {match.capacity_unit or ''}".strip()
    return {
        "codes": ", ".join(dict.fromkeys(codes)) or "-",
        "terms": ", ".join(dict.fromkeys(terms)) or "-",
        "tier": tier,
        "capacity": capacity,
    }


_COLUMNS = [
    Col("#", str, True),
    Col("score", fmt_ratio, True),
    Col("organisation"),
    Col("country"),
    Col("codes matched"),
    Col("terms"),
    Col("country tier"),
    Col("capacity"),
]


def _rows(result: MatchResult) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for m in result.matches:
        ev = evidence_summary(m)
        name = (
            m.organisation_name_en or m.organisation_name_ru or f"organisation {m.organisation_id}"
        )
        rows.append(
            [
                m.rank,
                m.score,
                name,
                m.country,
                ev["codes"],
                ev["terms"],
                ev["tier"],
                ev["capacity"],
            ]
        )
    return rows


def _print_result(title: str, result: MatchResult) -> None:
    caption = "\n".join(
        [f"{result.matched_organisations} organisation(s) matched at all", *result.notes]
    )
    render.console().print(render.table(title, _COLUMNS, _rows(result), caption=caption))


def _print_inputs(title: str, inputs: Sequence[InputMatches]) -> None:
    con = render.console()
    con.print(title, highlight=False)
    for k, item in enumerate(inputs, start=1):
        need = item.input
        if need.origin == "project":
            head = (
                f"{k}. input {need.supplier_sector}: coefficient {fmt_ratio(need.coefficient or 0)}"
                f" (domestic {fmt_ratio(need.domestic or 0)}, imported "
                f"{fmt_ratio(need.imported or 0)})"
            )
        else:
            head = (
                f"{k}. {need.supplier_region} {need.supplier_sector} -> {need.buyer_region} "
                f"{need.buyer_sector}: {render.fmt_amount(need.value or 0)} "
                f"({render.fmt_share(need.share_of_buyer_inputs or 0)} of the buyer's inputs)"
            )
        notes = "; ".join(need.notes)
        if item.result is None:
            con.print(f"{head}: not matched ({notes})", highlight=False)
            continue
        _print_result(head + (f" [{notes}]" if notes else ""), item.result)


def _inputs_json(inputs: Sequence[InputMatches], **about: Any) -> dict[str, Any]:
    return {**about, "inputs": [item.model_dump(mode="json") for item in inputs]}


# ---------------------------------------------------------------------- need
def _need(fields: dict[str, Any]) -> NeedQuery:
    """The need from the options; a pydantic error becomes one ``error:`` line."""
    try:
        return NeedQuery.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in first["loc"]) or "need"
        option = {"hs_codes": "--hs", "isic_codes": "--isic", "preferred_countries": "--country"}
        fail(
            f"invalid need: {option.get(where.split('.')[0], where)}: {first['msg']} "
            f"(got {first.get('input')!r:.80})"
        )


@match_app.command("need")
def need_cmd(
    ctx: typer.Context,
    text: Annotated[
        str | None,
        typer.Argument(help="What is needed, in Russian, English or Kazakh.", show_default=False),
    ] = None,
    hs: Annotated[
        list[str] | None,
        typer.Option("--hs", help="HS 2022 6-digit code (repeatable).", show_default=False),
    ] = None,
    isic: Annotated[
        list[str] | None,
        typer.Option("--isic", help="ISIC Rev.4 class (repeatable).", show_default=False),
    ] = None,
    country: Annotated[
        list[str] | None,
        typer.Option(
            "--country", "-c", help="Preferred country, ISO3 (repeatable).", show_default=False
        ),
    ] = None,
    quantity: Annotated[
        float | None,
        typer.Option("--quantity", min=0, help="Quantity needed (per year).", show_default=False),
    ] = None,
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit of --quantity.", show_default=False)
    ] = None,
    certification: Annotated[
        list[str] | None,
        typer.Option(
            "--certification", help="Certification wanted (repeatable).", show_default=False
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option("--lang", help="Language of the text: ru, en or kk (default: detected)."),
    ] = None,
    technology: Annotated[
        bool, typer.Option("--technology", help="Know-how wanted: propose science centres too.")
    ] = False,
    limit: LimitOpt = 10,
    database_url: DatabaseUrlOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Suppliers for a need given by text and/or codes, best first, with the evidence."""
    fields: dict[str, Any] = {
        "text": text,
        "hs_codes": hs or [],
        "isic_codes": isic or [],
        "preferred_countries": country or [],
        "quantity": quantity,
        "unit": unit,
        "certifications": certification or [],
        "lang": lang,
        "technology": technology,
        "limit": limit,
    }
    need = _need({k: v for k, v in fields.items() if v is not None})
    with _matcher(ctx, database_url) as matcher:
        result = matcher.match(need)
    if json_out:
        render.print_json(result.model_dump(mode="json"))
        return
    what = [*(need.hs_codes[:3]), *(need.isic_codes[:3])]
    title = "suppliers for " + (repr(need.text) if need.text else ", ".join(what))
    _print_result(title, result)


# ---------------------------------------------------------------------- project
@match_app.command("project")
def project_cmd(
    ctx: typer.Context,
    region: Annotated[str, typer.Option("--region", "-r", help="The project's region.")],
    sector: Annotated[str, typer.Option("--sector", "-s", help="The project's sector.")],
    dataset: DatasetOpt = DEFAULT_DATASET,
    year: YearOpt = None,
    top: TopOpt = 5,
    limit: LimitOpt = 5,
    technology: Annotated[
        bool, typer.Option("--technology", help="Propose science centres too.")
    ] = False,
    database_url: DatabaseUrlOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Suppliers for the main inputs of a project in SECTOR of REGION (the industry's column
    of technical coefficients A, largest first)."""
    info, table = load_table(ctx, dataset, year, progress=not json_out)
    with _matcher(ctx, database_url) as matcher:
        inputs = matcher.match_project(
            table, region, sector, top=top, limit=limit, technology=technology
        )
    if json_out:
        about = {"dataset": info.name, "year": table.meta.year, "region": region}
        render.print_json(_inputs_json(inputs, **about, sector=sector))
        return
    name = table.meta.sector_names.get(sector, sector)
    _print_inputs(
        f"project in {sector} ({name}), {region}: top {len(inputs)} inputs, {info.name} "
        f"{table.meta.year or ''}".strip(),
        inputs,
    )


# ---------------------------------------------------------------------- external flows
@match_app.command("external")
def external_cmd(
    ctx: typer.Context,
    dataset: DatasetOpt = DEFAULT_DATASET,
    year: YearOpt = None,
    buyer_region: Annotated[
        str | None,
        typer.Option("--buyer-region", help="Only flows into this member.", show_default=False),
    ] = None,
    top: TopOpt = 5,
    limit: LimitOpt = 5,
    database_url: DatabaseUrlOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Suppliers inside the EAEU for the largest inputs its members buy outside it."""
    info, table = load_table(ctx, dataset, year, progress=not json_out)
    with _matcher(ctx, database_url) as matcher:
        inputs = matcher.match_external_flows(
            table, buyer_region=buyer_region, top=top, limit=limit
        )
    if json_out:
        about = {"dataset": info.name, "year": table.meta.year, "buyer_region": buyer_region}
        render.print_json(_inputs_json(inputs, **about))
        return
    _print_inputs(
        f"largest inputs bought outside the EAEU, {info.name} {table.meta.year or ''}".strip(),
        inputs,
    )
