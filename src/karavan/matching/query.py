"""What a buyer asks for (:class:`NeedQuery`) and how countries are ranked (:class:`CountryPolicy`).

A need names what is wanted by official codes (HS 2022 subheadings, ISIC Rev.4 classes) and/or
free text in Russian, English or Kazakh, with an optional quantity, certifications and
preferred countries. ``technology=True`` asks for know-how rather than goods: science centres
are then proposed beside producers.

Country rules are data, not code: a :class:`CountryPolicy` is an ordered tuple of tiers, each a
set of countries and the score it adds. The default puts the five EAEU members first and a
selection of Belt and Road partners next (:data:`BELT_AND_ROAD_PARTNERS`, with its source);
callers pass their own policy to change either.
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from karavan.classifications import country_name
from karavan.errors import LabelError
from karavan.registry import Lang, OrgKind
from karavan.registry.codes import check_hs6, check_isic4

__all__ = [
    "BELT_AND_ROAD_PARTNERS",
    "DEFAULT_KINDS",
    "EAEU_MEMBERS",
    "MAX_CODES",
    "CountryPolicy",
    "CountryTier",
    "NeedQuery",
]

EAEU_MEMBERS: tuple[str, ...] = ("RUS", "KAZ", "BLR", "ARM", "KGZ")
"""Member states of the Eurasian Economic Union (Treaty on the EAEU, 2014; Armenia and
Kyrgyzstan acceded in 2015)."""

BELT_AND_ROAD_PARTNERS: tuple[str, ...] = (
    "CHN",
    "MNG",
    "UZB",
    "TJK",
    "TKM",
    "AZE",
    "GEO",
    "IRN",
    "TUR",
    "PAK",
    "SRB",
    "HUN",
)
"""China and a selection of the countries that signed Belt and Road cooperation documents with
it, as listed on the Belt and Road Portal (https://www.yidaiyilu.gov.cn, "countries that have
signed cooperation documents"): the bloc's neighbours along the Central Asia - West Asia and
China - Mongolia - Russia corridors, Pakistan (China-Pakistan corridor) and the first two
European signatories. It is a selection, not the Portal's full list of some 150 countries
(the EAEU members, which also signed, are in their own tier); pass a :class:`CountryPolicy`
with a longer tuple to widen it."""

DEFAULT_KINDS: tuple[OrgKind, ...] = (OrgKind.ENTERPRISE, OrgKind.AGRICULTURAL_PRODUCER)
"""Kinds of organisation proposed when a need names none (science centres are added when the
need is a technology need)."""

MAX_CODES = 5000
"""Most codes a need may carry (a project's input sector maps to a few hundred HS codes)."""


def _check_country(value: str) -> str:
    """``value`` if it is an ISO 3166 alpha-3 code the classifications know; else ValueError."""
    try:
        country_name(value, "en")
    except LabelError as exc:
        raise ValueError(f"country must be a known ISO 3166 alpha-3 code; got {value!r}") from exc
    return value


Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True), AfterValidator(_check_country)
]
_HS6 = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_hs6)]
_ISIC4 = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_isic4)]
_Cert = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]


class CountryTier(BaseModel):
    """One tier of the country rules: organisations in ``countries`` get ``weight`` added."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    countries: tuple[Country, ...]
    weight: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class CountryPolicy(BaseModel):
    """Country rules: the first tier that lists an organisation's country gives its weight
    (countries in no tier get 0); a country the need prefers gets ``preferred_weight`` on top.

    Default: EAEU members 0.2, Belt and Road partners 0.1, preferred 0.15.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    tiers: tuple[CountryTier, ...] = (
        CountryTier(name="EAEU member", countries=EAEU_MEMBERS, weight=0.2),
        CountryTier(name="Belt and Road partner", countries=BELT_AND_ROAD_PARTNERS, weight=0.1),
    )
    preferred_weight: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] = 0.15

    def tier_of(self, country: str) -> tuple[str, float] | None:
        """``(tier name, weight)`` of the first tier listing ``country``; None when none does."""
        for tier in self.tiers:
            if country in tier.countries:
                return tier.name, tier.weight
        return None


class NeedQuery(BaseModel):
    """A need to be matched: codes and/or text, with what the buyer prefers.

    - ``hs_codes``: HS 2022 subheadings (6 digits) of what is wanted;
    - ``isic_codes``: ISIC Rev.4 classes (4 digits) of the activity wanted;
    - ``text``: free text in Russian, English or Kazakh (the language is read per word, so
      mixed text works; ``lang`` is recorded, not needed);
    - ``quantity`` / ``unit``: how much is wanted, compared with a product's capacity when the
      units are the same (case and spaces ignored);
    - ``certifications``: wanted certifications (``"ISO 9001"``; compared ignoring case, spaces
      and punctuation);
    - ``preferred_countries``: ISO3 codes that get the policy's ``preferred_weight``;
    - ``kinds``: organisation kinds to propose (default: enterprises and agricultural
      producers, plus science centres when ``technology`` is true);
    - ``technology``: a need for know-how (science centres are proposed);
    - ``infer_codes``: when the need names no code, infer HS codes from its (English) text
      through the HS nomenclature (:mod:`karavan.matching.inference`);
    - ``limit``: how many organisations to return (1..100).

    At least one of ``hs_codes``, ``isic_codes`` or ``text`` is required.
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    hs_codes: Annotated[list[_HS6], Field(max_length=MAX_CODES)] = []
    isic_codes: Annotated[list[_ISIC4], Field(max_length=MAX_CODES)] = []
    text: Annotated[str, StringConstraints(max_length=2000)] | None = None
    lang: Lang | None = None
    quantity: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None
    unit: Annotated[str, StringConstraints(min_length=1, max_length=50)] | None = None
    certifications: Annotated[list[_Cert], Field(max_length=100)] = []
    preferred_countries: Annotated[list[Country], Field(max_length=300)] = []
    kinds: list[OrgKind] | None = None
    technology: bool = False
    infer_codes: bool = True
    limit: Annotated[int, Field(ge=1, le=100)] = 10

    @model_validator(mode="after")
    def _something_to_match(self) -> Self:
        if not self.hs_codes and not self.isic_codes and not (self.text and self.text.strip()):
            raise ValueError("a need needs hs_codes, isic_codes or text; got none of them")
        return self

    def wanted_kinds(self) -> frozenset[OrgKind]:
        """The organisation kinds this need proposes (see the class docstring)."""
        if self.kinds is not None:
            return frozenset(self.kinds)
        kinds = set(DEFAULT_KINDS)
        if self.technology:
            kinds.add(OrgKind.SCIENCE_CENTRE)
        return frozenset(kinds)
