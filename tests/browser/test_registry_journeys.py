"""Browser journeys of the registry: search, sign in with the keyboard, edit one's own
organisation, submit it, and a reviewer approves it; the registry holds the result."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from karavan.registry import SYSTEM, OrganisationCreate, Role, accounts
from tests.browser.conftest import LiveServer

PASSWORD = "Journey-Password-42"


@pytest.fixture(scope="module")
def people(live_server: LiveServer) -> dict[str, Any]:
    """A published organisation, its editor and a reviewer on the live server's registry."""
    registry = live_server.registry
    org = registry.create(
        SYSTEM,
        "organisations",
        OrganisationCreate(
            kind="enterprise", name_en="Journey Steel", name_ru="Джорни Стил", country="KAZ"
        ),
    )
    org = registry.submit(SYSTEM, "organisations", org.id, org.version)
    org = registry.approve(SYSTEM, "organisations", org.id, org.version)
    with registry.session() as session:
        accounts.create_user(
            session, SYSTEM, "editor@journey.kz", PASSWORD, Role.EDITOR, org.id, "Editor J"
        )
        accounts.create_user(
            session, SYSTEM, "reviewer@journey.kz", PASSWORD, Role.REVIEWER, None, "Reviewer J"
        )
    return {"org": org.id}


def sign_in(page: Any, server: LiveServer, email: str) -> None:
    """Sign in with the keyboard only: type, Tab, type, Enter."""
    page.goto(f"{server.url}/login?lang=en")
    page.get_by_label("E-mail").focus()
    page.keyboard.type(email)
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url("**/registry")
    assert "Signed in as" in page.locator("main").inner_text()


def test_search_finds_the_organisation(
    page: Any, live_server: LiveServer, people: dict[str, Any]
) -> None:
    page.goto(f"{live_server.url}/registry?lang=en")
    page.get_by_role("searchbox", name="Search").fill("journey")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**q=journey**")
    rows = page.locator("#results tbody tr")
    assert rows.count() == 1
    assert "Journey Steel" in rows.first.inner_text()
    assert "Kazakhstan" in rows.first.inner_text()
    rows.first.get_by_role("link").click()
    page.wait_for_url(f"**/registry/organisations/{people['org']}")
    assert page.locator("h1").inner_text() == "Journey Steel"
    page.get_by_role("link", name="Русский").click()
    assert page.locator("h1").inner_text() == "Джорни Стил"


def test_edit_submit_and_approve(
    page: Any,
    live_server: LiveServer,
    people: dict[str, Any],
    screenshot: Callable[[Any, str], Path],
) -> None:
    org_id = people["org"]
    sign_in(page, live_server, "editor@journey.kz")
    page.goto(f"{live_server.url}/registry/organisations/{org_id}?lang=en")
    page.get_by_role("link", name="Edit the organisation").click()
    page.get_by_label("Region").fill("Karaganda region")
    page.get_by_label("Description").fill("Flat steel for the machine builders of the Union.")
    screenshot(page, "registry_edit_form")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/registry/organisations/{org_id}?saved=*")
    assert "Saved: version" in page.locator("main").inner_text()
    assert page.locator("#org-status").inner_text() == "draft"  # an edit goes back to review
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_url("**submitted=1")
    assert page.locator("#org-status").inner_text() == "submitted for review"
    page.get_by_role("link", name="Back to the registry").click()
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, live_server, "reviewer@journey.kz")
    page.get_by_role("link", name="Review queue").click()
    item = page.locator("li", has_text="Journey Steel")
    item.get_by_role("button", name="Reject").click()  # no note: refused, says why
    assert "needs a note" in page.locator("#review-message").inner_text()
    screenshot(page, "registry_review_needs_note")
    page.locator("li", has_text="Journey Steel").get_by_role("button", name="Approve").click()
    page.wait_for_url("**/registry/review?done=*")
    assert "Journey Steel" not in page.locator("main").inner_text()
    record = live_server.registry.get(SYSTEM, "organisations", org_id)
    assert record.status.value == "published"
    assert record.region == "Karaganda region"
