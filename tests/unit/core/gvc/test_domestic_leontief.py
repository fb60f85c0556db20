"""Local Leontief inverses L_ss = (I - A_ss)^-1 applied block by block."""

from __future__ import annotations

import numpy as np

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.exports import bilateral_exports
from karavan.core.gvc.domestic_leontief import DomesticLeontief, TradeBlocks, coefficient_rows
from tests.unit.core.gvc import dense_decompositions as dense


def test_solves_equal_the_dense_block_inverses(table: MRIOTable) -> None:
    m = LeontiefModel(table)
    ref = dense.blocks(table)
    rng = np.random.default_rng(0)
    b = rng.normal(size=(table.n, 2))
    dom = DomesticLeontief(m)
    N = table.n_sectors
    for s in range(table.n_regions):
        rows = slice(s * N, (s + 1) * N)
        np.testing.assert_allclose(dom.solve(b)[rows], ref.Lloc[s] @ b[rows], rtol=1e-13)
        np.testing.assert_allclose(
            dom.solve_transposed(b[:, 0])[rows], ref.Lloc[s].T @ b[rows, 0], rtol=1e-13
        )


def test_trade_blocks_split_final_use_and_exports(table: MRIOTable) -> None:
    tb = TradeBlocks(table)
    np.testing.assert_allclose(tb.yd + tb.Ym.sum(axis=1), table.Y.sum(axis=1), rtol=1e-15)
    assert np.all(tb.Ym[:3, 0] == 0)
    assert np.all(tb.Ym[3:6, 1] == 0)
    np.testing.assert_array_equal(tb.E_bilateral, bilateral_exports(table).to_numpy())
    np.testing.assert_allclose(
        tb.region_sums(tb.E),
        tb.E_bilateral.sum(axis=0) * 0 + [tb.E[:3].sum(), tb.E[3:6].sum(), tb.E[6:].sum()],
    )
    np.testing.assert_allclose(
        coefficient_rows(LeontiefModel(table), slice(3, 6)), dense.blocks(table).A[3:6]
    )
