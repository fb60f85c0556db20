"""Bloc views on a worked three-country example and on generated bilateral data."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from karavan.errors import LabelError, TableError
from karavan.trade.complexity import complexity
from karavan.trade.eaeu import bloc_rca, import_substitution, intra_bloc_trade, resolve_bloc
from karavan.trade.producers import NO_REGISTRY_NOTE, Producer, ProducerDirectory
from karavan.trade.rca import rca
from karavan.trade.table import TradeTable
from tests.unit.trade.generated import bilateral_table

# exporter x importer x product (p, q); rows and columns RUS, KAZ, CHN
FLOWS = np.array(
    [
        [[0, 0], [10, 0], [20, 10]],  # RUS -> RUS, KAZ, CHN
        [[5, 5], [0, 0], [0, 30]],  # KAZ
        [[40, 60], [10, 20], [0, 0]],  # CHN
    ],
    dtype=float,
)  # exports RUS (30, 10), KAZ (5, 35), CHN (50, 80); world (85, 125), 210 in all


def worked() -> TradeTable:
    return TradeTable.from_arrays(
        exporters=["RUS", "KAZ", "CHN"],
        importers=["RUS", "KAZ", "CHN"],
        products=["p", "q"],
        flows=FLOWS,
        year=2021,
    )


def test_bloc_rca_by_hand() -> None:
    view = bloc_rca(worked(), "EAEU")
    by = view.frame.set_index("product")
    assert by.loc["p", "rca"] == pytest.approx((35 / 80) / (85 / 210), rel=1e-14)
    assert by.loc["q", "rca"] == pytest.approx((45 / 80) / (125 / 210), rel=1e-14)
    assert by.loc["p", "rca_RUS"] == pytest.approx((30 / 40) / (85 / 210))
    assert by.loc["p", "members_with_rca"] == 1
    assert view.present == ("RUS", "KAZ")
    assert "not among the table's exporters: BLR, ARM, KGZ" in view.notes


def test_bloc_rca_without_intra_bloc_trade() -> None:
    by = bloc_rca(worked(), ["RUS", "KAZ"], intra="drop").frame.set_index("product")
    # intra-bloc trade p 15, q 5 leaves the bloc's and the world's exports
    assert by.loc["p", "rca"] == pytest.approx((20 / 60) / (70 / 190), rel=1e-14)
    assert by.loc["q", "rca"] == pytest.approx((40 / 60) / (120 / 190), rel=1e-14)
    assert by.loc["p", "bloc_exports"] == 20.0


def test_a_bloc_of_everyone_has_rca_one() -> None:
    t = bilateral_table()
    np.testing.assert_allclose(bloc_rca(t, list(t.exporters)).frame["rca"], 1.0, rtol=1e-13)


def test_intra_bloc_trade_by_hand() -> None:
    by = intra_bloc_trade(worked()).frame.set_index("product")
    assert by.loc["p"].tolist()[2:] == [35.0, 15.0, 20.0, 15 / 35]
    assert by.loc["q"].tolist()[2:] == [45.0, 5.0, 40.0, 5 / 45]


def test_import_substitution_by_hand() -> None:
    view = import_substitution(worked())
    f = view.frame.set_index("product")
    assert list(view.frame["product"]) == ["q", "p"]  # the larger import first
    assert f.loc["p", "external_imports"] == 50.0
    assert f.loc["q", "external_imports"] == 80.0
    assert f.loc["p", "external_share"] == pytest.approx(50 / 65)
    assert (f.loc["p", "best_member"], f.loc["q", "best_member"]) == ("RUS", "KAZ")
    assert f.loc["q", "best_member_rca"] == pytest.approx((35 / 40) / (125 / 210))
    assert list(f["basis"]) == ["rca", "rca"]
    assert list(f["top_supplier"]) == ["CHN", "CHN"]
    assert f.loc["p", "score"] == pytest.approx(np.sqrt(0.5))
    assert f.loc["q", "score"] == 1.0
    assert NO_REGISTRY_NOTE in view.notes


class Directory:
    """A test double of the registry's lookup (the protocol's shape, no real data)."""

    def producers(self, country: str, product: str, classification: str) -> Sequence[Producer]:
        return [Producer(f"{country}-{product}", country, product, classification, "id-1")]


def test_import_substitution_on_generated_data_and_producers() -> None:
    t = bilateral_table(n_products=60)
    res = complexity(t)
    assert isinstance(Directory(), ProducerDirectory)
    view = import_substitution(t, result=res, producers=Directory())
    f = view.frame
    members = ["RUS", "KAZ", "BLR", "ARM", "KGZ"]
    outside = [e for e in t.exporters if e not in members]
    external = t.flows_between(outside, members)
    pos = [t.products.index(p) for p in f["product"]]
    np.testing.assert_allclose(f["external_imports"], external[pos], rtol=1e-14)
    R = rca(t.X)[[t.exporters.index(m) for m in members]]
    rca_made = f["basis"] == "rca"
    np.testing.assert_allclose(f.loc[rca_made, "best_member_rca"], R.max(axis=0)[pos][rca_made])
    assert (f.loc[rca_made, "feasibility"] == 1.0).all()
    assert (np.diff(f["score"]) <= 0).all()
    assert f["producers"].iloc[0] == [f"{f['best_member'].iloc[0]}-{f['product'].iloc[0]}"]
    assert NO_REGISTRY_NOTE not in view.notes


def test_views_refuse_data_without_what_they_need() -> None:
    exports_only = TradeTable.from_arrays(exporters=["RUS", "CHN"], products=["p"], X=[[1], [2]])
    with pytest.raises(TableError, match="partner \\(importer\\) dimension"):
        import_substitution(exports_only)
    with pytest.raises(TableError, match="partner \\(importer\\) dimension"):
        intra_bloc_trade(exports_only)
    only_members = worked().select(exporters=["RUS", "KAZ"])
    with pytest.raises(TableError, match="every exporter is a member"):
        import_substitution(only_members)
    with pytest.raises(TableError, match="complete partner dimension"):
        bloc_rca(exports_only, intra="drop")
    with pytest.raises(LabelError, match="no member of EAEU"):
        bloc_rca(exports_only.select(exporters=["CHN"]))
    with pytest.raises(LabelError, match="unknown bloc"):
        resolve_bloc("NATO")
    assert resolve_bloc("eaeu+chn")[1][-1] == "CHN"
