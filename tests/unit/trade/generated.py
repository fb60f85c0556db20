"""Generated trade data for the tests: seeded, with the sparsity of real product-level trade
(large exporters make most products, small ones few; popular products are made widely)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from karavan.trade.table import TradeMetadata, TradeTable

EAEU_AND_OTHERS = ("RUS", "KAZ", "BLR", "ARM", "KGZ", "CHN", "DEU", "USA", "TUR", "UZB", "IND")


def exports_matrix(
    n_countries: int, n_products: int, seed: int, density: float = 0.5
) -> np.ndarray:
    """Exporters x products, positive where traded; every row and column has a positive sum."""
    rng = np.random.default_rng(seed)
    size = rng.lognormal(0.0, 1.2, n_countries)[:, None]
    popularity = rng.lognormal(0.0, 0.8, n_products)[None, :]
    prob = np.clip(
        density * (size / size.max()) ** 0.3 * (popularity / popularity.max()) ** 0.2, 0, 1
    )
    X = rng.lognormal(3.0, 2.0, (n_countries, n_products)) * size * (rng.random(prob.shape) < prob)
    X[np.arange(n_countries), rng.integers(0, n_products, n_countries)] += 1.0
    X[rng.integers(0, n_countries, n_products), np.arange(n_products)] += 1.0
    return X


def exports_table(n_countries: int = 30, n_products: int = 80, seed: int = 1) -> TradeTable:
    return TradeTable.from_arrays(
        exporters=[f"C{i:03d}" for i in range(n_countries)],
        products=[f"{j:06d}" for j in range(n_products)],
        X=exports_matrix(n_countries, n_products, seed),
        year=2021,
        meta=TradeMetadata(source="generated", unit="thousand"),
    )


def bilateral_table(
    countries: tuple[str, ...] = EAEU_AND_OTHERS, n_products: int = 40, seed: int = 5
) -> TradeTable:
    """A complete bilateral table: every country exports to every other (not to itself)."""
    rng = np.random.default_rng(seed)
    n = len(countries)
    X = exports_matrix(n, n_products, seed)
    shares = rng.dirichlet(np.ones(n - 1), size=(n, n_products))  # exporter, product, partner
    flows = np.zeros((n, n, n_products))
    for c in range(n):
        others = [m for m in range(n) if m != c]
        flows[c, others, :] = (X[c][:, None] * shares[c]).T
    return TradeTable.from_arrays(
        exporters=countries,
        importers=countries,
        products=[f"{j:06d}" for j in range(n_products)],
        flows=flows,
        year=2021,
        meta=TradeMetadata(source="generated", classification="HS 6-digit", unit="thousand"),
    )


M49 = {
    "RUS": 643,
    "KAZ": 398,
    "BLR": 112,
    "ARM": 51,
    "KGZ": 417,
    "CHN": 156,
    "DEU": 276,
    "USA": 842,
    "TUR": 792,
    "UZB": 860,
    "IND": 699,
}


def write_baci(table: TradeTable, path: Path) -> Path:
    """``table``'s partner flows as a BACI file (t,i,j,k,v,q; codes numeric, k without its
    leading zeros, q padded 'NA' as BACI writes missing quantities)."""
    frame = table.to_frame(partners=True)
    out = pd.DataFrame(
        {
            "t": table.year,
            "i": frame["exporter"].map(M49),
            "j": frame["importer"].map(M49),
            "k": frame["product"].astype(int),
            "v": frame["value"].round(6),
            "q": "          NA",
        }
    )
    out.to_csv(path, index=False)
    return path
