"""The native format round-trips every table exactly, bit for bit."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from karavan.core import MRIOTable
from karavan.errors import IntegrityError, ParseError
from karavan.sources.native import read_table, write_table
from tests.conftest import small_table

ARRAYS = ("Z", "Y", "x", "V", "F", "F_Y")


@pytest.mark.parametrize(
    "table",
    [
        small_table(),
        small_table(integral=True, stressors=0),
        small_table(regions=("A",), sectors=("s",), categories=("c",), stressors=1),
    ],
    ids=["float", "no-stressors", "one-industry"],
)
def test_round_trip_is_exact(tmp_path: Path, table: MRIOTable) -> None:
    write_table(table, tmp_path / "t")
    back = read_table(tmp_path / "t", verify=True)
    for name in ARRAYS:
        a, b = getattr(table, name), getattr(back, name)
        assert a.shape == b.shape
        assert np.array_equal(a, b), name  # exact, not approximately
    assert back.regions == table.regions
    assert back.sectors == table.sectors
    assert back.categories == table.categories
    assert back.stressors == table.stressors
    assert back.stressor_units == table.stressor_units
    assert back.va_components == table.va_components
    assert back.meta == table.meta


def test_integral_arrays_are_stored_as_integers(tmp_path: Path) -> None:
    t = small_table(integral=True)
    desc = write_table(t, tmp_path / "t")
    assert desc["arrays"]["Y"]["storage"] == "int64"
    assert desc["arrays"]["Z"]["storage"] == "float64"


def test_damaged_file_is_detected(tmp_path: Path) -> None:
    write_table(small_table(), tmp_path / "t")
    z = tmp_path / "t" / "Z.parquet"
    data = bytearray(z.read_bytes())
    data[len(data) // 2] ^= 0xFF
    z.write_bytes(bytes(data))
    with pytest.raises(IntegrityError, match=r"Z\.parquet: checksum differs"):
        read_table(tmp_path / "t", verify=True)


def test_truncated_array_names_the_file(tmp_path: Path) -> None:
    write_table(small_table(), tmp_path / "t")
    y = tmp_path / "t" / "Y.parquet"
    y.write_bytes(y.read_bytes()[:40])
    with pytest.raises(ParseError, match=r"cannot read array Y.*Y\.parquet"):
        read_table(tmp_path / "t")


def test_wrong_format_version_is_refused(tmp_path: Path) -> None:
    write_table(small_table(), tmp_path / "t")
    desc_path = tmp_path / "t" / "table.json"
    desc = json.loads(desc_path.read_text())
    desc["format_version"] = 99
    desc_path.write_text(json.dumps(desc))
    with pytest.raises(ParseError, match=r"unsupported format version.*value 99"):
        read_table(tmp_path / "t")
