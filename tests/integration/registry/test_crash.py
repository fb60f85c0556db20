"""Crash safety of bulk import: kill -9 a process in the middle of importing, then check that
every acknowledged batch is whole, no batch is partial, and the database and the audit chain
are sound.

A worker subprocess (``crash_worker.py``) imports batches of 200 organisations in a loop and
prints ``ACK <batch_id> <sha256> <first id> <last id>`` after each commit. The test kills it with
SIGKILL after a random number of acknowledgements and a random delay shorter than one batch
(so most kills land inside a transaction), reopens the database and checks it. Each iteration
has its own seed, shown in the test id and in every failure message; rerun one with
``-k "seed=<n>"``. Three iterations per backend run by default, twenty more under ``slow``.
"""

from __future__ import annotations

import importlib.util
import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import IO

import pytest
from sqlalchemy import func, select

from karavan.registry import SYSTEM, audit, open_registry
from karavan.registry.bulk import batch_key, import_batch
from karavan.registry.store.account_models import AuditLogRow
from karavan.registry.store.import_models import ImportBatchRow
from karavan.registry.store.models import (
    OrganisationIdentifierRow,
    OrganisationRow,
    RecordHistoryRow,
)

WORKER = Path(__file__).with_name("crash_worker.py")


def _load_worker() -> ModuleType:
    """The worker script as a module (for its file builder), loaded from its path."""
    spec = importlib.util.spec_from_file_location("karavan_crash_worker", WORKER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


batch_file = _load_worker().batch_file

ROWS = 200
BATCHES = 10_000  # more than any iteration gets through: the worker is always killed
STARTUP_TIMEOUT_S = 120.0
ACK_TIMEOUT_S = 60.0
DEFAULT_SEEDS = [101, 102, 103]
SLOW_SEEDS = list(range(201, 221))


@dataclass(frozen=True)
class Ack:
    batch_id: int
    sha256: str
    first_id: int
    last_id: int


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _parse(line: str) -> Ack:
    _, batch_id, sha, first, last = line.split()
    return Ack(int(batch_id), sha, int(first), int(last))


def _run_and_kill(url: str, seed: int) -> tuple[list[Ack], str]:
    """Start the worker, kill it with SIGKILL at a seeded moment; the acknowledgements read
    (also those still in the pipe when it died) and its stderr."""
    rng = random.Random(seed)
    kill_after_acks = rng.randint(1, 6)
    delay_s = rng.uniform(0.0, 0.08)
    process = subprocess.Popen(
        [sys.executable, str(WORKER), url, str(seed), str(BATCHES), str(ROWS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    lines: queue.Queue[str | None] = queue.Queue()
    threading.Thread(target=_pump, args=(process.stdout, lines), daemon=True).start()
    acks: list[Ack] = []
    try:
        timeout = STARTUP_TIMEOUT_S
        while len(acks) < kill_after_acks:
            try:
                line = lines.get(timeout=timeout)
            except queue.Empty:
                pytest.fail(f"seed {seed}: no line from the worker within {timeout} s")
            if line is None:
                pytest.fail(
                    f"seed {seed}: worker exited ({process.wait()}) before being killed; "
                    f"stderr:\n{process.stderr.read()}"
                )
            timeout = ACK_TIMEOUT_S
            if line.startswith("ACK "):
                acks.append(_parse(line))
        time.sleep(delay_s)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
    while (line := lines.get(timeout=ACK_TIMEOUT_S)) is not None:
        if line.startswith("ACK "):
            acks.append(_parse(line))
    assert process.returncode == -signal.SIGKILL, f"seed {seed}: exit {process.returncode}"
    return acks, process.stderr.read()


def _check_after_crash(url: str, seed: int, acks: list[Ack]) -> None:
    where = f"seed {seed}, {len(acks)} batch(es) acknowledged"
    registry = open_registry(url)
    try:
        with registry.session() as session:
            batches = {b.id: b for b in session.scalars(select(ImportBatchRow))}
            organisations = dict(
                session.execute(select(OrganisationRow.id, OrganisationRow.name_en)).all()
            )
            history = session.scalar(select(func.count()).select_from(RecordHistoryRow))
            identifiers = session.scalar(
                select(func.count()).select_from(OrganisationIdentifierRow)
            )
            imports = [
                row.changes
                for row in session.scalars(select(AuditLogRow).order_by(AuditLogRow.id))
                if row.action == "import"
            ]
            chain = audit.verify_chain(session)

        # every acknowledged batch is stored, whole, under the key and ids it acknowledged
        for number, ack in enumerate(acks):
            batch = batches.get(ack.batch_id)
            assert batch is not None, f"{where}: acknowledged batch {ack.batch_id} is missing"
            assert batch.content_sha256 == ack.sha256, where
            assert batch.content_sha256 == batch_key(
                "organisations", batch_file(seed, number, ROWS)
            )
            assert batch.created_ids == list(range(ack.first_id, ack.last_id + 1)), where
        # at most the one batch in flight committed without being acknowledged
        assert len(acks) <= len(batches) <= len(acks) + 1, f"{where}: {len(batches)} batches"
        # no partial batch and no record outside a batch: each batch has exactly its rows
        in_batches: set[int] = set()
        for batch in batches.values():
            number = int(batch.filename.removeprefix("batch-").removesuffix(".json"))
            assert batch.rows == len(batch.created_ids) == ROWS, f"{where}: batch {batch.id}"
            names = [organisations.get(i) for i in batch.created_ids]
            assert names == [f"Works {seed}-{number}-{i}" for i in range(ROWS)], (
                f"{where}: batch {batch.id} ({batch.filename}) is not whole"
            )
            in_batches.update(batch.created_ids)
        assert set(organisations) == in_batches, f"{where}: records outside any batch"
        assert history == identifiers == len(organisations) == ROWS * len(batches), where
        # one audit row per batch, naming it; the chain verifies
        assert sorted(int(c["batch_id"]) for c in imports) == sorted(batches), where
        assert chain == [], f"{where}: {chain}"
        assert registry.check_integrity() == [], where

        # the client retries the batch it had no acknowledgement for: it lands exactly once
        retry = import_batch(
            registry,
            SYSTEM,
            "organisations",
            batch_file(seed, len(acks), ROWS),
            "json",
            filename=f"batch-{len(acks)}.json",
        )
        assert retry.duplicate == (len(batches) == len(acks) + 1), where
        assert retry.rows == ROWS
        assert registry.check_integrity() == [], where
    finally:
        registry.close()


def _crash_iteration(url: str, seed: int) -> None:
    open_registry(url).close()  # migrate once, before the worker starts
    acks, stderr = _run_and_kill(url, seed)
    assert acks, f"seed {seed}: no acknowledgement; worker stderr:\n{stderr}"
    _check_after_crash(url, seed, acks)


@pytest.mark.parametrize("seed", DEFAULT_SEEDS, ids=lambda s: f"seed={s}")
def test_kill_9_during_bulk_import_keeps_acknowledged_batches_whole(
    registry_url: str, seed: int
) -> None:
    _crash_iteration(registry_url, seed)


@pytest.mark.slow
@pytest.mark.parametrize("seed", SLOW_SEEDS, ids=lambda s: f"seed={s}")
def test_kill_9_during_bulk_import_many_times(registry_url: str, seed: int) -> None:
    _crash_iteration(registry_url, seed)
