"""The data directory: listing, loading by year, atomic writes, provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from karavan.datastore import DataStore, Provenance
from karavan.errors import DatasetError, DatasetExistsError, DatasetNotFoundError
from tests.conftest import small_table

PROV = Provenance(source="test", licence="CC0", citation="Nobody (2024)")


def _years(*years: int):  # type: ignore[no-untyped-def]
    return [small_table(seed=y).with_meta(year=y) for y in years]


def test_save_list_load(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    info = store.save("demo", _years(2010, 2011), PROV, title="Demo")
    assert info.years == (2010, 2011)
    assert [d.name for d in store.list()] == ["demo"]
    t = store.load("demo", 2011)
    assert t.meta.year == 2011
    assert np.array_equal(t.Z, small_table(seed=2011).Z)
    assert store.info("demo").provenance.citation == "Nobody (2024)"


def test_year_must_be_chosen_when_several(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    store.save("demo", _years(2010, 2011), PROV)
    with pytest.raises(DatasetNotFoundError, match=r"holds 2 years \(2010, 2011\); choose one"):
        store.load("demo")
    with pytest.raises(DatasetNotFoundError, match=r"has no year 1999 \(it has 2010, 2011\)"):
        store.load("demo", 1999)


def test_one_year_dataset_needs_no_year(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    store.save("one", _years(2005), PROV)
    assert store.load("one").meta.year == 2005


def test_create_refuses_existing_name(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    store.save("demo", _years(2010), PROV)
    with pytest.raises(DatasetExistsError, match="exists"):
        store.save("demo", _years(2011), PROV)
    assert store.info("demo").years == (2010,)


def test_add_merges_years_and_raw_files(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    a = Provenance(source="s", raw_files=({"name": "a", "sha256": "1"},))
    b = Provenance(source="s", raw_files=({"name": "b", "sha256": "2"},))
    store.save("demo", _years(2010), a)
    info = store.save("demo", _years(2011), b, mode="add")
    assert info.years == (2010, 2011)
    assert [f["name"] for f in info.provenance.raw_files] == ["a", "b"]


def test_failed_write_leaves_nothing(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    store.save("demo", _years(2010), PROV)
    before = sorted(p.name for p in tmp_path.iterdir())

    def broken():  # type: ignore[no-untyped-def]
        yield small_table(seed=1).with_meta(year=2011)
        raise OSError("disk full (simulated)")

    with pytest.raises(OSError, match="disk full"):
        store.save("demo", broken(), PROV, mode="add")
    with pytest.raises(OSError, match="disk full"):
        store.save("fresh", broken(), PROV)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert store.info("demo").years == (2010,)
    assert [d.name for d in store.list()] == ["demo"]


def test_invalid_names_are_refused(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    for bad in ("../escape", "", ".hidden", "a/b", "x" * 65):
        with pytest.raises(DatasetError, match="invalid dataset name"):
            store.save(bad, _years(2010), PROV)


def test_user_dataset_shadows_builtin(tmp_path: Path) -> None:
    builtin = tmp_path / "builtin"
    DataStore(builtin, builtin_root=None).save("same", _years(2000), PROV)
    store = DataStore(tmp_path / "user", builtin_root=builtin)
    assert [(d.name, d.builtin) for d in store.list()] == [("same", True)]
    store.save("same", _years(2001), PROV)
    assert [(d.name, d.builtin, d.years) for d in store.list()] == [("same", False, (2001,))]


def test_remove(tmp_path: Path) -> None:
    store = DataStore(tmp_path, builtin_root=None)
    store.save("demo", _years(2010), PROV)
    store.remove("demo")
    assert store.list() == []
    with pytest.raises(DatasetNotFoundError):
        store.remove("demo")
