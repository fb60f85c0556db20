"""TiVA indicators against dense formulas (explicit Leontief inverses) on small tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from karavan.core import LeontiefModel, MRIOTable
from karavan.core.gvc.tiva import COUNTRY_INDICATORS, TivaResult, tiva_indicators
from karavan.errors import LabelError
from tests.conftest import small_table


class Dense:
    """Every TiVA ingredient from explicit inverses, economies given as industry lists."""

    def __init__(self, t: MRIOTable, groups: list[list[int]]) -> None:
        n, S, C = t.n, t.n_sectors, len(t.categories)
        self.t, self.groups = t, groups
        self.A = t.Z / t.x[None, :]
        self.L = np.linalg.inv(np.eye(n) - self.A)
        self.v = (t.x - t.Z.sum(axis=0)) / t.x
        self.econ = np.empty(n, dtype=int)
        for e, ix in enumerate(groups):
            self.econ[ix] = e
        Yr = t.Y.reshape(n, t.n_regions, C).sum(axis=2)
        self.Y = np.stack([Yr[:, sorted({j // S for j in ix})].sum(axis=1) for ix in groups], 1)
        G = len(groups)
        self.E = np.zeros((n, G))  # exports by industry and partner economy
        for j in range(n):
            for p, ix in enumerate(groups):
                if p != self.econ[j]:
                    self.E[j, p] = t.Z[j, ix].sum() + self.Y[j, p]

    def origin(self, o: int) -> np.ndarray:
        """``v_o' L`` (n)."""
        mask = np.isin(np.arange(self.t.n), self.groups[o])
        return np.asarray((self.v * mask) @ self.L)

    def va(self, o: int, d: int) -> float:
        """Value added of ``o`` absorbed by the final demand of ``d``."""
        ix = self.groups[o]
        return float(self.v[ix] @ (self.L @ self.Y[:, d])[ix])

    def content(self, o: int, c: int) -> float:
        """Value added of ``o`` in the gross exports of ``c``."""
        ix = self.groups[c]
        return float(self.origin(o)[ix] @ self.E[ix].sum(axis=1))


@pytest.fixture(scope="module")
def table() -> MRIOTable:
    return small_table(regions=("RUS", "KAZ", "CHN", "ROW"), sectors=("A", "M", "S"), seed=3)


@pytest.mark.parametrize("blocs", [None, {"EAEU": ("RUS", "KAZ", "BLR")}])
def test_country_indicators_match_dense_formulas(
    table: MRIOTable, blocs: dict[str, tuple[str, ...]] | None
) -> None:
    res = tiva_indicators(LeontiefModel(table), blocs=blocs)
    groups = (
        [[0, 1, 2, 3, 4, 5], [6, 7, 8], [9, 10, 11]]
        if blocs
        else [
            [0, 1, 2],
            [3, 4, 5],
            [6, 7, 8],
            [9, 10, 11],
        ]
    )
    d = Dense(table, groups)
    G = len(groups)
    assert res.economies == (("EAEU", "CHN", "ROW") if blocs else table.regions)
    for c, label in enumerate(res.economies):
        row = res.country.loc[label]
        ix = groups[c]
        exgr = d.E[ix].sum()
        imgr = sum(d.E[groups[p], c].sum() for p in range(G) if p != c)
        assert row["PROD"] == pytest.approx(table.x[ix].sum())
        assert row["EXGR"] == pytest.approx(exgr)
        assert row["IMGR"] == pytest.approx(imgr)
        assert row["EXGR_DVA"] == pytest.approx(d.content(c, c))
        assert row["EXGR_FVA"] == pytest.approx(sum(d.content(o, c) for o in range(G) if o != c))
        assert row["EXGR_DVAFX"] == pytest.approx(sum(d.content(c, p) for p in range(G) if p != c))
        assert row["EXGR_FVASH"] == pytest.approx(100 * row["EXGR_FVA"] / exgr)
        assert row["DXD_DVA"] == pytest.approx(d.va(c, c))
        assert row["FFD_DVA"] == pytest.approx(sum(d.va(c, p) for p in range(G) if p != c))
        assert row["DFD_FVA"] == pytest.approx(sum(d.va(o, c) for o in range(G) if o != c))
        assert row["FD_VA"] == pytest.approx(sum(d.va(o, c) for o in range(G)))
        # direct / indirect / re-imported domestic content
        Lcc = np.linalg.inv(np.eye(len(ix)) - d.A[np.ix_(ix, ix)])
        e = d.E[ix].sum(axis=1)
        local = d.v[ix] @ Lcc
        assert row["EXGR_DDC"] == pytest.approx(float(d.v[ix] * np.diag(Lcc) @ e))
        assert row["EXGR_IDC"] == pytest.approx(float((local - d.v[ix] * np.diag(Lcc)) @ e))
        assert row["EXGR_RIM"] == pytest.approx(float((d.origin(c)[ix] - local) @ e))
    assert list(res.country.columns) == list(COUNTRY_INDICATORS)


