"""Import dependency of a bloc's industries (karavan.core.gvc.dependency): hand-computed."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core.gvc.dependency import dependency_map, external_input_flows
from karavan.core.leontief import LeontiefModel
from karavan.core.table import MRIOTable
from karavan.errors import ConcordanceError


def chain() -> MRIOTable:
    """C -> A -> B, one sector, every output 100: a_CA = 0.1, a_AB = 0.2 (see test_closure)."""
    Z = np.zeros((3, 3))
    Z[0, 1] = 20.0
    Z[2, 0] = 10.0
    Y = np.array([[50.0, 10.0, 20.0], [5.0, 60.0, 35.0], [15.0, 5.0, 70.0]])
    return MRIOTable.from_arrays(
        regions=["A", "B", "C"], sectors=["s"], categories=["hh"], Z=Z, Y=Y
    )


def two_sectors() -> MRIOTable:
    """Regions M (the bloc) and W, sectors p and q. M/p buys 30 of W/p and 10 of W/q (40, all
    from outside); M/q buys 20 of M/p and 5 of W/q (25, a fifth from outside)."""
    Z = np.zeros((4, 4))  # order M/p, M/q, W/p, W/q
    Z[0, 1] = 20.0
    Z[2, 0] = 30.0
    Z[3, 0] = 10.0
    Z[3, 1] = 5.0
    Y = np.full((4, 2), 100.0)
    return MRIOTable.from_arrays(
        regions=["M", "W"], sectors=["p", "q"], categories=["hh"], Z=Z, Y=Y
    )


def test_direct_total_and_value_added_dependency_by_hand() -> None:
    dm = dependency_map(LeontiefModel(chain()), ["A", "B"])
    s = dm.shares
    assert list(s.index) == [("A", "s"), ("B", "s")]
    # A buys only from C (10); B only from A (20).
    np.testing.assert_allclose(s["intermediate_inputs"], [10.0, 20.0])
    np.testing.assert_allclose(s["external_inputs"], [10.0, 0.0])
    np.testing.assert_allclose(s["direct"], [1.0, 0.0])
    # (L - I)[:, A] = (0, 0, 0.1); (L - I)[:, B] = (0.2, 0, 0.02): B depends on C through A.
    np.testing.assert_allclose(s["total_requirements"], [0.1, 0.22])
    np.testing.assert_allclose(s["external_requirements"], [0.1, 0.02])
    np.testing.assert_allclose(s["total"], [1.0, 0.02 / 0.22])
    # v L: column A (0.9, 0, 0.1), column B (0.18, 0.8, 0.02).
    np.testing.assert_allclose(s["external_value_added"], [0.1, 0.02])
    assert dm.direct_by_supplier.loc[("B", "s"), ("C", "s")] == 0.0
    assert dm.total_by_supplier.loc[("B", "s"), ("C", "s")] == pytest.approx(0.02 / 0.22)
    assert list(dm.most_dependent("total").index) == [("A", "s"), ("B", "s")]


def test_by_supplier_shares_add_up_to_the_external_share() -> None:
    dm = dependency_map(LeontiefModel(two_sectors()), ["M"])
    direct = dm.direct_by_supplier
    # M/p: 40 of inputs, all from W (30 of p, 10 of q); M/q: 25, of which 5 from W/q.
    assert direct.loc[("M", "p"), ("W", "p")] == pytest.approx(0.75)
    assert direct.loc[("M", "p"), ("W", "q")] == pytest.approx(0.25)
    assert direct.loc[("M", "q"), ("W", "q")] == pytest.approx(0.2)
    np.testing.assert_allclose(direct.sum(axis=1), dm.shares["direct"])
    np.testing.assert_allclose(dm.total_by_supplier.sum(axis=1), dm.shares["total"])
    by_region = dm.by_supplier_region("direct")
    assert list(by_region.columns) == ["W"]
    np.testing.assert_allclose(by_region["W"], [1.0, 0.2])
    np.testing.assert_allclose(dm.by_supplier_region("total")["W"], dm.shares["total"])


def test_external_flows_ranked_with_context() -> None:
    flows = external_input_flows(two_sectors(), ["M"])
    assert list(flows.columns) == [
        "supplier_region",
        "supplier_sector",
        "buyer_region",
        "buyer_sector",
        "value",
        "share_of_buyer_inputs",
        "share_of_external",
        "bloc_output_of_product",
    ]
    rows = list(flows[["supplier_sector", "buyer_sector", "value"]].itertuples(index=False))
    assert rows == [("p", "p", 30.0), ("q", "p", 10.0), ("q", "q", 5.0)]
    np.testing.assert_allclose(flows["share_of_buyer_inputs"], [0.75, 0.25, 0.2])
    np.testing.assert_allclose(flows["share_of_external"], [30 / 45, 10 / 45, 5 / 45])
    t = two_sectors()
    np.testing.assert_allclose(flows["bloc_output_of_product"], [t.x[0], t.x[1], t.x[1]])
    top = external_input_flows(t, ["M"], top=2)
    assert len(top) == 2
    assert top["value"].tolist() == [30.0, 10.0]


def test_a_bloc_of_every_region_depends_on_nothing_outside() -> None:
    t = two_sectors()
    dm = dependency_map(LeontiefModel(t), ["M", "W"])
    np.testing.assert_allclose(dm.shares["direct"].dropna(), 0.0)
    np.testing.assert_allclose(dm.shares["total"].dropna(), 0.0)
    np.testing.assert_allclose(dm.shares["external_value_added"], 0.0)
    assert dm.direct_by_supplier.shape == (4, 0)
    assert external_input_flows(t, ["M", "W"]).empty


def test_industries_without_inputs_have_undefined_shares() -> None:
    Z = np.zeros((4, 4))
    Z[2, 0] = 10.0
    Y = np.zeros((4, 2))
    Y[0, 0], Y[2, 1], Y[3, 1] = 50.0, 30.0, 20.0  # M/q: no output, no inputs
    t = MRIOTable.from_arrays(regions=["M", "W"], sectors=["p", "q"], categories=["hh"], Z=Z, Y=Y)
    s = dependency_map(LeontiefModel(t), ["M"]).shares
    assert s.loc[("M", "p"), "direct"] == pytest.approx(1.0)
    assert np.isnan(s.loc[("M", "q"), "direct"])
    assert np.isnan(s.loc[("M", "q"), "total"])


def test_a_bloc_the_table_does_not_have_raises() -> None:
    with pytest.raises(ConcordanceError, match="no member"):
        dependency_map(LeontiefModel(chain()), ["X"])
    with pytest.raises(ConcordanceError, match="no member"):
        external_input_flows(chain(), "EAEU")
