"""Monte Carlo propagation of parameter uncertainty through any labelled evaluation.

Any numeric parameter of a scenario may be a distribution (:mod:`karavan.scenarios.distributions`).
:func:`monte_carlo` draws ``N`` joint values of all of them up front, in the calling process,
from a seeded ``numpy.random.Generator``, then evaluates the draws (in-process, in a process
pool or on a Dask cluster, :mod:`karavan.scenarios.execution`) and summarises every output
entry. Because the draws exist before any evaluation, the same seed gives the same result
whatever the number of workers, the chunking, or the retries after a lost worker.

Sampling, for ``d`` uncertain parameters with inverse CDFs ``F_j^-1``:

- ``method="random"``: ``U ~ U(0, 1)^(N x d)`` from ``default_rng(seed).random``, and
  ``X_ij = F_j^-1(U_ij)``.
- ``method="lhs"`` (Latin hypercube; McKay, Beckman and Conover 1979, *Technometrics* 21(2),
  239-245): for each parameter ``j`` an independent random permutation ``pi_j`` of
  ``0..N-1`` and ``U_ij = (pi_j(i) + V_ij) / N`` with ``V ~ U(0, 1)``, so each of the ``N``
  equiprobable strata ``[k/N, (k+1)/N)`` of every parameter holds exactly one draw, and the
  pairing across parameters is random.

A number stays a number: it is passed to every evaluation unchanged and draws nothing. A
degenerate distribution (zero spread) returns its location exactly, so Monte Carlo over
degenerate distributions reproduces the deterministic evaluation to the bit, percentiles and
mean included (the mean is computed as ``m + mean(y - m)`` with ``m`` the first draw, which is
exact for constant ``y`` and better conditioned in general).

Summaries per output entry: the mean and the 5th, 50th and 95th percentiles (``numpy``'s
default linear interpolation, Hyndman and Fan 1996 definition 7), and the Spearman rank
correlation of the entry with every uncertain parameter
(:mod:`karavan.scenarios.sensitivity`). The Monte Carlo standard error of a ``p``-quantile
estimate is ``sqrt(p (1 - p) / N) / f(q_p)`` (``f`` the output's density there), of the mean
``sd / sqrt(N)``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from karavan.errors import ScenarioError
from karavan.scenarios.distributions import Param, param_ppf
from karavan.scenarios.execution import Evaluate, Layout, evaluate_blocks
from karavan.scenarios.sensitivity import sensitivity_ranking, spearman_coefficients

if TYPE_CHECKING:
    from karavan.scenarios.runner import ScenarioRunner
    from karavan.scenarios.spec import ScenarioSpec

__all__ = [
    "Method",
    "MonteCarloResult",
    "draw_parameters",
    "draw_uniforms",
    "monte_carlo",
    "monte_carlo_scenario",
    "summarise_draws",
]

Array = np.ndarray[Any, np.dtype[np.float64]]
Method = Literal["random", "lhs"]
PERCENTILES = (5.0, 50.0, 95.0)


def draw_uniforms(n: int, d: int, *, seed: int | None, method: Method = "random") -> Array:
    """``n x d`` uniform quantiles in ``[0, 1)``, plain or Latin hypercube (module docstring)."""
    if n < 1:
        raise ScenarioError(f"the number of draws must be at least 1; got {n}")
    rng = np.random.default_rng(seed)
    if method == "random":
        return rng.random((n, d))
    if method == "lhs":
        u = np.empty((n, d))
        for j in range(d):
            u[:, j] = (rng.permutation(n) + rng.random(n)) / n
        return u
    raise ScenarioError(f"method must be 'random' or 'lhs'; got {method!r}")


def draw_parameters(
    parameters: Mapping[str, Param], n: int, *, seed: int | None, method: Method = "random"
) -> pd.DataFrame:
    """The ``n`` joint draws (rows ``draw`` 0..n-1, one column per parameter, in the mapping's
    order); numbers fill their column unchanged, distributions take one column of
    :func:`draw_uniforms` each, in order of appearance."""
    uncertain = [name for name, p in parameters.items() if not isinstance(p, int | float)]
    u = draw_uniforms(n, len(uncertain), seed=seed, method=method)
    column = {name: j for j, name in enumerate(uncertain)}
    data = {
        name: param_ppf(p, u[:, column[name]] if name in column else np.zeros(n))
        for name, p in parameters.items()
    }
    frame = pd.DataFrame(data, index=pd.RangeIndex(n, name="draw"))
    frame.columns.name = "parameter"
    return frame


def _mean(y: Array) -> Array:
    """Column means as ``m + mean(y - m)``, ``m`` the first row: exact for constant columns."""
    m = y[0]
    return np.asarray(m + (y - m[None, :]).mean(axis=0), dtype=np.float64)


def summarise_draws(
    values: Array, entries: pd.Index, percentiles: Sequence[float] = PERCENTILES
) -> pd.DataFrame:
    """Mean and percentiles (columns ``mean``, ``p5``, ``p50``, ``p95``) of each column of
    ``values`` (draws x entries), indexed by ``entries``."""
    q = np.percentile(values, list(percentiles), axis=0)
    data = {"mean": _mean(values)}
    data.update({f"p{p:g}": q[i] for i, p in enumerate(percentiles)})
    frame = pd.DataFrame(data, index=entries)
    frame.columns.name = "statistic"
    return frame


@dataclass(frozen=True)
class MonteCarloResult:
    """Draws, their outputs and summaries of one Monte Carlo run, all labelled.

    - ``draws``: draw x parameter, the values each evaluation received;
    - ``outputs[name]``: draw x entry, every evaluation's values of output ``name`` (a Series
      output's entries are its index; a frame's are its (row, column) pairs, row-major);
    - ``percentiles[name]``: entry x (``mean``, ``p5``, ``p50``, ``p95``);
    - ``sensitivity[name]``: entry x uncertain parameter, Spearman rank correlation (NaN where
      the entry or the parameter does not vary); :meth:`ranking` orders them.
    """

    draws: pd.DataFrame
    outputs: Mapping[str, pd.DataFrame]
    percentiles: Mapping[str, pd.DataFrame]
    sensitivity: Mapping[str, pd.DataFrame]
    seed: int | None
    method: Method

    @property
    def n(self) -> int:
        """Number of draws."""
        return len(self.draws)

    def ranking(self, output: str) -> pd.DataFrame:
        """Rank (1 = strongest ``|rho|``) of every uncertain parameter for each entry."""
        return sensitivity_ranking(self.sensitivity[output])

    def drivers(self) -> pd.DataFrame:
        """For each output, the parameters ordered by their mean ``|rho|`` over its entries
        (entries that do not vary left out): columns ``output``, ``parameter``,
        ``mean_abs_rho``, ``rank``."""
        rows = []
        for name, rho in self.sensitivity.items():
            score = rho.abs().mean(axis=0, skipna=True).sort_values(ascending=False)
            for rank, (parameter, value) in enumerate(score.items(), start=1):
                rows.append((name, parameter, float(value), rank))
        return pd.DataFrame(rows, columns=["output", "parameter", "mean_abs_rho", "rank"])

    def to_frames(self) -> dict[str, pd.DataFrame]:
        """Every frame by name: ``draws``, ``drivers`` and, for each output ``o``,
        ``o/percentiles``, ``o/draws`` and ``o/sensitivity``."""
        frames = {"draws": self.draws, "drivers": self.drivers()}
        for name in self.outputs:
            frames[f"{name}/percentiles"] = self.percentiles[name]
            frames[f"{name}/draws"] = self.outputs[name]
            frames[f"{name}/sensitivity"] = self.sensitivity[name]
        return frames


def _blocks(values: Array, chunk_size: int) -> list[Array]:
    return [values[i : i + chunk_size] for i in range(0, len(values), chunk_size)]


def _default_chunk(n: int, workers: int, dask: bool) -> int:
    """About four blocks per worker (16 on a cluster of unknown size), so that a slow or lost
    worker delays at most a small part of the run."""
    parts = 16 if dask else 4 * workers
    return max(1, math.ceil(n / parts))


def monte_carlo(
    evaluate: Evaluate,
    parameters: Mapping[str, Param],
    *,
    n: int = 1000,
    seed: int | None = 0,
    method: Method = "random",
    workers: int = 1,
    dask_address: str | None = None,
    chunk_size: int | None = None,
    retries: int = 3,
    start_method: str = "spawn",
    blas_threads: int | None = 1,
    percentiles: Sequence[float] = PERCENTILES,
) -> MonteCarloResult:
    """Propagate the distributions among ``parameters`` through ``evaluate``.

    ``evaluate(values)`` receives one value per parameter (by name) and returns labelled
    outputs (Series or frames) with the same labels at every draw. It must be picklable when
    ``workers > 1`` or ``dask_address`` is given; it is shipped once per worker, not per task.

    ``n`` draws (``method`` ``"random"`` or ``"lhs"``) from ``seed``; ``workers`` local
    processes (1: in this process) or the Dask scheduler at ``dask_address``, in blocks of
    ``chunk_size`` draws, each retried up to ``retries`` times on a cluster. The result does
    not depend on ``workers``, ``dask_address`` or ``chunk_size``.
    """
    if chunk_size is not None and chunk_size < 1:
        raise ScenarioError(f"chunk_size must be at least 1; got {chunk_size}")
    draws = draw_parameters(parameters, n, seed=seed, method=method)
    names = list(draws.columns)
    size = chunk_size or _default_chunk(n, workers, dask_address is not None)
    chunks = evaluate_blocks(
        evaluate,
        names,
        _blocks(draws.to_numpy(dtype=np.float64), size),
        workers=workers,
        dask_address=dask_address,
        retries=retries,
        start_method=start_method,
        blas_threads=blas_threads,
    )
    layouts: dict[str, Layout] = {key: layout for key, (layout, _) in chunks[0].items()}
    for chunk in chunks[1:]:
        if set(chunk) != set(layouts) or any(
            not chunk[key][0].same_as(layouts[key]) for key in layouts
        ):
            raise ScenarioError("outputs changed their names or labels between blocks of draws")
    uncertain = [name for name, p in parameters.items() if not isinstance(p, int | float)]
    outputs: dict[str, pd.DataFrame] = {}
    summaries: dict[str, pd.DataFrame] = {}
    sensitivity: dict[str, pd.DataFrame] = {}
    for key, layout in layouts.items():
        values = np.vstack([chunk[key][1] for chunk in chunks])
        entries = layout.entries()
        outputs[key] = pd.DataFrame(values, index=draws.index, columns=entries)
        summaries[key] = summarise_draws(values, entries, percentiles)
        sensitivity[key] = spearman_coefficients(draws[uncertain], values, entries)
    return MonteCarloResult(
        draws=draws,
        outputs=MappingProxyType(outputs),
        percentiles=MappingProxyType(summaries),
        sensitivity=MappingProxyType(sensitivity),
        seed=seed,
        method=method,
    )


class ScenarioEvaluation:
    """``values -> runner.run(spec, values=values).to_frames()``: one Monte Carlo draw of a
    scenario spec. Picklable when the runner is; shipped once per worker, with the runner's
    factors, so a worker does not factorise again."""

    def __init__(self, runner: ScenarioRunner, spec: ScenarioSpec) -> None:
        self.runner = runner
        self.spec = spec

    def __call__(self, values: dict[str, float]) -> dict[str, pd.DataFrame]:
        return self.runner.run(self.spec, values=values).to_frames()


def monte_carlo_scenario(
    runner: ScenarioRunner, spec: ScenarioSpec, **options: Any
) -> MonteCarloResult:
    """:func:`monte_carlo` over the parameters of ``spec`` (``spec.parameters()``, by path such
    as ``shocks[0].value``), each draw a ``runner.run(spec, values=...)``; ``options`` are
    :func:`monte_carlo`'s (``n``, ``seed``, ``method``, ``workers``, ``dask_address``, ...).
    Outputs are the run's frames (``industries``, ``regions``, ``closure``)."""
    return monte_carlo(ScenarioEvaluation(runner, spec), spec.parameters(), **options)
