"""API schemas: server-owned fields refused, partial updates, bounds, and the checks of
countries, codes and identifiers at the boundary."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from karavan.registry.schemas import (
    MAX_LIST,
    MAX_NAME,
    MAX_TEXT,
    OrganisationPublic,
    OrganisationUpdate,
    Page,
    ProductCreate,
    ProductUpdate,
    ProjectCreate,
    ProjectUpdate,
)
from tests.unit.registry.conftest import need, organisation, product, project


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str, str]]:
    return [(".".join(str(p) for p in e["loc"]), e["type"]) for e in exc.value.errors()]


@pytest.mark.parametrize(
    "field",
    [
        "id",
        "version",
        "status",
        "review_note",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
    ],
)
def test_server_owned_fields_are_refused_on_create_and_update(field: str) -> None:
    with pytest.raises(ValidationError) as create:
        organisation(**{field: 1})
    assert _errors(create) == [(field, "extra_forbidden")]
    with pytest.raises(ValidationError) as update:
        OrganisationUpdate.model_validate({field: 1})
    assert _errors(update) == [(field, "extra_forbidden")]


def test_project_owner_is_server_owned() -> None:
    with pytest.raises(ValidationError) as e:
        project(owner_organisation_id=3)
    assert _errors(e) == [("owner_organisation_id", "extra_forbidden")]
    with pytest.raises(ValidationError):
        ProjectUpdate.model_validate({"owner_organisation_id": 3})


def test_update_is_partial_and_remembers_what_was_set() -> None:
    patch = OrganisationUpdate.model_validate({"region": None, "name_en": "New"})
    assert patch.model_fields_set == {"region", "name_en"}
    assert patch.model_dump(exclude_unset=True) == {"region": None, "name_en": "New"}
    assert OrganisationUpdate().model_dump(exclude_unset=True) == {}


@pytest.mark.parametrize(
    ("schema", "field"),
    [
        (OrganisationUpdate, "name_en"),
        (OrganisationUpdate, "country"),
        (ProductUpdate, "text"),
        (ProjectUpdate, "phase"),
    ],
)
def test_update_refuses_null_for_required_fields(schema: Any, field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} cannot be null"):
        schema.model_validate({field: None})


def test_country_codes_are_checked_and_upper_cased() -> None:
    assert organisation(country="kaz").country == "KAZ"
    with pytest.raises(ValidationError) as e:
        organisation(country="XXX")
    assert _errors(e) == [("country", "value_error")]
    with pytest.raises(ValidationError, match="known ISO 3166 alpha-3"):
        project(countries=["KAZ", "KZ"])


def test_codes_are_checked() -> None:
    with pytest.raises(ValidationError, match="6-digit HS 2022 subheading"):
        product(1, hs_code="999999")
    with pytest.raises(ValidationError) as e:
        need(1, isic_code="99")
    assert _errors(e) == [("isic_code", "value_error")]
    with pytest.raises(ValidationError, match="at least one of hs_code or isic_code"):
        ProductCreate.model_validate({"organisation_id": 1, "text": "x", "lang": "en"})


def test_identifiers_are_checked_normalised_and_not_repeated() -> None:
    with pytest.raises(ValidationError, match="check digits"):
        organisation(identifiers=[{"scheme": "RU-INN", "value": "7707083894"}])
    with pytest.raises(ValidationError, match="must not repeat"):
        organisation(
            identifiers=[
                {"scheme": "RU-INN", "value": "7707083893"},
                {"scheme": "RU-INN", "value": " 7707083893 "},
            ]
        )
    with pytest.raises(ValidationError):
        organisation(identifiers=[{"scheme": "US-EIN", "value": "1"}])


def test_texts_and_lists_are_bounded() -> None:
    assert len(organisation(name_en="x" * MAX_NAME).name_en) == MAX_NAME
    with pytest.raises(ValidationError) as e:
        organisation(name_en="x" * (MAX_NAME + 1))
    assert _errors(e) == [("name_en", "string_too_long")]
    with pytest.raises(ValidationError) as e:
        product(1, text="x" * (MAX_TEXT + 1))
    assert _errors(e) == [("text", "string_too_long")]
    with pytest.raises(ValidationError) as e:
        product(1, certifications=["ISO 9001"] * (MAX_LIST + 1))
    assert _errors(e) == [("certifications", "too_long")]
    with pytest.raises(ValidationError) as e:
        organisation(name_en="   ")
    assert _errors(e) == [("name_en", "string_too_short")]


def test_other_field_rules() -> None:
    with pytest.raises(ValidationError, match="end_date must not be before start_date"):
        project(start_date="2025-01-01", end_date="2024-01-01")
    with pytest.raises(ValidationError, match="http:// or https://"):
        organisation(website="ftp://example.org")
    with pytest.raises(ValidationError) as e:
        organisation(sites=[{"country": "KAZ", "lat": 91}])
    assert _errors(e) == [("sites.0.lat", "less_than_equal")]
    with pytest.raises(ValidationError) as e:
        product(1, capacity=-1)
    assert _errors(e) == [("capacity", "greater_than_equal")]
    with pytest.raises(ValidationError):
        ProjectCreate.model_validate(
            {"name_en": "a", "name_ru": "б", "phase": "dreaming"}  # not a phase
        )


def test_page_is_generic_for_openapi() -> None:
    schema = Page[OrganisationPublic].model_json_schema()
    assert schema["properties"]["items"]["items"]["$ref"].endswith("OrganisationPublic")
    assert set(schema["required"]) == {"items", "total", "limit", "offset"}
