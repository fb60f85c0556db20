"""Several deterministic scenarios on one baseline, run in this process, in a pool of local
processes or on a Dask cluster.

The runner (the baseline table with its factorisation) is shipped once per worker: through the
pool's initializer, or scattered to every Dask worker (``broadcast=True``); each task then carries
one scenario spec and returns its :class:`~karavan.scenarios.results.ScenarioResult`. Results come
back in the order of the specs, and are the same wherever they ran (pool workers run BLAS with one
thread; so does the in-process path of the CLI).
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from karavan.errors import ScenarioError
from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec

__all__ = ["run_batch"]

_worker_runner: ScenarioRunner | None = None
_worker_blas: Any = None


def _install(runner: ScenarioRunner, blas_threads: int | None) -> None:
    """Pool initializer: keep the runner (unpickled once) for every task of this worker."""
    global _worker_runner, _worker_blas
    _worker_runner = runner
    if blas_threads is not None:
        from threadpoolctl import threadpool_limits

        _worker_blas = threadpool_limits(limits=blas_threads)


def _run_installed(spec: ScenarioSpec) -> ScenarioResult:
    assert _worker_runner is not None, "pool worker started without its runner"
    return _worker_runner.run(spec)


def _run_one(runner: ScenarioRunner, spec: ScenarioSpec) -> ScenarioResult:
    return runner.run(spec)


def _on_dask(
    runner: ScenarioRunner, specs: Sequence[ScenarioSpec], address: str, retries: int
) -> list[ScenarioResult]:
    try:
        from distributed import Client
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ScenarioError(
            "--dask needs the 'distributed' package: pip install 'karavan[dask]'"
        ) from exc
    token = uuid.uuid4().hex
    with Client(address, set_as_default=False) as client:  # type: ignore[no-untyped-call]
        [remote] = client.scatter([runner], broadcast=True, hash=False)
        futures = [
            client.submit(
                _run_one,
                remote,
                spec,
                key=f"karavan-scenario-{token}-{i}",
                retries=retries,
                pure=False,
            )
            for i, spec in enumerate(specs)
        ]
        results: list[ScenarioResult] = client.gather(futures)
    return list(results)


def run_batch(
    runner: ScenarioRunner,
    specs: Sequence[ScenarioSpec],
    *,
    workers: int = 1,
    dask_address: str | None = None,
    retries: int = 3,
    start_method: str = "spawn",
    blas_threads: int | None = 1,
) -> list[ScenarioResult]:
    """``[runner.run(spec) for spec in specs]``, in this process (``workers=1``), in a pool of
    ``workers`` local processes, or on the Dask scheduler at ``dask_address``."""
    if workers < 1:
        raise ScenarioError(f"workers must be at least 1; got {workers}")
    if not specs:
        return []
    if dask_address is not None:
        return _on_dask(runner, specs, dask_address, retries)
    if workers == 1 or len(specs) == 1:
        return [runner.run(spec) for spec in specs]
    context = multiprocessing.get_context(start_method)
    with ProcessPoolExecutor(
        max_workers=min(workers, len(specs)),
        mp_context=context,
        initializer=_install,
        initargs=(runner, blas_threads),
    ) as pool:
        return list(pool.map(_run_installed, specs))
