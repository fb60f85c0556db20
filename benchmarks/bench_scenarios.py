"""Scenario lab benchmark (issue 5): scenarios per second after one factorisation.

    .venv/bin/python benchmarks/bench_scenarios.py [--sizes 3645,9800] [--draws 1000]
        [--workers 2] [--pymrio-runs 2,1] [--no-pymrio]

For each synthetic size (``benchmarks/synthetic.py``) the table is factorised once
(``LeontiefModel``) and then:

- **demand scenario**: a changed final-demand vector ``dy`` (one region's final demand scaled
  by a random growth rate) -> ``dx = L dy`` (one ``getrs``), value added ``dva = v * dx`` and
  the stressors by industry ``dF = S diag(dx)`` (``v = V 1' / x``, ``S = F diag(x)^-1``); timed
  one scenario after the other, and also in batches of ``--batch`` scenarios per solve
  (the columns of one right-hand side);
- **new plant**: the input structure of one industry ``j`` changes by ``delta`` (a plant with
  its own recipe takes a share of the industry), a rank-1 column update of ``A``:
  ``A' = A + delta e_j'``, together with a demand change ``dy``. By Sherman and Morrison
  (1950), with ``M = I - A`` factorised once,

      (M - delta e_j')^-1 b = M^-1 b + (M^-1 delta) (e_j' M^-1 b) / (1 - e_j' M^-1 delta),

  so ``x' = w + z w_j / (1 - z_j)`` with ``w = x + L dy`` and ``z = L delta``: two solves and
  O(n) work (Miller and Blair 2009, section 13.1, on updating ``L`` for changed coefficients).
  Value added of ``j`` per unit of output falls by ``sum(delta)``. Checked once against a
  fresh LU of ``I - A'`` at the smallest size.
- **pymrio reference**: re-running ``IOSystem.calc_all()`` per scenario on the changed final
  demand (what a pymrio user does for a new scenario: A, L, x and the accounts again). Only
  ``--pymrio-runs`` scenarios are timed per size and the per-scenario cost is extrapolated.

The three measurements above are the **bare path** (solves and arrays, no labels). The same
kinds of scenario are then timed through **``ScenarioRunner.run``**, the scenario lab's entry
point (a full ``ScenarioResult``: labelled industries, regions, the bloc's closure before and
after): demand scenarios (one final-demand shock each) one after the other, new plants and
rank-1 coefficient changes (Woodbury), and the demand runs again with ``summary()`` and
``to_frames()``.

Then 1,000 (``--draws``) Monte Carlo draws of a demand scenario (three uncertain growth rates)
on the real WIOD 2011 table (``../shared/data/wiod2013/wiot_2011.RData``): on the bare path with
``karavan.scenarios.montecarlo.monte_carlo``, and through ``monte_carlo_scenario`` (a spec with
three uncertain ``final_demand`` shocks, each draw a ``runner.run(spec, values)``), in-process
and on ``--workers`` processes.

Results go to ``benchmarks/results/scenarios-<timestamp>.json``; a markdown summary is printed.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results"
WIOD = REPO.parent / "shared" / "data" / "wiod2013" / "wiot_2011.RData"
TARGETS = {
    "demand_per_s_at_3645": 100.0,
    "demand_per_s_at_9800": 10.0,
    "new_plant_over_demand_max": 3.0,
    "wiod_1000_draws_s_max": 30.0,
}
SCENARIOS = {3645: 300, 9800: 40}  # demand scenarios timed one by one, per size
BUSY_CORES = 0.1

Array = np.ndarray[Any, np.dtype[np.float64]]


def _load_meter() -> Any:
    from run import _cpu_seconds

    return _cpu_seconds()


def _other_load(before: Any) -> float | None:
    from run import _cpu_seconds, _other_load

    load = _other_load(before, _cpu_seconds())
    return None if load is None else round(load, 2)


class DemandAccounts:
    """Per-scenario accounts over one factorised model: ``dx``, ``dva`` and ``dF``."""

    def __init__(self, model: Any) -> None:
        t = model.table
        self.model = model
        self.x = t.x
        self.v = t.value_added * model.inv_x
        self.S = t.F * model.inv_x[None, :]

    def demand(self, dy: Array) -> tuple[Array, Array, Array]:
        dx = self.model.solve(dy)
        if dx.ndim == 1:
            return dx, self.v * dx, self.S * dx[None, :]
        # a batch: scenarios are columns; stressors as stressor x industry x scenario
        return dx, self.v[:, None] * dx, self.S[:, :, None] * dx[None, :, :]

    def new_plant(self, j: int, delta: Array, dy: Array) -> tuple[Array, Array, Array]:
        """``A' = A + delta e_j'`` and final demand ``y + dy``: changes from the baseline."""
        w = self.x + self.model.solve(dy)
        z = self.model.solve(delta)
        x_new = w + z * (w[j] / (1.0 - z[j]))
        v_new = self.v.copy()
        v_new[j] -= delta.sum()
        dx = x_new - self.x
        return dx, v_new * x_new - self.v * self.x, self.S * dx[None, :]


def _demand_changes(table: Any, k: int, seed: int) -> Array:
    """``k`` demand changes (n x k): region ``r``'s final demand times a growth in [-5%, 10%]."""
    rng = np.random.default_rng(seed)
    Yr = table.Y_by_region
    regions = rng.integers(0, Yr.shape[1], size=k)
    growth = rng.uniform(-0.05, 0.10, size=k)
    return np.asarray(Yr[:, regions] * growth[None, :], order="F")


