"""Classifications and reference series shipped with Karavan.

HS 2022 nomenclature; HS to ISIC Rev.4 and Rev.3 concordances; ISIC Rev.4 labels; the 35
WIOD 2013 sectors in ISIC Rev.3; OECD technology-intensity groups of manufacturing; country
codes with English and Russian names; World Bank GDP and population for per-capita
indicators. All read from ``karavan/data/classifications`` and ``karavan/data/macro`` (built by
``scripts/build_classifications.py``; sources and licences in the README there), cached after
the first call; each public function returns a fresh copy. See ``docs/classifications.md``.

Imports only :mod:`karavan.errors` (application layer, beside ``sources`` and ``trade``).
"""

from __future__ import annotations

from karavan.classifications.countries import countries, country_name
from karavan.classifications.hs import (
    hs_nomenclature,
    hs_parents,
    hs_sections,
    hs_to_isic,
    isic4_label,
    isic4_labels,
)
from karavan.classifications.macro import macro_series, per_capita
from karavan.classifications.sectors import (
    TECHNOLOGY_GROUPS,
    technology_intensity,
    wiod_sectors_to_isic3,
)

__all__ = [
    "TECHNOLOGY_GROUPS",
    "countries",
    "country_name",
    "hs_nomenclature",
    "hs_parents",
    "hs_sections",
    "hs_to_isic",
    "isic4_label",
    "isic4_labels",
    "macro_series",
    "per_capita",
    "technology_intensity",
    "wiod_sectors_to_isic3",
]
