"""Record routes over HTTP: server-owned fields, ETags and preconditions, lists, history."""

from __future__ import annotations

import pytest
from tests.integration.web.conftest import World, json_payload

from karavan.registry import ENTITIES, SYSTEM

SERVER_FIELDS = {
    "id": 999,
    "version": 7,
    "status": "published",
    "created_by": 1,
    "updated_by": 1,
    "review_note": "looks fine",
    "created_at": "2020-01-01T00:00:00Z",
    "owner_organisation_id": 1,
}


# --- (b) server-owned fields ---------------------------------------------------------------------


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("field", sorted(SERVER_FIELDS))
def test_server_owned_fields_cannot_be_created(world: World, entity: str, field: str) -> None:
    before = world.client.get(f"/api/v1/{entity}", headers=world.headers("admin_A")).json()
    body = {**json_payload(entity, world.orgs["A"]), field: SERVER_FIELDS[field]}
    response = world.client.post(f"/api/v1/{entity}", json=body, headers=world.headers("admin_A"))
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "RequestValidationError"
    assert [d["loc"] for d in error["details"]] == [["body", field]]
    assert error["details"][0]["type"] == "extra_forbidden"
    after = world.client.get(f"/api/v1/{entity}", headers=world.headers("admin_A")).json()
    assert after["total"] == before["total"]


