"""Trade data, revealed comparative advantage and economic complexity.

- :mod:`~karavan.trade.table`: the frozen :class:`TradeTable` (exporters x products, optional
  partner dimension)
- :mod:`~karavan.trade.readers`: CEPII BACI, UN Comtrade bulk CSV, the generic long format
- :mod:`~karavan.trade.builtin`: the built-in data (world SITC 1998-2000, Kazakhstan's BACI
  extracts, population, country codes)
- :mod:`~karavan.trade.rca`: RCA, RPOP, Mcp, diversity, ubiquity
- :mod:`~karavan.trade.complexity`: ECI, PCI, Fitness-Complexity and the full metric set
- :mod:`~karavan.trade.space`: proximity, density, distance, COI, COG, the product-space graph
- :mod:`~karavan.trade.views`: next products for a country; the product space as frames
- :mod:`~karavan.trade.eaeu`: bloc RCA, intra-bloc trade, import-substitution opportunities
- :mod:`~karavan.trade.producers`: the extension point for the enterprise registry

The layer imports :mod:`karavan.core` and :mod:`karavan.errors` only.
"""

from karavan.trade.builtin import (
    builtin_trade_datasets,
    country_names,
    gdp_per_capita,
    load_builtin_trade,
    population,
)
from karavan.trade.complexity import ComplexityResult, complexity, eci_pci, fitness_complexity
from karavan.trade.eaeu import (
    BlocView,
    bloc_rca,
    import_substitution,
    intra_bloc_trade,
    members_next_products,
)
from karavan.trade.producers import Producer, ProducerDirectory
from karavan.trade.rca import diversity, mcp, rca, rca_frame, rpop, rpop_frame, ubiquity
from karavan.trade.readers import read_baci, read_comtrade, read_trade, read_trade_long
from karavan.trade.table import TradeMetadata, TradeTable
from karavan.trade.views import ProductSpace, next_products, product_space

__all__ = [
    "BlocView",
    "ComplexityResult",
    "Producer",
    "ProducerDirectory",
    "ProductSpace",
    "TradeMetadata",
    "TradeTable",
    "bloc_rca",
    "builtin_trade_datasets",
    "complexity",
    "country_names",
    "diversity",
    "eci_pci",
    "fitness_complexity",
    "gdp_per_capita",
    "import_substitution",
    "intra_bloc_trade",
    "load_builtin_trade",
    "mcp",
    "members_next_products",
    "next_products",
    "population",
    "product_space",
    "rca",
    "rca_frame",
    "read_baci",
    "read_comtrade",
    "read_trade",
    "read_trade_long",
    "rpop",
    "rpop_frame",
    "ubiquity",
]
