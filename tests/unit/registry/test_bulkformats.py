"""Bulk files: CSV / JSON / Parquet to rows with their row numbers, and back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from karavan.errors import ImportValidationError
from karavan.registry.bulkformats import BulkFormat, Row, RowSource, read_rows, write_rows

CSV_TEXT = (
    "name_en,name_ru,country,certifications,identifiers,capacity\r\n"
    'Steel Works,"Завод ""Сталь""",KAZ,ISO 9001; ГОСТ Р 15.201 ;,'
    '"[{""scheme"": ""KZ-BIN"", ""value"": ""940140000385""}]",12.5\r\n'
    "\r\n"
    'Pipes Ltd,"Трубы,\nлтд",RUS,,,\r\n'
    "Minimal,Минимал,BLR\r\n"
)


def test_csv_rows_values_and_row_numbers() -> None:
    rows = read_rows(CSV_TEXT.encode(), "csv", filename="orgs.csv")
    assert [r.source for r in rows] == [
        RowSource("orgs.csv", 2),
        RowSource("orgs.csv", 4),
        RowSource("orgs.csv", 5),
    ]
    assert rows[0] == {
        "name_en": "Steel Works",
        "name_ru": 'Завод "Сталь"',
        "country": "KAZ",
        "certifications": ["ISO 9001", "ГОСТ Р 15.201"],
        "identifiers": [{"scheme": "KZ-BIN", "value": "940140000385"}],
        "capacity": "12.5",
    }
    # empty cells and missing trailing cells are absent keys
    assert rows[1] == {"name_en": "Pipes Ltd", "name_ru": "Трубы,\nлтд", "country": "RUS"}
    assert rows[2] == {"name_en": "Minimal", "name_ru": "Минимал", "country": "BLR"}
    assert isinstance(rows[0], Row)
    assert isinstance(rows[0], dict)


def test_csv_with_bom_and_from_path(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"\xef\xbb\xbfname_en,countries\nX,KAZ;RUS\n")
    rows = read_rows(path, "csv", filename="a.csv")
    assert rows == [{"name_en": "X", "countries": ["KAZ", "RUS"]}]
    assert rows[0].source.row == 2


def test_csv_cp1251_refused_with_offset_and_hint() -> None:
    data = "name_ru\nЗавод\n".encode("cp1251")
    with pytest.raises(ImportValidationError) as info:
        read_rows(data, "csv", filename="orgs.csv")
    message = str(info.value)
    assert "byte 0xc7 at byte offset 8" in message
    assert "Windows-1251" in message
    assert "file orgs.csv" in message
    assert info.value.report[0]["file"] == "orgs.csv"


def test_csv_utf16_refused() -> None:
    with pytest.raises(ImportValidationError, match="UTF-16"):
        read_rows("name\nx\n".encode("utf-16"), "csv", filename="u.csv")


@pytest.mark.parametrize(
    ("text", "match", "row"),
    [
        ("", "file is empty", 1),
        ("a,,b\n1,2,3\n", "header cell 2 is empty", 1),
        ("a,b,a\n1,2,3\n", "header repeats a", 1),
        ("a,b\n1,2\n1,2,3\n", "row has 3 cells; the header has 2", 3),
        ("a,sources\n1,[not json\n", "not valid JSON", 2),
    ],
)
def test_csv_malformed(text: str, match: str, row: int) -> None:
    with pytest.raises(ImportValidationError, match=match) as info:
        read_rows(text.encode(), "csv", filename="bad.csv")
    assert info.value.report[0]["row"] == row


def test_json_array_and_items_object() -> None:
    data = json.dumps(
        [
            {"name_en": "A", "region": None},
            {"name_en": "B", "sites": [{"country": "KAZ", "lat": None}]},
        ]
    ).encode()
    rows = read_rows(data, "json", filename="x.json")
    assert rows == [{"name_en": "A"}, {"name_en": "B", "sites": [{"country": "KAZ"}]}]
    assert [r.source.row for r in rows] == [1, 2]
    wrapped = read_rows(b'{"items": [{"a": 1}]}', "json", filename="y.json")
    assert wrapped == [{"a": 1}]


@pytest.mark.parametrize(
    ("data", "match"),
    [
        (b"[{", "not valid JSON"),
        (b'{"a": 1}', "expected a top-level array"),
        (b'[{"a": 1}, 2]', "expected an object; got int"),
    ],
)
def test_json_malformed(data: bytes, match: str) -> None:
    with pytest.raises(ImportValidationError, match=match):
        read_rows(data, "json", filename="bad.json")


def test_json_error_row_number() -> None:
    with pytest.raises(ImportValidationError) as info:
        read_rows(b'[{"a": 1}, {"a": 2}, []]', "json", filename="bad.json")
    assert info.value.report[0]["row"] == 3


def test_parquet_rows_nulls_dropped() -> None:
    rows: list[dict[str, object]] = [
        {"name_en": "A", "capacity": 1.5, "countries": ["KAZ", "RUS"]},
        {"name_en": "B", "capacity": None, "countries": []},
    ]
    back = read_rows(write_rows(rows, "parquet"), "parquet", filename="p.parquet")
    assert back == [
        {"name_en": "A", "capacity": 1.5, "countries": ["KAZ", "RUS"]},
        {"name_en": "B", "countries": []},
    ]
    assert [r.source for r in back] == [RowSource("p.parquet", 1), RowSource("p.parquet", 2)]


def test_parquet_garbage_refused() -> None:
    with pytest.raises(ImportValidationError, match="not a readable Parquet file"):
        read_rows(b"PAR1 not really", "parquet", filename="bad.parquet")


ROUND_TRIP: list[dict[str, object]] = [
    {
        "name_en": "Steel, Works",
        "name_ru": 'Завод "Сталь"\nКараганда',
        "certifications": ["ISO 9001", "ГОСТ"],
        "identifiers": [{"scheme": "KZ-BIN", "value": "940140000385"}],
    },
    {"name_en": "Only name", "certifications": []},
]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_round_trip(fmt: BulkFormat) -> None:
    data = write_rows(ROUND_TRIP, fmt)
    back = read_rows(data, fmt, filename=f"export.{fmt}")
    assert back == ROUND_TRIP


def test_round_trip_scalars() -> None:
    rows = [{"n": 3, "x": 0.1, "ok": True, "d": date(2024, 5, 1)}]
    assert read_rows(write_rows(rows, "json"), "json", filename="e.json") == [
        {"n": 3, "x": 0.1, "ok": True, "d": "2024-05-01"}
    ]
    # CSV: scalars come back as their text
    assert read_rows(write_rows(rows, "csv"), "csv", filename="e.csv") == [
        {"n": "3", "x": "0.1", "ok": "true", "d": "2024-05-01"}
    ]
    assert write_rows(rows, "csv") == b"n,x,ok,d\r\n3,0.1,true,2024-05-01\r\n"


def test_parquet_keeps_columns_that_only_later_rows_have() -> None:
    from karavan.registry.bulkformats import read_rows, write_rows

    data = write_rows([{"a": "1"}, {"a": "2", "b": "x"}], "parquet")
    rows = read_rows(data, "parquet", filename="t.parquet")
    assert [dict(r) for r in rows] == [{"a": "1"}, {"a": "2", "b": "x"}]
