"""Borin and Mancini's source- and sink-based decompositions of gross exports.

References: A. Borin and M. Mancini (2019), "Measuring What Matters in Global Value Chains and
Value-Added Trade", World Bank Policy Research WP 8804; revised as "Measuring what matters in
value-added trade", *Economic Systems Research* 35(4): 586-613 (2023) ("BM" below, equation
numbers of the 2023 article). Stata: Belotti, Borin and Mancini (2021), *Stata Journal* 21(3).

**Terms.** Gross exports ``E`` of an exporting economy ``s`` (a region, or a bloc at its
perimeter, :mod:`karavan.core.gvc.economies`) split, flow by flow (exporting industry x importing
economy ``r``), into

    EXGR = DAVAX + REX + REF + DDC + FVA + FDC                                   (BM Table 1)

with ``DVA = DAVAX + REX + REF`` (domestic value added), ``VAX = DAVAX + REX`` (absorbed
abroad), ``DC = DVA + DDC`` and ``FC = FVA + FDC`` (the domestic and foreign contents: TiVA's
``EXGR_DVA`` and ``EXGR_FVA``). ``DAVAX`` is absorbed by the direct importer, ``REX`` re-exported
by it to be absorbed in third economies, ``REF`` reflected back and absorbed at home; ``DDC`` and
``FDC`` count value added already counted in an earlier (source) or later (sink) crossing of
the same border. GVC-related trade: ``GVC = GVCB + GVCF`` with ``GVCB = DDC + FVA + FDC``
(backward) and ``GVCF = REX + REF`` (forward), so ``GVC = EXGR - DAVAX`` (BM eqs. 35-37).

**Perimeter ("level").** Double counting is relative to a set ``F`` of export flows, whose
intermediate part ``A_PQ`` (rows ``P``: exporting industries, columns ``Q``: importing ones) is
extracted from ``A`` to give ``A^F`` and ``B^F = (I - A^F)^-1``:

- ``country``: all exports of ``s`` (``P = I_s``, ``Q`` = every other economy; BM eq. 20),
- ``bilateral``: exports of ``s`` to ``r`` only (``Q = I_r``; BM eq. 28),
- ``sector``: exports of sector ``i`` of ``s`` (``P`` = the industries of sector ``i`` in ``s``,
  one per member region; BM sec. 5, exvatools' "sector perspective").

**Source-based** (value added counted the first time it crosses the perimeter; BM eqs. 20-22):
with ``m = v_s' L_ss``, ``f = sum_(t != s) v_t' L_ts`` (column by column, the TiVA multipliers),
``m^F`` and ``f^F`` the same with ``B^F`` in place of ``L``:

    DVA = m^F E,   DDC = (m - m^F) E,   FVA = f^F E,   FDC = (f - f^F) E,
    REF = m^F A_sr (L Y_s)_r,   DAVAX = m^F (Y_sr + A_sr L_rr Y_rr),   REX = DVA - DAVAX - REF,

``L_rr`` the importer's local inverse, ``Y_s`` the final demand of ``s``, products row-wise.

**Sink-based** (counted the last time; BM eqs. 12-13 and 23-24): with ``z = B^F e_F`` the output
needed to produce the flows ``F`` themselves (``e_F`` their total by exporting industry),

    DDC = m (A_sr z_r),   FDC = f (A_sr z_r),   DVA = m E - DDC,   FVA = f E - FDC,
    REF = m A_sr (B^F Y_s)_r,   DAVAX = m (Y_sr + A_sr L_rr Y_rr).

Source and sink give the same totals per perimeter (``m^F e_F = m e_F - m A z``), different
splits across the flows inside it.

**Numerics: no extraction matrix is ever inverted.** ``A^F = A - E_P A_PQ E_Q'`` is a rank
``|P|`` change of ``A``, so by the Woodbury identity and ``A_PQ (I + L_QP A_PQ)^-1 = (I + A_PQ
L_QP)^-1 A_PQ``,

    B^F_(.,P) = L_(.,P) K^-1,    B^F y = L y - L_(.,P) K^-1 A_PQ (L y)_Q,    K = I + A_PQ L_QP,

a ``|P| x |P|`` system. Per exporter ``s`` the columns ``L_(.,s)`` come from one solve with
``k = |I_s|`` right-hand sides on the model's LU factors (``2 n^2 k``, ``2 n^3`` for all
exporters); the bilateral ``A_sr L_rs`` for every partner are batched ``k x k`` products, the
sector systems are the diagonal sub-blocks ``(A_(s,Q) L_(Q,s))[P_i, P_i]``. The importers'
local inverses are factorised once each. Peak memory: the LU factors, the table's ``Z`` and
``O(n k)``; time ``O(n^3)`` dominated by the triangular solves.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from karavan.core.gvc.economies import (
    BlocSpec,
    Economies,
    TradeFlows,
    economies,
    local_inverses,
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


@dataclass(frozen=True, eq=False)
class _Prepared:
    """What every exporter's decomposition reads (n industries, E economies)."""

    econ: Economies
    v: Array  # value-added coefficients, n
    flows: TradeFlows
    membership: Array  # n x E
    for_final_demand: Array  # n x E: L Y_d, output for economy d's final demand
    home_absorbed: Array  # n: L_rr Y_rr for the industry's own economy r


