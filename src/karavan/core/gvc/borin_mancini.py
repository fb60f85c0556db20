"""Borin and Mancini's source- and sink-based decompositions of gross exports.

References: A. Borin and M. Mancini (2019), "Measuring What Matters in Global Value Chains and
Value-Added Trade", World Bank Policy Research WP 8804; revised as "Measuring what matters in
value-added trade", *Economic Systems Research* 35(4): 586-613 (2023) ("BM"); Stata command
``icio``: Belotti, Borin and Mancini (2021), *Stata Journal* 21(3). Reference implementation
matched to its published figures: exvatools (E. Feas), ``make_exvadec(method = "bm_src" |
"bm_snk")`` (``tests/regression/test_exvatools_vignette.py``). Equation labels (B1)-(B8) are this
module's. Notation as in :mod:`karavan.core.gvc.tiva`: ``L = (I - A)^-1`` with blocks ``L_sr``,
``Ld_r = (I - A_rr)^-1`` the local inverse of ``r``, ``v`` the value-added coefficients.

**Terms.** Gross exports ``E`` of an exporting economy ``s`` (a region, or a bloc at its
perimeter, :mod:`karavan.core.gvc.economies`) split, flow by flow (exporting industry x importing
economy ``r``), into

    (B1)  EXGR = DAVAX + REX + REF + DDC + FVA + FDC

with ``DVA = DAVAX + REX + REF`` (domestic value added), ``VAX = DAVAX + REX`` (absorbed
abroad), ``DC = DVA + DDC`` and ``FC = FVA + FDC`` (the domestic and foreign contents: TiVA's
``EXGR_DVA`` and ``EXGR_FVA``). ``DAVAX`` is absorbed by the direct importer, ``REX`` re-exported
by it to be absorbed in third economies, ``REF`` reflected back and absorbed at home; ``DDC`` and
``FDC`` count value added already counted in an earlier (source) or later (sink) crossing of
the same border. GVC-related trade (BM's trade-based participation):

    (B2)  GVC = GVCB + GVCF = EXGR - DAVAX,   GVCB = DDC + FVA + FDC,   GVCF = REX + REF.

**Perimeter ("level").** Double counting is relative to a set ``F`` of export flows, whose
intermediate part ``A_PQ`` (rows ``P``: exporting industries, columns ``Q``: importing ones) is
extracted from ``A`` to give ``A^F`` and ``B^F = (I - A^F)^-1`` (BM's "extraction" matrices,
``B^(s)`` in the exporting-country perspective):

- ``country``: all exports of ``s`` (``P = I_s``, ``Q`` = every other economy),
- ``bilateral``: exports of ``s`` to ``r`` only (``Q = I_r``; BM's bilateral perspective),
- ``sector``: exports of sector ``i`` of ``s`` (``P`` = the industries of sector ``i`` in ``s``,
  one per member region; BM's sectoral perspective, exvatools' "sector perspective").

**Source-based** (value added counted the first time it crosses the perimeter): with ``m =
v_s' L_ss`` and ``f = sum_(t != s) v_t' L_ts`` (column by column: the TiVA multipliers) and
``m^F``, ``f^F`` the same with ``B^F`` in place of ``L``,

    (B3)  DVA = m^F E,   DDC = (m - m^F) E,   FVA = f^F E,   FDC = (f - f^F) E,
    (B4)  REF = m^F A_sr (L Y_s)_r,   DAVAX = m^F (Y_sr + A_sr Ld_r Y_rr),
          REX = DVA - DAVAX - REF,

``Y_s`` the final demand of ``s``, ``Y_rr`` the importer's for its own products, products
elementwise by exporting industry.

**Sink-based** (counted the last time): with ``z = B^F e_F`` the output needed to produce the
flows ``F`` themselves (``e_F`` their total by exporting industry),

    (B5)  DDC = m (A_sr z_r),   FDC = f (A_sr z_r),   DVA = m E - DDC,   FVA = f E - FDC,
    (B6)  REF = m A_sr (B^F Y_s)_r,   DAVAX = m (Y_sr + A_sr Ld_r Y_rr).

Source and sink give the same totals per perimeter (``m^F e_F = m e_F - m A z``), different
splits across the flows inside it.

**Numerics: no extraction matrix is ever inverted.** ``A^F = A - E_P A_PQ E_Q'`` is a rank
``|P|`` change of ``A``, so by the Woodbury identity and ``A_PQ (I + L_QP A_PQ)^-1 = (I + A_PQ
L_QP)^-1 A_PQ``

    (B7)  B^F_(.,P) = L_(.,P) K^-1,   K = I + A_PQ L_QP   (|P| x |P|),
    (B8)  B^F y = L y - L_(.,P) K^-1 A_PQ (L y)_Q.

The columns ``L_(.,s)`` of every exporter come from solves on the model's LU factors, several
exporters at a time (``2 n^3`` flops in all); the bilateral ``A_sr L_rs`` for every partner are
batched ``k x k`` products (``k = |I_s|``), the sector systems the diagonal sub-blocks
``(A_(s,Q) L_(Q,s))[P_i, P_i]``; the importers' local inverses are factorised once each. Peak
memory: the LU factors, the table's ``Z``, ``O(n k)`` and the result; time ``O(n^3)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from karavan.core.gvc.domestic_leontief import DomesticLeontief
from karavan.core.gvc.economies import (
    BlocsSpec,
    Economies,
    TradeFlows,
    economies,
    trade_flows,
    value_added_coefficients_residual,
)
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array
from karavan.errors import LabelError, TableError

__all__ = ["TERMS", "borin_mancini"]

Perspective = Literal["source", "sink"]
Level = Literal["country", "bilateral", "sector"]

TERMS = (
    "EXGR",
    "DC",
    "DVA",
    "VAX",
    "DAVAX",
    "REX",
    "REF",
    "DDC",
    "FC",
    "FVA",
    "FDC",
    "GVC",
    "GVCB",
    "GVCF",
)
_BASE = ("DAVAX", "REF", "DVA", "DDC", "FVA", "FDC")
_CHUNK = 256  # right-hand sides per solve for the columns of L


@dataclass(frozen=True, eq=False)
class _Prepared:
    """What every exporter's decomposition reads (n industries, E economies)."""

    econ: Economies
    v: Array  # value-added coefficients, n
    flows: TradeFlows
    for_final_demand: Array  # n x E: L Y_d, output for economy d's final demand
    home_absorbed: Array  # n: Ld_r Y_rr for the industry's own economy r


