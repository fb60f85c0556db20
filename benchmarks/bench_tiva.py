"""Benchmark of the TiVA indicators and the Borin-Mancini decompositions (issue 3).

One command::

    .venv/bin/python benchmarks/bench_tiva.py [--repeat 3] [--wiod PATH] [--skip-wiod]
                                              [--blas-threads N]

Two measurements, each in a fresh interpreter so that its peak memory is its own, each with its
LAPACK floor (one ``dgetrf`` of the same ``I - A``, formed in Fortran order beforehand, in its
own fresh interpreter for its peak memory, and timed again inside each measuring process,
interleaved with the repeats, for the ratios):

- ``bm``: the real WIOD 2013 table for 2011 (41 regions x 35 sectors, n = 1435), read with
  ``karavan.read``; ``LeontiefModel`` (forming ``I - A`` and its LU), then
  ``borin_mancini(model, perspective=p, level=l, by_flow=True)`` for every flow (exporter x
  sector x importer, 57,400 rows) at the three levels and both perspectives. Target: the
  bilateral-sector flows of both perspectives (LU included) in 3 s or less.
- ``tiva``: a synthetic OECD-ICIO-sized table (81 regions x 45 sectors = 3645 industries, 5
  final-demand categories; ``benchmarks/synthetic.py``, seed 0); ``LeontiefModel`` then
  ``tiva_indicators(model)`` for every country. Target: 30 s or less.

Times are the best of ``--repeat`` runs. Peak memory is the resident set's high-water mark
(``VmHWM``, reset through ``/proc/self/clear_refs`` once the table is loaded; without that, RSS
sampled every millisecond by a thread) above the resident set at that moment, plus the table's
own arrays (``Z`` counts as one; what reading a file leaves behind, such as the reader's modules,
is not counted), in units of one dense n x n float64 matrix. Target: 4 or less. Workers run with
``MALLOC_MMAP_THRESHOLD_`` at 1 MiB so that freed arrays go back to the system at once.

Results: a markdown table on stdout, and ``benchmarks/results/tiva-<time>.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import PeakMeter, cpu_model, lu_floor_times, rss_bytes, timed

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
WIOD = REPO.parent / "shared" / "data" / "wiod2013" / "wiot_2011.RData"
MARKER = "@@bench-tiva "
TARGETS = {"bm_flows_both_perspectives_s": 3.0, "tiva_3645_s": 30.0, "peak_n2": 4.0}


# ---------------------------------------------------------------------- memory
def _warm_up() -> None:
    """Load and start the libraries (BLAS thread pools, pandas, the measured code itself) before
    the baseline is read."""
    import numpy as np
    import pandas as pd
    from scipy.linalg import lapack

    a = np.random.default_rng(0).random((512, 512)) + 512 * np.eye(512)
    lu, piv, _ = lapack.dgetrf(np.asfortranarray(a))
    lapack.dgetrs(lu, piv, a[:, :64], trans=1)
    idx = pd.MultiIndex.from_product([[f"R{i}" for i in range(20)], ["a", "b"]])
    pd.DataFrame(np.ones((40, 3)), index=idx).groupby(level=0).sum()
    # the code under test on a tiny table: imports everything it loads lazily (pyarrow strings)
    sys.path.insert(0, str(HERE))
    from karavan.core import LeontiefModel
    from karavan.core.gvc.borin_mancini import borin_mancini
    from karavan.core.gvc.tiva import tiva_indicators
    from synthetic import synthetic_table

    model = LeontiefModel(synthetic_table(4, 3, categories=2, stressors=1))
    borin_mancini(model, level="bilateral", by_flow=True)
    tiva_indicators(model)


# ---------------------------------------------------------------------- workers
def _table(kind: str, wiod: Path) -> Any:
    if kind == "wiod":
        import karavan

        return karavan.read(wiod)
    sys.path.insert(0, str(HERE))
    from synthetic import synthetic_table

    return synthetic_table(81, 45, categories=5, stressors=1, seed=0)


def _lu_floor(table: Any, repeat: int) -> dict[str, Any]:
    return {"times": lu_floor_times(table, repeat)}


def _bm(table: Any, repeat: int) -> dict[str, Any]:
    import numpy as np

    from karavan.core import LeontiefModel
    from karavan.core.gvc.borin_mancini import borin_mancini

    out: dict[str, Any] = {"model": [], "calls": {}, "floor": []}
    worst = 0.0
    for _ in range(repeat):
        out["floor"] += _lu_floor(table, 1)["times"]  # interleaved: same conditions
        seconds, model = timed(lambda: LeontiefModel(table))
        out["model"].append(seconds)
        for level in ("bilateral", "country", "sector"):
            for perspective in ("source", "sink"):
                key = f"{level}/{perspective}"
                seconds, frame = timed(
                    lambda lv=level, p=perspective, m=model: borin_mancini(
                        m, perspective=p, level=lv, by_flow=True
                    )
                )
                out["calls"].setdefault(key, []).append(seconds)
                parts = frame[["DAVAX", "REX", "REF", "DDC", "FVA", "FDC"]].to_numpy().sum(axis=1)
                exgr = frame["EXGR"].to_numpy()
                worst = max(worst, float(np.max(np.abs(parts - exgr)) / np.max(exgr)))
                out["rows"] = len(frame)
                del frame
        del model
        gc.collect()
    out["max_residual_rel"] = worst
    return out


def _tiva(table: Any, repeat: int) -> dict[str, Any]:
    from karavan.core import LeontiefModel
    from karavan.core.gvc.tiva import tiva_indicators

    out: dict[str, Any] = {"model": [], "tiva": [], "floor": []}
    for _ in range(repeat):
        out["floor"] += _lu_floor(table, 1)["times"]  # interleaved: same conditions
        seconds, model = timed(lambda: LeontiefModel(table))
        out["model"].append(seconds)
        seconds, res = timed(lambda m=model: tiva_indicators(m))
        out["tiva"].append(seconds)
        out["economies"] = len(res.economies)
        gc.collect()
        res.country["EXGR"].sum()  # keep the result alive until the peak is read
        del res, model
        gc.collect()
    return out


def worker(kind: str, data: str, repeat: int, wiod: Path) -> None:
    _warm_up()
    gc.collect()
    base = rss_bytes()
    table = _table(data, wiod)
    gc.collect()
    loaded = rss_bytes()
    meter = PeakMeter()
    work = {"lu": _lu_floor, "bm": _bm, "tiva": _tiva}[kind]
    result = work(table, repeat)
    peak = meter.peak()
    n2 = table.n * table.n * 8
    arrays = sum(getattr(table, k).nbytes for k in ("Z", "Y", "x", "V", "F", "F_Y"))
    result.update(
        n=table.n,
        table_arrays_n2=arrays / n2,
        peak_above_table_n2=(peak - loaded) / n2,
        peak_total_n2=(arrays + peak - loaded) / n2,
        rss_growth_loading_n2=(loaded - base) / n2,
        memory_method=meter.method,
    )
    print(MARKER + json.dumps(result), flush=True)


def _spawn(
    kind: str, data: str, repeat: int, wiod: Path, threads: int | None = None
) -> dict[str, Any]:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 20), PYTHONPATH=str(REPO / "src"))
    if threads is not None:
        env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--data", data]
    cmd += ["--repeat", str(repeat), "--wiod", str(wiod)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    raise RuntimeError(f"worker {kind}/{data} failed:\n{proc.stdout}\n{proc.stderr}")


def _machine() -> dict[str, Any]:
    import numpy as np
    import scipy

    cpu = cpu_model()
    return {
        "cpu": cpu,
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--wiod", type=Path, default=WIOD)
    p.add_argument("--skip-wiod", action="store_true")
    p.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="OPENBLAS_NUM_THREADS for the workers (default: inherited)",
    )
    p.add_argument("--worker", choices=["lu", "bm", "tiva"])
    p.add_argument("--data", choices=["wiod", "synthetic"])
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.data, args.repeat, args.wiod)
        return

    record: dict[str, Any] = {
        "machine": _machine(),
        "targets": TARGETS,
        "blas_threads": args.blas_threads,
    }
    rows = []
    if not args.skip_wiod:
        if not args.wiod.is_file():
            raise SystemExit(
                f"WIOD 2011 table not found at {args.wiod}; pass --wiod or --skip-wiod"
            )
        lu = _spawn("lu", "wiod", args.repeat, args.wiod, args.blas_threads)
        bm = _spawn("bm", "wiod", args.repeat, args.wiod, args.blas_threads)
        record.update(wiod_lu=lu, wiod_bm=bm)
        floor = min(bm["floor"])
        model = min(bm["model"])
        best = {k: min(v) for k, v in bm["calls"].items()}
        both = model + best["bilateral/source"] + best["bilateral/sink"]
        record["bm_flows_both_perspectives_s"] = both
        rows.append(("WIOD 2011, n = 1435", "LeontiefModel (LU incl.)", model, model / floor, None))
        for key, seconds in best.items():
            rows.append((f"  {bm['rows']} flows", f"borin_mancini {key}", seconds, None, None))
        rows.append(
            (
                "WIOD 2011, n = 1435",
                "model + bilateral flows, source + sink",
                both,
                both / floor,
                bm["peak_total_n2"],
            )
        )
        rows.append(
            ("WIOD 2011, n = 1435", "LAPACK floor: dgetrf", floor, 1.0, lu["peak_total_n2"])
        )
    lu = _spawn("lu", "synthetic", args.repeat, args.wiod, args.blas_threads)
    tv = _spawn("tiva", "synthetic", args.repeat, args.wiod, args.blas_threads)
    record.update(synthetic_lu=lu, synthetic_tiva=tv)
    floor = min(tv["floor"])
    model, tiva = min(tv["model"]), min(tv["tiva"])
    record["tiva_3645_s"] = model + tiva
    rows.append(
        ("synthetic 81 x 45, n = 3645", "LeontiefModel (LU incl.)", model, model / floor, None)
    )
    rows.append(("", f"tiva_indicators ({tv['economies']} countries)", tiva, tiva / floor, None))
    rows.append(
        (
            "synthetic 81 x 45, n = 3645",
            "model + TiVA",
            model + tiva,
            (model + tiva) / floor,
            tv["peak_total_n2"],
        )
    )
    rows.append(
        ("synthetic 81 x 45, n = 3645", "LAPACK floor: dgetrf", floor, 1.0, lu["peak_total_n2"])
    )

    print(f"machine: {record['machine']}; OPENBLAS_NUM_THREADS: {args.blas_threads or 'inherited'}")
    print("\n| table | what | time (s) | / LU floor | peak memory (n x n) |")
    print("|---|---|---:|---:|---:|")
    for table, what, seconds, ratio, peak in rows:
        r = "" if ratio is None else f"{ratio:.2f}"
        m = "" if peak is None else f"{peak:.2f}"
        print(f"| {table} | {what} | {seconds:.3f} | {r} | {m} |")
    if not args.skip_wiod:
        print(
            f"\nmax |sum of terms - EXGR| / max EXGR over all flows: "
            f"{record['wiod_bm']['max_residual_rel']:.1e}"
        )
    checks = {
        "bm_flows_both_perspectives_s": record.get("bm_flows_both_perspectives_s"),
        "tiva_3645_s": record["tiva_3645_s"],
    }
    for key, value in checks.items():
        if value is not None:
            ok = "ok" if value <= TARGETS[key] else "MISSED"
            print(f"target {key} <= {TARGETS[key]}: {value:.2f} ({ok})")
    peaks = [r[4] for r in rows if r[4] is not None]
    print(f"target peak <= {TARGETS['peak_n2']} n x n: max {max(peaks):.2f}")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(record, indent=1)
    (RESULTS / f"tiva-{stamp}.json").write_text(text)
    (RESULTS / "tiva-latest.json").write_text(text)


if __name__ == "__main__":
    main()
