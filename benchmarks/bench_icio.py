"""Benchmark of parsing an OECD-ICIO-sized CSV into the native format, against pymrio (issue 4).

One command::

    .venv/bin/python benchmarks/bench_icio.py [--keep DIR] [--decimals 4]

A synthetic file in the published 2023 extended layout (``ICIO2023_2019/2019.csv``: 77 regions
plus the split rows and columns MX1, MX2, CN1, CN2, so 81 x 45 = 3645 industries; six
final-demand columns per region and OUT; rows TLS, VA, OUT; 3648 rows of 4109 cells, seed 0, values
rounded to 4 decimals with a fifth of them zero, MEX and CHN industry rows and columns zero as
published; balanced so that the loader's output checks pass) is written once into a temporary
directory. pymrio's ``parse_oecd`` accepts it under that name (it reads any file it is given).
Then, each in a fresh interpreter so that its peak memory is its own:

- ``karavan-parse``: ``karavan.sources.oecd_icio.read(path)`` then ``native.write_table`` into
  a temporary directory (target: 30 s or less);
- ``karavan-reload``: ``native.read_table`` of that directory (target: 1 s or less);
- ``pymrio-parse``: ``pymrio.parse_oecd(path=...)``;
- ``pymrio-save`` / ``pymrio-reload``: ``IOSystem.save_all(table_format="parquet")`` of the
  parsed system, and ``pymrio.load_all`` of that folder (pymrio's binary counterpart).

Peak memory is the resident set's high-water mark during the step (``VmHWM`` reset through
``/proc/self/clear_refs``) above the resident set before it (after the imports), in units of one
dense n x n float64 matrix, n = 3465 (the table after merging MX1, MX2, CN1, CN2). The two
parsers' Z row and column sums (by industry) and Y totals are compared.

Results: a markdown table on stdout and ``benchmarks/results/icio-<time>.json`` (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from measure import PeakMeter, cpu_model, rss_bytes, timed

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
MARKER = "@@bench-icio "
TARGETS = {"karavan_parse_s": 30.0, "karavan_reload_s": 1.0}

# 2023 edition: 76 economies and ROW, then the split parts of Mexico and China
COUNTRIES = [
    "AUS",
    "AUT",
    "BEL",
    "CAN",
    "CHL",
    "COL",
    "CRI",
    "CZE",
    "DNK",
    "EST",
    "FIN",
    "FRA",
    "DEU",
    "GRC",
    "HUN",
    "ISL",
    "IRL",
    "ISR",
    "ITA",
    "JPN",
    "KOR",
    "LVA",
    "LTU",
    "LUX",
    "MEX",
    "NLD",
    "NZL",
    "NOR",
    "POL",
    "PRT",
    "SVK",
    "SVN",
    "ESP",
    "SWE",
    "CHE",
    "TUR",
    "GBR",
    "USA",
    "ARG",
    "BGD",
    "BLR",
    "BRA",
    "BRN",
    "BGR",
    "KHM",
    "CMR",
    "CHN",
    "CIV",
    "HRV",
    "CYP",
    "EGY",
    "HKG",
    "IND",
    "IDN",
    "JOR",
    "KAZ",
    "LAO",
    "MYS",
    "MLT",
    "MAR",
    "MMR",
    "NGA",
    "PAK",
    "PER",
    "PHL",
    "ROU",
    "RUS",
    "SAU",
    "SEN",
    "SGP",
    "ZAF",
    "TWN",
    "THA",
    "TUN",
    "UKR",
    "VNM",
    "ROW",
]
SPLITS = ("MX1", "MX2", "CN1", "CN2")
SECTORS = [
    "A01_02",
    "A03",
    "B05_06",
    "B07_08",
    "B09",
    "C10T12",
    "C13T15",
    "C16",
    "C17_18",
    "C19",
    "C20",
    "C21",
    "C22",
    "C23",
    "C24",
    "C25",
    "C26",
    "C27",
    "C28",
    "C29",
    "C30",
    "C31T33",
    "D",
    "E",
    "F",
    "G",
    "H49",
    "H50",
    "H51",
    "H52",
    "H53",
    "I",
    "J58T60",
    "J61",
    "J62_63",
    "K",
    "L",
    "M",
    "N",
    "O",
    "P",
    "Q",
    "R",
    "S",
    "T",
]
CATEGORIES = ("HFCE", "NPISH", "GGFC", "GFCF", "INVNT", "DPABR")
assert len(COUNTRIES) == 77
assert len(SECTORS) == 45


# ---------------------------------------------------------------------- the file
def write_icio_2023(directory: Path, year: int = 2019, seed: int = 0, decimals: int = 4) -> Path:
    """Write the synthetic extended 2023-layout file ``directory/ICIO2023_<year>/<year>.csv``."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed)
    regions = [*COUNTRIES, *SPLITS]
    S, C = len(SECTORS), len(CATEGORIES)
    n, nf = len(regions) * S, len(COUNTRIES) * C
    Z = np.round(rng.random((n, n)) ** 3 * 10, decimals)
    Z[rng.random((n, n)) < 0.2] = 0.0
    Y = np.round(rng.random((n, nf)) * 32, decimals)
    Y[:, 4::C] = np.round(rng.uniform(-1, 1, (n, len(COUNTRIES))), decimals)  # INVNT, signed
    for parent in ("MEX", "CHN"):  # published with zero rows and columns
        k = COUNTRIES.index(parent)
        Z[k * S : (k + 1) * S] = 0.0
        Z[:, k * S : (k + 1) * S] = 0.0
        Y[k * S : (k + 1) * S] = 0.0
    x = Z.sum(axis=1) + Y.sum(axis=1)
    tls = np.round(rng.random(n) * 0.02 * x, decimals)
    tls_fd = np.round(rng.random(nf) * 50, decimals)
    va = x - Z.sum(axis=0) - tls
    if va.min() < 0:
        raise RuntimeError("negative value added: change the generator")
    fd_out = Y.sum(axis=0) + tls_fd
    rows = [
        np.hstack([Z, Y, x[:, None]]),
        np.hstack([tls, tls_fd, [tls.sum() + tls_fd.sum()]])[None, :],
        np.hstack([va, np.zeros(nf), [va.sum()]])[None, :],
        np.hstack([x, fd_out, [x.sum() + fd_out.sum()]])[None, :],
    ]
    block = np.vstack(rows)
    industries = [f"{r}_{s}" for r in regions for s in SECTORS]
    labels = [*industries, "TLS", "VA", "OUT"]
    header = ["V1", *industries, *(f"{r}_{c}" for r in COUNTRIES for c in CATEGORIES), "OUT"]
    columns = [pa.array(labels)] + [pa.array(block[:, j]) for j in range(block.shape[1])]
    table = pa.Table.from_arrays(columns, names=header)
    path = directory / f"ICIO2023_{year}" / f"{year}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:  # the header unquoted, as published
        fh.write((",".join(header) + "\n").encode("ascii"))
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        pacsv.write_csv(table, fh, options)
    return path