def _prepare(model: LeontiefModel, econ: Economies) -> _Prepared:
    t = model.table
    v = value_added_coefficients_residual(t)
    flows = trade_flows(t, econ)
    membership = econ.membership()
    Y_econ = t.Y_by_region @ econ.region_membership()
    home = np.zeros(t.n)
    for inv in local_inverses(model, econ, v):
        home[inv.industries] = inv.solve(flows.domestic_final[inv.industries])
    return _Prepared(
        econ=econ,
        v=v,
        flows=flows,
        membership=membership,
        for_final_demand=model.solve(Y_econ),
        home_absorbed=home,
    )


def _bilateral_blocks(Ae: Array, Bcol: Array, econ: Economies, R: int, S: int) -> Array:
    """``A_sr L_rs`` (k x k) for every economy ``r`` (zero for ``r = s``): E x k x k."""
    k = Ae.shape[0]
    if econ.count == R:  # every economy one region: one batched product
        return np.asarray(np.matmul(Ae.reshape(k, R, S).transpose(1, 0, 2), Bcol.reshape(R, S, k)))
    out = np.empty((econ.count, k, k))
    for r in range(econ.count):
        ir = econ.industries(r)
        np.matmul(Ae[:, ir], Bcol[ir], out=out[r])
    return out


def _solve_stack(K: Array, rhs: Array) -> Array:
    """Solve ``K[i] X[i] = rhs[i]`` for stacks ``K`` (b x k x k) and ``rhs`` (b x k x c)."""
    return np.asarray(np.linalg.solve(K, rhs))


def _sector_blocks(M: Array, S: int) -> Array:
    """``(S, g, g)`` diagonal sub-blocks ``M[P_i, P_i]`` of a ``k x k`` matrix (``k = g S``,
    local index ``member * S + sector``)."""
    g = M.shape[-1] // S
    return np.asarray(np.einsum("aibi->iab", M.reshape(g, S, g, S)))


def _exporter(
    model: LeontiefModel, prep: _Prepared, e: int, perspective: Perspective, level: Level
) -> dict[str, Array]:
    """The six base terms (``k x E`` each: exporting industry x importing economy) of ``e``."""
    t = model.table
    econ = prep.econ
    n, S, R = t.n, econ.n_sectors, t.n_regions
    ix = econ.industries(e)
    k = ix.size
    rhs = np.zeros((n, k))
    rhs[ix, np.arange(k)] = 1.0
    Bcol = model.solve(rhs)  # L[:, I_s]
    m = prep.v[ix] @ Bcol[ix]
    f = prep.v @ Bcol - m
    Ae = t.Z[ix] * model.inv_x[None, :]  # A_(s, .)
    Ae[:, ix] = 0.0  # A_(s, Q): the foreign part only
    M = prep.membership
    Ex = prep.flows.exports[ix]
    direct = prep.flows.final[ix] + (Ae * prep.home_absorbed[None, :]) @ M  # Y_sr + A_sr L_rr Y_rr
    ag = (Ae * prep.for_final_demand[:, e][None, :]) @ M  # A_sr (L Y_s)_r

    def partners(q: Array) -> Array:
        """``[A_sr q_r]_r``: k x E."""
        return np.asarray((Ae * q[None, :]) @ M)

    mf = np.stack([m, f], axis=1)  # k x 2
    if level == "bilateral":
        K = _bilateral_blocks(Ae, Bcol, econ, R, S)
        K += np.eye(k)[None, :, :]
        if perspective == "source":
            x = _solve_stack(K.transpose(0, 2, 1), np.broadcast_to(mf, (econ.count, k, 2)))
            mx, fx = x[:, :, 0].T, x[:, :, 1].T  # k x E
            return _source_terms(m, f, mx, fx, Ex, direct, ag)
        y = _solve_stack(K, np.stack([Ex.T, ag.T], axis=2))  # E x k x 2
        ddc_basis = Ex - y[:, :, 0].T
        ref_basis = y[:, :, 1].T
        return _sink_terms(m, f, Ex, direct, ddc_basis, ref_basis)

    Msum = Ae @ Bcol  # A_(s,Q) L_(Q,s)
    if level == "country":
        Kc = Msum + np.eye(k)
        if perspective == "source":
            xc = np.asarray(np.linalg.solve(Kc.T, mf), dtype=np.float64)
            return _source_terms(m, f, xc[:, :1], xc[:, 1:], Ex, direct, ag)
        yc = _solve_stack(Kc, np.stack([Ex.sum(axis=1), ag.sum(axis=1)], axis=1))
        ddc_basis = partners(Bcol @ yc[:, 0])
        ref_basis = ag - partners(Bcol @ yc[:, 1])
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
    Bs = Bcol.reshape(n, g, S)
    sector_of = np.arange(k) % S

    def through(w: Array) -> Array:
        """``[A_(j,r) (L_(.,P_i) w_i)_r]`` for each row ``j`` in sector ``i``: k x E."""
        z = np.einsum("lai,ia->li", Bs, w)  # n x S
        return np.asarray((Ae * z[:, sector_of].T) @ M)

    ddc_basis = through(y[:, :, 0])
    ref_basis = ag - through(y[:, :, 1])
    return _sink_terms(m, f, Ex, direct, ddc_basis, ref_basis)


