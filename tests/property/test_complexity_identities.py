"""Identities of revealed advantage and economic complexity, on random export matrices.

Matrices are drawn as a seed and a shape, then filled with log-normal values on a random
sparsity pattern (every row and column keeps at least one positive cell), so hypothesis
explores shapes and patterns while each example stays small and fast.
"""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from karavan.trade.complexity import complexity, eci_pci
from karavan.trade.eaeu import bloc_rca
from karavan.trade.rca import mcp, rca
from karavan.trade.space import proximity, times_proximity
from karavan.trade.table import TradeTable

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def exports(draw: st.DrawFn, min_size: int = 3, max_size: int = 14) -> np.ndarray:
    nc = draw(st.integers(min_size, max_size))
    npr = draw(st.integers(min_size, max_size + 6))
    seed = draw(st.integers(0, 2**32 - 1))
    density = draw(st.floats(0.2, 1.0))
    rng = np.random.default_rng(seed)
    X = rng.lognormal(2.0, 1.5, (nc, npr)) * (rng.random((nc, npr)) < density)
    X[np.arange(nc), rng.integers(0, npr, nc)] += 1.0
    X[rng.integers(0, nc, npr), np.arange(npr)] += 1.0
    return X


def table(X: np.ndarray) -> TradeTable:
    return TradeTable.from_arrays(
        exporters=[f"C{i}" for i in range(X.shape[0])],
        products=[f"p{j}" for j in range(X.shape[1])],
        X=X,
    )


@SETTINGS
@given(exports(), st.floats(1e-6, 1e3))
def test_exporting_in_world_proportions_gives_rca_one(X: np.ndarray, scale: float) -> None:
    world = X.sum(axis=0)
    R = rca(np.vstack([X, scale * world]))
    np.testing.assert_allclose(R[-1], 1.0, rtol=1e-12)


@SETTINGS
@given(exports())
def test_rca_is_scale_free_and_averages_to_one(X: np.ndarray) -> None:
    R = rca(X)
    np.testing.assert_allclose(rca(X * 7.5), R, rtol=1e-12)
    # the world-share-weighted mean of a country's RCA is 1, so some RCA >= 1 in every row
    share = X.sum(axis=0) / X.sum()
    np.testing.assert_allclose(R @ share, 1.0, rtol=1e-12)
    assert (mcp(R).sum(axis=1) >= 1).all()


@SETTINGS
@given(exports(), st.floats(0.5, 2.0))
def test_diversity_and_ubiquity_are_sums_of_mcp(X: np.ndarray, threshold: float) -> None:
    res = complexity(table(X), threshold=threshold)
    M = (np.nan_to_num(rca(X)) >= threshold).astype(float)
    np.testing.assert_array_equal(res.mcp, M)
    np.testing.assert_array_equal(res.diversity, M.sum(axis=1))
    np.testing.assert_array_equal(res.ubiquity, M.sum(axis=0))


@SETTINGS
@given(exports(min_size=4))
def test_eci_sign_and_mean_pci_identity(X: np.ndarray) -> None:
    M = mcp(rca(X))
    k = M.sum(axis=1)
    assume(np.ptp(k) > 0)
    eci, pci = eci_pci(M)
    assume(np.isfinite(eci).all())
    # the convention: ECI rises with diversity (a zero correlation falls back to exports)
    assert np.corrcoef(eci, k)[0, 1] > -1e-12
    np.testing.assert_allclose(eci, (M @ pci) / k, atol=1e-9)
    np.testing.assert_allclose([eci.mean(), eci.std()], [0.0, 1.0], atol=1e-9)


@SETTINGS
@given(exports(min_size=4), st.integers(0, 3), st.integers(0, 3))
def test_zero_rows_give_nan_only_for_themselves(X: np.ndarray, zr: int, zc: int) -> None:
    nc, npr = X.shape
    Z = np.zeros((nc + zr, npr + zc))
    Z[:nc, :npr] = X
    with np.errstate(invalid="ignore", divide="ignore"):
        padded = complexity(table(Z))
    plain = complexity(table(X))
    assume(np.isfinite(plain.eci).all() and np.isfinite(plain.coi).all())
    for name in ("eci", "coi"):
        got = getattr(padded, name)
        assert np.isnan(got[nc:]).all()
        np.testing.assert_allclose(got[:nc], getattr(plain, name), atol=1e-8)
    assert np.isnan(padded.pci[npr:]).all()
    np.testing.assert_allclose(padded.pci[:npr], plain.pci, atol=1e-8)
    np.testing.assert_allclose(padded.density[:nc, :npr], plain.density, atol=1e-12)
    np.testing.assert_allclose(padded.cog[:nc, :npr], plain.cog, atol=1e-8)
    assert np.isnan(padded.density[nc:]).all()
    assert np.isnan(padded.density[:, npr:]).all()


@SETTINGS
@given(exports(), st.integers(1, 50))
def test_structured_product_with_proximity_equals_the_dense_one(X: np.ndarray, block: int) -> None:
    M = mcp(rca(X))
    rng = np.random.default_rng(int(X.shape[0] * 31 + X.shape[1]))
    A = rng.normal(size=(3, M.shape[1]))
    dense = A @ proximity(M)
    got = times_proximity(A, M, block=block)
    np.testing.assert_allclose(got, dense, rtol=1e-10, atol=1e-10 * max(1.0, np.abs(dense).max()))


@SETTINGS
@given(exports())
def test_density_is_a_weighted_share_and_distance_its_complement(X: np.ndarray) -> None:
    res = complexity(table(X))
    inside = np.isfinite(res.density)
    assert ((res.density[inside] >= -1e-12) & (res.density[inside] <= 1 + 1e-12)).all()
    np.testing.assert_allclose(res.density + res.distance, 1.0, atol=1e-12)


@SETTINGS
@given(exports())
def test_the_whole_world_as_a_bloc_has_rca_one(X: np.ndarray) -> None:
    t = table(X)
    np.testing.assert_allclose(bloc_rca(t, list(t.exporters)).frame["rca"], 1.0, rtol=1e-12)
