"""decompr's Leontief decomposition ``diag(v) B post``: values, labels, bad arguments."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core import LeontiefModel, MRIOTable, value_added_by_origin
from karavan.core.gvc.leontief_decomposition import LEONTIEF_POSTS, leontief_decomposition
from tests.unit.core.gvc import dense_decompositions as dense
from tests.unit.core.gvc.test_wwz import unbalanced_table


@pytest.mark.parametrize("post", LEONTIEF_POSTS)
def test_matches_dense_products(post: str) -> None:
    t = unbalanced_table()
    got = leontief_decomposition(LeontiefModel(t), post)  # type: ignore[arg-type]
    expected = dense.leontief(t, post)
    np.testing.assert_allclose(
        got.to_numpy(), expected, rtol=1e-11, atol=1e-14 * np.abs(expected).max()
    )


def test_labels(table: MRIOTable) -> None:
    m = LeontiefModel(table)
    e = leontief_decomposition(m)
    assert list(e.index.names) == ["source_region", "source_sector"]
    assert list(e.columns.names) == ["using_region", "using_sector"]
    fd = leontief_decomposition(m, "final_demand")
    assert fd.columns.name == "importing_region"
    assert fd.columns.tolist() == list(table.regions)


def test_final_demand_is_value_added_by_origin(table: MRIOTable) -> None:
    m = LeontiefModel(table)
    np.testing.assert_allclose(
        leontief_decomposition(m, "final_demand").to_numpy(),
        value_added_by_origin(m).to_numpy(),
        rtol=1e-13,
    )


def test_unknown_post_is_refused(table: MRIOTable) -> None:
    with pytest.raises(ValueError, match=r"post must be one of .*got 'imports'"):
        leontief_decomposition(LeontiefModel(table), "imports")  # type: ignore[arg-type]
