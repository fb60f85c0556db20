"""API schemas of the registry (pydantic v2): ``XCreate / XUpdate / XPublic`` per entity.

``XCreate`` and ``XUpdate`` are what clients send: they forbid extra fields, so server-owned
fields (``id``, ``version``, ``status``, ``review_note``, ``created_*``, ``updated_*``,
``owner_organisation_id``) can never be set by a client (a 422 over HTTP). ``XUpdate`` is
partial: every field is optional and only the fields the client set change (the service reads
``model_fields_set``); fields that are required on create refuse an explicit ``null``.
``XPublic`` is what the service returns: the record's fields plus the server-owned ones.

Every text and list is bounded (names <= 300 characters, texts <= 5000, lists <= 100 entries)
so a request body has a bounded size. Codes are checked at this boundary: countries against
:mod:`karavan.classifications.countries`, HS and ISIC codes with :mod:`karavan.registry.codes`,
national identifiers (format and check digits) with :mod:`karavan.registry.identifiers`.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from karavan.classifications.countries import country_name
from karavan.errors import LabelError
from karavan.registry.codes import check_hs6, check_isic4
from karavan.registry.identifiers import check_identifier

__all__ = [
    "ENTITIES",
    "MAX_LIST",
    "MAX_NAME",
    "MAX_TEXT",
    "ChangeEntry",
    "Corridor",
    "EntityName",
    "HistoryEntry",
    "IdentifierIn",
    "IdentifierScheme",
    "Lang",
    "NeedCreate",
    "NeedPublic",
    "NeedUpdate",
    "OrgKind",
    "OrganisationCreate",
    "OrganisationPublic",
    "OrganisationUpdate",
    "Page",
    "ParticipantIn",
    "ParticipantRole",
    "ProductCreate",
    "ProductPublic",
    "ProductUpdate",
    "ProjectCreate",
    "ProjectPhase",
    "ProjectPublic",
    "ProjectUpdate",
    "RecordStatus",
    "SiteIn",
    "SourceRef",
]

MAX_NAME = 300
MAX_TEXT = 5000
MAX_LIST = 100

EntityName = Literal["organisations", "products", "needs", "projects"]
"""The entity names used in URLs, the audit log, history and the change feed."""
ENTITIES: tuple[EntityName, ...] = ("organisations", "products", "needs", "projects")


# --- enums -------------------------------------------------------------------------------------


class OrgKind(StrEnum):
    ENTERPRISE = "enterprise"
    AGRICULTURAL_PRODUCER = "agricultural_producer"
    SCIENCE_CENTRE = "science_centre"
    INDUSTRIAL_PARK = "industrial_park"
    AGENCY = "agency"


class RecordStatus(StrEnum):
    """Review status: editors write drafts and submit; reviewers publish or reject."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    PUBLISHED = "published"
    REJECTED = "rejected"


class Lang(StrEnum):
    RU = "ru"
    EN = "en"
    KK = "kk"


class Corridor(StrEnum):
    """Belt and Road economic corridors."""

    NEW_EURASIAN_LAND_BRIDGE = "new_eurasian_land_bridge"
    CHINA_MONGOLIA_RUSSIA = "china_mongolia_russia"
    CHINA_CENTRAL_ASIA_WEST_ASIA = "china_central_asia_west_asia"
    CHINA_PAKISTAN = "china_pakistan"
    BANGLADESH_CHINA_INDIA_MYANMAR = "bangladesh_china_india_myanmar"
    CHINA_INDOCHINA = "china_indochina"
    MARITIME_SILK_ROAD = "maritime_silk_road"


class ProjectPhase(StrEnum):
    ANNOUNCED = "announced"
    PLANNED = "planned"
    UNDER_CONSTRUCTION = "under_construction"
    OPERATING = "operating"
    COMPLETED = "completed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class ParticipantRole(StrEnum):
    SPONSOR = "sponsor"
    INVESTOR = "investor"
    OPERATOR = "operator"
    CONTRACTOR = "contractor"
    SUPPLIER = "supplier"
    RESEARCH_PARTNER = "research_partner"
    RESIDENT = "resident"
    CUSTOMER = "customer"


class IdentifierScheme(StrEnum):
    """National registration numbers (format and check digits verified on input)."""

    KZ_BIN = "KZ-BIN"
    BY_UNP = "BY-UNP"
    RU_INN = "RU-INN"
    RU_OGRN = "RU-OGRN"
    RU_OGRNIP = "RU-OGRNIP"
    AM_TIN = "AM-TIN"
    KG_INN = "KG-INN"
    CN_USCC = "CN-USCC"
    OTHER = "OTHER"


