"""The change feed, the audit log, the health check, bulk import and export over HTTP."""

from __future__ import annotations

import csv
import io

from tests.integration.web.conftest import World, json_payload


def test_change_feed_pages_with_a_cursor(world: World) -> None:
    first = world.client.get("/api/v1/changes", headers=world.headers("admin_A"))
    assert first.status_code == 200
    cursor = first.json()["next_cursor"]
    while True:  # drain the feed to its head
        more = world.client.get(
            "/api/v1/changes", params={"cursor": cursor}, headers=world.headers("admin_A")
        ).json()
        if not more["items"]:
            break
        cursor = more["next_cursor"]
    created = world.record("needs", "A", "published")  # three versions: create, submit, approve
    batch = world.client.get(
        "/api/v1/changes", params={"cursor": cursor, "limit": 2}, headers=world.headers("admin_A")
    ).json()
    assert [(e["entity"], e["entity_id"], e["version"]) for e in batch["items"]] == [
        ("needs", created.id, 1),
        ("needs", created.id, 2),
    ]
    rest = world.client.get(
        "/api/v1/changes",
        params={"cursor": batch["next_cursor"], "entity": "needs"},
        headers=world.headers("admin_A"),
    ).json()
    assert [(e["entity_id"], e["version"]) for e in rest["items"]] == [(created.id, 3)]
    empty = world.client.get(
        "/api/v1/changes", params={"cursor": rest["next_cursor"]}, headers=world.headers("admin_A")
    ).json()
    assert empty["items"] == []
    assert empty["next_cursor"] == rest["next_cursor"]
    public = world.client.get("/api/v1/changes", params={"cursor": cursor}).json()
    assert [e["version"] for e in public["items"] if e["entity_id"] == created.id] == [3]


def test_change_feed_refuses_a_naive_since_and_a_forged_cursor(world: World) -> None:
    naive = world.client.get("/api/v1/changes", params={"since": "2026-01-01T00:00:00"})
    assert naive.status_code == 422
    assert naive.json()["error"]["details"][0]["field"] == "since"
    forged = world.client.get("/api/v1/changes", params={"cursor": "bm90IGEgY3Vyc29y"})
    assert forged.status_code == 422
    assert forged.json()["error"]["details"][0]["field"] == "cursor"


def test_audit_is_for_admins_and_lists_writes(world: World) -> None:
    record = world.record("products", "B", "draft")
    assert world.client.get("/api/v1/audit").status_code == 401
    assert world.client.get("/api/v1/audit", headers=world.headers("reviewer_A")).status_code == 403
    rows = world.client.get(
        "/api/v1/audit",
        params={"entity": "products", "entity_id": record.id},
        headers=world.headers("admin_B"),
    )
    assert rows.status_code == 200
    entries = rows.json()
    assert [(e["action"], e["actor_id"]) for e in entries] == [("create", world.users["editor_B"])]
    assert len(entries[0]["hash"]) == 64


def test_health(world: World) -> None:
    response = world.client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}


def test_import_multipart_duplicate_and_report(world: World) -> None:
    org = world.orgs["B"]
    good = f"organisation_id,hs_code,text,lang\n{org},720851,bulk plate,en\n{org},,bulk coil,en\n"
    bad = world.client.post(
        "/api/v1/import/products",
        files={"file": ("catalogue.csv", good.encode(), "text/csv")},
        headers=world.headers("editor_B"),
    )
    assert bad.status_code == 422
    assert bad.json()["error"]["type"] == "ImportValidationError"
    report = bad.json()["error"]["details"]
    assert [(r["file"], r["row"]) for r in report] == [("catalogue.csv", 3)]
    fixed = good.replace(",,bulk coil", ",720852,bulk coil").encode()
    first = world.client.post(
        "/api/v1/import/products",
        files={"file": ("catalogue.csv", fixed, "text/csv")},
        headers=world.headers("editor_B"),
    )
    assert first.status_code == 201
    assert first.json()["rows"] == 2
    assert len(first.json()["created_ids"]) == 2
    again = world.client.post(
        "/api/v1/import/products?format=csv",
        content=fixed,
        headers=world.headers("editor_B", **{"content-type": "text/csv"}),
    )
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["created_ids"] == first.json()["created_ids"]


def test_import_needs_a_format(world: World) -> None:
    response = world.client.post(
        "/api/v1/import/needs",
        content=b"[]",
        headers=world.headers("admin_A", **{"content-type": "application/octet-stream"}),
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "format"


def test_export_round_trips_through_import(world: World) -> None:
    record = world.record("needs", "A", "published")
    exported = world.client.get(
        "/api/v1/export/needs",
        params={"format": "csv", "organisation_id": world.orgs["A"], "status": "published"},
    )
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("text/csv")
    assert exported.headers["content-disposition"] == 'attachment; filename="needs.csv"'
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert "id" not in rows[0]
    assert {r["text"] for r in rows} >= {record.model_dump()["text"]}
    assert {r["organisation_id"] for r in rows} == {str(world.orgs["A"])}
    reimported = world.client.post(
        "/api/v1/import/needs?format=csv",
        content=exported.content,
        headers=world.headers("editor_A", **{"content-type": "text/csv"}),
    )
    assert reimported.status_code == 201
    assert reimported.json()["rows"] == len(rows)


def test_json_body_import_for_an_admin_can_publish(world: World) -> None:
    body = [json_payload("projects", world.orgs["A"], name_en="Published by import")]
    editor = world.client.post(
        "/api/v1/import/projects?format=json&publish=true",
        json=body,
        headers=world.headers("editor_A"),
    )
    assert editor.status_code == 403
    admin = world.client.post(
        "/api/v1/import/projects?format=json&publish=true",
        json=body,
        headers=world.headers("admin_A"),
    )
    assert admin.status_code == 201
    project_id = admin.json()["created_ids"][0]
    assert world.client.get(f"/api/v1/projects/{project_id}").json()["status"] == "published"