# ---------------------------------------------------------------------- workers
def _warm_up(kind: str) -> None:
    import numpy as np  # noqa: F401
    import pandas as pd  # noqa: F401
    import pyarrow.parquet  # noqa: F401

    if kind.startswith("karavan"):
        import karavan.sources.native
        import karavan.sources.oecd_icio  # noqa: F401
    else:
        import pymrio  # noqa: F401


def _sums_karavan(table: Any) -> dict[str, Any]:
    labels = [f"{r}_{s}" for r in table.regions for s in table.sectors]
    return {
        "n": table.n,
        "Z_total": float(table.Z.sum()),
        "Y_total": float(table.Y.sum()),
        "Z_rows": dict(zip(labels, table.Z.sum(axis=1).tolist(), strict=True)),
        "Z_cols": dict(zip(labels, table.Z.sum(axis=0).tolist(), strict=True)),
    }


def _sums_pymrio(io: Any) -> dict[str, Any]:
    labels = [f"{r}_{s}" for r, s in io.Z.index]
    cols = [f"{r}_{s}" for r, s in io.Z.columns]
    return {
        "n": len(labels),
        "Z_total": float(io.Z.to_numpy().sum()),
        "Y_total": float(io.Y.to_numpy().sum()),
        "Z_rows": dict(zip(labels, io.Z.to_numpy().sum(axis=1).tolist(), strict=True)),
        "Z_cols": dict(zip(cols, io.Z.to_numpy().sum(axis=0).tolist(), strict=True)),
    }


