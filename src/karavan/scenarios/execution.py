"""Where Monte Carlo draws (or a batch of scenarios) are evaluated: in this process, in a pool of
local processes, or on a Dask cluster.

Every path evaluates the same blocks of parameter values, drawn beforehand by the caller, and
returns the blocks' outputs in block order, so a result never depends on the number of workers,
on the order in which blocks finish, or on a block re-run after a worker was lost (provided the
evaluation itself is deterministic; see the note on BLAS threads below).

- ``workers=1``: in-process, one block after the other.
- ``workers > 1``: :class:`concurrent.futures.ProcessPoolExecutor` (``spawn`` by default). The
  evaluator, with whatever expensive state it holds (a table, a runner), is pickled ONCE per
  worker through the pool's initializer and kept in a module global; each task then carries
  only a block of parameter values (``n_block x n_parameters`` floats). An evaluator that holds
  a table should build its factorisation lazily (for example in a ``functools.cached_property``
  that its ``__getstate__`` leaves out), so that each worker factorises once and no factors are
  pickled.
- ``dask_address="tcp://host:port"``: ``distributed.Client(address)``; the evaluator is
  scattered once to every worker (``broadcast=True``) and one task is submitted per block with
  ``retries=`` (re-runs after the evaluation raised); a block whose worker dies is rescheduled
  by the scheduler on another worker and re-evaluated from the same values. Scattered data
  cannot be recomputed: if every copy of the evaluator is lost (the scheduler may keep fewer
  replicas than were broadcast), the blocks left are resubmitted after a new scatter, at most
  ``retries`` times. ``distributed`` is imported only on this path.

BLAS threads: pool workers run BLAS with ``blas_threads`` threads (default 1, so that workers
do not oversubscribe the cores). For large problems an OpenBLAS result can depend on its thread
count in the last bits; for results identical to the bit across worker counts, keep the
in-process run at the same thread count (``threadpoolctl.threadpool_limits``).
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from karavan.errors import ScenarioError

__all__ = [
    "Evaluate",
    "Layout",
    "Output",
    "evaluate_blocks",
    "evaluate_chunk",
    "flatten_output",
]

Array = np.ndarray[Any, np.dtype[np.float64]]
Output = pd.Series | pd.DataFrame
Evaluate = Callable[[dict[str, float]], Mapping[str, Output]]
"""A deterministic function of named parameter values to labelled outputs (Series or frames)."""

ChunkResult = dict[str, tuple["Layout", Array]]


@dataclass(frozen=True, eq=False)
class Layout:
    """The labels of one output, so that its values travel as a flat vector.

    A Series flattens to its values in index order; a frame to its values row by row (C order),
    its entries labelled by the row labels followed by the column labels.
    """

    index: pd.Index
    columns: pd.Index | None = None

    @property
    def size(self) -> int:
        return len(self.index) * (1 if self.columns is None else len(self.columns))

    def entries(self) -> pd.Index:
        """The label of every entry of the flat vector."""
        if self.columns is None:
            return self.index
        rows = self.index.repeat(len(self.columns))
        cols = self.columns[np.tile(np.arange(len(self.columns)), len(self.index))]
        arrays = [rows.get_level_values(i) for i in range(rows.nlevels)]
        arrays += [cols.get_level_values(i) for i in range(cols.nlevels)]
        names = [*self.index.names, *self.columns.names]
        names = [name if name is not None else f"level_{i}" for i, name in enumerate(names)]
        return pd.MultiIndex.from_arrays(arrays, names=names)

    def same_as(self, other: Layout) -> bool:
        if (self.columns is None) != (other.columns is None):
            return False
        if not (self.index.equals(other.index) and self.index.names == other.index.names):
            return False
        if self.columns is None or other.columns is None:
            return True
        return self.columns.equals(other.columns) and self.columns.names == other.columns.names


def flatten_output(name: str, value: Output) -> tuple[Layout, Array]:
    """``(layout, values)`` of one output; raises :class:`ScenarioError` for other types."""
    if isinstance(value, pd.Series):
        return Layout(value.index), np.asarray(value.to_numpy(dtype=np.float64))
    if isinstance(value, pd.DataFrame):
        flat = np.asarray(value.to_numpy(dtype=np.float64)).reshape(-1)
        return Layout(value.index, value.columns), flat
    raise ScenarioError(
        f"output {name!r} must be a pandas Series or DataFrame; got {type(value).__name__}"
    )


def evaluate_chunk(evaluate: Evaluate, names: Sequence[str], block: Array) -> ChunkResult:
    """Evaluate every row of ``block`` (``m x len(names)`` values); each output's values are
    stacked into an ``m x entries`` array. Raises :class:`ScenarioError` if the outputs'
    names or labels change from one row to the next."""
    layouts: dict[str, Layout] = {}
    rows: dict[str, list[Array]] = {}
    for i, row in enumerate(block):
        values = {name: float(v) for name, v in zip(names, row, strict=True)}
        outputs = evaluate(values)
        if i == 0:
            for key, out in outputs.items():
                layouts[key], flat = flatten_output(key, out)
                rows[key] = [flat]
            continue
        if set(outputs) != set(layouts):
            raise ScenarioError(
                f"evaluation returned outputs {sorted(outputs)} for {values}; "
                f"expected {sorted(layouts)} as for the first draw"
            )
        for key, out in outputs.items():
            layout, flat = flatten_output(key, out)
            if not layout.same_as(layouts[key]):
                raise ScenarioError(
                    f"output {key!r} changed its labels between draws (at {values})"
                )
            rows[key].append(flat)
    return {key: (layouts[key], np.vstack(rows[key])) for key in layouts}


# ------------------------------------------------------------------ local process pool
_worker_evaluate: Evaluate | None = None
_worker_blas: Any = None


def _install(evaluate: Evaluate, blas_threads: int | None) -> None:
    """Pool initializer: keep the evaluator (unpickled once) for every task of this worker."""
    global _worker_evaluate, _worker_blas
    _worker_evaluate = evaluate
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        _worker_blas = threadpool_limits(limits=blas_threads)


def _evaluate_installed(names: Sequence[str], block: Array) -> ChunkResult:
    assert _worker_evaluate is not None, "pool worker started without its evaluator"
    return evaluate_chunk(_worker_evaluate, names, block)


def _on_pool(
    evaluate: Evaluate,
    names: Sequence[str],
    blocks: Sequence[Array],
    workers: int,
    start_method: str,
    blas_threads: int | None,
) -> list[ChunkResult]:
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(
        max_workers=min(workers, len(blocks)),
        mp_context=context,
        initializer=_install,
        initargs=(evaluate, blas_threads),
    ) as pool:
        return list(pool.map(_evaluate_installed, [names] * len(blocks), blocks))


# ------------------------------------------------------------------ Dask
def _on_dask(
    evaluate: Evaluate,
    names: Sequence[str],
    blocks: Sequence[Array],
    address: str,
    retries: int,
) -> list[ChunkResult]:
    """Scatter, submit, gather; blocks cancelled because the scattered evaluator was lost with
    every worker that held it are resubmitted after a new scatter (at most ``retries`` times),
    since scattered data, unlike a task, cannot be recomputed by the scheduler."""
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ScenarioError(
            "dask_address needs the 'distributed' package: pip install 'karavan[dask]'"
        ) from exc
    token = uuid.uuid4().hex
    results: dict[int, ChunkResult] = {}
    pending = list(range(len(blocks)))
    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        for attempt in range(retries + 1):
            [remote] = client.scatter([evaluate], broadcast=True, hash=False)
            futures = {
                i: client.submit(
                    evaluate_chunk,
                    remote,
                    list(names),
                    blocks[i],
                    key=f"karavan-block-{token}-{attempt}-{i}",
                    retries=retries,
                    pure=False,
                )
                for i in pending
            }
            client.gather(list(futures.values()), errors="skip")  # until all are settled
            lost = []
            for i, future in futures.items():
                if future.status == "finished":
                    results[i] = future.result()
                elif future.status == "cancelled":
                    lost.append(i)
                else:  # "error": the evaluation raised, retries spent
                    future.result()
            pending = lost
            if not pending:
                break
        if pending:
            raise ScenarioError(
                f"{len(pending)} blocks of draws were lost with their workers {retries + 1} "
                f"times on the Dask cluster at {address}"
            )
    return [results[i] for i in range(len(blocks))]


def evaluate_blocks(
    evaluate: Evaluate,
    names: Sequence[str],
    blocks: Sequence[Array],
    *,
    workers: int = 1,
    dask_address: str | None = None,
    retries: int = 3,
    start_method: str = "spawn",
    blas_threads: int | None = 1,
) -> list[ChunkResult]:
    """Evaluate ``blocks`` of parameter values (see the module docstring for where), returning
    one :data:`ChunkResult` per block, in block order."""
    if workers < 1:
        raise ScenarioError(f"workers must be at least 1; got {workers}")
    if retries < 0:
        raise ScenarioError(f"retries must be at least 0; got {retries}")
    if not blocks:
        return []
    if dask_address is not None:
        return _on_dask(evaluate, names, blocks, dask_address, retries)
    if workers == 1 or len(blocks) == 1:
        return [evaluate_chunk(evaluate, names, block) for block in blocks]
    return _on_pool(evaluate, names, blocks, workers, start_method, blas_threads)
