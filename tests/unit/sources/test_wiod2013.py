"""The WIOD 2013 readers on small files the tests write in the release's two layouts:
an R data list ``wiot_YYYY`` (written with ``rdata``) and the published spreadsheet (written
with openpyxl), 3 countries + RoW x 2 sectors. Bad input must raise a typed error naming the
file, the row and column labels and the value."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pytest
import rdata

from karavan.errors import (
    NegativeValueError,
    NonFiniteError,
    NotProductiveError,
    ParseError,
)
from karavan.sources import wiod2013
from karavan.sources.formats import detect_format, read_path
from karavan.sources.wiod2013_labels import CATEGORIES, CITATION, VA_ROWS, sectors

REGIONS = ("AAA", "BBB", "CCC", "RoW")
CODES = ("c1", "c2")
LABELS = ("AHF", "MIN")  # the short codes of c1, c2
N, NF = len(REGIONS) * len(CODES), len(REGIONS) * len(CATEGORIES)


# ---------------------------------------------------------------------- R data fixture
def wiot_arrays(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Integer Z, Y, x with x >= total uses (like WIOD's truncated entries)."""
    rng = np.random.default_rng(seed)
    Z = rng.integers(0, 40, (N, N)).astype(np.int32)
    Y = rng.integers(0, 60, (N, NF)).astype(np.int32)
    Y[:, 4::5] = rng.integers(-5, 5, (N, len(REGIONS)))  # changes in inventories: signed
    x = (Z.sum(axis=1) + Y.sum(axis=1) + rng.integers(0, 3, N)).astype(np.int32)
    return Z, Y, x


def write_rdata(
    path: Path,
    *,
    year: int = 2011,
    name: str | None = None,
    compression: str = "bzip2",
    **fields: Any,
) -> Path:
    Z, Y, x = wiot_arrays()
    obj: dict[str, Any] = {
        "year": np.array([year], dtype=np.int32),
        "countries": np.array(REGIONS),
        "industries": np.array(CODES),
        "inter": Z,
        "final": Y,
        "output": x,
    }
    obj.update(fields)
    obj = {k: v for k, v in obj.items() if v is not None}
    rdata.write_rda(path, {name or f"wiot_{year}": obj}, compression=compression)
    return path


@pytest.fixture
def rda(tmp_path: Path) -> Path:
    return write_rdata(tmp_path / "wiot_2011.RData")


def test_rdata_reads_labels_arrays_and_metadata(rda: Path) -> None:
    t = wiod2013.read_rdata(rda)
    Z, Y, x = wiot_arrays()
    assert t.regions == REGIONS
    assert t.sectors == LABELS
    assert t.categories == CATEGORIES
    np.testing.assert_array_equal(t.Z, Z)
    np.testing.assert_array_equal(t.Y, Y)
    np.testing.assert_array_equal(t.x, x)
    assert t.va_components == ("value added",)
    np.testing.assert_array_equal(t.V[0], x - Z.sum(axis=0))
    m = t.meta
    assert (m.source, m.edition, m.year, m.currency, m.unit) == (
        "WIOD",
        "2013 release",
        2011,
        "USD",
        "million",
    )
    assert (m.price_basis, m.rounding, m.licence) == ("basic prices (current)", 1.0, "CC BY 4.0")
    assert m.citation == CITATION
    assert dict(m.sector_names) == {
        "AHF": "Agriculture, hunting, forestry and fishing",
        "MIN": "Mining and quarrying",
    }
    assert "taxes less subsidies on products" in m.notes
    assert "international transport margins" in m.notes
    assert t.validate().passed


@pytest.mark.parametrize("compression", ["gzip", "bzip2", "xz", None])
def test_sniff_rdata_by_name_and_by_content(tmp_path: Path, compression: str | None) -> None:
    named = write_rdata(tmp_path / "wiot_2011.RData", compression=compression)
    renamed = write_rdata(tmp_path / "table.rda", compression=compression)
    assert wiod2013.sniff_rdata(named)
    assert wiod2013.sniff_rdata(renamed)  # the peek finds the object wiot_2011
    other = tmp_path / "other.rda"
    rdata.write_rda(other, {"leather": np.arange(3)}, compression=compression)
    assert not wiod2013.sniff_rdata(other)
    assert not wiod2013.sniff_xlsx(named)


def test_sniff_rdata_rejects_other_files(tmp_path: Path) -> None:
    text = tmp_path / "wiot_2011.RData"
    text.write_text("not R data")
    assert not wiod2013.sniff_rdata(text)
    assert not wiod2013.sniff_rdata(tmp_path)
    assert not wiod2013.sniff_rdata(tmp_path / "missing.RData")


