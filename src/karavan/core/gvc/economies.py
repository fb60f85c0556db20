"""Economies (single regions or blocs treated as one), their trade flows and domestic blocks: the
accounting shared by the TiVA indicators and the Borin-Mancini decompositions.

**Economies.** Every measure of trade in value added is relative to a border. By default each
region of the table is an economy. A bloc (``{"EAEU": ("RUS", "KAZ", "BLR", "ARM", "KGZ")}``)
replaces its members by one economy: trade among the members is internal to it, so it is not
exported (the "bloc perimeter", as TiVA does for its regional aggregates and exvatools for
country groups). The same device merges the split countries of the OECD ICIO tables (``MX1``,
``MX2`` into ``MEX``) exactly as exvatools does: the table keeps the split rows, the border runs
around their union. Members absent from the table are skipped and reported.

Notation (Borin and Mancini 2023; glossary in ``docs/glossary.md``): for an economy ``s`` with
industries ``I_s``, ``A_sr`` is the block of ``A`` with rows in ``I_s`` and columns in ``I_r``.

- gross exports of industry ``j`` of ``s`` to economy ``r != s``:
  ``E[j, r] = sum_(k in I_r) Z[j, k] + sum_(c: categories of regions of r) Y[j, c]``
  (intermediate plus final; Wang, Wei and Zhu 2013, eq. 1);
- value-added coefficients ``v = (x - 1'Z) / x`` (0 where ``x = 0``): value added taken as
  output less intermediate inputs, ``v' = 1' - 1'A``, so that ``v' L = 1'`` holds exactly
  (``L = I + A L``) for every industry with output, and every decomposition adds up to gross
  exports to machine precision. For a table that balances (``MRIOTable.validate``) this is
  ``1'V / x``; where the published ``V`` differs (rounding), the residual is what is used;
- the local (domestic) Leontief inverse of ``s``: ``Ld_s = (I - A_ss)^-1``, exvatools' ``Ld``,
  one LU factorisation of the domestic block per economy
  (:class:`karavan.core.gvc.domestic_leontief.DomesticLeontief`); the global inverse is ``L =
  (I - A)^-1`` with blocks ``L_sr`` (``docs/glossary.md``).

**Blocs** are resolved once, here (:func:`resolve_bloc`), for the closure indicators (one bloc)
and for the economies of the TiVA and Borin-Mancini measures (several).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from karavan.core.aggregation import BLOCS
from karavan.core.table import Array, MRIOTable
from karavan.errors import BlocError, LabelError

__all__ = [
    "Bloc",
    "BlocSpec",
    "BlocsSpec",
    "Economies",
    "TradeFlows",
    "bloc_members",
    "economies",
    "resolve_bloc",
    "trade_flows",
    "value_added_coefficients_residual",
]

Index = np.ndarray[Any, np.dtype[np.intp]]


# ---------------------------------------------------------------------- blocs
@dataclass(frozen=True)
class Bloc:
    """A group of regions as a table resolves it: ``present`` are regions of the table (in the
    order of ``members``), ``absent`` the members it does not resolve (inside an aggregate such
    as a rest-of-world region, or missing)."""

    name: str
    members: tuple[str, ...]
    present: tuple[str, ...]
    absent: tuple[str, ...]

    def mask(self, table: MRIOTable) -> np.ndarray[Any, np.dtype[np.bool_]]:
        """Industries (region-major) of the members present."""
        return np.repeat(np.isin(np.asarray(table.regions), self.present), table.n_sectors)


BlocSpec = str | Iterable[str] | Bloc
"""One bloc: a name from :data:`~karavan.core.aggregation.BLOCS`, a list of regions or a
:class:`Bloc` (re-resolved against the table at hand)."""

BlocsSpec = Mapping[str, Iterable[str]] | Sequence[str] | None
"""Several blocs: ``{name: member regions}``, or names of :data:`karavan.core.BLOCS`."""


def bloc_members(
    regions: Sequence[str], members: Iterable[str]
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(present, absent)``: the members that are regions of their own in ``regions`` and the
    ones that are not. Both keep the order of ``members`` (duplicates dropped)."""
    have = set(regions)
    wanted = tuple(dict.fromkeys(members))
    return tuple(m for m in wanted if m in have), tuple(m for m in wanted if m not in have)