def _plant(table: Any, model: Any, seed: int) -> tuple[int, Array]:
    """Industry ``j`` and ``delta``: a plant taking 20% of ``j`` with a recipe that buys 30%
    more from its own region's industries and 30% less from the others (same total)."""
    rng = np.random.default_rng(seed)
    j = int(rng.integers(0, table.n))
    a_j = table.Z[:, j] * model.inv_x[j]
    home = np.zeros(table.n, dtype=bool)
    r = j // table.n_sectors
    home[r * table.n_sectors : (r + 1) * table.n_sectors] = True
    recipe = np.where(home, a_j * 1.3, a_j * 0.7)
    recipe *= a_j.sum() / recipe.sum()
    return j, 0.2 * (recipe - a_j)


def _check_new_plant(table: Any, model: Any, accounts: DemandAccounts, seed: int) -> float:
    """Max relative difference of ``x'`` against a fresh LU of ``I - A'`` (O(n^3), once)."""
    from scipy.linalg import lu_factor, lu_solve

    j, delta = _plant(table, model, seed)
    dy = _demand_changes(table, 1, seed)[:, 0]
    dx, _, _ = accounts.new_plant(j, delta, dy)
    # y = (I - A) x, so the baseline demand is recovered from x rather than from Y's rounding
    y = table.x - table.Z @ (model.inv_x * table.x)
    M = np.eye(table.n) - _a_prime(table, model, j, delta)
    x_direct = lu_solve(lu_factor(M, overwrite_a=True), y + dy)
    got = table.x + dx
    return float(np.max(np.abs(got - x_direct) / np.abs(x_direct)))


def _a_prime(table: Any, model: Any, j: int, delta: Array) -> Array:
    A = table.Z * model.inv_x[None, :]
    A[:, j] += delta
    return A


def _pymrio_system(table: Any, dy: Array) -> Any:
    """A pymrio ``IOSystem`` in the state of its scenario workflow
    (``reset_to_coefficients`` then a new ``Y``): ``A``, the stressor coefficients ``S`` and
    ``F_Y``, and final demand with ``dy`` added (spread over each row's categories in
    proportion)."""
    import pymrio

    ind = pd.MultiIndex.from_product([table.regions, table.sectors], names=["region", "sector"])
    fd = pd.MultiIndex.from_product([table.regions, table.categories], names=["region", "category"])
    st = pd.Index(table.stressors, name="stressor")
    inv_x = np.divide(1.0, table.x, out=np.zeros_like(table.x), where=table.x != 0)
    y = table.Y.sum(axis=1)
    Y = table.Y * ((y + dy) / y)[:, None]
    stressors = {
        "name": "stressors",
        "S": pd.DataFrame(table.F * inv_x[None, :], index=st, columns=ind),
        "F_Y": pd.DataFrame(table.F_Y, index=st, columns=fd),
        "unit": pd.DataFrame({"unit": list(table.stressor_units)}, index=st),
    }
    return pymrio.IOSystem(
        A=pd.DataFrame(table.Z * inv_x[None, :], index=ind, columns=ind),
        Y=pd.DataFrame(Y, index=ind, columns=fd),
        stressors=stressors,
    )


