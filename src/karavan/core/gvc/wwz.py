"""Wang, Wei and Zhu (2013): gross exports of each sector to each partner in 16 terms.

Reference: Wang, Z., S.-J. Wei and K. Zhu (2013), "Quantifying international production sharing
at the bilateral and sector levels", NBER Working Paper 19677 (the 16-term decomposition of
bilateral sector exports, p. 35 of the working paper, with the term names of its Table E1).
Implementation checked against the R package decompr 6.4.0 (``wwz()``; Quast, Wang, Stolzenburg
and Krantz), whose example values on the ``leather`` table are regression goldens here.

Notation (see :mod:`karavan.core.gvc.domestic_leontief`): exporter region ``s``, importer
``r != s``, third regions ``t``, ``u``; ``B = (I - A)^-1`` the global Leontief inverse and
``L_rr = (I - A_rr)^-1`` the local one; ``V_s`` the value-added coefficients of region ``s``
(zero elsewhere); ``X_r`` gross output; ``E_r*`` total gross exports of region ``r``. Every term
is a vector over the exporting sectors ``i`` of ``s``: ``#`` is the element-wise product of a
row of multipliers (transposed) with a column of flows.

=====  ============  ===================================================================
term   decompr name  formula for the flow ``s -> r``
=====  ============  ===================================================================
T1     DVA_FIN       ``(V_s B_ss)' # Y_sr``
T2     DVA_INT       ``(V_s L_ss)' # (A_sr B_rr Y_rr)``
T3     DVA_INTrexI1  ``(V_s L_ss)' # (A_sr sum_{t!=s,r} B_rt Y_tt)``
T4     DVA_INTrexF   ``(V_s L_ss)' # (A_sr B_rr sum_{t!=s,r} Y_rt)``
T5     DVA_INTrexI2  ``(V_s L_ss)' # (A_sr sum_{t!=s,r} B_rt sum_{u!=s,t} Y_tu)``
T6     RDV_FIN       ``(V_s L_ss)' # (A_sr B_rr Y_rs)``
T7     RDV_FIN2      ``(V_s L_ss)' # (A_sr sum_{t!=s,r} B_rt Y_ts)``
T8     RDV_INT       ``(V_s L_ss)' # (A_sr B_rs Y_ss)``
T9     DDC_FIN       ``(V_s L_ss)' # (A_sr B_rs sum_{t!=s} Y_st)``
T10    DDC_INT       ``(V_s B_ss - V_s L_ss)' # (A_sr X_r)``
T11    MVA_FIN       ``(V_r B_rs)' # Y_sr``
T12    OVA_FIN       ``(sum_{t!=s,r} V_t B_ts)' # Y_sr``
T13    MVA_INT       ``(V_r B_rs)' # (A_sr L_rr Y_rr)``
T14    OVA_INT       ``(sum_{t!=s,r} V_t B_ts)' # (A_sr L_rr Y_rr)``
T15    MDC           ``(V_r B_rs)' # (A_sr L_rr E_r*)``
T16    ODC           ``(sum_{t!=s,r} V_t B_ts)' # (A_sr L_rr E_r*)``
=====  ============  ===================================================================

The T-numbers follow the paper's equation; decompr prints the same 16 columns in another order
(DVA_FIN ... DVA_INTrexI2, RDV_INT, RDV_FIN, RDV_FIN2, OVA_FIN, MVA_FIN, OVA_INT, MVA_INT,
DDC_FIN, DDC_INT, ODC, MDC): :data:`WWZ_TERMS` maps one to the other. The terms sum to the
bilateral gross exports ``E_sr = A_sr X_r + Y_sr`` when the table is balanced (``X = B Y 1``)
and ``V = X' - 1'Z`` (so that ``1' = sum_t V_t B_t.``); T1-T10 are the domestic content
``V_s B_ss E_sr``, T11-T16 the foreign content. Groups: :data:`WWZ_GROUPS`,
:data:`WWZ_TO_KWW` (decompr's ``wwz2kww``, WWZ 2013, Table E2) and :func:`wwz_groups`.

Numerics. ``B`` is formed once (:meth:`LeontiefModel.leontief_inverse`, one n x n array: with
``Z`` and the factors, three in all), because T4-T7 need its diagonal blocks ``B_rr``. Each
term is ``m_i * sum_{k in r} A[i, k] f_s[k]`` for a multiplier ``m`` (``V_s L_ss``, ``V_s B_ss``,
``V_r B_rs``, ...) and a vector ``f_s`` built from ``B Y_d``, ``B Y_m``, ``B_rr Y_m`` (n x G
products) and local solves; for each exporter ``s`` the sums over ``k in r`` for every importer
``r`` are one batched product of ``A``'s rows of ``s`` (``N x n``, made on the fly) with the
stacked ``f_s``. No other n x n array is made; the cost beyond ``B`` is ``O(n^2 G)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final, cast

import numpy as np
import pandas as pd

from karavan.core.gvc.domestic_leontief import DomesticLeontief, TradeBlocks, coefficient_rows
from karavan.core.leontief import LeontiefModel
from karavan.core.table import Array

__all__ = [
    "WWZ_GROUPS",
    "WWZ_TERMS",
    "WWZ_TO_KWW",
    "wwz_decomposition",
    "wwz_groups",
    "wwz_to_kww",
]

#: T-number -> decompr 6.4.0's column name for the same term.
WWZ_TERMS: Final[Mapping[str, str]] = {
    "T1": "DVA_FIN",
    "T2": "DVA_INT",
    "T3": "DVA_INTrexI1",
    "T4": "DVA_INTrexF",
    "T5": "DVA_INTrexI2",
    "T6": "RDV_FIN",
    "T7": "RDV_FIN2",
    "T8": "RDV_INT",
    "T9": "DDC_FIN",
    "T10": "DDC_INT",
    "T11": "MVA_FIN",
    "T12": "OVA_FIN",
    "T13": "MVA_INT",
    "T14": "OVA_INT",
    "T15": "MDC",
    "T16": "ODC",
}

#: Summary groups: value added exported in final goods (DVA_FIN), in intermediates absorbed by
#: the direct importer (DVA_INT) or re-exported to third regions (DVA_INTrex), returned home
#: (RDV), domestic double counting (DDC), foreign value added (FVA) and its double counting
#: (FDC). VAX = DVA_FIN + DVA_INT + DVA_INTrex is value added exported (absorbed abroad),
#: DVA = VAX + RDV, DC = DVA + DDC the domestic content, FC = FVA + FDC the foreign content.
WWZ_GROUPS: Final[Mapping[str, tuple[str, ...]]] = {
    "DVA_FIN": ("T1",),
    "DVA_INT": ("T2", "T3"),
    "DVA_INTrex": ("T4", "T5"),
    "RDV": ("T6", "T7", "T8"),
    "DDC": ("T9", "T10"),
    "FVA": ("T11", "T12", "T13", "T14"),
    "FDC": ("T15", "T16"),
}

#: WWZ terms -> the nine terms of Koopman, Wang and Wei (2014), as decompr's ``wwz2kww``
#: (WWZ 2013, Table E2). Summed over sectors and partners they equal :func:`kww_decomposition`.
WWZ_TO_KWW: Final[Mapping[str, tuple[str, ...]]] = {
    "DVA_FIN": ("T1",),
    "DVA_INT": ("T2", "T3"),
    "DVA_INTrex": ("T4", "T5"),
    "RDV_FIN": ("T6", "T7"),
    "RDV_INT": ("T8",),
    "DDC": ("T9", "T10"),
    "FVA_FIN": ("T11", "T12"),
    "FVA_INT": ("T13", "T14"),
    "FDC": ("T15", "T16"),
}

TERM_COLUMNS: Final[tuple[str, ...]] = tuple(WWZ_TERMS)
INDEX_NAMES: Final[tuple[str, str, str]] = ("exporter", "sector", "importer")


def wwz_decomposition(model: LeontiefModel) -> pd.DataFrame:
    """The 16 WWZ terms of every bilateral sector export flow.

    Parameters
    ----------
    model : LeontiefModel
        The factorised table. Value-added coefficients are ``V 1 / x`` (all components),
        technical coefficients ``Z diag(x)^-1`` with the table's ``x``, as decompr does with
        ``o = x`` and ``v = V``.

    Returns
    -------
    pandas.DataFrame
        Index (exporter, sector, importer) for every exporter region, sector and importer
        region other than the exporter (``G N (G - 1)`` rows, importer varying fastest, as in
        decompr); columns ``T1`` ... ``T16`` (see the module docstring and :data:`WWZ_TERMS`).
        A one-region table has no exports: the frame then has no rows.

    Notes
    -----
    Row sums equal :func:`karavan.core.exports.bilateral_exports` to rounding when the table
    is balanced; with published tables the residual reflects their imbalance (``X`` enters
    T10 directly and ``B Y`` everywhere else).
    """
    t = model.table
    if t.n_regions < 2:
        return _frame(t.regions, t.sectors, np.zeros((0, len(TERM_COLUMNS))))
    tb = TradeBlocks(t)
    G, N, n = tb.G, tb.N, tb.n
    rows = np.arange(n)
    dom = DomesticLeontief(model)
    vl = dom.solve_transposed(tb.v)  # (V_s L_ss)_i: local value-added multipliers
    lyd = dom.solve(tb.yd)  # L_rr Y_rr
    le = dom.solve(tb.E)  # L_rr E_r*

    B = model.leontief_inverse()
    VB = B.T @ tb.block_expand(tb.v)  # VB[j, s] = (V_s B_s.)_j, value added by source region
    Ymtot = tb.Ym.sum(axis=1)
    BY = B @ np.hstack([tb.block_expand(tb.yd), tb.Ym, tb.block_expand(Ymtot)])
    BYd, BYm, BYmblk = BY[:, :G], BY[:, G : 2 * G], BY[:, 2 * G :]
    BdYm = np.empty((n, G))  # B_rr Y_rt for industries of r
    for r in range(G):
        blk = tb.block(r)
        BdYm[blk] = B[blk, blk] @ tb.Ym[blk]
    del B, BY

    vB = VB.sum(axis=1)
    bd_yd = BYd[rows, tb.own]  # B_rr Y_rr
    BYd_tot, BYm_tot, BdYm_tot = BYd.sum(axis=1), BYm.sum(axis=1), BdYm.sum(axis=1)
    # f-vectors that do not depend on the exporter s: columns 0, 8, 9, 10 of F below
    F = np.empty((n, 11))
    F[:, 0] = bd_yd  # T2
    F[:, 8] = t.x  # T10
    F[:, 9] = lyd  # T13, T14
    F[:, 10] = le  # T15, T16
    out = np.empty((G, N, G - 1, 16))  # exporter, sector, importer (!= exporter), term
    o = np.empty((N, G, 16))  # one exporter's terms for every importer, own one included
    for s in range(G):
        blk = tb.block(s)
        # f_s[k] for k in r (r != s); rows of s itself only feed the dropped domestic pair
        F[:, 1] = BYd_tot - bd_yd - BYd[:, s]  # T3: sum_{t!=s,r} B_rt Y_tt
        F[:, 2] = BdYm_tot - BdYm[:, s]  # T4: B_rr sum_{t!=s,r} Y_rt
        # T5: sum_{t!=s,r} B_rt sum_{u!=s,t} Y_tu = B (Ymtot - Y_.s), less t = s and t = r
        F[:, 3] = BYm_tot - BYm[:, s] - BYmblk[:, s] - BdYm_tot + BdYm[:, s]
        F[:, 4] = BdYm[:, s]  # T6: B_rr Y_rs
        F[:, 5] = BYm[:, s] - BdYm[:, s]  # T7: sum_{t!=s,r} B_rt Y_ts
        F[:, 6] = BYd[:, s]  # T8: B_rs Y_ss
        F[:, 7] = BYmblk[:, s]  # T9: B_rs sum_{t!=s} Y_st
        A_s = coefficient_rows(model, blk)  # N x n
        # P[i, r, m] = sum_{k in r} A[i, k] F[k, m]
        P = np.matmul(A_s.reshape(N, G, N).transpose(1, 0, 2), F.reshape(G, N, 11))
        P = P.transpose(1, 0, 2)
        vl_s, vbd = vl[blk], VB[blk, s]
        mva = VB[blk]  # (V_r B_rs)_i for every r
        ova = vB[blk, None] - vbd[:, None] - mva  # sum_{t!=s,r} V_t B_ts
        Ysr = tb.Y[blk]
        o[:, :, 0] = vbd[:, None] * Ysr
        o[:, :, 1:9] = vl_s[:, None, None] * P[:, :, 0:8]
        o[:, :, 9] = (vbd - vl_s)[:, None] * P[:, :, 8]
        o[:, :, 10] = mva * Ysr
        o[:, :, 11] = ova * Ysr
        o[:, :, 12] = mva * P[:, :, 9]
        o[:, :, 13] = ova * P[:, :, 9]
        o[:, :, 14] = mva * P[:, :, 10]
        o[:, :, 15] = ova * P[:, :, 10]
        out[s, :, :s] = o[:, :s]
        out[s, :, s:] = o[:, s + 1 :]
    return _frame(t.regions, t.sectors, out.reshape(-1, 16))


def _frame(regions: Sequence[str], sectors: Sequence[str], values: Array) -> pd.DataFrame:
    """Label ``values`` (rows: exporter, sector, importer != exporter; importer fastest).

    The index is built from codes into the short label lists, not from n G string arrays."""
    G, N = len(regions), len(sectors)
    region = np.arange(G)
    codes = [
        np.repeat(region, N * (G - 1)),
        np.tile(np.repeat(np.arange(N), G - 1), G),
        np.concatenate([np.tile(np.delete(region, s), N) for s in range(G)] or [region[:0]]),
    ]
    index = pd.MultiIndex(
        levels=[list(regions), list(sectors), list(regions)],
        codes=cast("list[Sequence[int]]", codes),  # integer arrays; the stubs ask for sequences
        names=INDEX_NAMES,
    )
    columns = pd.Index(TERM_COLUMNS, name="term")
    return pd.DataFrame(values, index=index, columns=columns, copy=False)


def wwz_groups(wwz: pd.DataFrame, groups: Mapping[str, Sequence[str]] = WWZ_GROUPS) -> pd.DataFrame:
    """Sum WWZ terms into groups, row by row.

    Parameters
    ----------
    wwz : pandas.DataFrame
        Output of :func:`wwz_decomposition` (or any frame with columns ``T1`` ... ``T16``).
    groups : mapping
        Group name -> the T-numbers it sums; default :data:`WWZ_GROUPS`. With
        :data:`WWZ_TO_KWW` this is decompr's ``wwz2kww(aggregate = FALSE)``.
    """
    unknown = sorted({term for terms in groups.values() for term in terms} - set(wwz.columns))
    if unknown:
        raise KeyError(f"terms {unknown} are not columns of the WWZ frame; it has {list(wwz)}")
    return pd.DataFrame(
        {name: wwz[list(terms)].sum(axis=1) for name, terms in groups.items()},
        index=wwz.index,
    )


def wwz_to_kww(wwz: pd.DataFrame, aggregate: bool = True) -> pd.DataFrame:
    """The KWW (2014) nine terms from a WWZ decomposition (decompr's ``wwz2kww``).

    With ``aggregate=True`` they are summed over sectors and importers, by exporter: the same
    numbers as :func:`karavan.core.gvc.kww.kww_decomposition`, to rounding, on a balanced table.
    """
    by_flow = wwz_groups(wwz, WWZ_TO_KWW)
    if not aggregate:
        return by_flow
    return by_flow.groupby(level="exporter", sort=False).sum()
