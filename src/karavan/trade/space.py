"""The product space: proximity, density, distance, complexity outlook and the graph.

With a presence matrix ``M`` (countries x products), ubiquity ``k_p = sum_c M_cp`` and
co-occurrence ``C_pp' = sum_c M_cp M_cp'`` (Hidalgo, Klinger, Barabasi and Hausmann 2007, "The
product space conditions the development of nations", *Science* 317: 482-487; Hausmann et al.
2014, *The Atlas of Economic Complexity*, technical boxes 5.1-5.4):

- **proximity** (discrete, symmetric)  ``phi_pp' = C_pp' / max(k_p, k_p')``, the smaller of the
  two conditional probabilities of exporting one product given the other; asymmetric,
  ``phi_pp' = C_pp' / k_p`` (the probability of exporting ``p'`` given ``p``); continuous,
  ``phi_pp' = (1 + corr(R_.p, R_.p')) / 2`` with ``R`` the RCA (or RPOP) columns correlated
  over countries (the Growth Lab's ``ecomplexity`` ``continuous`` option).
- **density**  ``omega_cp = sum_p' M_cp' phi_pp' / sum_p' phi_pp'`` (with ``R`` for ``M`` when
  continuous); with ``knn = k`` only the ``k`` products closest to ``p`` count.
- **distance**  ``d_cp = sum_p' (1 - M_cp') phi_pp' / sum_p' phi_pp' = 1 - omega_cp``
  (always from the discrete ``M``).
- **complexity outlook index**  ``COI_c = sum_p omega_cp (1 - M_cp) PCI_p``, standardised over
  countries.
- **complexity outlook gain**  ``COG_cp = (1 - M_cp) sum_p' (1 - M_cp') phi_p'p PCI_p' /
  sum_p'' phi_p'p''``.

In COI and COG, ``PCI`` is the product eigenvector before centring (ubiquity-weighted mean zero,
its natural origin) in units of the ECI's standard deviation, as in ``ecomplexity`` 0.5.3; COI is
then standardised and COG is left as it is.

Products nobody makes (``k_p = 0``) have no proximity; their rows and columns are NaN.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from karavan.errors import LabelError, ShapeError
from karavan.trade.table import Array

__all__ = [
    "PRODUCT_SPACE_THRESHOLD",
    "complexity_outlook_gain",
    "complexity_outlook_index",
    "continuous_proximity",
    "density",
    "distance",
    "knn_density",
    "product_space_edges",
    "proximity",
    "times_proximity",
]

PRODUCT_SPACE_THRESHOLD = 0.55
"""Proximity above which the product-space graph adds an edge to its maximum spanning tree, as
in Hidalgo et al. (2007) and the Atlas's product space."""

_BLOCK = 512


def one_blas_thread() -> Any:
    """A context in which BLAS runs on one thread: for loops of small matrix products, where
    thread start-up costs more than it saves and, on a busy machine, a second BLAS thread
    waiting for a core slows every product by an order of magnitude (measured: 4 s against
    0.3 s for the full metric set at 200 x 5000 with another process on one of two cores)."""
    return threadpool_limits(limits=1, user_api="blas")


def _is_binary(M: Array) -> bool:
    return bool(((M == 0.0) | (M == 1.0)).all())


def proximity(M: Any, *, asymmetric: bool = False) -> Array:
    """Discrete proximity of every product pair (see the module docstring).

    Built by blocks of rows straight into the result, the only P x P array allocated: each
    block of co-occurrences ``C_J. = M_.J' M`` is one matrix product (in single precision when
    ``M`` holds only 0 and 1, where the counts are exact integers) and is divided as it is
    written. Products with zero ubiquity get NaN rows and columns.
    """
    M = np.asarray(M, dtype=np.float64)
    u = M.sum(axis=0)
    zero = u == 0
    safe = np.where(zero, 1.0, u)
    work = M.astype(np.float32) if _is_binary(M) and M.shape[0] < 2**24 else M
    n = M.shape[1]
    phi: Array = np.empty((n, n))
    for start in range(0, n, _BLOCK):
        stop = min(start + _BLOCK, n)
        counts = work[:, start:stop].T @ work
        if asymmetric:
            den = safe[start:stop, None]
        else:
            den = np.maximum(safe[start:stop, None], safe[None, :])
        np.divide(counts, den, out=phi[start:stop])
    if zero.any():
        phi[zero, :] = np.nan
        phi[:, zero] = np.nan
    return phi