def _pymrio_scenario(table: Any, dy: Array) -> float:
    """Seconds for ``calc_all`` on the scenario's system: L, x, Z and all accounts again."""
    io = _pymrio_system(table, dy)
    start = time.perf_counter()
    io.calc_all()
    seconds = time.perf_counter() - start
    del io
    gc.collect()
    return seconds


def _runner_specs(table: Any, kind: str, k: int, seed: int, bloc: list[str]) -> list[Any]:
    """``k`` one-shock specs of ``kind`` on random industries (parsed before the timing):

    - ``final_demand``: final use of one product (all buyers and categories) x a growth in
      [-5%, 10%];
    - ``new_plant``: a plant with output in [10, 100] table units, the recipe of the same
      sector in the first region (``borrow_from``), sourced as the region buys (its purchases
      are a demand on the existing industries: one solve);
    - ``coefficient_change``: every input of one industry x a factor in [0.8, 1.2]: a rank-1
      change of ``A`` (one column), by Woodbury.
    """
    from karavan.scenarios.spec import ScenarioSpec

    rng = np.random.default_rng(seed)
    out = []
    for _ in range(k):
        r = table.regions[int(rng.integers(table.n_regions))]
        s = table.sectors[int(rng.integers(table.n_sectors))]
        shock: dict[str, Any]
        if kind == "final_demand":
            value = float(rng.uniform(-5.0, 10.0))
            shock = {"type": kind, "region": r, "sector": s, "change": "percent", "value": value}
        elif kind == "new_plant":
            q = float(rng.uniform(10.0, 100.0))
            shock = {"type": kind, "region": r, "sector": s, "output": q}
            shock["borrow_from"] = table.regions[0]
        else:
            pct = float(rng.uniform(-20.0, 20.0))
            shock = {"type": kind, "regions": r, "sectors": s, "percent": pct}
        body = {"name": kind, "baseline": {"dataset": "synthetic"}, "bloc": bloc}
        out.append(ScenarioSpec.parse({**body, "shocks": [shock]}))
    return out


