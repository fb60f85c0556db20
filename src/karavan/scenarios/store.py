"""Saved scenario runs with their provenance, in a ``runs/`` folder of the data directory.

Layout (the caller passes the folder; nothing here reads settings)::

    RUNS_DIR/
      20261126T201500Z-belarus-electronics-1a2b3c4d/
        run.json            provenance (spec hash, dataset name, year and checksum, karavan
                            version, time), the spec, the result's notes and summary
        industries.parquet  region x sector changes
        closure.parquet     the bloc's closure before and after

A Monte Carlo run (``kind`` ``monte_carlo`` in its provenance, with ``seed``, ``method`` and
``draws``) keeps ``run.json`` (its ``summary`` the headline outputs' mean and percentiles) and
``montecarlo.parquet``: every saved frame in one long table (``frame``, the labels of the
entry, ``value``; see :func:`monte_carlo_long`).

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

__all__ = [
    "DatasetRef",
    "RunProvenance",
    "RunStore",
    "SavedMonteCarlo",
    "SavedRun",
    "compare_runs",
    "monte_carlo_long",
]

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
    kind: str = "scenario"
    """``scenario`` (one deterministic run) or ``monte_carlo``."""
    seed: int | None = None
    method: str | None = None
    draws: int | None = None


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


@dataclass(frozen=True)
class SavedMonteCarlo:
    """A saved Monte Carlo run: provenance (with seed, method and number of draws), the spec
    with its distributions, the headline summary and every saved frame in long form."""

    provenance: RunProvenance
    spec: ScenarioSpec
    summary: dict[str, Any]
    long: pd.DataFrame

    def frames(self) -> dict[str, pd.DataFrame]:
        """The long table split by ``frame``, each without its empty label columns."""
        out = {}
        for name, part in self.long.groupby("frame", sort=False):
            part = part.drop(columns="frame").dropna(axis=1, how="all")
            out[str(name)] = part.reset_index(drop=True)
        return out

    def document(self) -> dict[str, Any]:
        """The run as one JSON document: provenance, spec, summary and frames as records."""
        return {
            "provenance": asdict(self.provenance),
            "spec": self.spec.canonical(),
            "summary": self.summary,
            "frames": {name: _records(f, index=False) for name, f in self.frames().items()},
        }


LONG_LABELS = (
    "draw",
    "output",
    "region",
    "sector",
    "when",
    "entry",
    "measure",
    "statistic",
    "parameter",
)


def _long_one(frame: pd.DataFrame) -> pd.DataFrame:
    if isinstance(frame.index, pd.RangeIndex) and frame.index.name is None:
        ids = [c for c in frame.columns if c in LONG_LABELS]
        return frame.melt(id_vars=ids, var_name="measure", value_name="value")
    f = frame.copy()
    f.index = f.index.set_names([_label(n) for n in f.index.names])
    f.columns = f.columns.set_names([_label(n) for n in f.columns.names])
    stacked = f.stack(list(range(f.columns.nlevels)), future_stack=True)
    assert isinstance(stacked, pd.Series)  # every column level stacked
    return stacked.rename("value").reset_index()


def _label(name: Any) -> str:
    return "measure" if name is None or str(name).startswith("level_") else str(name)


def monte_carlo_long(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Frames (draws x entries, entries x statistics, entries x parameters, ...) as one long
    table: ``frame``, the label columns among :data:`LONG_LABELS` that occur (unnamed levels
    are called ``measure``; empty where a frame has no such label) and ``value``."""
    parts = []
    for name, frame in frames.items():
        part = _long_one(frame)
        part.insert(0, "frame", name)
        parts.append(part)
    long = pd.concat(parts, ignore_index=True)
    labels = [c for c in LONG_LABELS if c in long.columns]
    unknown = [c for c in long.columns if c not in ("frame", "value", *labels)]
    if unknown:
        raise ScenarioError(f"cannot save frames with labels {unknown}")
    long = long[["frame", *labels, "value"]]
    for c in labels:
        if c == "draw":
            long[c] = long[c].astype("Int64")
        else:
            long[c] = long[c].astype("string")
    long["value"] = long["value"].astype("float64")
    return long