def _prepare(model: LeontiefModel, econ: Economies) -> _Prepared:
    t = model.table
    v = value_added_coefficients_residual(t)
    flows = trade_flows(t, econ)
    Y_econ = t.Y_by_region @ econ.region_membership()
    home = DomesticLeontief(model, econ).solve(flows.domestic_final)
    return _Prepared(
        econ=econ,
        v=v,
        flows=flows,
        for_final_demand=model.solve(Y_econ),
        home_absorbed=home,
    )


def _bilateral_blocks(Ae: Array, Lcol: Array, econ: Economies, R: int, S: int) -> Array:
    """``A_sr L_rs`` (k x k) for every economy ``r`` (zero for ``r = s``): E x k x k."""
    k = Ae.shape[0]
    if econ.count == R:  # every economy one region: one batched product
        return np.asarray(np.matmul(Ae.reshape(k, R, S).transpose(1, 0, 2), Lcol.reshape(R, S, k)))
    out = np.empty((econ.count, k, k))
    for r in range(econ.count):
        ir = econ.industries(r)
        np.matmul(Ae[:, ir], Lcol[ir], out=out[r])
    return out


def _solve_stack(K: Array, rhs: Array) -> Array:
    """Solve ``K[i] X[i] = rhs[i]`` for stacks ``K`` (b x k x k) and ``rhs`` (b x k x c)."""
    return np.asarray(np.linalg.solve(K, rhs))


def _sector_blocks(M: Array, S: int) -> Array:
    """``(S, g, g)`` diagonal sub-blocks ``M[P_i, P_i]`` of a ``k x k`` matrix (``k = g S``,
    local index ``member * S + sector``)."""
    g = M.shape[-1] // S
    return np.asarray(np.einsum("aibi->iab", M.reshape(g, S, g, S)))


