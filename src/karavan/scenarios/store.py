"""Saved scenario runs with their provenance, in a ``runs/`` folder of the data directory.

Layout (the caller passes the folder; nothing here reads settings)::

    RUNS_DIR/
      20261126T201500Z-belarus-electronics-1a2b3c4d/
        run.json            provenance (spec hash, dataset name, year and checksum, karavan
                            version, time), the spec, the result's notes and summary
        industries.parquet  region x sector changes
        closure.parquet     the bloc's closure before and after

A run is written into a hidden temporary folder and renamed into place when complete, so a
listing never shows half a run. Exports (CSV, Parquet, JSON) are written to a temporary file
beside the target and moved into place with ``os.replace``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from karavan.errors import DatasetNotFoundError, IntegrityError, ScenarioError
from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.spec import ScenarioSpec

__all__ = ["DatasetRef", "RunProvenance", "RunStore", "SavedRun", "compare_runs"]

RUN_FORMAT = "karavan-scenario-run"
RUN_VERSION = 1
ExportFormat = Literal["csv", "parquet", "json"]


def karavan_version() -> str:
    try:
        return version("karavan")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "unknown"


@dataclass(frozen=True)
class DatasetRef:
    """The baseline a run used: dataset name, year and a checksum of its stored arrays."""

    name: str
    year: int | None
    checksum: str


@dataclass(frozen=True)
class RunProvenance:
    run_id: str
    spec_name: str
    spec_hash: str
    dataset: str
    year: int | None
    dataset_checksum: str
    karavan_version: str
    created: str


@dataclass(frozen=True)
class SavedRun:
    provenance: RunProvenance
    spec: ScenarioSpec
    result: ScenarioResult

    def document(self) -> dict[str, Any]:
        """The run as one JSON document: provenance, spec, summary, notes and frames."""
        frames = {name: _records(frame) for name, frame in self.result.to_frames().items()}
        return {
            "provenance": asdict(self.provenance),
            "spec": self.spec.canonical(),
            "summary": self.result.summary(),
            "notes": list(self.result.notes),
            "frames": frames,
        }


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain JSON values (floats exact; NaN as null)."""
    rows = frame.reset_index().to_dict(orient="records")
    return [
        {
            str(k): (None if isinstance(v, float) and math.isnan(v) else _plain(v))
            for k, v in row.items()
        }
        for row in rows
    ]


def _plain(v: Any) -> Any:
    return v.item() if hasattr(v, "item") else v


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-")[:40] or "run"


