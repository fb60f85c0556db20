"""Browser journey of matching: a need typed into the form gives ranked partners, each with its
evidence, in the order of the matcher."""

from __future__ import annotations

from typing import Any

import pytest

from karavan.matching import NeedQuery
from karavan.registry import SYSTEM, OrganisationCreate, ProductCreate
from tests.browser.conftest import LiveServer


def _publish(server: LiveServer, entity: str, payload: Any) -> int:
    record = server.registry.create(SYSTEM, entity, payload)
    record = server.registry.submit(SYSTEM, entity, record.id, record.version)
    return server.registry.approve(SYSTEM, entity, record.id, record.version).id


@pytest.fixture(scope="module")
def makers(live_server: LiveServer) -> list[str]:
    names = []
    for name, country in (("Irtysh Cable", "KAZ"), ("Ural Cable", "RUS")):
        org = _publish(
            live_server,
            "organisations",
            OrganisationCreate(kind="enterprise", name_en=name, name_ru=name, country=country),
        )
        _publish(
            live_server,
            "products",
            ProductCreate(
                organisation_id=org,
                hs_code="854449",
                text="insulated copper power cable",
                lang="en",
            ),
        )
        names.append(name)
    return names


def test_match_a_need(page: Any, live_server: LiveServer, makers: list[str]) -> None:
    page.goto(f"{live_server.url}/matching?lang=en")
    page.get_by_label("What you need").fill("insulated copper cable")
    page.get_by_label("HS codes (6 digits)").fill("854449")
    page.get_by_label("Preferred countries (ISO3)").fill("RUS")
    page.get_by_role("button", name="Find partners").click()
    page.wait_for_url("**hs=854449**")
    shown = page.locator("#matches > li h3 a").all_inner_texts()
    need = NeedQuery(
        text="insulated copper cable", hs_codes=["854449"], preferred_countries=["RUS"]
    )
    expected = live_server.app.state.matcher.matcher().match(need)
    assert shown == [m.organisation_name_en for m in expected.matches]
    assert shown[:2] == ["Ural Cable", "Irtysh Cable"]  # RUS preferred
    first = page.locator("#matches > li").first
    assert "RUS: EAEU member ★" in first.locator("table.evidence").inner_text()
    with page.expect_download() as info:
        page.get_by_role("link", name="CSV").click()
    assert info.value.suggested_filename == "matches.csv"