def _leontief_columns(model: LeontiefModel, econ: Economies) -> Iterator[tuple[int, Array]]:
    """``(e, L[:, I_e])`` for every economy, solving for several exporters at once (at least
    ``_CHUNK`` right-hand sides per call, or all of a large bloc): fewer, larger ``getrs``."""
    n = model.n
    e = 0
    while e < econ.count:
        group = [e]
        width = econ.industries(e).size
        while group[-1] + 1 < econ.count and width < _CHUNK:
            group.append(group[-1] + 1)
            width += econ.industries(group[-1]).size
        cols = np.concatenate([econ.industries(g) for g in group])
        rhs = np.zeros((n, cols.size), order="F")
        rhs[cols, np.arange(cols.size)] = 1.0
        block = model.solve(rhs)
        start = 0
        for g in group:
            k = econ.industries(g).size
            yield g, block[:, start : start + k]
            start += k
        e = group[-1] + 1


def _exporter(
    model: LeontiefModel,
    prep: _Prepared,
    e: int,
    Lcol: Array,
    perspective: Perspective,
    level: Level,
) -> dict[str, Array]:
    """The six base terms (``k x E`` each: exporting industry x importing economy) of ``e``,
    from ``Lcol = L[:, I_e]``."""
    t = model.table
    econ = prep.econ
    n, S, R = t.n, econ.n_sectors, t.n_regions
    ix = econ.industries(e)
    k = ix.size
    # Below, only small BLAS calls (k x k) and plain numpy reductions: a multithreaded BLAS
    # call per exporter would leave its worker threads spinning between the small ones.
    m = prep.v[ix] @ Lcol[ix]
    f = np.einsum("l,lj->j", prep.v, Lcol) - m
    Ae = t.Z[ix] * model.inv_x[None, :]  # A_(s, .)
    Ae[:, ix] = 0.0  # A_(s, Q): the foreign part only
    Ex = prep.flows.exports[ix]

    def partners(q: Array) -> Array:
        """``[A_sr q_r]_r``: k x E."""
        return econ.partner_sums(Ae * q[None, :])

    direct = prep.flows.final[ix] + partners(prep.home_absorbed)  # Y_sr + A_sr Ld_r Y_rr
    ag = partners(prep.for_final_demand[:, e])  # A_sr (L Y_s)_r

    mf = np.stack([m, f], axis=1)  # k x 2
    if level == "bilateral":
        K = _bilateral_blocks(Ae, Lcol, econ, R, S)
        K += np.eye(k)[None, :, :]
        if perspective == "source":
            x = _solve_stack(K.transpose(0, 2, 1), np.broadcast_to(mf, (econ.count, k, 2)))
            mx, fx = x[:, :, 0].T, x[:, :, 1].T  # k x E
            return _source_terms(m, f, mx, fx, Ex, direct, ag)
        y = _solve_stack(K, np.stack([Ex.T, ag.T], axis=2))  # E x k x 2
        ddc_basis = Ex - y[:, :, 0].T
        ref_basis = y[:, :, 1].T
        return _sink_terms(m, f, Ex, direct, ddc_basis, ref_basis)

    Msum = _bilateral_blocks(Ae, Lcol, econ, R, S).sum(axis=0)  # A_(s,Q) L_(Q,s)
    if level == "country":
        Kc = Msum + np.eye(k)
        if perspective == "source":
            xc = np.asarray(np.linalg.solve(Kc.T, mf), dtype=np.float64)
            return _source_terms(m, f, xc[:, :1], xc[:, 1:], Ex, direct, ag)
        yc = _solve_stack(Kc, np.stack([Ex.sum(axis=1), ag.sum(axis=1)], axis=1))
        z = np.einsum("lj,jc->lc", Lcol, yc)
        ddc_basis = partners(z[:, 0])
        ref_basis = ag - partners(z[:, 1])
        return _sink_terms(m, f, Ex, direct, ddc_basis, ref_basis)

    # sector: P_i = the industries of sector i (one per member region)
    g = k // S
    Ks = _sector_blocks(Msum, S) + np.eye(g)[None, :, :]  # S x g x g

    def by_sector(vec: Array) -> Array:  # k -> S x g
        return np.asarray(vec.reshape(g, S).T)

    def to_local(arr: Array) -> Array:  # S x g -> k
        return np.asarray(arr.T.reshape(k))

    if perspective == "source":
        x = _solve_stack(Ks.transpose(0, 2, 1), np.stack([by_sector(m), by_sector(f)], axis=2))
        mx, fx = to_local(x[:, :, 0]), to_local(x[:, :, 1])
        return _source_terms(m, f, mx[:, None], fx[:, None], Ex, direct, ag)
    y = _solve_stack(Ks, np.stack([by_sector(Ex.sum(axis=1)), by_sector(ag.sum(axis=1))], axis=2))
    Ls = Lcol.reshape(n, g, S)
    sector_of = np.arange(k) % S

    def through(w: Array) -> Array:
        """``[A_(j,r) (L_(.,P_i) w_i)_r]`` for each row ``j`` in sector ``i``: k x E."""
        z = np.einsum("lai,ia->li", Ls, w)  # n x S
        return econ.partner_sums(Ae * z[:, sector_of].T)

    ddc_basis = through(y[:, :, 0])
    ref_basis = ag - through(y[:, :, 1])
    return _sink_terms(m, f, Ex, direct, ddc_basis, ref_basis)


