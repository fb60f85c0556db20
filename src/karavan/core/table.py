"""The multi-regional input-output table: one frozen, validated value.

Notation (Miller and Blair 2009, ch. 3; glossary in ``docs/glossary.md``), with ``n = R * S``
industries ordered region-major (all sectors of the first region, then the next region):

- ``Z`` (n x n)    intermediate use: row = supplying (region, sector), column = using one
- ``Y`` (n x R*C)  final use: columns (region, category), region-major
- ``V`` (m x n)    value-added rows (one or more components)
- ``x`` (n)        gross output
- ``F`` (k x n)    satellite accounts (stressors) of industries, each with a unit
- ``F_Y`` (k x R*C) stressors emitted directly by final use (households' emissions, say)

Balance: ``x = Z 1 + Y 1`` (output equals total uses) and ``x' = 1' Z + 1' V`` (output equals
total inputs). Published tables hold these within their rounding, which the metadata states.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from karavan.errors import LabelError, ParseError, ShapeError

if TYPE_CHECKING:
    from karavan.core.validation import ValidationReport

__all__ = ["Array", "MRIOTable", "TableMetadata"]

Array = np.ndarray[Any, np.dtype[np.float64]]

INDUSTRY_LEVELS = ("region", "sector")
FINAL_DEMAND_LEVELS = ("region", "category")


@dataclass(frozen=True)
class TableMetadata:
    """Where a table comes from and how its numbers are to be read.

    ``rounding`` is the largest rounding error of one published entry (0.5 when the publisher
    rounds every entry to whole units, as WIOD 2013 does); balance checks allow for it.
    ``estimated`` marks tables in which some regions are estimated, not published.
    """

    source: str = "user"
    edition: str = ""
    year: int | None = None
    currency: str = "USD"
    unit: str = "million"
    price_basis: str = "basic prices"
    licence: str = ""
    citation: str = ""
    rounding: float = 0.0
    estimated: bool = False
    notes: str = ""
    sector_names: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "edition": self.edition,
            "year": self.year,
            "currency": self.currency,
            "unit": self.unit,
            "price_basis": self.price_basis,
            "licence": self.licence,
            "citation": self.citation,
            "rounding": self.rounding,
            "estimated": self.estimated,
            "notes": self.notes,
            "sector_names": dict(self.sector_names),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TableMetadata:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise LabelError(
                f"unknown table metadata fields {sorted(unknown)}; known: {sorted(known)}"
            )
        return cls(**dict(data))


def _labels(values: Sequence[Any], what: str) -> tuple[str, ...]:
    labels = tuple(str(v) for v in values)
    seen: set[str] = set()
    for lab in labels:
        if lab in seen:
            raise LabelError(f"{what} labels must be unique; {lab!r} appears more than once")
        seen.add(lab)
    return labels


def _matrix(values: Any, name: str, shape: tuple[int, int], copy: bool) -> Array:
    arr = np.array(values, dtype=np.float64, copy=copy or None)
    if arr.ndim == 1 and shape[0] == 0:
        arr = arr.reshape(shape)
    if arr.shape != shape:
        raise ShapeError(f"{name} must have shape {shape}; got {arr.shape}")
    if copy or arr.flags.writeable:
        arr = arr.view()
    arr.flags.writeable = False
    return arr


@dataclass(frozen=True, eq=False)
class MRIOTable:
    """A multi-regional input-output table with its satellite accounts and provenance.

    Immutable: arrays are read-only and every operation returns a new table. Construction runs
    the cheap checks (shapes, unique labels); :meth:`validate` runs the full set.
    Use :meth:`from_frames` for labelled pandas input and :meth:`from_arrays` for arrays.
    """

    regions: tuple[str, ...]
    sectors: tuple[str, ...]
    categories: tuple[str, ...]
    Z: Array
    Y: Array
    x: Array
    V: Array
    va_components: tuple[str, ...]
    F: Array
    F_Y: Array
    stressors: tuple[str, ...]
    stressor_units: tuple[str, ...]
    meta: TableMetadata = field(default_factory=TableMetadata)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        *,
        regions: Sequence[str],
        sectors: Sequence[str],
        categories: Sequence[str],
        Z: Any,
        Y: Any,
        x: Any | None = None,
        V: Any | None = None,
        va_components: Sequence[str] | None = None,
        F: Any | None = None,
        F_Y: Any | None = None,
        stressors: Sequence[str] = (),
        stressor_units: Sequence[str] = (),
        meta: TableMetadata | None = None,
        copy: bool = True,
    ) -> MRIOTable:
        """Build a table from plain arrays laid out region-major.

        ``x`` defaults to total uses ``Z 1 + Y 1``; ``V`` defaults to one component,
        ``value added = x - 1'Z``. With ``copy=False`` the arrays are taken over as they are
        (no copy) and must not be changed afterwards.
        """
        regions_t = _labels(regions, "region")
        sectors_t = _labels(sectors, "sector")
        categories_t = _labels(categories, "final-demand category")
        n = len(regions_t) * len(sectors_t)
        nf = len(regions_t) * len(categories_t)
        Z_a = _matrix(Z, "Z", (n, n), copy)
        Y_a = _matrix(Y, "Y", (n, nf), copy)
        if x is None:
            x_a = Z_a.sum(axis=1) + Y_a.sum(axis=1)
        else:
            x_a = np.array(x, dtype=np.float64, copy=True).reshape(-1)
            if x_a.shape != (n,):
                raise ShapeError(f"x must have {n} entries (regions x sectors); got {x_a.shape[0]}")
        x_a.flags.writeable = False
        if V is None:
            V_a = _matrix((x_a - Z_a.sum(axis=0))[None, :], "V", (1, n), False)
            va_t = (
                ("value added",) if va_components is None else _labels(va_components, "value-added")
            )
        else:
            va_t = _labels(va_components or (), "value-added")
            V_a = _matrix(V, "V", (len(va_t), n), copy)
        stressors_t = _labels(stressors, "stressor")
        units_t = tuple(str(u) for u in stressor_units)
        if len(units_t) != len(stressors_t):
            raise ShapeError(
                f"each stressor needs a unit: {len(stressors_t)} stressors, {len(units_t)} units"
            )
        k = len(stressors_t)
        F_a = _matrix(np.zeros((k, n)) if F is None else F, "F", (k, n), copy)
        F_Y_a = _matrix(np.zeros((k, nf)) if F_Y is None else F_Y, "F_Y", (k, nf), copy)
        return cls(
            regions=regions_t,
            sectors=sectors_t,
            categories=categories_t,
            Z=Z_a,
            Y=Y_a,
            x=x_a,
            V=V_a,
            va_components=va_t,
            F=F_a,
            F_Y=F_Y_a,
            stressors=stressors_t,
            stressor_units=units_t,
            meta=meta or TableMetadata(),
        )

    @classmethod
    def from_frames(
        cls,
        *,
        Z: pd.DataFrame,
        Y: pd.DataFrame,
        V: pd.DataFrame | None = None,
        F: pd.DataFrame | None = None,
        F_Y: pd.DataFrame | None = None,
        x: pd.Series | None = None,
        units: Mapping[str, str] | None = None,
        meta: TableMetadata | None = None,
    ) -> MRIOTable:
        """Build a table from labelled frames.

        ``Z`` rows and columns and ``Y`` rows carry a two-level index (region, sector) in
        region-major order covering every region x sector pair; ``Y`` columns carry
        (region, category). ``V`` and ``F`` have industries as columns, ``F_Y`` has Y's columns.
        ``units`` maps each stressor (row of ``F``) to its unit. Labels are never aligned
        silently: any mismatch raises :class:`~karavan.errors.LabelError`.
        """
        regions, sectors = _industry_labels(Z.index, "Z rows")
        _require_same(Z.columns, Z.index, "Z columns", "Z rows")
        _require_same(Y.index, Z.index, "Y rows", "Z rows")
        y_regions, categories = _two_level(Y.columns, "Y columns")
        if tuple(dict.fromkeys(y_regions)) != regions:
            raise LabelError(
                f"Y column regions must be the table's regions in order {list(regions)}; "
                f"got {list(dict.fromkeys(y_regions))}"
            )
        expected_y = pd.MultiIndex.from_product([regions, categories])
        _require_same(Y.columns, expected_y, "Y columns", "region x category")
        if V is not None:
            _require_same(V.columns, Z.columns, "V columns", "Z columns")
        if x is not None:
            _require_same(x.index, Z.index, "x index", "Z rows")
        stressors: tuple[str, ...] = ()
        units_t: tuple[str, ...] = ()
        if F is not None:
            _require_same(F.columns, Z.columns, "F columns", "Z columns")
            stressors = tuple(str(s) for s in F.index)
            units = units or {}
            missing = [s for s in stressors if s not in units]
            if missing:
                raise LabelError(
                    f"no unit given for stressors {missing}; pass units={{name: unit}}"
                )
            units_t = tuple(units[s] for s in stressors)
            if F_Y is not None:
                _require_same(F_Y.index, F.index, "F_Y rows", "F rows")
                _require_same(F_Y.columns, Y.columns, "F_Y columns", "Y columns")
        elif F_Y is not None:
            raise LabelError(
                "F_Y was given without F; stressors must be accounted for industries too"
            )
        return cls.from_arrays(
            regions=regions,
            sectors=sectors,
            categories=categories,
            Z=_numeric(Z, "Z"),
            Y=_numeric(Y, "Y"),
            x=None if x is None else _numeric(x.to_frame(), "x")[:, 0],
            V=None if V is None else _numeric(V, "V"),
            va_components=None if V is None else [str(v) for v in V.index],
            F=None if F is None else _numeric(F, "F"),
            F_Y=None if F_Y is None else _numeric(F_Y, "F_Y"),
            stressors=stressors,
            stressor_units=units_t,
            meta=meta,
            copy=False,
        )

    # ------------------------------------------------------------------ labels
    @property
    def n_regions(self) -> int:
        return len(self.regions)

    @property
    def n_sectors(self) -> int:
        return len(self.sectors)

    @property
    def n(self) -> int:
        """Number of industries (region x sector pairs)."""
        return len(self.regions) * len(self.sectors)

    @property
    def industry_index(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_product([self.regions, self.sectors], names=INDUSTRY_LEVELS)

    @property
    def final_demand_index(self) -> pd.MultiIndex:
        return pd.MultiIndex.from_product(
            [self.regions, self.categories], names=FINAL_DEMAND_LEVELS
        )

    def industry_label(self, i: int) -> str:
        """``REGION/SECTOR`` label of industry number ``i`` (for messages)."""
        return f"{self.regions[i // self.n_sectors]}/{self.sectors[i % self.n_sectors]}"

    def final_demand_label(self, j: int) -> str:
        nc = len(self.categories)
        return f"{self.regions[j // nc]}/{self.categories[j % nc]}"

    @property
    def zero_output(self) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Mask of industries with zero gross output (their coefficients are defined as zero)."""
        return np.asarray(self.x == 0.0)

    # ------------------------------------------------------------------ derived flows
    @property
    def Y_by_region(self) -> Array:
        """Final use summed over categories: n x R (``Y_agg`` in pymrio)."""
        nc = len(self.categories)
        return np.asarray(self.Y.reshape(self.n, self.n_regions, nc).sum(axis=2))

    @property
    def F_Y_by_region(self) -> Array:
        nc = len(self.categories)
        k = len(self.stressors)
        return np.asarray(self.F_Y.reshape(k, self.n_regions, nc).sum(axis=2))

    @property
    def value_added(self) -> Array:
        """Total value added per industry (sum over components)."""
        return np.asarray(self.V.sum(axis=0))

    # ------------------------------------------------------------------ frames
    @property
    def Z_frame(self) -> pd.DataFrame:
        idx = self.industry_index
        return pd.DataFrame(self.Z, index=idx, columns=idx)

    @property
    def Y_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.Y, index=self.industry_index, columns=self.final_demand_index)

    @property
    def V_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.V,
            index=pd.Index(self.va_components, name="component"),
            columns=self.industry_index,
        )

    @property
    def F_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.F, index=pd.Index(self.stressors, name="stressor"), columns=self.industry_index
        )

    @property
    def F_Y_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            self.F_Y,
            index=pd.Index(self.stressors, name="stressor"),
            columns=self.final_demand_index,
        )

    @property
    def x_series(self) -> pd.Series:
        return pd.Series(self.x, index=self.industry_index, name="output")

    @property
    def units(self) -> dict[str, str]:
        return dict(zip(self.stressors, self.stressor_units, strict=True))

    # ------------------------------------------------------------------ operations
    def with_meta(self, **changes: Any) -> MRIOTable:
        """A copy with metadata fields replaced (arrays are shared: they are read-only)."""
        return replace(self, meta=replace(self.meta, **changes))

    def validate(self, **tolerances: float) -> ValidationReport:
        """Run every check (finiteness, signs, balance, zero output, productivity).

        Keyword arguments go to :func:`karavan.core.validation.validate_table`.
        """
        from karavan.core.validation import validate_table

        return validate_table(self, **tolerances)

    def totals(self) -> pd.DataFrame:
        """Per region: gross output, value added, intermediate inputs, final demand."""
        S = self.n_sectors

        def by_region(v: Array) -> Array:
            return np.asarray(v.reshape(self.n_regions, S).sum(axis=1))

        return pd.DataFrame(
            {
                "output": by_region(self.x),
                "value_added": by_region(self.value_added),
                "intermediate_inputs": by_region(self.Z.sum(axis=0)),
                "final_demand": self.Y_by_region.sum(axis=0),
            },
            index=pd.Index(self.regions, name="region"),
        )

    def __repr__(self) -> str:
        m = self.meta
        return (
            f"MRIOTable({m.source} {m.edition} {m.year or ''}: {self.n_regions} regions x "
            f"{self.n_sectors} sectors, {len(self.categories)} final-demand categories, "
            f"{len(self.stressors)} stressors; {m.currency} {m.unit})"
        ).replace("  ", " ")


