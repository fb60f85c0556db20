"""Aggregation of regions and sectors by concordance, keeping every flow total.

A concordance is a matrix ``C`` (old labels x new labels) whose rows sum to 1: many-to-one
mappings have a single 1 per row; weighted (one-to-many) rows split an old label across new ones.
For the industry concordance ``K = C_regions (x) C_sectors`` (Kronecker product) and the
final-demand concordance ``K_f = C_regions (x) I_categories`` the aggregated table is

    Z* = K' Z K,   Y* = K' Y K_f,   x* = K' x,   V* = V K,   F* = F K,   F_Y* = F_Y K_f

(Miller and Blair 2009, sec. 4.3), so column and row totals are preserved exactly because each
row of ``C`` sums to 1. The balance allowance for rounded source entries grows with the number of
source rows summed (:func:`aggregated_rounding`), so an aggregated table validates as its source.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from karavan.core.table import Array, MRIOTable, TableMetadata
from karavan.errors import ConcordanceError

__all__ = [
    "BLOCS",
    "EAEU_MEMBERS",
    "Concordance",
    "aggregate",
    "aggregated_rounding",
    "bloc_concordance",
]

EAEU_MEMBERS: tuple[str, ...] = ("RUS", "KAZ", "BLR", "ARM", "KGZ")
"""The Eurasian Economic Union's member states (ISO 3166 alpha-3), as of 2015."""

BLOCS: dict[str, tuple[str, ...]] = {
    "EAEU": EAEU_MEMBERS,
    "EAEU+CHN": (*EAEU_MEMBERS, "CHN"),
}


@dataclass(frozen=True, eq=False)
class Concordance:
    """A mapping from ``source`` labels to ``target`` labels with weights (rows sum to 1)."""

    source: tuple[str, ...]
    target: tuple[str, ...]
    weights: Array  # len(source) x len(target)

    def __post_init__(self) -> None:
        w = np.asarray(self.weights, dtype=np.float64)
        if w.shape != (len(self.source), len(self.target)):
            raise ConcordanceError(
                f"concordance weights must be {len(self.source)} x {len(self.target)}; "
                f"got {w.shape}"
            )
        if not np.isfinite(w).all() or (w < 0).any():
            raise ConcordanceError("concordance weights must be finite and non-negative")
        sums = w.sum(axis=1)
        bad = np.flatnonzero(np.abs(sums - 1.0) > 1e-12)
        if bad.size:
            i = int(bad[0])
            raise ConcordanceError(
                f"weights of {self.source[i]!r} sum to {sums[i]:.12g}, not 1: totals would not be "
                f"kept ({bad.size} label(s) affected)"
            )
        w.flags.writeable = False
        object.__setattr__(self, "weights", w)

    @classmethod
    def from_mapping(cls, labels: Sequence[str], mapping: Mapping[str, str]) -> Concordance:
        """Many-to-one: every label in ``labels`` must be mapped (targets keep first-seen order)."""
        missing = [lab for lab in labels if lab not in mapping]
        if missing:
            raise ConcordanceError(f"no target given for {missing[:10]} ({len(missing)} label(s))")
        extra = [k for k in mapping if k not in set(labels)]
        if extra:
            raise ConcordanceError(f"mapping names labels the table does not have: {extra[:10]}")
        target = tuple(dict.fromkeys(mapping[lab] for lab in labels))
        col = {t: j for j, t in enumerate(target)}
        w = np.zeros((len(labels), len(target)))
        for i, lab in enumerate(labels):
            w[i, col[mapping[lab]]] = 1.0
        return cls(tuple(labels), target, w)

    @classmethod
    def from_frame(cls, labels: Sequence[str], frame: pd.DataFrame) -> Concordance:
        """From a long frame with columns ``source``, ``target`` and optional ``weight``."""
        for c in ("source", "target"):
            if c not in frame.columns:
                raise ConcordanceError(
                    f"concordance table needs a {c!r} column; has {list(frame.columns)}"
                )
        weight = frame["weight"] if "weight" in frame.columns else pd.Series(1.0, index=frame.index)
        src = [str(s) for s in frame["source"]]
        missing = [lab for lab in labels if lab not in set(src)]
        if missing:
            raise ConcordanceError(f"no target given for {missing[:10]} ({len(missing)} label(s))")
        extra = sorted(set(src) - set(labels))
        if extra:
            raise ConcordanceError(
                f"concordance names labels the table does not have: {extra[:10]}"
            )
        target = tuple(dict.fromkeys(str(t) for t in frame["target"]))
        row = {lab: i for i, lab in enumerate(labels)}
        col = {t: j for j, t in enumerate(target)}
        w = np.zeros((len(labels), len(target)))
        for s, t, v in zip(src, frame["target"], weight, strict=True):
            w[row[s], col[str(t)]] += float(v)
        return cls(tuple(labels), target, w)

    @classmethod
    def identity(cls, labels: Sequence[str]) -> Concordance:
        return cls(tuple(labels), tuple(labels), np.eye(len(labels)))


