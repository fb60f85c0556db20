"""Commands on datasets: ``datasets``, ``import``, ``info``, ``validate``, ``aggregate``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from karavan.cli import render
from karavan.cli.app import (
    EXIT_CHECK_FAILED,
    JsonOpt,
    YearOpt,
    app,
    fail,
    load_table,
    parse_bloc,
    state,
)
from karavan.cli.render import Col, fmt_amount, fmt_bytes
from karavan.core.aggregation import aggregate, bloc_concordance
from karavan.core.gvc.economies import bloc_members
from karavan.core.table import MRIOTable
from karavan.core.validation import ValidationReport
from karavan.datastore import DatasetInfo
from karavan.errors import ConcordanceError, KaravanError, ParseError, SourceError
from karavan.sources.formats import FORMATS, read_path
from karavan.sources.provenance import Provenance

__all__ = ["aggregate_cmd", "datasets_cmd", "import_cmd", "info_cmd", "validate_cmd"]

FORMAT_HELP = f"Format: {', '.join(FORMATS)} (detected when not given)."


# ---------------------------------------------------------------------- shared pieces
def _span(years: tuple[int | None, ...]) -> str:
    ys = sorted(y for y in years if y is not None)
    if not ys:
        return "-" if not years else "undated"
    if len(ys) > 2 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}-{ys[-1]} ({len(ys)})"
    return ", ".join(str(y) for y in ys)


def _size(info: DatasetInfo) -> tuple[int | None, int | None]:
    """Regions and sectors of the dataset's latest table (from its description)."""
    if not info.tables:
        return None, None
    entry = max(info.tables.values(), key=lambda e: e.get("year") or 0)
    return entry.get("regions"), entry.get("sectors")


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _table_dir(info: DatasetInfo, year: int | None) -> Path:
    for key, entry in info.tables.items():
        if entry.get("year") == year:
            return info.path / key
    return info.path / ("table" if year is None else str(year))


def _provenance_lines(p: Provenance) -> list[tuple[str, str]]:
    rows = [
        ("source", " ".join(x for x in (p.source, p.edition) if x)),
        ("licence", p.licence),
        ("citation", p.citation),
        ("url", p.url),
        ("derived by", p.derived_by),
        ("notes", p.notes),
    ]
    if p.estimated:
        rows.append(("estimated", "some regions are estimated, not published"))
    if p.raw_files:
        rows.append(("raw files", f"{len(p.raw_files)} (checksums recorded)"))
    return [(k, v) for k, v in rows if v]


def _check_rows(report: ValidationReport) -> list[tuple[str, str, str]]:
    return [(c.name, "pass" if c.passed else "FAIL", c.message) for c in report.checks]


def _checks_summary(report: ValidationReport) -> str:
    if report.passed:
        return f"all {len(report.checks)} passed"
    return "failed: " + ", ".join(c.name for c in report.failures)


CHECK_COLS = (Col("check"), Col("result"), Col("detail"))


# ---------------------------------------------------------------------- datasets
@app.command("datasets")
def datasets_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """List the datasets (built-in and imported) with their provenance."""
    store = state(ctx).store
    infos = store.list()
    if json_out:
        out = []
        for info in infos:
            regions, sectors = _size(info)
            out.append({**info.to_dict(), "regions": regions, "sectors": sectors})
        render.print_json({"data_dir": store.root, "datasets": out})
        return
    con = render.console()
    if not infos:
        con.print(f"No datasets in {store.root}. Add one with: karavan import PATH")
        return
    rows = []
    for info in infos:
        regions, sectors = _size(info)
        rows.append(
            (
                info.name,
                _span(info.years),
                f"{regions} x {sectors}",
                "yes" if info.builtin else "",
                " ".join(x for x in (info.provenance.source, info.provenance.edition) if x),
                info.provenance.licence or "-",
            )
        )
    con.print(
        render.table(
            f"Datasets (data directory {store.root})",
            [
                Col("name"),
                Col("years"),
                Col("regions x sectors"),
                Col("built-in"),
                Col("source"),
                Col("licence"),
            ],
            rows,
        )
    )
    cited = [i for i in infos if i.provenance.citation]
    if cited:
        con.print("Citations:")
        for info in cited:
            con.print(f"  {info.name}: {info.provenance.citation}", markup=False)


# ---------------------------------------------------------------------- import
_SLUG = re.compile(r"[^A-Za-z0-9._-]+")


