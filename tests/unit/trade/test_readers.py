"""Readers of CEPII BACI, UN Comtrade bulk CSV and the long format, on small files written in
the publishers' documented layouts; bad input names the file, row, column and value."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from karavan.errors import FormatDetectionError, ParseError
from karavan.trade.readers import (
    detect_trade_format,
    read_baci,
    read_comtrade,
    read_trade,
    read_trade_long,
)
from tests.unit.trade.generated import bilateral_table, write_baci

BACI = """t,i,j,k,v,q
2021,398,643,10110,12.5,          NA
2021,398,156,270900,2191628.901,  4492672.000
2021,643,398,270900,100.25,1.5
2021,842,398,847130,7.0,0.010
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_baci_reads_flows_codes_and_units(tmp_path: Path) -> None:
    t = read_baci(write(tmp_path, "BACI_HS02_Y2021_V202301.csv", BACI))
    assert t.year == 2021
    assert t.exporters == ("KAZ", "RUS", "USA")
    assert t.importers == ("RUS", "CHN", "KAZ")
    assert t.products == ("010110", "270900", "847130")  # leading zero restored
    assert t.coverage == "complete"
    assert t.meta.unit == "thousand"
    assert t.meta.edition == "V202301, HS02"
    np.testing.assert_array_equal(t.X[0], [12.5, 2191628.901, 0.0])
    np.testing.assert_array_equal(t.flows_between(["RUS"], ["KAZ"]), [0.0, 100.25, 0.0])
    np.testing.assert_array_equal(t.imports().loc["KAZ"].to_numpy(), [0.0, 100.25, 7.0])


def test_baci_round_trips_a_generated_table(tmp_path: Path) -> None:
    table = bilateral_table()
    t = read_baci(write_baci(table, tmp_path / "b.csv"))
    assert set(t.exporters) == set(table.exporters)
    again = t.select(exporters=list(table.exporters), products=list(table.products))
    np.testing.assert_allclose(again.X, table.X, rtol=0, atol=1e-6 * len(table.importers))


def test_baci_without_partners_and_with_country_file(tmp_path: Path) -> None:
    path = write(tmp_path, "x.csv", "t,i,k,v\n2019,398,10110,1.5\n2019,398,270900,4\n")
    codes = write(
        tmp_path,
        "country_codes_V202301.csv",
        "country_code,country_name_abbreviation,country_name_full,iso_2digit_alpha,"
        "iso_3digit_alpha\n398,Kazakhstan,Republic of Kazakhstan,KZ,KAZ\n",
    )
    t = read_baci(path, country_codes=codes)
    assert t.coverage == "none"
    assert t.exporters == ("KAZ",)
    np.testing.assert_array_equal(t.X, [[1.5, 4.0]])


@pytest.mark.parametrize(
    ("text", "row", "column", "value", "message"),
    [
        (
            "t,i,j,k,v\n2021,398,643,10110,12.5\n2021,398,156,270900,abc\n",
            3,
            "v",
            "abc",
            "expected a finite number",
        ),
        ("t,i,j,k,v\n2021,398,643,10110,-1\n", 2, "v", -1.0, "must be non-negative"),
        (
            "t,i,j,k,v\n2021,398,643,10110,1\n2021,398,999,10110,2\n",
            3,
            "j",
            999,
            "unknown country code",
        ),
        ("t,i,j,k,v\n2021,398,643,27AB00,1\n", 2, "k", "27AB00", "HS 6-digit"),
        ("t,i,j,k,v\n2021,398,643,10110,\n", 2, "v", "", "expected a finite number"),
        (
            "t,i,j,k,v\n2021,398,643,10110,1\n2021,398,643,10110,2\n",
            3,
            "i, j, k",
            "KAZ / RUS / 010110",
            "appears twice",
        ),
    ],
)
def test_baci_errors_name_row_column_and_value(
    tmp_path: Path, text: str, row: int, column: str, value: object, message: str
) -> None:
    path = write(tmp_path, "bad.csv", text)
    with pytest.raises(ParseError, match=message) as info:
        read_baci(path)
    err = info.value
    assert (err.path, err.row, err.column, err.value) == (str(path), row, column, value)
    assert f"row {row}" in str(err)
    assert "bad.csv" in str(err)


def test_baci_missing_column_and_several_years(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"missing column\(s\) v") as info:
        read_baci(write(tmp_path, "a.csv", "t,i,j,k\n2021,398,643,1\n"))
    assert info.value.column == "v"
    two = write(tmp_path, "b.csv", "t,i,j,k,v\n2020,398,643,10110,1\n2021,398,643,10110,2\n")
    with pytest.raises(ParseError, match=r"holds 2 years \(2020, 2021\)"):
        read_baci(two)
    assert read_baci(two, year=2020).X.tolist() == [[1.0]]
    with pytest.raises(ParseError, match="no rows for year 2019"):
        read_baci(two, year=2019)


COMTRADE_HEADER = (
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,"
    "reporterDesc,flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,"
    "partner2ISO,partner2Desc,classificationCode,cmdCode,cmdDesc,aggrLevel,customsCode,"
    "motCode,qty,netWgt,cifvalue,fobvalue,primaryValue,isAggregate\n"
)


def comtrade_row(
    reporter: tuple[int, str],
    flow: str,
    partner: tuple[int, str],
    cmd: str,
    value: float,
    *,
    customs: str = "C00",
    mot: str = "0",
    partner2: str = "0",
) -> str:
    return (
        f"C,A,20210101,2021,52,2021,{reporter[0]},{reporter[1]},x,{flow},x,{partner[0]},"
        f"{partner[1]},x,{partner2},W00,World,H5,{cmd},x,{len(cmd)},{customs},{mot},0,0,,"
        f"{value},{value},1\n"
    )


