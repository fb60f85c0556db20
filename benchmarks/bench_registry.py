"""Registry benchmark (issue 6): bulk import, record reads and full-text search at scale.

The issue's targets, on SQLite and on PostgreSQL, with 1,000,000 generated organisations:
a record read p99 at most 20 ms, a search p95 at most 150 ms, a bulk import of at least
20,000 rows/s. Each target is measured against its reference in the same run:

- import: :func:`karavan.registry.bulk.import_batch` over JSON files of ``--batch`` rows
  (organisations, then one product per organisation), against the per-row path
  (:meth:`Registry.create`, one ORM object and one transaction per record) on ``--per-row``
  records;
- read: :meth:`Registry.get` as an anonymous caller on ``--reads`` random published ids;
- search: :meth:`Registry.list` with ``q`` and ``limit=20`` on ``--queries`` queries of
  :func:`registry_data.search_queries`, against the naive plan the full-text index replaces
  (``search_text LIKE '%term%'`` for every term: the same count and first page, in SQL) on the
  first ``--naive-queries`` of them; also ``list`` with ``country`` and ``kind`` filters.

The database is a fresh SQLite file in a temporary directory (``--keep PATH`` keeps it, for
``bench_load.py``) or the PostgreSQL database at ``--postgres-url`` (default: the
``KARAVAN_TEST_POSTGRES_URL`` that ``scripts/postgres.sh run`` sets). ``--existing PATH``
measures reads and searches on a SQLite file an earlier run kept, without importing again
(``--existing-log`` takes that run's import figures from its stderr). Results are printed as
a markdown table and written to ``benchmarks/results/registry-<backend>-<time>.json``.

    .venv/bin/python benchmarks/bench_registry.py --quick                  # 20,000, < 1 min
    .venv/bin/python benchmarks/bench_registry.py --keep /tmp/reg.sqlite3  # 1,000,000
    bash scripts/postgres.sh run -- .venv/bin/python benchmarks/bench_registry.py \\
        --backend postgresql
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import math
import os
import platform
import pstats
import random
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

import registry_data
from karavan.registry import ANONYMOUS, SYSTEM, OrganisationCreate, Registry, open_registry
from karavan.registry.bulk import import_batch
from karavan.registry.entities import spec_for
from karavan.registry.filters import list_filters
from karavan.registry.search import query_terms
from karavan.registry.service import MAX_COUNT

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"read_p99_ms": 20.0, "search_p95_ms": 150.0, "import_rows_per_s": 20_000.0}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile ``q`` (0..100) of ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, float]:
    """p50 / p95 / p99 / max / mean of ``seconds``, in milliseconds."""
    ms = [s * 1000 for s in seconds]
    return {
        "n": len(ms),
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "max": max(ms),
        "mean": sum(ms) / len(ms),
    }


def load() -> dict[str, object]:
    """The machine's load now: load averages and ``uptime``'s line."""
    one, five, fifteen = os.getloadavg()
    return {"at": datetime.now(UTC).isoformat(timespec="seconds"), "load": [one, five, fifteen]}


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


# --- import ------------------------------------------------------------------------------------


def import_all(
    registry: Registry, count: int, batch: int, seed: int, profile: bool
) -> dict[str, Any]:
    """Import ``count`` organisations and one product each, in files of ``batch`` rows."""
    org_seconds = 0.0
    product_seconds = 0.0
    org_bytes = 0
    ids: list[int] = []
    industries: list[int] = []
    countries: list[str] = []
    batches: list[dict[str, float]] = []
    for start in range(0, count, batch):
        rows, which = registry_data.organisations(seed, start, min(batch, count - start))
        data = registry_data.json_batch(rows)
        org_bytes += len(data)
        cpu = time.process_time()
        seconds, batch_result = timed(
            partial(
                import_batch,
                registry,
                SYSTEM,
                "organisations",
                data,
                "json",
                filename=f"organisations-{start}.json",
                publish=True,
            )
        )
        batches.append(
            {"rows": start + len(rows), "s": seconds, "cpu_s": time.process_time() - cpu}
        )
        org_seconds += seconds
        ids.extend(batch_result.created_ids)
        industries.extend(which)
        countries.extend(str(row["country"]) for row in rows)
        print(
            f"  organisations {start + len(rows):>9,}: {len(rows) / seconds:8,.0f} rows/s "
            f"({len(rows) / batches[-1]['cpu_s']:,.0f} per CPU s)",
            file=sys.stderr,
        )
    org_cpu = sum(b["cpu_s"] for b in batches)
    product_cpu = 0.0
    for start in range(0, count, batch):
        end = min(count, start + batch)
        rows = registry_data.products(
            seed, start, ids[start:end], industries[start:end], countries[start:end]
        )
        data = registry_data.json_batch(rows)
        cpu = time.process_time()
        seconds, _ = timed(
            partial(
                import_batch,
                registry,
                SYSTEM,
                "products",
                data,
                "json",
                filename=f"products-{start}.json",
                publish=True,
            )
        )
        product_seconds += seconds
        product_cpu += time.process_time() - cpu
        print(
            f"  products      {end:>9,}: {len(rows) / seconds:8,.0f} rows/s",
            file=sys.stderr,
        )
    result: dict[str, Any] = {
        "organisations": count,
        "products": count,
        "batch_rows": batch,
        "organisation_seconds": org_seconds,
        "product_seconds": product_seconds,
        "organisations_per_s": count / org_seconds,
        "products_per_s": count / product_seconds,
        "all_rows_per_s": 2 * count / (org_seconds + product_seconds),
        "organisation_cpu_seconds": org_cpu,
        "product_cpu_seconds": product_cpu,
        "organisation_json_mb": org_bytes / 1e6,
        "ids": (ids[0], ids[-1]),
        "organisation_batches": batches,
    }
    if profile:
        # One more batch, not counted above, under cProfile: where the time goes at full size.
        rows, _ = registry_data.organisations(seed, count, batch)
        data = registry_data.json_batch(rows)
        profiler = cProfile.Profile()
        profiler.enable()
        import_batch(registry, SYSTEM, "organisations", data, "json", filename="profiled.json")
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(30)
        result["profile_first_batch"] = out.getvalue()
    return result


def existing_import(registry: Registry, log: Path | None) -> dict[str, Any]:
    """For ``--existing``: the published id range of a database an earlier run imported, and
    that run's import figures, summed from its progress lines on stderr (``--existing-log``):
    each line gives one batch's rows/s, so its seconds are rows / rate."""
    with registry.engine.connect() as connection:
        first, last, count = connection.execute(
            text("SELECT min(id), max(id), count(*) FROM organisations WHERE status='published'")
        ).one()
    result: dict[str, Any] = {"ids": (int(first), int(last)), "organisations": int(count)}
    if log is None:
        return result
    seconds = {"organisations": 0.0, "products": 0.0}
    done = {"organisations": 0, "products": 0}
    for line in log.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0] in seconds and parts[2].replace(",", "").isdigit():
            rows = int(parts[1].rstrip(":").replace(",", "")) - done[parts[0]]
            done[parts[0]] += rows
            seconds[parts[0]] += rows / float(parts[2].replace(",", ""))
    result.update(
        products=done["products"],
        batch_rows=None,
        organisation_seconds=seconds["organisations"],
        product_seconds=seconds["products"],
        organisations_per_s=done["organisations"] / seconds["organisations"],
        products_per_s=done["products"] / seconds["products"],
        all_rows_per_s=(done["organisations"] + done["products"]) / sum(seconds.values()),
        organisation_cpu_seconds=float("nan"),
        from_log=str(log),
    )
    return result


