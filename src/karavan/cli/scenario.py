"""The ``karavan scenario`` group: run a scenario file (once, or as a Monte Carlo analysis over
its distributions), run a batch of scenario files on one baseline, save, list, compare and export
runs, and print the JSON Schema of scenario files. Runs are saved in ``DATA_DIR/runs``.

Where the work runs: ``--dask tcp://host:port`` sends it to a Dask cluster; otherwise
``--workers W`` local processes, by default as many as the CPUs this process may use
(``os.sched_getaffinity``), capped by the number of draws or scenarios, but in this process when
there are fewer than :data:`POOL_FROM_DRAWS` draws or :data:`POOL_FROM_SCENARIOS` scenarios (a
pool of spawned processes costs seconds to start). In-process runs limit BLAS to one thread,
as pool workers do, so that the numbers do not depend on where they ran."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from karavan.cli import render
from karavan.cli.app import JsonOpt, app, fail, load_table, state
from karavan.cli.render import Col, fmt_amount, fmt_share
from karavan.cli.scenario_mc import headline_draws, mc_frames, mc_summary, print_mc
from karavan.datastore import DatasetInfo
from karavan.scenarios.batch import run_batch
from karavan.scenarios.montecarlo import monte_carlo_scenario
from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.scenarios.store import DatasetRef, RunStore, compare_runs

__all__ = [
    "POOL_FROM_DRAWS",
    "POOL_FROM_SCENARIOS",
    "default_workers",
    "headline_draws",
    "scenario_app",
    "schema_text",
]

POOL_FROM_DRAWS = 100
"""Fewer Monte Carlo draws than this run in this process unless ``--workers`` says otherwise."""
POOL_FROM_SCENARIOS = 4
"""Fewer batch scenarios than this run in this process unless ``--workers`` says otherwise."""

T = TypeVar("T")

WorkersOpt = Annotated[
    int | None,
    typer.Option(
        "--workers",
        "-w",
        min=1,
        help="Local worker processes (1: this process). Default: the usable CPUs, capped by "
        f"the tasks; this process below {POOL_FROM_DRAWS} draws or {POOL_FROM_SCENARIOS} "
        "scenarios.",
        show_default=False,
    ),
]
DaskOpt = Annotated[
    str | None,
    typer.Option(
        "--dask",
        metavar="tcp://HOST:PORT",
        help="Run on the Dask cluster whose scheduler is at this address "
        "(pip install 'karavan[dask]').",
        show_default=False,
    ),
]

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


def _dataset_ref(info: DatasetInfo, year: int | None) -> DatasetRef:
    """The saved run's reference to the year of the dataset it ran on, with its checksum."""
    return DatasetRef(info.name, year, info.checksum(year))


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


def usable_cpus() -> int:
    """CPUs this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - macOS, Windows
        return max(1, os.cpu_count() or 1)


def default_workers(tasks: int, pool_from: int) -> int:
    """``min(usable CPUs, tasks)`` local workers, or 1 (this process) below ``pool_from`` tasks."""
    if tasks < pool_from:
        return 1
    return max(1, min(usable_cpus(), tasks))


@contextmanager
def _one_blas_thread(enabled: bool) -> Iterator[None]:
    if not enabled:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def _where(workers: int | None, dask: str | None, tasks: int, pool_from: int) -> tuple[int, str]:
    if dask is not None:
        return 1, f"on the Dask cluster at {dask}"
    w = workers if workers is not None else default_workers(tasks, pool_from)
    return w, ("in this process" if w == 1 else f"on {w} local processes")


def _execute(in_process: bool, what: str, quiet: bool, work: Callable[[], T]) -> T:
    with render.spinner(what, enabled=not quiet), _one_blas_thread(in_process):
        return work()


# ---------------------------------------------------------------------- Monte Carlo
# (its outputs and report: karavan.cli.scenario_mc)
def _run_monte_carlo(
    ctx: typer.Context,
    spec: ScenarioSpec,
    *,
    draws: int,
    lhs: bool,
    seed: int,
    workers: int | None,
    dask: str | None,
    save: bool,
    json_out: bool,
) -> None:
    info, table = load_table(ctx, spec.baseline.dataset, spec.baseline.year, progress=not json_out)
    method = "lhs" if lhs else "random"
    n_workers, where = _where(workers, dask, draws, POOL_FROM_DRAWS)
    runner = ScenarioRunner(table, bloc=spec.bloc)
    mc = _execute(
        dask is None and n_workers == 1,
        f"running {draws} draws {where}",
        json_out,
        lambda: monte_carlo_scenario(
            runner,
            spec,
            n=draws,
            seed=seed,
            method=method,
            workers=n_workers,
            dask_address=dask,
        ),
    )
    frames = mc_frames(mc)
    summary = mc_summary(frames)
    run_id = None
    if save:
        ref = _dataset_ref(info, table.meta.year)
        saved = _runs(ctx).save_monte_carlo(
            spec, frames, summary, ref, seed=seed, method=method, draws=draws
        )
        run_id = saved.provenance.run_id
    if json_out:
        render.print_json(
            {
                "scenario": spec.name,
                "dataset": info.name,
                "year": table.meta.year,
                "run_id": run_id,
                "method": method,
                "seed": seed,
                "draws": draws,
                "parameters": list(frames["headline/sensitivity"].columns),
                "summary": summary,
                "headline": {
                    "percentiles": frames["headline/percentiles"],
                    "sensitivity": frames["headline/sensitivity"],
                },
                "percentiles": {o: frames[f"{o}/percentiles"] for o in mc.outputs},
                "sensitivity": {o: frames[f"{o}/sensitivity"] for o in mc.outputs},
                "drivers": frames["drivers"],
            }
        )
        return
    label = "Latin hypercube" if lhs else "random"
    print_mc(
        frames,
        f"{spec.name} on {info.name} {table.meta.year or ''}: {draws} {label} draws, seed {seed}",
        f"{draws} draws {where}; percentiles 5/50/95 and mean",
    )
    if run_id:
        render.console().print(f"saved as {run_id}")


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
    draws: Annotated[
        int | None,
        typer.Option(
            "--draws",
            min=1,
            help="Monte Carlo: N draws over the spec's distributions (percentiles 5/50/95, "
            "mean and sensitivity of the headline outputs).",
            show_default=False,
        ),
    ] = None,
    lhs: Annotated[
        bool, typer.Option("--lhs", help="Latin hypercube draws (with --draws).")
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the draws.")] = 0,
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run a scenario file against its baseline dataset and print the effects; with --draws,
    a Monte Carlo analysis over its distributions."""
    spec = ScenarioSpec.from_file(file)
    values = _parse_values(set_values or [])
    if values:
        spec = spec.with_values(values)
    if draws is not None:
        _run_monte_carlo(
            ctx,
            spec,
            draws=draws,
            lhs=lhs,
            seed=seed,
            workers=workers,
            dask=dask,
            save=save,
            json_out=json_out,
        )
        return
    if lhs or dask is not None or workers is not None:
        fail("--lhs, --workers and --dask apply to Monte Carlo runs: add --draws N")
    info, table = load_table(ctx, spec.baseline.dataset, spec.baseline.year, progress=not json_out)
    with render.spinner("running the scenario", enabled=not json_out):
        result = ScenarioRunner(table, bloc=spec.bloc).run(spec)
    run_id = None
    if save:
        ref = _dataset_ref(info, table.meta.year)
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


