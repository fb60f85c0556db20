"""Macro series for per-capita indicators: GDP (current USD) and population.

World Bank World Development Indicators (CC BY 4.0), via datasets/gdp (1960-2023) and
datasets/population (1960-2024), as published: countries (ISO3) and World Bank aggregates
(``WLD``, ``EUU``, ...), one value per country and year, no gaps filled.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Literal

import pandas as pd

from karavan.classifications.store import MACRO_DATA, unknown_label
from karavan.errors import LabelError

__all__ = ["macro_series", "per_capita"]

_SERIES = ("gdp", "population")


@cache
def _series(name: str) -> pd.DataFrame:
    frame = pd.read_parquet(MACRO_DATA / f"{name}.parquet")
    return frame.astype({"country": str, "name": str, "year": "int64", "value": "float64"})


def macro_series(name: Literal["gdp", "population"]) -> pd.DataFrame:
    """A World Bank series: columns ``country`` (ISO3 or aggregate code), ``name``, ``year``,
    ``value`` (GDP in current USD; population in persons)."""
    if name not in _SERIES:
        raise unknown_label("macro series", name, _SERIES)
    return _series(name).copy()


def per_capita(values: pd.Series | Mapping[str, float], year: int) -> pd.Series:
    """``values`` (indexed by ISO3 code) divided by each country's population in ``year``.

    Raises :class:`~karavan.errors.LabelError` naming every country with no population for
    that year (never a silent NaN).
    """
    series = pd.Series(values, dtype="float64")
    frame = _series("population")
    pop: pd.Series = frame[frame["year"] == year].set_index("country")["value"]
    missing = [str(c) for c in series.index if c not in pop.index]
    if missing:
        if pop.empty:
            raise LabelError(f"no population for year {year}; the series covers 1960-2024")
        hint = str(unknown_label("ISO3 country code", missing[0], pop.index)).split(";", 1)
        extra = f";{hint[1]}" if len(hint) > 1 else ""
        raise LabelError(
            f"no population in {year} for {', '.join(repr(c) for c in missing)}{extra}"
        )
    out = pd.Series(
        series.to_numpy() / pop.reindex(series.index).to_numpy(),
        index=series.index,
        name="per_capita",
    )
    return out