def _dir_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def worker(kind: str, csv_path: Path, out_dir: Path) -> None:
    _warm_up(kind)
    gc.collect()
    base = rss_bytes()
    meter = PeakMeter()
    result: dict[str, Any] = {"kind": kind}
    if kind == "karavan-parse":
        from karavan.sources import native, oecd_icio

        t0 = time.perf_counter()
        seconds_read, [table] = timed(lambda: oecd_icio.read(csv_path))
        peak_read = meter.peak()
        meter_write = PeakMeter()  # resets the high-water mark
        seconds_write, _ = timed(lambda: native.write_table(table, out_dir))
        peak_write = meter_write.peak()
        result.update(
            seconds=time.perf_counter() - t0,
            read_s=seconds_read,
            write_s=seconds_write,
            read_peak_bytes=peak_read - base,
            write_peak_bytes=peak_write - base,
            stored_bytes=_dir_bytes(out_dir),
        )
    elif kind == "karavan-reload":
        from karavan.sources import native

        seconds, table = timed(lambda: native.read_table(out_dir))
        result.update(seconds=seconds)
    elif kind == "pymrio-parse":
        import pymrio

        seconds, io = timed(lambda: pymrio.parse_oecd(path=csv_path))
        result.update(seconds=seconds)
    elif kind == "pymrio-save":
        import pymrio

        io = pymrio.parse_oecd(path=csv_path)
        gc.collect()
        base = rss_bytes()
        meter = PeakMeter()
        seconds, _ = timed(lambda: io.save_all(out_dir, table_format="parquet"))
        result.update(seconds=seconds, stored_bytes=_dir_bytes(out_dir))
    elif kind == "pymrio-reload":
        import pymrio

        seconds, io = timed(lambda: pymrio.load_all(out_dir))
        result.update(seconds=seconds)
    else:
        raise ValueError(kind)
    peak = meter.peak()
    if "write_peak_bytes" in result:  # the meter was reset before writing
        peak = max(result["read_peak_bytes"], result["write_peak_bytes"]) + base
    sums = _sums_karavan(table) if kind.startswith("karavan") else _sums_pymrio(io)
    n2 = sums["n"] ** 2 * 8
    for step in ("read", "write"):
        if f"{step}_peak_bytes" in result:
            result[f"{step}_peak_n2"] = result.pop(f"{step}_peak_bytes") / n2
    result.update(
        peak_above_start_n2=(peak - base) / n2,
        retained_n2=(rss_bytes() - base) / n2,
        memory_method=meter.method,
        sums=sums,
    )
    print(MARKER + json.dumps(result), flush=True)


