"""Monte Carlo on a local Dask cluster survives the loss of a worker mid-run, exactly."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from karavan.scenarios.distributions import Normal, Uniform
from karavan.scenarios.montecarlo import monte_carlo
from tests.conftest import small_table
from tests.scenario_models import DemandScenario, KillOnce

distributed = pytest.importorskip("distributed")

PARAMETERS = {"growth": Normal(mean=0.05, sd=0.02), "shift": Uniform(low=-0.1, high=0.2)}


def test_monte_carlo_on_dask_equals_the_serial_run_after_a_worker_is_killed() -> None:
    table = small_table()
    serial = monte_carlo(DemandScenario(table), PARAMETERS, n=48, seed=7, method="lhs")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pids = client.run(os.getpid)  # {worker address: pid}
        victim, victim_pid = sorted(pids.items())[0]
        killed, finished = threading.Event(), threading.Event()

        def kill_one_worker_mid_run() -> None:
            # 12 blocks of 4 draws at 0.1 s each (0.4 s a block, about 2.4 s of work per
            # worker): kill the victim as soon as it is evaluating a block
            deadline = time.perf_counter() + 20.0
            while time.perf_counter() < deadline and not finished.is_set():
                busy = client.processing(workers=[victim]).get(victim, ())
                if busy:
                    os.kill(victim_pid, signal.SIGKILL)
                    killed.set()
                    return
                time.sleep(0.05)

        timer = threading.Thread(target=kill_one_worker_mid_run, daemon=True)
        start = time.perf_counter()
        timer.start()
        try:
            remote = monte_carlo(
                DemandScenario(table, delay=0.1),
                PARAMETERS,
                n=48,
                seed=7,
                method="lhs",
                dask_address=cluster.scheduler_address,
                chunk_size=4,
                retries=2,
            )
        finally:
            finished.set()
            timer.join()
        elapsed = time.perf_counter() - start
        assert killed.is_set(), f"the run ended in {elapsed:.1f} s, before a worker was killed"
        # the nanny started a new worker process in place of the killed one
        client.wait_for_workers(2, timeout=20)
        assert victim_pid not in client.run(os.getpid).values()

    pd.testing.assert_frame_equal(remote.draws, serial.draws, check_exact=True)
    for name in serial.outputs:
        pd.testing.assert_frame_equal(remote.outputs[name], serial.outputs[name], check_exact=True)
        pd.testing.assert_frame_equal(
            remote.percentiles[name], serial.percentiles[name], check_exact=True
        )
        pd.testing.assert_frame_equal(
            remote.sensitivity[name], serial.sensitivity[name], check_exact=True
        )


def test_blocks_are_resubmitted_when_the_only_copy_of_the_evaluator_is_lost(
    tmp_path: Path,
) -> None:
    # One worker: the scattered evaluator lives only there. Its first evaluation kills it, so
    # the scheduler cancels the blocks for lost dependencies; they must be resubmitted after a
    # new scatter (to the restarted worker) and give the serial result exactly.
    table = small_table()
    serial = monte_carlo(DemandScenario(table), PARAMETERS, n=12, seed=3)
    marker = tmp_path / "killed"
    with distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=None,
        host="127.0.0.1",
    ) as cluster:
        remote = monte_carlo(
            KillOnce(DemandScenario(table), str(marker)),
            PARAMETERS,
            n=12,
            seed=3,
            dask_address=cluster.scheduler_address,
            chunk_size=3,
            retries=2,
        )
    assert marker.exists()  # a worker did die
    for name in serial.outputs:
        pd.testing.assert_frame_equal(remote.outputs[name], serial.outputs[name], check_exact=True)