def times_proximity(A: Any, M: Any, *, block: int = 256) -> Array:
    """``A phi`` for the discrete symmetric proximity ``phi`` of ``M``, without using ``phi``.

    With products sorted by decreasing ubiquity, ``phi_ij = (m_i . m_j) / u_min(i,j)``
    (``m_i`` the i-th column of ``M``), so for columns ``j`` in a block ``J``::

        (A phi)_cj = G_c . m_j  +  (H_c . m_j) / u_j  +  (A_cJ phi_JJ)_j
        G = sum_{i before J} (A_.i / u_i) m_i'        H = sum_{i after J} A_.i m_i'

    ``G`` and ``H`` are carried from block to block, so the work is ``O(R K P)`` for ``R``
    rows of ``A`` and ``K`` countries instead of the ``O(R P^2)`` of a product with ``phi``
    (Karavan's own arrangement; identical up to rounding). Every product needs ``u > 0``.
    """
    A = np.asarray(A, dtype=np.float64)
    M = np.asarray(M, dtype=np.float64)
    u = M.sum(axis=0)
    if (u <= 0).any():
        raise ShapeError("times_proximity needs every product to have positive ubiquity")
    order = np.argsort(-u, kind="stable")
    Ms, As, us = M[:, order], A[:, order], u[order]
    R, n = As.shape
    sorted_out = np.empty((R, n))
    G = np.zeros((R, M.shape[0]))
    with one_blas_thread():
        H = As @ Ms.T
        for start in range(0, n, block):
            stop = min(start + block, n)
            MJ, AJ, uJ = Ms[:, start:stop], As[:, start:stop], us[start:stop]
            H -= AJ @ MJ.T
            phiJ = (MJ.T @ MJ) / np.maximum(uJ[:, None], uJ[None, :])
            sorted_out[:, start:stop] = G @ MJ + (H @ MJ) / uJ[None, :] + AJ @ phiJ
            G += (AJ / uJ[None, :]) @ MJ.T
    out: Array = np.empty_like(sorted_out)
    out[:, order] = sorted_out
    return out


def continuous_proximity(index: Any) -> Array:
    """``(1 + corr) / 2`` of every pair of product columns of ``index`` (RCA or RPOP), the
    correlation taken over the rows given (countries with exports)."""
    R = np.asarray(index, dtype=np.float64)
    phi: Array = np.asarray(np.corrcoef(R.T), dtype=np.float64)
    phi += 1.0
    phi /= 2.0
    return phi