def test_read_path_detects_validates_and_records_provenance(rda: Path) -> None:
    assert detect_format(rda).name == "wiod2013-rdata"
    tables, prov = read_path(rda)
    assert [t.meta.year for t in tables] == [2011]
    assert (prov.source, prov.edition, prov.licence) == (
        "WIOD 2013 release",
        "November 2013",
        "CC BY 4.0",
    )
    assert prov.url == "http://www.wiod.org/database/wiots13"
    assert prov.citation == CITATION
    assert [f["name"] for f in prov.raw_files] == ["wiot_2011.RData"]
    assert prov.raw_files[0]["bytes"] == rda.stat().st_size


def test_truncated_rdata_names_the_file(rda: Path, tmp_path: Path) -> None:
    cut = tmp_path / "wiot_2010.RData"
    cut.write_bytes(rda.read_bytes()[: rda.stat().st_size // 2])
    with pytest.raises(ParseError, match="cannot read the R data file") as err:
        wiod2013.read_rdata(cut)
    assert err.value.path == str(cut)
    assert str(cut) in str(err.value)


def test_nan_names_row_and_column_labels(tmp_path: Path) -> None:
    _, Y, _ = wiot_arrays()
    final = Y.astype(np.float64)
    final[3, 7] = np.nan  # row BBB/MIN, column BBB/government consumption
    path = write_rdata(tmp_path / "wiot_2011.RData", final=final)
    with pytest.raises(NonFiniteError) as err:
        wiod2013.read_rdata(path)
    assert str(err.value) == (
        f"{path}: final holds 1 missing or non-finite value(s); first at row BBB/MIN, "
        "column BBB/government consumption: nan"
    )


def test_r_na_integer_is_reported_as_missing(tmp_path: Path) -> None:
    Z, _, _ = wiot_arrays()
    inter = Z.copy()
    inter[6, 1] = np.iinfo(np.int32).min  # R's NA_integer_
    path = write_rdata(tmp_path / "wiot_2011.RData", inter=inter)
    with pytest.raises(NonFiniteError, match=r"first at row RoW/AHF, column AAA/MIN: NA$"):
        wiod2013.read_rdata(path)


def test_wrong_shape_names_the_field(tmp_path: Path) -> None:
    Z, _, _ = wiot_arrays()
    path = write_rdata(tmp_path / "wiot_2011.RData", inter=Z[:, :-1])
    with pytest.raises(ParseError) as err:
        wiod2013.read_rdata(path)
    assert str(err.value) == (
        "inter must have shape (8, 8) (4 countries x 2 industries); got (8, 7) "
        f"(file {path}, column inter)"
    )


def test_non_numeric_cell_names_row_column_and_value(tmp_path: Path) -> None:
    _, _, x = wiot_arrays()
    output = np.array([str(v) for v in x], dtype=object)
    output[5] = "n/a"
    path = write_rdata(tmp_path / "wiot_2011.RData", output=output)
    with pytest.raises(ParseError) as err:
        wiod2013.read_rdata(path)
    e = err.value
    assert (e.path, e.row, e.column, e.value) == (str(path), "CCC/MIN", "output", "n/a")
    assert str(e).startswith("output must hold numbers; it holds text, first cell not a number")


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"industries": np.array(["c1", "c99"])}, "unknown WIOD sector code"),
        ({"countries": np.array(["AAA", "BBB", "AAA", "RoW"])}, "countries labels must be unique"),
        ({"name": "wiot_2012"}, "year must be the single number 2012"),
        ({"output": None}, r"wiot_2011 lacks \['output'\]"),
    ],
)
def test_bad_labels_and_fields(tmp_path: Path, fields: dict[str, Any], message: str) -> None:
    path = write_rdata(tmp_path / "wiot_2011.RData", **fields)
    with pytest.raises(ParseError, match=message) as err:
        wiod2013.read_rdata(path)
    assert err.value.path == str(path)


def test_no_wiot_object(tmp_path: Path) -> None:
    path = tmp_path / "wiot_2011.RData"
    rdata.write_rda(path, {"something": np.arange(3)})
    with pytest.raises(ParseError, match=r"expected one R object named wiot_YYYY"):
        wiod2013.read_rdata(path)


