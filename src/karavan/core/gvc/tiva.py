"""OECD Trade in Value Added (TiVA) indicators, per economy (country or bloc), partner and sector.

Definitions follow the *Guide to OECD's Trade in Value Added (TiVA) Indicators* (OECD, 2018
edition, Directorate for Science, Technology and Innovation, December 2019; 2021 edition),
written for economies ``c`` (exporter or absorber) and ``p`` (partner). Notation: ``v`` the
value-added coefficients, ``L = (I - A)^-1`` the global Leontief inverse with blocks ``L_oc``,
``Ld_c = (I - A_cc)^-1`` the local (domestic) inverse of ``c``, ``E_c = sum_p E_cp`` the gross
exports of ``c``'s industries (:mod:`karavan.core.gvc.economies`). Amounts are in the table's
currency and unit, shares (``...SH``) in percent; a share whose denominator is zero is NaN.
Equation labels (T1)-(T14) are this module's.

Structural indicators (guide, 2018 edition, secs. 4.1-4.6):

- (T1) ``PROD = sum x_c``; ``VALU = sum v_c x_c``;
- (T2) ``EXGR``, ``EXGR_INT``, ``EXGR_FNL``: gross exports ``E_cp`` and their intermediate and
  final parts; ``IMGR = E_pc`` (imports by partner, and by the sector of the product);
- (T3) ``BALGR = EXGR - IMGR``.

Value added in gross exports (the guide's indicators of the domestic and foreign content):

- (T4) ``EXGR_DVA = v_c' L_cc E_c``, by exporting industry; ``EXGR_DVASH = 100 EXGR_DVA /
  EXGR``;
- (T5) its split by the path of the value added: ``EXGR_DDC`` (direct, ``v_j (Ld_c)_jj E_j``: the
  exporting industry's own value added), ``EXGR_IDC`` (indirect: the other domestic industries,
  ``Ld_c`` off its diagonal) and ``EXGR_RIM`` (re-imported, ``v_c' (L_cc - Ld_c) E_c``: value
  added that left ``c`` and came back inside imported inputs). ``EXGR_DDC`` is TiVA's *direct
  domestic content*, not Borin and Mancini's *domestic double counting*;
- (T6) ``EXGR_FVA = sum_(o != c) v_o' L_oc E_c``, the foreign content; ``EXGR_FVASH = 100
  EXGR_FVA / EXGR``: **backward participation**;
- (T7) ``DEXFVAP[c, p] = v_p' L_pc E_c``: value added of partner ``p`` in ``c``'s exports (the
  origin breakdown of ``EXGR_FVA``);
- (T8) ``FEXDVAP[c, p] = DEXFVAP[p, c]``: ``c``'s value added in ``p``'s exports;
  ``EXGR_DVAFX = sum_p FEXDVAP[c, p]`` and ``EXGR_DVAFXSH = 100 EXGR_DVAFX / EXGR`` (the guide's
  "domestic value added embodied in foreign exports as a share of gross exports"): **forward
  participation**. Koopman, Powers, Wang and Wei (2010, NBER WP 16426) add the two shares into a
  GVC participation index, ``GVC_PART``.

Value added in final demand (Johnson and Noguera 2012, eq. 5), with (T9) ``VA[o, d] = sum_(j in
o) v_j (L Y_d)_j`` the value added created in ``o`` and absorbed by the final demand ``Y_d`` of
``d``:

- (T10) ``FD_VA[c] = sum_o VA[o, c]``, all value added embodied in ``c``'s final demand (equal to
  ``c``'s final demand at basic prices); by partner, ``FD_VA[c, p] = VA[p, c]``;
- (T11) ``DXD_DVA[c] = VA[c, c]``, domestic value added in domestic final demand (TiVA's source
  "DXD: Domestic");
- (T12) ``FFD_DVA[c, p] = VA[c, p]`` and ``DFD_FVA[c, p] = VA[p, c]``, ``p != c``;
- (T13) ``BALVAFD = FFD_DVA - DFD_FVA``. Summed over partners it equals ``BALGR`` for a balanced
  table, because ``VALU = FD + EXGR - IMGR``; partner by partner it does not;
- (T14) ``DFD_DVASH = 100 DXD_DVA / FD_VA``: the share of the value added in ``c``'s final demand
  that ``c`` creates itself, the *closure* of a bloc (:mod:`karavan.core.gvc.closure`).

For a bloc every indicator is taken at the bloc's perimeter: its exports are extra-bloc exports,
"domestic" means created inside the bloc, ``Ld_c`` is the inverse of the bloc's internal block.
Aggregating the members into one region of the table first gives the same ``PROD``, ``VALU``,
``EXGR``, ``IMGR``, ``BALGR``, ``FD_VA``, the totals ``EXGR_DVA + EXGR_FVA`` and ``DXD_DVA +
FFD_DVA`` and ``sum_p BALVAFD``; the Leontief-based splits agree only when the members share
one technology (no aggregation bias; Miller and Blair 2009, sec. 4.3), and even then
``EXGR_DDC`` and ``EXGR_IDC`` differ (merging moves the members' sales to each other's same
industry from "indirect" to "direct"; their sum agrees).

Cost: one transposed solve with ``E`` right-hand sides (``v_o' L`` for every origin economy),
two solves with ``E`` (output for each economy's final demand, and for the exports of every
other economy) on the model's LU factors, and one ``k x k`` factorisation per economy: ``O(n^2
E)`` after the LU. Nothing ``n x n`` is formed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from karavan.core.gvc.domestic_leontief import DomesticLeontief
from karavan.core.gvc.economies import (
    BlocsSpec,
    Economies,
    economies,
    trade_flows,
    value_added_coefficients_residual,
)
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array

__all__ = ["COUNTRY_INDICATORS", "TivaResult", "tiva_indicators"]

COUNTRY_INDICATORS = (
    "PROD",
    "VALU",
    "EXGR",
    "EXGR_INT",
    "EXGR_FNL",
    "IMGR",
    "IMGR_INT",
    "IMGR_FNL",
    "BALGR",
    "EXGR_DVA",
    "EXGR_DVASH",
    "EXGR_DDC",
    "EXGR_IDC",
    "EXGR_RIM",
    "EXGR_FVA",
    "EXGR_FVASH",
    "EXGR_DVAFX",
    "EXGR_DVAFXSH",
    "GVC_PART",
    "FD_VA",
    "DXD_DVA",
    "FFD_DVA",
    "DFD_FVA",
    "BALVAFD",
    "DFD_DVASH",
)
PARTNER_INDICATORS = (
    "EXGR",
    "EXGR_INT",
    "EXGR_FNL",
    "IMGR",
    "IMGR_INT",
    "IMGR_FNL",
    "BALGR",
    "EXGR_DVA",
    "EXGR_FVA",
    "DEXFVAP",
    "FEXDVAP",
    "FD_VA",
    "FFD_DVA",
    "DFD_FVA",
    "BALVAFD",
)
SECTOR_INDICATORS = (
    "PROD",
    "VALU",
    "EXGR",
    "EXGR_INT",
    "EXGR_FNL",
    "IMGR",
    "IMGR_INT",
    "IMGR_FNL",
    "EXGR_DVA",
    "EXGR_DVASH",
    "EXGR_DDC",
    "EXGR_IDC",
    "EXGR_RIM",
    "EXGR_FVA",
    "EXGR_FVASH",
    "EXGR_DVAFX",
    "DXD_DVA",
    "FFD_DVA",
)


@dataclass(frozen=True)
class TivaResult:
    """TiVA indicators of every economy (region, or bloc at its perimeter).

    - ``country``: economy x indicator (:data:`COUNTRY_INDICATORS`);
    - ``by_partner``: (economy, partner) x indicator, partners ``!= economy``; ``EXGR_DVA`` and
      ``EXGR_FVA`` by destination, ``DEXFVAP`` by origin of the foreign value added;
    - ``by_sector``: (economy, sector) x indicator; exports and their content by exporting
      sector, ``VALU``/``DXD_DVA``/``FFD_DVA``/``EXGR_DVAFX`` by the sector creating the value
      added, ``IMGR`` by the sector of the imported product;
    - ``fd_va_origin``: (origin economy, origin sector) x absorbing economy: ``VA`` above with
      sector detail (TiVA's origin of value added in final demand);
    - ``economies``: the economies, in row order; ``blocs`` each bloc's members present in the
      table, ``absent`` the members it lists that the table does not have.
    """

    country: pd.DataFrame
    by_partner: pd.DataFrame
    by_sector: pd.DataFrame
    fd_va_origin: pd.DataFrame
    economies: tuple[str, ...]
    blocs: dict[str, tuple[str, ...]] = field(default_factory=dict)
    absent: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _share(num: Array, den: Array) -> Array:
    """``100 num / den``; NaN where ``den`` is 0 (a share of nothing is undefined)."""
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(100.0 * num, den, out=out, where=den != 0)
    return out


@dataclass(frozen=True, eq=False)
class _Accounts:
    """Everything the indicators are read from (``n`` industries, ``E`` economies)."""

    econ: Economies
    x: Array  # n
    va: Array  # n, v * x
    inter: Array  # n x E exports
    final: Array  # n x E
    exports: Array  # n, total
    origin: Array  # n x E: (v_o' L)_j for origin economy o
    absorbed: Array  # n x E: v_j (L Y_d)_j
    in_foreign_exports: Array  # n: v_j (L E^(not own economy))_j
    direct: Array  # n: v_j (Ld_c)_jj
    local: Array  # n: (v_c' Ld_c)_j


def _accounts(model: LeontiefModel, econ: Economies) -> _Accounts:
    t = model.table
    n, E = t.n, econ.count
    v = value_added_coefficients_residual(t)
    own = econ.industry_economy
    flows = trade_flows(t, econ)
    exports = flows.exports.sum(axis=1)

    masked = np.zeros((n, E))
    masked[np.arange(n), own] = v
    origin = model.solve_transposed(masked)  # (v_o' L)' for every origin o

    Y_econ = t.Y_by_region @ econ.region_membership()
    absorbed = v[:, None] * model.solve(Y_econ)

    M = econ.membership()
    others_exports = exports[:, None] * (1.0 - M)  # column c: exports of every economy but c
    in_foreign = v * model.solve(others_exports)[np.arange(n), own]

    dom = DomesticLeontief(model, econ)
    return _Accounts(
        econ=econ,
        x=np.asarray(t.x),
        va=v * t.x,
        inter=flows.intermediate,
        final=flows.final,
        exports=exports,
        origin=origin,
        absorbed=absorbed,
        in_foreign_exports=in_foreign,
        direct=v * dom.diagonal(),
        local=dom.solve_transposed(v),
    )


def _by_sector(a: _Accounts, values: Array) -> Array:
    """``E x S`` sums of an ``n`` vector."""
    return a.econ.by_economy_sector(values)


def tiva_indicators(model: LeontiefModel, *, blocs: BlocsSpec = None) -> TivaResult:
    """TiVA indicators for every economy of ``model``'s table (formulas in the module docstring).

    ``blocs`` (``{name: member regions}``, or names of :data:`karavan.core.BLOCS` such as
    ``["EAEU"]``) merges each bloc's members into one economy measured at the bloc's perimeter;
    members the table lacks are skipped and listed in :attr:`TivaResult.absent`.
    """
    econ = economies(model.table, blocs)
    a = _accounts(model, econ)
    E, S = econ.count, econ.n_sectors
    own = econ.industry_economy
    n = own.size
    rows = np.arange(n)

    # --- by exporting industry -> (E x S) and (E x E) aggregates
    m = a.origin[rows, own]  # v_c' L_cc, column j
    f = a.origin.sum(axis=1) - m  # sum_(o != c) v_o' L_oc
    dva_ind = m * a.exports
    fva_ind = f * a.exports
    ddc_ind = a.direct * a.exports
    idc_ind = (a.local - a.direct) * a.exports
    rim_ind = (m - a.local) * a.exports

    exports_pc = econ.by_economy(a.inter + a.final)  # E x E, row exporter, column partner
    inter_pc = econ.by_economy(a.inter)
    final_pc = econ.by_economy(a.final)
    dva_pc = econ.by_economy(m[:, None] * (a.inter + a.final))
    fva_pc = econ.by_economy(f[:, None] * (a.inter + a.final))
    # DEXFVAP[c, p]: value added of origin p in the exports of c
    origin_in_exports = econ.by_economy(a.origin * a.exports[:, None])  # row c, column o
    va_od = econ.by_economy(a.absorbed)  # VA[o, d]

    # --- country table
    prod = econ.by_economy(a.x)
    valu = econ.by_economy(a.va)
    exgr = exports_pc.sum(axis=1)
    imgr = exports_pc.sum(axis=0)
    dva = econ.by_economy(dva_ind)
    fva = econ.by_economy(fva_ind)
    dvafx = origin_in_exports.sum(axis=0) - np.diag(origin_in_exports)
    fd_va = va_od.sum(axis=0)
    dxd = np.diag(va_od).copy()
    ffd = va_od.sum(axis=1) - dxd
    dfd = fd_va - dxd
    country = pd.DataFrame(
        {
            "PROD": prod,
            "VALU": valu,
            "EXGR": exgr,
            "EXGR_INT": inter_pc.sum(axis=1),
            "EXGR_FNL": final_pc.sum(axis=1),
            "IMGR": imgr,
            "IMGR_INT": inter_pc.sum(axis=0),
            "IMGR_FNL": final_pc.sum(axis=0),
            "BALGR": exgr - imgr,
            "EXGR_DVA": dva,
            "EXGR_DVASH": _share(dva, exgr),
            "EXGR_DDC": econ.by_economy(ddc_ind),
            "EXGR_IDC": econ.by_economy(idc_ind),
            "EXGR_RIM": econ.by_economy(rim_ind),
            "EXGR_FVA": fva,
            "EXGR_FVASH": _share(fva, exgr),
            "EXGR_DVAFX": dvafx,
            "EXGR_DVAFXSH": _share(dvafx, exgr),
            "GVC_PART": _share(fva + dvafx, exgr),
            "FD_VA": fd_va,
            "DXD_DVA": dxd,
            "FFD_DVA": ffd,
            "DFD_FVA": dfd,
            "BALVAFD": ffd - dfd,
            "DFD_DVASH": _share(dxd, fd_va),
        },
        index=pd.Index(econ.labels, name="economy"),
    )

    # --- by partner (c != p)
    c_idx, p_idx = np.nonzero(~np.eye(E, dtype=bool))
    labels = np.asarray(econ.labels, dtype=object)
    by_partner = pd.DataFrame(
        {
            "EXGR": exports_pc[c_idx, p_idx],
            "EXGR_INT": inter_pc[c_idx, p_idx],
            "EXGR_FNL": final_pc[c_idx, p_idx],
            "IMGR": exports_pc[p_idx, c_idx],
            "IMGR_INT": inter_pc[p_idx, c_idx],
            "IMGR_FNL": final_pc[p_idx, c_idx],
            "BALGR": exports_pc[c_idx, p_idx] - exports_pc[p_idx, c_idx],
            "EXGR_DVA": dva_pc[c_idx, p_idx],
            "EXGR_FVA": fva_pc[c_idx, p_idx],
            "DEXFVAP": origin_in_exports[c_idx, p_idx],
            "FEXDVAP": origin_in_exports[p_idx, c_idx],
            "FD_VA": va_od[p_idx, c_idx],
            "FFD_DVA": va_od[c_idx, p_idx],
            "DFD_FVA": va_od[p_idx, c_idx],
            "BALVAFD": va_od[c_idx, p_idx] - va_od[p_idx, c_idx],
        },
        index=pd.MultiIndex.from_arrays(
            [labels[c_idx], labels[p_idx]], names=["economy", "partner"]
        ),
    )

    # --- by sector
    imports_ind = a.inter + a.final  # n x E: row = supplying industry, column = importer
    imgr_s = _imports_by_sector(econ, imports_ind)
    imgr_int_s = _imports_by_sector(econ, a.inter)
    exgr_s = _by_sector(a, a.exports)
    dva_s = _by_sector(a, dva_ind)
    fva_s = _by_sector(a, fva_ind)
    absorbed_home = a.absorbed[rows, own]
    sector_values: dict[str, Array] = {
        "PROD": _by_sector(a, a.x),
        "VALU": _by_sector(a, a.va),
        "EXGR": exgr_s,
        "EXGR_INT": _by_sector(a, a.inter.sum(axis=1)),
        "EXGR_FNL": _by_sector(a, a.final.sum(axis=1)),
        "IMGR": imgr_s,
        "IMGR_INT": imgr_int_s,
        "IMGR_FNL": imgr_s - imgr_int_s,
        "EXGR_DVA": dva_s,
        "EXGR_DVASH": _share(dva_s, exgr_s),
        "EXGR_DDC": _by_sector(a, ddc_ind),
        "EXGR_IDC": _by_sector(a, idc_ind),
        "EXGR_RIM": _by_sector(a, rim_ind),
        "EXGR_FVA": fva_s,
        "EXGR_FVASH": _share(fva_s, exgr_s),
        "EXGR_DVAFX": _by_sector(a, a.in_foreign_exports),
        "DXD_DVA": _by_sector(a, absorbed_home),
        "FFD_DVA": _by_sector(a, a.absorbed.sum(axis=1) - absorbed_home),
    }
    sector_index = pd.MultiIndex.from_product(
        [econ.labels, model.table.sectors], names=["economy", "sector"]
    )
    by_sector = pd.DataFrame(
        {k: np.asarray(v).reshape(E * S) for k, v in sector_values.items()}, index=sector_index
    )

    fd_va_origin = pd.DataFrame(
        econ.by_economy_sector(a.absorbed).reshape(E * S, E),
        index=sector_index.set_names(["origin", "sector"]),
        columns=pd.Index(econ.labels, name="absorbing_economy"),
    )
    return TivaResult(
        country=country,
        by_partner=by_partner,
        by_sector=by_sector,
        fd_va_origin=fd_va_origin,
        economies=econ.labels,
        blocs=dict(econ.blocs),
        absent=dict(econ.absent),
    )


def _imports_by_sector(econ: Economies, flows: Array) -> Array:
    """``E x S``: imports of each economy (columns of ``flows``) by sector of the product."""
    by_origin = econ.by_economy_sector(flows)  # E_origin x S x E_importer
    out: Array = by_origin.sum(axis=0).T  # importer x sector
    return out
