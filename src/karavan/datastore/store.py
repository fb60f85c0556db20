"""The local data directory: named datasets, each one or more yearly tables with provenance.

Layout::

    DATA_DIR/
      NAME/
        dataset.json        name, title, provenance (source, licence, citation, raw-file
                            checksums), the tables it holds by year
        2011/               one native table directory (see karavan.sources.native)
        2010/ ...

Writes are atomic: a table is written into a hidden temporary directory inside ``DATA_DIR`` and
renamed into place only when complete; ``dataset.json`` is replaced with ``os.replace``. A failed
or interrupted import leaves no trace in the listing, and the next write clears its leftovers.

Built-in datasets ship inside the package (``karavan/data/builtin``) and are read-only.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from karavan.core.table import MRIOTable
from karavan.errors import DatasetError, DatasetExistsError, DatasetNotFoundError, ParseError
from karavan.sources.native import read_table, write_table
from karavan.sources.provenance import Provenance

__all__ = ["BUILTIN_ROOT", "DataStore", "DatasetInfo", "Provenance"]

BUILTIN_ROOT = Path(__file__).resolve().parent.parent / "data" / "builtin"
DATASET_FORMAT = "karavan-dataset"
DATASET_VERSION = 1
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    path: Path
    title: str
    years: tuple[int | None, ...]
    provenance: Provenance
    builtin: bool
    created: str = ""
    updated: str = ""
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "years": list(self.years),
            "builtin": self.builtin,
            "path": str(self.path),
            "created": self.created,
            "updated": self.updated,
            "provenance": self.provenance.to_dict(),
        }

    def checksum(self, year: int | None) -> str:
        """sha256 over the stored arrays' sha256s (``table.json``) of one year: what a saved
        scenario run records of the data it ran on."""
        meta = json.loads((self.path / _key(year) / "table.json").read_text(encoding="utf-8"))
        sums = {name: a["sha256"] for name, a in sorted(meta["arrays"].items())}
        return hashlib.sha256(json.dumps(sums, sort_keys=True).encode("utf-8")).hexdigest()


def _key(year: int | None) -> str:
    return "table" if year is None else str(int(year))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class DataStore:
    """Named datasets in ``root`` plus the read-only built-in ones."""

    def __init__(self, root: Path, *, builtin_root: Path | None = BUILTIN_ROOT) -> None:
        self.root = Path(root).expanduser()
        self.builtin_root = builtin_root

    # ------------------------------------------------------------------ reading
    def _dirs(self) -> Iterator[tuple[Path, bool]]:
        if self.root.is_dir():
            for p in sorted(self.root.iterdir()):
                if not p.name.startswith(".") and (p / "dataset.json").is_file():
                    yield p, False
        if self.builtin_root is not None and self.builtin_root.is_dir():
            for p in sorted(self.builtin_root.iterdir()):
                if (p / "dataset.json").is_file():
                    yield p, True

    def list(self) -> list[DatasetInfo]:
        seen: set[str] = set()
        out = []
        for path, builtin in self._dirs():
            if path.name in seen:  # a user dataset of the same name shadows a built-in one
                continue
            seen.add(path.name)
            out.append(self._read_info(path, builtin))
        return out

    def info(self, name: str) -> DatasetInfo:
        for path, builtin in self._dirs():
            if path.name == name:
                return self._read_info(path, builtin)
        known = ", ".join(d.name for d in self.list()) or "none"
        raise DatasetNotFoundError(f"no dataset named {name!r} in {self.root} (available: {known})")

    def _read_info(self, path: Path, builtin: bool) -> DatasetInfo:
        desc_path = path / "dataset.json"
        try:
            d = json.loads(desc_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ParseError(
                f"dataset.json is not valid JSON: {exc}", path=str(desc_path)
            ) from None
        if d.get("format") != DATASET_FORMAT:
            raise ParseError(
                "not a Karavan dataset", path=str(desc_path), column="format", value=d.get("format")
            )
        tables: dict[str, dict[str, Any]] = d.get("tables", {})
        years = tuple(
            sorted((t.get("year") for t in tables.values()), key=lambda y: (y is None, y or 0))
        )
        return DatasetInfo(
            name=path.name,
            path=path,
            title=d.get("title", ""),
            years=years,
            provenance=Provenance.from_dict(d.get("provenance", {})),
            builtin=builtin,
            created=d.get("created", ""),
            updated=d.get("updated", ""),
            tables=tables,
        )

    def resolve_year(self, info: DatasetInfo, year: int | None) -> int | None:
        if year is None:
            if len(info.years) == 1:
                return info.years[0]
            raise DatasetNotFoundError(
                f"dataset {info.name!r} holds {len(info.years)} years "
                f"({_span(info.years)}); choose one with year="
            )
        if year not in info.years:
            raise DatasetNotFoundError(
                f"dataset {info.name!r} has no year {year} (it has {_span(info.years)})"
            )
        return year

    def load(self, name: str, year: int | None = None, *, verify: bool = False) -> MRIOTable:
        info = self.info(name)
        y = self.resolve_year(info, year)
        return read_table(info.path / _key(y), verify=verify)

    def iter_tables(self, name: str) -> Iterator[MRIOTable]:
        info = self.info(name)
        for y in info.years:
            yield read_table(info.path / _key(y))

    # ------------------------------------------------------------------ writing
    def save(
        self,
        name: str,
        tables: Iterable[MRIOTable],
        provenance: Provenance,
        *,
        title: str = "",
        mode: str = "create",
    ) -> DatasetInfo:
        """Store ``tables`` under ``name``, atomically.

        ``mode``: ``create`` (the name must be free), ``add`` (add or replace years of an
        existing dataset, creating it if needed) or ``replace`` (drop what the name held).
        """
        if not _NAME.match(name):
            raise DatasetError(
                f"invalid dataset name {name!r}: use 1-64 letters, digits, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        if mode not in ("create", "add", "replace"):
            raise DatasetError(f"mode must be create, add or replace; got {mode!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        self._clean_leftovers()
        target = self.root / name
        exists = (target / "dataset.json").is_file()
        if exists and mode == "create":
            raise DatasetExistsError(
                f"dataset {name!r} exists in {self.root}; use another name or --replace"
            )
        staging = Path(tempfile.mkdtemp(prefix=f".tmp-{name}-", dir=self.root))
        try:
            written: dict[str, dict[str, Any]] = {}
            for t in tables:
                key = _key(t.meta.year)
                if key in written:
                    raise DatasetError(f"two tables for year {t.meta.year} in one import")
                write_table(t, staging / key)
                written[key] = {
                    "year": t.meta.year,
                    "regions": len(t.regions),
                    "sectors": len(t.sectors),
                    "estimated": t.meta.estimated,
                }
            if not written:
                raise DatasetError("nothing to store: no tables were read")
            if exists and mode == "add":
                self._merge_into(target, staging, written, provenance, title)
            else:
                self._write_description(staging, name, written, provenance, title, created=_now())
                if exists:
                    trash = self.root / f".trash-{name}-{uuid.uuid4().hex[:8]}"
                    os.rename(target, trash)
                    os.rename(staging, target)
                    shutil.rmtree(trash, ignore_errors=True)
                else:
                    os.rename(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return self.info(name)

    def _merge_into(
        self,
        target: Path,
        staging: Path,
        written: dict[str, dict[str, Any]],
        provenance: Provenance,
        title: str,
    ) -> None:
        old = self._read_info(target, builtin=False)
        tables = dict(old.tables)
        for key, entry in written.items():
            dest = target / key
            if dest.exists():
                trash = self.root / f".trash-{target.name}-{key}-{uuid.uuid4().hex[:8]}"
                os.rename(dest, trash)
                os.rename(staging / key, dest)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.rename(staging / key, dest)
            tables[key] = entry
        self._write_description(
            target,
            target.name,
            tables,
            old.provenance.merged(provenance),
            title or old.title,
            created=old.created,
        )

    def _write_description(
        self,
        directory: Path,
        name: str,
        tables: dict[str, dict[str, Any]],
        provenance: Provenance,
        title: str,
        *,
        created: str,
    ) -> None:
        desc = {
            "format": DATASET_FORMAT,
            "format_version": DATASET_VERSION,
            "name": name,
            "title": title,
            "created": created,
            "updated": _now(),
            "provenance": provenance.to_dict(),
            "tables": dict(sorted(tables.items())),
        }
        tmp = directory / f".dataset.json.{uuid.uuid4().hex[:8]}"
        tmp.write_text(json.dumps(desc, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, directory / "dataset.json")

    def remove(self, name: str) -> None:
        target = self.root / name
        if not (target / "dataset.json").is_file():
            raise DatasetNotFoundError(
                f"no dataset named {name!r} in {self.root} (built-in datasets cannot be removed)"
            )
        trash = self.root / f".trash-{name}-{uuid.uuid4().hex[:8]}"
        os.rename(target, trash)
        shutil.rmtree(trash, ignore_errors=True)

    def _clean_leftovers(self, older_than_s: float = 3600.0) -> None:
        """Remove what interrupted writes left behind (old enough not to be a live import)."""
        now = time.time()
        for p in self.root.iterdir():
            stale = now - p.stat().st_mtime > older_than_s
            if p.name.startswith((".tmp-", ".trash-")) and p.is_dir() and stale:
                shutil.rmtree(p, ignore_errors=True)


def _span(years: tuple[int | None, ...]) -> str:
    ys = [y for y in years if y is not None]
    if not ys:
        return "no years"
    if len(ys) > 3 and ys == list(range(ys[0], ys[-1] + 1)):
        return f"{ys[0]}-{ys[-1]}"
    return ", ".join(str(y) for y in ys)
