"""Access control of the HTML forms: every write route outside ``/api/v1`` is listed here, and
the forms that change registry records refuse every caller who is not the record's editor (or a
reviewer, for the review form) — zero successes, nothing changed. The JSON API has its own matrix
in ``tests/integration/web/test_access_matrix.py``."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.integration.web.conftest import World, app_write_routes
from tests.integration.web.pages.test_registry_pages import csrf_of, signed_in

from karavan.registry import SYSTEM

RECORD_FORMS = {
    ("POST", "/registry/organisations/{org_id}/edit"),
    ("POST", "/registry/organisations/{org_id}/submit"),
    ("POST", "/registry/{entity}/{record_id}/review"),
}
"""Forms that write registry records: checked caller by caller below."""

OTHER_FORMS = {
    ("POST", "/login"): "test_registry_pages.py::test_login_form_needs_its_csrf_token",
    ("POST", "/logout"): "test_registry_pages.py::test_logout_ends_the_session",
    ("POST", "/scenarios/run"): "test_scenario_pages.py::test_forged_form_is_refused",
    ("POST", "/trade/opportunities"): "test_trade_pages.py::test_upload_needs_the_form_token",
}
"""Forms that write no registry record (sign-in, computations), with the test of their token."""


def test_every_form_route_is_covered(sqlite_world: World) -> None:
    forms = {r for r in app_write_routes(sqlite_world) if not r[1].startswith("/api/")}
    assert forms == RECORD_FORMS | set(OTHER_FORMS)


def _attempt(world: World, client: TestClient, form: str, org_id: int) -> int:
    """One write attempt through ``form`` on organisation ``org_id``; the status code."""
    record = world.registry.get(SYSTEM, "organisations", org_id)
    # The caller's own valid token where they have one (signed in), so the refusal tested is
    # the permission check, not the CSRF check.
    page = client.get(f"/registry/organisations/{org_id}")
    token = csrf_of(page.text) if 'name="csrf_token"' in page.text else "none"
    data = {"csrf_token": token, "version": str(record.version)}
    if form == "edit":
        url = f"/registry/organisations/{org_id}/edit"
        data |= {"name_en": "Hijacked", "name_ru": "Захвачено"}
    elif form == "submit":
        url = f"/registry/organisations/{org_id}/submit"
    else:
        url = f"/registry/organisations/{org_id}/review"
        data |= {"decision": "approve"}
    return client.post(url, data=data, follow_redirects=False).status_code


@pytest.mark.parametrize("form", ["edit", "submit", "review"])
@pytest.mark.parametrize("who", ["anonymous", "editor_B", "viewer_A", "viewer_B"])
def test_outsiders_change_nothing_through_the_forms(
    sqlite_world: World, form: str, who: str
) -> None:
    org_a = sqlite_world.orgs["A"]
    record = sqlite_world.registry.get(SYSTEM, "organisations", org_a)
    # In the state where the form would succeed for the right caller.
    wanted = "submitted" if form == "review" else "draft"
    record = sqlite_world.move("organisations", record, "A", wanted)
    before = sqlite_world.registry.get(SYSTEM, "organisations", org_a)
    client = TestClient(sqlite_world.app) if who == "anonymous" else signed_in(sqlite_world, who)
    status = _attempt(sqlite_world, client, form, org_a)
    allowed = (303, 401, 403, 404) if who == "anonymous" else (403, 404)
    assert status in allowed, f"{who} {form}: {status}"
    after = sqlite_world.registry.get(SYSTEM, "organisations", org_a)
    assert (after.version, after.status, after.name_en) == (
        before.version,
        before.status,
        before.name_en,
    )


def test_editors_may_not_review_their_own_records(sqlite_world: World) -> None:
    org_a = sqlite_world.orgs["A"]
    record = sqlite_world.registry.get(SYSTEM, "organisations", org_a)
    sqlite_world.move("organisations", record, "A", "submitted")
    before = sqlite_world.registry.get(SYSTEM, "organisations", org_a)
    status = _attempt(sqlite_world, signed_in(sqlite_world, "editor_A"), "review", org_a)
    assert status == 403
    assert sqlite_world.registry.get(SYSTEM, "organisations", org_a).version == before.version
