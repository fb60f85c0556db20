"""MRIOTable: construction, its errors, immutability and the labelled views."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import MRIOTable, TableMetadata
from karavan.errors import KaravanError, LabelError, ParseError, ShapeError, TableError
from karavan.testing import assert_table_allclose

REGIONS = ["R1", "R2"]
SECTORS = ["a", "b"]
CATEGORIES = ["hh", "inventories"]
Z = np.array(
    [
        [10.0, 20.0, 5.0, 0.0],
        [4.0, 8.0, 0.0, 2.0],
        [1.0, 0.0, 30.0, 6.0],
        [0.0, 3.0, 9.0, 12.0],
    ]
)
Y = np.array(
    [
        [60.0, 5.0, 10.0, 0.0],
        [40.0, -2.0, 8.0, 0.0],
        [7.0, 0.0, 90.0, 4.0],
        [2.0, 1.0, 50.0, 3.0],
    ]
)
F = np.array([[1.0, 2.0, 3.0, 4.0], [0.5, 0.0, 0.0, 0.25]])
F_Y = np.array([[10.0, 0.0, 20.0, 0.0], [0.0, 0.0, 1.0, 0.0]])


def make(**overrides: Any) -> MRIOTable:
    kwargs: dict[str, Any] = {
        "regions": REGIONS,
        "sectors": SECTORS,
        "categories": CATEGORIES,
        "Z": Z,
        "Y": Y,
        "F": F,
        "F_Y": F_Y,
        "stressors": ["CO2", "CH4"],
        "stressor_units": ["kt", "t"],
        "meta": TableMetadata(source="unit test", year=2015, currency="EUR"),
    }
    kwargs.update(overrides)
    return MRIOTable.from_arrays(**kwargs)


def error_message(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    return str(excinfo.value)


# ---------------------------------------------------------------------- defaults and views
def test_output_defaults_to_total_uses() -> None:
    t = make()
    np.testing.assert_array_equal(t.x, [110.0, 60.0, 138.0, 80.0])
    np.testing.assert_array_equal(t.x, Z.sum(axis=1) + Y.sum(axis=1))


def test_value_added_defaults_to_output_minus_inputs() -> None:
    t = make()
    assert t.va_components == ("value added",)
    np.testing.assert_array_equal(t.V, [[95.0, 29.0, 94.0, 60.0]])
    np.testing.assert_array_equal(t.value_added, t.x - Z.sum(axis=0))


def test_default_value_added_component_can_be_named() -> None:
    assert make(va_components=["GVA"]).va_components == ("GVA",)


def test_no_stressors_gives_empty_satellite_arrays() -> None:
    t = make(F=None, F_Y=None, stressors=(), stressor_units=())
    assert t.F.shape == (0, 4)
    assert t.F_Y.shape == (0, 4)
    assert t.units == {}


def test_dimensions_and_labels() -> None:
    t = make()
    assert (t.n_regions, t.n_sectors, t.n) == (2, 2, 4)
    assert [t.industry_label(i) for i in range(4)] == ["R1/a", "R1/b", "R2/a", "R2/b"]
    assert [t.final_demand_label(j) for j in range(4)] == [
        "R1/hh",
        "R1/inventories",
        "R2/hh",
        "R2/inventories",
    ]
    assert list(t.industry_index) == [("R1", "a"), ("R1", "b"), ("R2", "a"), ("R2", "b")]
    assert t.industry_index.names == ["region", "sector"]
    assert t.final_demand_index.names == ["region", "category"]
    assert t.units == {"CO2": "kt", "CH4": "t"}


def test_final_use_by_region() -> None:
    t = make()
    np.testing.assert_array_equal(
        t.Y_by_region, [[65.0, 10.0], [38.0, 8.0], [7.0, 94.0], [3.0, 53.0]]
    )
    np.testing.assert_array_equal(t.F_Y_by_region, [[10.0, 20.0], [0.0, 1.0]])


def test_zero_output_mask() -> None:
    Z0 = Z.copy()
    Z0[:, 3] = 0.0
    Z0[3, :] = 0.0
    Y0 = Y.copy()
    Y0[3, :] = 0.0
    np.testing.assert_array_equal(
        make(Z=Z0, Y=Y0, F=None, F_Y=None, stressors=(), stressor_units=()).zero_output,
        [False, False, False, True],
    )


def test_totals_by_region() -> None:
    totals = make().totals()
    assert list(totals.index) == REGIONS
    assert list(totals.columns) == ["output", "value_added", "intermediate_inputs", "final_demand"]
    np.testing.assert_array_equal(
        totals.to_numpy(),
        [[170.0, 124.0, 46.0, 113.0], [218.0, 154.0, 64.0, 165.0]],
    )


def test_repr_names_source_and_size() -> None:
    t = make(meta=TableMetadata(source="WIOD", edition="2013", year=2011))
    assert repr(t) == (
        "MRIOTable(WIOD 2013 2011: 2 regions x 2 sectors, 2 final-demand categories, "
        "2 stressors; USD million)"
    )


# ---------------------------------------------------------------------- construction errors
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"Z": np.ones((4, 3))}, "Z must have shape (4, 4); got (4, 3)"),
        ({"Z": np.ones((3, 3))}, "Z must have shape (4, 4); got (3, 3)"),
        ({"Y": np.ones((4, 2))}, "Y must have shape (4, 4); got (4, 2)"),
        ({"x": np.ones(3)}, "x must have 4 entries (regions x sectors); got 3"),
        (
            {"V": np.ones((2, 4)), "va_components": ["wages"]},
            "V must have shape (1, 4); got (2, 4)",
        ),
        ({"F": np.ones((2, 5))}, "F must have shape (2, 4); got (2, 5)"),
        ({"F_Y": np.ones((1, 4))}, "F_Y must have shape (2, 4); got (1, 4)"),
        ({"stressor_units": ["kt"]}, "each stressor needs a unit: 2 stressors, 1 units"),
    ],
)
def test_wrong_shapes_raise_shape_error(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ShapeError) as excinfo:
        make(**overrides)
    assert error_message(excinfo) == message


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"regions": ["R1", "R1"]}, "region labels must be unique; 'R1' appears more than once"),
        ({"sectors": ["a", "a"]}, "sector labels must be unique; 'a' appears more than once"),
        (
            {"categories": ["hh", "hh"]},
            "final-demand category labels must be unique; 'hh' appears more than once",
        ),
        (
            {"stressors": ["CO2", "CO2"]},
            "stressor labels must be unique; 'CO2' appears more than once",
        ),
        (
            {"V": np.ones((2, 4)), "va_components": ["wages", "wages"]},
            "value-added labels must be unique; 'wages' appears more than once",
        ),
    ],
)
def test_duplicate_labels_raise_label_error(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(LabelError) as excinfo:
        make(**overrides)
    assert error_message(excinfo) == message


def test_errors_are_also_builtin_exceptions() -> None:
    with pytest.raises(ValueError, match=r"^Z must have shape"):
        make(Z=np.ones((2, 2)))
    with pytest.raises(KeyError):  # LabelError is a KeyError too ...
        make(regions=["R1", "R1"])
    assert issubclass(LabelError, TableError)
    assert issubclass(ShapeError, KaravanError)
    assert issubclass(ParseError, ValueError)


# ---------------------------------------------------------------------- immutability
@pytest.mark.parametrize("name", ["Z", "Y", "x", "V", "F", "F_Y"])
def test_arrays_are_read_only(name: str) -> None:
    arr = getattr(make(), name)
    assert not arr.flags.writeable
    index = (0, 0) if arr.ndim == 2 else 0
    with pytest.raises(ValueError, match=r"^assignment destination is read-only$"):
        arr[index] = 1.0


def test_fields_cannot_be_reassigned() -> None:
    t = make()
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.Z = np.zeros((4, 4))  # type: ignore[misc]


def test_from_arrays_copies_its_input() -> None:
    Zc, Yc = Z.copy(), Y.copy()
    t = make(Z=Zc, Y=Yc)
    Zc[0, 0] = 1e6
    Yc[0, 0] = 1e6
    assert t.Z[0, 0] == 10.0
    assert t.Y[0, 0] == 60.0


def test_from_frames_does_not_share_memory_with_its_frames() -> None:
    t = make()
    Z_frame = t.Z_frame.copy()
    Y_frame = t.Y_frame.copy()
    built = MRIOTable.from_frames(Z=Z_frame, Y=Y_frame)
    Z_frame.iloc[0, 0] = 1e6
    Y_frame.iloc[0, 0] = 1e6
    assert built.Z[0, 0] == 10.0
    assert built.Y[0, 0] == 60.0


def test_with_meta_returns_a_new_table() -> None:
    t = make()
    u = t.with_meta(year=2020, rounding=0.5)
    assert (u.meta.year, u.meta.rounding, u.meta.source) == (2020, 0.5, "unit test")
    assert t.meta.year == 2015
    assert u.Z is t.Z


# ---------------------------------------------------------------------- frames
def test_frames_carry_labels() -> None:
    t = make()
    assert t.Z_frame.loc[("R2", "a"), ("R1", "a")] == 1.0
    assert t.Y_frame.loc[("R1", "b"), ("R1", "inventories")] == -2.0
    assert t.V_frame.loc["value added", ("R2", "b")] == 60.0
    assert t.F_frame.loc["CH4", ("R2", "b")] == 0.25
    assert t.F_Y_frame.loc["CO2", ("R2", "hh")] == 20.0
    assert t.x_series.loc[("R1", "b")] == 60.0
    assert t.x_series.name == "output"
    assert t.V_frame.index.name == "component"
    assert t.F_frame.index.name == "stressor"


def test_frames_round_trip() -> None:
    t = make(meta=TableMetadata(source="round trip", rounding=0.5, sector_names={"a": "Agri"}))
    back = MRIOTable.from_frames(
        Z=t.Z_frame,
        Y=t.Y_frame,
        V=t.V_frame,
        F=t.F_frame,
        F_Y=t.F_Y_frame,
        x=t.x_series,
        units=t.units,
        meta=t.meta,
    )
    assert_table_allclose(back, t, rtol=0.0)


def test_metadata_round_trips_through_a_dict() -> None:
    meta = TableMetadata(source="s", edition="e", year=2011, rounding=0.5, sector_names={"a": "A"})
    assert TableMetadata.from_dict(meta.to_dict()) == meta


def test_metadata_rejects_unknown_fields() -> None:
    with pytest.raises(LabelError) as excinfo:
        TableMetadata.from_dict({"source": "s", "colour": "red"})
    assert error_message(excinfo).startswith("unknown table metadata fields ['colour']; known: [")


# ---------------------------------------------------------------------- from_frames errors
def frames() -> dict[str, Any]:
    t = make()
    return {"Z": t.Z_frame, "Y": t.Y_frame, "F": t.F_frame, "F_Y": t.F_Y_frame, "units": t.units}


def reorder_columns(frame: pd.DataFrame, order: list[int]) -> pd.DataFrame:
    return frame.iloc[:, order]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: {"Z": reorder_columns(f["Z"], [1, 0, 2, 3])},
            "Z columns must match Z rows: at position 0 expected ('R1', 'a'), got ('R1', 'b')",
        ),
        (
            lambda f: {"Y": f["Y"].iloc[[0, 1, 3, 2]]},
            "Y rows must match Z rows: at position 2 expected ('R2', 'a'), got ('R2', 'b')",
        ),
        (
            lambda f: {"Y": f["Y"].iloc[:3]},
            "Y rows must match Z rows: expected 4 labels, got 3",
        ),
        (
            lambda f: {"Y": reorder_columns(f["Y"], [1, 0, 2, 3])},
            # categories are read in first-seen order, so the first misfit is in R2
            "Y columns must match region x category: at position 2 expected "
            "('R2', 'inventories'), got ('R2', 'hh')",
        ),
        (
            lambda f: {"Y": reorder_columns(f["Y"], [2, 3, 0, 1])},
            "Y column regions must be the table's regions in order ['R1', 'R2']; got ['R2', 'R1']",
        ),
        (
            lambda f: {"F": reorder_columns(f["F"], [0, 1, 3, 2])},
            "F columns must match Z columns: at position 2 expected ('R2', 'a'), got ('R2', 'b')",
        ),
        (
            lambda f: {"F_Y": f["F_Y"].iloc[[1, 0]]},
            "F_Y rows must match F rows: at position 0 expected 'CO2', got 'CH4'",
        ),
        (
            lambda f: {"units": {"CO2": "kt"}},
            "no unit given for stressors ['CH4']; pass units={name: unit}",
        ),
        (
            lambda f: {"F": None},
            "F_Y was given without F; stressors must be accounted for industries too",
        ),
        (
            lambda f: {"Z": f["Z"].droplevel(0)},
            "Z rows must be a two-level index; got 1 level(s)",
        ),
        (
            lambda f: {"Z": f["Z"].iloc[[0, 1, 2], [0, 1, 2]]},
            "Z rows must match every region x sector pair, region-major: expected 4 labels, got 3",
        ),
        (
            lambda f: {"Z": f["Z"].iloc[[0, 2, 1, 3], [0, 2, 1, 3]]},
            "Z rows must match every region x sector pair, region-major: at position 1 "
            "expected ('R1', 'b'), got ('R2', 'a')",
        ),
    ],
)
def test_from_frames_misaligned_labels(change: Any, message: str) -> None:
    f = frames()
    f.update(change(f))
    with pytest.raises(LabelError) as excinfo:
        MRIOTable.from_frames(**f)
    assert error_message(excinfo) == message


def test_from_frames_checks_v_and_x_labels() -> None:
    t = make()
    with pytest.raises(LabelError) as excinfo:
        MRIOTable.from_frames(Z=t.Z_frame, Y=t.Y_frame, V=reorder_columns(t.V_frame, [3, 2, 1, 0]))
    assert error_message(excinfo) == (
        "V columns must match Z columns: at position 0 expected ('R1', 'a'), got ('R2', 'b')"
    )
    with pytest.raises(LabelError) as excinfo:
        MRIOTable.from_frames(Z=t.Z_frame, Y=t.Y_frame, x=t.x_series.iloc[::-1])
    assert error_message(excinfo) == (
        "x index must match Z rows: at position 0 expected ('R1', 'a'), got ('R2', 'b')"
    )


def test_from_frames_non_numeric_cell_names_row_and_column() -> None:
    t = make()
    Z_frame = t.Z_frame.astype(object)
    Z_frame.iloc[1, 2] = "12,5"
    with pytest.raises(ParseError) as excinfo:
        MRIOTable.from_frames(Z=Z_frame, Y=t.Y_frame)
    assert error_message(excinfo) == (
        "Z holds a non-numeric cell (row ('R1', 'b'), column ('R2', 'a'), value '12,5')"
    )
    assert excinfo.value.row == ("R1", "b")
    assert excinfo.value.column == ("R2", "a")
    assert excinfo.value.value == "12,5"


def test_from_frames_numeric_strings_are_not_accepted_silently() -> None:
    t = make()
    Y_frame = t.Y_frame.astype(object)
    Y_frame.iloc[3, 1] = "n/a"
    with pytest.raises(ParseError) as excinfo:
        MRIOTable.from_frames(Z=t.Z_frame, Y=Y_frame)
    assert error_message(excinfo) == (
        "Y holds a non-numeric cell (row ('R2', 'b'), column ('R1', 'inventories'), value 'n/a')"
    )


def test_from_frames_reads_values_and_units() -> None:
    f = frames()
    t = MRIOTable.from_frames(**f)
    np.testing.assert_array_equal(t.Z, Z)
    np.testing.assert_array_equal(t.F_Y, F_Y)
    assert t.stressors == ("CO2", "CH4")
    assert t.stressor_units == ("kt", "t")
    assert t.categories == ("hh", "inventories")