KAZ, RUS, CHN, WLD = (398, "KAZ"), (643, "RUS"), (156, "CHN"), (0, "W00")


def test_comtrade_exports_with_partners(tmp_path: Path) -> None:
    text = COMTRADE_HEADER + "".join(
        [
            comtrade_row(KAZ, "X", RUS, "270900", 100.0),
            comtrade_row(KAZ, "X", CHN, "270900", 50.0),
            comtrade_row(KAZ, "X", WLD, "270900", 175.0),  # World row: not used
            comtrade_row(KAZ, "X", CHN, "270900", 9.0, customs="C01"),  # a breakdown: left out
            comtrade_row(KAZ, "X", CHN, "270900", 9.0, mot="2100"),
            comtrade_row(KAZ, "X", RUS, "TOTAL", 1000.0),
            comtrade_row(KAZ, "M", CHN, "847130", 30.0),
            comtrade_row(RUS, "X", KAZ, "847130", 7.5),
        ]
    )
    t = read_comtrade(write(tmp_path, "c.csv", text))
    assert t.exporters == ("KAZ", "RUS")
    assert t.products == ("270900", "847130")
    np.testing.assert_array_equal(t.X, [[150.0, 0.0], [0.0, 7.5]])
    assert t.meta.unit == ""
    assert "1 World row(s) not used" in t.meta.notes
    mirror = read_comtrade(write(tmp_path, "c.csv", text), flow="M")
    assert mirror.exporters == ("CHN",)
    assert mirror.importers == ("KAZ",)
    np.testing.assert_array_equal(mirror.X, [[30.0]])


def test_comtrade_world_rows_only_and_numeric_codes(tmp_path: Path) -> None:
    header = "refYear,reporterCode,partnerCode,flowCode,cmdCode,primaryValue\n"
    t = read_comtrade(
        write(tmp_path, "w.csv", header + "2020,398,0,X,2709,10\n2020,842,0,X,2709,5\n")
    )
    assert t.exporters == ("KAZ", "USA")
    assert t.coverage == "none"
    np.testing.assert_array_equal(t.X, [[10.0], [5.0]])


def test_comtrade_errors(tmp_path: Path) -> None:
    header = "refYear,reporterCode,partnerCode,flowCode,cmdCode,primaryValue\n"
    mixed = write(tmp_path, "m.csv", header + "2020,398,0,X,27,10\n2020,398,0,X,2709,5\n")
    with pytest.raises(ParseError, match=r"several lengths \[2, 4\]") as info:
        read_comtrade(mixed)
    assert info.value.column == "cmdCode"
    assert read_comtrade(mixed, digits=4).X.tolist() == [[5.0]]
    bad = write(tmp_path, "b.csv", header + "2020,398,0,X,2709,10\n2020,398,0,X,2710,1e\n")
    with pytest.raises(ParseError) as info:
        read_comtrade(bad)
    assert (info.value.row, info.value.column, info.value.value) == (3, "primaryValue", "1e")
    monthly = write(
        tmp_path, "q.csv", "freqCode," + header.replace("\n", "") + "\nM,2020,398,0,X,2709,1\n"
    )
    with pytest.raises(ParseError, match="only annual data") as info:
        read_comtrade(monthly)
    assert (info.value.row, info.value.value) == (2, "M")
    with pytest.raises(ParseError, match="imports from the World"):
        read_comtrade(write(tmp_path, "i.csv", header + "2020,398,0,M,2709,10\n"), flow="M")


def test_long_format_csv_and_parquet(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "year": [2021, 2021, 2021],
            "exporter": ["KAZ", "KAZ", "RUS"],
            "importer": ["CHN", "RUS", "KAZ"],
            "product": ["010110", "010110", "270900"],
            "value": [1.0, 2.0, 3.0],
        }
    )
    frame.to_csv(tmp_path / "l.csv", index=False)
    frame.to_parquet(tmp_path / "l.parquet", index=False)
    for name in ("l.csv", "l.parquet"):
        t = read_trade_long(tmp_path / name)
        assert t.products == ("010110", "270900")
        np.testing.assert_array_equal(t.X, [[3.0, 0.0], [0.0, 3.0]])
        assert t.coverage == "complete"
    bad = frame.assign(value=[1.0, -2.0, 3.0])
    bad.to_parquet(tmp_path / "bad.parquet", index=False)
    with pytest.raises(ParseError) as info:
        read_trade_long(tmp_path / "bad.parquet")
    assert (info.value.row, info.value.column, info.value.value) == (2, "value", -2.0)
    (tmp_path / "e.csv").write_text("year,exporter,product,value\n2021,,010110,1\n")
    with pytest.raises(ParseError, match="empty cell") as info:
        read_trade_long(tmp_path / "e.csv")
    assert (info.value.row, info.value.column) == (2, "exporter")


def test_format_detection(tmp_path: Path) -> None:
    assert detect_trade_format(write(tmp_path, "b.csv", BACI)) == "baci"
    assert detect_trade_format(write(tmp_path, "c.csv", COMTRADE_HEADER)) == "comtrade"
    long = write(tmp_path, "l.csv", "year,exporter,product,value\n2021,KAZ,1,2\n")
    assert detect_trade_format(long) == "long"
    assert read_trade(long).X.tolist() == [[2.0]]
    with pytest.raises(FormatDetectionError, match="not a known trade layout"):
        detect_trade_format(write(tmp_path, "x.csv", "a,b\n1,2\n"))
    with pytest.raises(ParseError, match="the file is empty"):
        detect_trade_format(write(tmp_path, "empty.csv", ""))
