"""Countries: ISO 3166-1 and UN M49 codes with English and Russian names.

From datasets/country-codes (PDDL): English names are the CLDR display names (UNTERM English
short names where CLDR has none), Russian names the UN terminology database's (UNTERM) short
and formal names. Territories without a UNTERM entry have no Russian name (empty text).
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import pandas as pd

from karavan.classifications.store import CLASSIFICATIONS_DATA, unknown_label
from karavan.errors import LabelError

__all__ = ["countries", "country_name"]

_LANGS = {"en": "name_en", "ru": "name_ru"}


@cache
def _countries() -> pd.DataFrame:
    frame = pd.read_csv(CLASSIFICATIONS_DATA / "countries.csv", dtype=str, keep_default_na=False)
    return frame.astype({"m49": "int64"})


def countries() -> pd.DataFrame:
    """One row per country or territory (249): ``iso3``, ``iso2``, ``m49``, ``name_en``,
    ``name_en_formal``, ``name_ru``, ``name_ru_formal`` (empty text where the source has no
    name)."""
    return _countries().copy()


@cache
def _names(lang: str) -> dict[str, str]:
    frame = _countries()
    return dict(zip(frame["iso3"], frame[_LANGS[lang]], strict=True))


def country_name(iso3: str, lang: Literal["en", "ru"] = "en") -> str:
    """The short name of a country in English or Russian: ``country_name("RUS", "ru") ==
    "Российская Федерация"``.

    Raises :class:`~karavan.errors.LabelError` for an unknown code (suggesting codes whose
    code or English name is close) or a country with no name in ``lang``.
    """
    if lang not in _LANGS:
        raise unknown_label("language", lang, _LANGS)
    names = _names(lang)
    if iso3 not in names:
        english = _names("en")
        by_name = {name.upper(): code for code, name in english.items()}
        if str(iso3).upper() in by_name:
            raise LabelError(
                f"unknown ISO3 country code {iso3!r}; did you mean {by_name[str(iso3).upper()]!r}?"
            )
        raise unknown_label("ISO3 country code", iso3, names)
    name = names[iso3]
    if not name:
        raise LabelError(f"country {iso3!r} has no name in language {lang!r} in the source")
    return name
