"""Structural decomposition of the change in a bloc's value-added closure between two years.

The value added embodied in the bloc's final use (:mod:`karavan.core.gvc.closure`) is written as
a product of six drivers, each measured on the table of each year::

    d = diag(v) (I - A)^-1 y,    A = T[product] * H,    y = s * m[product] * h

- ``v``  value-added coefficients ``(V'1) / x`` (n);
- ``T``  technology: total input requirements per unit of output by input product, summed
  over origins, ``T[i, (s, j)] = sum_r A[(r, i), (s, j)]`` (S x n);
- ``H``  intermediate sourcing: the origin shares of each input product,
  ``H[(r, i), (s, j)] = A[(r, i), (s, j)] / T[i, (s, j)]`` (n x n, columns of each product
  summing to 1 over origins);
- ``h``  final-demand sourcing: origin shares of the bloc's final use of each product,
  ``h[(r, i)] = y[(r, i)] / sum_r y[(r, i)]`` with ``y = sum_{members} Y_r``;
- ``m``  final-demand mix: the product composition ``m[i] = sum_r y[(r, i)] / s``;
- ``s``  level: total final use of the bloc, ``s = 1'y``.

A share that is 0/0 (a product not used at all in one year) takes the other year's shares, or
equal shares over origins if the product is unused in both years: it multiplies zero, so each
year's ``A`` and ``y`` are reproduced exactly, and no sourcing change is attributed to a product
that is not bought.

The measures decomposed are the closure ``c = sum_B d / sum d``, the leakage ``sum_N d`` (value
added from outside the bloc), the value added created inside, ``sum_B d``, and the total,
``sum d``. Each is a non-linear function ``f`` of the six drivers, so the change
``f(1) - f(0)`` is split by the average over all ``6! = 720`` orderings in which the drivers can
be switched from the first year's value to the second (Dietzenbacher and Los 1998, "Structural
decomposition techniques: sense and sensitivity", Economic Systems Research 10(4): 307-324; they
show that the average of the two polar decompositions is usually close to it, but the full
average is exact and affordable here). With ``f(S)`` the measure when the drivers in ``S`` take
the second year's values and the others the first's, the effect of driver ``k`` is

    e_k = sum_{S not containing k} |S|! (5 - |S|)! / 6! * (f(S + k) - f(S))

which needs ``f`` on the 2^6 = 64 subsets only, with four factorisations of ``I - A`` (T and H
from either year). The effects sum exactly to the change (every ordering telescopes).

Prices: tables in current prices (WIOD 2013's are in current US dollars) mix volume and price
changes. The level effect then includes inflation and exchange-rate movements, and relative
price changes show up in the coefficients (``v``, ``T``, ``H``). The closure, a ratio, is
unaffected by the level (its level effect is zero up to rounding), not by relative prices. Deflate
both tables (e.g. with WIOD's previous-year-price tables) for a volume decomposition.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import product
from math import factorial
from typing import Any

import numpy as np
import pandas as pd
from scipy.linalg import lu_factor, lu_solve

from karavan.core.gvc.economies import Bloc, BlocSpec, resolve_bloc
from karavan.core.leontief import _inverse_output
from karavan.core.multipliers import value_added_coefficients
from karavan.core.table import Array, MRIOTable
from karavan.errors import LabelError, TableError

__all__ = ["DRIVERS", "MEASURES", "ClosureDecomposition", "closure_sda"]

DRIVERS: tuple[str, ...] = (
    "value_added_coefficients",
    "technology",
    "intermediate_sourcing",
    "final_demand_sourcing",
    "final_demand_mix",
    "final_demand_level",
)
"""The drivers, in the order of the ``effects`` frame's rows."""

MEASURES: tuple[str, ...] = ("closure", "leakage", "created_inside", "value_added_in_final_demand")


