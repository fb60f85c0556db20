"""Subprocess of the crash test (``test_crash.py``): import batches of organisations in a loop.

Usage: ``python crash_worker.py <registry url> <seed> <batches> <rows per batch>``.

After each batch commits, prints ``ACK <batch_id> <sha256> <first id> <last id>`` and flushes,
so that the parent knows which batches were acknowledged when it kills this process with
SIGKILL. The batches' contents depend on the seed only (reproducible), and differ from one
batch to the next (distinct batch keys). Exits 0 after the last batch (when never killed).
"""

from __future__ import annotations

import json
import random
import sys

from karavan.registry import SYSTEM, open_registry
from karavan.registry.bulk import import_batch

KINDS = ("enterprise", "agricultural_producer", "science_centre", "agency")
COUNTRIES = ("RUS", "KAZ", "BLR", "ARM", "KGZ")


def batch_file(seed: int, number: int, rows: int) -> bytes:
    """The JSON file of batch ``number``: ``rows`` organisations with unique identifiers."""
    rng = random.Random(f"{seed}/{number}")
    records = [
        {
            "kind": rng.choice(KINDS),
            "name_en": f"Works {seed}-{number}-{i}",
            "name_ru": f"Завод {seed}-{number}-{i}",
            "country": rng.choice(COUNTRIES),
            "description": "x" * rng.randrange(1, 400),
            "identifiers": [{"scheme": "OTHER", "value": f"C{seed}-{number}-{i}"}],
        }
        for i in range(rows)
    ]
    return json.dumps(records, ensure_ascii=False).encode("utf-8")


def main(argv: list[str]) -> int:
    url, seed, batches, rows = argv[0], int(argv[1]), int(argv[2]), int(argv[3])
    registry = open_registry(url, upgrade=False)
    print("READY", flush=True)
    for number in range(batches):
        result = import_batch(
            registry,
            SYSTEM,
            "organisations",
            batch_file(seed, number, rows),
            "json",
            filename=f"batch-{number}.json",
        )
        ids = result.created_ids
        print(f"ACK {result.batch_id} {result.content_sha256} {ids[0]} {ids[-1]}", flush=True)
    registry.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
