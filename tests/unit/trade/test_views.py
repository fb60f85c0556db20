"""Next products and the product-space graph."""

from __future__ import annotations

import numpy as np
import pytest

from karavan.errors import LabelError
from karavan.trade.complexity import complexity
from karavan.trade.views import next_products, product_space
from tests.unit.trade.generated import exports_table


def zscore(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def test_next_products_are_the_unmade_products_scored() -> None:
    t = exports_table(30, 90, seed=9)
    res = complexity(t)
    c = 4
    frame = next_products(res, t.exporters[c])
    unmade = {t.products[j] for j in np.flatnonzero(res.mcp[c] == 0)}
    assert set(frame["product"]) == unmade
    score = (
        0.5 * zscore(frame["density"].to_numpy())
        + 0.25 * zscore(frame["cog"].to_numpy())
        + 0.25 * zscore(frame["pci"].to_numpy())
    )
    np.testing.assert_allclose(frame["score"], score, atol=1e-12)
    assert (np.diff(frame["score"]) <= 0).all()
    j = t.products.index(frame["product"].iloc[0])
    assert frame["density"].iloc[0] == res.density[c, j]
    only_density = next_products(res, t.exporters[c], weights={"density": 1.0}, top=5)
    assert list(only_density["density"]) == sorted(frame["density"], reverse=True)[:5]
    bets = next_products(res, t.exporters[c], more_complex_only=True)
    assert (bets["pci"] > res.eci[c]).all()
    with pytest.raises(LabelError, match="is not an exporter"):
        next_products(res, "XXX")


def test_product_space_graph() -> None:
    t = exports_table(40, 120, seed=10)
    res = complexity(t)
    ps = product_space(res, threshold=0.5, country=t.exporters[0])
    n = len(ps.nodes)
    assert n == int(np.isfinite(res.pci).sum())
    mst = ps.edges[ps.edges["kind"] == "mst"]
    assert len(mst) <= n - 1
    assert (ps.edges.loc[ps.edges["kind"] == "threshold", "proximity"] >= 0.5).all()
    assert not ps.edges.duplicated(["source", "target"]).any()
    degree = ps.edges["source"].value_counts().add(ps.edges["target"].value_counts(), fill_value=0)
    assert ps.nodes.set_index("product")["degree"].sum() == 2 * len(ps.edges)
    assert degree.max() == ps.nodes["degree"].max()
    np.testing.assert_array_equal(ps.nodes["mcp"], res.mcp[0])
    assert list(ps.nodes.columns)[:7] == [
        "product",
        "name",
        "group",
        "pci",
        "ubiquity",
        "world_exports",
        "degree",
    ]


def test_next_products_of_every_member() -> None:
    from karavan.trade.eaeu import members_next_products
    from tests.unit.trade.generated import bilateral_table

    t = bilateral_table(n_products=60)
    res = complexity(t)
    view = members_next_products(res, "EAEU", top=3)
    assert list(view.frame["country"]) == [
        m for m in ("RUS", "KAZ", "BLR", "ARM", "KGZ") for _ in range(3)
    ]
    kaz = view.frame[view.frame["country"] == "KAZ"].drop(columns="country").reset_index(drop=True)
    expected = next_products(res, "KAZ", top=3)
    assert kaz.equals(expected)