@dataclass(frozen=True)
class ClosureDecomposition:
    """The change of each measure between two years and its split by driver.

    ``values``: measure x (``start``, ``end``, ``change``); ``effects``: driver x measure, each
    column summing to the ``change``. Amounts in the tables' currency and unit (closure as a
    fraction).
    """

    bloc: Bloc
    start_year: int | None
    end_year: int | None
    values: pd.DataFrame
    effects: pd.DataFrame

    def shares_of_change(self) -> pd.DataFrame:
        """``effects`` divided by the change of each measure (NaN where it did not change)."""
        change = self.values["change"].replace(0.0, np.nan)
        return self.effects.div(change, axis=1)


@dataclass(frozen=True)
class _Drivers:
    v: Array
    T: Array  # S x n
    H: Array  # n x n
    h: Array  # n
    m: Array  # S
    s: float


def _totals(values: Array, n_regions: int) -> tuple[Array, Array]:
    """``values`` (R*S x k, region-major) as totals by product (S x k) and origin shares
    (R*S x k, NaN where the product's total is zero)."""
    by_origin = values.reshape(n_regions, -1, values.shape[1])
    totals = by_origin.sum(axis=0)
    safe = np.where(totals == 0.0, 1.0, totals)
    shares = np.where(totals[None] == 0.0, np.nan, by_origin / safe[None])
    return totals, shares.reshape(values.shape)


def _shares(
    values0: Array, values1: Array, n_regions: int
) -> tuple[tuple[Array, Array], tuple[Array, Array]]:
    """Totals by product and origin shares of two years; a 0/0 share takes the other year's,
    or ``1 / R`` when the product is unused in both."""
    t0, h0 = _totals(values0, n_regions)
    t1, h1 = _totals(values1, n_regions)
    h0 = np.where(np.isnan(h0), np.where(np.isnan(h1), 1.0 / n_regions, h1), h0)
    h1 = np.where(np.isnan(h1), h0, h1)
    return (t0, h0), (t1, h1)


def _final_use(t: MRIOTable, bloc: Bloc) -> Array:
    cols = [t.regions.index(r) for r in bloc.present]
    return np.asarray(t.Y_by_region[:, cols].sum(axis=1))


def _check_labels(a: MRIOTable, b: MRIOTable) -> None:
    for what in ("regions", "sectors", "categories"):
        la, lb = getattr(a, what), getattr(b, what)
        if la != lb:
            diff = next(
                (i for i, (x, y) in enumerate(zip(la, lb, strict=False)) if x != y),
                min(len(la), len(lb)),
            )
            got = lb[diff] if diff < len(lb) else "nothing"
            want = la[diff] if diff < len(la) else "nothing"
            raise LabelError(
                f"the two tables must share their {what} for a structural decomposition: "
                f"{len(la)} vs {len(lb)} labels; at position {diff} {want!r} in "
                f"{a.meta.year}, {got!r} in {b.meta.year}"
            )


def _drivers(t: MRIOTable, bloc: Bloc) -> tuple[Array, Array, Array]:
    """``v``, ``A`` and the bloc's final use ``y`` of one table."""
    v = value_added_coefficients(t).to_numpy().sum(axis=0)
    A = t.Z * _inverse_output(t)[None, :]
    y = _final_use(t, bloc)
    if y.sum() <= 0.0:
        raise TableError(
            f"the final use of bloc {bloc.name!r} in {t.meta.year} totals {y.sum():.6g}; "
            "its level and mix are undefined"
        )
    return v, A, y


def _check_reproduced(name: str, year: Any, rebuilt: Array, original: Array) -> None:
    scale = float(np.abs(original).max(initial=0.0)) or 1.0
    err = float(np.abs(rebuilt - original).max(initial=0.0))
    if err > 1e-9 * scale:
        raise TableError(
            f"{name} of {year} cannot be split into totals by product and origin shares "
            f"(off by {err:.3g}): a product's entries cancel out to zero"
        )


