"""The Leontief decomposition: value-added origin of each industry's exports (or output).

``VAE = diag(v) B diag(E)`` (n x n): entry ``[(s, i), (r, j)]`` is the value added of sector
``i`` of region ``s`` embodied in the gross exports ``E_(r,j)`` of sector ``j`` of region ``r``,
with ``v = V 1 / x`` and ``B = (I - A)^-1``. Each column sums to the exports of the using
industry when ``v B = 1'`` (``V = X' - 1'Z``); the off-diagonal region blocks of a column are
its foreign value added, the vertical specialisation of Hummels, Ishii and Yi (2001, J. Int.
Econ. 54: 75-96); see also Wang, Wei and Zhu (2013, NBER WP 19677, sec. 2).

This is decompr 6.4.0's ``leontief(x, post = ...)`` (B. Quast): ``post`` chooses the flow:

- ``"exports"``       ``diag(v) B diag(E)``, ``E`` total gross exports (decompr's default);
- ``"output"``        ``diag(v) B diag(x)``;
- ``"final_demand"``  ``diag(v) B Y`` (n x G): value added by origin absorbed in each region's
  final use (Johnson and Noguera 2012, eq. 5; :func:`value_added_by_origin`);
- ``"none"``          ``diag(v) B``: the value-added shares.

decompr's long format (Source_Country, Source_Industry, Using_Country, Using_Industry, FVAX) is
``frame.stack(["using_region", "using_sector"])`` of the wide frame returned here, in the same
row order.

Memory: the n x n variants form ``B`` once and scale it in place (one n x n array, which the
returned frame wraps without copying); ``"final_demand"`` is ``G`` solves on the model's
factors and forms no n x n array.
"""

from __future__ import annotations

from typing import Final, Literal

import pandas as pd

from karavan.core.gvc.domestic_leontief import TradeBlocks
from karavan.core.leontief import LeontiefModel

__all__ = ["LEONTIEF_POSTS", "LeontiefPost", "leontief_decomposition"]

LeontiefPost = Literal["exports", "output", "final_demand", "none"]
LEONTIEF_POSTS: Final[tuple[str, ...]] = ("exports", "output", "final_demand", "none")


def leontief_decomposition(model: LeontiefModel, post: LeontiefPost = "exports") -> pd.DataFrame:
    """Value-added origin (rows) of each industry's exports, output or final use (columns).

    Parameters
    ----------
    model : LeontiefModel
        The factorised table.
    post : {"exports", "output", "final_demand", "none"}
        What ``diag(v) B`` is multiplied by (see the module docstring).

    Returns
    -------
    pandas.DataFrame
        Rows (source_region, source_sector); columns (using_region, using_sector) or, for
        ``"final_demand"``, ``importing_region``.

    Raises
    ------
    ValueError
        For an unknown ``post``.
    """
    if post not in LEONTIEF_POSTS:
        raise ValueError(f"post must be one of {list(LEONTIEF_POSTS)}; got {post!r}")
    t = model.table
    tb = TradeBlocks(t)
    rows = t.industry_index.set_names(["source_region", "source_sector"])
    if post == "final_demand":
        return pd.DataFrame(
            tb.v[:, None] * model.solve(tb.Y),
            index=rows,
            columns=pd.Index(t.regions, name="importing_region"),
        )
    out = model.leontief_inverse()
    out *= tb.v[:, None]
    if post == "exports":
        out *= tb.E[None, :]
    elif post == "output":
        out *= t.x[None, :]
    columns = t.industry_index.set_names(["using_region", "using_sector"])
    return pd.DataFrame(out, index=rows, columns=columns, copy=False)