def test_negative_output_fails_validation_with_its_place(tmp_path: Path) -> None:
    output = wiot_arrays()[2].copy()
    output[1] = -5
    path = write_rdata(tmp_path / "wiot_2011.RData", output=output)
    with pytest.raises(NegativeValueError) as err:
        read_path(path)
    assert str(err.value).startswith(f"{path}: x (gross output) must be non-negative")
    assert "column AAA/MIN: -5.0" in str(err.value)


def test_non_productive_table_fails_validation(tmp_path: Path) -> None:
    Z, Y, x = (a.copy() for a in wiot_arrays())
    x -= Z[:, 0]  # empty column 0, keeping every row's balance
    Z[:, 0] = 0
    Z[0, :], Y[0, :] = 0, 0
    Z[0, 0], Y[0, 4], x[0] = 120, -20, 100  # AAA/AHF uses more than its output: a_00 = 1.2
    path = write_rdata(tmp_path / "wiot_2011.RData", inter=Z, final=Y, output=x)
    with pytest.raises(NotProductiveError, match=r"spectral radius of A is 1.2 >= 1") as err:
        read_path(path)
    assert "AAA/AHF (1.2)" in str(err.value)


def test_sector_table_has_the_35_wiod_sectors() -> None:
    table = sectors()
    assert list(table) == [f"c{i}" for i in range(1, 36)]
    codes = [s.code for s in table.values()]
    assert len(set(codes)) == 35
    assert (codes[:3], codes[-1]) == (["AHF", "MIN", "FBT"], "PHE")
    assert table["c13"].name == "Machinery, not elsewhere classified"


# ---------------------------------------------------------------------- spreadsheet fixture
FD_DESCRIPTIONS = (
    "Final consumption expenditure by households",
    "Final consumption expenditure by non-profit organisations serving households (NPISH)",
    "Final consumption expenditure by government",
    "Gross fixed capital formation",
    "Changes in inventories and valuables",
)
FD_CODES = ("c37", "c38", "c39", "c41", "c42")
ISIC = {"c1": "AtB", "c2": "C"}
NAMES = {"c1": "Agriculture, Hunting, Forestry and Fishing", "c2": "Mining and Quarrying"}
BOTTOM_DESCRIPTIONS = {
    "r60": "Total intermediate consumption",
    "r61": "taxes less subsidies on products",
    "r62": "Cif/ fob adjustments on exports",
    "r63": "Direct purchases abroad by residents",
    "r64": "Purchases on the domestic territory by non-residents ",
    "r65": "Value added at basic prices",
    "r66": "International Transport Margins",
    "r69": "Output at basic prices",
}
VA_SHARES = {"r61": 0.06, "r62": 0.0, "r63": 0.01, "r64": -0.02, "r66": 0.03}  # r65: the rest


def sheet_numbers() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Published-style decimals: Z, Y, x = Z 1 + Y 1, and the six value-added rows."""
    rng = np.random.default_rng(1)
    Z = np.round(rng.uniform(0, 40, (N, N)), 3)
    Y = np.round(rng.uniform(0, 60, (N, NF)), 3)
    Y[:, 4::5] = np.round(rng.uniform(-5, 5, (N, len(REGIONS))), 3)
    x = np.round(Z.sum(axis=1) + Y.sum(axis=1), 3)
    va = x - Z.sum(axis=0)
    V = np.array([np.round(va * VA_SHARES[c], 3) if c in VA_SHARES else va for c in VA_ROWS])
    V[list(VA_ROWS).index("r65")] = np.round(va - (V.sum(axis=0) - va), 3)
    return Z, Y, x, V


def sheet_rows(year: int = 2011) -> list[list[Any]]:
    """The spreadsheet's rows, as lists of cell values (row 1 first)."""
    Z, Y, x, V = sheet_numbers()
    pad = [None] * 4
    ind_cols = [(r, c) for r in REGIONS for c in CODES]
    fd_cols = [(r, k) for r in REGIONS for k in range(len(CATEGORIES))]
    rows: list[list[Any]] = [
        [f"World Input-Output Table {year}"],
        ["Current prices, in millions of US$"],
        ["(industry-by-industry)", *pad[1:], *(ISIC[c] for _, c in ind_cols), *[None] * NF],
        [
            "(millions of US$)",
            *pad[1:],
            *(NAMES[c] for _, c in ind_cols),
            *(FD_DESCRIPTIONS[k] for _, k in fd_cols),
            "Total output",
        ],
        [*pad, *(r for r, _ in ind_cols), *(r for r, _ in fd_cols), "TOT"],
        [*pad, *(c for _, c in ind_cols), *(FD_CODES[k] for _, k in fd_cols), "c62"],
    ]
    for i, (r, c) in enumerate(ind_cols):
        rows.append([ISIC[c], NAMES[c], r, c, *Z[i], *Y[i], x[i]])
    fd_taxes = [1.5 if k == 0 else None for _, k in fd_cols]  # taxes on households' purchases
    rows.append([None, BOTTOM_DESCRIPTIONS["r60"], "TOT", "r60", *Z.sum(axis=0), *Y.sum(axis=0)])
    for k, code in enumerate(VA_ROWS):
        fd = fd_taxes if code == "r61" else [None] * NF
        rows.append([None, BOTTOM_DESCRIPTIONS[code], "TOT", code, *V[k], *fd])
    rows.append([None, BOTTOM_DESCRIPTIONS["r69"], "TOT", "r69", *x, *[None] * NF])
    return rows