# --- bounded and checked field types -----------------------------------------------------------


def _check_country(value: str) -> str:
    """ISO 3166 alpha-3 code known to the classifications (``"RUS"``); raises ValueError."""
    try:
        country_name(value, "en")
    except LabelError as exc:
        raise ValueError(f"country must be a known ISO 3166 alpha-3 code; got {value!r}") from exc
    return value


def _check_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError(f"URL must start with http:// or https://; got {value!r}")
    return value


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)]
Unit = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
Url = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000), AfterValidator(_check_url)
]
Country = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True), AfterValidator(_check_country)
]
HS6 = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_hs6)]
ISIC4 = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(check_isic4)]
Quantity = Annotated[float, Field(ge=0, allow_inf_nan=False)]
RecordId = Annotated[int, Field(ge=1)]

_STRICT = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SourceRef(BaseModel):
    """Where a fact comes from: every record carries at least its sources' list (may be empty)."""

    model_config = _STRICT

    title: Name
    url: Url
    publisher: Name | None = None
    date: dt.date = Field(description="ISO date the source was published or accessed")


class IdentifierIn(BaseModel):
    """A national registration number; ``value`` is normalised by its scheme's check."""

    model_config = _STRICT

    scheme: IdentifierScheme
    value: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]

    @model_validator(mode="after")
    def _normalise(self) -> Self:
        self.value = check_identifier(self.scheme.value, self.value)
        return self


class SiteIn(BaseModel):
    """A production site of an organisation."""

    model_config = _STRICT

    name: Name | None = None
    country: Country
    region: Name | None = None
    locality: Name | None = None
    lat: Annotated[float, Field(ge=-90, le=90)] | None = None
    lon: Annotated[float, Field(ge=-180, le=180)] | None = None


class ParticipantIn(BaseModel):
    """An organisation taking part in a joint project, with its role."""

    model_config = _STRICT

    organisation_id: RecordId
    role: ParticipantRole


Sources = Annotated[list[SourceRef], Field(max_length=MAX_LIST)]


class _Partial(BaseModel):
    """Base of ``XUpdate``: refuses explicit ``null`` for fields that a record must have."""

    model_config = _STRICT
    _required: frozenset[str] = frozenset()

    @model_validator(mode="after")
    def _no_null_for_required(self) -> Self:
        for name in self._required & self.model_fields_set:
            if getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null (it is required); omit it to keep it")
        return self


# --- organisations -----------------------------------------------------------------------------


class _OrganisationFields(BaseModel):
    kind: OrgKind
    name_en: Name
    name_ru: Name
    name_kk: Name | None = None
    country: Country
    region: Name | None = None
    description: Text | None = None
    website: Url | None = None
    identifiers: Annotated[list[IdentifierIn], Field(max_length=MAX_LIST)] = []
    sites: Annotated[list[SiteIn], Field(max_length=MAX_LIST)] = []
    park_id: RecordId | None = Field(
        default=None, description="the industrial park (organisation) this one is a resident of"
    )
    resident_since: dt.date | None = None
    sources: Sources = []

    @model_validator(mode="after")
    def _unique_identifiers(self) -> Self:
        seen = [(i.scheme, i.value) for i in self.identifiers]
        if len(set(seen)) != len(seen):
            raise ValueError("identifiers must not repeat the same (scheme, value)")
        return self


class OrganisationCreate(_OrganisationFields):
    model_config = _STRICT


class OrganisationUpdate(_Partial):
    _required = frozenset({"kind", "name_en", "name_ru", "country"})

    kind: OrgKind | None = None
    name_en: Name | None = None
    name_ru: Name | None = None
    name_kk: Name | None = None
    country: Country | None = None
    region: Name | None = None
    description: Text | None = None
    website: Url | None = None
    identifiers: Annotated[list[IdentifierIn], Field(max_length=MAX_LIST)] | None = None
    sites: Annotated[list[SiteIn], Field(max_length=MAX_LIST)] | None = None
    park_id: RecordId | None = None
    resident_since: dt.date | None = None
    sources: Sources | None = None


class _ServerFields(BaseModel):
    id: int
    version: int
    status: RecordStatus
    review_note: str | None = None
    created_at: dt.datetime
    updated_at: dt.datetime
    created_by: int | None = None
    updated_by: int | None = None


class OrganisationPublic(_ServerFields, _OrganisationFields):
    model_config = ConfigDict(extra="forbid")


# --- products and needs ------------------------------------------------------------------------


