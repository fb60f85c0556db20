"""The Leontief and Ghosh models on small tables with exact answers.

The main example is Miller and Blair's two-sector table (ch. 2): Z = [[150, 500], [200, 100]],
x = [1000, 2000], so that det(I - A) = 303/400 and L = [[380, 100], [80, 340]] / 303.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.core import (
    LeontiefModel,
    MRIOTable,
    allocation_coefficients,
    ghosh_inverse,
    leontief_inverse,
    technical_coefficients,
)
from karavan.errors import NotProductiveError, ZeroOutputError
from karavan.testing import assert_frame_allclose

L_EXACT = np.array([[380.0, 100.0], [80.0, 340.0]]) / 303.0
G_EXACT = np.array([[380.0, 200.0], [40.0, 340.0]]) / 303.0  # diag(x)^-1 L diag(x)


def mb_table() -> MRIOTable:
    return MRIOTable.from_arrays(
        regions=["R"],
        sectors=["a", "b"],
        categories=["f"],
        Z=[[150.0, 500.0], [200.0, 100.0]],
        Y=[[350.0], [1700.0]],
    )


def labelled(values: np.ndarray, sectors: tuple[str, ...] = ("a", "b")) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([["R"], list(sectors)], names=["region", "sector"])
    return pd.DataFrame(values, index=idx, columns=idx)


# ---------------------------------------------------------------------- coefficients
def test_technical_coefficients() -> None:
    assert_frame_allclose(
        technical_coefficients(mb_table()),
        labelled(np.array([[0.15, 0.25], [0.20, 0.05]])),
        rtol=1e-15,
        name="A",
    )


def test_allocation_coefficients() -> None:
    # B = diag(x)^-1 Z: each row of Z divided by the seller's output.
    assert_frame_allclose(
        allocation_coefficients(mb_table()),
        labelled(np.array([[0.15, 0.50], [0.10, 0.05]])),
        rtol=1e-15,
        name="B",
    )


def zero_output_table(buys: bool, sells: bool) -> MRIOTable:
    """Industry R/b has zero output; optionally it still buys or sells intermediates."""
    Z = np.array([[1.0, 2.0 if buys else 0.0], [3.0 if sells else 0.0, 0.0]])
    Y = np.array([[7.0], [-3.0 if sells else 0.0]])
    return MRIOTable.from_arrays(
        regions=["R"], sectors=["a", "b"], categories=["inventories"], Z=Z, Y=Y
    )


def test_zero_output_industry_has_zero_coefficients() -> None:
    t = zero_output_table(buys=False, sells=False)
    np.testing.assert_array_equal(t.x, [8.0, 0.0])
    np.testing.assert_array_equal(technical_coefficients(t).to_numpy(), [[0.125, 0.0], [0.0, 0.0]])
    np.testing.assert_array_equal(allocation_coefficients(t).to_numpy(), [[0.125, 0.0], [0.0, 0.0]])
    # Its Leontief column is the unit vector: demand for it is met by itself alone.
    np.testing.assert_allclose(
        leontief_inverse(t).to_numpy(), [[8.0 / 7.0, 0.0], [0.0, 1.0]], rtol=1e-15
    )
    np.testing.assert_allclose(
        ghosh_inverse(t).to_numpy(), [[8.0 / 7.0, 0.0], [0.0, 1.0]], rtol=1e-15
    )


def test_zero_output_industry_buying_inputs_raises() -> None:
    t = zero_output_table(buys=True, sells=False)
    message = (
        "industry R/b has zero output but buys intermediate inputs; "
        "its technical coefficients are undefined"
    )
    with pytest.raises(ZeroOutputError) as excinfo:
        technical_coefficients(t)
    assert str(excinfo.value) == message
    with pytest.raises(ZeroOutputError) as excinfo:
        LeontiefModel(t)
    assert str(excinfo.value) == message


def test_zero_output_industry_selling_raises_in_the_ghosh_model() -> None:
    t = zero_output_table(buys=False, sells=True)
    np.testing.assert_array_equal(t.x, [8.0, 0.0])
    message = (
        "industry R/b has zero output but sells intermediate goods; "
        "its allocation coefficients are undefined"
    )
    with pytest.raises(ZeroOutputError) as excinfo:
        allocation_coefficients(t)
    assert str(excinfo.value) == message
    model = LeontiefModel(t)  # the demand-driven model is defined
    np.testing.assert_allclose(model.solve(t.Y.sum(axis=1)), [8.0, 0.0], rtol=1e-15, atol=1e-15)
    for call in (model.ghosh_inverse, lambda: model.supply_driven_output([1.0, 1.0])):
        with pytest.raises(ZeroOutputError) as excinfo:
            call()
        assert str(excinfo.value) == message


# ---------------------------------------------------------------------- the Leontief model
def test_leontief_inverse_exact() -> None:
    assert_frame_allclose(leontief_inverse(mb_table()), labelled(L_EXACT), rtol=1e-14, name="L")


def test_model_solves_vectors_and_matrices() -> None:
    model = LeontiefModel(mb_table())
    assert model.n == 2
    np.testing.assert_allclose(model.solve([350.0, 1700.0]), [1000.0, 2000.0], rtol=1e-14)
    Yn = np.array([[350.0, 600.0, 1.0], [1700.0, 1500.0, 0.0]])
    np.testing.assert_allclose(model.solve(Yn), L_EXACT @ Yn, rtol=1e-14)
    np.testing.assert_allclose(model.solve_transposed(Yn), L_EXACT.T @ Yn, rtol=1e-14)


def test_solves_do_not_change_the_right_hand_side() -> None:
    model = LeontiefModel(mb_table())
    b = np.array([[350.0, 1.0], [1700.0, 2.0]], order="F")
    before = b.copy()
    model.solve(b)
    model.solve_transposed(b)
    np.testing.assert_array_equal(b, before)


def test_leontief_inverse_is_a_fresh_array() -> None:
    model = LeontiefModel(mb_table())
    L = model.leontief_inverse()
    L[0, 0] = 99.0
    np.testing.assert_allclose(model.leontief_inverse(), L_EXACT, rtol=1e-14)
    np.testing.assert_allclose(model.solve([1.0, 0.0]), L_EXACT[:, 0], rtol=1e-14)


def test_residual() -> None:
    model = LeontiefModel(mb_table())
    assert model.residual(np.array([1000.0, 2000.0]), np.array([350.0, 1700.0])) == 0.0
    # (I - A) [1000, 2000] - [350, 1690] = [0, 10]
    assert model.residual(np.array([1000.0, 2000.0]), np.array([350.0, 1690.0])) == 10.0


def test_singular_system_is_not_productive() -> None:
    t = MRIOTable.from_arrays(
        regions=["R"],
        sectors=["a", "b"],
        categories=["f"],
        Z=[[2.0, 2.0], [2.0, 2.0]],
        Y=[[0.0], [0.0]],
    )
    with pytest.raises(NotProductiveError) as excinfo:
        LeontiefModel(t)
    assert str(excinfo.value) == (
        "(I - A) is singular: U[1,1] is zero (industry R/b); the table is not productive"
    )


# ---------------------------------------------------------------------- the Ghosh model
def test_ghosh_inverse_exact() -> None:
    t = mb_table()
    G = ghosh_inverse(t)
    assert_frame_allclose(G, labelled(G_EXACT), rtol=1e-14, name="G")
    B = allocation_coefficients(t).to_numpy()
    np.testing.assert_allclose(G.to_numpy(), np.linalg.inv(np.eye(2) - B), rtol=1e-14)


def test_supply_driven_output() -> None:
    model = LeontiefModel(mb_table())
    v = np.array([650.0, 1400.0])  # the table's value added
    np.testing.assert_allclose(model.supply_driven_output(v), [1000.0, 2000.0], rtol=1e-14)
    # x' = v' G for any v, and column by column for a matrix of them.
    V = np.array([[1.0, 0.0, 650.0], [0.0, 1.0, 1400.0]])
    np.testing.assert_allclose(model.supply_driven_output(V), G_EXACT.T @ V, rtol=1e-14)
