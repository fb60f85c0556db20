"""RCA, RPOP, Mcp, diversity and ubiquity on a worked example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.errors import LabelError
from karavan.trade.rca import (
    diversity,
    mcp,
    population_vector,
    rca,
    rca_frame,
    rpop,
    rpop_frame,
    ubiquity,
)
from karavan.trade.table import TradeTable

X = np.array([[10.0, 0.0, 30.0], [20.0, 40.0, 0.0]])  # x_c = 40, 60; x_p = 30, 40, 30; x = 100


def test_balassa_rca_by_hand() -> None:
    expected = [[(10 / 40) / 0.3, 0.0, (30 / 40) / 0.3], [(20 / 60) / 0.3, (40 / 60) / 0.4, 0.0]]
    np.testing.assert_allclose(rca(X), expected, rtol=1e-15)
    np.testing.assert_allclose(rca(X)[0], [0.8333333333333334, 0.0, 2.5])


def test_rpop_by_hand() -> None:
    pop = np.array([1.0, 4.0])  # world population 5
    expected = [[10 / (30 / 5), 0.0, 30 / (30 / 5)], [(20 / 4) / (30 / 5), (40 / 4) / (40 / 5), 0]]
    np.testing.assert_allclose(rpop(X, pop), expected, rtol=1e-15)
    np.testing.assert_allclose(rpop(X, pop)[1, :2], [0.8333333333333334, 1.25])


def test_mcp_diversity_ubiquity() -> None:
    M = mcp(rca(X))
    np.testing.assert_array_equal(M, [[0, 0, 1], [1, 1, 0]])
    np.testing.assert_array_equal(mcp(rca(X), threshold=0.8), [[1, 0, 1], [1, 1, 0]])
    np.testing.assert_array_equal(diversity(M), [1, 2])
    np.testing.assert_array_equal(ubiquity(M), [1, 1, 1])


def test_undefined_rows_are_nan_and_count_as_absent() -> None:
    Z = np.vstack([X, np.zeros(3)])
    Z = np.hstack([Z, np.zeros((3, 1))])
    with np.errstate(invalid="ignore"):
        R = rca(Z)
    assert np.isnan(R[2]).all()
    assert np.isnan(R[:, 3]).all()
    np.testing.assert_allclose(R[:2, :3], rca(X))
    np.testing.assert_array_equal(mcp(R)[2], 0)


def test_labelled_frames_and_population_checks() -> None:
    t = TradeTable.from_arrays(exporters=["KAZ", "RUS"], products=["a", "b", "c"], X=X)
    frame = rca_frame(t)
    assert frame.loc["KAZ", "c"] == pytest.approx(2.5)
    pop = pd.Series({"RUS": 4.0, "KAZ": 1.0, "CHN": 99.0})
    assert rpop_frame(t, pop).loc["RUS", "b"] == pytest.approx(1.25)
    np.testing.assert_array_equal(population_vector(t, pop), [1.0, 4.0])
    with pytest.raises(LabelError, match="no population for 1 exporter"):
        population_vector(t, {"KAZ": 1.0})
    with pytest.raises(LabelError, match="one per exporter"):
        rpop(X, [1.0])
