"""KWW (2014) decomposition: agreement with the dense eq. (36) formulas, layout, one region."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.gvc.kww import KWW_TERMS, kww_decomposition
from tests.conftest import small_table
from tests.unit.core.gvc import dense_decompositions as dense
from tests.unit.core.gvc.test_wwz import unbalanced_table

DECOMPR_COLUMNS = [  # decompr 6.4.0 column order
    "DVA_FIN",
    "DVA_INT",
    "DVA_INTrex",
    "RDV_FIN",
    "RDV_INT",
    "DDC",
    "FVA_FIN",
    "FVA_INT",
    "FDC",
]


@pytest.mark.parametrize(
    "table", [small_table(), unbalanced_table()], ids=["balanced", "unbalanced"]
)
def test_every_term_matches_the_dense_formulas(table: MRIOTable) -> None:
    got = kww_decomposition(LeontiefModel(table))
    expected = dense.kww(table)
    np.testing.assert_allclose(
        got.to_numpy(), expected, rtol=1e-10, atol=1e-13 * np.abs(expected).max()
    )


def test_layout_is_decomprs(table: MRIOTable) -> None:
    got = kww_decomposition(LeontiefModel(table))
    assert list(got.columns) == DECOMPR_COLUMNS == list(KWW_TERMS)
    assert got.index.name == "exporter"
    assert got.index.tolist() == ["RUS", "KAZ", "CHN"]


def test_one_region_exports_nothing() -> None:
    got = kww_decomposition(LeontiefModel(small_table(regions=("RUS",))))
    assert got.shape == (1, 9)
    assert np.array_equal(got.to_numpy(), np.zeros((1, 9)))
