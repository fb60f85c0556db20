"""Provenance of imported data: source, licence, citation and the raw files' checksums."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from karavan.sources.native import sha256_file

__all__ = ["Provenance", "raw_file_record"]


def raw_file_record(path: Path) -> dict[str, Any]:
    """Name, size and SHA-256 of a raw input file."""
    return {"name": path.name, "bytes": path.stat().st_size, "sha256": sha256_file(path)}


@dataclass(frozen=True)
class Provenance:
    """Where a dataset comes from: shown by ``karavan datasets`` and stored with the data."""

    source: str
    licence: str = ""
    citation: str = ""
    edition: str = ""
    url: str = ""
    raw_files: tuple[dict[str, Any], ...] = ()
    derived_by: str = ""
    notes: str = ""
    estimated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "licence": self.licence,
            "citation": self.citation,
            "edition": self.edition,
            "url": self.url,
            "raw_files": [dict(f) for f in self.raw_files],
            "derived_by": self.derived_by,
            "notes": self.notes,
            "estimated": self.estimated,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Provenance:
        return cls(
            source=d.get("source", ""),
            licence=d.get("licence", ""),
            citation=d.get("citation", ""),
            edition=d.get("edition", ""),
            url=d.get("url", ""),
            raw_files=tuple(d.get("raw_files", ())),
            derived_by=d.get("derived_by", ""),
            notes=d.get("notes", ""),
            estimated=bool(d.get("estimated", False)),
        )

    def merged(self, other: Provenance) -> Provenance:
        """This provenance with ``other``'s raw files added (a year imported into a dataset)."""
        seen = {(f.get("name"), f.get("sha256")) for f in self.raw_files}
        extra = tuple(f for f in other.raw_files if (f.get("name"), f.get("sha256")) not in seen)
        return Provenance(**{**self.to_dict(), "raw_files": (*self.raw_files, *extra)})