def resolve_bloc(regions: Sequence[str], bloc: BlocSpec, *, name: str | None = None) -> Bloc:
    """The bloc ``bloc`` among ``regions``; members absent from them are skipped and reported.

    A string names a bloc of :data:`~karavan.core.aggregation.BLOCS` (case-insensitive); any
    other group is given as a list of regions (named ``name``, by default ``A+B+...``). Raises
    :class:`~karavan.errors.BlocError` (a :class:`~karavan.errors.LabelError` and a
    :class:`~karavan.errors.ConcordanceError`) for an unknown bloc name, an empty list, or a
    bloc with no member among ``regions``.
    """
    if isinstance(bloc, Bloc):
        members, label = bloc.members, name or bloc.name
    elif isinstance(bloc, str):
        known = {k.upper(): k for k in BLOCS}
        key = known.get(bloc.strip().upper())
        if key is None:
            raise BlocError(
                f"unknown bloc {bloc!r}: known blocs are {', '.join(BLOCS)}; "
                "pass a list of regions (or {name: member regions}) for any other group"
            )
        members, label = BLOCS[key], name or key
    else:
        members = tuple(dict.fromkeys(str(m) for m in bloc))
        label = name or "+".join(members)
    if not members:
        what = f"bloc {label!r}" if label else "the bloc"
        raise BlocError(f"{what} lists no member regions; a bloc needs at least one")
    present, absent = bloc_members(regions, members)
    if not present:
        raise BlocError(
            f"bloc {label!r} has no member among the table's regions: it lists "
            f"{', '.join(members)}; the table has {', '.join(regions)}"
        )
    return Bloc(name=label, members=tuple(members), present=present, absent=absent)


# ---------------------------------------------------------------------- economies
@dataclass(frozen=True, eq=False)
class Economies:
    """A partition of a table's regions into economies (regions, or blocs merged into one).

    ``labels[e]`` names economy ``e`` and ``members[e]`` its regions, in table order; economies
    are ordered by their first region in the table. ``blocs`` maps each bloc to its members
    present in the table and ``absent`` to the ones skipped.
    """

    labels: tuple[str, ...]
    members: tuple[tuple[str, ...], ...]
    n_sectors: int
    region_economy: Index
    blocs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    absent: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.labels)

    @property
    def industry_economy(self) -> Index:
        """Economy number of every industry (n)."""
        return np.asarray(np.repeat(self.region_economy, self.n_sectors))

    def industries(self, e: int) -> Index:
        """Industry numbers of economy ``e``: member by member, sector by sector within one."""
        regions = np.flatnonzero(self.region_economy == e)
        S = self.n_sectors
        return np.asarray((regions[:, None] * S + np.arange(S)[None, :]).reshape(-1))

    def membership(self) -> Array:
        """``n x E`` indicator: industry ``j`` belongs to economy ``e``."""
        n = self.region_economy.size * self.n_sectors
        out = np.zeros((n, self.count))
        out[np.arange(n), self.industry_economy] = 1.0
        return out

    def region_membership(self) -> Array:
        """``R x E`` indicator: region ``i`` belongs to economy ``e``."""
        out = np.zeros((self.region_economy.size, self.count))
        out[np.arange(self.region_economy.size), self.region_economy] = 1.0
        return out

    def partner_sums(self, values: Array) -> Array:
        """Sum the columns (industries) of a ``k x n`` array by economy: ``k x E``. Plain numpy
        reductions, no BLAS call."""
        k = values.shape[0]
        R, S = self.region_economy.size, self.n_sectors
        by_region = values.reshape(k, R, S).sum(axis=2)
        if self.count == R:  # one region per economy, in table order
            return np.asarray(by_region)
        out = np.zeros((self.count, k))
        np.add.at(out, self.region_economy, by_region.T)
        return np.asarray(out.T)

    def by_economy_sector(self, values: Array) -> Array:
        """Sum rows of an ``n x m`` (or ``n``) array into ``E x S x m`` (or ``E x S``) groups."""
        R, S = self.region_economy.size, self.n_sectors
        flat = values.reshape(R, -1)
        out = (self.region_membership().T @ flat).reshape(self.count, S, -1)
        return np.asarray(out if values.ndim > 1 else out[:, :, 0])

    def by_economy(self, values: Array) -> Array:
        """Sum rows of an ``n x m`` (or ``n``) array by economy."""
        return np.asarray(self.by_economy_sector(values).sum(axis=1))


