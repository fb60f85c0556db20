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
  output less intermediate inputs, so that ``v' L = 1'`` holds exactly (Miller and Blair 2009,
  eq. 2.7 and sec. 6.5) and every decomposition adds up to gross exports to machine precision.
  For a table that balances (``MRIOTable.validate``) this is ``1'V / x``;
- the local Leontief inverse of ``s``: ``L_ss = (I - A_ss)^-1``, one LU factorisation of the
  domestic block per economy (Borin and Mancini 2023, eq. 4; OECD TiVA guide, sec. 2.2).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.linalg

from karavan.core.aggregation import BLOCS
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array, MRIOTable
from karavan.errors import LabelError

__all__ = [
    "BlocSpec",
    "Economies",
    "TradeFlows",
    "economies",
    "local_inverses",
    "trade_flows",
    "value_added_coefficients_residual",
]

Index = np.ndarray[Any, np.dtype[np.intp]]

BlocSpec = Mapping[str, Sequence[str]] | Sequence[str] | None
"""Blocs as ``{name: member regions}``, or as names of :data:`karavan.core.BLOCS`."""


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

    def by_economy_sector(self, values: Array) -> Array:
        """Sum rows of an ``n x m`` (or ``n``) array into ``E x S x m`` (or ``E x S``) groups."""
        R, S = self.region_economy.size, self.n_sectors
        v = values.reshape(R, S, -1)
        out = np.zeros((self.count, S, v.shape[2]))
        np.add.at(out, self.region_economy, v)
        return out if values.ndim > 1 else out[:, :, 0]

    def by_economy(self, values: Array) -> Array:
        """Sum rows of an ``n x m`` (or ``n``) array by economy."""
        return np.asarray(self.by_economy_sector(values).sum(axis=1))


def _resolve(blocs: BlocSpec) -> dict[str, tuple[str, ...]]:
    if blocs is None:
        return {}
    if isinstance(blocs, str):
        blocs = [blocs]
    if isinstance(blocs, Mapping):
        return {str(k): tuple(str(m) for m in v) for k, v in blocs.items()}
    out: dict[str, tuple[str, ...]] = {}
    for name in blocs:
        if name not in BLOCS:
            raise LabelError(
                f"unknown bloc {name!r}; known blocs are {sorted(BLOCS)}, or pass "
                "{name: member regions}"
            )
        out[name] = BLOCS[name]
    return out


def economies(table: MRIOTable, blocs: BlocSpec = None) -> Economies:
    """Partition ``table``'s regions: each bloc becomes one economy, every other region its own.

    Members absent from the table are skipped (listed in ``Economies.absent``). Raises
    :class:`~karavan.errors.LabelError` for a bloc without members in the table, a region in two
    blocs, or a bloc name that is a region outside the bloc or another bloc's name.
    """
    spec = _resolve(blocs)
    regions = table.regions
    owner: dict[str, str] = {}
    present: dict[str, tuple[str, ...]] = {}
    absent: dict[str, tuple[str, ...]] = {}
    for name, wanted in spec.items():
        listed = tuple(dict.fromkeys(wanted))
        if not listed:
            raise LabelError(f"bloc {name!r} lists no member regions")
        have = tuple(r for r in regions if r in listed)  # table order
        if not have:
            raise LabelError(
                f"bloc {name!r} has no member among the table's regions: it lists "
                f"{list(listed)}, the table has {list(regions)}"
            )
        for r in have:
            if r in owner:
                raise LabelError(f"region {r!r} is in two blocs: {owner[r]!r} and {name!r}")
            owner[r] = name
        if name in regions and name not in have:
            raise LabelError(
                f"bloc name {name!r} is a region of the table outside the bloc; rename the bloc"
            )
        present[name] = have
        absent[name] = tuple(r for r in listed if r not in have)
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


@dataclass(frozen=True, eq=False)
class LocalInverse:
    """LU factors of ``I - A_ss`` for one economy, with ``v_s' L_ss`` and ``diag(L_ss)``."""

    industries: Index
    lu: tuple[Array, Any]
    va_multiplier: Array  # v_s' L_ss (1 x k)
    diagonal: Array  # L_ss[j, j]

    def solve(self, rhs: Array) -> Array:
        """``L_ss rhs``."""
        return np.asarray(scipy.linalg.lu_solve(self.lu, rhs, check_finite=False))


def local_inverses(model: LeontiefModel, econ: Economies, v: Array) -> list[LocalInverse]:
    """Factorise ``I - A_ss`` once per economy (``k^3`` each, ``k`` its industries)."""
    t = model.table
    out = []
    for e in range(econ.count):
        ix = econ.industries(e)
        k = ix.size
        block = -t.Z[np.ix_(ix, ix)] * model.inv_x[ix][None, :]
        block[np.diag_indices(k)] += 1.0
        lu = scipy.linalg.lu_factor(block, check_finite=False)
        inverse = scipy.linalg.lu_solve(lu, np.eye(k), check_finite=False)
        out.append(
            LocalInverse(
                industries=ix,
                lu=lu,
                va_multiplier=np.asarray(v[ix] @ inverse),
                diagonal=np.asarray(np.diag(inverse).copy()),
            )
        )
    return out
