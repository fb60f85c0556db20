"""Production- and consumption-based accounts (footprints), with embodied imports and exports.

Definitions follow pymrio's ``calc_accounts`` (Stadler 2021, J. Open Research Software 9: 8) so
that users moving over get the same numbers. With ``S`` the direct coefficients (k x n), ``L`` the
Leontief inverse and ``Y_r`` the final use of region ``r`` summed over categories:

- ``D_cba[:, (r, s)] = sum_i (S L)[:, (i, s)] Y[(i, s), r]``: footprint of region ``r``'s final
  use of products of sector ``s`` (from any origin);
- ``D_imp``: the same, counting only stressors emitted outside ``r``;
- ``D_pba = S diag(L y)``: stressors of production, with output recomputed as ``L y``
  (equal to ``F`` for a balanced table);
- ``D_exp = S diag(x_exp)`` with ``x_exp`` the output serving final use in other regions.
- Per region (``*_reg``): summed over sectors; ``D_cba_reg`` and ``D_pba_reg`` add ``F_Y``.

pymrio forms ``L`` (n x n) and ``L diag(Y)`` (n x n); here each account is a transposed solve:
``M = S L`` and, for each region ``r``, ``S^(-r) L`` with ``S^(-r)`` zero in ``r``'s columns,
all in one ``getrs`` call with ``k (R + 1)`` right-hand sides. Nothing n x n is formed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from karavan.core.leontief import LeontiefModel
from karavan.core.multipliers import _per_output
from karavan.core.table import Array, MRIOTable

__all__ = ["Accounts", "footprint_accounts"]

Which = Literal["stressors", "value_added", "all"]


@dataclass(frozen=True)
class Accounts:
    """Footprint accounts; ``D_*`` are account x (region, sector), ``D_*_reg`` account x region."""

    D_cba: pd.DataFrame
    D_pba: pd.DataFrame
    D_imp: pd.DataFrame
    D_exp: pd.DataFrame
    D_cba_reg: pd.DataFrame
    D_pba_reg: pd.DataFrame
    D_imp_reg: pd.DataFrame
    D_exp_reg: pd.DataFrame
    units: dict[str, str]

    def summary(self) -> pd.DataFrame:
        """Long table: account, region, production, consumption, imports, exports, balance."""

        def long(frame: pd.DataFrame, name: str) -> pd.Series:
            series = frame.stack()
            assert isinstance(series, pd.Series)
            return series.rename(name)

        out = pd.concat(
            [
                long(self.D_pba_reg, "production_based"),
                long(self.D_cba_reg, "consumption_based"),
                long(self.D_imp_reg, "embodied_imports"),
                long(self.D_exp_reg, "embodied_exports"),
            ],
            axis=1,
        ).reset_index()
        out.insert(1, "unit", out["account"].map(self.units))
        out["net_imported"] = out["consumption_based"] - out["production_based"]
        return out


def _rows(t: MRIOTable, which: Which) -> tuple[Array, Array, list[str], list[str]]:
    """Stacked account rows (flows), their final-use rows and labels and units."""
    nf = t.Y.shape[1]
    parts_F: list[Array] = []
    parts_FY: list[Array] = []
    labels: list[str] = []
    units: list[str] = []
    if which in ("value_added", "all"):
        parts_F.append(t.V)
        parts_FY.append(np.zeros((len(t.va_components), nf)))
        labels += list(t.va_components)
        units += [f"{t.meta.currency} {t.meta.unit}"] * len(t.va_components)
    if which in ("stressors", "all"):
        parts_F.append(t.F)
        parts_FY.append(t.F_Y)
        labels += list(t.stressors)
        units += list(t.stressor_units)
    if not parts_F:
        return np.zeros((0, t.n)), np.zeros((0, nf)), [], []
    return np.vstack(parts_F), np.vstack(parts_FY), labels, units


def footprint_accounts(model: LeontiefModel, which: Which = "stressors") -> Accounts:
    """Compute all footprint accounts of the table behind ``model``.

    ``which`` selects the satellite rows: the stressors ``F`` (default), the value-added
    components ``V`` (value-added footprints, as pymrio's ``factor_inputs``), or both.
    """
    t = model.table
    R, Sn, n = t.n_regions, t.n_sectors, t.n
    flows, flows_y, labels, units = _rows(t, which)
    k = flows.shape[0]
    S = _per_output(t, flows, "account", tuple(labels))

    Yagg = t.Y_by_region  # n x R
    x_by_region = model.output_by_region()  # n x R: output serving each region's final use
    x_tot = x_by_region.sum(axis=1)

    # One multi-RHS transposed solve: S', then S^(-r)' for every region r.
    rhs = np.empty((n, k * (R + 1)), order="F")
    rhs[:, :k] = S.T
    for r in range(R):
        block = rhs[:, k * (r + 1) : k * (r + 2)]
        block[:] = S.T
        block[r * Sn : (r + 1) * Sn, :] = 0.0
    sol = model.solve_transposed(rhs)
    M3 = sol[:, :k].T.reshape(k, R, Sn)  # [account, origin region, sector]
    Mforeign = sol[:, k:].reshape(R, Sn, R, k)  # [origin region, sector, consuming r, account]
    Y3 = Yagg.reshape(R, Sn, R)  # [origin region, sector, consuming region]

    D_cba = np.einsum("kis,isr->krs", M3, Y3).reshape(k, n)
    D_imp = np.einsum("isrk,isr->krs", Mforeign, Y3).reshape(k, n)
    D_pba = S * x_tot[None, :]
    x_dom = np.einsum("isi->is", x_by_region.reshape(R, Sn, R))  # x_by_region[(r, s), r]
    x_exp = x_tot - x_dom.reshape(n)
    D_exp = S * x_exp[None, :]

    nc = len(t.categories)
    FY_reg = flows_y.reshape(k, R, nc).sum(axis=2)

    def by_region(D: Array) -> Array:
        return np.asarray(D.reshape(k, R, Sn).sum(axis=2))

    acc_idx = pd.Index(labels, name="account")
    cols = t.industry_index
    reg_idx = pd.Index(t.regions, name="region")

    def frame(a: Array) -> pd.DataFrame:
        return pd.DataFrame(a, index=acc_idx, columns=cols)

    def rframe(a: Array) -> pd.DataFrame:
        return pd.DataFrame(a, index=acc_idx, columns=reg_idx)

    return Accounts(
        D_cba=frame(D_cba),
        D_pba=frame(D_pba),
        D_imp=frame(D_imp),
        D_exp=frame(D_exp),
        D_cba_reg=rframe(by_region(D_cba) + FY_reg),
        D_pba_reg=rframe(by_region(D_pba) + FY_reg),
        D_imp_reg=rframe(by_region(D_imp)),
        D_exp_reg=rframe(by_region(D_exp)),
        units=dict(zip(labels, units, strict=True)),
    )
