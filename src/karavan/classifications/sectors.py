"""The 35 WIOD 2013 sectors in ISIC Rev.3, and OECD technology-intensity groups.

- :func:`wiod_sectors_to_isic3`: each WIOD 2013 sector (``c1``..``c35``, ISIC Rev.3 based;
  Timmer et al. 2015) and the ISIC Rev.3 divisions it covers.
- :func:`technology_intensity`: technology groups of manufacturing industries, two schemes:

  - ``"oecd2016"``: the OECD taxonomy by R&D intensity (Galindo-Rueda and Verger 2016, OECD
    STI Working Paper 2016/04), ISIC Rev.4 divisions and groups, five groups (high,
    medium-high, medium, medium-low, low; no manufacturing industry is low).
  - ``"hatzichronoglou1997"``: the OECD technology classification (Hatzichronoglou 1997, OECD
    STI Working Paper 1997/02; ISIC Rev.3 version as used since the OECD STI Scoreboard 2001),
    ISIC Rev.3, four groups (high, medium-high, medium-low, low); also for the 14 WIOD
    manufacturing sectors (``mixed`` where a sector's divisions fall in more than one group,
    e.g. chemicals: pharmaceuticals are high, the rest medium-high).

The 2016 taxonomy is not mapped to the WIOD sectors: they are ISIC Rev.3 based and the
reference data hold no ISIC Rev.3 -> Rev.4 correspondence.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import pandas as pd

from karavan.classifications.store import CLASSIFICATIONS_DATA, unknown_label
from karavan.errors import DatasetNotFoundError

__all__ = ["TECHNOLOGY_GROUPS", "technology_intensity", "wiod_sectors_to_isic3"]

TECHNOLOGY_GROUPS: dict[str, tuple[str, ...]] = {
    "oecd2016": ("high", "medium-high", "medium", "medium-low", "low"),
    "hatzichronoglou1997": ("high", "medium-high", "medium-low", "low"),
}
"""The groups of each scheme, most intensive first."""

_NATIVE = {"oecd2016": "isic4", "hatzichronoglou1997": "isic3"}
_FILES = {
    ("oecd2016", "isic4"): "technology_intensity_isic4.csv",
    ("hatzichronoglou1997", "isic3"): "technology_intensity_isic3.csv",
    ("hatzichronoglou1997", "wiod35"): "technology_intensity_wiod35.csv",
}
_BY = ("isic3", "isic4", "wiod35")


@cache
def _wiod() -> pd.DataFrame:
    return pd.read_csv(
        CLASSIFICATIONS_DATA / "wiod35_isic3.csv",
        dtype={"sector": str, "wiod_code": str, "isic3_division": str},
    )


def wiod_sectors_to_isic3() -> pd.DataFrame:
    """One row per (WIOD sector, ISIC Rev.3 division): ``index`` (1-35), ``sector`` (Karavan's
    short code, as in ``sectors_wiod35.csv``), ``wiod_code`` (WIOD's code: ``AtB``, ``15t16``,
    ...) and ``isic3_division`` (two digits). 59 rows; every ISIC Rev.3 division appears exactly
    once, except 99 (extraterritorial organisations), which WIOD does not have."""
    return _wiod().copy()


@cache
def _technology(name: str) -> pd.DataFrame:
    frame = pd.read_csv(CLASSIFICATIONS_DATA / name, dtype=str, keep_default_na=False)
    return frame.astype({"index": "int64"}) if "index" in frame.columns else frame


def technology_intensity(
    scheme: Literal["oecd2016", "hatzichronoglou1997"] = "oecd2016",
    by: Literal["isic3", "isic4", "wiod35"] | None = None,
) -> pd.DataFrame:
    """Technology-intensity groups of manufacturing industries.

    ``by`` defaults to the scheme's own classification: ISIC Rev.4 for ``"oecd2016"``, ISIC
    Rev.3 for ``"hatzichronoglou1997"``. By ISIC: columns ``isic4`` (or ``isic3``: division,
    group or class code), ``group`` and ``label``; a longer code overrides the division it lies
    in (2016: ``252`` weapons is medium-high in division 25, medium-low; 1997: ``2423``
    pharmaceuticals is high in division 24, medium-high). ``by="wiod35"`` (1997 scheme only):
    columns ``index``, ``sector``, ``wiod_code``, ``group`` (a group, or ``mixed``) and
    ``groups`` (the groups found in the sector, ``;``-separated, most intensive first);
    manufacturing sectors only (3-16).

    Raises :class:`~karavan.errors.LabelError` for an unknown scheme or breakdown, and
    :class:`~karavan.errors.DatasetNotFoundError` for a breakdown not shipped for that scheme.
    """
    if scheme not in _NATIVE:
        raise unknown_label("technology-intensity scheme", scheme, _NATIVE)
    breakdown = _NATIVE[scheme] if by is None else str(by)
    if breakdown not in _BY:
        raise unknown_label("technology-intensity breakdown", breakdown, _BY)
    name = _FILES.get((scheme, breakdown))
    if name is None:
        shipped = ", ".join(repr(b) for s, b in _FILES if s == scheme)
        raise DatasetNotFoundError(
            f"technology intensity {scheme!r} is not shipped by {breakdown!r}; shipped: {shipped}"
            + (
                " (the WIOD sectors are ISIC Rev.3 based and no ISIC Rev.3 -> Rev.4"
                " correspondence is shipped)"
                if scheme == "oecd2016" and breakdown == "wiod35"
                else ""
            )
        )
    return _technology(name).copy()
