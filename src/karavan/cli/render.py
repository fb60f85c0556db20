"""Output of the command line: readable rich tables, JSON for scripts, progress, error lines.

Readable output goes to standard output through :func:`console`; JSON is written plain (no rich
markup, no wrapping) by :func:`print_json`; progress and errors go to standard error. Progress is
shown only on a terminal and never alongside ``--json``.
"""

from __future__ import annotations

import json
import math
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn
from rich.table import Table
from rich.text import Text

__all__ = [
    "SECTION",
    "Col",
    "console",
    "error_line",
    "fmt_amount",
    "fmt_bytes",
    "fmt_ratio",
    "fmt_share",
    "jsonable",
    "print_json",
    "records",
    "spinner",
    "table",
    "track",
]

T = TypeVar("T")


# ---------------------------------------------------------------------- consoles
PIPE_WIDTH = 120
"""Width of readable output written to a file or pipe (a terminal uses its own width)."""


def console() -> Console:
    """Standard output, looked up at call time (so test runners that swap it are honoured)."""
    out = sys.stdout
    width = None if out.isatty() or "COLUMNS" in os.environ else PIPE_WIDTH
    return Console(file=out, highlight=False, soft_wrap=False, width=width)


def _err_console() -> Console:
    return Console(file=sys.stderr, highlight=False)


def error_line(message: str) -> None:
    """``error: <message>`` as exactly one line on standard error."""
    one = " ".join(str(message).split())
    typer.echo(f"error: {one}", err=True)


# ---------------------------------------------------------------------- numbers
def fmt_amount(v: float) -> str:
    """Money and other flows: thousands separators, decimals only where they carry meaning."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a >= 100:
        return f"{v:,.0f}"
    if a >= 1:
        return f"{v:,.2f}"
    if a == 0:
        return "0"
    return f"{v:.3g}"


def fmt_share(v: float) -> str:
    """A fraction as a percentage."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    p = 100.0 * v
    if p != 0 and abs(p) < 0.1:
        return f"{p:.2g}%"
    return f"{p:.1f}%"


def fmt_ratio(v: float) -> str:
    """Multipliers and coefficients: three decimals from 1 up, four significant digits below."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "-"
    a = abs(v)
    if a == 0:
        return "0"
    if 1 <= a < 1e6:
        return f"{v:,.3f}"
    if 0.001 <= a < 1:
        return f"{v:#.4g}"  # "#" keeps trailing zeros: 0.99999 -> "1.000", like 1.00001
    return f"{v:.3e}"


def fmt_bytes(n: int) -> str:
    size = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} B"  # pragma: no cover


# ---------------------------------------------------------------------- JSON
def jsonable(obj: Any) -> Any:
    """Plain JSON values: numpy scalars unwrapped, NaN and infinity as null, frames as records."""
    if isinstance(obj, pd.DataFrame):
        return records(obj)
    if isinstance(obj, pd.Series):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, Mapping):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return [jsonable(v) for v in obj.tolist()]
    if isinstance(obj, np.bool_ | bool):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, Path):
        return str(obj)
    return obj


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts, index levels first (named by the index names)."""
    flat = frame.reset_index() if _has_named_index(frame) else frame
    return [{str(k): jsonable(v) for k, v in row.items()} for row in flat.to_dict(orient="records")]


def _has_named_index(frame: pd.DataFrame) -> bool:
    return any(name is not None for name in frame.index.names)


def print_json(obj: Any) -> None:
    """Write ``obj`` as JSON on standard output (strict: no NaN)."""
    text = json.dumps(jsonable(obj), indent=2, ensure_ascii=False, allow_nan=False)
    typer.echo(text)


# ---------------------------------------------------------------------- tables
SECTION: Any = object()
"""A row of :func:`table` that draws a line between groups of rows."""


@dataclass(frozen=True)
class Col:
    """A column of a readable table: header, how to format a cell, alignment."""

    header: str
    fmt: Callable[[Any], str] = str
    numeric: bool = False


def table(
    title: str | None,
    columns: Sequence[Col],
    rows: Iterable[Sequence[Any]],
    *,
    caption: str | None = None,
) -> Table:
    """A rich table whose cells are plain text (labels are never read as markup).

    Numbers never wrap (their column is at least as wide as the widest number); labels keep a
    readable minimum width; headers wrap when the terminal is narrow.
    """
    cells: list[list[str] | None] = []
    for row in rows:
        if row is SECTION:
            cells.append(None)
        else:
            cells.append([c.fmt(v) for c, v in zip(columns, row, strict=True)])
    t = Table(
        title=Text(title, style="bold") if title else None,
        caption=caption,
        title_justify="left",
        caption_justify="left",
        header_style="bold",
    )
    for j, c in enumerate(columns):
        widest = max((len(r[j]) for r in cells if r is not None), default=0)
        t.add_column(
            c.header,
            justify="right" if c.numeric else "left",
            min_width=widest if c.numeric else min(max(widest, 3), 16),
            overflow="fold",
        )
    for r in cells:
        if r is None:
            t.add_section()
        else:
            t.add_row(*(Text(v) for v in r))
    return t


# ---------------------------------------------------------------------- progress
def _progress_enabled(enabled: bool) -> bool:
    return enabled and sys.stderr.isatty()


@contextmanager
def spinner(description: str, *, enabled: bool) -> Iterator[None]:
    """A transient spinner on standard error while a step runs (terminals only)."""
    if not _progress_enabled(enabled):
        yield
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        console=_err_console(),
        transient=True,
    ) as progress:
        progress.add_task(description, total=None)
        yield


def track(
    items: Sequence[T],
    description: str,
    *,
    enabled: bool,
    label: Callable[[T], str] | None = None,
) -> Iterator[T]:
    """Iterate ``items`` with a transient progress bar on standard error (terminals only)."""
    if not _progress_enabled(enabled) or not items:
        yield from items
        return
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=_err_console(),
        transient=True,
    ) as progress:
        task = progress.add_task(description, total=len(items))
        for item in items:
            if label is not None:
                progress.update(task, description=f"{description} {label(item)}")
            yield item
            progress.advance(task)
