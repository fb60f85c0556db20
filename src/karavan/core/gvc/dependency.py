"""Import dependency of a bloc's industries on inputs from outside the bloc.

For every industry ``j = (s, k)`` of a member ``s`` of the bloc (``B``: the members' industries,
``N``: all others; the bloc as in :mod:`karavan.core.gvc.closure`), with ``Z`` the
intermediate flows, ``A = Z diag(x)^-1``, ``L = (I - A)^-1`` and ``v`` the value-added
coefficients:

- **direct** (from ``Z``): the share of ``j``'s intermediate inputs bought outside the bloc,
  ``direct_j = sum_{i in N} Z[i, j] / sum_i Z[i, j]``, and by supplier industry
  ``Z[i, j] / sum_i Z[i, j]`` for ``i in N``;
- **total** (through the whole chain): column ``j`` of ``L - I = A L`` is the output of every
  industry needed, directly and indirectly, as inputs to deliver one unit of ``j``'s product to
  final use (the unit itself excluded; Miller and Blair 2009, sec. 2.5 and 6.2). Its share
  produced outside the bloc,
  ``total_j = sum_{i in N} (L - I)[i, j] / sum_i (L - I)[i, j]``, counts the bloc's industries
  supplied from outside at every tier, including the imports of the members' suppliers; by
  supplier industry ``(L - I)[i, j] / sum_i (L - I)[i, j]``;
- **value-added content**: the share of the value of one unit of ``j``'s final product created
  outside the bloc, ``va_j = sum_{i in N} v_i L[i, j] / sum_i v_i L[i, j]`` (the bloc-level
  vertical-specialisation share: Hummels, Ishii and Yi 2001, J. Int. Econ. 54: 75-96; Koopman,
  Wang and Wei 2014, AER 104(2): 459-494). ``sum_i v_i L[i, j] = 1`` when value added is output
  minus intermediate inputs.

The shares of ``direct`` and ``total`` lie in [0, 1] (``Z`` and ``L - I`` are non-negative); an
industry with no intermediate inputs (zero output, say) has undefined shares: NaN, never 0.

The **external input flows** are the entries ``Z[i, j]``, ``i in N``, ``j in B``: what each
supplier industry outside the bloc sells to each member industry, ranked by value. Beside each
flow: its share of the buyer's intermediate inputs, its share of all the bloc's external inputs,
and the bloc's own output of the supplier's sector (whether the bloc makes that product at all),
the first questions about cooperation and import substitution.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from karavan.core.gvc.economies import Bloc, BlocSpec, resolve_bloc
from karavan.core.leontief import LeontiefModel
from karavan.core.multipliers import value_added_coefficients
from karavan.core.table import Array, MRIOTable

__all__ = ["DependencyMap", "dependency_map", "external_input_flows"]

Kind = Literal["direct", "total"]


@dataclass(frozen=True)
class DependencyMap:
    """Dependency of each member industry on inputs from outside the bloc (module docstring).

    - ``shares``: member (region, sector) x (``intermediate_inputs``, ``external_inputs``,
      ``direct``, ``total_requirements``, ``external_requirements``, ``total``,
      ``external_value_added``): amounts of ``Z`` in the table's unit, requirements per unit of
      final product, shares as fractions;
    - ``direct_by_supplier`` / ``total_by_supplier``: member (region, sector) x supplier
      (region, sector) outside the bloc: the shares ``direct`` / ``total`` split by supplier.
    """

    bloc: Bloc
    year: int | None
    shares: pd.DataFrame
    direct_by_supplier: pd.DataFrame
    total_by_supplier: pd.DataFrame

    def by_supplier_region(self, kind: Kind = "direct") -> pd.DataFrame:
        """Member (region, sector) x supplier region outside the bloc: ``direct`` or ``total``
        shares summed over the supplier's sectors."""
        frame = self.direct_by_supplier if kind == "direct" else self.total_by_supplier
        return frame.T.groupby(level="region", sort=False).sum().T

    def most_dependent(self, kind: Kind = "direct", top: int = 0) -> pd.DataFrame:
        """``shares`` sorted by ``kind`` (``direct`` or ``total``), largest first (``top``
        rows; 0 for all); undefined shares last."""
        out = self.shares.sort_values(kind, ascending=False, kind="stable", na_position="last")
        return out.iloc[:top] if top else out


