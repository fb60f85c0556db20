"""pymrio-saved systems: pymrio's test system saved with ``save_all`` (text and Parquet) is read
with every array equal to pymrio's own frames, and a table written with ``write_pymrio`` is
loaded by ``pymrio.load_all`` and gives the footprint accounts Karavan computes.

``write_pymrio_fixture`` writes a small balanced system with pymrio's ``save_all`` for the
contract suite (the test system itself is not column-balanced, so it would not validate).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import LeontiefModel, MRIOTable, TableMetadata, footprint_accounts
from karavan.errors import NonFiniteError, ParseError
from karavan.sources import pymrio_io
from karavan.testing import assert_frame_allclose

RTOL = 1e-9
ACCOUNTS = ["D_cba", "D_pba", "D_imp", "D_exp", "D_cba_reg", "D_pba_reg", "D_imp_reg", "D_exp_reg"]


def _pymrio() -> Any:
    return pytest.importorskip("pymrio")


def write_pymrio_fixture(directory: Path) -> Path:
    """A balanced 2-region x 3-sector system saved by pymrio's ``save_all`` under ``directory``.

    Whole-number flows; value added (two components) closes every column exactly; emissions
    with a (stressor, compartment) index and final-demand emissions. Returns the system folder.
    """
    pymrio = _pymrio()
    regions, sectors, categories = ["north", "south"], ["agri", "ind", "serv"], ["hh", "gov"]
    industries = pd.MultiIndex.from_product([regions, sectors], names=["region", "sector"])
    final = pd.MultiIndex.from_product([regions, categories], names=["region", "category"])
    rng = np.random.default_rng(7)
    Z = pd.DataFrame(
        rng.integers(0, 20, (6, 6)).astype(float), index=industries, columns=industries
    )
    Y = pd.DataFrame(rng.integers(20, 60, (6, 4)).astype(float), index=industries, columns=final)
    x = Z.sum(axis=1) + Y.sum(axis=1)
    value_added = x - Z.sum(axis=0)
    wages = np.floor(value_added / 2)
    V = pd.DataFrame(
        [wages.to_numpy(), (value_added - wages).to_numpy()],
        index=pd.Index(["wages", "profits"], name="inputtype"),
        columns=industries,
    )
    stressor_index = pd.MultiIndex.from_tuples(
        [("co2", "air"), ("n", "water")], names=["stressor", "compartment"]
    )
    F = pd.DataFrame(rng.integers(0, 100, (2, 6)).astype(float), stressor_index, industries)
    F_Y = pd.DataFrame(rng.integers(0, 9, (2, 4)).astype(float), stressor_index, final)
    system = pymrio.IOSystem(
        Z=Z,
        Y=Y,
        unit=pd.DataFrame({"unit": ["M EUR"] * 6}, index=industries),
        name="balanced",
        description="small balanced system",
        factor_inputs={
            "name": "Factor Inputs",
            "F": V,
            "unit": pd.DataFrame({"unit": ["M EUR"] * 2}, index=V.index),
        },
        emissions={
            "name": "Emissions",
            "F": F,
            "F_Y": F_Y,
            "unit": pd.DataFrame({"unit": ["kt", "t"]}, index=stressor_index),
        },
    )
    path = Path(directory) / "pymrio_system"
    system.save_all(path)
    return path


# ---------------------------------------------------------------------- the saved test system
@pytest.fixture(scope="module")
def test_system() -> Any:
    return _pymrio().load_test()


@pytest.fixture(scope="module", params=["txt", "parquet"])
def saved(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp(f"pymrio_{request.param}") / "system"
    _pymrio().load_test().save_all(path, table_format=request.param)
    return path


@pytest.fixture(scope="module")
def saved_txt(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pymrio_txt") / "system"
    _pymrio().load_test().save_all(path)
    return path


def test_sniff(saved: Path, tmp_path: Path) -> None:
    assert pymrio_io.sniff(saved)
    assert not pymrio_io.sniff(saved / "emissions")  # an extension, not a system
    assert not pymrio_io.sniff(saved / "file_parameters.json")
    assert not pymrio_io.sniff(tmp_path)
    (tmp_path / "file_parameters.json").write_text("{not json")
    assert not pymrio_io.sniff(tmp_path)


def test_reads_every_array_as_saved(saved: Path, test_system: Any) -> None:
    (table,) = pymrio_io.read(saved)
    io = test_system
    assert table.regions == tuple(io.get_regions())
    assert table.sectors == tuple(io.get_sectors())
    assert table.categories == tuple(io.get_Y_categories())
    np.testing.assert_array_equal(table.Z, io.Z.to_numpy())
    np.testing.assert_array_equal(table.Y, io.Y.to_numpy())
    np.testing.assert_array_equal(table.x, _pymrio().calc_x(io.Z, io.Y)["indout"].to_numpy())
    assert table.va_components == ("Value Added",)
    np.testing.assert_array_equal(table.V, io.factor_inputs.F.to_numpy())
    assert table.stressors == ("emission_type1/air", "emission_type2/water")
    assert table.stressor_units == ("kg", "kg")
    np.testing.assert_array_equal(table.F, io.emissions.F.to_numpy())
    np.testing.assert_array_equal(table.F_Y, io.emissions.F_Y.to_numpy())
    assert table.meta.source == "pymrio"
    assert table.meta.edition == "testmrio"
    assert table.meta.unit == "Mill USD"
    assert "test mrio for pymrio" in table.meta.notes
    assert "x not saved" in table.meta.notes


def test_reads_saved_output_when_present(tmp_path: Path) -> None:
    pymrio = _pymrio()
    system = pymrio.load_test()
    system.calc_all()
    system.save_all(tmp_path / "system")
    (table,) = pymrio_io.read(tmp_path / "system")
    loaded = pymrio.load_all(tmp_path / "system")
    np.testing.assert_array_equal(table.x, loaded.x["indout"].to_numpy())
    np.testing.assert_array_equal(table.Z, loaded.Z.to_numpy())
    assert "x not saved" not in table.meta.notes
    assert len(table.stressors) == 2  # the derived accounts (S, M, D_cba, ...) are not stressors


def test_provenance_lists_every_file(saved_txt: Path) -> None:
    prov = pymrio_io.provenance(saved_txt)
    assert prov.source == "pymrio"
    assert prov.edition == "testmrio"
    names = {f["name"] for f in prov.raw_files}
    assert {"Z.txt", "Y.txt", "emissions/F.txt", "factor_inputs/F.txt"} <= names
    assert all(len(f["sha256"]) == 64 for f in prov.raw_files)


def test_fixture_is_a_valid_table(tmp_path: Path) -> None:
    (table,) = pymrio_io.read(write_pymrio_fixture(tmp_path))
    table.validate().raise_if_failed(where="fixture")
    assert table.va_components == ("wages", "profits")
    assert table.stressors == ("co2/air", "n/water")
    assert table.stressor_units == ("kt", "t")
    np.testing.assert_array_equal(table.x, table.Z.sum(axis=0) + table.V.sum(axis=0))


# ---------------------------------------------------------------------- writing
@pytest.fixture(scope="module")
def table(saved_txt: Path) -> MRIOTable:
    (read,) = pymrio_io.read(saved_txt)
    return read


def _relabel(frame: pd.DataFrame) -> pd.DataFrame:
    """A pymrio account with its rows named as Karavan names them."""
    index = pd.Index([str(v) for v in frame.index], name="account")
    return pd.DataFrame(frame.to_numpy(), index=index, columns=frame.columns)


def _assert_parity(actual: pd.DataFrame, expected: pd.DataFrame, name: str) -> None:
    atol = RTOL * float(np.abs(expected.to_numpy()).max())
    assert atol > 0, f"{name}: the reference is all zeros"
    assert_frame_allclose(actual, expected, rtol=RTOL, atol=atol, name=name)


def test_written_table_reads_back_bit_for_bit(table: MRIOTable, tmp_path: Path) -> None:
    out = pymrio_io.write_pymrio(table, tmp_path / "out")
    assert (out / "x.txt").is_file()
    (back,) = pymrio_io.read(out)
    for name in ("Z", "Y", "x", "V", "F", "F_Y"):
        np.testing.assert_array_equal(getattr(back, name), getattr(table, name), err_msg=name)
    assert (back.regions, back.sectors, back.categories) == (
        table.regions,
        table.sectors,
        table.categories,
    )
    assert back.stressors == table.stressors
    assert back.stressor_units == table.stressor_units
    assert back.va_components == table.va_components
    assert back.meta.edition == table.meta.edition
    assert back.meta.notes.endswith(f"read from {out}.")  # x was read, not computed


def test_write_refuses_an_existing_directory(table: MRIOTable, tmp_path: Path) -> None:
    with pytest.raises(FileExistsError):
        pymrio_io.write_pymrio(table, tmp_path)


def test_pymrio_loads_the_export_and_agrees(table: MRIOTable, tmp_path: Path) -> None:
    pymrio = _pymrio()
    out = pymrio_io.write_pymrio(table, tmp_path / "out")
    io = pymrio.load_all(out)
    np.testing.assert_array_equal(io.Z.to_numpy(), table.Z)
    np.testing.assert_array_equal(io.x["indout"].to_numpy(), table.x)
    assert list(io.stressors.unit["unit"]) == ["kg", "kg"]
    io.calc_all()
    model = LeontiefModel(table)
    stressors, value_added = footprint_accounts(model), footprint_accounts(model, "value_added")
    for account in ACCOUNTS:
        _assert_parity(
            getattr(stressors, account), _relabel(getattr(io.stressors, account)), account
        )
        _assert_parity(
            getattr(value_added, account), _relabel(getattr(io.factor_inputs, account)), account
        )


def test_table_without_stressors_writes_no_stressor_extension(tmp_path: Path) -> None:
    pymrio = _pymrio()
    plain = MRIOTable.from_arrays(
        regions=["a", "b"],
        sectors=["s"],
        categories=["hh"],
        Z=[[1.0, 2.0], [3.0, 4.0]],
        Y=[[5.0, 6.0], [7.0, 8.0]],
        meta=TableMetadata(edition="plain"),
    )
    out = pymrio_io.write_pymrio(plain, tmp_path / "out")
    assert not (out / "stressors").exists()
    io = pymrio.load_all(out)
    assert list(io.get_extensions()) == ["factor_inputs"]
    (back,) = pymrio_io.read(out)
    np.testing.assert_array_equal(back.V, plain.V)
    assert back.stressors == ()


# ---------------------------------------------------------------------- errors
def _copy(saved_txt: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(saved_txt, tmp_path / "copy"))


def test_missing_table_names_the_file(saved_txt: Path, tmp_path: Path) -> None:
    copy = _copy(saved_txt, tmp_path)
    (copy / "Z.txt").unlink()
    with pytest.raises(ParseError, match=r"Z\.txt") as info:
        pymrio_io.read(copy)
    assert info.value.path == str(copy / "Z.txt")


def test_missing_parameters_file(tmp_path: Path) -> None:
    with pytest.raises(ParseError, match=r"file_parameters\.json is missing"):
        pymrio_io.read(tmp_path)


def _replace_cell(path: Path, row: tuple[str, str], column: int, value: str) -> None:
    lines = path.read_text().split("\n")
    for i, line in enumerate(lines):
        cells = line.split("\t")
        if tuple(cells[:2]) == row:
            cells[2 + column] = value
            lines[i] = "\t".join(cells)
            break
    else:
        raise AssertionError(f"row {row} not in {path}")
    path.write_text("\n".join(lines))


def test_non_numeric_cell_names_row_column_value(saved_txt: Path, tmp_path: Path) -> None:
    copy = _copy(saved_txt, tmp_path)
    _replace_cell(copy / "Z.txt", ("reg1", "mining"), 9, "n/a?")  # column reg2/mining
    with pytest.raises(ParseError, match="non-numeric") as info:
        pymrio_io.read(copy)
    err = info.value
    assert (err.row, err.column, err.value) == ("reg1/mining", "reg2/mining", "n/a?")
    assert err.path == str(copy / "Z.txt")


def test_non_numeric_cell_in_an_extension(saved_txt: Path, tmp_path: Path) -> None:
    copy = _copy(saved_txt, tmp_path)
    _replace_cell(copy / "emissions" / "F.txt", ("emission_type2", "water"), 0, "lots")
    with pytest.raises(ParseError) as info:
        pymrio_io.read(copy)
    err = info.value
    assert (err.row, err.column, err.value) == ("emission_type2/water", "reg1/food", "lots")
    assert err.path == str(copy / "emissions" / "F.txt")


def test_empty_cell_is_reported(saved_txt: Path, tmp_path: Path) -> None:
    copy = _copy(saved_txt, tmp_path)
    _replace_cell(copy / "Y.txt", ("reg2", "food"), 0, "")
    with pytest.raises(NonFiniteError, match=r"Y holds 1 empty .* row reg2/food"):
        pymrio_io.read(copy)


def test_mismatched_labels(saved_txt: Path, tmp_path: Path) -> None:
    copy = _copy(saved_txt, tmp_path)
    text = (copy / "Y.txt").read_text().replace("reg3\tfood", "reg3\tfish", 1)
    (copy / "Y.txt").write_text(text)
    with pytest.raises(ParseError, match=r"Y rows must match Z's.*'reg3/food'.*'reg3/fish'"):
        pymrio_io.read(copy)


def test_final_demand_columns_must_be_region_major(saved_txt: Path, tmp_path: Path) -> None:
    copy = _copy(saved_txt, tmp_path)
    Y = pd.read_csv(copy / "Y.txt", sep="\t", index_col=[0, 1], header=[0, 1])
    Y[list(reversed(Y.columns))].to_csv(copy / "Y.txt", sep="\t")
    with pytest.raises(ParseError, match=r"Y columns must be every region x category"):
        pymrio_io.read(copy)


def test_unreadable_extension_parameters_raise_instead_of_dropping_the_extension(
    tmp_path: Path,
) -> None:
    """An extension whose file_parameters.json is damaged must not be skipped silently."""
    root = write_pymrio_fixture(tmp_path)
    damaged = next(p for p in sorted(root.iterdir()) if (p / "file_parameters.json").is_file())
    params = damaged / "file_parameters.json"
    params.write_text(params.read_text()[:10], encoding="utf-8")
    with pytest.raises(ParseError, match=rf"sub-directory '{damaged.name}' is not a readable"):
        pymrio_io.read(root)
