"""Value-added closure of a bloc (karavan.core.bloc): hand-computed cases and identities."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core.bloc import (
    bloc_closure,
    bloc_members,
    bloc_value_added,
    bloc_value_added_shares,
)
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable
from karavan.core.value_added import value_added_by_origin
from karavan.errors import LabelError, TableError


def _no_intermediates() -> MRIOTable:
    """Two regions, one sector, no intermediate use: value added = output = what is sold, so
    VA[(i), r] = Y[i, r] and every share is a ratio of final-use entries."""
    Y = np.array([[60.0, 10.0], [30.0, 100.0]])  # rows: A, B producers; cols: A, B final use
    return MRIOTable.from_arrays(
        regions=["A", "B"], sectors=["s"], categories=["hh"], Z=np.zeros((2, 2)), Y=Y
    )


def _with_intermediates() -> MRIOTable:
    """Two regions, one sector; A buys 20 of B's output, B buys nothing from A."""
    Z = np.array([[0.0, 0.0], [20.0, 0.0]])
    Y = np.array([[80.0, 20.0], [30.0, 50.0]])  # x = (100, 100)
    return MRIOTable.from_arrays(regions=["A", "B"], sectors=["s"], categories=["hh"], Z=Z, Y=Y)


def _random(seed: int = 3) -> MRIOTable:
    rng = np.random.default_rng(seed)
    regions, sectors = ["RUS", "KAZ", "CHN", "RoW"], ["AGR", "MAN", "SRV"]
    n = len(regions) * len(sectors)
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=sectors,
        categories=["hh", "gfcf"],
        Z=rng.uniform(1, 10, (n, n)),
        Y=rng.uniform(20, 50, (n, 2 * len(regions))),
    )


def test_members_split_into_present_and_absent_in_given_order() -> None:
    present, absent = bloc_members(("CHN", "RUS", "RoW"), ["RUS", "KAZ", "BLR", "RUS", "CHN"])
    assert present == ("RUS", "CHN")
    assert absent == ("KAZ", "BLR")


def test_closure_without_intermediates_is_a_ratio_of_final_use() -> None:
    model = LeontiefModel(_no_intermediates())
    va = bloc_value_added(model, ["A"])
    # A's final use: 60 from A, 30 from B.
    assert va.total_in_final_use == pytest.approx(90.0)
    assert va.inside == pytest.approx(60.0)
    assert va.closure == pytest.approx(60.0 / 90.0)
    # A's value added (70) goes 60 to A's final use and 10 to B's.
    assert va.bloc_value_added == pytest.approx(70.0)
    abroad = va.absorbed_abroad()
    assert list(abroad.index) == ["B"]
    assert abroad.loc["B", "value_added"] == pytest.approx(10.0)
    assert abroad.loc["B", "share"] == pytest.approx(10.0 / 70.0)


def test_closure_with_intermediates_follows_the_leontief_chain() -> None:
    # A's final use of A's product (80) needs 80 * 20/100 = 16 of B's output, whose value added
    # is all of it (B buys nothing): A's final use embodies 80 - 16 = 64 from A, 16 + 30 from B.
    model = LeontiefModel(_with_intermediates())
    va = bloc_value_added(model, ["A"])
    assert va.in_final_use.loc[("A", "s")] == pytest.approx(64.0)
    assert va.in_final_use.loc[("B", "s")] == pytest.approx(46.0)
    assert va.closure == pytest.approx(64.0 / 110.0)
    # B's final use of A's product (20) carries 16 of A's value added and 4 of B's; with its
    # own product (50) B's final use embodies 16 from A and 54 from B.
    assert va.absorbed.loc["B"] == pytest.approx(16.0)
    assert bloc_closure(model, ["B"]) == pytest.approx(54.0 / 70.0)


def test_by_origin_region_sums_to_the_total_and_shares_to_one() -> None:
    model = LeontiefModel(_random())
    shares = bloc_value_added_shares(model, ["RUS", "KAZ"])
    va = value_added_by_origin(model)
    expected = va[["RUS", "KAZ"]].sum(axis=1).groupby(level="region", sort=False).sum()
    np.testing.assert_allclose(shares.loc[expected.index, "value_added"], expected, rtol=1e-12)
    assert shares["share"].sum() == pytest.approx(1.0)
    assert set(shares.index[shares["inside"]]) == {"RUS", "KAZ"}
    assert shares["value_added"].is_monotonic_decreasing


def test_bloc_value_added_absorbed_everywhere_equals_its_value_added() -> None:
    t = _random()
    va = bloc_value_added(LeontiefModel(t), ["RUS", "KAZ"])
    members = np.repeat(np.isin(t.regions, ["RUS", "KAZ"]), t.n_sectors)
    assert va.bloc_value_added == pytest.approx(float(t.value_added[members].sum()), rel=1e-10)
    outside = va.outside_sources()
    assert set(outside.index.get_level_values("region")) == {"CHN", "RoW"}
    assert outside["value_added"].sum() == pytest.approx(va.total_in_final_use - va.inside)


def test_the_whole_table_as_a_bloc_is_closed() -> None:
    t = _random()
    va = bloc_value_added(LeontiefModel(t), t.regions)
    assert va.closure == pytest.approx(1.0)
    assert va.absorbed_abroad().empty
    assert va.total_in_final_use == pytest.approx(float(t.value_added.sum()), rel=1e-10)


def test_unknown_members_and_empty_blocs_raise() -> None:
    model = LeontiefModel(_random())
    with pytest.raises(LabelError, match="KGZ"):
        bloc_value_added(model, ["RUS", "KGZ"])
    with pytest.raises(LabelError, match="at least one"):
        bloc_value_added(model, [])


def test_a_bloc_without_final_use_has_no_shares() -> None:
    Y = np.array([[5.0, 0.0], [5.0, 0.0]])
    t = MRIOTable.from_arrays(
        regions=["A", "B"], sectors=["s"], categories=["hh"], Z=np.zeros((2, 2)), Y=Y
    )
    with pytest.raises(TableError, match="undefined"):
        bloc_value_added(LeontiefModel(t), ["B"])
