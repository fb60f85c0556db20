"""Evaluations for the Monte Carlo tests, in an importable module so that spawned pool workers
and Dask workers unpickle them by reference (tests.scenario_models.*)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from karavan.core import LeontiefModel, MRIOTable


class DemandScenario:
    """Final demand of the first region grows by ``growth`` and of the second by ``shift``
    (fractions); outputs the change in output and value added by industry and in stressors
    (stressor x industry). The factorisation is built lazily, once per process, and never
    pickled; ``delay`` seconds of sleep per evaluation make tasks slow on purpose."""

    def __init__(self, table: MRIOTable, delay: float = 0.0) -> None:
        self.table = table
        self.delay = delay
        self._model: LeontiefModel | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"table": self.table, "delay": self.delay}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.table = state["table"]
        self.delay = state["delay"]
        self._model = None

    @property
    def model(self) -> LeontiefModel:
        if self._model is None:
            self._model = LeontiefModel(self.table)
        return self._model

    def __call__(self, values: dict[str, float]) -> dict[str, pd.Series | pd.DataFrame]:
        if self.delay:
            time.sleep(self.delay)
        t = self.table
        Yr = t.Y_by_region
        dy = values["growth"] * Yr[:, 0] + values["shift"] * Yr[:, 1]
        dx = self.model.solve(dy)
        inv_x = self.model.inv_x
        idx = t.industry_index
        dva = t.value_added * inv_x * dx
        dF = t.F * inv_x[None, :] * dx[None, :]
        return {
            "output": pd.Series(dx, index=idx, name="output"),
            "value_added": pd.Series(dva, index=idx, name="value_added"),
            "stressors": pd.DataFrame(
                dF, index=pd.Index(t.stressors, name="stressor"), columns=idx
            ),
        }


class Linear:
    """``y = a + b1 x1 + b2 x2`` as a one-entry Series, and a constant output."""

    def __init__(self, a: float, b1: float, b2: float) -> None:
        self.a, self.b1, self.b2 = a, b1, b2

    def __call__(self, values: dict[str, float]) -> dict[str, pd.Series | pd.DataFrame]:
        y = self.a + self.b1 * values["x1"] + self.b2 * values["x2"]
        return {
            "y": pd.Series([y], index=pd.Index(["total"], name="entry")),
            "constant": pd.Series(np.ones(2), index=pd.Index(["a", "b"], name="entry")),
        }


class KillOnce:
    """Wraps an evaluation: the first evaluation anywhere (no ``marker`` file yet) creates the
    file and ends its own process at once (``os._exit``), as a worker lost mid-task; every
    later evaluation runs ``inner``."""

    def __init__(self, inner: DemandScenario, marker: str) -> None:
        self.inner = inner
        self.marker = marker

    def __call__(self, values: dict[str, float]) -> dict[str, pd.Series | pd.DataFrame]:
        import os

        try:
            fd = os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return self.inner(values)
        os.close(fd)
        os._exit(1)