def closure_sda(
    start: MRIOTable, end: MRIOTable, bloc: BlocSpec, *, name: str | None = None
) -> ClosureDecomposition:
    """Decompose the change of ``bloc``'s closure, leakage, inside and total value added in its
    final use from ``start`` to ``end`` into the six drivers (module docstring).

    The tables must share regions, sectors and final-demand categories
    (:class:`~karavan.errors.LabelError` otherwise), so the bloc has the same members in both.
    """
    _check_labels(start, end)
    b0 = resolve_bloc(start.regions, bloc, name=name)  # the same members in both: same regions
    R = start.n_regions
    inside = b0.mask(start)
    (v0, A0, y0), (v1, A1, y1) = _drivers(start, b0), _drivers(end, b0)
    (T0, H0), (T1, H1) = _shares(A0, A1, R)
    (yt0, h0), (yt1, h1) = _shares(y0[:, None], y1[:, None], R)
    s0, s1 = float(y0.sum()), float(y1.sum())
    years = (start.meta.year, end.meta.year)
    for year, (A, T, H, y, yt, h) in zip(
        years, ((A0, T0, H0, y0, yt0, h0), (A1, T1, H1, y1, yt1, h1)), strict=True
    ):
        _check_reproduced("A", year, np.tile(T, (R, 1)) * H, A)
        _check_reproduced("the bloc's final use", year, np.tile(yt[:, 0], R) * h[:, 0], y)
    d0 = _Drivers(v0, T0, H0, h0[:, 0], yt0[:, 0] / s0, s0)
    d1 = _Drivers(v1, T1, H1, h1[:, 0], yt1[:, 0] / s1, s1)
    f = _measure_function(d0, d1, R, inside)
    values, effects = _shapley(f, len(DRIVERS))
    return ClosureDecomposition(
        bloc=b0,
        start_year=start.meta.year,
        end_year=end.meta.year,
        values=pd.DataFrame(
            {"start": values[0], "end": values[1], "change": values[1] - values[0]},
            index=pd.Index(MEASURES, name="measure"),
        ),
        effects=pd.DataFrame(
            effects,
            index=pd.Index(DRIVERS, name="driver"),
            columns=pd.Index(MEASURES, name="measure"),
        ),
    )


def _measure_function(
    d0: _Drivers, d1: _Drivers, R: int, inside: Any
) -> Callable[[tuple[int, ...]], Array]:
    """``f(S)`` for a 0/1 choice of year per driver (in :data:`DRIVERS` order), with the four
    factorisations of ``I - A`` cached."""
    n = d0.v.size
    years = (d0, d1)
    factors: dict[tuple[int, int], Any] = {}

    def lu(tech: int, sourcing: int) -> Any:
        key = (tech, sourcing)
        if key not in factors:
            A = np.tile(years[tech].T, (R, 1)) * years[sourcing].H
            factors[key] = lu_factor(np.eye(n) - A, check_finite=False)
        return factors[key]

    def f(choice: tuple[int, ...]) -> Array:
        cv, ct, ch, cfh, cm, cs = choice
        y = years[cs].s * np.tile(years[cm].m, R) * years[cfh].h
        x = lu_solve(lu(ct, ch), y, check_finite=False)
        va = years[cv].v * x
        made_inside = float(va[inside].sum())
        leakage = float(va[~inside].sum())
        total = made_inside + leakage
        return np.array([made_inside / total, leakage, made_inside, total])

    return f


def _shapley(f: Callable[[tuple[int, ...]], Array], k: int) -> tuple[tuple[Array, Array], Array]:
    """``(f(all 0), f(all 1))`` and the average effect of each factor over all ``k!`` orderings
    (the Shapley value), from ``f`` on the ``2^k`` subsets."""
    value = {c: f(c) for c in product((0, 1), repeat=k)}
    weight = [factorial(m) * factorial(k - m - 1) / factorial(k) for m in range(k)]
    effects = np.zeros((k, next(iter(value.values())).size))
    for c, fc in value.items():
        for j in range(k):
            if c[j] == 0:
                with_j = (*c[:j], 1, *c[j + 1 :])
                effects[j] += weight[sum(c)] * (value[with_j] - fc)
    return (value[(0,) * k], value[(1,) * k]), effects
