"""The ``karavan scenario`` group: run a scenario file, save, list, compare and export runs, and
print the JSON Schema of scenario files. Runs are saved in ``DATA_DIR/runs``."""

from __future__ import annotations

import hashlib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from karavan.cli import render
from karavan.cli.app import JsonOpt, app, fail, load_table, state
from karavan.cli.render import Col, fmt_amount, fmt_share
from karavan.datastore import DatasetInfo
from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.scenarios.store import DatasetRef, RunStore, compare_runs

__all__ = ["dataset_checksum", "scenario_app", "schema_text"]

scenario_app = typer.Typer(
    help="Scenario lab: test a project or policy on the input-output model.",
    no_args_is_help=True,
)
app.add_typer(scenario_app, name="scenario")


class ExportChoice(StrEnum):
    csv = "csv"
    parquet = "parquet"
    json = "json"


def schema_text() -> str:
    """The JSON Schema of scenario files, as published in ``docs/scenario-schema.json``."""
    return json.dumps(ScenarioSpec.model_json_schema(), indent=2, ensure_ascii=False) + "\n"


def dataset_checksum(info: DatasetInfo, year: int | None) -> str:
    """sha256 over the stored arrays' sha256s (``table.json``) of one year of a dataset."""
    key = "table" if year is None else str(int(year))
    meta = json.loads((info.path / key / "table.json").read_text(encoding="utf-8"))
    sums = {name: a["sha256"] for name, a in sorted(meta["arrays"].items())}
    return hashlib.sha256(json.dumps(sums, sort_keys=True).encode("utf-8")).hexdigest()


def _runs(ctx: typer.Context) -> RunStore:
    return RunStore(state(ctx).settings.data_dir / "runs")


def _print_result(result: ScenarioResult, top: int, title: str) -> None:
    con = render.console()
    con.print(f"{title}; bloc {result.bloc} ({', '.join(result.bloc_members)})")
    s = result.summary()
    measures = result.measures
    con.print(
        render.table(
            "total change",
            [Col("measure"), Col("baseline", fmt_amount, True), Col("change", fmt_amount, True)],
            [(m, s[f"{m}_baseline"], s[f"{m}_change"]) for m in measures],
        )
    )
    if s["output_direct"]:
        con.print(f"output change includes {fmt_amount(s['output_direct'])} of new plants' output")
    con.print(
        render.table(
            "bloc closure",
            [Col(""), Col("closure", fmt_share, True), Col("leakage", fmt_amount, True)],
            [
                (w, result.closure.at[w, "closure"], result.closure.at[w, "leakage"])
                for w in ("before", "after")
            ],
        )
    )
    reg = result.regions()
    changes = [f"{m}_change" for m in measures]
    con.print(
        render.table(
            "change by region",
            [Col("region")] + [Col(c.removesuffix("_change"), fmt_amount, True) for c in changes],
            [(r, *row) for r, row in zip(reg.index, reg[changes].to_numpy(), strict=True)],
        )
    )
    ind = result.industries
    order = ind["output_change"].abs().sort_values(ascending=False).index[: top or None]
    con.print(
        render.table(
            "largest output changes",
            [Col("region"), Col("sector")]
            + [Col(c.removesuffix("_change"), fmt_amount, True) for c in changes],
            [(r, s_, *ind.loc[(r, s_), changes].to_numpy()) for r, s_ in order],
        )
    )
    for note in result.notes:
        con.print(f"note: {note}")


def _result_json(result: ScenarioResult) -> dict[str, Any]:
    return {
        "summary": result.summary(),
        "closure": result.closure,
        "regions": result.regions(),
        "industries": result.industries,
        "notes": list(result.notes),
    }


def _parse_values(items: list[str]) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items:
        path, sep, number = item.rpartition("=")
        try:
            if not sep or not path:
                raise ValueError
            out[path.strip()] = float(number)
        except ValueError:
            fail(f"--set expects PATH=NUMBER (e.g. 'shocks[0].value=10'); got {item!r}")
    return out


@scenario_app.command("run")
def run_cmd(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Scenario file (YAML or JSON).", dir_okay=False)],
    save: Annotated[bool, typer.Option("--save", help="Save the run in DATA_DIR/runs.")] = False,
    top: Annotated[int, typer.Option("--top", "-n", min=0, help="Industries shown.")] = 15,
    set_values: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            help="PATH=NUMBER: a value for a parameter, e.g. --set 'shocks[0].percent=-15' "
            "(needed for every distribution; see `scenario schema`).",
            show_default=False,
        ),
    ] = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a scenario file against its baseline dataset and print the effects."""
    spec = ScenarioSpec.from_file(file)
    values = _parse_values(set_values or [])
    if values:
        spec = spec.with_values(values)
    info, table = load_table(ctx, spec.baseline.dataset, spec.baseline.year, progress=not json_out)
    with render.spinner("running the scenario", enabled=not json_out):
        result = ScenarioRunner(table, bloc=spec.bloc).run(spec)
    run_id = None
    if save:
        ref = DatasetRef(info.name, table.meta.year, dataset_checksum(info, table.meta.year))
        run_id = _runs(ctx).save(spec, result, ref).provenance.run_id
    if json_out:
        render.print_json(
            {
                "scenario": spec.name,
                "dataset": info.name,
                "year": table.meta.year,
                "run_id": run_id,
                **_result_json(result),
            }
        )
        return
    _print_result(result, top, f"{spec.name} on {info.name} {table.meta.year or ''}")
    if run_id:
        render.console().print(f"saved as {run_id}")


@scenario_app.command("list")
def list_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Saved runs, oldest first."""
    runs = _runs(ctx).list()
    if json_out:
        render.print_json([r.__dict__ for r in runs])
        return
    render.console().print(
        render.table(
            f"saved scenario runs in {_runs(ctx).root}",
            [Col("run"), Col("scenario"), Col("dataset"), Col("year"), Col("created")],
            [(r.run_id, r.spec_name, r.dataset, r.year or "", r.created) for r in runs],
        )
    )


@scenario_app.command("compare")
def compare_cmd(
    ctx: typer.Context,
    run_a: Annotated[str, typer.Argument(help="First run id (or a unique prefix).")],
    run_b: Annotated[str, typer.Argument(help="Second run id (or a unique prefix).")],
    json_out: JsonOpt = False,
) -> None:
    """Two saved runs' summaries side by side."""
    store = _runs(ctx)
    table = compare_runs(store.load(run_a), store.load(run_b))
    if json_out:
        render.print_json(table)
        return

    def cell(v: Any) -> str:
        return fmt_amount(v) if isinstance(v, float) else "" if v is None else str(v)

    render.console().print(
        render.table(
            "scenario runs compared",
            [Col("measure")] + [Col(str(c), cell, True) for c in table.columns],
            [(k, *row) for k, row in zip(table.index, table.to_numpy(), strict=True)],
        )
    )


@scenario_app.command("export")
def export_cmd(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(help="Run id (or a unique prefix).")],
    fmt: Annotated[ExportChoice, typer.Option("--format", "-f", help="csv, parquet or json.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.", dir_okay=False)],
) -> None:
    """Write a saved run to a CSV, Parquet or JSON file."""
    path = _runs(ctx).export(run, fmt.value, output)
    typer.echo(f"wrote {path}")


@scenario_app.command("schema")
def schema_cmd(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Write to this file instead.", dir_okay=False),
    ] = None,
) -> None:
    """Print the JSON Schema of scenario files (docs/scenario-schema.json)."""
    text = schema_text()
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {output}")
