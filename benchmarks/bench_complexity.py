"""Benchmark: the full economic-complexity metric set, karavan against the Growth Lab's
``ecomplexity``, on the same generated data in the same run.

    .venv/bin/python benchmarks/bench_complexity.py                    # 200 x 5000, both
    .venv/bin/python benchmarks/bench_complexity.py --no-ecomplexity   # karavan only
    .venv/bin/python benchmarks/bench_complexity.py --countries 100 --products 1000 --repeat 5

Data: one year of exports, ``--countries`` x ``--products`` (default 200 x 5000, the shape of
BACI at HS 6 digits), drawn from ``--seed``: country sizes and product popularity are
log-normal, a country exports a product with a probability that rises with both (large
economies export most products, small ones few), and values are log-normal around size x
popularity. The generator reports the share of non-zero cells and of ``Mcp = 1``.

Contenders, each in its own fresh Python process (``--worker``), timed with
``time.perf_counter`` after the data are built:

- karavan: ``complexity(table)``: RCA, Mcp, diversity, ubiquity, ECI, PCI, proximity (P x P),
  density, distance, COI, COG; best of ``--repeat`` runs, the first (cold) run reported too;
  also the same from the long frame (``TradeTable.from_frame`` + ``complexity``) and with
  Fitness-Complexity.
- ecomplexity: ``ecomplexity(frame, cols, check_logsupermodularity=False)`` on the long
  frame (one run; its log-supermodularity check is off, since karavan does not compute it).

Agreement: the largest absolute difference of every metric both report. Peak memory: the
worker's resident high-water mark (``ru_maxrss``). Results are printed as markdown and written
to ``benchmarks/results/complexity-<time>.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from measure import cpu_model

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
METRICS = ("rca", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")


def generate(n_countries: int, n_products: int, seed: int) -> pd.DataFrame:
    """One year of exports as a long frame (exporter, product, value; non-zero cells only)."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0.0, 1.6, n_countries)
    popularity = rng.lognormal(0.0, 1.0, n_products)
    logit = -1.2 + 1.1 * np.log(size)[:, None] + 0.8 * np.log(popularity)[None, :]
    present = rng.random((n_countries, n_products)) < 1.0 / (1.0 + np.exp(-logit))
    values = rng.lognormal(2.0, 2.0, present.shape) * size[:, None] * popularity[None, :]
    X = np.where(present, np.round(values, 3) + 0.001, 0.0)
    c, p = np.nonzero(X)
    return pd.DataFrame(
        {
            "exporter": np.array([f"C{i:03d}" for i in range(n_countries)], dtype=object)[c],
            "product": np.array([f"{j:06d}" for j in range(n_products)], dtype=object)[p],
            "value": X[c, p],
        }
    )


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def work_karavan(frame: pd.DataFrame, repeat: int, out: Path) -> dict[str, Any]:
    from karavan.trade.complexity import complexity
    from karavan.trade.table import TradeTable
    from karavan.trade.views import product_space

    t0 = time.perf_counter()
    table = TradeTable.from_frame(frame, year=2021)
    build = time.perf_counter() - t0
    base_mb = _peak_mb()
    times = []
    t0 = time.perf_counter()
    result = complexity(table)
    times.append(time.perf_counter() - t0)
    single_mb = _peak_mb() - base_mb
    for _ in range(repeat - 1):
        del result
        t0 = time.perf_counter()
        result = complexity(table)
        times.append(time.perf_counter() - t0)
    np.savez(
        out,
        exporters=np.array(result.exporters),
        products=np.array(result.products),
        **{m: np.asarray(getattr(result, m)) for m in METRICS},
    )
    t0 = time.perf_counter()
    graph = product_space(result)
    graph_s = time.perf_counter() - t0
    mcp_share, eigenvalue, n_edges = float(result.mcp.mean()), result.eigenvalue, len(graph.edges)
    del result, graph
    t0 = time.perf_counter()
    complexity(TradeTable.from_frame(frame, year=2021))
    from_frame = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit = complexity(table, fitness=True)
    with_fitness = time.perf_counter() - t0
    assert fit.fitness is not None
    return {
        "build_table_s": build,
        "cold_s": times[0],
        "best_s": min(times),
        "runs_s": times,
        "from_long_frame_s": from_frame,
        "with_fitness_s": with_fitness,
        "product_space_s": graph_s,
        "product_space_edges": n_edges,
        "mcp_share": mcp_share,
        "eigenvalue": eigenvalue,
        "peak_mb": _peak_mb(),
        "baseline_mb": base_mb,
        "one_call_above_baseline_mb": single_mb,
    }


