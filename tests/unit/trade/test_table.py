"""TradeTable: construction, validation and the views it offers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.errors import LabelError, NegativeValueError, NonFiniteError, ShapeError, TableError
from karavan.trade.table import TradeMetadata, TradeTable
from tests.unit.trade.generated import bilateral_table

FLOWS = np.array(
    [
        [[0.0, 0.0], [3.0, 1.0], [2.0, 0.0]],  # A -> A, B, C for products p, q
        [[4.0, 0.0], [0.0, 0.0], [1.0, 5.0]],  # B
    ]
)


def small() -> TradeTable:
    return TradeTable.from_arrays(
        exporters=["A", "B"], importers=["A", "B", "C"], products=["p", "q"], flows=FLOWS
    )


def test_exports_are_the_flows_summed_over_importers() -> None:
    t = small()
    assert t.coverage == "complete"
    np.testing.assert_array_equal(t.X, [[5.0, 1.0], [5.0, 5.0]])
    assert not t.X.flags.writeable


def test_imports_and_flows_between() -> None:
    t = small()
    imports = t.imports()
    assert imports.loc["A"].tolist() == [4.0, 0.0]
    assert imports.loc["C"].tolist() == [3.0, 5.0]
    np.testing.assert_array_equal(t.flows_between(["A"], ["B", "C"]), [5.0, 1.0])
    np.testing.assert_array_equal(t.flows_between(["B"], ["A"]), [4.0, 0.0])


def test_long_frames_round_trip() -> None:
    t = small()
    again = TradeTable.from_frame(t.to_frame(partners=True))
    np.testing.assert_array_equal(again.X, t.X)
    assert again.exporters == ("A", "B")
    world = TradeTable.from_frame(t.to_frame())
    assert world.coverage == "none"
    np.testing.assert_array_equal(world.X, t.X)


def test_partial_partners_may_not_exceed_exports() -> None:
    with pytest.raises(
        TableError, match=r"exporter A, product p: flows sum to 5.0, exports are 4.0"
    ):
        TradeTable.from_arrays(
            exporters=["A", "B"],
            importers=["A", "B", "C"],
            products=["p", "q"],
            flows=FLOWS,
            X=[[4.0, 1.0], [5.0, 5.0]],
        )
    t = TradeTable.from_arrays(
        exporters=["A", "B"],
        importers=["A", "B", "C"],
        products=["p", "q"],
        flows=FLOWS,
        X=[[9.0, 1.0], [5.0, 5.0]],
    )
    assert t.coverage == "partial"


def test_complete_coverage_is_checked() -> None:
    with pytest.raises(TableError, match="coverage 'complete' needs partner flows to add up"):
        TradeTable.from_arrays(
            exporters=["A", "B"],
            importers=["A", "B", "C"],
            products=["p", "q"],
            flows=FLOWS,
            X=[[9.0, 1.0], [5.0, 5.0]],
            coverage="complete",
        )


@pytest.mark.parametrize(
    ("X", "error", "match"),
    [
        ([[1.0, -2.0]], NegativeValueError, r"got -2.0 at A, q"),
        ([[1.0, np.nan]], NonFiniteError, r"first at A, q"),
        ([[1.0, 2.0, 3.0]], ShapeError, r"\(1, 2\); got \(1, 3\)"),
    ],
)
def test_bad_values_are_refused(X: list[list[float]], error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        TradeTable.from_arrays(exporters=["A"], products=["p", "q"], X=X)


def test_labels_must_be_unique_and_keys_appear_once() -> None:
    with pytest.raises(LabelError, match="'A' appears more than once"):
        TradeTable.from_arrays(exporters=["A", "A"], products=["p"], X=[[1.0], [2.0]])
    frame = pd.DataFrame({"exporter": ["A", "A"], "product": ["p", "p"], "value": [1.0, 2.0]})
    with pytest.raises(LabelError, match="appears more than once"):
        TradeTable.from_frame(frame)


def test_select_and_drop_keep_partners() -> None:
    t = bilateral_table()
    part = t.select(exporters=["KAZ", "RUS"], products=list(t.products[:5]))
    assert part.exporters == ("KAZ", "RUS")
    np.testing.assert_array_equal(part.X, t.X[[1, 0], :5])
    np.testing.assert_allclose(
        part.flows_between(["KAZ"], ["CHN"]), t.flows_between(["KAZ"], ["CHN"])[:5]
    )
    assert part.coverage == "complete"
    assert "KAZ" not in t.drop_exporters(["KAZ"]).exporters
    with pytest.raises(LabelError, match=r"unknown exporter\(s\) \['XXX'\]"):
        t.select(exporters=["XXX"])


def test_a_table_without_partners_says_so() -> None:
    t = TradeTable.from_arrays(
        exporters=["A"], products=["p"], X=[[1.0]], meta=TradeMetadata(source="toy")
    )
    with pytest.raises(TableError, match=r"\(toy\) holds exports to the world only"):
        t.imports()