def per_row(registry: Registry, count: int, seed: int, first_index: int) -> dict[str, float]:
    """The per-row path: one ``Registry.create`` (ORM object, history, audit, commit) per row.

    ``first_index`` is the generator's row number to start from: past every row imported so
    far, so that the identifiers (unique by row number) are free.
    """
    rows, _ = registry_data.organisations(seed + 1, first_index, count)
    models = [OrganisationCreate.model_validate(row) for row in rows]
    start = time.perf_counter()
    for model in models:
        registry.create(SYSTEM, "organisations", model)
    seconds = time.perf_counter() - start
    return {"rows": count, "seconds": seconds, "rows_per_s": count / seconds}


# --- reads and searches ------------------------------------------------------------------------


def reads(registry: Registry, first: int, last: int, count: int, seed: int) -> dict[str, float]:
    rng = random.Random(f"reads:{seed}")
    ids = [rng.randint(first, last) for _ in range(count)]
    for record_id in ids[:50]:  # warm-up: connection pool, statement caches
        registry.get(ANONYMOUS, "organisations", record_id)
    seconds = []
    for record_id in ids:
        elapsed, _ = timed(partial(registry.get, ANONYMOUS, "organisations", record_id))
        seconds.append(elapsed)
    return summary_ms(seconds)