def _blocs(regions: Sequence[str], blocs: BlocsSpec) -> list[Bloc]:
    if blocs is None:
        return []
    if isinstance(blocs, str):
        blocs = [blocs]
    if isinstance(blocs, Mapping):
        return [resolve_bloc(regions, list(v), name=str(k)) for k, v in blocs.items()]
    return [resolve_bloc(regions, str(name)) for name in blocs]


def economies(table: MRIOTable, blocs: BlocsSpec = None) -> Economies:
    """Partition ``table``'s regions: each bloc becomes one economy, every other region its own.

    Each bloc is resolved by :func:`resolve_bloc`: members absent from the table are skipped
    (listed in ``Economies.absent``); an unknown bloc name, or a bloc without members in the
    table, raises :class:`~karavan.errors.BlocError`. A region in two blocs, or a bloc name that
    is a region outside the bloc or another bloc's name, raises
    :class:`~karavan.errors.LabelError`.
    """
    regions = table.regions
    owner: dict[str, str] = {}
    present: dict[str, tuple[str, ...]] = {}
    absent: dict[str, tuple[str, ...]] = {}
    for b in _blocs(regions, blocs):
        name = b.name
        have = tuple(r for r in regions if r in b.present)  # table order
        for r in have:
            if r in owner:
                raise LabelError(f"region {r!r} is in two blocs: {owner[r]!r} and {name!r}")
            owner[r] = name
        if name in regions and name not in have:
            raise LabelError(
                f"bloc name {name!r} is a region of the table outside the bloc; rename the bloc"
            )
        present[name] = have
        absent[name] = b.absent
    labels: list[str] = []
    members: list[tuple[str, ...]] = []
    region_economy = np.empty(len(regions), dtype=np.intp)
    for i, r in enumerate(regions):
        label = owner.get(r, r)
        if label not in labels:
            labels.append(label)
            members.append(present.get(label, (r,)))
        region_economy[i] = labels.index(label)
    if len(set(labels)) != len(labels):  # pragma: no cover - guarded above
        raise LabelError(f"economy labels must be unique; got {labels}")
    return Economies(
        labels=tuple(labels),
        members=tuple(members),
        n_sectors=table.n_sectors,
        region_economy=region_economy,
        blocs=present,
        absent=absent,
    )


def value_added_coefficients_residual(table: MRIOTable) -> Array:
    """``v = (x - 1'Z) / x``, 0 for industries with zero output (see the module docstring)."""
    va = table.x - table.Z.sum(axis=0)
    return np.asarray(np.divide(va, table.x, out=np.zeros_like(va), where=table.x != 0))


@dataclass(frozen=True, eq=False)
class TradeFlows:
    """Gross trade by industry (n) and partner economy (E); own-economy columns are zero.

    ``intermediate`` and ``final`` are exports, ``domestic_*`` the sales inside the economy.
    """

    intermediate: Array
    final: Array
    domestic_intermediate: Array
    domestic_final: Array

    @property
    def exports(self) -> Array:
        return np.asarray(self.intermediate + self.final)


def trade_flows(table: MRIOTable, econ: Economies) -> TradeFlows:
    """Gross exports ``E = E^int + E^fin`` of every industry to every other economy."""
    R, S, n = table.n_regions, table.n_sectors, table.n
    to_region = table.Z.reshape(n, R, S).sum(axis=2)
    P = econ.region_membership()
    inter = to_region @ P
    final = table.Y_by_region @ P
    own = econ.industry_economy
    rows = np.arange(n)
    dom_inter = inter[rows, own].copy()
    dom_final = final[rows, own].copy()
    inter[rows, own] = 0.0
    final[rows, own] = 0.0
    return TradeFlows(inter, final, dom_inter, dom_final)
