"""Parity with the Growth Lab's ``ecomplexity`` (PyPI ``ecomplexity`` 0.5.3, test-only): every
metric it reports (rca, rpop, mcp, diversity, ubiquity, eci, pci, density, coi, cog) within
1e-8, on the built-in world data and on generated data, for each of its options.

Known, deliberate differences (tested below as such, not hidden):

- ``knn``: ``ecomplexity`` 0.5.3 computes the proximity-weighted sum over the k nearest
  products and then returns the unweighted count instead (``num_p`` is never used); Karavan
  returns the weighted density the option describes.
- A country with exports but zero diversity (possible with RPOP or a threshold above 1) makes
  ``ecomplexity`` return NaN for the whole year; Karavan confines NaN to that country.
- ``presence_test="both"`` (undocumented; Mcp in {0, 1, 2}) is not offered.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.trade.builtin import load_builtin_trade, population
from karavan.trade.complexity import ComplexityResult, complexity
from karavan.trade.rca import mcp, rca
from karavan.trade.table import TradeTable
from tests.unit.trade.generated import exports_table

ecomplexity_pkg = pytest.importorskip("ecomplexity")

COLS = {"time": "year", "loc": "exporter", "prod": "product", "val": "value"}
METRICS = ("rca", "rpop", "mcp", "diversity", "ubiquity", "eci", "pci", "density", "coi", "cog")
TOL = 1e-8


def reference(table: TradeTable, **options: Any) -> pd.DataFrame:
    data = table.to_frame().assign(year=2000)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its own warnings (NaN coercion, zero rows, ...)
        out = ecomplexity_pkg.ecomplexity(
            data, COLS, verbose=False, check_logsupermodularity=False, **options
        )
    return out.set_index(["exporter", "product"])


def assert_parity(
    ours: ComplexityResult, ref: pd.DataFrame, *, dropped: int = 0
) -> dict[str, float]:
    """Every metric equal within TOL wherever ecomplexity reports one; it reports one for every
    pair but those of the ``dropped`` countries and products with zero exports."""
    mine = ours.long().set_index(["exporter", "product"])
    ref = ref.reindex(mine.index)
    worst = {}
    for col in METRICS:
        if col not in ref.columns or col not in mine.columns:
            continue
        a = mine[col].to_numpy(dtype=np.float64)
        b = ref[col].to_numpy(dtype=np.float64)
        known = ~np.isnan(b)
        assert (~known).sum() == dropped, (col, int((~known).sum()))
        assert not np.isnan(a[known]).any(), col
        worst[col] = float(np.max(np.abs(a[known] - b[known])))
        assert worst[col] <= TOL, (col, worst[col])
    return worst


@pytest.fixture(scope="module")
def world() -> TradeTable:
    return load_builtin_trade("world-sitc2")


@pytest.mark.slow
def test_builtin_world_rca(world: TradeTable) -> None:
    worst = assert_parity(complexity(world), reference(world))
    assert set(worst) == set(METRICS) - {"rpop"}


@pytest.mark.slow
def test_builtin_world_rpop_continuous(world: TradeTable) -> None:
    pop = population()
    t = world.select(exporters=[e for e in world.exporters if e in pop.index])
    pop_frame = pd.DataFrame(
        {"year": 2000, "exporter": list(t.exporters), "pop": pop[list(t.exporters)].to_numpy()}
    )
    ours = complexity(t, presence="rpop", population=pop, continuous=True)
    worst = assert_parity(ours, reference(t, presence_test="rpop", pop=pop_frame, continuous=True))
    assert "rpop" in worst


@pytest.fixture(scope="module")
def generated() -> TradeTable:
    return exports_table(40, 120, seed=21)


def pop_of(t: TradeTable) -> tuple[dict[str, float], pd.DataFrame]:
    """Populations roughly in proportion to exports, so that every country has some RPOP >= 1
    (otherwise ecomplexity returns NaN for the whole year)."""
    values = t.X.sum(axis=1) * np.random.default_rng(1).uniform(0.8, 1.2, len(t.exporters))
    frame = pd.DataFrame({"year": 2000, "exporter": list(t.exporters), "pop": values})
    return dict(zip(t.exporters, values, strict=True)), frame


CASES = [
    ("rca", {}, {}),
    ("threshold 0.8", {"threshold": 0.8}, {"rca_mcp_threshold": 0.8}),
    ("threshold 1.2", {"threshold": 1.2}, {"rca_mcp_threshold": 1.2}),
    ("continuous", {"continuous": True}, {"continuous": True}),
    ("asymmetric", {"asymmetric": True}, {"asymmetric": True}),
    ("rpop", {"presence": "rpop"}, {"presence_test": "rpop"}),
    (
        "rpop continuous",
        {"presence": "rpop", "continuous": True},
        {"presence_test": "rpop", "continuous": True},
    ),
    (
        "rpop threshold",
        {"presence": "rpop", "threshold": 0.7},
        {"presence_test": "rpop", "rpop_mcp_threshold": 0.7},
    ),
]


@pytest.mark.parametrize(("name", "ours", "theirs"), CASES, ids=[c[0] for c in CASES])
def test_generated_options(
    generated: TradeTable, name: str, ours: dict[str, Any], theirs: dict[str, Any]
) -> None:
    pop, pop_frame = pop_of(generated)
    if ours.get("presence") == "rpop":
        ours = {**ours, "population": pop}
        theirs = {**theirs, "pop": pop_frame}
    result = complexity(generated, **ours)
    assert np.isfinite(result.eci).all(), "the case must not have zero-diversity countries"
    assert_parity(result, reference(generated, **theirs))


@pytest.mark.parametrize("continuous", [False, True])
def test_generated_manual_mcp(generated: TradeTable, continuous: bool) -> None:
    M = mcp(rca(generated.X))
    t = TradeTable.from_arrays(exporters=generated.exporters, products=generated.products, X=M)
    ours = complexity(t, presence="manual", continuous=continuous)
    assert_parity(ours, reference(t, presence_test="manual", continuous=continuous))


def test_generated_given_proximity(generated: TradeTable) -> None:
    base = complexity(generated, asymmetric=True)
    phi = base.matrix("proximity")
    edges = phi.stack().rename("proximity").rename_axis(["prod1", "prod2"]).reset_index()
    ours = complexity(generated, proximity=phi)
    assert_parity(ours, reference(generated, proximity_edgelist=edges))


def test_zero_rows_are_dropped_the_same_way() -> None:
    t = exports_table(30, 90, seed=4)
    X = np.zeros((31, 91))
    X[1:, 1:] = t.X
    padded = TradeTable.from_arrays(
        exporters=["ZZZ", *t.exporters], products=["000000x", *t.products], X=X
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        ours = complexity(padded)
    assert np.isnan(ours.eci[0])
    assert np.isnan(ours.pci[0])
    ref = reference(padded.select(exporters=list(t.exporters), products=list(t.products)))
    assert_parity(ours, ref, dropped=31 * 91 - 30 * 90)


def test_knn_differs_as_documented(generated: TradeTable) -> None:
    k = 5
    ours = complexity(generated, knn=k, continuous=True)
    theirs = reference(generated, knn=k, continuous=True)["density"].unstack()
    theirs = theirs.reindex(index=list(generated.exporters), columns=list(generated.products))
    # ecomplexity 0.5.3: the plain sum of RCA over the k products nearest to p
    phi = complexity(generated, continuous=True).proximity.copy()
    np.fill_diagonal(phi, -np.inf)
    nearest = np.argsort(-phi, axis=1)[:, :k]
    assert ours.rca is not None
    plain = np.stack([ours.rca[:, nb].sum(axis=1) for nb in nearest], axis=1)
    np.testing.assert_allclose(theirs.to_numpy(), plain, rtol=1e-12)
    # Karavan: the proximity-weighted mean the option describes
    weights = np.take_along_axis(phi, nearest, axis=1)
    weighted = np.stack(
        [ours.rca[:, nb] @ (w / w.sum()) for nb, w in zip(nearest, weights, strict=True)], axis=1
    )
    np.testing.assert_allclose(ours.density, weighted, rtol=1e-12)