def searches(registry: Registry, queries: list[str]) -> dict[str, Any]:
    registry.list(ANONYMOUS, "organisations", q=queries[0], limit=20)  # warm-up
    seconds: list[float] = []
    totals: list[int] = []
    capped = 0
    for q in queries:
        elapsed, page = timed(partial(registry.list, ANONYMOUS, "organisations", q=q, limit=20))
        seconds.append(elapsed)
        totals.append(page.total)
        capped += not page.total_exact
    result: dict[str, Any] = summary_ms(seconds)
    result["count_capped"] = capped  # queries whose total stopped at MAX_COUNT + 1
    result["matches_median"] = sorted(totals)[len(totals) // 2]
    result["matches_max"] = max(totals)
    result["no_match"] = sum(1 for t in totals if t == 0)
    slowest = sorted(zip(seconds, queries, totals, strict=True), reverse=True)[:5]
    result["slowest"] = [{"q": q, "ms": s * 1000, "total": t} for s, q, t in slowest]
    return result


def naive_searches(registry: Registry, queries: list[str]) -> dict[str, Any]:
    """The reference: the same count and first page with ``LIKE '%term%'`` per term."""
    seconds: list[float] = []
    with registry.engine.connect() as connection:
        for q in queries:
            terms = query_terms(q)
            where = " AND ".join(f"search_text LIKE :t{i}" for i in range(len(terms)))
            params = {f"t{i}": f"%{term}%" for i, term in enumerate(terms)}
            clause = f"status = 'published' AND {where}" if terms else "status = 'published'"
            start = time.perf_counter()
            connection.execute(text(f"SELECT count(*) FROM organisations WHERE {clause}"), params)
            connection.execute(
                text(f"SELECT * FROM organisations WHERE {clause} ORDER BY id LIMIT 20"), params
            ).all()
            seconds.append(time.perf_counter() - start)
    return summary_ms(seconds)


def filtered_lists(registry: Registry, count: int, seed: int) -> dict[str, float]:
    rng = random.Random(f"filters:{seed}")
    kinds = ("enterprise", "agricultural_producer", "science_centre")
    countries = ("RUS", "KAZ", "BLR", "ARM", "KGZ", "CHN")
    seconds = []
    for _ in range(count):
        country, kind = rng.choice(countries), rng.choice(kinds)
        offset = rng.choice((0, 0, 0, 20, 100))
        elapsed, _ = timed(
            partial(
                registry.list,
                ANONYMOUS,
                "organisations",
                country=country,
                kind=kind,
                limit=20,
                offset=offset,
            )
        )
        seconds.append(elapsed)
    return summary_ms(seconds)


def query_plan(registry: Registry, q: str) -> list[str]:
    """The backend's plan of the service's search query for ``q`` (first page and count)."""
    spec = spec_for("organisations")
    dialect = registry.engine.dialect.name
    where = list_filters(
        ANONYMOUS,
        spec,
        dialect,
        kind=None,
        country=None,
        code_prefix=None,
        q=q,
        status=None,
        organisation_id=None,
    )
    query = select(spec.row).where(*where)
    lines: list[str] = []
    with registry.engine.connect() as connection:
        for label, statement in (
            (
                "count",
                select(func.count()).select_from(
                    select(spec.row.id).where(*where).limit(MAX_COUNT + 1).subquery()
                ),
            ),
            ("page", query.order_by(spec.row.id).limit(20)),
        ):
            compiled = statement.compile(
                dialect=registry.engine.dialect, compile_kwargs={"literal_binds": True}
            )
            sql = str(compiled)
            prefix = "EXPLAIN QUERY PLAN " if dialect == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
            lines.append(f"-- {label}: {' '.join(sql.split())}")
            for row in connection.exec_driver_sql((prefix + sql).replace("%", "%%")):
                lines.append("   " + " | ".join(str(v) for v in row))
    return lines


# --- driver ------------------------------------------------------------------------------------


def _fresh_postgres(url: str) -> None:
    """Refuse a PostgreSQL database that already holds registry records (the run adds rows)."""
    from sqlalchemy import create_engine, inspect

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        if "organisations" in inspect(engine).get_table_names():
            with engine.connect() as connection:
                n = connection.execute(text("SELECT count(*) FROM organisations")).scalar_one()
            if n:
                raise SystemExit(
                    f"bench_registry: {url} already holds {n} organisations; expected an empty "
                    "database (use scripts/postgres.sh run for a fresh one)"
                )
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> dict[str, Any]:
    registry_data.check_identifiers()
    tmp: tempfile.TemporaryDirectory[str] | None = None
    if args.backend == "sqlite" and args.existing:
        path = Path(args.existing)
        url = f"sqlite:///{path}"
    elif args.backend == "sqlite":
        if args.keep:
            path = Path(args.keep)
            if path.exists():
                raise SystemExit(f"bench_registry: --keep {path} exists; expected a new file")
        else:
            tmp = tempfile.TemporaryDirectory(prefix="karavan-registry-bench-")
            path = Path(tmp.name) / "registry.sqlite3"
        url = f"sqlite:///{path}"
    else:
        url = args.postgres_url or os.environ.get("KARAVAN_TEST_POSTGRES_URL", "")
        if not url:
            raise SystemExit(
                "bench_registry: --backend postgresql needs --postgres-url or "
                "KARAVAN_TEST_POSTGRES_URL (run it under scripts/postgres.sh run --)"
            )
        _fresh_postgres(url)
    registry = open_registry(url)
    report: dict[str, Any] = {
        "backend": args.backend,
        "organisations": args.organisations,
        "seed": args.seed,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_before": load(),
    }
    if args.existing:
        report["import"] = existing_import(registry, args.existing_log)
    else:
        print(f"import of {args.organisations:,} organisations on {args.backend}", file=sys.stderr)
        report["import"] = import_all(
            registry, args.organisations, args.batch, args.seed, args.profile_import
        )
    report["load_after_import"] = load()
    if args.backend == "postgresql":
        with registry.engine.connect() as connection:
            connection.execute(text("ANALYZE"))
            connection.commit()
    first, last = report["import"]["ids"]
    print("per-row creates", file=sys.stderr)
    report["per_row"] = per_row(
        registry, args.per_row, args.seed, args.organisations + 2 * args.batch
    )
    print("reads", file=sys.stderr)
    report["read"] = reads(registry, first, last, args.reads, args.seed)
    queries = registry_data.search_queries(args.seed, args.queries)
    print("searches", file=sys.stderr)
    report["search"] = searches(registry, queries)
    print("naive searches", file=sys.stderr)
    report["naive_search"] = naive_searches(registry, queries[: args.naive_queries])
    report["naive_search"]["queries"] = queries[: args.naive_queries]
    report["filtered_list"] = filtered_lists(registry, 100, args.seed)
    report["plan_slowest_query"] = query_plan(registry, report["search"]["slowest"][0]["q"])
    report["load_after"] = load()
    if args.backend == "sqlite":
        report["database_mb"] = path.stat().st_size / 1e6
    registry.close()
    if tmp is not None:
        tmp.cleanup()
    return report


def markdown(report: dict[str, Any]) -> str:
    imp, read, search = report["import"], report["read"], report["search"]
    naive, flt, per = report["naive_search"], report["filtered_list"], report["per_row"]
    lines = [
        f"{report['backend']}, {report['organisations']:,} organisations + as many products; "
        f"load {report['load_before']['load'][0]:.2f} before, "
        f"{report['load_after']['load'][0]:.2f} after ({report['load_after']['at']})",
        "",
        "| measure | figure | reference / target | met |",
        "|---|---:|---|---|",
        f"| bulk import, organisations | {imp['organisations_per_s']:,.0f} rows/s | "
        f"per-row `create`: {per['rows_per_s']:,.0f} rows/s; target 20,000 | "
        f"{'yes' if imp['organisations_per_s'] >= 20_000 else 'no'} |",
        f"| bulk import, organisations, per CPU second of the importing process | "
        f"{imp['organisations'] / imp['organisation_cpu_seconds']:,.0f} rows/s | "
        f"(busy machine: CPU time, not wall time) | |",
        f"| bulk import, products | {imp['products_per_s']:,.0f} rows/s | target 20,000 | "
        f"{'yes' if imp['products_per_s'] >= 20_000 else 'no'} |",
        f"| bulk import, all {2 * imp['organisations']:,} rows | {imp['all_rows_per_s']:,.0f} "
        f"rows/s ({imp['organisation_seconds'] + imp['product_seconds']:.0f} s) | target 20,000 | "
        f"{'yes' if imp['all_rows_per_s'] >= 20_000 else 'no'} |",
        f"| record read (`get`) p50 / p95 / p99 | {read['p50']:.2f} / {read['p95']:.2f} / "
        f"**{read['p99']:.2f}** ms | p99 <= 20 ms | {'yes' if read['p99'] <= 20 else 'no'} |",
        f"| search (`list q=`, limit 20) p50 / p95 / p99 | {search['p50']:.1f} / "
        f"**{search['p95']:.1f}** / {search['p99']:.1f} ms | p95 <= 150 ms; naive LIKE: "
        f"{naive['p50']:.0f} / {naive['p95']:.0f} ms | {'yes' if search['p95'] <= 150 else 'no'} |",
        f"| list with country + kind, p50 / p95 | {flt['p50']:.1f} / {flt['p95']:.1f} ms | | |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--organisations", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=50_000)
    parser.add_argument("--quick", action="store_true", help="20,000 organisations, 10k batches")
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--naive-queries", type=int, default=20)
    parser.add_argument("--per-row", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--keep", default=None, help="SQLite: keep the database at this path")
    parser.add_argument(
        "--profile-import", action="store_true", help="cProfile one more batch (not counted)"
    )
    parser.add_argument(
        "--existing", default=None, help="SQLite: measure a database built by an earlier run"
    )
    parser.add_argument(
        "--existing-log", type=Path, default=None, help="that run's stderr (import figures)"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        args.organisations, args.batch = 20_000, 10_000
        args.per_row = min(args.per_row, 200)
    report = run(args)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.out or RESULTS / f"registry-{args.backend}-{stamp}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(markdown(report))
    print(f"\nslowest searches: {report['search']['slowest']}")
    print("plan of the slowest search:\n" + "\n".join(report["plan_slowest_query"]))
    if "profile_first_batch" in report["import"]:
        print(report["import"]["profile_first_batch"])
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
