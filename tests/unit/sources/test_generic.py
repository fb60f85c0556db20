"""The generic format (docs/generic-format.md): exact round trips through both layouts, the
zero-by-absence rule of the long layout, encodings, decimal commas, the sidecar, and every
error, each naming the file and, where there is one, the row, column and value."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from karavan.core import MRIOTable, TableMetadata
from karavan.errors import ParseError, SourceError
from karavan.sources import generic
from karavan.testing import assert_table_allclose
from tests.conftest import small_table

ARRAYS = ("Z", "Y", "x", "V", "F", "F_Y")
HEADER = "account,row_region,row_sector,col_region,col_sector_or_category,value,unit"

TABLES = {
    "float": small_table(),
    "no-stressors": small_table(integral=True, stressors=0),
    "one-industry": small_table(regions=("A",), sectors=("s",), categories=("c",), stressors=1),
    "cyrillic": small_table(regions=("РФ", "КЗ"), sectors=("с/х", "пром"), categories=("ДХ",)),
}


def assert_exact(back: MRIOTable, table: MRIOTable) -> None:
    assert_table_allclose(back, table, rtol=0.0)
    for name in ARRAYS:
        assert np.array_equal(getattr(back, name), getattr(table, name)), name


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
@pytest.mark.parametrize("name", ["t.csv", "t.parquet"])
def test_long_round_trip_is_exact(tmp_path: Path, table: MRIOTable, name: str) -> None:
    path = tmp_path / name
    generic.write_long(table, path)
    assert generic.sniff_long(path)
    assert not generic.sniff_wide(path)
    assert generic.sidecar_path(path).is_file()
    (back,) = generic.read(path)
    assert_exact(back, table)


@pytest.mark.parametrize("table", TABLES.values(), ids=TABLES.keys())
def test_wide_round_trip_is_exact(tmp_path: Path, table: MRIOTable) -> None:
    path = tmp_path / "t.csv"
    generic.write_wide(table, path)
    assert generic.sniff_wide(path)
    assert not generic.sniff_long(path)
    (back,) = generic.read(path)
    assert_exact(back, table)


def test_sniff_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.csv"
    other.write_text("a,b,c\n1,2,3\n")
    binary = tmp_path / "bin.csv"
    binary.write_bytes(b"\x00\xff\xfe\x98\x98")
    parquet = tmp_path / "p.parquet"
    pq.write_table(pa.table({"v": [1.0]}), parquet)
    for p in (other, binary, parquet, tmp_path, tmp_path / "missing.csv"):
        assert not generic.sniff(p), p


# ---------------------------------------------------------------------- long: content rules
SPARSE = """account,row_region,row_sector,col_region,col_sector_or_category,value,unit
Z,R1,a,R1,b,2,
Z,R2,b,R1,a,1.5,
Y,R1,a,R2,hh,10,
Y,R1,b,R1,hh,7,
Y,R2,a,R2,hh,4,
Y,R2,b,R1,hh,3,
F,,CO2,R1,a,0.5,kt
F_Y,,CO2,R2,hh,0.25,kt
"""


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_absent_entries_are_zero_and_x_v_default(tmp_path: Path) -> None:
    t = generic.read_long(write_text(tmp_path / "s.csv", SPARSE))
    assert (t.regions, t.sectors, t.categories) == (("R1", "R2"), ("a", "b"), ("hh",))
    Z = np.zeros((4, 4))
    Z[0, 1], Z[3, 0] = 2.0, 1.5
    np.testing.assert_array_equal(t.Z, Z)
    np.testing.assert_array_equal(t.Y, [[0, 10], [7, 0], [0, 4], [3, 0]])
    np.testing.assert_array_equal(t.x, [12, 7, 4, 4.5])  # Z 1 + Y 1
    assert t.va_components == ("value added",)
    np.testing.assert_array_equal(t.V[0], t.x - Z.sum(axis=0))
    assert (t.stressors, t.stressor_units) == (("CO2",), ("kt",))
    np.testing.assert_array_equal(t.F, [[0.5, 0, 0, 0]])
    np.testing.assert_array_equal(t.F_Y, [[0, 0.25]])
    # no sidecar: currency and unit are unknown, and the notes say so
    assert (t.meta.currency, t.meta.unit, t.meta.source) == ("", "", "generic file s.csv")
    assert "no metadata sidecar s.csv.meta.json" in t.meta.notes


def test_utf8_bom_is_read(tmp_path: Path) -> None:
    plain = generic.read_long(write_text(tmp_path / "a.csv", SPARSE))
    bom = generic.read_long(write_text(tmp_path / "b.csv", SPARSE, "utf-8-sig"))
    assert_table_allclose(bom, plain.with_meta(source="generic file b.csv", notes=bom.meta.notes))
    assert generic.sniff_long(tmp_path / "b.csv")


def test_cp1251_cyrillic_is_read_and_recorded(tmp_path: Path) -> None:
    text = SPARSE.replace("R1", "Россия").replace("CO2", "выбросы")
    path = write_text(tmp_path / "ru.csv", text, "cp1251")
    assert generic.sniff_long(path)
    t = generic.read_long(path)
    assert t.regions == ("Россия", "R2")
    assert "read as cp1251" in t.meta.notes
    assert "read as cp1251" in generic.provenance(path).notes


def test_bytes_neither_utf8_nor_cyrillic_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes((HEADER + "\nZ,R1,a,R1,a,1,\nZ,Müller,a,R1,a,1,\n").encode("latin-1"))
    with pytest.raises(ParseError, match="not UTF-8") as err:
        generic.read_long(path)
    assert (err.value.path, err.value.row) == (str(path), 3)


def test_decimal_commas_in_semicolon_file(tmp_path: Path) -> None:
    text = SPARSE.replace(",", ";").replace("1.5", "1,5").replace("0.25", "0,25")
    text = text.replace("0.5", "0,5")
    path = write_text(tmp_path / "dc.csv", text)
    t = generic.read_long(path)
    assert t.Z[3, 0] == 1.5
    assert t.F_Y[0, 1] == 0.25
    assert "decimal commas" in t.meta.notes
    assert "decimal commas" in generic.provenance(path).notes


def test_semicolon_file_with_decimal_points_is_read(tmp_path: Path) -> None:
    t = generic.read_long(write_text(tmp_path / "dp.csv", SPARSE.replace(",", ";")))
    assert t.Z[3, 0] == 1.5
    assert "decimal commas" not in t.meta.notes


def test_mixed_decimal_marks_are_refused(tmp_path: Path) -> None:
    text = SPARSE.replace(",", ";").replace("1.5", "1,5")  # 0.5 and 0.25 keep their points
    path = write_text(tmp_path / "mixed.csv", text)
    with pytest.raises(ParseError, match="ambiguous") as err:
        generic.read_long(path)
    assert (err.value.row, err.value.column, err.value.value) == (8, "value", "0.5")


def test_decimal_comma_in_comma_separated_file_is_refused(tmp_path: Path) -> None:
    path = write_text(tmp_path / "q.csv", SPARSE.replace(",1.5,", ',"1,5",'))
    with pytest.raises(ParseError, match="expected a finite number") as err:
        generic.read_long(path)
    assert (err.value.row, err.value.value) == (3, "1,5")


# ---------------------------------------------------------------------- long: errors
def line(*cells: str) -> str:
    return ",".join(cells)


@pytest.mark.parametrize(
    ("bad_row", "message", "column", "value"),
    [
        (line("Q", "R1", "a", "R1", "a", "1", ""), "unknown account", "account", "Q"),
        (line("Z", "R1", "a", "R1", "a", "", ""), "empty cell", "value", None),
        (line("Z", "R1", "a", "R1", "a", "abc", ""), "expected a finite number", "value", "abc"),
        (line("Z", "R1", "a", "R1", "a", "nan", ""), "expected a finite number", "value", "nan"),
        (line("Z", "R1", "a", "R1", "a", "1_0", ""), "expected a finite number", "value", "1_0"),
        (line("Z", "", "a", "R1", "a", "1", ""), "must name a region", "row_region", ""),
        (line("Z", "R1", "", "R1", "a", "1", ""), "must not be empty", "row_sector", ""),
        (line("Z", "R1", "a", "", "a", "1", ""), "must not be empty", "col_region", ""),
        (line("V", "R1", "w", "R1", "a", "1", ""), "must be empty", "row_region", "R1"),
        (line("F", "", "CO2", "R1", "a", "1", ""), "need a unit", "unit", ""),
        (line("Z", "R1", "a", "R1", "a", "1", "kt"), "only F and F_Y", "unit", "kt"),
        (line("x", "R1", "a", "R1", "", "1", ""), "no column labels", "col_region", "R1"),
        (line("F", "", "CO2", "R1", "b", "1", "t"), "two units", "unit", "t"),
        (line("Y", "R1", "a", "R9", "hh", "1", ""), "not a region", "col_region", "R9"),
    ],
)
def test_long_bad_row_names_file_row_column_value(
    tmp_path: Path, bad_row: str, message: str, column: str, value: str | None
) -> None:
    path = write_text(tmp_path / "bad.csv", SPARSE + bad_row + "\n")
    with pytest.raises(ParseError, match=message) as err:
        generic.read_long(path)
    e = err.value
    assert (e.path, e.row, e.column, e.value) == (str(path), 10, column, value)
    assert str(path) in str(e)
    assert "row 10" in str(e)


def test_long_duplicate_entry(tmp_path: Path) -> None:
    path = write_text(tmp_path / "dup.csv", SPARSE + "Z,R1,a,R1,b,3,\n")
    with pytest.raises(ParseError, match=r"duplicate entry \(first on row 2\)") as err:
        generic.read_long(path)
    assert err.value.row == 10


@pytest.mark.parametrize(
    ("text", "message", "row"),
    [
        ("account,row_region,row_sector,value\nZ,R1,a,1\n", "missing columns", 1),
        (HEADER + ",extra\n", "unknown columns", 1),
        (HEADER + "\n", "no data rows", None),
        ("", "missing columns", 1),
        (SPARSE + "Z,R1,a,R1\n", "truncated or ragged", 10),
    ],
)
def test_long_structure_errors(tmp_path: Path, text: str, message: str, row: int | None) -> None:
    path = write_text(tmp_path / "s.csv", text)
    with pytest.raises(ParseError, match=message) as err:
        generic.read_long(path)
    assert (err.value.path, err.value.row) == (str(path), row)


def test_labels_come_from_column_labels_too(tmp_path: Path) -> None:
    # a lone V row names its industry in its columns: one region, one sector, no category
    path = write_text(tmp_path / "v.csv", HEADER + "\nV,,wages,R1,a,1,\n")
    t = generic.read_long(path)
    assert (t.regions, t.sectors, t.categories) == (("R1",), ("a",), ())
    np.testing.assert_array_equal(t.V, [[1.0]])


def test_parquet_null_and_nan_values(tmp_path: Path) -> None:
    cols = {
        "account": ["Z", "Z"],
        "row_region": ["R1", "R1"],
        "row_sector": ["a", "a"],
        "col_region": ["R1", "R1"],
        "col_sector_or_category": ["a", "b"],
    }
    null = tmp_path / "null.parquet"
    pq.write_table(pa.table({**cols, "value": pa.array([1.0, None])}), null)
    with pytest.raises(ParseError, match="empty cell") as err:
        generic.read_long(null)
    assert (err.value.path, err.value.row, err.value.column) == (str(null), 2, "value")
    nan = tmp_path / "nan.parquet"
    pq.write_table(pa.table({**cols, "value": [1.0, float("nan")]}), nan)
    with pytest.raises(ParseError, match="finite") as err:
        generic.read_long(nan)
    assert err.value.row == 2
    text = tmp_path / "text.parquet"
    pq.write_table(pa.table({**cols, "value": ["1.5", "x"]}), text)
    with pytest.raises(ParseError, match="finite") as err:
        generic.read_long(text)
    assert (err.value.row, err.value.value) == (2, "x")


def test_truncated_parquet_names_the_file(tmp_path: Path) -> None:
    good = tmp_path / "t.parquet"
    generic.write_long(small_table(), good)
    cut = tmp_path / "cut.parquet"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ParseError, match="cannot read the Parquet file") as err:
        generic.read_long(cut)
    assert str(cut) in str(err.value)


# ---------------------------------------------------------------------- wide
WIDE = """region,sector,R1,R1,R2,R2,R1,R2
,,a,b,a,b,hh,hh
R1,a,1,2,0,0,10,0
R1,b,0,1,1,0,5,1
R2,a,0,0,2,1,0,9
R2,b,1,0,0,1,2,3
VA,wages,11,5,9,5,,
F,CO2 [kt],0.5,0,1,0,0.25,0
x,output,13,8,12,7,,
"""


def test_wide_reads_labels_and_blocks(tmp_path: Path) -> None:
    t = generic.read_wide(write_text(tmp_path / "w.csv", WIDE))
    assert (t.regions, t.sectors, t.categories) == (("R1", "R2"), ("a", "b"), ("hh",))
    np.testing.assert_array_equal(t.Z, [[1, 2, 0, 0], [0, 1, 1, 0], [0, 0, 2, 1], [1, 0, 0, 1]])
    np.testing.assert_array_equal(t.Y, [[10, 0], [5, 1], [0, 9], [2, 3]])
    np.testing.assert_array_equal(t.x, [13, 8, 12, 7])
    assert t.va_components == ("wages",)
    np.testing.assert_array_equal(t.V, [[11, 5, 9, 5]])
    assert (t.stressors, t.stressor_units) == (("CO2",), ("kt",))
    np.testing.assert_array_equal(t.F_Y, [[0.25, 0]])
    assert t.validate().passed


def test_wide_decimal_commas(tmp_path: Path) -> None:
    text = WIDE.replace(",", ";").replace("0.5", "0,5").replace("0.25", "0,25")
    t = generic.read_wide(write_text(tmp_path / "w.csv", text))
    assert t.F[0, 0] == 0.5
    assert "decimal commas" in t.meta.notes


def edit(row: int, col: int, value: str) -> str:
    rows = [r.split(",") for r in WIDE.splitlines()]
    rows[row - 1][col - 1] = value
    return "\n".join(",".join(r) for r in rows) + "\n"


@pytest.mark.parametrize(
    ("text", "message", "row", "column", "value"),
    [
        (edit(4, 5, ""), "empty cell", 4, "5 (R2/a)", None),
        (edit(4, 5, "n/a"), "expected a finite number", 4, "5 (R2/a)", "n/a"),
        (edit(7, 8, "3"), "no final-demand part", 7, "8 (R2/hh)", "3"),
        (edit(9, 7, "3"), "no final-demand part", 9, "7 (R1/hh)", "3"),
        (edit(8, 2, "CO2"), "NAME \\[UNIT\\]", 8, 2, "CO2"),
        (edit(1, 1, "reg"), "must begin 'region, sector'", 1, None, ["reg", "sector", "", ""]),
        (edit(4, 1, "R2"), "region-major", 4, None, "R2/b"),
        (edit(1, 4, "R2"), "repeat the industry rows", 1, 4, "R2/b"),
        (edit(2, 8, "gov"), "every region x category", 1, 7, None),
        (edit(1, 8, ""), "empty column label", 1, 8, None),
        (edit(5, 2, ""), "empty row label", 5, 1, None),
        (WIDE + "x,output,1,1,1,1,,\n", "more than one x row", 10, None, None),
        (WIDE.rsplit("\n", 3)[0][:-4] + "\n", "truncated or ragged", 7, None, None),
        ("region,sector,R1\n,,a\n", "two header rows and data rows", None, None, None),
    ],
)
def test_wide_errors_name_file_row_column_value(
    tmp_path: Path, text: str, message: str, row: int, column: object, value: object
) -> None:
    path = write_text(tmp_path / "w.csv", text)
    with pytest.raises(ParseError, match=message) as err:
        generic.read_wide(path)
    e = err.value
    assert (e.path, e.row, e.column, e.value) == (str(path), row, column, value)


# ---------------------------------------------------------------------- sidecar
def test_sidecar_metadata_is_read(tmp_path: Path) -> None:
    path = write_text(tmp_path / "s.csv", SPARSE)
    meta = {
        "source": "Rosstat",
        "year": 2016,
        "currency": "RUB",
        "unit": "million",
        "licence": "open",
        "citation": "Rosstat (2021)",
        "rounding": 0.5,
        "url": "https://rosstat.gov.ru",
    }
    generic.sidecar_path(path).write_text(json.dumps(meta))
    t = generic.read_long(path)
    assert t.meta == TableMetadata(
        source="Rosstat",
        year=2016,
        currency="RUB",
        unit="million",
        licence="open",
        citation="Rosstat (2021)",
        rounding=0.5,
    )
    prov = generic.provenance(path)
    assert (prov.source, prov.licence, prov.citation, prov.url) == (
        "Rosstat",
        "open",
        "Rosstat (2021)",
        "https://rosstat.gov.ru",
    )
    assert [f["name"] for f in prov.raw_files] == ["s.csv", "s.csv.meta.json"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must hold a JSON object"),
        ('{"sorce": "x"}', "unknown metadata fields"),
        ('{"year": "2016"}', "wrong type"),
        ('{"year": true}', "wrong type"),
        ('{"rounding": "half"}', "wrong type"),
    ],
)
def test_bad_sidecar_names_the_sidecar(tmp_path: Path, content: str, message: str) -> None:
    path = write_text(tmp_path / "s.csv", SPARSE)
    side = generic.sidecar_path(path)
    side.write_text(content)
    with pytest.raises(ParseError, match=message) as err:
        generic.read_long(path)
    assert err.value.path == str(side)
    assert isinstance(err.value, SourceError)