def _spawn(kind: str, csv_path: Path, out_dir: Path) -> dict[str, Any]:
    env = dict(os.environ, MALLOC_MMAP_THRESHOLD_=str(1 << 20), PYTHONPATH=str(REPO / "src"))
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind]
    cmd += ["--csv", str(csv_path), "--out", str(out_dir)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    for line in proc.stdout.splitlines():
        if line.startswith(MARKER):
            return dict(json.loads(line[len(MARKER) :]))
    raise RuntimeError(f"worker {kind} failed:\n{proc.stdout}\n{proc.stderr}")


def _agreement(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Largest relative differences between two workers' sums (same labels required)."""

    def rel(u: float, v: float) -> float:
        return abs(u - v) / max(abs(u), abs(v), 1e-300)

    out: dict[str, Any] = {
        "n": (a["n"], b["n"]),
        "Z_total_rel": rel(a["Z_total"], b["Z_total"]),
        "Y_total_rel": rel(a["Y_total"], b["Y_total"]),
    }
    for key in ("Z_rows", "Z_cols"):
        if set(a[key]) != set(b[key]):
            out[key + "_labels_differ"] = sorted(set(a[key]) ^ set(b[key]))[:10]
            continue
        scale = max(abs(v) for v in a[key].values())
        out[key + "_max_abs_over_max"] = max(abs(a[key][k] - b[key][k]) for k in a[key]) / scale
    return out


def _machine() -> dict[str, Any]:
    import numpy as np
    import pandas as pd
    import pymrio

    cpu = cpu_model()
    with contextlib.suppress(OSError), open("/proc/loadavg") as f:
        loadavg = f.read().strip()
    return {
        "cpu": cpu,
        "usable_cpus": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "pymrio": pymrio.__version__,
        "loadavg": loadavg,
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--keep", type=Path, default=None, help="write the files here and keep them")
    p.add_argument("--decimals", type=int, default=4, help="decimals of the cells (default 4)")
    p.add_argument("--worker")
    p.add_argument("--csv", type=Path)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    if args.worker:
        worker(args.worker, args.csv, args.out)
        return

    record: dict[str, Any] = {"machine_start": _machine(), "targets": TARGETS}
    work = args.keep or Path(tempfile.mkdtemp(prefix="karavan-bench-icio-"))
    try:
        seconds, csv_path = timed(lambda: write_icio_2023(work, decimals=args.decimals))
        size = csv_path.stat().st_size
        with csv_path.open() as fh:
            ncols = len(fh.readline().split(","))
        record["file"] = {
            "path": csv_path.name,
            "bytes": size,
            "columns": ncols,
            "write_s": seconds,
            "decimals": args.decimals,
        }
        print(f"wrote {csv_path} ({size / 1e6:.0f} MB, {ncols} columns) in {seconds:.1f} s")
        runs = {}
        for kind, out in (
            ("karavan-parse", work / "native"),
            ("karavan-reload", work / "native"),
            ("pymrio-parse", work / "unused"),
            ("pymrio-save", work / "pymrio"),
            ("pymrio-reload", work / "pymrio"),
        ):
            with open("/proc/loadavg") as f:
                load = f.read().split()[0]
            runs[kind] = _spawn(kind, csv_path, out)
            runs[kind]["loadavg_1min_before"] = float(load)
            print(f"{kind}: {runs[kind]['seconds']:.2f} s", flush=True)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    record["machine_end"] = _machine()
    sums = {k: v.pop("sums") for k, v in runs.items()}
    record["runs"] = runs
    record["agreement_parse"] = _agreement(sums["karavan-parse"], sums["pymrio-parse"])
    record["agreement_reload"] = {
        "karavan": _agreement(sums["karavan-parse"], sums["karavan-reload"]),
        "pymrio": _agreement(sums["pymrio-parse"], sums["pymrio-reload"]),
    }

    print(f"\nmachine: {record['machine_start']}")
    print("\n| step | time (s) | peak memory above start (n x n) | stored (MB) |")
    print("|---|---:|---:|---:|")
    names = {
        "karavan-parse": "karavan: `oecd_icio.read` + `native.write_table`",
        "karavan-reload": "karavan: `native.read_table`",
        "pymrio-parse": "pymrio: `parse_oecd`",
        "pymrio-save": "pymrio: `save_all(table_format='parquet')`",
        "pymrio-reload": "pymrio: `load_all` (parquet)",
    }
    for kind, r in runs.items():
        stored = f"{r['stored_bytes'] / 1e6:.0f}" if "stored_bytes" in r else ""
        extra = ""
        peak = f"{r['peak_above_start_n2']:.2f}"
        if kind == "karavan-parse":
            extra = f" (read {r['read_s']:.2f}, write {r['write_s']:.2f})"
            peak += f" (read {r['read_peak_n2']:.2f}, write {r['write_peak_n2']:.2f})"
        print(f"| {names[kind]} | {r['seconds']:.2f}{extra} | {peak} | {stored} |")
    print(f"\nagreement karavan vs pymrio: {record['agreement_parse']}")
    for key, target in TARGETS.items():
        value = runs[key.removesuffix("_s").replace("_", "-")]["seconds"]
        record[key] = value
        print(f"target {key} <= {target}: {value:.2f} ({'ok' if value <= target else 'MISSED'})")
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(record, indent=1)
    (RESULTS / f"icio-{stamp}.json").write_text(text)
    (RESULTS / "icio-latest.json").write_text(text)


if __name__ == "__main__":
    main()
