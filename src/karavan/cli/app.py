"""The ``karavan`` application object, its global options and what the commands share.

Errors are translated here, once, for every command: a :class:`~karavan.errors.KaravanError` or
an ``OSError`` becomes one line ``error: <message>`` on standard error and exit code 2; a usage
error (unknown option, bad value) also one line and exit code 2; anything unexpected one line
and exit code 1 (``--traceback`` shows where). Commands signal a failed check with exit code 3.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from typer.core import TyperGroup

from karavan.cli import render
from karavan.core.aggregation import BLOCS
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable
from karavan.datastore import DatasetInfo, DataStore
from karavan.errors import KaravanError
from karavan.settings import Settings

__all__ = [
    "EXIT_BUG",
    "EXIT_CHECK_FAILED",
    "EXIT_USER",
    "CliState",
    "JsonOpt",
    "YearOpt",
    "app",
    "fail",
    "leontief_model",
    "load_table",
    "parse_bloc",
    "parse_regions",
    "resolve_year",
    "state",
]

EXIT_BUG = 1
EXIT_USER = 2
EXIT_CHECK_FAILED = 3

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
YearOpt = Annotated[
    int | None,
    typer.Option(
        "--year", "-y", help="Year (may be omitted for a one-year dataset).", show_default=False
    ),
]

LARGE_TABLE = 2000
"""Industries from which factorising ``(I - A)`` takes long enough to deserve a spinner."""


def _describe(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.filename is not None and exc.strerror:
        return f"{exc.filename}: {exc.strerror}"
    return str(exc) or type(exc).__name__


class KaravanGroup(TyperGroup):
    """Translates errors into one line and an exit code, for every command."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException, BrokenPipeError):
            raise
        except (KaravanError, OSError) as exc:
            render.error_line(_describe(exc))
            raise typer.Exit(EXIT_USER) from None
        except Exception as exc:
            obj = ctx.obj
            if isinstance(obj, CliState) and obj.traceback:
                raise
            render.error_line(
                f"unexpected {type(exc).__name__}: {_describe(exc)} "
                "(a bug in Karavan; rerun with --traceback to see where)"
            )
            raise typer.Exit(EXIT_BUG) from None

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(
                args, prog_name, complete_var, standalone_mode, windows_expand_args, **extra
            )
        try:
            rv = super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        except typer.TyperException as exc:  # usage errors: unknown option, bad value, ...
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            render.error_line(exc.format_message() + where)
            sys.exit(exc.exit_code)
        except typer.Abort:
            render.error_line("aborted")
            sys.exit(EXIT_BUG)
        except BrokenPipeError:  # the reader went away (``karavan report | head``): stop quietly
            _silence_stdout()
            sys.exit(EXIT_BUG)
        sys.exit(rv if isinstance(rv, int) else 0)


def _silence_stdout() -> None:
    """Point standard output at /dev/null so that flushing at exit raises nothing more."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (a test runner's buffer)
        pass


app = typer.Typer(
    cls=KaravanGroup,
    name="karavan",
    help="Karavan: multi-regional input-output tables and Eurasian value chains.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


@dataclass(frozen=True)
class CliState:
    """What the global options decide, passed to every command through the click context."""

    settings: Settings
    traceback: bool = False

    @property
    def store(self) -> DataStore:
        return DataStore(self.settings.data_dir)


def _version(value: bool) -> None:
    if value:
        from karavan import __version__

        typer.echo(f"karavan {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            "--data-dir",
            help="Data directory (overrides KARAVAN_DATA_DIR; default: the per-user data dir).",
            file_okay=False,
            show_default=False,
        ),
    ] = None,
    traceback: Annotated[
        bool, typer.Option("--traceback", help="Show the traceback of unexpected errors.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Karavan: multi-regional input-output tables and Eurasian value chains."""
    if ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0)
    try:
        settings = Settings(data_dir=data_dir) if data_dir is not None else Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        fail(f"invalid setting KARAVAN_{where.upper()}: {first.get('msg', exc)}")
    ctx.obj = CliState(settings=settings, traceback=traceback)


# ---------------------------------------------------------------------- shared by commands
def state(ctx: typer.Context) -> CliState:
    obj = ctx.find_object(CliState)
    if obj is None:  # a command invoked without the group (tests): read the environment
        obj = CliState(settings=Settings())
        ctx.obj = obj
    return obj


def fail(message: str, code: int = EXIT_USER) -> NoReturn:
    """Print ``error: message`` (one line, standard error) and stop with exit code ``code``."""
    render.error_line(message)
    raise typer.Exit(code)


def load_table(
    ctx: typer.Context, name: str, year: int | None, *, progress: bool
) -> tuple[DatasetInfo, MRIOTable]:
    """The stored table ``name`` for ``year`` (may be omitted for a one-year dataset)."""
    store = state(ctx).store
    info = store.info(name)
    y = resolve_year(store, info, year)
    with render.spinner(f"loading {name} {y or ''}", enabled=progress):
        table = store.load(name, y)
    return info, table


def resolve_year(store: DataStore, info: DatasetInfo, year: int | None) -> int | None:
    """The dataset's year to use; without ``--year`` the dataset must hold one year only."""
    if year is None and len(info.years) > 1:
        years = [y for y in info.years if y is not None]
        span = f"{years[0]}-{years[-1]}" if years else "several"
        fail(
            f"dataset {info.name!r} holds {len(info.years)} years ({span}); "
            f"choose one with --year (e.g. --year {years[-1] if years else ''})"
        )
    return store.resolve_year(info, year)


def leontief_model(table: MRIOTable, *, progress: bool) -> LeontiefModel:
    """Factorise ``(I - A)`` once, with a spinner for large tables."""
    with render.spinner(
        f"factorising (I - A): {table.n} industries", enabled=progress and table.n >= LARGE_TABLE
    ):
        return LeontiefModel(table)


def parse_regions(table: MRIOTable, spec: str | None) -> list[str]:
    """``R`` or ``R1,R2``: regions of the table (all when ``spec`` is None)."""
    if spec is None:
        return list(table.regions)
    wanted = [r.strip() for r in spec.split(",") if r.strip()]
    unknown = [r for r in wanted if r not in table.regions]
    if unknown or not wanted:
        fail(
            f"unknown region(s) {', '.join(unknown) or repr(spec)}; "
            f"the table has {', '.join(table.regions)}"
        )
    return wanted


def parse_bloc(spec: str) -> tuple[str, tuple[str, ...]]:
    """``EAEU`` / ``EAEU+CHN`` (known blocs), ``NAME=A,B,C`` or ``A,B,C`` -> (name, members)."""
    known = {k.upper(): k for k in BLOCS}
    text = spec.strip()
    if text.upper() in known:
        key = known[text.upper()]
        return key, BLOCS[key]
    name, sep, rest = text.partition("=")
    if sep:
        members = tuple(m.strip() for m in rest.split(",") if m.strip())
        name = name.strip()
    elif "," in text:
        members = tuple(m.strip() for m in text.split(",") if m.strip())
        name = "+".join(members)
    else:
        fail(
            f"unknown bloc {spec!r}: use one of {', '.join(BLOCS)}, a list of regions "
            "'RUS,KAZ,CHN', or 'NAME=RUS,KAZ'"
        )
    if not name or not members:
        fail(f"bloc {spec!r} names no regions; write e.g. 'NAME=RUS,KAZ'")
    return name, tuple(dict.fromkeys(members))
