"""Local Leontief inverses L_ss = (I - A_ss)^-1 applied block by block."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.exports import bilateral_exports
from karavan.core.gvc.domestic_leontief import DomesticLeontief, TradeBlocks, coefficient_rows
from karavan.core.gvc.economies import economies
from karavan.errors import NotProductiveError
from tests.conftest import small_table
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


def test_a_bloc_of_non_adjacent_regions_is_one_economy() -> None:
    t = small_table(regions=("RUS", "CHN", "KAZ", "ROW"), seed=3)
    m = LeontiefModel(t)
    econ = economies(t, {"EAEU": ("RUS", "KAZ")})
    dom = DomesticLeontief(m, econ)
    A = dense.blocks(t).A
    b = np.random.default_rng(1).normal(size=(t.n, 3))
    diagonal = dom.diagonal()
    for e in range(econ.count):
        ix = econ.industries(e)
        Ld = np.linalg.inv(np.eye(ix.size) - A[np.ix_(ix, ix)])
        np.testing.assert_allclose(dom.solve(b)[ix], Ld @ b[ix], rtol=1e-12)
        np.testing.assert_allclose(dom.solve_transposed(b)[ix], Ld.T @ b[ix], rtol=1e-12)
        np.testing.assert_allclose(diagonal[ix], np.diag(Ld), rtol=1e-13)
    assert econ.industries(0).tolist() == [0, 1, 2, 6, 7, 8]  # RUS, then KAZ


def test_a_singular_bloc_block_names_the_bloc() -> None:
    # P and Q buy all their inputs from each other: A_PQ = A_QP = 1. Each region's own block
    # I - A_ss = 1 is invertible, the bloc's [[1, -1], [-1, 1]] is not (U[1,1] = 0 at Q), and
    # so is I - A once R trades with both (det = -(A_PR + A_QR)(A_RP + A_RQ) != 0).
    t = MRIOTable.from_arrays(
        regions=["P", "Q", "R"], sectors=["s"], categories=["f"],
        Z=[[0.0, 10.0, 1.0], [10.0, 0.0, 0.0], [1.0, 0.0, 0.0]],
        Y=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 9.0]], x=[10.0, 10.0, 10.0],
    )  # fmt: skip
    m = LeontiefModel(t)
    DomesticLeontief(m)  # region by region: fine
    with pytest.raises(NotProductiveError, match=r"bloc 'PQ' is singular.*industry Q/s"):
        DomesticLeontief(m, economies(t, {"PQ": ("P", "Q")}))