def density(presence: Any, phi: Any) -> Array:
    """``omega_cp = sum_p' presence_cp' phi_pp' / sum_p' phi_pp'`` (``presence`` is ``M``, or
    RCA / RPOP with continuous proximity)."""
    P = np.asarray(presence, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    if phi.shape != (P.shape[1], P.shape[1]):
        raise ShapeError(f"proximity must be {P.shape[1]} x {P.shape[1]}; got {phi.shape}")
    den = np.nansum(phi, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        out: Array = (P @ phi.T) / den[None, :]
    return out


def knn_density(presence: Any, phi: Any, k: int) -> Array:
    """Density over the ``k`` products closest to each product (the product itself excluded):
    ``omega_cp = sum_{p' in N_k(p)} presence_cp' phi_pp' / sum_{p' in N_k(p)} phi_pp'``.

    Note: ``ecomplexity`` 0.5.3's ``knn`` option returns the unweighted count
    ``sum_{p' in N_k(p)} presence_cp'`` (it computes the weighted sum and then discards it);
    Karavan computes the density the option describes.
    """
    P = np.asarray(presence, dtype=np.float64)
    phi = np.array(phi, dtype=np.float64)
    n = phi.shape[0]
    if not 1 <= k < n:
        raise ShapeError(
            f"knn must lie between 1 and the number of products - 1 ({n - 1}); got {k}"
        )
    np.fill_diagonal(phi, -np.inf)
    nearest = np.argpartition(-phi, k - 1, axis=1)[:, :k]
    weights = np.take_along_axis(phi, nearest, axis=1)
    weights = weights / weights.sum(axis=1, keepdims=True)
    W = sp.csr_array((weights.ravel(), (np.repeat(np.arange(n), k), nearest.ravel())), shape=(n, n))
    return np.asarray((W @ P.T).T, dtype=np.float64)


def distance(M: Any, phi: Any) -> Array:
    """``d_cp = 1 - sum_p' M_cp' phi_pp' / sum_p' phi_pp'`` from the discrete ``M``."""
    return 1.0 - density(M, phi)


def complexity_outlook_index(dens: Any, M: Any, kp: Any) -> Array:
    """``COI_c = sum_p omega_cp (1 - M_cp) kp_p`` (before standardisation)."""
    dens = np.asarray(dens, dtype=np.float64)
    M = np.asarray(M, dtype=np.float64)
    return np.asarray((dens * (1.0 - M)) @ np.asarray(kp, dtype=np.float64), dtype=np.float64)


def complexity_outlook_gain(M: Any, phi: Any, kp: Any) -> Array:
    """``COG_cp = (1 - M_cp) sum_p' (1 - M_cp') phi_p'p kp_p' / sum_p'' phi_p'p''``."""
    M = np.asarray(M, dtype=np.float64)
    phi = np.asarray(phi, dtype=np.float64)
    kp = np.asarray(kp, dtype=np.float64)
    w = kp / phi.sum(axis=1)
    absent = 1.0 - M
    out: Array = absent * ((absent * w[None, :]) @ phi)
    return out


def _max_spanning_forest(phi: Array) -> tuple[list[int], list[int], list[float]]:
    """Prim's algorithm on the dense symmetrised proximity ``min(phi, phi')``: O(P^2) time and
    O(P) memory beyond ``phi``. Zero or NaN proximity is no edge; unconnected parts get their
    own trees (a forest)."""
    n = phi.shape[0]
    in_tree = np.zeros(n, dtype=bool)
    best = np.full(n, -np.inf)
    parent = np.full(n, -1, dtype=np.intp)
    src: list[int] = []
    dst: list[int] = []
    weight: list[float] = []
    for _ in range(n):
        cand = np.where(in_tree, -np.inf, best)
        j = int(np.argmax(cand))
        if cand[j] > 0:
            src.append(int(parent[j]))
            dst.append(j)
            weight.append(float(cand[j]))
        else:  # nothing reaches the tree: start another one
            j = int(np.flatnonzero(~in_tree)[0])
        in_tree[j] = True
        row = np.nan_to_num(np.fmin(phi[j, :], phi[:, j]), nan=0.0)
        better = (row > best) & ~in_tree
        best[better] = row[better]
        parent[better] = j
    return src, dst, weight


def product_space_edges(
    phi: Any,
    products: tuple[str, ...] | list[str],
    *,
    threshold: float = PRODUCT_SPACE_THRESHOLD,
    top: int | None = None,
) -> pd.DataFrame:
    """Edges of the product-space graph: the maximum spanning tree of the proximity (so the
    graph is connected wherever products are related at all) plus every other pair with
    proximity at least ``threshold`` (the strongest ``top`` of them when given), as in Hidalgo
    et al. (2007) and the Atlas. An asymmetric proximity is symmetrised by the minimum.

    Returns columns ``source, target, proximity, kind`` (``"mst"`` or ``"threshold"``), with
    ``source`` before ``target`` in product order; NaN and zero proximities are no edges.
    """
    phi = np.asarray(phi, dtype=np.float64)
    n = len(products)
    if phi.shape != (n, n):
        raise LabelError(f"proximity is {phi.shape}; expected {n} x {n} for the products given")
    a, b, w = _max_spanning_forest(phi)
    r = np.minimum(np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp))
    c = np.maximum(np.asarray(a, dtype=np.intp), np.asarray(b, dtype=np.intp))
    order = np.lexsort((c, r))
    mst = pd.DataFrame(
        {"i": r[order], "j": c[order], "proximity": np.asarray(w)[order], "kind": "mst"}
    )
    in_tree = set(zip(mst["i"].tolist(), mst["j"].tolist(), strict=True))
    parts = []
    for start in range(0, n, _BLOCK):  # pairs above the threshold, by blocks of rows
        stop = min(start + _BLOCK, n)
        block = np.fmin(phi[start:stop], phi[:, start:stop].T)
        block[np.tril_indices(stop - start, k=start, m=n)] = np.nan  # keep j > i only
        bi, bj = np.nonzero(block >= threshold)
        parts.append(pd.DataFrame({"i": bi + start, "j": bj, "proximity": block[bi, bj]}))
    extra = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if len(extra):
        keep = [(i, j) not in in_tree for i, j in zip(extra["i"], extra["j"], strict=True)]
        extra = extra[np.asarray(keep, dtype=bool)].assign(kind="threshold")
        extra = extra.sort_values("proximity", ascending=False, kind="stable")
    if top is not None:
        extra = extra.iloc[:top]
    edges = pd.concat([mst, extra], ignore_index=True) if len(extra) else mst
    labels = np.asarray(products, dtype=object)
    return pd.DataFrame(
        {
            "source": labels[edges["i"].to_numpy(dtype=np.intp)],
            "target": labels[edges["j"].to_numpy(dtype=np.intp)],
            "proximity": edges["proximity"].to_numpy(dtype=np.float64),
            "kind": edges["kind"].astype(str).to_numpy(),
        }
    )