def dependency_map(
    model: LeontiefModel, bloc: BlocSpec, *, name: str | None = None
) -> DependencyMap:
    """Direct, total and value-added dependency of every member industry on the rest of the
    world (module docstring). One solve ``L [e_j]`` for the member industries ``j``."""
    t = model.table
    b = resolve_bloc(t.regions, bloc, name=name)
    inside = b.mask(t)
    members, outside = np.flatnonzero(inside), np.flatnonzero(~inside)
    Z_in = t.Z[:, members]  # n x |B|: inputs of each member industry, from every supplier
    inputs = Z_in.sum(axis=0)
    external = Z_in[outside].sum(axis=0)

    unit = np.zeros((t.n, members.size))
    unit[members, np.arange(members.size)] = 1.0
    L_cols = model.solve(unit)  # L[:, j] for member j
    req = L_cols - unit  # (L - I)[:, j]
    req_total = req.sum(axis=0)
    req_external = req[outside].sum(axis=0)
    v = value_added_coefficients(t).to_numpy().sum(axis=0)
    va = v[:, None] * L_cols
    va_total = va.sum(axis=0)

    idx = t.industry_index
    rows = idx[members]
    suppliers = idx[outside]
    shares = pd.DataFrame(
        {
            "intermediate_inputs": inputs,
            "external_inputs": external,
            "direct": _ratio(external, inputs),
            "total_requirements": req_total,
            "external_requirements": req_external,
            "total": _ratio(req_external, req_total),
            "external_value_added": _ratio(va[outside].sum(axis=0), va_total),
        },
        index=rows,
    )
    return DependencyMap(
        bloc=b,
        year=t.meta.year,
        shares=shares,
        direct_by_supplier=pd.DataFrame(
            _ratio(Z_in[outside], inputs[None, :]).T, index=rows, columns=suppliers
        ),
        total_by_supplier=pd.DataFrame(
            _ratio(req[outside], req_total[None, :]).T, index=rows, columns=suppliers
        ),
    )


def _ratio(num: Array, den: Array) -> Array:
    """``num / den`` with NaN where ``den`` is zero (an undefined share, not a zero one)."""
    safe = np.where(den == 0.0, 1.0, den)
    return np.asarray(np.where(den == 0.0, np.nan, num / safe))


def external_input_flows(
    table: MRIOTable, bloc: BlocSpec, *, top: int = 0, name: str | None = None
) -> pd.DataFrame:
    """Intermediate flows from industries outside the bloc into member industries, largest
    first (``top`` rows; 0 for all, zero flows left out).

    Columns: ``supplier_region``, ``supplier_sector``, ``buyer_region``, ``buyer_sector``,
    ``value`` (``Z[i, j]``), ``share_of_buyer_inputs`` (of ``j``'s intermediate inputs),
    ``share_of_external`` (of all intermediate inputs the bloc buys outside) and
    ``bloc_output_of_product`` (the members' gross output of the supplier's sector).
    """
    b = resolve_bloc(table.regions, bloc, name=name)
    inside = b.mask(table)
    members, outside = np.flatnonzero(inside), np.flatnonzero(~inside)
    block = table.Z[np.ix_(outside, members)]
    inputs = table.Z[:, members].sum(axis=0)
    total_external = float(block.sum())
    order = np.argsort(-block, axis=None, kind="stable")
    order = order[block.ravel()[order] > 0]
    if top:
        order = order[:top]
    i, j = np.unravel_index(order, block.shape)
    S = table.n_sectors
    sector_output = table.x[members].reshape(-1, S).sum(axis=0)  # members' output by sector
    sup, buy = outside[i], members[j]
    values = block[i, j]
    regions, sectors = np.asarray(table.regions), np.asarray(table.sectors)
    frame: dict[str, Any] = {
        "supplier_region": regions[sup // S],
        "supplier_sector": sectors[sup % S],
        "buyer_region": regions[buy // S],
        "buyer_sector": sectors[buy % S],
        "value": values,
        "share_of_buyer_inputs": _ratio(values, inputs[j]),
        "share_of_external": values / total_external if total_external else np.nan,
        "bloc_output_of_product": sector_output[sup % S],
    }
    return pd.DataFrame(frame)