@scenario_app.command("batch")
def batch_cmd(
    ctx: typer.Context,
    files: Annotated[
        list[Path], typer.Argument(help="Scenario files on the same baseline.", dir_okay=False)
    ],
    workers: WorkersOpt = None,
    dask: DaskOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Run several deterministic scenario files on one baseline, in parallel, and show their
    summaries side by side."""
    specs = [ScenarioSpec.from_file(f) for f in files]
    for f, spec in zip(files, specs, strict=True):
        if not spec.is_deterministic():
            uncertain = [p for p, v in spec.parameters().items() if not isinstance(v, float)]
            fail(
                f"{f}: distributions at {', '.join(uncertain)}; a batch runs deterministic "
                "scenarios (use `scenario run FILE --draws N` for a Monte Carlo analysis)"
            )
    base = specs[0].baseline
    for f, spec in zip(files[1:], specs[1:], strict=True):
        if (spec.baseline.dataset, spec.baseline.year) != (base.dataset, base.year):
            fail(
                f"{f}: baseline {spec.baseline.dataset} {spec.baseline.year}, not "
                f"{base.dataset} {base.year} as {files[0]}; a batch shares one baseline"
            )
    info, table = load_table(ctx, base.dataset, base.year, progress=not json_out)
    n_workers, where = _where(workers, dask, len(specs), POOL_FROM_SCENARIOS)
    runner = ScenarioRunner(table, bloc=specs[0].bloc)
    results = _execute(
        dask is None and n_workers == 1,
        f"running {len(specs)} scenarios {where}",
        json_out,
        lambda: run_batch(runner, specs, workers=n_workers, dask_address=dask),
    )
    if json_out:
        render.print_json(
            {
                "dataset": info.name,
                "year": table.meta.year,
                "scenarios": [
                    {"file": str(f), "scenario": r.name, **_result_json(r)}
                    for f, r in zip(files, results, strict=True)
                ],
            }
        )
        return
    summaries = [r.summary() for r in results]
    headers = _unique([r.name for r in results], [f.stem for f in files])
    keys = [k for k, v in summaries[0].items() if isinstance(v, float)]
    shares = {k for k in keys if k.startswith("closure") or k.startswith("leakage_share")}

    def fmt(k: str) -> Callable[[Any], str]:
        return fmt_share if k in shares else fmt_amount

    render.console().print(
        render.table(
            f"{len(results)} scenarios on {info.name} {table.meta.year or ''}",
            [Col("measure")] + [Col(h, str, True) for h in headers],
            [(k, *(fmt(k)(s.get(k)) for s in summaries)) for k in keys],
            caption=f"run {where}",
        )
    )
    for h, r in zip(headers, results, strict=True):
        for note in r.notes:
            render.console().print(f"note ({h}): {note}")


def _unique(names: list[str], stems: list[str]) -> list[str]:
    """Column headers: the scenario names, with the file's stem where a name repeats."""
    return [
        n if names.count(n) == 1 else f"{n} ({stem})" for n, stem in zip(names, stems, strict=True)
    ]


@scenario_app.command("list")
def list_cmd(ctx: typer.Context, json_out: JsonOpt = False) -> None:
    """Saved runs, oldest first."""
    runs = _runs(ctx).list()
    if json_out:
        render.print_json([r.__dict__ for r in runs])
        return

    def kind(r: Any) -> str:
        return "" if r.kind == "scenario" else f"{r.method} x{r.draws}, seed {r.seed}"

    render.console().print(
        render.table(
            f"saved scenario runs in {_runs(ctx).root}",
            [
                Col("run"),
                Col("scenario"),
                Col("dataset"),
                Col("year"),
                Col("Monte Carlo"),
                Col("created"),
            ],
            [(r.run_id, r.spec_name, r.dataset, r.year or "", kind(r), r.created) for r in runs],
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
    """Write a saved run to a CSV, Parquet or JSON file (a Monte Carlo run: its percentiles,
    draws and sensitivity)."""
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
