"""Proximity, density, distance, COI, COG and the product-space edges: worked examples and a
loop-by-loop reference implementation of the Atlas's formulas."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.trade import space
from tests.unit.trade.generated import exports_matrix

# 4 countries x 3 products: u = (3, 2, 3); C01 = 2, C02 = 2, C12 = 1
M = np.array([[1, 1, 0], [1, 0, 1], [1, 1, 1], [0, 0, 1]], dtype=float)
PHI = np.array([[1, 2 / 3, 2 / 3], [2 / 3, 1, 1 / 3], [2 / 3, 1 / 3, 1]])


def test_proximity_by_hand() -> None:
    np.testing.assert_allclose(space.proximity(M), PHI, rtol=1e-15)
    asym = [[1, 2 / 3, 2 / 3], [1, 1, 1 / 2], [2 / 3, 1 / 3, 1]]  # P(j | i) = C_ij / u_i
    np.testing.assert_allclose(space.proximity(M, asymmetric=True), asym, rtol=1e-15)


def test_proximity_of_an_unmade_product_is_nan() -> None:
    phi = space.proximity(np.hstack([M, np.zeros((4, 1))]))
    assert np.isnan(phi[3]).all()
    assert np.isnan(phi[:, 3]).all()
    np.testing.assert_allclose(phi[:3, :3], PHI)


def test_density_and_distance_by_hand() -> None:
    dens = space.density(M, PHI)
    # country 3 makes only product 2: density_p = phi_p2 / sum_j phi_pj
    np.testing.assert_allclose(dens[3], [(2 / 3) / (7 / 3), (1 / 3) / 2, 1 / 2], rtol=1e-15)
    np.testing.assert_allclose(space.distance(M, PHI), 1 - dens, rtol=1e-15)


def test_knn_density_by_hand() -> None:
    phi = np.array([[1, 0.9, 0.2], [0.9, 1, 0.5], [0.2, 0.5, 1]])
    P = np.array([[1.0, 0.0, 1.0]])
    np.testing.assert_array_equal(space.knn_density(P, phi, 1), [[0.0, 1.0, 0.0]])
    np.testing.assert_allclose(space.knn_density(P, phi, 2)[0, 0], 0.2 / 1.1, rtol=1e-15)
    with pytest.raises(ValueError, match="knn must lie between 1 and"):
        space.knn_density(P, phi, 3)


def reference(M: np.ndarray, kp: np.ndarray) -> tuple[np.ndarray, ...]:
    """The Atlas's formulas, one element at a time."""
    nc, npr = M.shape
    u = M.sum(axis=0)
    phi = np.zeros((npr, npr))
    for p in range(npr):
        for q in range(npr):
            phi[p, q] = sum(M[c, p] * M[c, q] for c in range(nc)) / max(u[p], u[q])
    den = phi.sum(axis=1)
    dens = np.array(
        [
            [sum(M[c, q] * phi[p, q] for q in range(npr)) / den[p] for p in range(npr)]
            for c in range(nc)
        ]
    )
    coi = np.array([sum(dens[c, p] * (1 - M[c, p]) * kp[p] for p in range(npr)) for c in range(nc)])
    cog = np.array(
        [
            [
                (1 - M[c, p]) * sum((1 - M[c, q]) * phi[q, p] / den[q] * kp[q] for q in range(npr))
                for p in range(npr)
            ]
            for c in range(nc)
        ]
    )
    return phi, dens, coi, cog


def test_vectorised_metrics_equal_the_loops() -> None:
    rng = np.random.default_rng(3)
    A = (rng.random((9, 14)) < 0.4).astype(float)
    A[:, A.sum(axis=0) == 0] = 1.0
    kp = rng.normal(size=14)
    phi, dens, coi, cog = reference(A, kp)
    np.testing.assert_allclose(space.proximity(A), phi, rtol=1e-14)
    np.testing.assert_allclose(space.density(A, phi), dens, rtol=1e-13)
    np.testing.assert_allclose(space.complexity_outlook_index(dens, A, kp), coi, rtol=1e-12)
    np.testing.assert_allclose(space.complexity_outlook_gain(A, phi, kp), cog, rtol=1e-12)


def test_times_proximity_equals_the_product_with_phi() -> None:
    X = exports_matrix(40, 300, seed=11)
    A = (np.median(X[X > 0]) < X).astype(float)
    A = A[:, A.sum(axis=0) > 0]
    rows = np.random.default_rng(0).normal(size=(7, A.shape[1]))
    expected = rows @ space.proximity(A)
    got = space.times_proximity(rows, A, block=37)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12 * np.abs(expected).max())


def test_product_space_edges() -> None:
    phi = np.array([[1, 0.9, 0.2], [0.9, 1, 0.5], [0.2, 0.5, 1]])
    edges = space.product_space_edges(phi, ["a", "b", "c"], threshold=0.55)
    assert edges.to_dict("records") == [
        {"source": "a", "target": "b", "proximity": 0.9, "kind": "mst"},
        {"source": "b", "target": "c", "proximity": 0.5, "kind": "mst"},
    ]
    low = space.product_space_edges(phi, ["a", "b", "c"], threshold=0.1)
    assert low[low["kind"] == "threshold"][["source", "target"]].values.tolist() == [["a", "c"]]


def test_product_space_edges_on_more_products_than_a_block() -> None:
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import minimum_spanning_tree

    A = (exports_matrix(30, 600, seed=5) > 50).astype(float)
    A = A[:, A.sum(axis=0) > 0]
    phi = space.proximity(A)
    n = phi.shape[0]
    assert n > 512
    names = [f"p{j:04d}" for j in range(n)]
    edges = space.product_space_edges(phi, names, threshold=0.5)
    tree = edges[edges["kind"] == "mst"]
    # the same total weight as a maximum spanning forest found by scipy (Kruskal)
    upper = np.triu(phi, k=1)
    ref = minimum_spanning_tree(csr_array(np.where(upper > 0, 2.0 - upper, 0.0)))
    assert len(tree) == ref.nnz
    assert tree["proximity"].sum() == pytest.approx((2.0 * ref.nnz - ref.sum()), rel=1e-12)
    # threshold edges: every other pair at or above the threshold, once
    pairs = {(names[i], names[j]) for i, j in zip(*np.nonzero(upper >= 0.5), strict=True)}
    tree_pairs = set(zip(tree["source"], tree["target"], strict=True))
    extra = edges[edges["kind"] == "threshold"]
    assert set(zip(extra["source"], extra["target"], strict=True)) == pairs - tree_pairs
