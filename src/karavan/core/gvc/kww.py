"""Koopman, Wang and Wei (2014): a region's gross exports in nine value-added terms.

Reference: Koopman, R., Z. Wang and S.-J. Wei (2014), "Tracing value-added and double counting
in gross exports", American Economic Review 104(2): 459-494: the G-country decomposition of a
region's gross exports into the nine terms of its Figure 1. Column names and values as the R
package decompr 6.4.0 (``kww()``, by S. Krantz), checked on its ``leather`` example.

For exporter region ``s`` (importers ``r != s``, third regions ``t``; ``B = (I - A)^-1``,
``L_ss = (I - A_ss)^-1``, ``V_s`` value-added coefficients of ``s``, ``E_s*`` its total gross
exports), with every product summed to a scalar:

==  ==========  ============================================================  ================
#   name        formula                                                       Figure 1
==  ==========  ============================================================  ================
1   DVA_FIN     ``sum_{r!=s} V_s B_ss Y_sr``                                  DVA in final
2   DVA_INT     ``sum_{r!=s} V_s B_sr Y_rr``                                  absorbed by r
3   DVA_INTrex  ``sum_{r!=s} sum_{t!=s,r} V_s B_sr Y_rt``                     re-exported
4   RDV_FIN     ``sum_{r!=s} V_s B_sr Y_rs``                                  returns, final
5   RDV_INT     ``sum_{r!=s} V_s B_sr A_rs L_ss Y_ss``                        returns, interm.
6   DDC         ``sum_{r!=s} V_s B_sr A_rs L_ss E_s*``                        domestic d.c.
7   FVA_FIN     ``sum_{t!=s} sum_{r!=s} V_t B_ts Y_sr``                       foreign, final
8   FVA_INT     ``sum_{t!=s} sum_{r!=s} V_t B_ts A_sr L_rr Y_rr``             foreign, interm.
9   FDC         ``sum_{t!=s} sum_{r!=s} V_t B_ts A_sr L_rr E_r*``             foreign d.c.
==  ==========  ============================================================  ================

Terms 1-3 are value added exported (VAX, Johnson and Noguera 2012), 1-5 the domestic value
added in exports, 1-6 the domestic content ``V_s B_ss E_s*``, 7-9 the foreign content
``sum_{t!=s} V_t B_ts E_s*``. The nine sum to ``E_s*`` when the table is balanced and
``V = X' - 1'Z``. decompr computes term 9 as the residual; here every term
is computed from its formula, so the identity is a check (tests/property). They are also the
sums over sectors and importers of the WWZ terms grouped as in
:data:`karavan.core.gvc.wwz.WWZ_TO_KWW`.

Numerics: no n x n array beyond the model's factors. The value added by source region
``VB[j, s] = (V_s B)_j`` is one transposed solve with ``G`` right-hand sides; ``L_ss`` comes
from :class:`DomesticLeontief`; the sums ``sum_{k in r} A[j, k] f[k]`` for every industry ``j``
and region ``r`` are one product ``Z (diag(1/x) D)`` with the n x 2G block expansion ``D`` of
``f = L_rr Y_rr`` and ``f = L_rr E_r*``.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from karavan.core.gvc.domestic_leontief import DomesticLeontief, TradeBlocks
from karavan.core.leontief import LeontiefModel

__all__ = ["KWW_TERMS", "kww_decomposition"]

#: decompr's column names, in the order of KWW (2014), Figure 1.
KWW_TERMS: Final[tuple[str, ...]] = (
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrex",
    "RDV_FIN",
    "RDV_INT",
    "DDC",
    "FVA_FIN",
    "FVA_INT",
    "FDC",
)


def kww_decomposition(model: LeontiefModel) -> pd.DataFrame:
    """The nine KWW terms of each region's total gross exports.

    Parameters
    ----------
    model : LeontiefModel
        The factorised table; value-added coefficients are ``V 1 / x``.

    Returns
    -------
    pandas.DataFrame
        Index ``exporter`` (every region), columns :data:`KWW_TERMS`. A one-region table has
        no exports: its single row is zero.
    """
    t = model.table
    tb = TradeBlocks(t)
    G, n = tb.G, tb.n
    rows = np.arange(n)
    dom = DomesticLeontief(model)
    VB = model.solve_transposed(tb.block_expand(tb.v))  # VB[j, s] = (V_s B)_j
    VB_own = VB[rows, tb.own].copy()  # (V_s B_ss)_j for j in s
    VB_off = VB.copy()
    VB_off[rows, tb.own] = 0.0  # (V_s B_st)_j for j in t != s
    fva = VB.sum(axis=1) - VB_own  # (sum_{t!=s} V_t B_ts)_j for j in s
    Ymtot = tb.Ym.sum(axis=1)

    # H[j, r] = sum_{k in r} A[j, k] f[k]  for f = L_rr Y_rr and f = L_rr E_r*
    inv_x = model.inv_x
    D = np.hstack(
        [
            tb.block_expand(inv_x * dom.solve(tb.yd)),
            tb.block_expand(inv_x * dom.solve(tb.E)),
        ]
    )
    H = t.Z @ D
    HY, HE = H[:, :G], H[:, G:]
    # own columns: sum over r != s of A_sr L_rr (.)_r, for j in s
    AmLY = HY.sum(axis=1) - HY[rows, tb.own]
    AmLE = HE.sum(axis=1) - HE[rows, tb.own]
    HY[rows, tb.own] = 0.0  # A_rs L_ss Y_ss for j in r != s
    HE[rows, tb.own] = 0.0

    final_to_s = (VB_off * tb.Ym).sum(axis=0)
    values = np.column_stack(
        [
            tb.region_sums(VB_own * Ymtot),
            VB_off.T @ tb.yd,
            VB_off.T @ Ymtot - final_to_s,
            final_to_s,
            (VB_off * HY).sum(axis=0),
            (VB_off * HE).sum(axis=0),
            tb.region_sums(fva * Ymtot),
            tb.region_sums(fva * AmLY),
            tb.region_sums(fva * AmLE),
        ]
    )
    return pd.DataFrame(
        values,
        index=pd.Index(t.regions, name="exporter"),
        columns=pd.Index(KWW_TERMS, name="term"),
    )
