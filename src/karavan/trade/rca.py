"""Revealed advantage and the presence matrix ``Mcp``.

With exports ``x_cp`` of product ``p`` by country ``c``, ``x_c = sum_p x_cp``,
``x_p = sum_c x_cp`` and ``x = sum_cp x_cp``:

- **RCA** (Balassa 1965, "Trade liberalisation and revealed comparative advantage", *The
  Manchester School* 33: 99-123)::

      RCA_cp = (x_cp / x_c) / (x_p / x)

  the share of ``p`` in ``c``'s exports over its share in world exports. A country exporting
  every product in world proportions has ``RCA = 1`` everywhere.
- **RPOP** (population-based; Hausmann et al. 2014, *The Atlas of Economic Complexity*, and the
  Growth Lab's ``ecomplexity``), with populations ``pop_c``::

      RPOP_cp = (x_cp / pop_c) / (x_p / sum_c pop_c)

  exports per head over world exports per head; the world population is the sum over the
  table's exporters.
- **Mcp**: discrete, ``M_cp = 1`` if the index is at least the threshold (1 by default), else
  0 (an undefined index counts as 0); continuous, the index itself (see
  :func:`karavan.trade.complexity.complexity`'s ``continuous`` option).
- **Diversity** ``k_c,0 = sum_p M_cp`` and **ubiquity** ``k_p,0 = sum_c M_cp`` (Hidalgo and
  Hausmann 2009, "The building blocks of economic complexity", *PNAS* 106: 10570-10575).

Undefined cells are NaN and stay confined to their row or column: an exporter with no exports
has a NaN RCA row; a product nobody exports a NaN RCA column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from karavan.errors import LabelError, NegativeValueError, NonFiniteError
from karavan.trade.table import Array, TradeTable

__all__ = [
    "diversity",
    "mcp",
    "population_vector",
    "rca",
    "rca_frame",
    "rpop",
    "rpop_frame",
    "ubiquity",
]


def rca(X: Any) -> Array:
    """Balassa's index ``RCA_cp = (x_cp / x_c) / (x_p / x)`` (NaN where a total is zero)."""
    X = np.asarray(X, dtype=np.float64)
    x_c = X.sum(axis=1)
    x_p = X.sum(axis=0)
    total = x_c.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = (X / x_c[:, None]) / (x_p / total)[None, :]
    return out


def rpop(X: Any, population: Any) -> Array:
    """``RPOP_cp = (x_cp / pop_c) / (x_p / sum_c pop_c)`` (NaN where ``x_p`` is zero).

    ``population`` has one positive entry per row of ``X``.
    """
    X = np.asarray(X, dtype=np.float64)
    pop = np.asarray(population, dtype=np.float64).reshape(-1)
    if pop.shape != (X.shape[0],):
        raise LabelError(
            f"population needs {X.shape[0]} entries (one per exporter); got {pop.size}"
        )
    if not np.isfinite(pop).all() or (pop <= 0).any():
        raise NonFiniteError("population must be finite and positive for every exporter")
    x_p = X.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = (X / pop[:, None]) / (x_p / pop.sum())[None, :]
    return out


def mcp(index: Any, threshold: float = 1.0) -> Array:
    """Discrete presence ``M_cp = 1[index_cp >= threshold]``; undefined (NaN) counts as 0."""
    index = np.asarray(index, dtype=np.float64)
    out: Array = (np.nan_to_num(index, nan=0.0) >= threshold).astype(np.float64)
    return out


def diversity(M: Any) -> Array:
    """``k_c,0 = sum_p M_cp``."""
    return np.asarray(np.asarray(M, dtype=np.float64).sum(axis=1), dtype=np.float64)


def ubiquity(M: Any) -> Array:
    """``k_p,0 = sum_c M_cp``."""
    return np.asarray(np.asarray(M, dtype=np.float64).sum(axis=0), dtype=np.float64)


def population_vector(table: TradeTable, population: Mapping[str, float] | pd.Series) -> Array:
    """Population of each of the table's exporters, in table order.

    Every exporter must have a finite positive population; the error lists those that do not
    (drop them explicitly with :meth:`TradeTable.drop_exporters` if that is what you mean).
    """
    pop = pd.Series(population, dtype="float64") if isinstance(population, Mapping) else population
    pop = pop.astype("float64")
    values = pop.reindex(list(table.exporters)).to_numpy(dtype=np.float64)
    bad = [e for e, v in zip(table.exporters, values, strict=True) if not (v > 0)]
    if bad:
        raise LabelError(
            f"no population for {len(bad)} exporter(s): {', '.join(bad[:12])}"
            f"{' ...' if len(bad) > 12 else ''}; RPOP needs one for every exporter "
            "(drop them with TradeTable.drop_exporters, or give their populations)"
        )
    if not np.isfinite(values).all():
        raise NonFiniteError("population values must be finite")
    if (values < 0).any():
        raise NegativeValueError("population values must be positive")
    return np.asarray(values, dtype=np.float64)


def _frame(values: Array, table: TradeTable) -> pd.DataFrame:
    return pd.DataFrame(
        values,
        index=pd.Index(table.exporters, name="exporter"),
        columns=pd.Index(table.products, name="product"),
    )


def rca_frame(table: TradeTable) -> pd.DataFrame:
    """Balassa RCA of every exporter and product, as a labelled frame."""
    return _frame(rca(table.X), table)


def rpop_frame(table: TradeTable, population: Mapping[str, float] | pd.Series) -> pd.DataFrame:
    """RPOP of every exporter and product, as a labelled frame."""
    return _frame(rpop(table.X, population_vector(table, population)), table)