def _default_name(tables: list[MRIOTable], first: Path) -> str:
    m = tables[0].meta
    years = sorted({t.meta.year for t in tables if t.meta.year is not None})
    if m.source and m.source != "user":
        base = "-".join(x for x in (m.source, m.edition) if x)
        if years:
            base += f"-{years[0]}" if len(years) == 1 else f"-{years[0]}-{years[-1]}"
    else:
        base = first.name.split(".")[0] or first.name
    slug = _SLUG.sub("-", base).strip("-._").lower()
    return slug[:64] or "dataset"


def _name(path: Path) -> str:
    return path.name


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(help="Table file(s) or native table directories.", show_default=False),
    ],
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            "--name",
            "-n",
            help="Dataset name (default: source and years, or file name).",
            show_default=False,
        ),
    ] = None,
    title: Annotated[str, typer.Option("--title", help="A title for the dataset.")] = "",
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a dataset of that name.")
    ] = False,
    add: Annotated[
        bool, typer.Option("--add", help="Add (or overwrite) years of an existing dataset.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Read, validate and store tables as a dataset; nothing is stored if any step fails."""
    if replace and add:
        fail("--replace and --add exclude each other")
    progress = not json_out
    read: list[tuple[Path, MRIOTable, ValidationReport]] = []
    provenance: Provenance | None = None
    for path in render.track(paths, "reading and checking", enabled=progress, label=_name):
        try:
            tables, prov = read_path(path, fmt, validate=False)
            for t in tables:
                report = t.validate()
                report.raise_if_failed(where=str(path))
                read.append((path, t, report))
        except KaravanError as exc:
            if str(path) in str(exc):
                raise
            raise SourceError(f"cannot import {path}: {exc}") from exc
        provenance = prov if provenance is None else provenance.merged(prov)
    assert provenance is not None  # typer requires at least one path
    tables = [t for _, t, _ in read]
    dataset = name or _default_name(tables, paths[0])
    mode = "replace" if replace else "add" if add else "create"
    store = state(ctx).store
    with render.spinner(f"storing {dataset}", enabled=progress):
        info = store.save(dataset, tables, provenance, title=title, mode=mode)
    stored = [
        {
            "file": str(path),
            "year": t.meta.year,
            "regions": t.n_regions,
            "sectors": t.n_sectors,
            "estimated": t.meta.estimated,
            "checks": report.as_dict(),
        }
        for path, t, report in read
    ]
    if json_out:
        render.print_json({"dataset": info.to_dict(), "mode": mode, "stored": stored})
        return
    con = render.console()
    con.print(
        f"Stored {len(read)} table(s) as dataset '{info.name}' in {store.root} "
        f"({mode}; the dataset now holds {_span(info.years)}).",
        markup=False,
    )
    con.print(
        render.table(
            None,
            [Col("year"), Col("regions x sectors"), Col("checks"), Col("file")],
            [
                (t.meta.year or "-", f"{t.n_regions} x {t.n_sectors}", _checks_summary(r), p.name)
                for p, t, r in read
            ],
        )
    )


# ---------------------------------------------------------------------- info
@app.command("info")
def info_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset name.", show_default=False)],
    year: YearOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Provenance, size, totals by region and check results of a dataset's table."""
    store = state(ctx).store
    info = store.info(name)
    dataset = {**info.to_dict(), "bytes": _dir_bytes(info.path)}
    if year is None and len(info.years) > 1:
        # Several years and none chosen: describe the dataset; the table details need --year.
        if json_out:
            render.print_json({"dataset": dataset, "tables": info.tables, "table": None})
            return
        con = render.console()
        _print_dataset(con, info, dataset["bytes"])
        con.print(
            render.table(
                "Tables",
                [Col("year"), Col("regions"), Col("sectors"), Col("estimated")],
                [
                    (
                        e.get("year"),
                        e.get("regions"),
                        e.get("sectors"),
                        "yes" if e.get("estimated") else "",
                    )
                    for e in info.tables.values()
                ],
            )
        )
        latest = max(y or 0 for y in info.years)
        con.print(f"Choose a year with --year for totals and checks (e.g. --year {latest}).")
        return
    _, table = load_table(ctx, name, year, progress=not json_out)
    y = table.meta.year
    with render.spinner("checking", enabled=not json_out):
        report = table.validate()
    totals = table.totals()
    zero = [table.industry_label(int(i)) for i in table.zero_output.nonzero()[0]]
    m = table.meta
    table_part: dict[str, Any] = {
        "year": y,
        "regions": list(table.regions),
        "sectors": list(table.sectors),
        "sector_names": dict(m.sector_names),
        "categories": list(table.categories),
        "va_components": list(table.va_components),
        "stressors": [{"name": s, "unit": u} for s, u in table.units.items()],
        "industries": table.n,
        "currency": m.currency,
        "unit": m.unit,
        "price_basis": m.price_basis,
        "estimated": m.estimated,
        "bytes": _dir_bytes(_table_dir(info, y)),
        "meta": m.to_dict(),
    }
    if json_out:
        render.print_json(
            {
                "dataset": dataset,
                "table": table_part,
                "totals": totals,
                "validation": report.as_dict(),
                "zero_output": zero,
            }
        )
        return
    con = render.console()
    _print_dataset(con, info, dataset["bytes"])
    unit = f"{m.currency} {m.unit}"
    con.print(
        f"Table {y or ''}: {table.n_regions} regions x {table.n_sectors} sectors "
        f"({table.n} industries), {len(table.categories)} final-demand categories, "
        f"{len(table.va_components)} value-added component(s), {len(table.stressors)} stressor(s); "
        f"{unit}, {m.price_basis}; {fmt_bytes(table_part['bytes'])} on disk.",
        markup=False,
    )
    if table.stressors:
        con.print(
            "Stressors: " + ", ".join(f"{s} [{u}]" for s, u in table.units.items()), markup=False
        )
    con.print(
        render.table(
            f"Totals by region ({unit})",
            [
                Col("region"),
                Col("output", fmt_amount, True),
                Col("value added", fmt_amount, True),
                Col("intermediate inputs", fmt_amount, True),
                Col("final demand", fmt_amount, True),
            ],
            [(r, *row) for r, row in zip(totals.index, totals.to_numpy(), strict=True)],
        )
    )
    con.print(render.table(f"Checks: {_checks_summary(report)}", CHECK_COLS, _check_rows(report)))
    if zero:
        more = f" and {len(zero) - 20} more" if len(zero) > 20 else ""
        con.print(
            f"Zero-output industries ({len(zero)}): {', '.join(zero[:20])}{more}", markup=False
        )
    else:
        con.print("Zero-output industries: none")


def _print_dataset(con: Any, info: DatasetInfo, nbytes: int) -> None:
    title = f"Dataset {info.name}" + (f": {info.title}" if info.title else "")
    kind = "built-in, read-only" if info.builtin else "imported"
    rows = [
        ("years", _span(info.years)),
        ("kind", kind),
        ("location", str(info.path)),
        ("on disk", fmt_bytes(nbytes)),
        *_provenance_lines(info.provenance),
    ]
    con.print(render.table(title, [Col("field"), Col("value")], rows))


# ---------------------------------------------------------------------- validate
@app.command("validate")
def validate_cmd(
    ctx: typer.Context,
    target: Annotated[
        str, typer.Argument(help="A table file/directory, or a dataset name.", show_default=False)
    ],
    year: YearOpt = None,
    fmt: Annotated[
        str | None,
        typer.Option("--format", "-f", help=FORMAT_HELP, show_default=False),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Run every check on a file (not stored) or a stored dataset; exit code 3 if one fails.

    Without --year, every table in the file or dataset is checked.
    """
    progress = not json_out
    path = Path(target)
    tables: list[MRIOTable]
    if path.exists():
        kind = "file"
        tables, _ = read_path(path, fmt, validate=False)
        if year is not None:
            tables = [t for t in tables if t.meta.year == year]
            if not tables:
                fail(f"{path} holds no table for year {year}")
        loaded = tables
    else:
        kind = "dataset"
        store = state(ctx).store
        info = store.info(target)
        years = [store.resolve_year(info, year)] if year is not None else list(info.years)
        loaded = []
        for y in render.track(years, "loading", enabled=progress, label=str):
            loaded.append(store.load(target, y))
    results: list[tuple[MRIOTable, ValidationReport]] = []
    for t in render.track(
        loaded, "checking", enabled=progress, label=lambda t: str(t.meta.year or "")
    ):
        results.append((t, t.validate()))
    passed = all(r.passed for _, r in results)
    if json_out:
        render.print_json(
            {
                "target": target,
                "kind": kind,
                "passed": passed,
                "tables": [{"year": t.meta.year, **r.as_dict()} for t, r in results],
            }
        )
    else:
        con = render.console()
        for t, r in results:
            head = f"{target} {t.meta.year or ''}".strip()
            con.print(render.table(f"{head}: {_checks_summary(r)}", CHECK_COLS, _check_rows(r)))
            for c in r.failures:
                for f in c.findings[:10]:
                    con.print(
                        f"  {c.name}: row {f.row}, column {f.column}: {f.value:.6g}"
                        + (f" ({f.detail})" if f.detail else ""),
                        markup=False,
                    )
        n_bad = sum(not r.passed for _, r in results)
        con.print(
            f"{len(results)} table(s) checked: all checks passed"
            if passed
            else f"{len(results)} table(s) checked: {n_bad} failed"
        )
    if not passed:
        raise typer.Exit(EXIT_CHECK_FAILED)


# ---------------------------------------------------------------------- aggregate
def _read_concordance(path: Path, what: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path, dtype={"source": str, "target": str}, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ParseError(f"cannot read the {what} concordance: {exc}", path=str(path)) from None
    missing = [c for c in ("source", "target") if c not in frame.columns]
    if missing:
        raise ParseError(
            f"the {what} concordance needs columns source,target[,weight]; "
            f"got {list(frame.columns)}",
            path=str(path),
        )
    if "weight" in frame.columns and not pd.api.types.is_numeric_dtype(frame["weight"]):
        raise ParseError(
            f"the {what} concordance has a non-numeric weight", path=str(path), column="weight"
        )
    return frame


@app.command("aggregate")
def aggregate_cmd(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Dataset to aggregate.", show_default=False)],
    output: Annotated[
        str, typer.Option("--output", "-o", help="Name of the new dataset.", show_default=False)
    ],
    regions: Annotated[
        Path | None,
        typer.Option(
            "--regions", help="Region concordance CSV: source,target[,weight].", show_default=False
        ),
    ] = None,
    bloc: Annotated[
        str | None,
        typer.Option(
            "--bloc",
            help="Merge a bloc's members into one region: EAEU, EAEU+CHN, NAME=A,B.",
            show_default=False,
        ),
    ] = None,
    sectors: Annotated[
        Path | None,
        typer.Option(
            "--sectors", help="Sector concordance CSV: source,target[,weight].", show_default=False
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year", "-y", help="Only this year (default: every year).", show_default=False
        ),
    ] = None,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace a dataset named OUTPUT.")
    ] = False,
    json_out: JsonOpt = False,
) -> None:
    """Aggregate regions and/or sectors of every table and store the result as a new dataset."""
    if regions is not None and bloc is not None:
        fail("give either --regions or --bloc, not both")
    if regions is None and bloc is None and sectors is None:
        fail("nothing to aggregate: give --regions, --bloc and/or --sectors")
    if output == name:
        fail(f"--output must name a new dataset, not {name!r} itself")
    progress = not json_out
    store = state(ctx).store
    info = store.info(name)
    years = [store.resolve_year(info, year)] if year is not None else list(info.years)
    region_spec = _read_concordance(regions, "region") if regions is not None else None
    sector_spec = _read_concordance(sectors, "sector") if sectors is not None else None
    bloc_spec = parse_bloc(bloc) if bloc is not None else None
    out: list[MRIOTable] = []
    present: tuple[str, ...] = ()
    for y in render.track(years, "aggregating", enabled=progress, label=str):
        t = store.load(name, y)
        try:
            if bloc_spec is not None:
                present = bloc_members(t.regions, bloc_spec[1])[0]
                conc = bloc_concordance(t.regions, {bloc_spec[0]: bloc_spec[1]})
                out.append(aggregate(t, regions=conc, sectors=sector_spec))
            else:
                out.append(aggregate(t, regions=region_spec, sectors=sector_spec))
        except ConcordanceError as exc:
            files = ", ".join(str(p) for p in (regions, sectors) if p is not None)
            where = f"concordance {files}" if files else f"bloc {bloc}"
            raise ConcordanceError(f"{where} does not fit {name} {y or ''}: {exc}") from None
    if bloc_spec is not None:
        how = f"bloc {bloc_spec[0]} = {'+'.join(present)}"
    else:
        how = f"regions by {regions.name}" if regions is not None else ""
    if sectors is not None:
        how = "; ".join(x for x in (how, f"sectors by {sectors.name}") if x)
    note = f"aggregated from dataset {name!r} ({how})"
    old = info.provenance
    prov = Provenance.from_dict(
        {
            **old.to_dict(),
            "derived_by": f"karavan aggregate {name} ({how})",
            "notes": "; ".join(x for x in (old.notes, note) if x),
        }
    )
    title = f"{info.title or name}, aggregated ({how})"
    with render.spinner(f"storing {output}", enabled=progress):
        new = store.save(output, out, prov, title=title, mode="replace" if replace else "create")
    first = out[0]
    if json_out:
        render.print_json(
            {
                "dataset": new.to_dict(),
                "from": name,
                "regions": list(first.regions),
                "sectors": list(first.sectors),
            }
        )
        return
    render.console().print(
        f"Stored dataset '{new.name}' ({_span(new.years)}): {first.n_regions} regions x "
        f"{first.n_sectors} sectors, from '{name}' ({how}). Regions: {', '.join(first.regions)}",
        markup=False,
    )