class _CodedFields(BaseModel):
    organisation_id: RecordId
    hs_code: HS6 | None = Field(default=None, description="HS 2022 subheading, 6 digits")
    isic_code: ISIC4 | None = Field(default=None, description="ISIC Rev.4 class, 4 digits")
    text: Text
    lang: Lang
    sources: Sources = []

    @model_validator(mode="after")
    def _one_code(self) -> Self:
        if self.hs_code is None and self.isic_code is None:
            raise ValueError("at least one of hs_code or isic_code is required; got neither")
        return self


class _ProductFields(_CodedFields):
    capacity: Quantity | None = None
    capacity_unit: Unit | None = None
    certifications: Annotated[list[Name], Field(max_length=MAX_LIST)] = []


class ProductCreate(_ProductFields):
    model_config = _STRICT


class ProductUpdate(_Partial):
    _required = frozenset({"organisation_id", "text", "lang"})

    organisation_id: RecordId | None = None
    hs_code: HS6 | None = None
    isic_code: ISIC4 | None = None
    text: Text | None = None
    lang: Lang | None = None
    capacity: Quantity | None = None
    capacity_unit: Unit | None = None
    certifications: Annotated[list[Name], Field(max_length=MAX_LIST)] | None = None
    sources: Sources | None = None


class ProductPublic(_ServerFields, _ProductFields):
    model_config = ConfigDict(extra="forbid")


class _NeedFields(_CodedFields):
    volume: Quantity | None = None
    volume_unit: Unit | None = None


class NeedCreate(_NeedFields):
    model_config = _STRICT


class NeedUpdate(_Partial):
    _required = frozenset({"organisation_id", "text", "lang"})

    organisation_id: RecordId | None = None
    hs_code: HS6 | None = None
    isic_code: ISIC4 | None = None
    text: Text | None = None
    lang: Lang | None = None
    volume: Quantity | None = None
    volume_unit: Unit | None = None
    sources: Sources | None = None


class NeedPublic(_ServerFields, _NeedFields):
    model_config = ConfigDict(extra="forbid")


# --- projects ----------------------------------------------------------------------------------


class _ProjectFields(BaseModel):
    name_en: Name
    name_ru: Name
    description: Text | None = None
    countries: Annotated[list[Country], Field(max_length=MAX_LIST)] = []
    sectors: Annotated[list[ISIC4], Field(max_length=MAX_LIST)] = []
    corridor: Corridor | None = None
    phase: ProjectPhase
    investment_usd_m: Quantity | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    park_id: RecordId | None = None
    participants: Annotated[list[ParticipantIn], Field(max_length=MAX_LIST)] = []
    sources: Sources = []

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError(
                f"end_date must not be before start_date; got {self.start_date} .. {self.end_date}"
            )
        return self


class ProjectCreate(_ProjectFields):
    model_config = _STRICT


class ProjectUpdate(_Partial):
    _required = frozenset({"name_en", "name_ru", "phase"})

    name_en: Name | None = None
    name_ru: Name | None = None
    description: Text | None = None
    countries: Annotated[list[Country], Field(max_length=MAX_LIST)] | None = None
    sectors: Annotated[list[ISIC4], Field(max_length=MAX_LIST)] | None = None
    corridor: Corridor | None = None
    phase: ProjectPhase | None = None
    investment_usd_m: Quantity | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    park_id: RecordId | None = None
    participants: Annotated[list[ParticipantIn], Field(max_length=MAX_LIST)] | None = None
    sources: Sources | None = None


class ProjectPublic(_ServerFields, _ProjectFields):
    model_config = ConfigDict(extra="forbid")

    owner_organisation_id: int | None = None


# --- pages, history, changes -------------------------------------------------------------------


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """One page of a list: ``items`` from ``offset`` (at most ``limit``), of ``total`` matches.

    Counting every match of a broad search costs seconds at a million records, so the count
    stops at a bound (``Registry.list``: 10,000, or ``offset + limit`` when that is larger).
    ``total_exact`` false means that more matches exist than were counted: ``total`` is then a
    lower bound (the bound plus one, so still greater than ``offset + limit`` and a next page
    exists), to be shown as e.g. "more than 10,000".
    """

    items: list[T]
    total: int
    limit: int
    offset: int
    total_exact: bool = Field(
        default=True,
        description="false: total is a lower bound (the count stopped after 10,000 matches)",
    )


class HistoryEntry(BaseModel):
    """One version of a record: the full state after a write (``data`` is the XPublic dict)."""

    entity: EntityName
    entity_id: int
    version: int
    action: str = Field(description="create | update | submit | approve | reject")
    status: RecordStatus
    data: dict[str, Any]
    changed_at: dt.datetime
    changed_by: int | None = None


class ChangeEntry(HistoryEntry):
    """A history row in the change feed; ``cursor`` orders the feed (pass the last one back)."""

    cursor: int