def _source_terms(
    m: Array, f: Array, mx: Array, fx: Array, Ex: Array, direct: Array, ag: Array
) -> dict[str, Array]:
    """BM eqs. 20-22; ``mx``, ``fx`` are ``k x 1`` (one perimeter) or ``k x E`` (per partner)."""
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
    """BM eqs. 23-24: ``ddc_basis = A_sr z_r``, ``ref_basis = A_sr (B^F Y_s)_r``."""
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


def _complete(base: dict[str, Array], exports: Array) -> dict[str, Array]:
    rex = base["DVA"] - base["DAVAX"] - base["REF"]
    gvcb = base["DDC"] + base["FVA"] + base["FDC"]
    gvcf = rex + base["REF"]
    return {
        "EXGR": exports,
        "DC": base["DVA"] + base["DDC"],
        "DVA": base["DVA"],
        "VAX": base["DAVAX"] + rex,
        "DAVAX": base["DAVAX"],
        "REX": rex,
        "REF": base["REF"],
        "DDC": base["DDC"],
        "FC": base["FVA"] + base["FDC"],
        "FVA": base["FVA"],
        "FDC": base["FDC"],
        "GVC": gvcb + gvcf,
        "GVCB": gvcb,
        "GVCF": gvcf,
    }


def borin_mancini(
    model: LeontiefModel,
    *,
    perspective: Perspective = "source",
    level: Level = "country",
    blocs: BlocSpec = None,
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
    E, n = econ.count, t.n
    full = {name: np.zeros((n, E)) for name in _BASE}
    for e in range(E):
        ix = econ.industries(e)
        for name, values in _exporter(model, prep, e, perspective, level).items():
            full[name][ix] = values
    terms = _complete(full, prep.flows.exports)
    frame = _frame(econ, t.sectors, terms, level, by_flow)
    frame.attrs.update(
        method="Borin and Mancini (2023)",
        perspective=perspective,
        level=level,
        blocs={k: list(v) for k, v in econ.blocs.items()},
        absent={k: list(v) for k, v in econ.absent.items()},
    )
    return frame


def _frame(
    econ: Economies,
    sectors: tuple[str, ...],
    terms: dict[str, Array],
    level: Level,
    by_flow: bool,
) -> pd.DataFrame:
    E, S = econ.count, econ.n_sectors
    labels = np.asarray(econ.labels, dtype=object)
    cube = {k: econ.by_economy_sector(v) for k, v in terms.items()}  # E x S x E (importer)
    if by_flow:
        s_idx, i_idx, r_idx = np.nonzero(
            np.broadcast_to(~np.eye(E, dtype=bool)[:, None, :], (E, S, E))
        )
        index = pd.MultiIndex.from_arrays(
            [labels[s_idx], np.asarray(sectors, dtype=object)[i_idx], labels[r_idx]],
            names=["exporter", "sector", "importer"],
        )
        return pd.DataFrame({k: c[s_idx, i_idx, r_idx] for k, c in cube.items()}, index=index)
    if level == "country":
        return pd.DataFrame(
            {k: c.sum(axis=(1, 2)) for k, c in cube.items()},
            index=pd.Index(econ.labels, name="exporter"),
        )
    if level == "bilateral":
        s_idx, r_idx = np.nonzero(~np.eye(E, dtype=bool))
        index = pd.MultiIndex.from_arrays(
            [labels[s_idx], labels[r_idx]], names=["exporter", "importer"]
        )
        return pd.DataFrame({k: c.sum(axis=1)[s_idx, r_idx] for k, c in cube.items()}, index=index)
    index = pd.MultiIndex.from_product([econ.labels, sectors], names=["exporter", "sector"])
    return pd.DataFrame({k: c.sum(axis=2).reshape(E * S) for k, c in cube.items()}, index=index)
