"""karavan.testing: what passes, what fails, and what the failure says."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import MRIOTable, TableMetadata
from karavan.testing import assert_frame_allclose, assert_table_allclose


def table(**overrides: Any) -> MRIOTable:
    kwargs: dict[str, Any] = {
        "regions": ["R1", "R2"],
        "sectors": ["a", "b"],
        "categories": ["hh"],
        "Z": np.arange(1.0, 17.0).reshape(4, 4),
        "Y": np.full((4, 2), 100.0),
        "F": np.array([[1.0, 2.0, 3.0, 4.0]]),
        "F_Y": np.array([[5.0, 6.0]]),
        "stressors": ["CO2"],
        "stressor_units": ["kt"],
    }
    kwargs.update(overrides)
    t = MRIOTable.from_arrays(**kwargs)
    return t


def frame(values: Any) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["R1"], ["a", "b"]], names=["region", "sector"])
    return pd.DataFrame(np.asarray(values, dtype=float), index=idx, columns=idx)


def failure(call: Any) -> str:
    with pytest.raises(AssertionError) as excinfo:
        call()
    return str(excinfo.value)


# ---------------------------------------------------------------------- frames
def test_equal_frames_pass() -> None:
    assert_frame_allclose(frame([[1.0, 2.0], [3.0, 4.0]]), frame([[1.0, 2.0], [3.0, 4.0]]))


def test_tolerances_follow_numpy_isclose() -> None:
    a, e = frame([[1.0 + 1e-10, 0.0], [0.0, 0.0]]), frame([[1.0, 0.0], [0.0, 0.0]])
    assert_frame_allclose(a, e, rtol=1e-9)
    failure(lambda: assert_frame_allclose(a, e, rtol=1e-11))
    b = frame([[1.0, 1e-12], [0.0, 0.0]])
    failure(lambda: assert_frame_allclose(b, e, rtol=1e-9))  # zeros need an atol
    assert_frame_allclose(b, e, rtol=1e-9, atol=1e-12)


def test_nan_matches_nan_and_infinities_match_themselves() -> None:
    a = frame([[np.nan, np.inf], [-np.inf, 1.0]])
    assert_frame_allclose(a, a.copy())
    text = failure(lambda: assert_frame_allclose(a, frame([[0.0, np.inf], [np.inf, 1.0]])))
    assert text.splitlines()[0] == "frame: 2 of 4 entries differ beyond rtol=1e-09, atol=0"


def test_value_diff_message() -> None:
    a = frame([[1.0, 2.5], [3.0, 4.0004]])
    e = frame([[1.0, 2.0], [3.0, 4.0]])
    assert failure(lambda: assert_frame_allclose(a, e, rtol=1e-6, name="L")) == (
        "L: 2 of 4 entries differ beyond rtol=1e-06, atol=0\n"
        "  row   column  actual  expected  abs diff  rel diff\n"
        "  R1/a  R1/b    2.5     2         0.5       0.25\n"
        "  R1/b  R1/b    4.0004  4         0.0004    0.0001"
    )


def test_worst_entries_come_first_and_are_capped() -> None:
    e = np.ones((4, 4))
    a = e + np.arange(16.0).reshape(4, 4)  # every entry but the first is off
    idx = pd.Index(list("pqrs"), name="i")
    text = failure(
        lambda: assert_frame_allclose(
            pd.DataFrame(a, index=idx, columns=idx), pd.DataFrame(e, index=idx, columns=idx)
        )
    )
    lines = text.splitlines()
    assert lines[0] == "frame: 15 of 16 entries differ beyond rtol=1e-09, atol=0; worst 5 shown"
    assert len(lines) == 2 + 5
    assert lines[2].split()[:5] == ["s", "s", "16", "1", "15"]
    assert lines[3].split()[:2] == ["s", "r"]


def test_zero_expected_gives_infinite_relative_difference() -> None:
    text = failure(
        lambda: assert_frame_allclose(frame([[1.0, 0], [0, 0]]), frame(np.zeros((2, 2))))
    )
    assert text.splitlines()[2].split() == ["R1/a", "R1/a", "1", "0", "1", "inf"]


def test_label_differences_are_named() -> None:
    e = frame(np.eye(2))
    a = e.rename(index={"b": "c"}, level="sector")
    assert failure(lambda: assert_frame_allclose(a, e, name="A")) == (
        "A: row labels differ: at position 1 actual 'R1/c', expected 'R1/b'"
    )
    short = e.iloc[:, :1]
    assert failure(lambda: assert_frame_allclose(short, e)) == (
        "frame: column labels differ: actual has 1, expected 2; missing ['R1/b']"
    )


def test_index_names_are_compared_unless_told_not_to() -> None:
    e = frame(np.eye(2))
    a = e.rename_axis(index=["reg", "sec"])
    assert failure(lambda: assert_frame_allclose(a, e)) == (
        "frame: row index names differ: actual ['reg', 'sec'], expected ['region', 'sector']"
    )
    assert_frame_allclose(a, e, check_names=False)


def test_series_are_compared_as_one_column_frames() -> None:
    s = pd.Series([1.0, 2.0], index=pd.Index(["a", "b"], name="k"), name="v")
    assert_frame_allclose(s, s.copy())
    text = failure(lambda: assert_frame_allclose(s * 2, s))
    assert text.splitlines()[0] == "frame: 2 of 2 entries differ beyond rtol=1e-09, atol=0"


def test_non_frames_are_refused() -> None:
    assert failure(lambda: assert_frame_allclose(np.eye(2), frame(np.eye(2)))) == (
        "frame: actual must be a DataFrame or Series; got ndarray"
    )


# ---------------------------------------------------------------------- tables
def test_equal_tables_pass() -> None:
    assert_table_allclose(table(), table())


def test_table_array_differences() -> None:
    Z = np.arange(1.0, 17.0).reshape(4, 4)
    Z[0, 1] += 1e-3
    t = table()
    other = table(Z=Z, x=t.x, V=t.V, va_components=t.va_components)
    assert failure(lambda: assert_table_allclose(other, t)) == (
        "tables differ (1 problem(s)):\n"
        "Z: 1 of 16 entries differ beyond rtol=1e-09, atol=0\n"
        "  row   column  actual  expected  abs diff  rel diff\n"
        "  R1/a  R1/b    2.001   2         0.001     0.0005"
    )
    assert_table_allclose(other, t, rtol=1e-3)


def test_table_reports_every_differing_array() -> None:
    t = table()
    other = table(F_Y=np.array([[5.0, 7.0]]), x=t.x * 2)
    text = failure(lambda: assert_table_allclose(other, t))
    assert text.splitlines()[0] == "tables differ (3 problem(s)):"
    headers = [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")]
    assert headers[1:] == ["x", "V", "F_Y"]


def test_table_label_and_metadata_differences() -> None:
    t = table()
    renamed = table(sectors=["a", "c"], stressor_units=["t"])
    assert failure(lambda: assert_table_allclose(renamed, t)) == (
        "tables differ (2 problem(s)):\n"
        "labels: sectors differ: at position 1 actual 'c', expected 'b'\n"
        "labels: stressor_units differ: at position 0 actual 't', expected 'kt'"
    )
    dated = t.with_meta(year=2011)
    assert failure(lambda: assert_table_allclose(dated, t)) == (
        "tables differ (1 problem(s)):\nmetadata: year differs: actual 2011, expected None"
    )


def test_table_with_other_stressors() -> None:
    t = table()
    fewer = table(F=None, F_Y=None, stressors=(), stressor_units=())
    text = failure(lambda: assert_table_allclose(fewer, t))
    assert text.splitlines()[1:] == [
        "labels: stressors differ: actual has 0, expected 1; missing ['CO2']",
        "labels: stressor_units differ: actual has 0, expected 1; missing ['kt']",
    ]


def test_table_arguments_must_be_tables() -> None:
    assert failure(lambda: assert_table_allclose(table(), "table")) == (  # type: ignore[arg-type]
        "expected must be an MRIOTable; got str"
    )


def test_metadata_is_compared_field_by_field() -> None:
    t = table(meta=TableMetadata(source="a", sector_names={"a": "A"}))
    u = t.with_meta(sector_names={"a": "B"})
    assert failure(lambda: assert_table_allclose(u, t)) == (
        "tables differ (1 problem(s)):\n"
        "metadata: sector_names differs: actual {'a': 'B'}, expected {'a': 'A'}"
    )
