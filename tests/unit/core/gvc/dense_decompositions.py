"""Reference decompositions written straight from the papers' block formulas (dense, slow).

Every term is computed from its published formula with explicit loops over exporter ``s``,
importer ``r`` and third regions ``t``, ``u``, with ``B = inv(I - A)`` and ``L_ss = inv(I - A_ss)``
from numpy: no algebraic shortcut of the production code is reused, so agreement between the
two is a check of those shortcuts. Only for small tables.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from karavan.core import MRIOTable


@dataclass(frozen=True)
class Blocks:
    G: int
    N: int
    A: np.ndarray
    B: np.ndarray
    Lloc: list[np.ndarray]  # L_ss per region
    v: np.ndarray
    Y: np.ndarray  # n x G
    x: np.ndarray
    E: np.ndarray  # n: total gross exports E_s*
    E_bilateral: np.ndarray  # n x G

    def b(self, s: int) -> slice:
        return slice(s * self.N, (s + 1) * self.N)


def blocks(t: MRIOTable) -> Blocks:
    G, N, n = t.n_regions, t.n_sectors, t.n
    inv_x = np.divide(1.0, t.x, out=np.zeros(n), where=t.x != 0)
    A = t.Z * inv_x[None, :]
    B = np.linalg.inv(np.eye(n) - A)
    Lloc = [
        np.linalg.inv(np.eye(N) - A[s * N : (s + 1) * N, s * N : (s + 1) * N]) for s in range(G)
    ]
    Y = t.Y.reshape(n, G, -1).sum(axis=2)
    Zr = t.Z.reshape(n, G, N).sum(axis=2)
    own = np.repeat(np.arange(G), N)
    Eb = Zr + Y
    Eb[np.arange(n), own] = 0.0
    return Blocks(G, N, A, B, Lloc, t.V.sum(axis=0) * inv_x, Y, t.x.copy(), Eb.sum(axis=1), Eb)


def wwz(t: MRIOTable) -> np.ndarray:
    """(G, N, G, 16): WWZ (2013) terms T1..T16 for exporter s, sector i, importer r."""
    k = blocks(t)
    G, B, A, v, Y, b = k.G, k.B, k.A, k.v, k.Y, k.b
    out = np.zeros((G, k.N, G, 16))
    for s in range(G):
        VsBss = v[b(s)] @ B[b(s), b(s)]
        VsLss = v[b(s)] @ k.Lloc[s]
        for r in range(G):
            if r == s:
                continue
            third = [u for u in range(G) if u not in (s, r)]
            Asr = A[b(s), b(r)]
            Brr = B[b(r), b(r)]
            ysr = Y[b(s), r]
            T = out[s, :, r]
            T[:, 0] = VsBss * ysr
            T[:, 1] = VsLss * (Asr @ Brr @ Y[b(r), r])
            T[:, 2] = VsLss * (
                Asr @ sum((B[b(r), b(u)] @ Y[b(u), u] for u in third), np.zeros(k.N))
            )
            T[:, 3] = VsLss * (Asr @ Brr @ sum((Y[b(r), u] for u in third), np.zeros(k.N)))
            inner = np.zeros(k.N)
            for u in third:
                beyond = sum((Y[b(u), w] for w in range(G) if w not in (s, u)), np.zeros(k.N))
                inner += B[b(r), b(u)] @ beyond
            T[:, 4] = VsLss * (Asr @ inner)
            T[:, 5] = VsLss * (Asr @ Brr @ Y[b(r), s])
            T[:, 6] = VsLss * (
                Asr @ sum((B[b(r), b(u)] @ Y[b(u), s] for u in third), np.zeros(k.N))
            )
            T[:, 7] = VsLss * (Asr @ B[b(r), b(s)] @ Y[b(s), s])
            ys_abroad = sum((Y[b(s), u] for u in range(G) if u != s), np.zeros(k.N))
            T[:, 8] = VsLss * (Asr @ B[b(r), b(s)] @ ys_abroad)
            T[:, 9] = (VsBss - VsLss) * (Asr @ k.x[b(r)])
            VrBrs = v[b(r)] @ B[b(r), b(s)]
            VtBts = sum((v[b(u)] @ B[b(u), b(s)] for u in third), np.zeros(k.N))
            lyd = Asr @ k.Lloc[r] @ Y[b(r), r]
            le = Asr @ k.Lloc[r] @ k.E[b(r)]
            T[:, 10], T[:, 11] = VrBrs * ysr, VtBts * ysr
            T[:, 12], T[:, 13] = VrBrs * lyd, VtBts * lyd
            T[:, 14], T[:, 15] = VrBrs * le, VtBts * le
    return out


def kww(t: MRIOTable) -> np.ndarray:
    """(G, 9): KWW (2014) eq. (36) terms for each exporter."""
    k = blocks(t)
    G, B, A, v, Y, b = k.G, k.B, k.A, k.v, k.Y, k.b
    out = np.zeros((G, 9))
    for s in range(G):
        Vs, Lss = v[b(s)], k.Lloc[s]
        for r in range(G):
            if r == s:
                continue
            VsBsr = Vs @ B[b(s), b(r)]
            out[s, 0] += Vs @ B[b(s), b(s)] @ Y[b(s), r]
            out[s, 1] += VsBsr @ Y[b(r), r]
            out[s, 2] += sum(VsBsr @ Y[b(r), u] for u in range(G) if u not in (s, r))
            out[s, 3] += VsBsr @ Y[b(r), s]
            out[s, 4] += VsBsr @ A[b(r), b(s)] @ Lss @ Y[b(s), s]
            out[s, 5] += VsBsr @ A[b(r), b(s)] @ Lss @ k.E[b(s)]
            for u in range(G):
                if u == s:
                    continue
                VuBus = v[b(u)] @ B[b(u), b(s)]
                Asr_Lrr = A[b(s), b(r)] @ k.Lloc[r]
                out[s, 6] += VuBus @ Y[b(s), r]
                out[s, 7] += VuBus @ Asr_Lrr @ Y[b(r), r]
                out[s, 8] += VuBus @ Asr_Lrr @ k.E[b(r)]
    return out


def leontief(t: MRIOTable, post: str) -> np.ndarray:
    """``diag(v) B`` times ``diag(E)``, ``diag(x)``, ``Y`` or nothing."""
    k = blocks(t)
    VB = k.v[:, None] * k.B
    return {
        "exports": VB @ np.diag(k.E),
        "output": VB @ np.diag(k.x),
        "final_demand": VB @ k.Y,
        "none": VB,
    }[post]