def test_partner_and_sector_frames(table: MRIOTable) -> None:
    res = tiva_indicators(LeontiefModel(table))
    d = Dense(table, [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]])
    p = res.by_partner
    assert p.index.names == ["economy", "partner"]
    assert len(p) == 4 * 3
    # RUS -> CHN
    assert p.loc[("RUS", "CHN"), "EXGR"] == pytest.approx(d.E[0:3, 2].sum())
    assert p.loc[("RUS", "CHN"), "IMGR"] == pytest.approx(d.E[6:9, 0].sum())
    assert p.loc[("RUS", "CHN"), "EXGR_DVA"] == pytest.approx(float(d.origin(0)[0:3] @ d.E[0:3, 2]))
    assert p.loc[("RUS", "CHN"), "DEXFVAP"] == pytest.approx(d.content(2, 0))
    assert p.loc[("RUS", "CHN"), "FEXDVAP"] == pytest.approx(d.content(0, 2))
    assert p.loc[("RUS", "CHN"), "FFD_DVA"] == pytest.approx(d.va(0, 2))
    assert p.loc[("RUS", "CHN"), "DFD_FVA"] == pytest.approx(d.va(2, 0))
    assert p.loc[("RUS", "CHN"), "BALVAFD"] == pytest.approx(d.va(0, 2) - d.va(2, 0))
    # partner rows add up to the country table
    for name in ("EXGR", "IMGR", "EXGR_DVA", "EXGR_FVA", "FFD_DVA", "DFD_FVA", "BALVAFD"):
        np.testing.assert_allclose(
            p[name].groupby(level="economy", sort=False).sum(), res.country[name], rtol=1e-12
        )
    np.testing.assert_allclose(
        p["DEXFVAP"].groupby(level="economy", sort=False).sum(), res.country["EXGR_FVA"]
    )
    # sector rows add up too, and follow the exporting sector
    s = res.by_sector
    assert s.index.names == ["economy", "sector"]
    for name in ("PROD", "VALU", "EXGR", "IMGR", "EXGR_DVA", "EXGR_FVA", "EXGR_DVAFX", "FFD_DVA"):
        np.testing.assert_allclose(
            s[name].groupby(level="economy", sort=False).sum(), res.country[name], rtol=1e-12
        )
    assert s.loc[("KAZ", "M"), "EXGR_DVA"] == pytest.approx(d.origin(1)[4] * d.E[4].sum())
    assert s.loc[("KAZ", "M"), "FFD_DVA"] == pytest.approx(
        sum(d.v[4] * (d.L @ d.Y[:, q])[4] for q in (0, 2, 3))
    )
    # origin of value added in final demand
    fo = res.fd_va_origin
    assert fo.loc[("CHN", "S"), "ROW"] == pytest.approx(d.v[8] * (d.L @ d.Y[:, 3])[8])


def test_named_bloc_skips_absent_members(table: MRIOTable) -> None:
    res = tiva_indicators(LeontiefModel(table), blocs=["EAEU"])
    assert isinstance(res, TivaResult)
    assert res.economies == ("EAEU", "CHN", "ROW")
    assert res.blocs == {"EAEU": ("RUS", "KAZ")}
    assert res.absent == {"EAEU": ("BLR", "ARM", "KGZ")}
    plain = tiva_indicators(LeontiefModel(table)).by_partner
    extra = plain.loc[[("RUS", "CHN"), ("RUS", "ROW"), ("KAZ", "CHN"), ("KAZ", "ROW")], "EXGR"]
    assert res.country.loc["EAEU", "EXGR"] == pytest.approx(extra.sum())


@pytest.mark.parametrize(
    ("blocs", "match"),
    [
        ({"EAEU": ("BLR", "ARM", "KGZ")}, "no member among the table's regions"),
        (["EAEU", "MERCOSUR"], "unknown bloc 'MERCOSUR'"),
        ({"A": ("RUS", "KAZ"), "B": ("KAZ", "CHN")}, "'KAZ' is in two blocs"),
        ({"ROW": ("RUS", "KAZ")}, "outside the bloc"),
    ],
)
def test_bad_blocs_raise(table: MRIOTable, blocs: object, match: str) -> None:
    with pytest.raises(LabelError, match=match):
        tiva_indicators(LeontiefModel(table), blocs=blocs)  # type: ignore[arg-type]


def test_one_region_table_has_no_trade_and_full_closure() -> None:
    t = small_table(regions=("RUS",))
    res = tiva_indicators(LeontiefModel(t))
    row = res.country.loc["RUS"]
    assert row["EXGR"] == 0.0
    assert row["IMGR"] == 0.0
    assert np.isnan(row["EXGR_DVASH"])
    assert np.isnan(row["EXGR_FVASH"])
    assert row["DFD_DVASH"] == pytest.approx(100.0)
    assert row["DXD_DVA"] == pytest.approx(row["VALU"]) == pytest.approx(t.value_added.sum())
    assert res.by_partner.empty


def test_bloc_may_take_a_member_name(table: MRIOTable) -> None:
    res = tiva_indicators(LeontiefModel(table), blocs={"RUS": ("RUS", "KAZ")})
    assert res.economies == ("RUS", "CHN", "ROW")
    assert isinstance(res.country, pd.DataFrame)
