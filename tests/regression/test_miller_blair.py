"""Golden numbers: the two-sector example of Miller and Blair (2009), ch. 2, sec. 2.3.1.

The published figures and their exact rational values live in ``data/miller_blair_ch2.json``
together with the citation. Published figures are checked to half a unit in their last printed
decimal; exact values to 1e-12.
"""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from karavan.core import (
    LeontiefModel,
    MRIOTable,
    TableMetadata,
    leontief_inverse,
    output_multipliers,
    technical_coefficients,
    value_added_coefficients,
    value_added_multipliers,
)
from karavan.testing import assert_frame_allclose

DATA = Path(__file__).parent / "data" / "miller_blair_ch2.json"
REGION = "ECON"


@pytest.fixture(scope="module")
def golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def table(golden: dict[str, Any]) -> MRIOTable:
    inp = golden["inputs"]
    return MRIOTable.from_arrays(
        regions=[REGION],
        sectors=golden["sectors"],
        categories=["final demand"],
        Z=inp["Z"],
        Y=np.array(inp["f"], dtype=float)[:, None],
        x=inp["x"],
        meta=TableMetadata(source="Miller and Blair 2009", citation=golden["source"]["citation"]),
    )


@pytest.fixture(scope="module")
def model(table: MRIOTable) -> LeontiefModel:
    return LeontiefModel(table)


def exact(entry: dict[str, Any]) -> np.ndarray:
    """``numerator / denominator`` evaluated with exact fractions, then rounded once."""
    num = np.array(entry["numerator"], dtype=object)
    den = entry["denominator"]
    return np.vectorize(lambda n: float(Fraction(int(n), den)), otypes=[float])(num)


def published(entry: dict[str, Any]) -> tuple[np.ndarray, float]:
    """The printed values and half a unit in their last printed place."""
    return np.array(entry["value"], dtype=float), 0.5 * 10.0 ** -entry["decimals"]


def industry_frame(values: Any, sectors: list[str]) -> pd.DataFrame:
    idx = pd.MultiIndex.from_product([[REGION], sectors], names=["region", "sector"])
    return pd.DataFrame(np.asarray(values, dtype=float), index=idx, columns=idx)


# ---------------------------------------------------------------------- the golden file itself
def test_golden_file_cites_its_source(golden: dict[str, Any]) -> None:
    assert golden["source"]["citation"].startswith("Miller, R. E. and Blair, P. D. (2009)")
    assert "section 2.3.1" in golden["source"]["location"]


@pytest.mark.parametrize("name", ["L", "x_new"])
def test_published_figures_are_the_exact_values_rounded(golden: dict[str, Any], name: str) -> None:
    # Guards the file against typos: each printed figure is its exact value, rounded.
    value, _ = published(golden["published"][name])
    decimals = golden["published"][name]["decimals"]
    np.testing.assert_array_equal(np.round(exact(golden["exact"][name]), decimals), value)


def test_exact_determinant(golden: dict[str, Any]) -> None:
    A = np.array(golden["published"]["A"]["value"])
    det = golden["exact"]["det_I_minus_A"]
    assert np.linalg.det(np.eye(2) - A) == pytest.approx(
        det["numerator"] / det["denominator"], rel=1e-12
    )


# ---------------------------------------------------------------------- the engine's numbers
def test_table_is_balanced_and_productive(table: MRIOTable) -> None:
    report = table.validate(rtol=1e-12)
    assert report.passed, [c.message for c in report.failures]
    np.testing.assert_allclose(table.value_added, [650.0, 1400.0], rtol=1e-12)


def test_value_added_is_the_payments_sector(table: MRIOTable, golden: dict[str, Any]) -> None:
    np.testing.assert_array_equal(table.value_added, golden["derived"]["value_added"]["value"])


def test_technical_coefficients(table: MRIOTable, golden: dict[str, Any]) -> None:
    value, half_unit = published(golden["published"]["A"])
    A = technical_coefficients(table)
    assert_frame_allclose(A, industry_frame(value, golden["sectors"]), rtol=1e-12, name="A")
    assert np.abs(A.to_numpy() - value).max() <= half_unit


def test_leontief_inverse_to_published_precision(table: MRIOTable, golden: dict[str, Any]) -> None:
    value, half_unit = published(golden["published"]["L"])
    L = leontief_inverse(table).to_numpy()
    assert np.abs(L - value).max() <= half_unit


def test_leontief_inverse_exact(table: MRIOTable, golden: dict[str, Any]) -> None:
    expected = industry_frame(exact(golden["exact"]["L"]), golden["sectors"])
    assert_frame_allclose(leontief_inverse(table), expected, rtol=1e-12, name="L")


def test_baseline_demand_gives_baseline_output(
    model: LeontiefModel, golden: dict[str, Any]
) -> None:
    x = model.solve(np.array(golden["inputs"]["f"], dtype=float))
    np.testing.assert_allclose(x, golden["inputs"]["x"], rtol=1e-12)


def test_new_final_demand_published(model: LeontiefModel, golden: dict[str, Any]) -> None:
    value, half_unit = published(golden["published"]["x_new"])
    x_new = model.solve(np.array(golden["inputs"]["f_new"], dtype=float))
    assert np.abs(x_new - value).max() <= half_unit
    np.testing.assert_allclose(x_new, exact(golden["exact"]["x_new"]), rtol=1e-12)


def test_new_final_demand_residual(model: LeontiefModel, golden: dict[str, Any]) -> None:
    f_new = np.array(golden["inputs"]["f_new"], dtype=float)
    assert model.residual(model.solve(f_new), f_new) <= 1e-12 * 1500


def test_output_multipliers_exact(model: LeontiefModel, golden: dict[str, Any]) -> None:
    m = output_multipliers(model)
    np.testing.assert_allclose(
        m.to_numpy(), exact(golden["derived"]["output_multipliers"]), rtol=1e-12
    )
    assert list(m.index) == [(REGION, s) for s in golden["sectors"]]


def test_value_added_coefficients_and_multipliers(table: MRIOTable, model: LeontiefModel) -> None:
    # v/x = [650/1000, 1400/2000]; a balanced table's value added multipliers are all 1.
    np.testing.assert_allclose(
        value_added_coefficients(table).to_numpy(), [[0.65, 0.70]], rtol=1e-12
    )
    np.testing.assert_allclose(value_added_multipliers(model).to_numpy(), [[1.0, 1.0]], rtol=1e-12)
