"""Closure of a bloc's value chains (karavan.core.gvc.closure): hand-computed cases."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.core.gvc.closure import (
    closure_indicators,
    closure_series,
    extra_bloc_exports,
    value_added_leakage,
    value_added_linkage,
)
from karavan.core.gvc.economies import Bloc, bloc_members, economies, resolve_bloc
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable, TableMetadata
from karavan.core.value_added import value_added_by_origin
from karavan.errors import BlocError, ConcordanceError, LabelError, TableError


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


def chain(year: int = 2011) -> MRIOTable:
    """Three regions, one sector, a chain C -> A -> B: A buys 10 from C, B buys 20 from A.

    Every output is 100, so a_CA = 0.1, a_AB = 0.2, v = (0.9, 0.8, 1.0) and
    L = I + A + A^2 with L[C, B] = 0.1 * 0.2 = 0.02. Final use (rows: producer A, B, C):
    A's (50, 5, 15), B's (10, 60, 5), C's (20, 35, 70).
    """
    Z = np.zeros((3, 3))
    Z[0, 1] = 20.0  # A -> B
    Z[2, 0] = 10.0  # C -> A
    Y = np.array([[50.0, 10.0, 20.0], [5.0, 60.0, 35.0], [15.0, 5.0, 70.0]])
    return MRIOTable.from_arrays(
        regions=["A", "B", "C"],
        sectors=["s"],
        categories=["hh"],
        Z=Z,
        Y=Y,
        meta=TableMetadata(year=year),
    )


def _random(seed: int = 3, year: int | None = None) -> MRIOTable:
    rng = np.random.default_rng(seed)
    regions, sectors = ["RUS", "KAZ", "CHN", "RoW"], ["AGR", "MAN", "SRV"]
    n = len(regions) * len(sectors)
    return MRIOTable.from_arrays(
        regions=regions,
        sectors=sectors,
        categories=["hh", "gfcf"],
        Z=rng.uniform(1, 10, (n, n)),
        Y=rng.uniform(20, 50, (n, 2 * len(regions))),
        meta=TableMetadata(year=year),
    )


# ---------------------------------------------------------------------- the bloc
def test_members_split_into_present_and_absent_in_given_order() -> None:
    present, absent = bloc_members(("CHN", "RUS", "RoW"), ["RUS", "KAZ", "BLR", "RUS", "CHN"])
    assert present == ("RUS", "CHN")
    assert absent == ("KAZ", "BLR")


def test_a_named_bloc_skips_and_reports_absent_members() -> None:
    b = resolve_bloc(("RUS", "CHN", "RoW"), "eaeu")
    assert b == Bloc(
        name="EAEU",
        members=("RUS", "KAZ", "BLR", "ARM", "KGZ"),
        present=("RUS",),
        absent=("KAZ", "BLR", "ARM", "KGZ"),
    )
    plus = resolve_bloc(("RUS", "CHN", "RoW"), "EAEU+CHN")
    assert plus.present == ("RUS", "CHN")
    custom = resolve_bloc(("RUS", "CHN", "RoW"), ["CHN", "XYZ"])
    assert (custom.name, custom.present, custom.absent) == ("CHN+XYZ", ("CHN",), ("XYZ",))
    assert resolve_bloc(("RUS", "CHN"), ["CHN"], name="Asia").name == "Asia"
    assert resolve_bloc(("RUS", "CHN"), b).present == ("RUS",)


def test_unknown_empty_and_unresolved_blocs_raise() -> None:
    with pytest.raises(ConcordanceError, match="unknown bloc 'MERCOSUR'"):
        resolve_bloc(("RUS",), "MERCOSUR")
    with pytest.raises(ConcordanceError, match="at least one"):
        resolve_bloc(("RUS",), [])
    with pytest.raises(ConcordanceError, match="no member among the table's regions"):
        resolve_bloc(("CHN", "RoW"), "EAEU")
    with pytest.raises(ConcordanceError, match="KAZ"):
        closure_indicators(LeontiefModel(_random()), ["BLR", "ARM"])


def test_economies_resolve_their_blocs_the_same_way() -> None:
    # one resolver for a single bloc (closure) and for the blocs merged into economies (TiVA,
    # Borin-Mancini): the same names, the same errors, caught as label or concordance errors
    t = _random()
    econ = economies(t, ["eaeu"])
    assert econ.labels == ("EAEU", "CHN", "RoW")
    assert econ.blocs == {"EAEU": ("RUS", "KAZ")}
    assert econ.absent == {"EAEU": ("BLR", "ARM", "KGZ")}
    assert econ.blocs["EAEU"] == resolve_bloc(t.regions, "EAEU").present
    for spec in (["MERCOSUR"], {"X": ()}, {"X": ("ARM",)}):
        with pytest.raises(BlocError) as excinfo:
            economies(t, spec)
        assert isinstance(excinfo.value, LabelError)
        assert isinstance(excinfo.value, ConcordanceError)


def test_extra_bloc_exports_are_the_members_sales_to_non_members() -> None:
    e = extra_bloc_exports(chain(), ["A", "B"])
    assert list(e.columns) == ["C"]
    np.testing.assert_allclose(e["C"].to_numpy(), [20.0, 35.0])  # final sales; no Z to C
    t = _random()
    e = extra_bloc_exports(t, ["RUS", "KAZ"])
    Z, Y = t.Z_frame, t.Y_frame
    expected = Z.loc[("RUS", "MAN"), "CHN"].sum() + Y.loc[("RUS", "MAN"), "CHN"].sum()
    assert e.loc[("RUS", "MAN"), "CHN"] == pytest.approx(expected)


# ---------------------------------------------------------------------- final demand
def test_closure_without_intermediates_is_a_ratio_of_final_use() -> None:
    ind = closure_indicators(LeontiefModel(_no_intermediates()), ["A"])
    # A's final use: 60 from A, 30 from B.
    assert ind.total_in_final_demand == pytest.approx(90.0)
    assert ind.inside == pytest.approx(60.0)
    assert ind.closure == pytest.approx(60.0 / 90.0)
    assert ind.leakage == pytest.approx(30.0)
    assert ind.leakage_share == pytest.approx(30.0 / 90.0)
    # A's value added (70) goes 60 to A's final use and 10 to B's.
    assert ind.bloc_value_added == pytest.approx(70.0)
    abroad = ind.absorbed_abroad()
    assert list(abroad.index) == ["B"]
    assert abroad.loc["B", "value_added"] == pytest.approx(10.0)
    assert abroad.loc["B", "share"] == pytest.approx(10.0 / 70.0)
    # Exports to B: 10 of final goods, all A's value added.
    assert ind.gross_exports == pytest.approx(10.0)
    assert ind.export_closure == pytest.approx(1.0)


def test_closure_with_intermediates_follows_the_leontief_chain() -> None:
    # A's final use of A's product (80) needs 80 * 20/100 = 16 of B's output, whose value added
    # is all of it (B buys nothing): A's final use embodies 80 - 16 = 64 from A, 16 + 30 from B.
    model = LeontiefModel(_with_intermediates())
    ind = closure_indicators(model, ["A"])
    assert ind.final_demand.loc[("A", "s")] == pytest.approx(64.0)
    assert ind.final_demand.loc[("B", "s")] == pytest.approx(46.0)
    assert ind.closure == pytest.approx(64.0 / 110.0)
    # B's final use of A's product (20) carries 16 of A's value added and 4 of B's; with its
    # own product (50) B's final use embodies 16 from A and 54 from B.
    assert ind.absorbed.loc["B"] == pytest.approx(16.0)
    assert closure_indicators(model, ["B"]).closure == pytest.approx(54.0 / 70.0)


def test_three_region_chain_by_hand() -> None:
    ind = closure_indicators(LeontiefModel(chain()), ["A", "B"], name="AB")
    assert ind.bloc.name == "AB"
    assert ind.year == 2011
    # y_B = (60, 65, 20); L y_B = (60 + 0.2 * 65, 65, 0.1 * 60 + 0.02 * 65 + 20) = (73, 65, 27.3)
    np.testing.assert_allclose(ind.final_demand.to_numpy(), [0.9 * 73, 0.8 * 65, 27.3])
    assert ind.total_in_final_demand == pytest.approx(145.0)
    assert ind.inside == pytest.approx(117.7)
    assert ind.closure == pytest.approx(117.7 / 145.0)
    assert ind.leakage == pytest.approx(27.3)
    leak = ind.leakage_by_origin()
    assert list(leak.index) == [("C", "s")]
    assert leak.loc[("C", "s"), "share"] == pytest.approx(27.3 / 145.0)
    # Bloc value added by absorbing region: 49.9 in A, 67.8 in B, 52.3 in C (sum 90 + 80).
    np.testing.assert_allclose(ind.absorbed.to_numpy(), [49.9, 67.8, 52.3])
    assert ind.absorbed_outside == pytest.approx(52.3)
    # VA of A in A's final use: 0.9 * (50 + 0.2 * 5); of A in B's: 0.9 * (10 + 0.2 * 60).
    expected = pd.DataFrame(
        [[45.9, 19.8], [4.0, 48.0]],
        index=pd.Index(["A", "B"], name="origin"),
        columns=pd.Index(["A", "B"], name="member"),
    )
    pd.testing.assert_frame_equal(ind.linkage_final_demand, expected, rtol=1e-12)


def test_three_region_chain_exports_by_hand() -> None:
    ind = closure_indicators(LeontiefModel(chain()), ["A", "B"])
    # Extra-bloc exports: A 20, B 35 (final goods to C). L e = (20 + 0.2 * 35, 35, 2 + 0.7).
    assert ind.gross_exports == pytest.approx(55.0)
    w = ind.exports["value_added"].to_numpy()
    np.testing.assert_allclose(w, [0.9 * 27, 0.8 * 35, 2.7])
    assert ind.export_value_added == pytest.approx(55.0)
    assert ind.export_inside == pytest.approx(52.3)
    assert ind.export_leakage == pytest.approx(2.7)
    assert ind.export_closure == pytest.approx(52.3 / 55.0)
    assert ind.export_leakage_share == pytest.approx(2.7 / 55.0)
    # Nothing the bloc exports comes back to it: no double counting.
    np.testing.assert_allclose(ind.exports["first_crossing"].to_numpy(), w)
    np.testing.assert_allclose(ind.exports["double_counted"].to_numpy(), 0.0, atol=1e-12)
    assert ind.export_first_crossing_closure == pytest.approx(52.3 / 55.0)
    # A's exports (20) carry 18 of A's and 2 of C's value added; B's (35) 6.3 of A's, 28 of B's.
    np.testing.assert_allclose(ind.linkage_exports.to_numpy(), [[18.0, 6.3], [0.0, 28.0]])
    leak = value_added_leakage(LeontiefModel(chain()), ["A", "B"], use="exports")
    assert leak.loc[("C", "s"), "value_added"] == pytest.approx(2.7)


def test_value_added_coming_back_is_double_counted() -> None:
    # C buys 10 of A's output and sells 10 to A: A's value added leaves, comes back in C's
    # goods and leaves again in A's exports.
    Z = np.zeros((3, 3))
    Z[0, 2] = 10.0  # A -> C
    Z[2, 0] = 10.0  # C -> A
    Y = np.array([[60.0, 10.0, 20.0], [5.0, 60.0, 35.0], [15.0, 5.0, 60.0]])
    t = MRIOTable.from_arrays(regions=["A", "B", "C"], sectors=["s"], categories=["hh"], Z=Z, Y=Y)
    ind = closure_indicators(LeontiefModel(t), ["A", "B"])
    dc = ind.exports["double_counted"]
    assert dc.loc[("A", "s")] > 0.0
    assert ind.exports["value_added"].sum() == pytest.approx(ind.gross_exports)
    # First crossing = the bloc's value added lost without its extra-bloc exports (Los, Timmer
    # and de Vries 2016): remove A -> C (Z and final) and B -> C, solve again.
    A = t.Z / t.x[None, :]
    A_x = A.copy()
    A_x[:2, 2] = 0.0
    y_x = t.Y.sum(axis=1) - t.Y[:, 2] * np.array([1.0, 1.0, 0.0])
    x_x = np.linalg.solve(np.eye(3) - A_x, y_x)
    v = t.value_added / t.x
    extracted = float((v * (t.x - x_x))[:2].sum())
    f = ind.exports["first_crossing"]
    assert float(f.iloc[:2].sum()) == pytest.approx(extracted, rel=1e-12)


def test_linkage_and_leakage_sum_to_the_totals() -> None:
    model = LeontiefModel(_random())
    ind = closure_indicators(model, ["RUS", "KAZ"])
    assert float(ind.linkage_final_demand.to_numpy().sum()) == pytest.approx(ind.inside)
    assert float(ind.linkage_exports.to_numpy().sum()) == pytest.approx(ind.export_inside)
    assert ind.leakage_by_origin()["value_added"].sum() == pytest.approx(ind.leakage)
    assert ind.closure + ind.leakage_share == pytest.approx(1.0)
    va = value_added_by_origin(model)
    np.testing.assert_allclose(
        ind.final_demand.to_numpy(), va[["RUS", "KAZ"]].sum(axis=1).to_numpy(), rtol=1e-12
    )
    np.testing.assert_allclose(
        ind.linkage_final_demand.to_numpy(),
        va[["RUS", "KAZ"]].groupby(level="region", sort=False).sum().loc[["RUS", "KAZ"]],
        rtol=1e-12,
    )
    pd.testing.assert_frame_equal(
        value_added_linkage(model, ["RUS", "KAZ"], use="exports"), ind.linkage_exports
    )
    with pytest.raises(LabelError, match="use must be"):
        value_added_linkage(model, ["RUS"], use="imports")  # type: ignore[arg-type]


def test_by_origin_region_sums_to_the_total_and_shares_to_one() -> None:
    ind = closure_indicators(LeontiefModel(_random()), ["RUS", "KAZ"])
    shares = ind.by_origin_region()
    assert shares["share"].sum() == pytest.approx(1.0)
    assert set(shares.index[shares["inside"]]) == {"RUS", "KAZ"}
    assert shares["value_added"].is_monotonic_decreasing
    assert set(ind.outside_sources().index.get_level_values("region")) == {"CHN", "RoW"}


def test_the_whole_table_as_a_bloc_is_closed() -> None:
    t = _random()
    ind = closure_indicators(LeontiefModel(t), t.regions)
    assert ind.closure == pytest.approx(1.0)
    assert ind.leakage == 0.0
    assert ind.absorbed_abroad().empty
    assert ind.total_in_final_demand == pytest.approx(float(t.value_added.sum()), rel=1e-10)
    assert ind.gross_exports == 0.0
    assert np.isnan(ind.export_closure)
    assert np.isnan(ind.export_leakage_share)


def test_a_bloc_without_final_use_has_no_shares() -> None:
    Y = np.array([[5.0, 0.0], [5.0, 0.0]])
    t = MRIOTable.from_arrays(
        regions=["A", "B"], sectors=["s"], categories=["hh"], Z=np.zeros((2, 2)), Y=Y
    )
    with pytest.raises(TableError, match="undefined"):
        closure_indicators(LeontiefModel(t), ["B"])


# ---------------------------------------------------------------------- series
def test_closure_series_has_one_row_per_year_equal_to_the_indicators() -> None:
    tables = [_random(seed, year) for seed, year in ((5, 2011), (4, 2010), (3, 2009))]
    series = closure_series(iter(tables), "EAEU")
    assert list(series.index) == [2009, 2010, 2011]
    assert series.index.name == "year"
    assert set(series["members"]) == {"RUS+KAZ"}
    for t in tables:
        ind = closure_indicators(LeontiefModel(t), ["RUS", "KAZ"])
        row = series.loc[t.meta.year]
        assert row["closure"] == pytest.approx(ind.closure, rel=1e-12)
        assert row["leakage"] == pytest.approx(ind.leakage, rel=1e-12)
        assert row["export_closure"] == pytest.approx(ind.export_closure, rel=1e-12)
        assert row["closure"] + row["leakage_share"] == pytest.approx(1.0)


def test_closure_series_needs_distinct_years() -> None:
    with pytest.raises(LabelError, match="year"):
        closure_series([_random()], "EAEU")
    with pytest.raises(LabelError, match="two tables for year 2011"):
        closure_series([_random(1, 2011), _random(2, 2011)], "EAEU")
    with pytest.raises(LabelError, match="at least one"):
        closure_series([], "EAEU")


def test_export_split_equals_borin_mancini_at_the_bloc_perimeter() -> None:
    # An independent implementation: Borin and Mancini's source-based decomposition with the
    # bloc as one exporter (DC = DVA + DDC inside, FC = FVA + FDC outside).
    bm_module = pytest.importorskip("karavan.core.gvc.borin_mancini")
    model = LeontiefModel(_random(seed=11))
    ind = closure_indicators(model, ["RUS", "KAZ"])
    bm = bm_module.borin_mancini(model, perspective="source", blocs={"B": ("RUS", "KAZ")})
    row = bm.loc["B"]
    e = ind.exports
    inside = e.index.get_level_values("region").isin(["RUS", "KAZ"])
    assert ind.gross_exports == pytest.approx(float(row["EXGR"]), rel=1e-12)
    assert float(e["first_crossing"][inside].sum()) == pytest.approx(float(row["DVA"]), rel=1e-10)
    assert float(e["double_counted"][inside].sum()) == pytest.approx(float(row["DDC"]), rel=1e-9)
    assert float(e["first_crossing"][~inside].sum()) == pytest.approx(float(row["FVA"]), rel=1e-10)
    assert float(e["double_counted"][~inside].sum()) == pytest.approx(float(row["FDC"]), rel=1e-9)
