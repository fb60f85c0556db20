"""The OECD ICIO reader on small files written here in the publisher's CSV layouts.

2021 edition (``ICIO2021_YYYY.csv``: REG_TAXSUB rows, VALU, OUTPUT; TOTAL column) and 2023
edition (``YYYY.csv``: TLS, VA, OUT rows; OUT column), 3 countries (AUS, MEX, ROW) x 2 industries,
Mexico split into MX1 and MX2 as in the extended tables (MEX rows and columns zero, final demand
by MEX only). Bad input must raise a ParseError naming the file, row, column and value.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from karavan.errors import ParseError
from karavan.sources import oecd_icio

COUNTRIES = ("AUS", "MEX", "ROW")
PUBLISHED_REGIONS = ("AUS", "MEX", "ROW", "MX1", "MX2")  # split parts after the others
SECTORS = {"2021": ("01T02", "05T06"), "2023": ("A01_02", "B05_06")}
YEAR = 2018
S, C = 2, len(oecd_icio.CATEGORIES)
N_EXT, N, NF = len(PUBLISHED_REGIONS) * S, len(COUNTRIES) * S, len(COUNTRIES) * C


def published_arrays(edition: str) -> dict[str, np.ndarray]:
    """Z, Y, taxes (rows x industries, and on final demand), value added, output: split table.

    Multiples of 1/4, so sums are exact. MEX's own rows and columns are zero, as published.
    """
    rng = np.random.default_rng(7)
    Z = rng.integers(1, 20, (N_EXT, N_EXT)).astype(float) / 4
    Y = rng.integers(20, 80, (N_EXT, NF)).astype(float) / 4
    Y[:, 4::C] = rng.integers(-8, 8, (N_EXT, len(COUNTRIES))) / 4  # INVNT, signed
    mex = slice(S, 2 * S)
    Z[mex, :] = 0
    Z[:, mex] = 0
    Y[mex, :] = 0
    x = Z.sum(axis=1) + Y.sum(axis=1)
    n_tax = len(COUNTRIES) if edition == "2021" else 1
    taxes = rng.integers(0, 6, (n_tax, N_EXT)).astype(float) / 4
    taxes[:, mex] = 0
    tax_fd = rng.integers(0, 10, (n_tax, NF)).astype(float) / 4
    va = x - Z.sum(axis=0) - taxes.sum(axis=0)
    return {"Z": Z, "Y": Y, "x": x, "taxes": taxes, "tax_fd": tax_fd, "va": va}


def write_icio_fixture(directory: Path, edition: str, *, year: int = YEAR) -> Path:
    """Write a 3-country x 2-industry ICIO file in the ``edition`` ("2021" or "2023") layout."""
    if edition not in SECTORS:
        raise ValueError(f"edition must be one of {sorted(SECTORS)}; got {edition!r}")
    a = published_arrays(edition)
    sectors = SECTORS[edition]
    industries = [f"{r}_{s}" for r in PUBLISHED_REGIONS for s in sectors]
    final = [f"{r}_{c}" for r in COUNTRIES for c in oecd_icio.CATEGORIES]
    if edition == "2021":
        name, corner, total = f"ICIO2021_{year}.csv", "", "TOTAL"
        tax_labels = [f"{r}_TAXSUB" for r in COUNTRIES]
        va_label, out_label = "VALU", "OUTPUT"
    else:
        name, corner, total = f"{year}.csv", "V1", "OUT"
        tax_labels, va_label, out_label = ["TLS"], "VA", "OUT"
    Z, Y, x = a["Z"], a["Y"], a["x"]
    fd_totals = Y.sum(axis=0) + a["tax_fd"].sum(axis=0)
    body: list[tuple[str, np.ndarray]] = [
        (label, np.concatenate([Z[i], Y[i], [x[i]]])) for i, label in enumerate(industries)
    ]
    for k, label in enumerate(tax_labels):
        t, t_fd = a["taxes"][k], a["tax_fd"][k]
        body.append((label, np.concatenate([t, t_fd, [t.sum() + t_fd.sum()]])))
    body.append((va_label, np.concatenate([a["va"], np.zeros(NF), [a["va"].sum()]])))
    body.append((out_label, np.concatenate([x, fd_totals, [x.sum() + fd_totals.sum()]])))
    path = Path(directory) / name
    with path.open("w", newline="", encoding="ascii") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([corner, *industries, *final, total])
        for label, values in body:
            w.writerow([label, *(repr(float(v)) for v in values)])
    return path


def merged_expected(edition: str) -> dict[str, np.ndarray]:
    """The published arrays with MX1 and MX2 merged into MEX via an aggregation matrix."""
    a = published_arrays(edition)
    G = np.zeros((N, N_EXT))
    for k, r in enumerate(PUBLISHED_REGIONS):
        target = COUNTRIES.index("MEX" if r in ("MX1", "MX2") else r)
        for s in range(S):
            G[target * S + s, k * S + s] = 1
    return {
        "Z": G @ a["Z"] @ G.T,
        "Y": G @ a["Y"],
        "x": G @ a["x"],
        "V": np.vstack([a["taxes"].sum(axis=0), a["va"]]) @ G.T,
    }


@pytest.fixture(params=["2021", "2023"])
def edition(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_reads_labels_merged_values_v_x_and_balance(tmp_path: Path, edition: str) -> None:
    path = write_icio_fixture(tmp_path, edition)
    assert oecd_icio.sniff(path)
    [t] = oecd_icio.read(path)
    e = merged_expected(edition)
    assert t.regions == COUNTRIES
    assert t.sectors == SECTORS[edition]
    assert t.categories == oecd_icio.CATEGORIES
    assert t.va_components == oecd_icio.VA_COMPONENTS
    assert t.meta.year == YEAR
    np.testing.assert_array_equal(t.Z, e["Z"])
    np.testing.assert_array_equal(t.Y, e["Y"])
    np.testing.assert_array_equal(t.x, e["x"])
    np.testing.assert_array_equal(t.V, e["V"])
    # MEX gathers MX1 and MX2: its row total is theirs, and the table balances both ways
    a = published_arrays(edition)
    np.testing.assert_array_equal(t.x[S : 2 * S], a["x"][3 * S : 4 * S] + a["x"][4 * S :])
    np.testing.assert_allclose(t.Z.sum(axis=1) + t.Y.sum(axis=1), t.x, rtol=0, atol=1e-9)
    np.testing.assert_allclose(t.Z.sum(axis=0) + t.V.sum(axis=0), t.x, rtol=0, atol=1e-9)
    assert "MX1, MX2 into MEX" in t.meta.notes
    t.validate().raise_if_failed(where=str(path))


def test_edition_metadata_and_provenance(tmp_path: Path) -> None:
    [t21] = oecd_icio.read(write_icio_fixture(tmp_path, "2021"))
    assert t21.meta.edition == "2021 edition"
    assert "3 REGION_TAXSUB rows" in t21.meta.notes
    folder = tmp_path / "ICIO2023_2016-2020"
    folder.mkdir()
    path = write_icio_fixture(folder, "2023")
    [t23] = oecd_icio.read(path)
    assert t23.meta.edition == "2023 edition"
    prov = oecd_icio.provenance(path)
    assert prov.edition == "2023 edition"
    assert prov.raw_files[0]["name"] == "2018.csv"
    assert "oe.cd/icio" in prov.citation


def test_sniff_refuses_other_csv(tmp_path: Path) -> None:
    other = tmp_path / "2018.csv"
    other.write_text("a,b\n1,2\n")
    assert not oecd_icio.sniff(other)
    renamed = write_icio_fixture(tmp_path, "2023").rename(tmp_path / "table.csv")
    assert not oecd_icio.sniff(renamed)


def _replace_line(path: Path, index: int, new: str | None) -> None:
    lines = path.read_text().splitlines()
    if new is None:
        del lines[index]
    else:
        lines[index] = new
    path.write_text("\n".join(lines) + "\n")


def test_non_numeric_cell_names_row_column_and_value(tmp_path: Path, edition: str) -> None:
    path = write_icio_fixture(tmp_path, edition)
    lines = path.read_text().splitlines()
    cells = lines[3].split(",")  # the third industry row: MEX's first sector
    cells[2] = "n/a"  # in the second industry column: AUS's second sector
    _replace_line(path, 3, ",".join(cells))
    with pytest.raises(ParseError) as info:
        oecd_icio.read(path)
    err = info.value
    sector = SECTORS[edition]
    assert err.path == str(path)
    assert err.row == f"MEX_{sector[0]}"
    assert err.column == f"AUS_{sector[1]}"
    assert err.value == "n/a"
    assert "non-numeric" in str(err)


def test_truncated_file(tmp_path: Path, edition: str) -> None:
    path = write_icio_fixture(tmp_path, edition)
    text = path.read_text()
    path.write_text(text[: len(text) // 2])  # ends within an industry row
    with pytest.raises(ParseError, match=r"truncated") as info:
        oecd_icio.read(path)
    assert info.value.path == str(path)


def test_missing_output_row(tmp_path: Path, edition: str) -> None:
    path = write_icio_fixture(tmp_path, edition)
    _replace_line(path, -1, None)
    with pytest.raises(ParseError, match=r"OUTPUT/OUT.*missing"):
        oecd_icio.read(path)


def test_published_output_must_match_sums(tmp_path: Path) -> None:
    path = write_icio_fixture(tmp_path, "2023")
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[-1] = repr(float(cells[-1]) + 5.0)  # AUS_A01_02's OUT column
    _replace_line(path, 1, ",".join(cells))
    with pytest.raises(ParseError, match=r"differs from row sums") as info:
        oecd_icio.read(path)
    assert info.value.row == "AUS_A01_02"
    assert info.value.column == "OUT"


def test_unexpected_row_below_industries(tmp_path: Path) -> None:
    path = write_icio_fixture(tmp_path, "2023")
    lines = path.read_text().splitlines()
    lines.insert(len(lines) - 1, "XYZ" + lines[-2][len("VA") :])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ParseError, match=r"unexpected row") as info:
        oecd_icio.read(path)
    assert info.value.value == "XYZ"


def test_decimal_comma_and_semicolons_are_refused(tmp_path: Path) -> None:
    path = write_icio_fixture(tmp_path, "2023")
    lines = path.read_text().splitlines()
    cells = lines[1].split(",")
    cells[1] = '"4,25"'
    _replace_line(path, 1, ",".join(cells))
    with pytest.raises(ParseError, match=r"decimal comma") as info:
        oecd_icio.read(path)
    assert info.value.value == "4,25"
    other = tmp_path / "semicolons"
    other.mkdir()
    semi = write_icio_fixture(other, "2023")
    semi.write_text(semi.read_text().replace(",", ";"))
    with pytest.raises(ParseError, match=r"semicolon"):
        oecd_icio.read(semi)


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = write_icio_fixture(tmp_path, "2021")
    raw = path.read_bytes()
    path.write_bytes(raw.replace(b"AUS_TAXSUB", "AUS_НАЛОГ".encode("cp1251"), 1))
    with pytest.raises(ParseError, match=r"not UTF-8") as info:
        oecd_icio.read(path)
    assert info.value.path == str(path)


def test_year_comes_from_file_name(tmp_path: Path) -> None:
    path = write_icio_fixture(tmp_path, "2023", year=2020)
    [t] = oecd_icio.read(path)
    assert t.meta.year == 2020
    bad = path.rename(tmp_path / "icio.csv")
    with pytest.raises(ParseError, match=r"year from the file name"):
        oecd_icio.read(bad)


@pytest.mark.parametrize("line", [1, 4])
def test_row_longer_than_header_is_refused(tmp_path: Path, line: int) -> None:
    path = write_icio_fixture(tmp_path, "2023")
    lines = path.read_text().splitlines()
    _replace_line(path, line, lines[line] + ",1.0")
    with pytest.raises(ParseError, match=r"more cells|malformed") as info:
        oecd_icio.read(path)
    assert info.value.path == str(path)
