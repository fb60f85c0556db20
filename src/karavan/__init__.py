"""Karavan: an open platform for industrial cooperation across Eurasia.

The value-chain engine lives in :mod:`karavan.core`; data sources in :mod:`karavan.sources`;
the local data directory in :mod:`karavan.datastore`.
"""

from karavan.core import MRIOTable, TableMetadata
from karavan.datastore import load, read

__version__ = "0.1.0"
__all__ = ["MRIOTable", "TableMetadata", "__version__", "load", "read"]
