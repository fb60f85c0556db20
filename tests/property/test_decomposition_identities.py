"""Identities of the gross-export decompositions on random productive, balanced tables.

Tables are built backwards as in ``test_identities.py``: coefficients ``A >= 0`` with column sums
below 1, final demand ``Y >= 0``, ``x = (I - A)^-1 Y 1``, ``Z = A diag(x)``, ``V = x' - 1'Z``; some
industries may be dormant (no sales, no inputs, zero output). The identities checked hold in
exact arithmetic for every such table (references in the module docstrings of
``karavan.core.gvc.wwz`` and ``.kww``):

- WWZ: the 16 terms of each flow sum to its gross exports ``E_sr``; T1-T10 are its domestic
  content ``(V_s B_ss)' # E_sr`` and T11-T16 its foreign content (as ``sum_t V_t B_ts = 1'``);
- KWW: the 9 terms of each region sum to its gross exports ``E_s*`` (KWW 2014);
- WWZ summed over sectors and partners in decompr's ``wwz2kww`` groups equals KWW, term by term
  (WWZ 2013, Table E2; the relation ``B = L + L A_m B`` of the local and global inverses);
- value added exported (T1-T5 summed, KWW 1-3) equals the value added of ``s`` absorbed abroad
  (Johnson and Noguera 2012), computed independently by ``value_added_by_origin``;
- the Leontief decomposition of exports has columns summing to each industry's exports.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from karavan.core import LeontiefModel, MRIOTable, value_added_by_origin
from karavan.core.exports import bilateral_exports, gross_exports
from karavan.core.gvc.kww import kww_decomposition
from karavan.core.gvc.leontief_decomposition import leontief_decomposition
from karavan.core.gvc.wwz import WWZ_GROUPS, wwz_decomposition, wwz_groups, wwz_to_kww

SETTINGS = settings(max_examples=40, deadline=None)
RTOL = 1e-10


@dataclass(frozen=True)
class Drawn:
    table: MRIOTable
    A: np.ndarray


@st.composite
def tables(draw: st.DrawFn, regions: tuple[int, int] = (2, 4)) -> Drawn:
    R = draw(st.integers(*regions))
    S = draw(st.integers(1, 4))
    C = draw(st.integers(1, 2))
    n = R * S
    max_colsum = draw(st.sampled_from([0.1, 0.5, 0.9, 0.99]))
    density = draw(st.sampled_from([0.3, 1.0]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    dormant = np.zeros(n, dtype=bool)
    if n > 2 and draw(st.booleans()):
        dormant[rng.choice(n, size=int(rng.integers(1, n // 2 + 1)), replace=False)] = True
    A = rng.uniform(0.0, 1.0, (n, n)) * (rng.uniform(size=(n, n)) < density)
    A[dormant, :] = 0.0
    A[:, dormant] = 0.0
    colsum = A.sum(axis=0)
    target = rng.uniform(0.05, max_colsum, n)
    A *= np.divide(target, colsum, out=np.zeros(n), where=colsum > 0)[None, :]
    Y = rng.uniform(0.0, 100.0, (n, R * C)) * (rng.uniform(size=(n, R * C)) < 0.8)
    Y[dormant, :] = 0.0
    x = np.linalg.solve(np.eye(n) - A, Y.sum(axis=1))
    x[dormant] = 0.0
    table = MRIOTable.from_arrays(
        regions=[f"R{i}" for i in range(R)],
        sectors=[f"s{j}" for j in range(S)],
        categories=[f"c{k}" for k in range(C)],
        Z=A * x[None, :],
        Y=Y,
        x=x,
    )
    return Drawn(table, A)


def assert_close(actual: np.ndarray, expected: np.ndarray, scale: float) -> None:
    np.testing.assert_allclose(actual, expected, rtol=RTOL, atol=RTOL * max(scale, 1e-300))


def domestic_share(d: Drawn) -> np.ndarray:
    """``(V_s B_ss)_i`` for each industry i of s, from a dense inverse (independent of the code)."""
    t = d.table
    n, N = t.n, t.n_sectors
    v = np.divide(t.V.sum(axis=0), t.x, out=np.zeros(n), where=t.x != 0)
    B = np.linalg.inv(np.eye(n) - d.A)
    own = np.repeat(np.arange(t.n_regions), N)
    return np.asarray((v[:, None] * B * (own[:, None] == own[None, :])).sum(axis=0))


@given(tables())
@SETTINGS
def test_wwz_terms_sum_to_each_bilateral_flow(d: Drawn) -> None:
    t = d.table
    w = wwz_decomposition(LeontiefModel(t))
    E = bilateral_exports(t).stack()  # (region, sector, importer), row-major like WWZ
    E.index = E.index.set_names(["exporter", "sector", "importer"])
    foreign = E.index.get_level_values(0) != E.index.get_level_values(2)
    E = E[foreign]
    assert w.index.equals(E.index)
    assert_close(w.sum(axis=1).to_numpy(), E.to_numpy(), float(E.abs().max()))


@given(tables())
@SETTINGS
def test_wwz_domestic_and_foreign_content_of_each_flow(d: Drawn) -> None:
    t = d.table
    w = wwz_decomposition(LeontiefModel(t))
    share = domestic_share(d)  # V_s B_ss; the foreign share is 1 - it, as v B = 1'
    E = bilateral_exports(t).to_numpy()
    G = t.n_regions
    own = np.repeat(np.arange(G), t.n_sectors)
    foreign = own[:, None] != np.arange(G)[None, :]
    dc = (share[:, None] * E)[foreign]
    fc = ((1.0 - share)[:, None] * E)[foreign]
    scale = float(np.abs(E).max())
    assert_close(w[[f"T{k}" for k in range(1, 11)]].sum(axis=1).to_numpy(), dc, scale)
    assert_close(w[[f"T{k}" for k in range(11, 17)]].sum(axis=1).to_numpy(), fc, scale)
    groups = wwz_groups(w)
    assert_close(groups.sum(axis=1).to_numpy(), w.sum(axis=1).to_numpy(), scale)
    assert list(groups) == list(WWZ_GROUPS)


@given(tables())
@SETTINGS
def test_kww_terms_sum_to_gross_exports(d: Drawn) -> None:
    t = d.table
    k = kww_decomposition(LeontiefModel(t))
    E = gross_exports(t).groupby(level="region", sort=False).sum()
    assert k.index.tolist() == E.index.tolist()
    assert_close(k.sum(axis=1).to_numpy(), E.to_numpy(), float(E.abs().max()))


@given(tables())
@SETTINGS
def test_wwz_aggregates_to_kww_term_by_term(d: Drawn) -> None:
    m = LeontiefModel(d.table)
    k = kww_decomposition(m)
    from_wwz = wwz_to_kww(wwz_decomposition(m))
    assert from_wwz.index.tolist() == k.index.tolist()
    assert list(from_wwz.columns) == list(k.columns)
    assert_close(from_wwz.to_numpy(), k.to_numpy(), float(k.to_numpy().max()))


@given(tables())
@SETTINGS
def test_value_added_exported_is_value_added_absorbed_abroad(d: Drawn) -> None:
    t = d.table
    m = LeontiefModel(t)
    va = value_added_by_origin(m).groupby(level="region", sort=False).sum()  # origin x absorber
    vax = va.to_numpy().sum(axis=1) - np.diag(va.to_numpy())
    k = kww_decomposition(m)
    w = wwz_groups(wwz_decomposition(m), {"VAX": ("T1", "T2", "T3", "T4", "T5")})
    scale = float(np.abs(vax).max())
    assert_close(k[["DVA_FIN", "DVA_INT", "DVA_INTrex"]].sum(axis=1).to_numpy(), vax, scale)
    assert_close(w.groupby(level="exporter", sort=False).sum()["VAX"].to_numpy(), vax, scale)


@given(tables())
@SETTINGS
def test_leontief_columns_sum_to_exports_and_blocks_to_content(d: Drawn) -> None:
    t = d.table
    m = LeontiefModel(t)
    L = leontief_decomposition(m)
    E = gross_exports(t).to_numpy()
    scale = float(np.abs(E).max())
    assert_close(L.sum(axis=0).to_numpy(), E, scale)
    own = np.repeat(np.arange(t.n_regions), t.n_sectors)
    domestic = (L.to_numpy() * (own[:, None] == own[None, :])).sum(axis=0)
    assert_close(domestic, domestic_share(d) * E, scale)  # KWW terms 1-6 by exporting sector


@given(tables(regions=(1, 1)))
@SETTINGS
def test_one_region_has_no_exports(d: Drawn) -> None:
    m = LeontiefModel(d.table)
    assert wwz_decomposition(m).empty
    assert np.array_equal(kww_decomposition(m).to_numpy(), np.zeros((1, 9)))
    assert not leontief_decomposition(m).to_numpy().any()
