"""Structural decomposition of the change in closure (karavan.core.gvc.sda)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.core.gvc.closure import closure_indicators
from karavan.core.gvc.sda import DRIVERS, MEASURES, closure_sda
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable, TableMetadata
from karavan.errors import LabelError, TableError


def two_regions(y_from_a: float, y_from_b: float, va_a: float, year: int) -> MRIOTable:
    """Regions A (the bloc) and B, one sector, no intermediate use: d = v * y. A's final use
    buys ``y_from_a`` from A and ``y_from_b`` from B; A's value added is ``va_a`` per unit of
    output (given apart from x: the table need not balance for this)."""
    Y = np.array([[y_from_a, 10.0], [y_from_b, 50.0]])
    x = Y.sum(axis=1)
    return MRIOTable.from_arrays(
        regions=["A", "B"],
        sectors=["s"],
        categories=["hh"],
        Z=np.zeros((2, 2)),
        Y=Y,
        x=x,
        V=(np.array([va_a, 1.0]) * x)[None, :],
        va_components=["va"],
        meta=TableMetadata(year=year),
    )


def random_table(seed: int, year: int, sectors: int = 3) -> MRIOTable:
    rng = np.random.default_rng(seed)
    regions = ["RUS", "KAZ", "CHN", "RoW"]
    n = len(regions) * sectors
    A = rng.uniform(0.0, 1.0, (n, n)) * (rng.random((n, n)) < 0.7)
    A *= rng.uniform(0.2, 0.7, n)[None, :] / np.maximum(A.sum(axis=0), 1e-9)[None, :]
    Y = rng.uniform(5.0, 100.0, (n, 2 * len(regions)))
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=[f"S{j}" for j in range(sectors)],
        categories=["hh", "gfcf"],
        Z=A * x[None, :],
        Y=Y,
        x=x,
        meta=TableMetadata(year=year),
    )


def test_two_drivers_by_hand() -> None:
    # Closure c = v_A y_A / (v_A y_A + y_B): 60/100 -> 40/60 as v_A halves and sourcing moves
    # from (60, 40) to (80, 20). Average of the two orderings:
    # value added:  ((30/70 - 60/100) + (40/60 - 80/100)) / 2 = -16/105
    # sourcing:     ((80/100 - 60/100) + (40/60 - 30/70)) / 2 =  23/105
    sda = closure_sda(two_regions(60, 40, 1.0, 2000), two_regions(80, 20, 0.5, 2010), ["A"])
    effects = sda.effects["closure"]
    assert effects["value_added_coefficients"] == pytest.approx(-16 / 105, rel=1e-12)
    assert effects["final_demand_sourcing"] == pytest.approx(23 / 105, rel=1e-12)
    for driver in ("technology", "intermediate_sourcing", "final_demand_mix", "final_demand_level"):
        assert effects[driver] == pytest.approx(0.0, abs=1e-15)
    assert sda.values.loc["closure", "start"] == pytest.approx(0.6)
    assert sda.values.loc["closure", "end"] == pytest.approx(2 / 3)
    assert effects.sum() == pytest.approx(1 / 15, rel=1e-12)
    # Leakage (value added from B) goes 40 -> 20, all through sourcing (v_B stays 1).
    leakage = sda.effects["leakage"]
    assert leakage["final_demand_sourcing"] == pytest.approx(-20.0)
    assert leakage["value_added_coefficients"] == pytest.approx(0.0, abs=1e-12)
    assert (sda.start_year, sda.end_year) == (2000, 2010)


def test_a_doubled_final_demand_is_all_level() -> None:
    t0 = random_table(1, 2000)
    t1 = MRIOTable.from_arrays(
        regions=t0.regions,
        sectors=t0.sectors,
        categories=t0.categories,
        Z=2 * t0.Z,
        Y=2 * t0.Y,
        x=2 * t0.x,
        meta=TableMetadata(year=2001),
    )
    sda = closure_sda(t0, t1, "EAEU")
    assert sda.values.loc["closure", "change"] == pytest.approx(0.0, abs=1e-15)
    np.testing.assert_allclose(sda.effects["closure"], 0.0, atol=1e-15)
    leak0 = closure_indicators(LeontiefModel(t0), "EAEU").leakage
    assert sda.effects.loc["final_demand_level", "leakage"] == pytest.approx(leak0, rel=1e-12)
    others = sda.effects.drop(index="final_demand_level")["leakage"]
    np.testing.assert_allclose(others, 0.0, atol=1e-9 * leak0)


def test_effects_sum_to_the_change_and_values_match_the_indicators() -> None:
    t0, t1 = random_table(1, 2000), random_table(2, 2010)
    sda = closure_sda(t0, t1, ["RUS", "KAZ"], name="EAEU2")
    assert sda.bloc.name == "EAEU2"
    assert list(sda.effects.index) == list(DRIVERS)
    assert list(sda.effects.columns) == list(MEASURES)
    np.testing.assert_allclose(
        sda.effects.sum().to_numpy(), sda.values["change"].to_numpy(), rtol=1e-10, atol=1e-13
    )
    for year, t in (("start", t0), ("end", t1)):
        ind = closure_indicators(LeontiefModel(t), ["RUS", "KAZ"])
        got = sda.values[year]
        assert got["closure"] == pytest.approx(ind.closure, rel=1e-12)
        assert got["leakage"] == pytest.approx(ind.leakage, rel=1e-12)
        assert got["created_inside"] == pytest.approx(ind.inside, rel=1e-12)
        assert got["value_added_in_final_demand"] == pytest.approx(
            ind.total_in_final_demand, rel=1e-12
        )
    # The closure is a ratio: the level of final demand does not move it.
    assert sda.effects.loc["final_demand_level", "closure"] == pytest.approx(0.0, abs=1e-15)
    shares = sda.shares_of_change()
    assert shares["leakage"].sum() == pytest.approx(1.0)


def test_products_unused_in_one_year_keep_the_other_years_sourcing() -> None:
    # Sector S2 has no final use in the first year: its sourcing is taken from the second, so
    # the new demand for it shows as mix, not as sourcing.
    t1 = random_table(2, 2010)
    Y0 = t1.Y.copy()
    Y0[2::3, :] = 0.0
    x0 = np.linalg.solve(np.eye(t1.n) - t1.Z / t1.x[None, :], Y0.sum(axis=1))
    t0 = MRIOTable.from_arrays(
        regions=t1.regions,
        sectors=t1.sectors,
        categories=t1.categories,
        Z=(t1.Z / t1.x[None, :]) * x0[None, :],
        Y=Y0,
        x=x0,
        meta=TableMetadata(year=2000),
    )
    sda = closure_sda(t0, t1, "EAEU")
    np.testing.assert_allclose(
        sda.effects.sum().to_numpy(), sda.values["change"].to_numpy(), rtol=1e-10, atol=1e-13
    )
    # Same technology and sourcing of intermediates in both years.
    np.testing.assert_allclose(sda.effects.loc["technology"], 0.0, atol=1e-9)
    np.testing.assert_allclose(sda.effects.loc["intermediate_sourcing"], 0.0, atol=1e-9)


def test_tables_with_other_labels_raise() -> None:
    t0 = random_table(1, 2000)
    other = random_table(2, 2010, sectors=4)
    with pytest.raises(LabelError, match="share their sectors"):
        closure_sda(t0, other, "EAEU")
    renamed = MRIOTable.from_arrays(
        regions=["RUS", "BLR", "CHN", "RoW"],
        sectors=t0.sectors,
        categories=t0.categories,
        Z=t0.Z,
        Y=t0.Y,
    )
    with pytest.raises(LabelError, match="position 1 'KAZ'"):
        closure_sda(t0, renamed, "EAEU")


def test_final_demand_that_cancels_out_cannot_be_split() -> None:
    t = random_table(1, 2000)
    Y = t.Y.copy()
    # Sector S0's final use by RUS: +30 from RUS, -30 from KAZ, nothing elsewhere.
    Y[0::3, 0:2] = 0.0
    Y[0, 0], Y[3, 0] = 30.0, -30.0
    bad = MRIOTable.from_arrays(
        regions=t.regions,
        sectors=t.sectors,
        categories=t.categories,
        Z=t.Z,
        Y=Y,
        meta=TableMetadata(year=2001),
    )
    with pytest.raises(TableError, match="cannot be split"):
        closure_sda(t, bad, ["RUS"])


def test_effects_frame_is_labelled() -> None:
    sda = closure_sda(random_table(1, 2000), random_table(3, 2005), "EAEU")
    assert isinstance(sda.effects, pd.DataFrame)
    assert sda.effects.index.name == "driver"
    assert sda.values.columns.tolist() == ["start", "end", "change"]
