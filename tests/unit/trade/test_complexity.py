"""ECI / PCI against a direct eigendecomposition, the sign and normalisation conventions,
Fitness-Complexity, and the full metric set's options."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.errors import LabelError
from karavan.trade.complexity import complexity, eci_pci, eci_raw, fitness_complexity
from karavan.trade.rca import mcp, rca
from karavan.trade.table import TradeTable
from tests.unit.trade.generated import exports_matrix, exports_table


def direct_eci(M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Hidalgo and Hausmann (2009) taken literally: the eigenvector of the (non-symmetric)
    M~pp' for its second-largest eigenvalue, K_c = mean K_p of the country's products."""
    kc0, kp0 = M.sum(axis=1), M.sum(axis=0)
    Mpp = (M / kp0[None, :]).T @ (M / kc0[:, None])
    w, V = np.linalg.eig(Mpp)
    kp = np.real(V[:, np.argsort(np.real(w))[-2]])
    kc = (M @ kp) / kc0
    s = np.sign(np.corrcoef(kc0, kc)[0, 1])
    kc, kp = s * kc, s * kp
    return (kc - kc.mean()) / kc.std(), (kp - kc.mean()) / kc.std()


@pytest.mark.parametrize(("nc", "npr"), [(25, 60), (60, 25)])  # both sides of the eigenproblem
def test_eci_pci_equal_the_direct_eigenvector(nc: int, npr: int) -> None:
    M = mcp(rca(exports_matrix(nc, npr, seed=nc)))
    eci, pci = eci_pci(M)
    ref_eci, ref_pci = direct_eci(M)
    np.testing.assert_allclose(eci, ref_eci, atol=1e-10)
    np.testing.assert_allclose(pci, ref_pci, atol=1e-10)


def test_normalisation_and_sign_convention() -> None:
    M = mcp(rca(exports_matrix(30, 70, seed=4)))
    eci, pci = eci_pci(M)
    assert eci.mean() == pytest.approx(0.0, abs=1e-12)
    assert eci.std() == pytest.approx(1.0, rel=1e-12)
    assert np.corrcoef(eci, M.sum(axis=1))[0, 1] > 0  # ECI rises with diversity
    # ECI of a country = mean PCI of the products it exports with RCA >= 1
    np.testing.assert_allclose(eci, (M @ pci) / M.sum(axis=1), atol=1e-12)
    _kc, kp, lam = eci_raw(M)
    assert 0 < lam < 1
    # the unnormalised vectors: ubiquity-weighted mean of K_p is zero (orthogonal to the
    # stationary distribution of M~pp')
    assert float(M.sum(axis=0) @ kp) == pytest.approx(0.0, abs=1e-12)


def test_zero_rows_are_nan_and_leave_the_rest_unchanged() -> None:
    M = mcp(rca(exports_matrix(20, 40, seed=8)))
    padded = np.zeros((21, 41))
    padded[1:, 1:] = M
    eci, pci = eci_pci(padded)
    assert np.isnan(eci[0])
    assert np.isnan(pci[0])
    ref_eci, ref_pci = eci_pci(M)
    np.testing.assert_allclose(eci[1:], ref_eci, atol=1e-12)
    np.testing.assert_allclose(pci[1:], ref_pci, atol=1e-12)


def test_fitness_complexity() -> None:
    ones = np.ones((4, 5))
    F, Q, _ = fitness_complexity(ones)
    np.testing.assert_allclose(F, 1.0)
    np.testing.assert_allclose(Q, 1.0)
    nested = np.tril(np.ones((6, 6)))  # country i makes products 0..i
    F, Q, steps = fitness_complexity(nested, iterations=50)
    assert F.mean() == pytest.approx(1.0)
    assert Q.mean() == pytest.approx(1.0)
    assert (np.diff(F) > 0).all()  # the more diverse, the fitter
    assert (np.diff(Q) > 0).all()  # products made only by the fittest are the most complex
    assert steps == 50
    F, Q, _ = fitness_complexity(np.vstack([nested, np.zeros(6)]))
    assert np.isnan(F[-1])
    assert np.isfinite(F[:-1]).all()


def test_full_metric_set_on_a_table() -> None:
    t = exports_table(30, 80, seed=2)
    res = complexity(t, fitness=True)
    M = mcp(rca(t.X))
    np.testing.assert_array_equal(res.mcp, M)
    np.testing.assert_array_equal(res.diversity, M.sum(axis=1))
    eci, _pci = eci_pci(M)
    np.testing.assert_allclose(res.eci, eci, atol=1e-12)
    np.testing.assert_allclose(res.distance, 1 - res.density, atol=1e-15)
    assert res.coi.std() == pytest.approx(1.0)
    frame = res.countries()
    assert frame.loc[frame["eci"].idxmax(), "eci_rank"] == 1
    assert list(res.product_frame().columns) == [
        "name",
        "group",
        "world_exports",
        "ubiquity",
        "pci",
        "fc_complexity",
    ]
    long = res.long()
    assert len(long) == 30 * 80
    assert long.loc[5 * 80 + 7, "density"] == res.density[5, 7]
    assert res.matrix("proximity").shape == (80, 80)
    with pytest.raises(LabelError, match="unknown matrix"):
        res.matrix("nope")


def test_presence_options() -> None:
    t = exports_table(25, 60, seed=3)
    pop = {e: 1.0 + i for i, e in enumerate(t.exporters)}
    by_pop = complexity(t, presence="rpop", population=pop)
    assert by_pop.rpop is not None
    assert by_pop.rpop[3, 0] == pytest.approx(
        (t.X[3, 0] / 4.0) / (t.X[:, 0].sum() / sum(pop.values()))
    )
    manual = complexity(
        TradeTable.from_arrays(exporters=t.exporters, products=t.products, X=mcp(rca(t.X))),
        presence="manual",
    )
    np.testing.assert_allclose(manual.eci, complexity(t).eci, atol=1e-12)
    with pytest.raises(LabelError, match="needs population"):
        complexity(t, presence="rpop")


def test_a_zero_diversity_country_is_nan_only_in_its_row() -> None:
    t = exports_table(25, 60, seed=6)
    X = t.X.copy()
    X[0] = X[1:].sum(axis=0) * 1e-3  # exports in world proportions: RCA 1 everywhere ...
    t2 = TradeTable.from_arrays(exporters=t.exporters, products=t.products, X=X)
    res = complexity(t2, threshold=1.5)  # ... so below the threshold: diversity 0
    assert res.diversity[0] == 0
    assert np.isnan(res.eci[0])
    assert np.isnan(res.coi[0])
    assert np.isnan(res.density[0]).all()
    assert np.isfinite(res.eci[1:]).all()
    assert np.isfinite(res.coi[1:]).all()
