"""Loopback load test of the registry's HTTP API (issue 6): sustained requests per second and
latency percentiles on 2 cores.

The API (``karavan.web.app:create_app``, uvicorn's factory, one worker, no access log) serves a
pre-built database: a SQLite file from ``bench_registry.py --keep PATH`` (``--database PATH``),
any database URL (``--database-url``; under ``scripts/postgres.sh run`` the default is
``KARAVAN_TEST_POSTGRES_URL``), or, given neither, a fresh SQLite file of ``--organisations``
generated organisations built here. `wrk <https://github.com/wg/wrk>`_ (Debian package ``wrk``)
drives it as an anonymous client over keep-alive connections, one thread, ``--connections``
at once, each request taken in turn from a fixed list:

- ``read``: ``GET /api/v1/organisations/{id}`` for random published ids;
- ``search``: ``GET /api/v1/organisations?q=...&limit=20`` with the queries of
  ``registry_data.search_queries``;
- ``filter``: ``GET /api/v1/organisations?country=...&kind=...&limit=20[&offset=...]``;
- ``mixed``: 60 % read, 25 % search, 15 % filter, interleaved.

The server is pinned to CPU 0 and wrk to CPU 1 (``taskset``) when the machine has them, so the
test uses 2 cores. Each scenario runs ``--duration`` seconds after a 5-second warm-up; wrk's own
histogram gives the percentiles (p50, p95, p99) and ``done()`` prints them as JSON.

    .venv/bin/python benchmarks/bench_load.py --database /tmp/reg.sqlite3
    .venv/bin/python benchmarks/bench_load.py --organisations 20000 --duration 10   # quick
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import bench_registry
import registry_data
from karavan.registry import open_registry

API = "/api/v1"
_LUA = r"""
local paths = {}
for line in io.lines(os.getenv("KARAVAN_LOAD_PATHS")) do paths[#paths + 1] = line end
local i = 0
function init(args)
  i = math.random(#paths) - 1
end
function request()
  i = (i % #paths) + 1
  return wrk.format("GET", paths[i], {["Accept"] = "application/json"})
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'JSON:{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def published_ids(url: str) -> tuple[int, int]:
    """Smallest and largest id of the published organisations (the bulk-imported ones)."""
    from sqlalchemy import text

    registry = open_registry(url, upgrade=False)
    try:
        with registry.engine.connect() as connection:
            low, high = connection.execute(
                text("SELECT min(id), max(id) FROM organisations WHERE status = 'published'")
            ).one()
    finally:
        registry.close()
    if low is None:
        raise SystemExit(f"bench_load: {url} has no published organisations; build one first")
    return int(low), int(high)


def request_paths(first: int, last: int, seed: int, count: int = 4000) -> dict[str, list[str]]:
    """The request lists of the four scenarios (paths with their query strings)."""
    rng = random.Random(f"load:{seed}")
    reads = [f"{API}/organisations/{rng.randint(first, last)}" for _ in range(count)]
    searches = [
        f"{API}/organisations?" + urllib.parse.urlencode({"q": q, "limit": 20})
        for q in registry_data.search_queries(seed, count)
    ]
    filters = []
    for _ in range(count):
        params: dict[str, object] = {
            "country": rng.choice(("RUS", "KAZ", "BLR", "ARM", "KGZ", "CHN")),
            "kind": rng.choice(("enterprise", "agricultural_producer", "science_centre")),
            "limit": 20,
        }
        offset = rng.choice((0, 0, 0, 20, 100))
        if offset:
            params["offset"] = offset
        filters.append(f"{API}/organisations?" + urllib.parse.urlencode(params))
    mixed = []
    for n in range(count):
        x = rng.random()
        mixed.append(reads[n] if x < 0.60 else searches[n] if x < 0.85 else filters[n])
    return {"mixed": mixed, "read": reads, "search": searches, "filter": filters}


def pinned(cpu: int, command: list[str]) -> list[str]:
    """``command`` run on CPU ``cpu`` alone, when taskset exists and the CPU is ours."""
    if shutil.which("taskset") and cpu in os.sched_getaffinity(0):
        return ["taskset", "-c", str(cpu), *command]
    return command


def start_server(url: str, port: int, cpu: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "KARAVAN_DATABASE_URL": url}
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "karavan.web.app:create_app",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(
        pinned(cpu, command), env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(
                f"bench_load: the server exited with status {server.returncode}; its log:\n"
                + log.read_text(errors="replace")
            )
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{API}/health", timeout=5) as r:
                if r.status == 200:
                    return server
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    server.terminate()
    raise SystemExit(f"bench_load: the server did not answer {API}/health within 120 s")


def check_paths(port: int, paths: dict[str, list[str]]) -> None:
    """Every scenario's first request answers 200 (a 404 or 422 would be measured silently)."""
    for name, listed in paths.items():
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{listed[0]}", timeout=30) as r:
            if r.status != 200:
                raise SystemExit(
                    f"bench_load: {name} {listed[0]} answered {r.status}; expected 200"
                )


def run_wrk(
    port: int, paths: list[str], workdir: Path, duration: int, connections: int, cpu: int
) -> dict[str, Any]:
    listing = workdir / "paths.txt"
    listing.write_text("\n".join(paths) + "\n", encoding="utf-8")
    script = workdir / "load.lua"
    script.write_text(_LUA, encoding="utf-8")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}",
    ]
    done = subprocess.run(
        pinned(cpu, command),
        env={**os.environ, "KARAVAN_LOAD_PATHS": str(listing)},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("JSON:")), None)
    if line is None:
        raise SystemExit(f"bench_load: wrk printed no summary; its output:\n{done.stdout}")
    stats: dict[str, Any] = json.loads(line.removeprefix("JSON:"))
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    return stats


def build_database(count: int, seed: int, directory: Path) -> str:
    path = directory / "registry.sqlite3"
    url = f"sqlite:///{path}"
    registry = open_registry(url)
    try:
        bench_registry.import_all(registry, count, min(count, 50_000), seed, profile=False)
    finally:
        registry.close()
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", type=Path, help="a SQLite file built by bench_registry")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--organisations", type=int, default=20_000, help="when building one")
    parser.add_argument("--duration", type=int, default=30, help="seconds per scenario")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--scenarios", default="mixed,read,search,filter")
    parser.add_argument("--server-cpu", type=int, default=0)
    parser.add_argument("--client-cpu", type=int, default=1)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit("bench_load: wrk is not installed (Debian: apt-get install wrk)")
    with tempfile.TemporaryDirectory(prefix="karavan-load-") as tmp:
        workdir = Path(tmp)
        if args.database is not None:
            if not args.database.is_file():
                raise SystemExit(f"bench_load: --database {args.database} is not a file")
            url = f"sqlite:///{args.database.resolve()}"
        elif args.database_url or os.environ.get("KARAVAN_TEST_POSTGRES_URL"):
            url = args.database_url or os.environ["KARAVAN_TEST_POSTGRES_URL"]
        else:
            print(f"building {args.organisations:,} organisations", file=sys.stderr)
            url = build_database(args.organisations, args.seed, workdir)
        first, last = published_ids(url)
        paths = request_paths(first, last, args.seed)
        port = free_port()
        report: dict[str, Any] = {
            "database": url.split("@")[-1],
            "organisations": last - first + 1,
            "connections": args.connections,
            "duration_s": args.duration,
            "load_before": bench_registry.load(),
            "scenarios": {},
        }
        server = start_server(url, port, args.server_cpu, workdir / "server.log")
        try:
            check_paths(port, paths)
            run_wrk(port, paths["mixed"], workdir, 5, args.connections, args.client_cpu)
            for name in args.scenarios.split(","):
                print(f"scenario {name}", file=sys.stderr)
                report["scenarios"][name] = run_wrk(
                    port, paths[name], workdir, args.duration, args.connections, args.client_cpu
                )
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
        report["load_after"] = bench_registry.load()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or bench_registry.RESULTS / f"registry-load-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(
        f"{report['database']}, {report['organisations']:,} organisations; 1 uvicorn worker "
        f"(CPU {args.server_cpu}), wrk 1 thread {args.connections} connections (CPU "
        f"{args.client_cpu}), {args.duration} s per scenario; load "
        f"{report['load_before']['load'][0]:.2f} before, {report['load_after']['load'][0]:.2f} "
        f"after ({report['load_after']['at']})\n"
    )
    print("| scenario | req/s | p50 ms | p95 ms | p99 ms | max ms | non-2xx | errors |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, s in report["scenarios"].items():
        errors = s["connect"] + s["read"] + s["write"] + s["timeout"]
        print(
            f"| {name} | {s['rps']:,.0f} | {s['p50_us'] / 1000:.1f} | {s['p95_us'] / 1000:.1f} | "
            f"{s['p99_us'] / 1000:.1f} | {s['max_us'] / 1000:.0f} | {s['status']} | {errors} |"
        )
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
