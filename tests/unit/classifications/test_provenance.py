"""The shipped files record the raw files they come from; with ../shared/data, the recorded
sha256 match and a rebuild reproduces the shipped files exactly."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pandas as pd
import pytest

from karavan.classifications.store import CLASSIFICATIONS_DATA, MACRO_DATA

REPO = Path(__file__).resolve().parents[3]


def _provenance() -> pd.DataFrame:
    frames = [pd.read_csv(d / "provenance.csv") for d in (CLASSIFICATIONS_DATA, MACRO_DATA)]
    return pd.concat(frames, ignore_index=True)


def test_every_derived_file_has_provenance_and_a_readme() -> None:
    prov = _provenance()
    assert len(prov) == 8
    assert prov["sha256"].str.fullmatch(r"[0-9a-f]{64}").all()
    for folder in (CLASSIFICATIONS_DATA, MACRO_DATA):
        readme = (folder / "README.md").read_text(encoding="utf-8")
        for row in pd.read_csv(folder / "provenance.csv").itertuples():
            assert (folder / str(row.derived)).is_file()
            assert str(row.sha256) in readme


@pytest.mark.shared
def test_recorded_sha256_match_the_raw_files(shared_data: Path) -> None:
    for row in _provenance().itertuples():
        digest = hashlib.sha256((shared_data / str(row.raw)).read_bytes()).hexdigest()
        assert digest == row.sha256, row.raw


@pytest.mark.shared
def test_rebuild_reproduces_the_shipped_files(shared_data: Path, tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "build_classifications", REPO / "scripts" / "build_classifications.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "data"
    (out).mkdir()
    (out / "sectors_wiod35.csv").write_bytes(
        (CLASSIFICATIONS_DATA.parent / "sectors_wiod35.csv").read_bytes()
    )
    module.main(["--shared", str(shared_data), "--out", str(out)])
    for folder in (CLASSIFICATIONS_DATA, MACRO_DATA):
        for path in folder.iterdir():
            if path.name == "README.md":
                continue
            rebuilt = out / folder.name / path.name
            if path.suffix == ".parquet":
                pd.testing.assert_frame_equal(pd.read_parquet(rebuilt), pd.read_parquet(path))
            else:
                assert rebuilt.read_bytes() == path.read_bytes(), path.name
