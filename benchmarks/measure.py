"""Measuring helpers shared by the benchmark scripts: peak resident memory and timing."""

from __future__ import annotations

import contextlib
import gc
import platform
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["PeakMeter", "cpu_model", "lu_floor_times", "rss_bytes", "status_kb", "timed"]


def status_kb(field: str) -> int | None:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_bytes() -> int:
    kb = status_kb("VmRSS")
    if kb is not None:
        return kb * 1024
    import psutil

    return int(psutil.Process().memory_info().rss)


class PeakMeter:
    """Peak resident set size from now on.

    Resets the kernel's high-water mark (``echo 5 > /proc/self/clear_refs``, Linux >= 4.0) and
    reads ``VmHWM``; where that is not allowed, samples RSS from a thread every millisecond.
    """

    def __init__(self, sample: bool = False) -> None:
        self.method = "VmHWM"
        self._peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        try:
            if sample:
                raise OSError("sampling asked for")
            with open("/proc/self/clear_refs", "w") as f:
                f.write("5")
            if status_kb("VmHWM") is None:
                raise OSError("no VmHWM")
        except OSError:
            self.method = "RSS sampled every 1 ms"
            self._peak = rss_bytes()
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._peak = max(self._peak, rss_bytes())
            time.sleep(0.001)

    def peak(self) -> int:
        if self._thread is None:
            return (status_kb("VmHWM") or 0) * 1024
        self._stop.set()
        self._thread.join()
        return max(self._peak, rss_bytes())


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    """Wall-clock seconds of one call of ``fn`` and its result."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def cpu_model() -> str:
    """The processor's model name from ``/proc/cpuinfo`` (else what ``platform`` knows)."""
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return cpu


def lu_floor_times(table: Any, repeat: int) -> list[float]:
    """The LAPACK floor: seconds of ``dgetrf`` on ``I - A`` of ``table``, formed in Fortran
    order before the clock starts (the factorisation only), ``repeat`` times."""
    import numpy as np
    from scipy.linalg import lapack

    n = table.n
    inv_x = np.divide(1.0, table.x, out=np.zeros(n), where=table.x != 0)
    times = []
    for _ in range(repeat):
        m = np.empty((n, n), order="F")
        np.multiply(table.Z, -inv_x[None, :], out=m)
        m.flat[:: n + 1] += 1.0
        seconds, (lu, _piv, info) = timed(lambda m=m: lapack.dgetrf(m, overwrite_a=True))
        if info != 0:
            raise RuntimeError(f"dgetrf info={info}")
        times.append(seconds)
        del m, lu
        gc.collect()
    return times
