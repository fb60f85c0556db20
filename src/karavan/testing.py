"""Assertions for tests of code that produces tables and labelled results.

:func:`assert_table_allclose` compares two :class:`~karavan.core.table.MRIOTable` objects and
:func:`assert_frame_allclose` two labelled frames (or series). Labels and metadata must be equal
exactly; values must agree within ``|actual - expected| <= atol + rtol * |expected|`` (the rule of
:func:`numpy.isclose`), with NaN equal to NaN and infinities equal only to themselves.

On a mismatch they raise :class:`AssertionError` with a readable diff, in the manner of
``xarray.testing``: which array or label set differs, how many entries are out of tolerance, and
the worst few with their row and column labels, the actual and expected value and the absolute
and relative difference::

    Z: 1 of 4 entries differ beyond rtol=1e-09, atol=0
      row   column  actual  expected  abs diff  rel diff
      R1/a  R1/b    2.5     2         0.5       0.25
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from karavan.core.table import MRIOTable

__all__ = ["assert_frame_allclose", "assert_table_allclose"]

_WORST = 5  # mismatching entries shown per array


def assert_frame_allclose(
    actual: pd.DataFrame | pd.Series[Any],
    expected: pd.DataFrame | pd.Series[Any],
    rtol: float = 1e-9,
    atol: float = 0.0,
    *,
    name: str = "frame",
    check_names: bool = True,
) -> None:
    """Assert that two labelled frames (or series) have equal labels and close values.

    Row and column labels must be equal in value and order (and, with ``check_names``, the
    index names too); values must satisfy ``|actual - expected| <= atol + rtol * |expected|``.
    ``name`` is how the frame is called in the message.
    """
    message = _frame_diff(actual, expected, rtol, atol, name, check_names)
    if message:
        raise AssertionError(message)


def assert_table_allclose(
    actual: MRIOTable,
    expected: MRIOTable,
    *,
    rtol: float = 1e-9,
    atol: float = 0.0,
) -> None:
    """Assert that two tables have the same labels, units and metadata, and close arrays.

    Every part is compared and every difference reported in one message: labels and metadata
    first, then ``Z``, ``Y``, ``x``, ``V``, ``F`` and ``F_Y`` with the worst entries of each.
    """
    for what, obj in (("actual", actual), ("expected", expected)):
        if not isinstance(obj, MRIOTable):
            raise AssertionError(f"{what} must be an MRIOTable; got {type(obj).__name__}")
    problems: list[str] = []
    structural = ("regions", "sectors", "categories", "va_components", "stressors")
    for attr in (*structural, "stressor_units"):
        diff = _sequence_diff(getattr(actual, attr), getattr(expected, attr))
        if diff:
            problems.append(f"labels: {attr} differ: {diff}")
    # Arrays are compared only when their labels agree (otherwise the labels are the news).
    comparable = all(getattr(actual, a) == getattr(expected, a) for a in structural)
    a_meta, e_meta = actual.meta.to_dict(), expected.meta.to_dict()
    for key in e_meta:
        if a_meta[key] != e_meta[key]:
            problems.append(
                f"metadata: {key} differs: actual {a_meta[key]!r}, expected {e_meta[key]!r}"
            )
    if comparable:
        parts: list[tuple[str, pd.DataFrame, pd.DataFrame]] = [
            ("Z", actual.Z_frame, expected.Z_frame),
            ("Y", actual.Y_frame, expected.Y_frame),
            ("x", actual.x_series.to_frame(), expected.x_series.to_frame()),
            ("V", actual.V_frame, expected.V_frame),
            ("F", actual.F_frame, expected.F_frame),
            ("F_Y", actual.F_Y_frame, expected.F_Y_frame),
        ]
        for name, a, e in parts:
            message = _frame_diff(a, e, rtol, atol, name, True)
            if message:
                problems.append(message)
    if problems:
        raise AssertionError(f"tables differ ({len(problems)} problem(s)):\n" + "\n".join(problems))


# ---------------------------------------------------------------------- internals
def _label(value: Hashable) -> str:
    if isinstance(value, tuple):
        return "/".join(str(v) for v in value)
    return str(value)


def _sequence_diff(actual: Sequence[Any], expected: Sequence[Any]) -> str:
    """Empty when equal; otherwise where the two sequences first differ."""
    a, e = list(actual), list(expected)
    if a == e:
        return ""
    if len(a) != len(e):
        in_a, in_e = set(a), set(e)
        missing = [v for v in e if v not in in_a]
        extra = [v for v in a if v not in in_e]
        detail = f"actual has {len(a)}, expected {len(e)}"
        if missing:
            detail += f"; missing {[_label(v) for v in missing[:_WORST]]}"
        if extra:
            detail += f"; unexpected {[_label(v) for v in extra[:_WORST]]}"
        return detail
    pos = next(i for i, (x, y) in enumerate(zip(a, e, strict=True)) if x != y)
    return f"at position {pos} actual {_label(a[pos])!r}, expected {_label(e[pos])!r}"


def _as_frame(obj: object, what: str, name: str) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    if isinstance(obj, pd.Series):
        return obj.to_frame()
    raise AssertionError(f"{name}: {what} must be a DataFrame or Series; got {type(obj).__name__}")


def _frame_diff(
    actual: object,
    expected: object,
    rtol: float,
    atol: float,
    name: str,
    check_names: bool,
) -> str:
    """Empty string when the frames agree; otherwise the readable diff."""
    a = _as_frame(actual, "actual", name)
    e = _as_frame(expected, "expected", name)
    problems: list[str] = []
    for axis, la, le in (("row", a.index, e.index), ("column", a.columns, e.columns)):
        diff = _sequence_diff(list(la), list(le))
        if diff:
            problems.append(f"{name}: {axis} labels differ: {diff}")
        elif check_names and list(la.names) != list(le.names):
            problems.append(
                f"{name}: {axis} index names differ: actual {list(la.names)}, "
                f"expected {list(le.names)}"
            )
    if problems:
        return "\n".join(problems)
    return _value_diff(a, e, rtol, atol, name)


def _numeric_values(frame: pd.DataFrame, what: str, name: str) -> np.ndarray[Any, Any]:
    try:
        return np.asarray(frame.to_numpy(dtype=np.float64))
    except (TypeError, ValueError):
        raise AssertionError(f"{name}: {what} holds non-numeric values") from None


def _value_diff(a: pd.DataFrame, e: pd.DataFrame, rtol: float, atol: float, name: str) -> str:
    av = _numeric_values(a, "actual", name)
    ev = _numeric_values(e, "expected", name)
    with np.errstate(invalid="ignore", over="ignore"):
        absdiff = np.abs(av - ev)
        tol = atol + rtol * np.abs(ev)
        infinite = np.isinf(av) | np.isinf(ev)  # an infinity matches only itself
        close = np.where(infinite, av == ev, absdiff <= tol) | (np.isnan(av) & np.isnan(ev))
    rows, cols = np.nonzero(~close)
    if rows.size == 0:
        return ""
    d = absdiff[rows, cols]  # NaN where one side is NaN, inf where one side is infinite
    with np.errstate(divide="ignore", invalid="ignore"):
        score = d / tol[rows, cols]  # how many tolerances off: the ranking of "worst"
        rel = d / np.abs(ev[rows, cols])
    score = np.where(np.isnan(score), np.inf, score)
    order = np.lexsort((-np.where(np.isnan(d), np.inf, d), -score))[:_WORST]
    table = [("row", "column", "actual", "expected", "abs diff", "rel diff")]
    for k in order:
        r, c = int(rows[k]), int(cols[k])
        table.append(
            (
                _label(a.index[r]),
                _label(a.columns[c]),
                f"{av[r, c]:.10g}",
                f"{ev[r, c]:.10g}",
                f"{d[k]:.3g}",
                f"{rel[k]:.3g}",
            )
        )
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [
        ("  " + "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True))).rstrip()
        for line in table
    ]
    shown = f"; worst {len(order)} shown" if rows.size > len(order) else ""
    header = (
        f"{name}: {rows.size} of {av.size} entries differ beyond rtol={rtol:g}, atol={atol:g}"
        f"{shown}"
    )
    return "\n".join([header, *lines])