def _source_terms(
    m: Array, f: Array, mx: Array, fx: Array, Ex: Array, direct: Array, ag: Array
) -> dict[str, Array]:
    """(B3)-(B4); ``mx``, ``fx`` are ``k x 1`` (one perimeter) or ``k x E`` (per partner)."""
    dva = mx * Ex
    fva = fx * Ex
    return {
        "DVA": dva,
        "DDC": m[:, None] * Ex - dva,
        "FVA": fva,
        "FDC": f[:, None] * Ex - fva,
        "REF": mx * ag,
        "DAVAX": mx * direct,
    }


def _sink_terms(
    m: Array, f: Array, Ex: Array, direct: Array, ddc_basis: Array, ref_basis: Array
) -> dict[str, Array]:
    """(B5)-(B6): ``ddc_basis = A_sr z_r``, ``ref_basis = A_sr (B^F Y_s)_r``."""
    mm, ff = m[:, None], f[:, None]
    ddc = mm * ddc_basis
    fdc = ff * ddc_basis
    return {
        "DVA": mm * Ex - ddc,
        "DDC": ddc,
        "FVA": ff * Ex - fdc,
        "FDC": fdc,
        "REF": mm * ref_basis,
        "DAVAX": mm * direct,
    }


def _complete(base: dict[str, Array], exports: Array) -> Array:
    """All :data:`TERMS` from the base terms of one exporter: ``k x E x len(TERMS)``."""
    out = np.empty((*exports.shape, len(TERMS)))
    col = {name: out[:, :, i] for i, name in enumerate(TERMS)}
    col["EXGR"][...] = exports
    for name in _BASE:
        col[name][...] = base[name]
    col["REX"][...] = base["DVA"] - base["DAVAX"] - base["REF"]
    col["VAX"][...] = base["DAVAX"] + col["REX"]
    col["DC"][...] = base["DVA"] + base["DDC"]
    col["FC"][...] = base["FVA"] + base["FDC"]
    col["GVCB"][...] = base["DDC"] + base["FVA"] + base["FDC"]
    col["GVCF"][...] = col["REX"] + base["REF"]
    col["GVC"][...] = col["GVCB"] + col["GVCF"]
    return out


