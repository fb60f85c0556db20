"""Benchmark: gross-export decompositions (WWZ, KWW, Leontief) on the real WIOD 2011 table.

One command::

    .venv/bin/python benchmarks/bench_decompositions.py [--repeat 5] [--table PATH] [--json OUT]

Importable by an orchestrator: :func:`run` returns the results as a dict, :func:`markdown`
formats them. Each measurement runs in a fresh interpreter (this file with ``--worker KIND``),
so that its peak memory is its own:

- ``lu``        the LAPACK floor: one ``dgetrf`` of WIOD's ``I - A`` (n = 1435), already built
                in Fortran order; only the factorisation is timed;
- ``wwz``       :func:`karavan.core.gvc.wwz.wwz_decomposition`: 16 terms for all
                41 x 35 x 40 = 57,400 exporter x sector x importer flows;
- ``kww``       :func:`karavan.core.gvc.kww.kww_decomposition`: 9 terms for 41 exporters;
- ``leontief``  :func:`karavan.core.gvc.leontief_decomposition.leontief_decomposition`:
                ``diag(v) B diag(E)``, n x n.

For each, ``decomposition`` is the time of the function given a factorised
:class:`~karavan.core.LeontiefModel` and ``end to end`` adds the factorisation (from a loaded
table to the result). Timings are the best of ``--repeat`` runs. Peak memory is the resident
set's high-water mark (``VmHWM``, reset through ``/proc/self/clear_refs`` after the table is
loaded; where that is not allowed, RSS sampled every millisecond by a thread) over all runs,
in units of one dense n x n float64 matrix (``n^2 * 8`` bytes = 16.5 MB at n = 1435): ``total``
counts everything above the interpreter with its libraries loaded (the table, whose ``Z`` is one
unit, included); ``above table`` what the computation added. Workers run with
``MALLOC_MMAP_THRESHOLD_`` at 1 MiB so that freed arrays go back to the system at once.

The decompr figures are the issue's reference measurements of the R package decompr 6.4.0 on
this machine type (R is not installed here, so they cannot be re-run in the same process).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import PeakMeter, cpu_model, lu_floor_times, rss_bytes, timed

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_TABLE = REPO.parent / "shared" / "data" / "wiod2013" / "wiot_2011.RData"
RESULTS = HERE / "results"
MARKER = "@@bench-decompositions "
KINDS = ("lu", "wwz", "kww", "leontief")
#: The issue's measurements of R decompr on this machine type: seconds, and peak memory.
DECOMPR_REFERENCE_S = {"wwz": 12.0, "kww": 5.4, "leontief": 2.2}
DECOMPR_REFERENCE_PEAK_GB = 0.5
TARGETS = {"wwz_s_max": 2.5, "kww_s_max": 1.0, "peak_total_n2_max": 4.0}


# ---------------------------------------------------------------------- memory
# ---------------------------------------------------------------------- workers


def _warm_up(table_path: Path) -> None:
    """Put the fixed costs of the libraries in the baseline: start BLAS/LAPACK, pandas' labelled
    frames (string storage, index engines) and the table reader (read the table once and drop
    it); then touch and free a few n x n blocks so that first-touch page faults are charged to
    no contender."""
    import numpy as np
    import pandas as pd
    from scipy.linalg import lapack

    import karavan
    from karavan.core import LeontiefModel

    n = karavan.read(table_path).n
    # at full size: OpenBLAS touches more of its per-thread buffers for larger problems
    a = np.random.default_rng(0).random((n, n)) + n * np.eye(n)
    lu, piv, _ = lapack.dgetrf(np.asfortranarray(a))
    lapack.dgetrs(lu, piv, a[:, :64], trans=1)
    lwork, _ = lapack.dgetri_lwork(n)
    lapack.dgetri(lu, piv, lwork=int(lwork), overwrite_lu=True)
    a @ a[:, :128]
    a.T @ a[:, :64]
    del a, lu
    labels = [f"R{i}" for i in range(16)], [f"S{j}" for j in range(32)]
    idx = pd.MultiIndex.from_product(labels, names=["region", "sector"])
    b = np.ones((idx.size, idx.size))
    pd.DataFrame(b, index=idx, columns=idx).groupby(level="region").sum().stack()
    rng = np.random.default_rng(0)  # a small table through every code path once
    small = karavan.MRIOTable.from_arrays(
        regions=["A", "B", "C"], sectors=["s", "t"], categories=["f"],
        Z=rng.uniform(0, 1, (6, 6)), Y=rng.uniform(5, 10, (6, 3)),
    )  # fmt: skip
    for kind in ("wwz", "kww", "leontief"):
        _decomposition(kind)(LeontiefModel(small))
    blocks = [np.ones((n, n)) for _ in range(4)]
    del blocks
    gc.collect()


def _work_lu(table: Any, model_cls: Any, repeat: int) -> dict[str, Any]:
    return {"times": lu_floor_times(table, repeat)}


def _work_decomposition(
    kind: str, table: Any, model_cls: Any, repeat: int
) -> tuple[dict[str, Any], Any]:
    """Time model + decomposition ``repeat`` times; return the timings and the last result."""
    fn = _decomposition(kind)
    model_times, times = [], []
    result = None
    for _ in range(repeat):
        del result
        gc.collect()
        seconds, model = timed(lambda: model_cls(table))
        model_times.append(seconds)
        seconds, result = timed(lambda m=model: fn(m))
        times.append(seconds)
        del model
    out = {"times": times, "model_times": model_times, "shape": list(result.shape)}
    return out, result


def _gaps(kind: str, table: Any, result: Any) -> dict[str, float]:
    """How far the terms are from the exports they decompose (WIOD is not exactly balanced)."""
    import numpy as np

    from karavan.core.exports import bilateral_exports

    E = bilateral_exports(table).to_numpy()
    if kind == "wwz":
        own = np.repeat(np.arange(table.n_regions), table.n_sectors)
        flows = E[own[:, None] != np.arange(table.n_regions)[None, :]]
        gap = result.to_numpy().sum(axis=1) - flows
        return {
            "max_abs_gap": float(np.abs(gap).max()),
            "max_gap_rel_to_largest_flow": float(np.abs(gap).max() / np.abs(flows).max()),
            "total_gap_rel": float(gap.sum() / flows.sum()),
        }
    if kind == "kww":
        by_region = E.sum(axis=1).reshape(table.n_regions, table.n_sectors).sum(axis=1)
        gap = result.to_numpy().sum(axis=1) - by_region
        return {"max_gap_rel": float(np.abs(gap / by_region).max())}
    gap = result.to_numpy().sum(axis=0) - E.sum(axis=1)
    return {"max_abs_gap": float(np.abs(gap).max())}


def _decomposition(kind: str) -> Callable[[Any], Any]:
    if kind == "wwz":
        from karavan.core.gvc.wwz import wwz_decomposition

        return wwz_decomposition
    if kind == "kww":
        from karavan.core.gvc.kww import kww_decomposition

        return kww_decomposition
    from karavan.core.gvc.leontief_decomposition import leontief_decomposition

    return leontief_decomposition


def worker(kind: str, table_path: Path, repeat: int) -> dict[str, Any]:
    """One measurement in this process: load, baseline, reset the peak, run ``repeat`` times."""
    import karavan
    from karavan.core import LeontiefModel

    _warm_up(table_path)
    gc.collect()
    base_libs = rss_bytes()
    t0 = time.perf_counter()
    table = karavan.read(table_path)
    load_s = time.perf_counter() - t0
    gc.collect()
    base_table = rss_bytes()
    meter = PeakMeter()
    if kind == "lu":
        out, result = _work_lu(table, LeontiefModel, repeat), None
    else:
        out, result = _work_decomposition(kind, table, LeontiefModel, repeat)
    peak = meter.peak()
    if result is not None:
        out.update(_gaps(kind, table, result))
    unit = table.n**2 * 8
    out.update(
        kind=kind,
        n=table.n,
        regions=table.n_regions,
        sectors=table.n_sectors,
        load_s=load_s,
        memory_method=meter.method,
        peak_total_n2=(peak - base_libs) / unit,
        peak_above_table_n2=(peak - base_table) / unit,
        peak_total_mb=(peak - base_libs) / 2**20,
        table_n2=(base_table - base_libs) / unit,
    )
    return out


# ---------------------------------------------------------------------- orchestration
def machine_info() -> dict[str, Any]:
    import numpy as np

    cpu = cpu_model()
    mem_kb = None
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    with contextlib.redirect_stdout(None):
        deps = np.show_config(mode="dicts").get("Build Dependencies", {})
    versions = {"python": platform.python_version()}
    for dist in ("numpy", "scipy", "pandas", "karavan"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "memory_gib": round(mem_kb / 2**20, 1) if mem_kb else None,
        "os": f"{platform.system()} {platform.release()}",
        "blas": {k: deps.get("blas", {}).get(k) for k in ("name", "version")},
        "versions": versions,
    }


def _spawn(kind: str, table: Path, repeat: int) -> dict[str, Any]:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(2**20))
    src = str(REPO / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH")]))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind]
    cmd += ["--table", str(table), "--repeat", str(repeat)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            result: dict[str, Any] = json.loads(line[len(MARKER) :])
            return result
    raise RuntimeError(f"worker {kind} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")


def run(
    table: Path = DEFAULT_TABLE, repeat: int = 5, kinds: Sequence[str] = KINDS
) -> dict[str, Any]:
    """Run every measurement in its own interpreter; return results, machine and targets."""
    if not Path(table).is_file():
        raise FileNotFoundError(f"WIOD table not found at {table}")
    load_before = os.getloadavg() if hasattr(os, "getloadavg") else None
    results = {kind: _spawn(kind, Path(table), repeat) for kind in kinds}
    load_after = os.getloadavg() if hasattr(os, "getloadavg") else None
    summary: dict[str, Any] = {}
    lu = min(results["lu"]["times"]) if "lu" in results else None
    for kind, ref in DECOMPR_REFERENCE_S.items():
        if kind not in results:
            continue
        r = results[kind]
        best = min(r["times"])
        e2e = min(m + t for m, t in zip(r["model_times"], r["times"], strict=True))
        summary[kind] = {
            "decomposition_s": best,
            "end_to_end_s": e2e,
            "decompr_s": ref,
            "speedup_vs_decompr_end_to_end": ref / e2e,
            "ratio_to_lu": best / lu if lu else None,
            "peak_total_n2": r["peak_total_n2"],
            "peak_total_mb": r["peak_total_mb"],
        }
    checks = {
        "wwz_s": (summary.get("wwz", {}).get("end_to_end_s"), TARGETS["wwz_s_max"]),
        "kww_s": (summary.get("kww", {}).get("end_to_end_s"), TARGETS["kww_s_max"]),
        "peak_total_n2": (
            max((s["peak_total_n2"] for s in summary.values()), default=None),
            TARGETS["peak_total_n2_max"],
        ),
    }
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "table": str(table),
        "repeat": repeat,
        "machine": machine_info(),
        "load_average_1_5_15": {"before": load_before, "after": load_after},
        "workers": results,
        "lu_s": lu,
        "summary": summary,
        "targets": {
            k: {"value": v, "max": lim, "met": v is not None and v <= lim}
            for k, (v, lim) in checks.items()
        },
        "decompr_reference": {
            "seconds": DECOMPR_REFERENCE_S,
            "peak_gb": DECOMPR_REFERENCE_PEAK_GB,
            "note": "the issue's measurements of R decompr on this machine type; R is not "
            "installed here",
        },
    }


def _load(res: dict[str, Any], when: str) -> str:
    value = res.get("load_average_1_5_15", {}).get(when)
    return "n/a" if value is None else f"{value[0]:.1f}"


def markdown(res: dict[str, Any]) -> str:
    """A markdown table of :func:`run`'s results."""
    m = res["machine"]
    w = res["workers"]
    n = next(iter(w.values()))["n"]
    lines = [
        f"WIOD 2013, 2011 (n = {n}); {m['cpu']}, {m['usable_cpus']} usable cores, "
        f"{m['memory_gib']} GiB; BLAS {m['blas'].get('name')} {m['blas'].get('version')}; "
        f"best of {res['repeat']}; load average before / after: {_load(res, 'before')} / "
        f"{_load(res, 'after')} (other processes share the machine).",
        "",
        "| step | Karavan: decomposition | + factorisation (end to end) | decompr (issue) "
        "| speed-up | peak, total (n x n units) | peak, MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    names = {"wwz": "WWZ, 16 terms x 57,400 flows", "kww": "KWW, 9 terms x 41 exporters",
             "leontief": "Leontief, diag(v) B diag(E)"}  # fmt: skip
    for kind, s in res["summary"].items():
        lines.append(
            f"| {names[kind]} | {s['decomposition_s']:.3f} s | {s['end_to_end_s']:.3f} s "
            f"| {s['decompr_s']:.1f} s | {s['speedup_vs_decompr_end_to_end']:.0f}x "
            f"| {s['peak_total_n2']:.2f} | {s['peak_total_mb']:.0f} |"
        )
    if res["lu_s"] is not None:
        lu = w["lu"]
        lines.append(
            f"| LAPACK floor: dgetrf of I - A | {res['lu_s']:.3f} s | | | "
            f"| {lu['peak_total_n2']:.2f} | {lu['peak_total_mb']:.0f} |"
        )
    lines.append("")
    for k, t in res["targets"].items():
        value = "n/a" if t["value"] is None else f"{t['value']:.3f}"
        lines.append(f"- target {k} <= {t['max']}: {value} ({'met' if t['met'] else 'NOT met'})")
    if "wwz" in w:
        lines.append(
            f"- WWZ terms vs bilateral exports: largest gap {w['wwz']['max_abs_gap']:.3g} "
            f"(USD million; {w['wwz']['max_gap_rel_to_largest_flow']:.2g} of the largest flow), "
            f"total {w['wwz']['total_gap_rel']:.2g} relative: WIOD's rounding imbalance"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", type=Path, default=DEFAULT_TABLE)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--worker", choices=KINDS, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    if args.worker:
        print(MARKER + json.dumps(worker(args.worker, args.table, args.repeat)), flush=True)
        return 0
    res = run(args.table, args.repeat)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out = args.json or RESULTS / f"decompositions-{stamp}.json"
    out.write_text(json.dumps(res, indent=1))
    print(markdown(res))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