def write_xlsx(
    path: Path, edit: Callable[[list[list[Any]]], None] | None = None, *, year: int = 2011
) -> Path:
    rows = sheet_rows(year)
    if edit is not None:
        edit(rows)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = f"WIOT_{year}"
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


XLSX_NAME = "wiot11_row_apr12.xlsx"


@pytest.fixture
def xlsx(tmp_path: Path) -> Path:
    return write_xlsx(tmp_path / XLSX_NAME)


def test_xlsx_reads_the_published_layout(xlsx: Path) -> None:
    t = wiod2013.read_xlsx(xlsx)
    Z, Y, x, V = sheet_numbers()
    assert t.regions == REGIONS
    assert t.sectors == LABELS
    assert t.categories == CATEGORIES
    np.testing.assert_array_equal(t.Z, Z)
    np.testing.assert_array_equal(t.Y, Y)
    np.testing.assert_array_equal(t.x, x)
    assert t.va_components == tuple(VA_ROWS.values())
    assert t.va_components[4] == "value added at basic prices"
    np.testing.assert_array_equal(t.V, V)
    np.testing.assert_allclose(t.V.sum(axis=0), x - Z.sum(axis=0), rtol=0, atol=0.002)
    assert (t.meta.year, t.meta.rounding, t.meta.source) == (2011, 0.5, "WIOD")
    assert "r61 taxes less subsidies on products 6" in t.meta.notes  # 4 countries x 1.5
    assert "left out" in t.meta.notes
    assert t.validate().passed


def test_xlsx_sniffing_and_read_path(xlsx: Path, tmp_path: Path) -> None:
    assert wiod2013.sniff_xlsx(xlsx)
    assert not wiod2013.sniff_rdata(xlsx)
    assert detect_format(xlsx).name == "wiod2013-xlsx"
    tables, prov = read_path(xlsx)
    assert tables[0].meta.year == 2011
    assert prov.raw_files[0]["name"] == XLSX_NAME
    other = write_xlsx(tmp_path / "my_table.xlsx")
    assert not wiod2013.sniff_xlsx(other)
    assert read_path(other, "wiod2013-xlsx")[0][0].regions == REGIONS


def set_cell(row: int, col: int, value: Any) -> Callable[[list[list[Any]]], None]:
    """An edit that sets the cell at 1-based (row, column)."""

    def edit(rows: list[list[Any]]) -> None:
        line = rows[row - 1]
        line.extend([None] * (col - len(line)))
        line[col - 1] = value

    return edit


# Row 7 is AAA/c1; BBB/c2 is row 10. Column E is AAA/c1; CCC/c1 is column I (9).
@pytest.mark.parametrize(
    ("row", "col", "value", "row_label", "col_label", "what"),
    [
        (10, 9, "n/a", "BBB/MIN", "CCC/AHF", "non-numeric cell I10"),
        (10, 9, None, "BBB/MIN", "CCC/AHF", "empty cell I10"),
        (8, 4 + N + 7, "12,5", "AAA/MIN", "BBB/NPISH consumption", "non-numeric cell S8"),
        (14, 4 + N + NF + 1, "#N/A", "RoW/MIN", "output", "non-numeric cell AG14"),
        (20, 6, "x", "r65 (Value added at basic prices)", "AAA/MIN", "non-numeric cell F20"),
    ],
)
def test_xlsx_bad_cell_names_row_column_and_value(
    tmp_path: Path, row: int, col: int, value: Any, row_label: str, col_label: str, what: str
) -> None:
    path = write_xlsx(tmp_path / XLSX_NAME, set_cell(row, col, value))
    with pytest.raises(ParseError) as err:
        wiod2013.read_xlsx(path)
    e = err.value
    assert (e.path, e.row, e.column, e.value) == (str(path), row_label, col_label, value)
    assert str(e).startswith(what)


