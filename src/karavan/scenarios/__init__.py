"""Scenario lab: declarative scenario specifications and pure runs over the engine.

- :mod:`~karavan.scenarios.spec`: :class:`ScenarioSpec` (YAML/JSON, pydantic) and its shocks;
- :mod:`~karavan.scenarios.distributions`: the distributions a parameter may take;
- :mod:`~karavan.scenarios.runner`: :class:`ScenarioRunner`, one factorisation, Woodbury updates;
- :mod:`~karavan.scenarios.shocks`: a spec's shocks applied to the baseline (the changed state);
- :mod:`~karavan.scenarios.blocs`: per-bloc baseline quantities, cached, and a run's changes;
- :mod:`~karavan.scenarios.results`: :class:`ScenarioResult`;
- :mod:`~karavan.scenarios.store`: saved runs with provenance (:class:`RunStore`).
"""

from karavan.scenarios.results import ScenarioResult
from karavan.scenarios.runner import ScenarioRunner
from karavan.scenarios.spec import ScenarioSpec
from karavan.scenarios.store import DatasetRef, RunStore, compare_runs

__all__ = [
    "DatasetRef",
    "RunStore",
    "ScenarioResult",
    "ScenarioRunner",
    "ScenarioSpec",
    "compare_runs",
]
