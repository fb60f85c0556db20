"""One contract suite over every loader registered in ``karavan.sources.formats``.

Each :class:`Case` names a format, writes its fixture into ``tmp_path``, builds the table the
fixture must read as, and writes a corrupted copy. For every case the suite checks that

- ``read_path(path, fmt)`` and ``read_path(path)`` (format detection) both read it;
- labels (regions, sectors, categories, value-added components, stressors) are as expected;
- arrays equal the expected table's (``assert_table_allclose``);
- the table balances (``validate`` passes) and carries source, year, currency and unit;
- the corrupted copy (a non-numeric cell or a truncated file) raises a ``SourceError``
  subclass whose message names the file.

To add a loader: add a ``Case`` to ``CASES`` (or, for the loaders being written now, see
``PENDING`` below). A case whose format is not registered in ``FORMATS`` is skipped, naming
the reason.
"""

from __future__ import annotations

import importlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from karavan.core import MRIOTable, TableMetadata
from karavan.errors import SourceError
from karavan.sources import generic
from karavan.sources.formats import FORMATS, read_path
from karavan.sources.native import write_table
from karavan.sources.wiod2013_labels import CATEGORIES, VA_ROWS
from karavan.testing import assert_table_allclose
from tests.conftest import small_table
from tests.unit.sources import test_wiod2013 as wiod_fixtures

META_FIELDS = ("source", "year", "currency", "unit")


@dataclass(frozen=True)
class Case:
    """One loader under contract.

    ``write(directory)`` writes the fixture and returns its path; ``expected()`` is the table
    it must read as (labels and arrays; ``None`` only for a pending loader, whose arrays are
    then checked for agreement between the two ways of reading); ``meta`` the metadata
    values expected; ``corrupt(path)`` writes a damaged copy beside it and returns its path.
    ``known_failures`` marks contract tests a loader is known to fail, with the defect, as
    strict xfails: the suite stays green, and turns red the day the defect is fixed, so that
    the entry is removed.
    """

    id: str
    fmt: str
    write: Callable[[Path], Path]
    expected: Callable[[], MRIOTable] | None
    meta: dict[str, Any]
    corrupt: Callable[[Path], Path]
    known_failures: tuple[tuple[str, str], ...] = ()  # (test name, defect): strict xfail


# ---------------------------------------------------------------------- corruptions
def _copy_target(path: Path) -> Path:
    target = path.parent / "corrupt" / path.name
    target.parent.mkdir()
    return target