def test_truncated_xlsx_names_the_file(xlsx: Path, tmp_path: Path) -> None:
    cut = tmp_path / "wiot10_row_sep12.xlsx"
    cut.write_bytes(xlsx.read_bytes()[: xlsx.stat().st_size * 2 // 3])
    with pytest.raises(ParseError, match="truncated or damaged") as err:
        wiod2013.read_xlsx(cut)
    assert err.value.path == str(cut)


def test_sheet_ending_early_is_reported(tmp_path: Path) -> None:
    def cut(rows: list[list[Any]]) -> None:
        del rows[6 + 5 :]

    path = write_xlsx(tmp_path / XLSX_NAME, cut)
    with pytest.raises(ParseError, match=r"the sheet ends after 5 of 8 industry rows"):
        wiod2013.read_xlsx(path)


def test_missing_bottom_rows_are_reported(tmp_path: Path) -> None:
    def drop_output(rows: list[list[Any]]) -> None:
        del rows[-1]

    path = write_xlsx(tmp_path / XLSX_NAME, drop_output)
    with pytest.raises(ParseError, match=r"rows \['r69'\] are missing"):
        wiod2013.read_xlsx(path)


@pytest.mark.parametrize(
    ("edit", "message", "row", "column"),
    [
        (set_cell(4, 1, None), "cell A4 must state the unit", 4, "A"),
        (set_cell(1, 1, "World Input-Output Table"), "cell A1 must hold the title", 1, "A"),
        (set_cell(6, 5, None), "row 6 must hold the WIOD sector codes", 6, "E"),
        (set_cell(5, 4 + N + 6, "CCC"), "final-use columns must be 5 per country", 5, "R"),
        (set_cell(4, 4 + N + 2, "Exports"), "final-use column 2 of each country", 4, "N"),
        (set_cell(6, 8, "c3"), "industry columns must be region-major", "5-6", "H"),
    ],
)
def test_xlsx_bad_header(
    tmp_path: Path, edit: Callable[[list[list[Any]]], None], message: str, row: Any, column: str
) -> None:
    path = write_xlsx(tmp_path / XLSX_NAME, edit)
    with pytest.raises(ParseError, match=message) as err:
        wiod2013.read_xlsx(path)
    assert (err.value.path, err.value.row, err.value.column) == (str(path), row, column)


def test_row_labels_must_match_column_labels(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / XLSX_NAME, set_cell(9, 3, "XXX"))
    with pytest.raises(ParseError, match=r"industry row 3 must match industry column 3") as err:
        wiod2013.read_xlsx(path)
    assert (err.value.row, err.value.column, err.value.value) == (9, "C-D", "XXX c1")


def test_extra_column_is_reported(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / XLSX_NAME, set_cell(7, 4 + N + NF + 2, 3.0))
    with pytest.raises(ParseError, match=r"unexpected cell AH7 beyond the total output column"):
        wiod2013.read_xlsx(path)


def test_published_output_row_must_match_the_total_column(tmp_path: Path) -> None:
    _, _, x, _ = sheet_numbers()
    path = write_xlsx(tmp_path / XLSX_NAME, set_cell(22, 4 + 3, float(x[2]) + 50))
    with pytest.raises(ParseError, match=r"published row r69 differs from the total output") as err:
        wiod2013.read_xlsx(path)
    assert (err.value.row, err.value.column) == ("r69", "BBB/AHF")


def test_negative_output_in_the_sheet_fails_validation(tmp_path: Path) -> None:
    def negative(rows: list[list[Any]]) -> None:
        rows[7][4 + N + NF] = -1.0  # AAA/MIN
        rows[-1][4 + 1] = -1.0

    path = write_xlsx(tmp_path / XLSX_NAME, negative)
    with pytest.raises(NegativeValueError, match=r"x \(gross output\) must be non-negative"):
        read_path(path)


def test_sector_csv_comment_header_names_the_licence() -> None:
    from importlib import resources

    text = resources.files("karavan").joinpath("data/sectors_wiod35.csv").read_text("utf-8")
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert any("MIT" in line for line in header)
    rows = list(
        csv.DictReader(io.StringIO("\n".join(x for x in text.splitlines() if x[:1] != "#")))
    )
    assert len(rows) == 35