def bloc_concordance(
    regions: Sequence[str],
    blocs: Mapping[str, Iterable[str]],
    *,
    rest: str | None = None,
) -> Concordance:
    """Regions -> blocs; members absent from the table are skipped, regions in no bloc keep their
    name (or go to ``rest`` when given). A bloc with no member in the table is an error."""
    mapping: dict[str, str] = {}
    for name, members in blocs.items():
        present = [m for m in members if m in regions]
        if not present:
            raise ConcordanceError(
                f"bloc {name!r} has no member among the table's regions ({', '.join(members)})"
            )
        for m in present:
            if m in mapping:
                raise ConcordanceError(f"region {m!r} is in two blocs: {mapping[m]!r} and {name!r}")
            mapping[m] = name
    for r in regions:
        mapping.setdefault(r, rest if rest is not None else r)
    return Concordance.from_mapping(regions, mapping)


def _as_concordance(labels: tuple[str, ...], spec: Any, what: str) -> Concordance:
    if spec is None:
        return Concordance.identity(labels)
    if isinstance(spec, Concordance):
        if spec.source != labels:
            raise ConcordanceError(
                f"{what} concordance is for labels {list(spec.source)[:5]}..., "
                f"the table has {list(labels)[:5]}..."
            )
        return spec
    if isinstance(spec, pd.DataFrame):
        return Concordance.from_frame(labels, spec)
    if isinstance(spec, Mapping):
        return Concordance.from_mapping(labels, spec)
    raise ConcordanceError(f"{what} must be a Concordance, a mapping or a frame; got {type(spec)}")


def aggregate(
    table: MRIOTable,
    *,
    regions: Concordance | Mapping[str, str] | pd.DataFrame | None = None,
    sectors: Concordance | Mapping[str, str] | pd.DataFrame | None = None,
) -> MRIOTable:
    """A new table with regions and/or sectors aggregated; every flow total is kept."""
    cr = _as_concordance(table.regions, regions, "region")
    cs = _as_concordance(table.sectors, sectors, "sector")
    K = np.kron(cr.weights, cs.weights)
    Kf = np.kron(cr.weights, np.eye(len(table.categories)))
    Kt = K.T
    sector_names = {
        s: table.meta.sector_names[s] for s in cs.target if s in table.meta.sector_names
    }
    return MRIOTable.from_arrays(
        regions=cr.target,
        sectors=cs.target,
        categories=table.categories,
        Z=Kt @ table.Z @ K,
        Y=Kt @ table.Y @ Kf,
        x=Kt @ table.x,
        V=table.V @ K,
        va_components=table.va_components,
        F=table.F @ K,
        F_Y=table.F_Y @ Kf,
        stressors=table.stressors,
        stressor_units=table.stressor_units,
        meta=_aggregated_meta(table, cr, cs, sector_names, aggregated_rounding(table, K, Kf)),
        copy=False,
    )


def aggregated_rounding(table: MRIOTable, K: np.ndarray, Kf: np.ndarray) -> float:
    """Per-entry rounding allowance of the aggregated table, as strict as the source's.

    An aggregated row (column) sums up to ``g`` source rows (columns), each within
    ``rounding * m`` of balance, ``m`` its number of source entries; spread over the ``m*``
    entries of the aggregated row this is ``rounding * g * m / m*`` per entry. The larger of the
    row and column figures is kept.
    """
    r = table.meta.rounding
    if r == 0.0:
        return 0.0
    g = float((K != 0).sum(axis=0).max(initial=1))
    n_new, nf_new = K.shape[1], Kf.shape[1]
    rows = (table.Z.shape[1] + table.Y.shape[1]) / (n_new + nf_new)
    cols = (table.Z.shape[0] + table.V.shape[0]) / (n_new + table.V.shape[0])
    return float(r * g * max(rows, cols, 1.0))


def _aggregated_meta(
    table: MRIOTable,
    cr: Concordance,
    cs: Concordance,
    sector_names: dict[str, str],
    rounding: float,
) -> TableMetadata:
    changes = []
    if cr.target != cr.source:
        changes.append(f"regions {len(cr.source)} -> {len(cr.target)}")
    if cs.target != cs.source:
        changes.append(f"sectors {len(cs.source)} -> {len(cs.target)}")
    note = f"aggregated ({', '.join(changes)})" if changes else ""
    if rounding != table.meta.rounding:
        note += f"; balance allowance {rounding:.6g} per entry (source {table.meta.rounding:g})"
    notes = "; ".join(n for n in (table.meta.notes, note) if n)
    return replace(table.meta, notes=notes, sector_names=sector_names, rounding=rounding)
