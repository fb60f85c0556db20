"""Output, value-added and stressor multipliers.

With direct coefficients ``c = f diag(x)^-1`` (a row per value-added component or stressor),
the total (direct plus indirect) multipliers are ``m = c L`` (Miller and Blair 2009, ch. 6):

- output multipliers        ``1' L``        (simple output multiplier, eq. 6.4)
- value-added multipliers   ``(v / x) L``   (total value-added coefficients, eq. 6.11)
- stressor multipliers      ``M = S L``     (pymrio's ``M``; ``S = F diag(x)^-1``)
- downstream multipliers    ``S (G' - I)``  (pymrio's ``M_down``; ``G`` the Ghosh inverse)

All are computed as solves on the table's single factorisation: transposed ones ``L' c'`` for
``c L``, and ``L diag(x) S'`` for the downstream multipliers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from karavan.core.leontief import LeontiefModel, _check_ghosh
from karavan.core.table import Array, MRIOTable
from karavan.errors import ZeroOutputError

__all__ = [
    "direct_coefficients",
    "downstream_multipliers",
    "multipliers",
    "output_multipliers",
    "stressor_coefficients",
    "stressor_multipliers",
    "value_added_coefficients",
    "value_added_multipliers",
]


def _per_output(t: MRIOTable, rows: Array, what: str, labels: tuple[str, ...]) -> Array:
    """``rows diag(x)^-1`` with explicit treatment of zero-output industries."""
    zero = np.flatnonzero(t.x == 0)
    if zero.size and np.any(rows[:, zero] != 0):
        r, c = np.argwhere(rows[:, zero] != 0)[0]
        raise ZeroOutputError(
            f"industry {t.industry_label(int(zero[c]))} has zero output but {what} "
            f"{labels[r]!r} = {rows[r, zero[c]]:.6g}; its coefficient is undefined"
        )
    inv_x = np.divide(1.0, t.x, out=np.zeros_like(t.x), where=t.x != 0)
    return np.asarray(rows * inv_x[None, :])


def stressor_coefficients(t: MRIOTable) -> pd.DataFrame:
    """``S = F diag(x)^-1``: stressor per unit of output."""
    S = _per_output(t, t.F, "stressor", t.stressors)
    return pd.DataFrame(S, index=pd.Index(t.stressors, name="stressor"), columns=t.industry_index)


def value_added_coefficients(t: MRIOTable) -> pd.DataFrame:
    """``V diag(x)^-1``: value added per unit of output, by component."""
    C = _per_output(t, t.V, "value added", t.va_components)
    return pd.DataFrame(
        C, index=pd.Index(t.va_components, name="component"), columns=t.industry_index
    )


def direct_coefficients(t: MRIOTable) -> pd.DataFrame:
    """Value-added components and stressors per unit of output, one row each."""
    return pd.concat([value_added_coefficients(t), stressor_coefficients(t)]).rename_axis("account")


def _total(model: LeontiefModel, coefficients: Array) -> Array:
    if coefficients.shape[0] == 0:
        return np.zeros((0, model.n))
    return model.solve_transposed(np.ascontiguousarray(coefficients.T)).T


def output_multipliers(model: LeontiefModel) -> pd.Series:
    """``1' L``: total output in all industries per unit of final demand for each product."""
    m = model.solve_transposed(np.ones(model.n))
    return pd.Series(m, index=model.table.industry_index, name="output multiplier")


def value_added_multipliers(model: LeontiefModel) -> pd.DataFrame:
    """``(V / x) L`` by component: value added generated per unit of final demand."""
    t = model.table
    m = _total(model, _per_output(t, t.V, "value added", t.va_components))
    return pd.DataFrame(
        m, index=pd.Index(t.va_components, name="component"), columns=t.industry_index
    )


def stressor_multipliers(model: LeontiefModel) -> pd.DataFrame:
    """``M = S L``: stressor generated along the chain per unit of final demand."""
    t = model.table
    m = _total(model, _per_output(t, t.F, "stressor", t.stressors))
    return pd.DataFrame(m, index=pd.Index(t.stressors, name="stressor"), columns=t.industry_index)


def downstream_multipliers(model: LeontiefModel) -> pd.DataFrame:
    """``M_down = S (G' - I)``: stressors downstream of each industry per unit of its primary
    input, without its own direct stressor (pymrio's ``M_down``).

    In the Ghosh model ``x' = v' G``, so ``G[j, i]`` is the output of ``i`` per unit of primary
    input into ``j`` and column ``j`` of ``S G'`` sums the stressors it enables; ``- S`` removes
    the identity term, ``j``'s direct stressor. As ``G = diag(x)^-1 L diag(x)``,
    ``(S G')' = diag(x)^-1 L diag(x) S'``: one solve per stressor.
    """
    t = model.table
    _check_ghosh(t)
    S = _per_output(t, t.F, "stressor", t.stressors)
    s = model.scale[:, None]
    m = (model.solve(np.ascontiguousarray(S.T) * s) / s).T - S if S.shape[0] else S
    return pd.DataFrame(m, index=pd.Index(t.stressors, name="stressor"), columns=t.industry_index)


def multipliers(model: LeontiefModel) -> pd.DataFrame:
    """Every multiplier in one frame: rows ``output``, each value-added component and each
    stressor; columns (region, sector). One transposed solve with all right-hand sides."""
    t = model.table
    coeffs = np.vstack(
        [
            np.ones((1, t.n)),
            _per_output(t, t.V, "value added", t.va_components),
            _per_output(t, t.F, "stressor", t.stressors),
        ]
    )
    m = _total(model, coeffs)
    labels = ["output", *t.va_components, *t.stressors]
    kinds = ["output"] + ["value added"] * len(t.va_components) + ["stressor"] * len(t.stressors)
    units = (
        ["per unit of final demand"]
        + [f"{t.meta.currency} per {t.meta.currency}"] * len(t.va_components)
        + [f"{u} per {t.meta.currency} {t.meta.unit}" for u in t.stressor_units]
    )
    index = pd.MultiIndex.from_arrays([kinds, labels, units], names=["kind", "account", "unit"])
    return pd.DataFrame(m, index=index, columns=t.industry_index)