def _records(frame: pd.DataFrame, *, index: bool = True) -> list[dict[str, Any]]:
    """Rows as plain JSON values (floats exact; NaN and missing labels as null)."""
    rows = (frame.reset_index() if index else frame).to_dict(orient="records")
    return [
        {
            str(k): (None if v is pd.NA or (isinstance(v, float) and math.isnan(v)) else _plain(v))
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

    def save_monte_carlo(
        self,
        spec: ScenarioSpec,
        frames: dict[str, pd.DataFrame],
        summary: dict[str, Any],
        dataset: DatasetRef,
        *,
        seed: int | None,
        method: str,
        draws: int,
    ) -> SavedMonteCarlo:
        """Write a Monte Carlo run atomically: ``frames`` (see :func:`monte_carlo_long`) and the
        JSON-ready ``summary``, with the provenance of the draws (``seed``, ``method``,
        ``draws``)."""
        now = datetime.now(UTC)
        spec_hash = spec.spec_hash()
        run_id = f"{now:%Y%m%dT%H%M%S%fZ}-{_slug(spec.name)}-mc-{spec_hash[:8]}"
        prov = RunProvenance(
            run_id=run_id,
            spec_name=spec.name,
            spec_hash=spec_hash,
            dataset=dataset.name,
            year=dataset.year,
            dataset_checksum=dataset.checksum,
            karavan_version=karavan_version(),
            created=now.isoformat(timespec="seconds"),
            kind="monte_carlo",
            seed=seed,
            method=method,
            draws=draws,
        )
        long = monte_carlo_long(frames)
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=self.root))
        try:
            doc = {
                "format": RUN_FORMAT,
                "format_version": RUN_VERSION,
                "provenance": asdict(prov),
                "spec": spec.canonical(),
                "summary": summary,
            }
            (tmp / "run.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
            long.to_parquet(tmp / "montecarlo.parquet", index=False)
            os.rename(tmp, self.root / run_id)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return SavedMonteCarlo(prov, spec, summary, long)

    def load_monte_carlo(self, run_id: str) -> SavedMonteCarlo:
        """A saved Monte Carlo run by id (or by a unique prefix of it)."""
        path = self._path(run_id)
        prov, doc = self._read(path)
        if prov.kind != "monte_carlo":
            raise ScenarioError(f"run {prov.run_id} is not a Monte Carlo run")
        spec = ScenarioSpec.parse(doc["spec"], source=str(path))
        if spec.spec_hash() != prov.spec_hash:
            raise IntegrityError(f"{path}: the spec's hash differs from the run's")
        long = pd.read_parquet(path / "montecarlo.parquet")
        return SavedMonteCarlo(prov, spec, dict(doc["summary"]), long)

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
        if prov.kind != "scenario":
            raise ScenarioError(
                f"run {prov.run_id} is a Monte Carlo run; compare deterministic runs, or "
                "export it (karavan scenario export)"
            )
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
        (``frame, region, sector, measure, value``); for a Monte Carlo run, ``json`` the
        provenance, spec, summary and frames as records, ``csv`` / ``parquet`` the long table
        of :func:`monte_carlo_long`."""
        prov, _ = self._read(self._path(run_id))
        run: SavedRun | SavedMonteCarlo
        run = self.load_monte_carlo(run_id) if prov.kind == "monte_carlo" else self.load(run_id)
        output = Path(output)
        output.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=f".{output.name}.", dir=output.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            if fmt == "json":
                tmp.write_text(json.dumps(run.document(), indent=1), encoding="utf-8")
            elif fmt in ("csv", "parquet"):
                long = run.long if isinstance(run, SavedMonteCarlo) else _long(run.result)
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