@pytest.mark.parametrize("entity", ENTITIES)
@pytest.mark.parametrize("field", sorted(SERVER_FIELDS))
def test_server_owned_fields_cannot_be_patched(world: World, entity: str, field: str) -> None:
    record = world.record(entity, "A", "draft")
    response = world.client.patch(
        f"/api/v1/{entity}/{record.id}",
        json={field: SERVER_FIELDS[field]},
        headers=world.headers("admin_A", **{"If-Match": f'"{record.version}"'}),
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["loc"] == ["body", field]
    now = world.registry.get(SYSTEM, entity, record.id)
    assert now.model_dump() == record.model_dump()


def test_workflow_body_takes_only_a_note(world: World) -> None:
    record = world.record("products", "A", "draft")
    response = world.client.post(
        f"/api/v1/products/{record.id}/submit",
        json={"note": "please review", "status": "published"},
        headers=world.headers("editor_A", **{"If-Match": f'"{record.version}"'}),
    )
    assert response.status_code == 422
    assert world.registry.get(SYSTEM, "products", record.id).status.value == "draft"


def test_created_record_has_server_values(world: World) -> None:
    response = world.client.post(
        "/api/v1/products",
        json=json_payload("products", world.orgs["A"]),
        headers=world.headers("editor_A"),
    )
    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert body["status"] == "draft"
    assert body["created_by"] == world.users["editor_A"]
    assert response.headers["Location"] == f"/api/v1/products/{body['id']}"
    assert response.headers["ETag"] == '"1"'


def test_editor_project_is_owned_by_their_organisation(world: World) -> None:
    response = world.client.post(
        "/api/v1/projects",
        json=json_payload("projects", world.orgs["B"]),
        headers=world.headers("editor_A"),
    )
    assert response.status_code == 201
    assert response.json()["owner_organisation_id"] == world.orgs["A"]


# --- (c) ETag, If-None-Match, If-Match -----------------------------------------------------------


def test_etag_and_if_none_match(world: World) -> None:
    record = world.record("needs", "A", "published")
    path = f"/api/v1/needs/{record.id}"
    first = world.client.get(path)
    assert first.status_code == 200
    assert first.headers["ETag"] == f'"{record.version}"'
    again = world.client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == first.headers["ETag"]
    weak = world.client.get(path, headers={"If-None-Match": f'"0", W/"{record.version}"'})
    assert weak.status_code == 304
    other = world.client.get(path, headers={"If-None-Match": '"12345"'})
    assert other.status_code == 200


def test_if_match_flow(world: World) -> None:
    record = world.record("organisations", "A", "draft")
    path = f"/api/v1/organisations/{record.id}"
    editor = world.headers("editor_A")
    missing = world.client.patch(path, json={"region": "Almaty"}, headers=editor)
    assert missing.status_code == 428
    assert missing.json()["error"]["details"] == [{"field": "If-Match", "value": None}]

    malformed = world.client.patch(
        path, json={"region": "Almaty"}, headers={**editor, "If-Match": "v1"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["error"]["details"][0]["loc"] == ["header", "If-Match"]

    v = record.version
    ok = world.client.patch(
        path, json={"region": "Almaty"}, headers={**editor, "If-Match": f'"{v}"'}
    )
    assert ok.status_code == 200
    assert ok.json()["version"] == v + 1
    assert ok.json()["region"] == "Almaty"
    assert ok.headers["ETag"] == f'"{v + 1}"'

    stale = world.client.patch(
        path, json={"region": "Astana"}, headers={**editor, "If-Match": f'"{v}"'}
    )
    assert stale.status_code == 412
    error = stale.json()["error"]
    assert error["type"] == "StaleWriteError"
    assert error["details"] == [
        {"field": "If-Match", "expected_version": v, "current_version": v + 1}
    ]
    assert stale.headers["ETag"] == f'"{v + 1}"'
    stored = world.registry.get(SYSTEM, "organisations", record.id)
    assert stored.model_dump()["region"] == "Almaty"


def test_transitions_need_if_match_and_reject_needs_a_note(world: World) -> None:
    record = world.record("projects", "A", "draft")
    path = f"/api/v1/projects/{record.id}"
    v = record.version
    assert world.client.post(f"{path}/submit", headers=world.headers("editor_A")).status_code == 428
    submitted = world.client.post(
        f"{path}/submit", headers=world.headers("editor_A", **{"If-Match": f'"{v}"'})
    )
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "submitted"
    reviewer = world.headers("reviewer_B", **{"If-Match": f'"{v + 1}"'})
    no_note = world.client.post(f"{path}/reject", headers=reviewer)
    assert no_note.status_code == 422
    assert no_note.json()["error"]["details"] == [{"field": "note", "value": None}]
    rejected = world.client.post(f"{path}/reject", json={"note": "no sources"}, headers=reviewer)
    assert rejected.status_code == 200
    assert rejected.json()["status"] == "rejected"
    assert rejected.json()["review_note"] == "no sources"
    again = world.client.post(
        f"{path}/approve", headers=world.headers("admin_A", **{"If-Match": f'"{v + 2}"'})
    )
    assert again.status_code == 409
    assert again.json()["error"]["type"] == "ConflictError"


def test_history_lists_every_version(world: World) -> None:
    record = world.record("products", "B", "published")
    history = world.client.get(
        f"/api/v1/products/{record.id}/history", headers=world.headers("editor_B")
    )
    assert history.status_code == 200
    assert [(e["version"], e["action"], e["status"]) for e in history.json()] == [
        (1, "create", "draft"),
        (2, "submit", "submitted"),
        (3, "approve", "published"),
    ]
    public = world.client.get(f"/api/v1/products/{record.id}/history").json()
    assert [e["version"] for e in public] == [3]


# --- lists ---------------------------------------------------------------------------------------


def test_list_pagination_and_link(world: World) -> None:
    for _ in range(3):
        world.record("needs", "B", "published")
    org = world.orgs["B"]
    query = f"/api/v1/needs?organisation_id={org}&status=published"
    total = world.client.get(query).json()["total"]
    assert total >= 3
    page = world.client.get(f"{query}&limit=2&offset=1")
    body = page.json()
    assert (body["limit"], body["offset"], body["total"], len(body["items"])) == (
        2,
        1,
        total,
        min(2, total - 1),
    )
    assert all(item["organisation_id"] == org for item in body["items"])
    assert 'rel="prev"' in page.headers["Link"]
    assert ("offset=3" in page.headers["Link"]) == (total > 3)


def test_list_hides_drafts_from_the_public(world: World) -> None:
    draft = world.record("products", "A", "draft")
    public_ids = {p["id"] for p in world.client.get("/api/v1/products?limit=500").json()["items"]}
    assert draft.id not in public_ids
    editor_ids = {
        p["id"]
        for p in world.client.get(
            "/api/v1/products?limit=500", headers=world.headers("editor_A")
        ).json()["items"]
    }
    assert draft.id in editor_ids
    assert world.client.get(f"/api/v1/products/{draft.id}").status_code == 404


def test_filter_that_does_not_apply_is_422(world: World) -> None:
    response = world.client.get("/api/v1/products?kind=enterprise")
    assert response.status_code == 422
    assert response.json()["error"]["details"] == [{"field": "kind", "value": "enterprise"}]
