"""Multipliers on Miller and Blair's two-sector table, with a stressor added.

Z = [[150, 500], [200, 100]], x = [1000, 2000], L = [[380, 100], [80, 340]] / 303,
G = diag(x)^-1 L diag(x) = [[380, 200], [40, 340]] / 303. Value added is split into wages
[400, 600] and profits [250, 800]; the stressor CO2 is F = [10, 40], so S = [0.01, 0.02].
"""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core import (
    LeontiefModel,
    MRIOTable,
    direct_coefficients,
    downstream_multipliers,
    multipliers,
    output_multipliers,
    stressor_coefficients,
    stressor_multipliers,
    value_added_coefficients,
    value_added_multipliers,
)
from karavan.errors import ZeroOutputError

L = np.array([[380.0, 100.0], [80.0, 340.0]]) / 303.0
G = np.array([[380.0, 200.0], [40.0, 340.0]]) / 303.0
S = np.array([[0.01, 0.02]])


@pytest.fixture(scope="module")
def model() -> LeontiefModel:
    t = MRIOTable.from_arrays(
        regions=["R"],
        sectors=["a", "b"],
        categories=["f"],
        Z=[[150.0, 500.0], [200.0, 100.0]],
        Y=[[350.0], [1700.0]],
        V=[[400.0, 600.0], [250.0, 800.0]],
        va_components=["wages", "profits"],
        F=[[10.0, 40.0]],
        stressors=["CO2"],
        stressor_units=["kg"],
    )
    return LeontiefModel(t)


def test_output_multipliers(model: LeontiefModel) -> None:
    m = output_multipliers(model)
    np.testing.assert_allclose(m.to_numpy(), [460.0 / 303.0, 440.0 / 303.0], rtol=1e-14)
    assert m.name == "output multiplier"


def test_value_added_coefficients_and_multipliers(model: LeontiefModel) -> None:
    c = value_added_coefficients(model.table)
    np.testing.assert_allclose(c.to_numpy(), [[0.4, 0.3], [0.25, 0.4]], rtol=1e-15)
    assert list(c.index) == ["wages", "profits"]
    m = value_added_multipliers(model)
    np.testing.assert_allclose(m.to_numpy(), c.to_numpy() @ L, rtol=1e-14)
    np.testing.assert_allclose(m.to_numpy().sum(axis=0), [1.0, 1.0], rtol=1e-14)


def test_stressor_coefficients_and_multipliers(model: LeontiefModel) -> None:
    np.testing.assert_allclose(stressor_coefficients(model.table).to_numpy(), S, rtol=1e-15)
    M = stressor_multipliers(model)
    np.testing.assert_allclose(M.to_numpy(), [[5.4 / 303.0, 7.8 / 303.0]], rtol=1e-14)
    assert M.index.name == "stressor"
    # M y = S x = total F: every emission is attributed to some final demand.
    assert float((M.to_numpy() @ np.array([350.0, 1700.0]))[0]) == pytest.approx(50.0, rel=1e-14)


def test_downstream_multipliers(model: LeontiefModel) -> None:
    # M_down = S (G' - I) = ([3.8 + 4.0, 0.4 + 6.8] / 303) - [0.01, 0.02] (pymrio's M_down).
    M_down = downstream_multipliers(model)
    expected = np.array([[7.8 / 303.0 - 0.01, 7.2 / 303.0 - 0.02]])
    np.testing.assert_allclose(M_down.to_numpy(), expected, rtol=1e-13)
    np.testing.assert_allclose(M_down.to_numpy(), S @ (G.T - np.eye(2)), rtol=1e-13)
    # (M_down + S) v = S G' v = S x = total F: every emission is enabled by some primary input.
    v = model.table.value_added
    assert float(((M_down.to_numpy() + S) @ v)[0]) == pytest.approx(50.0, rel=1e-14)
    assert list(M_down.columns) == [("R", "a"), ("R", "b")]


def test_downstream_multipliers_without_stressors() -> None:
    t = MRIOTable.from_arrays(
        regions=["R"], sectors=["a", "b"], categories=["f"], Z=np.eye(2), Y=np.ones((2, 1))
    )
    m = downstream_multipliers(LeontiefModel(t))
    assert m.shape == (0, 2)


def test_direct_coefficients(model: LeontiefModel) -> None:
    d = direct_coefficients(model.table)
    assert list(d.index) == ["wages", "profits", "CO2"]
    assert d.index.name == "account"
    np.testing.assert_allclose(d.to_numpy(), [[0.4, 0.3], [0.25, 0.4], [0.01, 0.02]], rtol=1e-15)


def test_all_multipliers_in_one_frame(model: LeontiefModel) -> None:
    m = multipliers(model)
    assert m.index.names == ["kind", "account", "unit"]
    assert list(m.index) == [
        ("output", "output", "per unit of final demand"),
        ("value added", "wages", "USD per USD"),
        ("value added", "profits", "USD per USD"),
        ("stressor", "CO2", "kg per USD million"),
    ]
    expected = np.vstack(
        [
            output_multipliers(model).to_numpy()[None, :],
            value_added_multipliers(model).to_numpy(),
            stressor_multipliers(model).to_numpy(),
        ]
    )
    np.testing.assert_allclose(m.to_numpy(), expected, rtol=1e-14)


def test_zero_output_industry_with_a_stressor_has_no_coefficient() -> None:
    t = MRIOTable.from_arrays(
        regions=["R"],
        sectors=["a", "b"],
        categories=["f"],
        Z=[[1.0, 0.0], [0.0, 0.0]],
        Y=[[7.0], [0.0]],
        F=[[1.0, 4.0]],
        stressors=["CO2"],
        stressor_units=["kg"],
    )
    with pytest.raises(ZeroOutputError) as excinfo:
        stressor_coefficients(t)
    assert str(excinfo.value) == (
        "industry R/b has zero output but stressor 'CO2' = 4; its coefficient is undefined"
    )
