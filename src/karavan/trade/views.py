"""Country views over a :class:`~karavan.trade.complexity.ComplexityResult`: feasible next
products and the product-space graph (JSON-ready frames for the web interface).

**Next products.** For a country ``c``, the candidates are the products it does not yet export
with comparative advantage (``M_cp = 0``) inside the network. Each gets the Atlas's three
numbers (Hausmann et al. 2014, ch. 5): density ``omega_cp`` (how close it is to what ``c``
already makes: feasibility), COG (how much new complexity it opens up) and PCI (how complex it
is). Karavan's ranking score is a weighted sum of the three, each standardised over the
candidates::

    score = w_density z(omega) + w_cog z(COG) + w_pci z(PCI)

with default weights 0.5, 0.25, 0.25. These weights are Karavan's choice, stated here, not the
Atlas's published ones; pass your own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from karavan.errors import LabelError
from karavan.trade.complexity import ComplexityResult
from karavan.trade.space import PRODUCT_SPACE_THRESHOLD, product_space_edges

__all__ = ["DEFAULT_WEIGHTS", "ProductSpace", "next_products", "product_space"]

DEFAULT_WEIGHTS: Mapping[str, float] = {"density": 0.5, "cog": 0.25, "pci": 0.25}


def _zscore(values: np.ndarray) -> np.ndarray:
    sd = np.nanstd(values)
    if not np.isfinite(sd) or sd == 0:
        return np.zeros_like(values)
    return np.asarray((values - np.nanmean(values)) / sd)


def _country_index(result: ComplexityResult, country: str) -> int:
    try:
        return result.exporters.index(country)
    except ValueError:
        raise LabelError(
            f"country {country!r} is not an exporter of this table "
            f"({len(result.exporters)} exporters, e.g. {', '.join(result.exporters[:6])})"
        ) from None


def next_products(
    result: ComplexityResult,
    country: str,
    *,
    weights: Mapping[str, float] | None = None,
    top: int | None = None,
    more_complex_only: bool = False,
) -> pd.DataFrame:
    """Products ``country`` does not export with comparative advantage, best first.

    Columns: ``product, name, group, rca, density, distance, cog, pci, world_exports,
    exports, score``. ``more_complex_only`` keeps products whose PCI exceeds the country's
    ECI (the Atlas's "strategic bets"); ``top`` keeps the first rows.
    """
    c = _country_index(result, country)
    if not (result.in_network_countries is not None and result.in_network_countries[c]):
        raise LabelError(
            f"{country} has no product with comparative advantage (diversity 0): it is outside "
            "the product space, so no density or outlook gain can be computed"
        )
    w = dict(DEFAULT_WEIGHTS if weights is None else weights)
    unknown = set(w) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise LabelError(f"weights may be given for density, cog and pci; got {sorted(unknown)}")
    candidates = (result.mcp[c] == 0) & np.isfinite(result.pci)
    if more_complex_only:
        candidates &= result.pci > result.eci[c]
    idx = np.flatnonzero(candidates)
    names, groups = result.meta.product_names, result.meta.product_groups
    products = [result.products[j] for j in idx]
    frame = pd.DataFrame(
        {
            "product": products,
            "name": [names.get(p, "") for p in products],
            "group": [groups.get(p, "") for p in products],
            "rca": result.rca[c, idx] if result.rca is not None else np.nan,
            "density": result.density[c, idx],
            "distance": result.distance[c, idx],
            "cog": result.cog[c, idx],
            "pci": result.pci[idx],
            "world_exports": result.exports[:, idx].sum(axis=0),
            "exports": result.exports[c, idx],
        }
    )
    score = np.zeros(len(frame))
    for key, weight in w.items():
        score += weight * _zscore(frame[key].to_numpy(dtype=np.float64))
    frame["score"] = score
    frame = frame.sort_values(["score", "product"], ascending=[False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    return frame.iloc[:top] if top is not None else frame


@dataclass(frozen=True)
class ProductSpace:
    """The product-space graph as two JSON-ready frames.

    ``nodes``: ``product, name, group (the community: section of the classification), pci,
    ubiquity, world_exports, degree`` and, for a country, ``mcp, rca, density``. ``edges``:
    ``source, target, proximity, kind`` (``mst`` or ``threshold``).
    """

    nodes: pd.DataFrame
    edges: pd.DataFrame
    threshold: float
    country: str | None


def product_space(
    result: ComplexityResult,
    *,
    threshold: float = PRODUCT_SPACE_THRESHOLD,
    top_edges: int | None = None,
    country: str | None = None,
) -> ProductSpace:
    """Nodes and edges of the product space: maximum spanning tree of the proximity plus the
    edges with proximity at least ``threshold`` (the ``top_edges`` strongest when given), as
    the Atlas draws it. Products outside the network (nobody has comparative advantage) are
    left out."""
    keep = np.flatnonzero(np.isfinite(result.pci))
    products = [result.products[j] for j in keep]
    phi = result.proximity[np.ix_(keep, keep)]
    edges = product_space_edges(phi, products, threshold=threshold, top=top_edges)
    degree = pd.concat([edges["source"], edges["target"]]).value_counts()
    names, groups = result.meta.product_names, result.meta.product_groups
    nodes = pd.DataFrame(
        {
            "product": products,
            "name": [names.get(p, "") for p in products],
            "group": [groups.get(p, "") for p in products],
            "pci": result.pci[keep],
            "ubiquity": result.ubiquity[keep],
            "world_exports": result.exports[:, keep].sum(axis=0),
            "degree": degree.reindex(products, fill_value=0).to_numpy(dtype=np.int64),
        }
    )
    if country is not None:
        c = _country_index(result, country)
        nodes["mcp"] = result.mcp[c, keep]
        nodes["rca"] = result.rca[c, keep] if result.rca is not None else np.nan
        nodes["density"] = result.density[c, keep]
    return ProductSpace(nodes=nodes, edges=edges, threshold=threshold, country=country)
