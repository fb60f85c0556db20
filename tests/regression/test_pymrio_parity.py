"""Parity with pymrio on its bundled test system (6 regions x 8 sectors, 2 emissions).

Every account and multiplier karavan computes is compared with pymrio's ``calc_all`` (or with
pymrio's own functions where ``calc_all`` does not produce it) to ``rtol = 1e-9`` plus an
``atol`` of 1e-9 times the largest magnitude of the array, so that exact zeros compare too.
The two agree to about 1e-15 relative, so these tolerances leave room only for round-off.

The test system is not column-balanced (its value added is made up), so its validity is not
asserted here; the accounts are defined for it all the same.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import (
    LeontiefModel,
    MRIOTable,
    downstream_multipliers,
    footprint_accounts,
    ghosh_inverse,
    leontief_inverse,
    stressor_coefficients,
    stressor_multipliers,
    technical_coefficients,
    value_added_by_origin,
)
from karavan.testing import assert_frame_allclose

pymrio = pytest.importorskip("pymrio")

RTOL = 1e-9
ACCOUNTS = ["D_cba", "D_pba", "D_imp", "D_exp", "D_cba_reg", "D_pba_reg", "D_imp_reg", "D_exp_reg"]


def flat(index: pd.Index, name: str) -> pd.Index:
    """pymrio's (stressor, compartment) index as karavan's single-level stressor labels."""
    return pd.Index(["/".join(str(v) for v in t) for t in index], name=name)


def relabel(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """A pymrio result with its row index flattened and named as karavan names it."""
    index = flat(frame.index, name) if frame.index.nlevels > 1 else frame.index.rename(name)
    return pd.DataFrame(frame.to_numpy(), index=index, columns=frame.columns)


def assert_parity(actual: pd.DataFrame, expected: pd.DataFrame, name: str) -> None:
    atol = RTOL * float(np.abs(expected.to_numpy()).max())
    assert atol > 0, f"{name}: the reference is all zeros, the comparison would be empty"
    assert_frame_allclose(actual, expected, rtol=RTOL, atol=atol, name=name)


@pytest.fixture(scope="module")
def io() -> Any:
    system = pymrio.load_test()
    system.calc_all()
    return system


@pytest.fixture(scope="module")
def table(io: Any) -> MRIOTable:
    units = {
        label: str(unit)
        for label, unit in zip(
            flat(io.emissions.F.index, "stressor"), io.emissions.unit["unit"], strict=True
        )
    }
    return MRIOTable.from_frames(
        Z=io.Z,
        Y=io.Y,
        x=io.x["indout"],
        V=io.factor_inputs.F,
        F=relabel(io.emissions.F, "stressor"),
        F_Y=relabel(io.emissions.F_Y, "stressor"),
        units=units,
    )


@pytest.fixture(scope="module")
def model(table: MRIOTable) -> LeontiefModel:
    return LeontiefModel(table)


@pytest.fixture(scope="module")
def G(io: Any) -> pd.DataFrame:
    ghosh: pd.DataFrame = pymrio.calc_G(pymrio.calc_B(io.Z, io.x))
    return ghosh


# ---------------------------------------------------------------------- the table as read
def test_table_holds_the_test_system(table: MRIOTable, io: Any) -> None:
    assert table.regions == tuple(io.get_regions())
    assert table.sectors == tuple(io.get_sectors())
    assert table.categories == tuple(io.get_Y_categories())
    assert (table.n_regions, table.n_sectors, len(table.categories)) == (6, 8, 7)
    assert table.stressors == ("emission_type1/air", "emission_type2/water")
    assert table.stressor_units == ("kg", "kg")
    assert table.va_components == ("Value Added",)
    np.testing.assert_array_equal(table.Z, io.Z.to_numpy())
    np.testing.assert_array_equal(table.Y, io.Y.to_numpy())
    np.testing.assert_array_equal(table.x, io.x["indout"].to_numpy())
    np.testing.assert_array_equal(table.F_Y, io.emissions.F_Y.to_numpy())


# ---------------------------------------------------------------------- coefficients and inverses
def test_technical_coefficients(table: MRIOTable, io: Any) -> None:
    assert_parity(technical_coefficients(table), io.A, "A")


def test_leontief_inverse(table: MRIOTable, io: Any) -> None:
    assert_parity(leontief_inverse(table), io.L, "L")


def test_ghosh_inverse(table: MRIOTable, G: pd.DataFrame) -> None:
    assert_parity(ghosh_inverse(table), G, "G")


def test_stressor_coefficients(table: MRIOTable, io: Any) -> None:
    assert_parity(stressor_coefficients(table), relabel(io.emissions.S, "stressor"), "S")


def test_stressor_multipliers(model: LeontiefModel, io: Any) -> None:
    assert_parity(stressor_multipliers(model), relabel(io.emissions.M, "stressor"), "M")


def test_downstream_multipliers(model: LeontiefModel, io: Any, G: pd.DataFrame) -> None:
    expected = pymrio.calc_M_down(io.emissions.S, G)
    assert_parity(downstream_multipliers(model), relabel(expected, "stressor"), "M_down")


# ---------------------------------------------------------------------- footprint accounts
@pytest.mark.parametrize("account", ACCOUNTS)
def test_emission_accounts(model: LeontiefModel, io: Any, account: str) -> None:
    actual = getattr(footprint_accounts(model), account)
    expected = relabel(getattr(io.emissions, account), "account")
    assert_parity(actual, expected, f"emissions {account}")


@pytest.mark.parametrize("account", ACCOUNTS)
def test_factor_input_accounts(model: LeontiefModel, io: Any, account: str) -> None:
    actual = getattr(footprint_accounts(model, "value_added"), account)
    expected = relabel(getattr(io.factor_inputs, account), "account")
    assert_parity(actual, expected, f"factor_inputs {account}")


def test_accounts_units(model: LeontiefModel) -> None:
    assert footprint_accounts(model).units == {
        "emission_type1/air": "kg",
        "emission_type2/water": "kg",
    }


# ---------------------------------------------------------------------- value added by origin
def test_value_added_by_origin(model: LeontiefModel, io: Any) -> None:
    # VA[(i, s), r] = v_(i,s) / x_(i,s) * (L Y_r)_(i,s), Y_r summed over r's categories.
    Y_by_region = io.Y.T.groupby(level="region", sort=False).sum().T
    va_coefficients = io.factor_inputs.F.sum(axis=0).to_numpy() / io.x["indout"].to_numpy()
    values = va_coefficients[:, None] * (io.L.to_numpy() @ Y_by_region.to_numpy())
    expected = pd.DataFrame(
        values,
        index=io.L.index,
        columns=pd.Index(list(Y_by_region.columns), name="absorbing_region"),
    )
    assert_parity(value_added_by_origin(model), expected, "value added by origin")