def _bench_runner(table: Any, k: int) -> dict[str, Any]:
    """``ScenarioRunner.run`` (the scenario lab's runner: a full ``ScenarioResult`` with the
    bloc's closure before and after, labelled frames): ``k`` demand scenarios one after the
    other, ``k // 2`` new plants and ``k // 2`` rank-1 coefficient changes; ms per run, and
    for demand also per run + ``summary()`` + ``to_frames()`` (bloc = first 3 regions)."""
    from karavan.scenarios.runner import ScenarioRunner

    bloc = list(table.regions[:3])
    t0 = time.perf_counter()
    runner = ScenarioRunner(table, bloc=bloc)
    out: dict[str, Any] = {"init_s": time.perf_counter() - t0, "bloc": bloc}
    counts = {"final_demand": k, "new_plant": max(k // 2, 5), "coefficient_change": max(k // 2, 5)}
    loads: dict[str, Any] = {}
    for seed, (kind, m) in enumerate(counts.items()):
        specs = _runner_specs(table, kind, m, seed + 10, bloc)
        runner.run(specs[0])  # warm-up
        meter = _load_meter()
        t0 = time.perf_counter()
        for sp in specs:
            runner.run(sp)
        out[f"{kind}_ms"] = (time.perf_counter() - t0) / m * 1e3
        out[f"{kind}_runs"] = m
        loads[kind] = _other_load(meter)
        if kind == "final_demand":
            t0 = time.perf_counter()
            for sp in specs:
                res = runner.run(sp)
                res.summary()
                res.to_frames()
            out["final_demand_with_frames_ms"] = (time.perf_counter() - t0) / m * 1e3
    out["demand_per_s"] = 1e3 / out["final_demand_ms"]
    out["new_plant_over_demand"] = out["new_plant_ms"] / out["final_demand_ms"]
    out["rank1_over_demand"] = out["coefficient_change_ms"] / out["final_demand_ms"]
    out["other_load_cores"] = loads
    return out


def bench_size(
    n_key: int, batch: int, pymrio_runs: int, check: bool, runner: bool = True
) -> dict[str, Any]:
    from karavan.core import LeontiefModel
    from synthetic import SIZES, synthetic_table

    size = SIZES[n_key]
    t0 = time.perf_counter()
    table = synthetic_table(size.regions, size.sectors)
    built = time.perf_counter() - t0
    t0 = time.perf_counter()
    model = LeontiefModel(table)
    factorised = time.perf_counter() - t0
    accounts = DemandAccounts(model)
    k = SCENARIOS.get(n_key, 50)
    dys = _demand_changes(table, k, seed=1)
    accounts.demand(dys[:, 0])  # warm-up

    meter = _load_meter()
    t0 = time.perf_counter()
    for i in range(k):
        accounts.demand(np.ascontiguousarray(dys[:, i]))
    demand_s = (time.perf_counter() - t0) / k
    demand_load = _other_load(meter)

    t0 = time.perf_counter()
    for i in range(0, k, batch):
        accounts.demand(dys[:, i : i + batch])
    batched_s = (time.perf_counter() - t0) / k

    j, delta = _plant(table, model, seed=2)
    plants = max(k // 2, 5)
    meter = _load_meter()
    t0 = time.perf_counter()
    for i in range(plants):
        accounts.new_plant(j, delta, np.ascontiguousarray(dys[:, i]))
    plant_s = (time.perf_counter() - t0) / plants
    plant_load = _other_load(meter)

    out: dict[str, Any] = {
        "n": table.n,
        "name": size.name,
        "build_s": built,
        "factorise_s": factorised,
        "demand_scenarios": k,
        "demand_ms": demand_s * 1e3,
        "demand_per_s": 1.0 / demand_s,
        "batch": batch,
        "demand_batched_ms": batched_s * 1e3,
        "demand_batched_per_s": 1.0 / batched_s,
        "new_plant_ms": plant_s * 1e3,
        "new_plant_over_demand": plant_s / demand_s,
        "other_load_cores": {"demand": demand_load, "new_plant": plant_load},
    }
    if check:
        out["new_plant_max_rel_diff_vs_fresh_lu"] = _check_new_plant(table, model, accounts, 3)
    del model, accounts
    gc.collect()
    if runner:
        out["runner"] = _bench_runner(table, k)
        gc.collect()
    if pymrio_runs:
        logging.getLogger("pymrio").setLevel(logging.WARNING)
        meter = _load_meter()
        times = [_pymrio_scenario(table, dys[:, i]) for i in range(pymrio_runs)]
        out["pymrio_calc_all_s"] = times
        out["pymrio_load_cores"] = _other_load(meter)
        per = min(times)
        out["pymrio_per_s"] = 1.0 / per
        out["speedup_vs_pymrio_single"] = per / demand_s
        out["pymrio_extrapolated_s_for_scenarios"] = {
            "100": 100 * per,
            "1000": 1000 * per,
        }
    return out


class WiodDemand:
    """Demand scenario on a table: final demand of ``regions[i]`` grows by ``g_i`` (values
    ``growth_<region>``); outputs the change in output and value added by industry, and in
    stressors where the table has any. Factorised lazily, once per process."""

    def __init__(self, table: Any, regions: list[str]) -> None:
        self.table = table
        self.regions = regions
        self._accounts: DemandAccounts | None = None

    def __getstate__(self) -> dict[str, Any]:
        return {"table": self.table, "regions": self.regions}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.table = state["table"]
        self.regions = state["regions"]
        self._accounts = None

    def __call__(self, values: dict[str, float]) -> dict[str, Any]:
        from karavan.core import LeontiefModel

        if self._accounts is None:
            self._accounts = DemandAccounts(LeontiefModel(self.table))
        t = self.table
        Yr = t.Y_by_region
        dy = np.zeros(t.n)
        for r in self.regions:
            dy += values[f"growth_{r}"] * Yr[:, t.regions.index(r)]
        dx, dva, dF = self._accounts.demand(dy)
        idx = t.industry_index
        out = {"output": pd.Series(dx, index=idx), "value_added": pd.Series(dva, index=idx)}
        if len(t.stressors):
            out["stressors"] = pd.DataFrame(dF, index=pd.Index(t.stressors), columns=idx)
        return out


def bench_wiod(draws: int, workers: int) -> dict[str, Any]:
    import karavan
    from karavan.scenarios.distributions import Normal, Triangular, Uniform
    from karavan.scenarios.montecarlo import monte_carlo

    table = karavan.read(str(WIOD))
    regions = ["RUS", "CHN", "DEU"]
    parameters = {
        "growth_RUS": Normal(mean=0.03, sd=0.01),
        "growth_CHN": Triangular(low=-0.02, mode=0.04, high=0.07),
        "growth_DEU": Uniform(low=-0.01, high=0.02),
    }
    evaluate = WiodDemand(table, regions)
    out: dict[str, Any] = {"n": table.n, "draws": draws, "stressors": len(table.stressors)}
    for w in sorted({1, workers}):
        meter = _load_meter()
        t0 = time.perf_counter()
        result = monte_carlo(evaluate, parameters, n=draws, seed=2011, method="lhs", workers=w)
        seconds = time.perf_counter() - t0
        out[f"workers_{w}_s"] = seconds
        # with pool workers, their CPU time is not this process's: load measured in-process only
        out[f"workers_{w}_load_cores"] = _other_load(meter) if w == 1 else None
    out["runner"] = _bench_wiod_runner(table, draws, workers)
    top = result.percentiles["value_added"]["p50"].abs().idxmax()
    out["example"] = {
        "entry": "/".join(top),
        **{k: float(v) for k, v in result.percentiles["value_added"].loc[top].items()},
        "drivers": result.sensitivity["value_added"].loc[top].round(3).to_dict(),
    }
    return out


def _bench_wiod_runner(table: Any, draws: int, workers: int) -> dict[str, Any]:
    """The same kind of run through the scenario lab's runner: a spec with three uncertain
    final-demand shocks (percent changes), each draw a full ``runner.run(spec, values)``."""
    from karavan.scenarios.montecarlo import monte_carlo_scenario
    from karavan.scenarios.runner import ScenarioRunner
    from karavan.scenarios.spec import ScenarioSpec

    spec = ScenarioSpec.parse(
        {
            "name": "wiod-demand",
            "baseline": {"dataset": "wiod2013", "year": 2011},
            "bloc": ["RUS"],
            "shocks": [
                {"type": "final_demand", "region": "RUS", "sector": "CCP", "change": "percent",
                 "value": {"dist": "normal", "mean": 3.0, "sd": 1.0}},
                {"type": "final_demand", "region": "CHN", "sector": "EOE", "change": "percent",
                 "value": {"dist": "triangular", "low": -2.0, "mode": 4.0, "high": 7.0}},
                {"type": "final_demand", "region": "DEU", "sector": "TRE", "change": "percent",
                 "value": {"dist": "uniform", "low": -1.0, "high": 2.0}},
            ],
        }
    )  # fmt: skip
    out: dict[str, Any] = {}
    for w in sorted({1, workers}):
        meter = _load_meter()
        t0 = time.perf_counter()
        runner = ScenarioRunner(table, bloc=["RUS"])
        out[f"workers_{w}_init_s"] = time.perf_counter() - t0
        monte_carlo_scenario(runner, spec, n=draws, seed=2011, method="lhs", workers=w)
        out[f"workers_{w}_s"] = time.perf_counter() - t0  # runner construction included
        out[f"workers_{w}_load_cores"] = _other_load(meter) if w == 1 else None
    return out


def _summary(res: dict[str, Any]) -> str:
    lines = [
        "Bare path (solve and arrays only):",
        "",
        "| n | table | factorise (s) | demand scenario (ms) | per s | batched per s | "
        "new plant (ms) | new plant / demand | pymrio calc_all (s) | "
        "pymrio / karavan per scenario |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in res["sizes"]:
        pym = s.get("pymrio_calc_all_s")
        ratio = f"{s['speedup_vs_pymrio_single']:.0f}x" if pym else "-"
        lines.append(
            f"| {s['n']} | {s['name']} | {s['factorise_s']:.2f} | {s['demand_ms']:.2f} | "
            f"{s['demand_per_s']:.0f} | {s['demand_batched_per_s']:.0f} (x{s['batch']}) | "
            f"{s['new_plant_ms']:.2f} | {s['new_plant_over_demand']:.2f} | "
            f"{'-' if not pym else f'{min(pym):.2f}'} | "
            f"{ratio} |"
        )
    if any("runner" in s for s in res["sizes"]):
        lines += [
            "",
            "ScenarioRunner.run (full ScenarioResult, closure before/after):",
            "",
            "| n | init (s) | demand (ms) | demand / s | demand + summary + to_frames (ms) | "
            "new plant (ms) | new plant / demand | rank-1 coefficient change (ms) | "
            "rank-1 / demand |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for s in res["sizes"]:
            r = s.get("runner")
            if r:
                lines.append(
                    f"| {s['n']} | {r['init_s']:.2f} | {r['final_demand_ms']:.2f} | "
                    f"{r['demand_per_s']:.0f} | {r['final_demand_with_frames_ms']:.2f} | "
                    f"{r['new_plant_ms']:.2f} | {r['new_plant_over_demand']:.2f} | "
                    f"{r['coefficient_change_ms']:.2f} | {r['rank1_over_demand']:.2f} |"
                )
    w = res.get("wiod")
    if w:
        times = ", ".join(
            f"{k.split('_')[1]} worker(s) {v:.2f} s"
            for k, v in w.items()
            if k.startswith("workers_") and k.endswith("_s")
        )
        lines.append(f"\nWIOD 2011 (n = {w['n']}), {w['draws']} Monte Carlo draws: {times}")
        if "runner" in w:
            times = ", ".join(
                f"{k.split('_')[1]} worker(s) {v:.2f} s"
                for k, v in w["runner"].items()
                if k.startswith("workers_") and k.endswith("_s") and not k.endswith("_init_s")
            )
            lines.append(f"through monte_carlo_scenario (ScenarioRunner.run per draw): {times}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--sizes", default="3645,9800")
    p.add_argument("--draws", type=int, default=1000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--pymrio-runs", default="2,1", help="scenarios timed with pymrio, per size")
    p.add_argument("--no-pymrio", action="store_true")
    p.add_argument("--no-wiod", action="store_true")
    p.add_argument("--no-runner", action="store_true", help="skip ScenarioRunner.run timings")
    args = p.parse_args(argv)
    sys.path.insert(0, str(HERE))
    from run import machine_info

    sizes = [int(s) for s in args.sizes.split(",") if s]
    runs = [int(r) for r in args.pymrio_runs.split(",")]
    runs += [runs[-1]] * (len(sizes) - len(runs))
    res: dict[str, Any] = {"machine": machine_info(), "targets": TARGETS, "sizes": []}
    for i, n in enumerate(sizes):
        print(f"size {n} ...", flush=True)
        res["sizes"].append(
            bench_size(
                n,
                args.batch,
                0 if args.no_pymrio else runs[i],
                check=i == 0,
                runner=not args.no_runner,
            )
        )
        print(json.dumps(res["sizes"][-1], indent=1, default=str), flush=True)
    if not args.no_wiod and WIOD.is_file():
        print("WIOD Monte Carlo ...", flush=True)
        res["wiod"] = bench_wiod(args.draws, args.workers)
        print(json.dumps(res["wiod"], indent=1, default=str), flush=True)
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"scenarios-{stamp}.json"
    path.write_text(json.dumps(res, indent=1, default=str))
    print(_summary(res))
    print(f"\nresults: {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