def borin_mancini(
    model: LeontiefModel,
    *,
    perspective: Perspective = "source",
    level: Level = "country",
    blocs: BlocsSpec = None,
    by_flow: bool = False,
) -> pd.DataFrame:
    """Borin-Mancini decomposition of every economy's gross exports (module docstring).

    ``perspective`` is ``"source"`` or ``"sink"``; ``level`` the perimeter of double counting:
    ``"country"`` (rows: exporter), ``"bilateral"`` (exporter, importer) or ``"sector"``
    (exporter, sector). With ``by_flow=True`` the rows are every export flow (exporter, sector,
    importer) inside that perimeter; they add up to the level's rows. ``blocs`` merges regions
    into economies (:func:`karavan.core.gvc.economies.economies`). Columns: :data:`TERMS`;
    every row satisfies ``EXGR = DAVAX + REX + REF + DDC + FVA + FDC`` to rounding. The frame's
    ``attrs`` record the method, perspective, level and the blocs' present and absent members.
    """
    if perspective not in ("source", "sink"):
        raise LabelError(f"perspective must be 'source' or 'sink'; got {perspective!r}")
    if level not in ("country", "bilateral", "sector"):
        raise LabelError(f"level must be 'country', 'bilateral' or 'sector'; got {level!r}")
    t = model.table
    econ = economies(t, blocs)
    if econ.count < 2:
        raise TableError(
            f"a decomposition of gross exports needs at least two economies; the table has "
            f"{econ.count} ({', '.join(econ.labels)}) once blocs are merged"
        )
    prep = _prepare(model, econ)
    out = _Rows(econ, t.sectors, level, by_flow)
    for e, Lcol in _leontief_columns(model, econ):
        base = _exporter(model, prep, e, Lcol, perspective, level)
        exports = prep.flows.exports[econ.industries(e)]
        out.add(e, _complete(base, exports))
    frame = out.frame()
    frame.attrs.update(
        method="Borin and Mancini (2023)",
        perspective=perspective,
        level=level,
        blocs={k: list(v) for k, v in econ.blocs.items()},
        absent={k: list(v) for k, v in econ.absent.items()},
    )
    return frame


class _Rows:
    """The result rows, filled exporter by exporter (no ``n x E`` array of every term is kept:
    only the rows asked for)."""

    def __init__(
        self, econ: Economies, sectors: tuple[str, ...], level: Level, by_flow: bool
    ) -> None:
        E, S, T = econ.count, econ.n_sectors, len(TERMS)
        self.econ, self.sectors, self.level, self.by_flow = econ, sectors, level, by_flow
        shape = {"country": (E, T), "bilateral": (E, E - 1, T), "sector": (E, S, T)}[level]
        self.values = np.empty((E, S, E - 1, T) if by_flow else shape)

    def add(self, e: int, terms: Array) -> None:
        """``terms``: exporter ``e``'s industries x importing economies x :data:`TERMS`."""
        S = self.econ.n_sectors
        k, E, T = terms.shape
        by_sector = terms.reshape(k // S, S, E, T).sum(axis=0)  # members summed: S x E x T
        foreign = np.delete(by_sector, e, axis=1)  # S x (E - 1) x T
        if self.by_flow:
            self.values[e] = foreign
        elif self.level == "country":
            self.values[e] = foreign.sum(axis=(0, 1))
        elif self.level == "bilateral":
            self.values[e] = foreign.sum(axis=0)
        else:
            self.values[e] = foreign.sum(axis=1)

    def frame(self) -> pd.DataFrame:
        econ, sectors = self.econ, self.sectors
        E, S, T = econ.count, econ.n_sectors, len(TERMS)
        exporter = np.arange(E)
        partner = np.asarray([[r for r in range(E) if r != s] for s in range(E)], dtype=np.intp)
        index: pd.Index
        if self.by_flow:
            codes = [
                np.repeat(exporter, S * (E - 1)),
                np.tile(np.repeat(np.arange(S), E - 1), E),
                np.repeat(partner[:, None, :], S, axis=1).reshape(-1),
            ]
            index = pd.MultiIndex(
                levels=[econ.labels, sectors, econ.labels],
                codes=cast(Any, codes),
                names=["exporter", "sector", "importer"],
            )
        elif self.level == "country":
            index = pd.Index(econ.labels, name="exporter")
        elif self.level == "bilateral":
            index = pd.MultiIndex(
                levels=[econ.labels, econ.labels],
                codes=cast(Any, [np.repeat(exporter, E - 1), partner.reshape(-1)]),
                names=["exporter", "importer"],
            )
        else:
            index = pd.MultiIndex.from_product([econ.labels, sectors], names=["exporter", "sector"])
        values = self.values.reshape(len(index), T)
        return pd.DataFrame(values, index=index, columns=pd.Index(TERMS), copy=False)