def work_ecomplexity(frame: pd.DataFrame, out: Path) -> dict[str, Any]:
    from ecomplexity import ecomplexity

    data = frame.assign(year=2021)
    cols = {"time": "year", "loc": "exporter", "prod": "product", "val": "value"}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = ecomplexity(data, cols, verbose=False, check_logsupermodularity=False)
    elapsed = time.perf_counter() - t0
    res[["exporter", "product", *METRICS]].to_parquet(out, index=False)
    return {"best_s": elapsed, "runs_s": [elapsed], "peak_mb": _peak_mb()}


def worker(args: argparse.Namespace) -> None:
    frame = generate(args.countries, args.products, args.seed)
    out = Path(args.out)
    if args.worker == "karavan":
        info = work_karavan(frame, args.repeat, out)
    else:
        info = work_ecomplexity(frame, out)
    print(json.dumps(info))


def run_worker(kind: str, args: argparse.Namespace, out: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        kind,
        "--out",
        str(out),
        "--countries",
        str(args.countries),
        "--products",
        str(args.products),
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=args.timeout)
    if done.returncode != 0:
        raise SystemExit(f"{kind} worker failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def agreement(karavan_npz: Path, reference: Path) -> dict[str, float]:
    mine = np.load(karavan_npz, allow_pickle=False)
    exporters, products = [str(e) for e in mine["exporters"]], [str(p) for p in mine["products"]]
    ref = pd.read_parquet(reference).set_index(["exporter", "product"])
    idx = pd.MultiIndex.from_product([exporters, products], names=["exporter", "product"])
    ref = ref.reindex(idx)
    nc, npr = len(exporters), len(products)
    worst = {}
    for m in METRICS:
        ours = mine[m]
        if ours.ndim == 1:
            ours = np.repeat(ours, npr) if ours.size == nc else np.tile(ours, nc)
        diff = np.abs(ours.ravel() - ref[m].to_numpy(dtype=np.float64))
        worst[m] = float(np.nanmax(diff))
    return worst


def machine() -> dict[str, Any]:
    cpu = cpu_model()
    versions = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "pandas", "ecomplexity", "karavan"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    return {
        "cpu": cpu,
        "usable_cpus": len(os.sched_getaffinity(0)),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "load_average": os.getloadavg(),
        "versions": versions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--countries", type=int, default=200)
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--no-ecomplexity", action="store_true")
    parser.add_argument("--worker", choices=("karavan", "ecomplexity"))
    parser.add_argument("--out")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    frame = generate(args.countries, args.products, args.seed)
    nonzero = len(frame) / (args.countries * args.products)
    print(f"data: {args.countries} x {args.products}, {nonzero:.1%} of cells non-zero")
    with tempfile.TemporaryDirectory() as tmp:
        ours = run_worker("karavan", args, Path(tmp) / "karavan.npz")
        print(f"karavan: best {ours['best_s']:.3f} s, cold {ours['cold_s']:.3f} s")
        theirs = None
        worst = None
        if not args.no_ecomplexity:
            theirs = run_worker("ecomplexity", args, Path(tmp) / "ecomplexity.parquet")
            print(f"ecomplexity: {theirs['best_s']:.1f} s")
            worst = agreement(Path(tmp) / "karavan.npz", Path(tmp) / "ecomplexity.parquet")
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "shape": [args.countries, args.products],
        "seed": args.seed,
        "nonzero_share": nonzero,
        "machine": machine(),
        "karavan": ours,
        "ecomplexity": theirs,
        "max_abs_diff": worst,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (RESULTS / f"complexity-{stamp}.json").write_text(json.dumps(record, indent=2))
    print()
    print(
        "| shape | non-zero | Mcp = 1 | karavan best (s) | karavan cold (s) | from long frame (s) "
        "| + fitness (s) | ecomplexity (s) | ecomplexity / karavan | karavan: one call above "
        "baseline / process peak (MB) | ecomplexity process peak (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    ratio = f"{theirs['best_s'] / ours['best_s']:.0f}x" if theirs else "-"
    print(
        f"| {args.countries} x {args.products} | {nonzero:.1%} | {ours['mcp_share']:.1%} "
        f"| {ours['best_s']:.3f} | {ours['cold_s']:.3f} | {ours['from_long_frame_s']:.3f} "
        f"| {ours['with_fitness_s']:.3f} | {theirs['best_s'] if theirs else float('nan'):.1f} "
        f"| {ratio} | {ours['one_call_above_baseline_mb']:.0f} / {ours['peak_mb']:.0f} "
        f"| {theirs['peak_mb'] if theirs else float('nan'):.0f} |"
    )
    print()
    print(
        f"product-space graph (maximum spanning tree + proximity >= 0.55): "
        f"{ours['product_space_s']:.2f} s, {ours['product_space_edges']} edges"
    )
    if worst:
        print()
        print("largest absolute difference: " + ", ".join(f"{k} {v:.1e}" for k, v in worst.items()))


if __name__ == "__main__":
    main()
