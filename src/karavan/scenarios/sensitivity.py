"""Which uncertain parameters drive each result: Spearman rank correlation coefficients.

For a parameter ``X_j`` and an output entry ``Y_e`` over ``N`` draws, with ranks ``R(.)``
(ties get their average rank),

    rho_je = cov(R(X_j), R(Y_e)) / (sd(R(X_j)) sd(R(Y_e)))

the Pearson correlation of the ranks (Spearman 1904). It measures how monotonically the output
moves with the parameter, whatever the scale of either, and is the rank-based counterpart of
the standardised regression coefficient; with independent inputs (as drawn here) and an
additive, monotonic model, ``rho_je^2`` approximates the share of the variance of ``Y_e`` due
to ``X_j``. Saltelli et al. (2008), *Global Sensitivity Analysis: The Primer*, Wiley, ch. 1.2
(scatterplots, SRC and rank transformation); Helton and Davis (2003), "Latin hypercube sampling
and the propagation of uncertainty in analyses of complex systems", *Reliability Engineering &
System Safety* 81(1), 23-69, section 6 (rank correlations as sensitivity measures).

An output entry that does not vary over the draws, or a parameter that does not, has no
correlation: NaN, never 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["sensitivity_ranking", "spearman_coefficients"]

Array = np.ndarray[Any, np.dtype[np.float64]]


def _standardised_ranks(values: Array) -> tuple[Array, np.ndarray[Any, np.dtype[np.bool_]]]:
    """Column ranks centred and scaled to unit norm, and a mask of the columns that vary."""
    ranks = np.asarray(stats.rankdata(values, axis=0), dtype=np.float64)
    ranks -= ranks.mean(axis=0, keepdims=True)
    norm = np.sqrt(np.einsum("ij,ij->j", ranks, ranks))
    varies = norm > 0
    np.divide(ranks, norm[None, :], out=ranks, where=varies[None, :])
    ranks[:, ~varies] = 0.0
    return ranks, varies


def spearman_coefficients(
    parameters: pd.DataFrame, outputs: Array, entries: pd.Index
) -> pd.DataFrame:
    """``rho`` (entries x parameters) between each column of ``parameters`` (draws x
    parameters) and each column of ``outputs`` (draws x entries, labelled by ``entries``)."""
    x, x_varies = _standardised_ranks(parameters.to_numpy(dtype=np.float64))
    y, y_varies = _standardised_ranks(np.asarray(outputs, dtype=np.float64))
    rho = y.T @ x
    np.clip(rho, -1.0, 1.0, out=rho)
    rho[~y_varies, :] = np.nan
    rho[:, ~x_varies] = np.nan
    columns = pd.Index(parameters.columns, name="parameter")
    return pd.DataFrame(rho, index=entries, columns=columns)


def sensitivity_ranking(coefficients: pd.DataFrame) -> pd.DataFrame:
    """Rank of each parameter for each entry by ``|rho|``: 1 drives the entry most (ties share
    the best rank; NaN where the coefficient is NaN)."""
    return coefficients.abs().rank(axis=1, ascending=False, method="min")