class RunStore:
    """Scenario runs saved under ``root`` (``DATA_DIR/runs``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser()

    def save(self, spec: ScenarioSpec, result: ScenarioResult, dataset: DatasetRef) -> SavedRun:
        """Write a run atomically; returns it with its provenance (``run_id`` names it)."""
        now = datetime.now(UTC)
        run_id = f"{now:%Y%m%dT%H%M%S%fZ}-{_slug(spec.name)}-{result.spec_hash[:8]}"
        prov = RunProvenance(
            run_id=run_id,
            spec_name=spec.name,
            spec_hash=result.spec_hash,
            dataset=dataset.name,
            year=dataset.year,
            dataset_checksum=dataset.checksum,
            karavan_version=karavan_version(),
            created=now.isoformat(timespec="seconds"),
        )
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            doc = {
                "format": RUN_FORMAT,
                "format_version": RUN_VERSION,
                "provenance": asdict(prov),
                "spec": spec.canonical(),
                "result": result.meta(),
                "summary": result.summary(),
            }
            (tmp / "run.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
            result.industries.to_parquet(tmp / "industries.parquet")
            result.closure.to_parquet(tmp / "closure.parquet")
            os.rename(tmp, self.root / run_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return SavedRun(prov, spec, result)

    def list(self) -> list[RunProvenance]:
        """Saved runs, oldest first."""
        if not self.root.is_dir():
            return []
        out = []
        for p in sorted(self.root.iterdir()):
            if not p.name.startswith(".") and (p / "run.json").is_file():
                out.append(self._read(p)[0])
        return out

    def load(self, run_id: str) -> SavedRun:
        """A saved run by id (or by a unique prefix of it)."""
        path = self._path(run_id)
        prov, doc = self._read(path)
        result = ScenarioResult.from_parts(
            doc["result"],
            pd.read_parquet(path / "industries.parquet"),
            pd.read_parquet(path / "closure.parquet"),
        )
        if result.spec_hash != prov.spec_hash:
            raise IntegrityError(f"{path}: the result's spec hash differs from the run's")
        return SavedRun(prov, ScenarioSpec.parse(doc["spec"], source=str(path)), result)

    def export(self, run_id: str, fmt: ExportFormat, output: Path) -> Path:
        """Write a run to ``output``: ``json`` the whole document; ``csv`` / ``parquet`` the
        region x sector changes with the region totals and the closure in long form
        (``frame, region, sector, measure, value``)."""
        run = self.load(run_id)
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            if fmt == "json":
                tmp.write_text(json.dumps(run.document(), indent=1), encoding="utf-8")
            elif fmt in ("csv", "parquet"):
                long = _long(run.result)
                if fmt == "csv":
                    long.to_csv(tmp, index=False)
                else:
                    long.to_parquet(tmp, index=False)
            else:
                raise ScenarioError(f"unknown export format {fmt!r}; allowed: csv, parquet, json")
            os.replace(tmp, output)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return output

    # ------------------------------------------------------------------ internals
    def _path(self, run_id: str) -> Path:
        exact = self.root / run_id
        if run_id and (exact / "run.json").is_file():
            return exact
        ids = [p.run_id for p in self.list()]
        hits = [i for i in ids if i.startswith(run_id)] if run_id else []
        if len(hits) == 1:
            return self.root / hits[0]
        what = "matches several runs" if hits else "names no saved run"
        raise DatasetNotFoundError(
            f"{run_id!r} {what} in {self.root}; saved: {', '.join(ids) or 'none'}"
        )

    def _read(self, path: Path) -> tuple[RunProvenance, dict[str, Any]]:
        doc = json.loads((path / "run.json").read_text(encoding="utf-8"))
        if doc.get("format") != RUN_FORMAT:
            raise IntegrityError(f"{path / 'run.json'} is not a Karavan scenario run")
        return RunProvenance(**doc["provenance"]), doc


def _long(result: ScenarioResult) -> pd.DataFrame:
    ind = result.industries.reset_index().melt(
        id_vars=["region", "sector"], var_name="measure", value_name="value"
    )
    ind.insert(0, "frame", "industries")
    reg = (
        result.regions()
        .reset_index()
        .melt(id_vars=["region"], var_name="measure", value_name="value")
    )
    reg.insert(0, "frame", "regions")
    reg.insert(2, "sector", "")
    clo = result.closure.reset_index().melt(
        id_vars=["when"], var_name="measure", value_name="value"
    )
    clo = clo.rename(columns={"when": "region"})  # the region column holds before / after
    clo.insert(0, "frame", "closure")
    clo.insert(2, "sector", "")
    out: pd.DataFrame = pd.concat([ind, reg, clo], ignore_index=True)
    return out


def compare_runs(a: SavedRun, b: SavedRun) -> pd.DataFrame:
    """Two runs' summaries side by side (rows: the measures; columns: the two run ids and
    ``b - a`` for numbers)."""
    sa, sb = a.result.summary(), b.result.summary()
    keys = list(dict.fromkeys([*sa, *sb]))
    rows = []
    for k in keys:
        va, vb = sa.get(k), sb.get(k)
        diff = vb - va if isinstance(va, float) and isinstance(vb, float) else None
        rows.append((k, va, vb, diff))
    ida, idb = a.provenance.run_id, b.provenance.run_id
    if ida == idb:
        idb = f"{idb} (again)"
    return pd.DataFrame(rows, columns=["measure", ida, idb, "difference"]).set_index("measure")