def truncate(path: Path) -> Path:
    """The file cut to half its length (for a directory: its largest file cut)."""
    target = _copy_target(path)
    if path.is_dir():
        shutil.copytree(path, target)
        victim = max((p for p in target.rglob("*") if p.is_file()), key=lambda p: p.stat().st_size)
    else:
        shutil.copyfile(path, target)
        victim = target
    victim.write_bytes(victim.read_bytes()[: victim.stat().st_size // 2])
    return target


def non_numeric_cell(old: str, new: str = "abc") -> Callable[[Path], Path]:
    """Replace the first occurrence of the cell text ``old`` with ``new`` in a text file."""

    def corrupt(path: Path) -> Path:
        target = _copy_target(path)
        text = path.read_text(encoding="utf-8")
        assert old in text, f"fixture {path} has no cell {old!r} to corrupt"
        target.write_text(text.replace(old, new, 1), encoding="utf-8")
        for side in (generic.sidecar_path(path),):
            if side.is_file():
                shutil.copyfile(side, generic.sidecar_path(target))
        return target

    return corrupt


# ---------------------------------------------------------------------- native and generic
def _small() -> MRIOTable:
    return small_table().with_meta(currency="RUB", unit="million")


def _write_native(directory: Path) -> Path:
    path = directory / "table"
    write_table(_small(), path)
    return path


def _writer(fn: Callable[[MRIOTable, Path], None], name: str) -> Callable[[Path], Path]:
    def write(directory: Path) -> Path:
        path = directory / name
        fn(_small(), path)
        return path

    return write


def _first_z_cell() -> str:
    return repr(float(_small().Z[0, 0]))


SMALL_META = {"source": "test", "year": 2011, "currency": "RUB", "unit": "million"}


# ---------------------------------------------------------------------- WIOD 2013
def _wiod_rdata_expected() -> MRIOTable:
    Z, Y, x = wiod_fixtures.wiot_arrays()
    return MRIOTable.from_arrays(
        regions=wiod_fixtures.REGIONS,
        sectors=wiod_fixtures.LABELS,
        categories=CATEGORIES,
        Z=Z,
        Y=Y,
        x=x,
    )


def _wiod_xlsx_expected() -> MRIOTable:
    Z, Y, x, V = wiod_fixtures.sheet_numbers()
    return MRIOTable.from_arrays(
        regions=wiod_fixtures.REGIONS,
        sectors=wiod_fixtures.LABELS,
        categories=CATEGORIES,
        Z=Z,
        Y=Y,
        x=x,
        V=V,
        va_components=list(VA_ROWS.values()),
    )


WIOD_META = {"source": "WIOD", "year": 2011, "currency": "USD", "unit": "million"}

CASES: list[Case] = [
    Case("native", "native", _write_native, _small, SMALL_META, truncate),
    Case(
        "wiod2013-rdata",
        "wiod2013-rdata",
        lambda d: wiod_fixtures.write_rdata(d / "wiot_2011.RData"),
        _wiod_rdata_expected,
        WIOD_META,
        truncate,
    ),
    Case(
        "wiod2013-xlsx",
        "wiod2013-xlsx",
        lambda d: wiod_fixtures.write_xlsx(d / wiod_fixtures.XLSX_NAME),
        _wiod_xlsx_expected,
        WIOD_META,
        truncate,
    ),
    Case(
        "generic-long-csv",
        "generic-long",
        _writer(generic.write_long, "table.csv"),
        _small,
        SMALL_META,
        non_numeric_cell(_first_z_cell()),
    ),
    Case(
        "generic-long-parquet",
        "generic-long",
        _writer(generic.write_long, "table.parquet"),
        _small,
        SMALL_META,
        truncate,
    ),
    Case(
        "generic-wide",
        "generic-wide",
        _writer(generic.write_wide, "table.csv"),
        _small,
        SMALL_META,
        non_numeric_cell(_first_z_cell()),
    ),
]


# ---------------------------------------------------------------------- PENDING loaders
# Loaders being written alongside this suite. Each joins the contract as soon as BOTH its
# fixture writer exists in the named test module AND its format name is registered in
# karavan.sources.formats.FORMATS; until then it is collected as a skip that says which is
# missing. Their expected table is None (arrays checked for agreement between read_path with
# and without the format name): replace it with a builder from the fixture's own numbers.
#   (format name, test module, fixture writer, how to call it, metadata expected,
#    known failures)
Pending = tuple[
    str, str, str, Callable[[Callable[..., Path], Path], Path], dict[str, Any], tuple[Any, ...]
]
PENDING: list[Pending] = [
    (
        "oecd-icio",
        "tests.unit.sources.test_oecd_icio",
        "write_icio_fixture",
        lambda fn, d: fn(d, "2023"),
        {"year": 2018},
        (),
    ),
    (
        "pymrio",
        "tests.unit.sources.test_pymrio_io",
        "write_pymrio_fixture",
        lambda fn, d: fn(d),
        {},
        (
            (
                "test_metadata_is_present",
                "the pymrio fixture sets no IOSystem.year and the loader leaves year None and "
                "currency '' (unit 'M EUR' is not split into currency and unit)",
            ),
        ),
    ),
]


def _pending_params() -> list[Any]:
    params: list[Any] = []
    for fmt, module, function, call, meta, known in PENDING:
        reason = ""
        try:
            writer = getattr(importlib.import_module(module), function, None)
        except ImportError as exc:
            writer, reason = None, f"{module} cannot be imported ({exc})"
        if writer is None and not reason:
            reason = f"{module}.{function} does not exist yet"
        elif fmt not in FORMATS:
            reason = f"format {fmt!r} is not registered in karavan.sources.formats.FORMATS yet"
        if reason:
            params.append(pytest.param(None, id=fmt, marks=pytest.mark.skip(reason=reason)))
            continue

        def write(d: Path, call: Any = call, writer: Any = writer) -> Path:
            return Path(call(writer, d))

        params.append(pytest.param(Case(fmt, fmt, write, None, meta, truncate, known), id=fmt))
    return params


PARAMS = [pytest.param(c, id=c.id) for c in CASES] + _pending_params()


# ---------------------------------------------------------------------- the contract
@pytest.fixture(params=PARAMS)
def case(request: pytest.FixtureRequest) -> Case:
    c: Case = request.param
    if c.fmt not in FORMATS:
        pytest.skip(f"format {c.fmt!r} is not registered in karavan.sources.formats.FORMATS")
    test = request.node.originalname
    for name, defect in c.known_failures:
        if name == test:
            request.applymarker(pytest.mark.xfail(strict=True, reason=f"{c.fmt}: {defect}"))
    return c


@pytest.fixture
def written(case: Case, tmp_path: Path) -> Path:
    return case.write(tmp_path)


def test_reads_by_name_and_by_detection(case: Case, written: Path) -> None:
    named, prov_named = read_path(written, case.fmt)
    detected, prov_detected = read_path(written)
    assert len(named) == len(detected) == 1
    assert_table_allclose(detected[0], named[0], rtol=0.0)
    assert prov_detected == prov_named
    assert prov_named.source


def test_labels_and_arrays_equal_the_expected_table(case: Case, written: Path) -> None:
    [table], _ = read_path(written, case.fmt)
    assert table.regions
    assert table.sectors
    assert table.categories
    if case.expected is None:
        for name in ("Z", "Y", "x", "V", "F", "F_Y"):
            assert np.isfinite(getattr(table, name)).all(), name
        return
    expected = case.expected()
    assert (table.regions, table.sectors, table.categories) == (
        expected.regions,
        expected.sectors,
        expected.categories,
    )
    # metadata is checked field by field below; here labels, units and arrays
    assert_table_allclose(table, expected.with_meta(**_meta_dict(table.meta)), rtol=1e-12)


def _meta_dict(meta: TableMetadata) -> dict[str, Any]:
    return {k: getattr(meta, k) for k in TableMetadata.__dataclass_fields__}


def test_balances(case: Case, written: Path) -> None:
    [table], _ = read_path(written, case.fmt, validate=False)
    report = table.validate()
    assert report.passed, report


def test_metadata_is_present(case: Case, written: Path) -> None:
    [table], _ = read_path(written, case.fmt)
    for field in META_FIELDS:
        assert getattr(table.meta, field) not in (None, ""), field
    for field, value in case.meta.items():
        assert getattr(table.meta, field) == value, field


@pytest.mark.parametrize("detect", [False, True], ids=["named", "detected"])
def test_corrupt_copy_raises_a_source_error_naming_the_file(
    case: Case, written: Path, detect: bool
) -> None:
    bad = case.corrupt(written)
    with pytest.raises(SourceError) as err:
        read_path(bad, None if detect else case.fmt)
    assert str(bad) in str(err.value)
