"""Identities of the TiVA indicators and the Borin-Mancini decompositions on random tables.

Tables are balanced by construction (``x = (I - A)^-1 Y 1``, ``Z = A diag(x)``, value added the
residual ``x - 1'Z``); some industries may be dormant (no sales, no demand, zero output). With
``same_technology`` the members of the first bloc share their input-coefficient columns, the
condition under which merging them into one region loses nothing (Miller and Blair 2009,
sec. 4.3), so that the ``blocs=`` option and aggregation must agree on every indicator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from karavan.core import LeontiefModel, MRIOTable, aggregate, bloc_concordance
from karavan.core.gvc.borin_mancini import borin_mancini
from karavan.core.gvc.tiva import tiva_indicators

SETTINGS = settings(max_examples=25, deadline=None)
RTOL = 1e-9
PARTS = ["DAVAX", "REX", "REF", "DDC", "FVA", "FDC"]
# Indicators that are sums of flows, unchanged by merging regions whatever their technology.
ACCOUNTING = ["PROD", "VALU", "EXGR", "EXGR_INT", "EXGR_FNL", "IMGR", "IMGR_INT", "IMGR_FNL"]
ACCOUNTING += ["BALGR", "FD_VA", "BALVAFD"]


@dataclass(frozen=True)
class Drawn:
    table: MRIOTable
    bloc: tuple[str, ...]


@st.composite
def tables(draw: st.DrawFn, same_technology: bool = False) -> Drawn:
    R = draw(st.integers(3, 5))
    S = draw(st.integers(1, 3))
    C = draw(st.integers(1, 2))
    n = R * S
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    max_colsum = draw(st.sampled_from([0.2, 0.6, 0.95]))
    A = rng.random((n, n)) * (rng.random((n, n)) < draw(st.sampled_from([0.5, 1.0])))
    colsum = A.sum(axis=0)
    A *= np.divide(rng.uniform(0.05, max_colsum, n), colsum, out=np.zeros(n), where=colsum > 0)
    size = draw(st.integers(2, R - 1))
    members = sorted(rng.choice(R, size=size, replace=False).tolist())
    dormant = np.zeros(n, dtype=bool)
    if not same_technology and n > 3 and draw(st.booleans()):
        dormant[rng.integers(0, n)] = True
    if same_technology:
        first = members[0]
        for r in members[1:]:
            A[:, r * S : (r + 1) * S] = A[:, first * S : (first + 1) * S]
    A[dormant, :] = 0.0
    A[:, dormant] = 0.0
    Y = rng.uniform(1.0, 100.0, size=(n, R * C))
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
    return Drawn(table, tuple(f"R{i}" for i in members))


def close(actual: object, expected: object) -> None:
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    scale = max(float(np.nanmax(np.abs(e), initial=0.0)), 1.0)
    np.testing.assert_allclose(a, e, rtol=RTOL, atol=RTOL * scale)


# ---------------------------------------------------------------------- Borin-Mancini
@SETTINGS
@given(tables())
def test_decomposition_terms_add_up_to_gross_exports(d: Drawn) -> None:
    model = LeontiefModel(d.table)
    dc = fc = None
    for level in ("country", "bilateral", "sector"):
        totals = {}
        for perspective in ("source", "sink"):
            flows = borin_mancini(model, perspective=perspective, level=level, by_flow=True)  # type: ignore[arg-type]
            close(flows[PARTS].sum(axis=1), flows["EXGR"])
            close(flows["DC"] + flows["FC"], flows["EXGR"])
            close(flows["GVC"], flows["EXGR"] - flows["DAVAX"])
            # the contents do not depend on the perimeter or the approach
            if dc is None:
                dc, fc = flows["DC"], flows["FC"]
            close(flows["DC"], dc)
            close(flows["FC"], fc)
            rows = borin_mancini(model, perspective=perspective, level=level)  # type: ignore[arg-type]
            close(rows[PARTS].sum(axis=1), rows["EXGR"])
            totals[perspective] = rows
        # source and sink split differently inside a perimeter, never its totals
        for term in ("DVA", "DDC", "FVA", "FDC", "REF", "VAX"):
            close(totals["sink"][term], totals["source"][term])


@SETTINGS
@given(tables())
def test_bloc_decomposition_adds_up(d: Drawn) -> None:
    model = LeontiefModel(d.table)
    for perspective in ("source", "sink"):
        flows = borin_mancini(
            model,
            perspective=perspective,  # type: ignore[arg-type]
            level="bilateral",
            blocs={"BLOC": d.bloc},
            by_flow=True,
        )
        close(flows[PARTS].sum(axis=1), flows["EXGR"])


# ---------------------------------------------------------------------- TiVA
@SETTINGS
@given(tables())
def test_tiva_identities(d: Drawn) -> None:
    t = d.table
    res = tiva_indicators(LeontiefModel(t))
    c, p, s = res.country, res.by_partner, res.by_sector
    for frame in (c, p, s):
        close(frame["EXGR_DVA"] + frame["EXGR_FVA"], frame["EXGR"])
    # every unit of value added is absorbed by some final demand, once
    close(c["FD_VA"].sum(), t.value_added.sum())
    close(res.fd_va_origin.to_numpy().sum(axis=1), s["VALU"])
    close(c["DXD_DVA"] + c["FFD_DVA"], c["VALU"])
    close(c["FD_VA"], t.Y_by_region.sum(axis=0))  # = each economy's final demand
    # the balance in value added equals the gross balance, in total (not partner by partner)
    close(c["BALVAFD"], c["BALGR"])
    close(p["BALVAFD"].groupby(level="economy", sort=False).sum(), c["BALGR"])
    close(c["EXGR"].sum(), c["IMGR"].sum())
    close(c["EXGR_DVAFX"], p["FEXDVAP"].groupby(level="economy", sort=False).sum())
    close(c["EXGR_DVA"], c["EXGR_DDC"] + c["EXGR_IDC"] + c["EXGR_RIM"])


@SETTINGS
@given(tables())
def test_bloc_of_every_region_is_closed(d: Drawn) -> None:
    t = d.table
    res = tiva_indicators(LeontiefModel(t), blocs={"WORLD": t.regions})
    row = res.country.loc["WORLD"]
    assert row["EXGR"] == 0.0
    assert row["IMGR"] == 0.0
    close(row["DFD_DVASH"], 100.0)  # closure 1: all value added in final demand is the bloc's
    close(row["DXD_DVA"], t.value_added.sum())
    assert np.isnan(row["EXGR_DVASH"])


def _merged(d: Drawn) -> tuple[object, object]:
    t = d.table
    model = LeontiefModel(t)
    merged = aggregate(t, regions=bloc_concordance(t.regions, {"BLOC": d.bloc}))
    return (
        tiva_indicators(model, blocs={"BLOC": d.bloc}),
        tiva_indicators(LeontiefModel(merged)),
    )


@SETTINGS
@given(tables())
def test_blocs_option_equals_aggregation_for_accounting_indicators(d: Drawn) -> None:
    via_blocs, via_aggregation = _merged(d)
    a, b = via_blocs.country, via_aggregation.country  # type: ignore[attr-defined]
    assert list(a.index) == list(b.index)
    close(a[ACCOUNTING], b[ACCOUNTING])
    close(a["EXGR_DVA"] + a["EXGR_FVA"], b["EXGR_DVA"] + b["EXGR_FVA"])
    close(a["DXD_DVA"] + a["FFD_DVA"], b["DXD_DVA"] + b["FFD_DVA"])
    pa, pb = via_blocs.by_partner, via_aggregation.by_partner  # type: ignore[attr-defined]
    close(pa[["EXGR", "IMGR", "BALGR"]], pb[["EXGR", "IMGR", "BALGR"]])


@SETTINGS
@given(tables(same_technology=True))
def test_blocs_option_equals_aggregation_without_aggregation_bias(d: Drawn) -> None:
    via_blocs, via_aggregation = _merged(d)
    for name in ("country", "by_partner", "by_sector", "fd_va_origin"):
        a, b = getattr(via_blocs, name), getattr(via_aggregation, name)
        if "EXGR_DDC" in a.columns:
            # "direct" is the exporting industry's own value added: merging the members' industry
            # i into one moves their mutual sales from indirect to direct; the sum is invariant
            close(a["EXGR_DDC"] + a["EXGR_IDC"], b["EXGR_DDC"] + b["EXGR_IDC"])
            a, b = (
                a.drop(columns=["EXGR_DDC", "EXGR_IDC"]),
                b.drop(columns=["EXGR_DDC", "EXGR_IDC"]),
            )
        close(a, b)
    t = d.table
    merged = aggregate(t, regions=bloc_concordance(t.regions, {"BLOC": d.bloc}))
    for level in ("country", "bilateral"):
        for perspective in ("source", "sink"):
            kw = {"perspective": perspective, "level": level}
            a = borin_mancini(LeontiefModel(t), blocs={"BLOC": d.bloc}, **kw)  # type: ignore[arg-type]
            b = borin_mancini(LeontiefModel(merged), **kw)  # type: ignore[arg-type]
            close(a, b)