# ---------------------------------------------------------------------- label helpers
def _two_level(index: pd.Index, what: str) -> tuple[list[str], tuple[str, ...]]:
    if not isinstance(index, pd.MultiIndex) or index.nlevels != 2:
        raise LabelError(f"{what} must be a two-level index; got {index.nlevels} level(s)")
    first = [str(v) for v in index.get_level_values(0)]
    second = tuple(dict.fromkeys(str(v) for v in index.get_level_values(1)))
    return first, second


def _industry_labels(index: pd.Index, what: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    first, sectors = _two_level(index, what)
    regions = tuple(dict.fromkeys(first))
    expected = pd.MultiIndex.from_product([regions, sectors])
    _require_same(index, expected, what, "every region x sector pair, region-major")
    return _labels(regions, "region"), _labels(sectors, "sector")


def _require_same(got: pd.Index, expected: pd.Index, what: str, against: str) -> None:
    g = [tuple(str(v) for v in t) if isinstance(t, tuple) else str(t) for t in got]
    e = [tuple(str(v) for v in t) if isinstance(t, tuple) else str(t) for t in expected]
    if g == e:
        return
    if len(g) != len(e):
        raise LabelError(f"{what} must match {against}: expected {len(e)} labels, got {len(g)}")
    pos = next(i for i, (a, b) in enumerate(zip(g, e, strict=True)) if a != b)
    raise LabelError(
        f"{what} must match {against}: at position {pos} expected {e[pos]!r}, got {g[pos]!r}"
    )


def _numeric(frame: pd.DataFrame, name: str) -> Array:
    """Frame values as float64; a non-numeric cell raises with its row and column label."""
    try:
        return np.asarray(frame.to_numpy(dtype=np.float64, copy=True))  # never a view of it
    except (TypeError, ValueError):
        for col in frame.columns:
            converted = pd.to_numeric(frame[col], errors="coerce")
            bad = converted.isna() & frame[col].notna()
            if bad.any():
                row = bad.index[int(bad.to_numpy().argmax())]
                raise ParseError(
                    f"{name} holds a non-numeric cell",
                    row=row,
                    column=col,
                    value=frame.at[row, col],
                ) from None
        raise
