"""Measuring helpers shared by the benchmark scripts: peak resident memory and timing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["PeakMeter", "rss_bytes", "status_kb", "timed"]


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
