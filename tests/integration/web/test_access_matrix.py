"""Access control over every write route of the API, for every kind of caller.

The routes are read from the application's route table, so a new write route that this module
does not know makes :func:`test_every_write_route_is_covered` fail. For each route, each actor
(anonymous; editor, reviewer, admin and viewer of organisations A and B) and each target (a
record of organisation A, one of organisation B), the response status is compared with the one
the rules give; a refused write must leave the record as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.integration.web.conftest import ACTORS, PASSWORD, World, app_write_routes, json_payload

from karavan.registry import ENTITIES, SYSTEM

TARGETS = ("A", "B")


@dataclass(frozen=True)
class Call:
    """One request to make: method, path, JSON body, extra headers; and what to check after."""

    method: str
    path: str
    body: Any = None
    headers: dict[str, str] | None = None
    unchanged: Callable[[], bool] | None = None


def _role(actor: str) -> str:
    return actor.split("_", 1)[0]


def _org(actor: str) -> str | None:
    return actor.split("_", 1)[1] if "_" in actor else None


# --- expected statuses ---------------------------------------------------------------------------


def _visible(actor: str, target: str, status: str) -> bool:
    role = _role(actor)
    if status == "published" or role in ("admin", "reviewer"):
        return True
    return role == "editor" and _org(actor) == target


def expected_record_status(action: str, entity: str, actor: str, target: str, status: str) -> int:
    """The status the rules give for ``action`` on a record of organisation ``target``."""
    if actor == "anonymous":
        return 401
    role = _role(actor)
    if action == "create":
        if role == "admin":
            return 201
        if role != "editor" or entity == "organisations":  # bound editors found no new orgs
            return 403
        return 201 if entity == "projects" or _org(actor) == target else 403
    if not _visible(actor, target, status):
        return 404
    if action in ("update", "submit"):
        allowed = role == "admin" or (role == "editor" and _org(actor) == target)
    else:
        allowed = role in ("admin", "reviewer")
    return 200 if allowed else 403


# --- how to call each write route ----------------------------------------------------------------

RecordCase = tuple[str, str, str, str]  # (action, entity, target, status)


def record_cases() -> list[RecordCase]:
    cases: list[RecordCase] = []
    for entity in ENTITIES:
        for target in TARGETS:
            cases.append(("create", entity, target, "draft"))
            cases.append(("update", entity, target, "draft"))
            cases.append(("update", entity, target, "published"))
            cases.append(("submit", entity, target, "draft"))
            cases.append(("approve", entity, target, "submitted"))
            cases.append(("reject", entity, target, "submitted"))
    return cases


def record_route(action: str, entity: str) -> tuple[str, str]:
    """(method, path template) of a record action, as the route table spells it."""
    if action == "create":
        return "POST", f"/api/v1/{entity}"
    if action == "update":
        return "PATCH", f"/api/v1/{entity}/{{record_id}}"
    return "POST", f"/api/v1/{entity}/{{record_id}}/{action}"


ACCOUNT_ROUTES = {
    ("POST", "/api/v1/auth/login"),
    ("POST", "/api/v1/auth/logout"),
    ("POST", "/api/v1/auth/tokens"),
    ("DELETE", "/api/v1/auth/tokens/{token_id}"),
    ("POST", "/api/v1/auth/password"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/{user_id}"),
}


IMPORT_ROUTE = ("POST", "/api/v1/import/{entity}")


MATCHING_ROUTES = {
    ("POST", "/api/v1/match"),
    ("POST", "/api/v1/match/project"),
    ("POST", "/api/v1/match/external-flows"),
    ("POST", "/api/v1/saved-searches"),
    ("POST", "/api/v1/saved-searches/run"),
    ("DELETE", "/api/v1/saved-searches/{search_id}"),
    ("POST", "/api/v1/notifications/{notification_id}/read"),
}


def covered_routes() -> set[tuple[str, str]]:
    routes = {record_route(action, entity) for action, entity, _, _ in record_cases()}
    return routes | ACCOUNT_ROUTES | {IMPORT_ROUTE} | MATCHING_ROUTES


def test_every_write_route_is_covered(sqlite_world: World) -> None:
    # The HTML forms (outside /api/v1) have their own matrix in pages/test_page_access.py.
    write_routes = {r for r in app_write_routes(sqlite_world) if r[1].startswith("/api/v1/")}
    assert len(write_routes) >= 25
    missing = write_routes - covered_routes()
    assert not missing, f"write routes without access-control cases: {sorted(missing)}"
    stale = covered_routes() - write_routes
    assert not stale, f"cases for routes the app does not have: {sorted(stale)}"


def _record_call(world: World, action: str, entity: str, target: str, status: str) -> Call:
    if action == "create":
        return Call("POST", f"/api/v1/{entity}", json_payload(entity, world.orgs[target]))
    record = world.record(entity, target, status)
    path = f"/api/v1/{entity}/{record.id}"

    def unchanged() -> bool:
        now = world.registry.get(SYSTEM, entity, record.id)
        return now.version == record.version and now.status == record.status

    headers = {"If-Match": f'"{record.version}"'}
    if action == "update":
        field = "text" if entity in ("products", "needs") else "description"
        return Call("PATCH", path, {field: "changed by the access matrix"}, headers, unchanged)
    note = {"note": "checked"} if action == "reject" else None
    return Call("POST", f"{path}/{action}", note, headers, unchanged)


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("action", "entity", "target", "status"), record_cases(), ids="-".join)
def test_record_write_matrix(
    world: World, action: str, entity: str, target: str, status: str, actor: str
) -> None:
    call = _record_call(world, action, entity, target, status)
    response = world.client.request(
        call.method, call.path, json=call.body, headers=world.headers(actor, **(call.headers or {}))
    )
    expected = expected_record_status(action, entity, actor, target, status)
    assert response.status_code == expected, (actor, call.method, call.path, response.json())
    if expected >= 400:
        assert set(response.json()) == {"error"}
        if call.unchanged is not None:
            assert call.unchanged(), f"{actor} was refused but {call.path} changed"


def test_editor_of_a_changes_nothing_of_b(world: World) -> None:
    """The headline rule, counted: every write route against organisation B's records, as the
    editor of A, with the record in every status: zero successes and zero changes."""
    successes = []
    attempts = 0
    for entity in ENTITIES:
        cases = [("create", "draft")] if entity != "projects" else []  # new projects: own org
        cases += [
            (action, status)
            for action in ("update", "submit", "approve", "reject")
            for status in ("draft", "submitted", "published", "rejected")
        ]
        for action, status in cases:
            call = _record_call(world, action, entity, "B", status)
            response = world.client.request(
                call.method,
                call.path,
                json=call.body,
                headers=world.headers("editor_A", **(call.headers or {})),
            )
            attempts += 1
            if response.status_code < 400 or (call.unchanged and not call.unchanged()):
                successes.append((call.method, call.path, status, response.status_code))
    assert attempts == 4 * 4 * 4 + 3  # entities x actions x statuses, and three creates
    assert successes == []


# --- account routes ------------------------------------------------------------------------------


def _account_expected(route: tuple[str, str], actor: str) -> int:
    role = _role(actor)
    if route == ("POST", "/api/v1/auth/login"):
        return 401  # a wrong password, whoever asks
    if actor == "anonymous":
        return 401
    if route == ("POST", "/api/v1/auth/logout"):
        return 204
    if route == ("POST", "/api/v1/users"):
        return 201 if role == "admin" else 403
    if route == ("POST", "/api/v1/auth/password"):  # reset viewer_B's, without the current one
        if role == "admin":
            return 204
        return 401 if actor == "viewer_B" else 403
    if route == ("PATCH", "/api/v1/users/{user_id}"):  # re-bind viewer_B to organisation B
        return 200 if role == "admin" else 403
    if route == ("POST", "/api/v1/auth/tokens"):  # a token for editor_B
        return 201 if role == "admin" or actor == "editor_B" else 403
    # DELETE a token of editor_B
    return 200 if role == "admin" or actor == "editor_B" else 403


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(ACCOUNT_ROUTES), ids="".join)
def test_account_write_matrix(world: World, route: tuple[str, str], actor: str) -> None:
    method, path = route
    body: Any = None
    editor_b = world.users["editor_B"]
    if path.endswith("/login"):
        body = {"email": f"nobody.{actor}@example.kz", "password": PASSWORD + "-wrong"}
    elif path.endswith("/tokens"):
        body = {"name": f"for editor B by {actor}", "user_id": editor_b}
    elif path.endswith("/password"):
        body = {"user_id": world.users["viewer_B"], "new_password": PASSWORD}
    elif path.endswith("/users"):
        body = {"email": f"new.{actor}@example.kz", "password": PASSWORD, "role": "viewer"}
    elif "{user_id}" in path:
        body = {"organisation_id": world.orgs["B"]}
        path = path.replace("{user_id}", str(world.users["viewer_B"]))
    elif "{token_id}" in path:
        from karavan.registry import credentials

        with world.registry.session() as session:
            _, info = credentials.issue_api_token(session, SYSTEM, editor_b, "to revoke")
        path = path.replace("{token_id}", str(info.id))
    response = world.client.request(method, path, json=body, headers=world.headers(actor))
    assert response.status_code == _account_expected(route, actor), (actor, response.text)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}


# --- bulk import ---------------------------------------------------------------------------------


def _import_expected(entity: str, actor: str, target: str) -> int:
    if actor == "anonymous":
        return 401
    role = _role(actor)
    if role == "admin":
        return 201
    if role != "editor" or entity == "organisations":
        return 403
    if entity == "projects" or _org(actor) == target:
        return 201
    return 422  # the row report names the row whose owner the editor may not write for


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("entity", ENTITIES)
def test_import_matrix(world: World, entity: str, target: str, actor: str) -> None:
    row = json_payload(entity, world.orgs[target])
    unique = f"import by {actor} for {target}"
    row["text" if entity in ("products", "needs") else "name_en"] = unique
    before = world.client.get(f"/api/v1/{entity}?limit=1", headers=world.headers("admin_A"))
    response = world.client.post(
        f"/api/v1/import/{entity}?format=json",
        json=[row],
        headers=world.headers(actor),
    )
    expected = _import_expected(entity, actor, target)
    assert response.status_code == expected, (actor, response.text)
    after = world.client.get(f"/api/v1/{entity}?limit=1", headers=world.headers("admin_A"))
    added = after.json()["total"] - before.json()["total"]
    assert added == (1 if expected == 201 else 0)
    if expected == 422:
        details = response.json()["error"]["details"]
        assert [(d["row"], d["column"]) for d in details] == [(1, "organisation_id")]


# --- matching, saved searches and notifications --------------------------------------------------


def _matching_expected(route: tuple[str, str], actor: str) -> int:
    method, path = route
    if path.startswith("/api/v1/match"):
        return 200  # anyone may match: the index holds published records only
    if actor == "anonymous":
        return 401
    if path == "/api/v1/saved-searches":
        return 201
    if path.endswith("/run"):
        return 200 if _role(actor) == "admin" else 403
    # a saved search of viewer_B, and a notification of it: its owner's alone, admins included
    if method == "DELETE":
        return 204 if actor == "viewer_B" else 403
    return 200 if actor == "viewer_B" else 403


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("route", sorted(MATCHING_ROUTES), ids="".join)
def test_matching_write_matrix(world: World, route: tuple[str, str], actor: str) -> None:
    from karavan.matching.saved import save_search
    from karavan.registry import Actor, Role
    from karavan.registry.saved_searches import add_notification, get_saved_search

    method, path = route
    owner_id = world.users["viewer_B"]
    owner = Actor(owner_id, Role.VIEWER, world.orgs["B"], label=f"user:{owner_id}")
    search = save_search(world.registry, owner, f"watch by {actor}", {"hs_codes": ["720851"]})
    body: Any = None
    if path == "/api/v1/match":
        body = {"hs_codes": ["720851"], "limit": 1}
    elif path == "/api/v1/match/project":
        body = {"region": "RUS", "sector": "MFM", "year": 2011, "top": 1, "limit": 1}
    elif path == "/api/v1/match/external-flows":
        body = {"year": 2011, "top": 1, "limit": 1}
    elif path == "/api/v1/saved-searches":
        body = {"name": f"by {actor}", "query": {"text": "steel plate"}}
    elif "{search_id}" in path:
        path = path.replace("{search_id}", str(search.id))
    elif "{notification_id}" in path:
        with world.registry.session() as session:
            note = add_notification(
                session, SYSTEM, search.id, "organisations", world.orgs["A"], 0.5, {}
            )
        assert note is not None
        path = path.replace("{notification_id}", str(note.id))
    response = world.client.request(method, path, json=body, headers=world.headers(actor))
    assert response.status_code == _matching_expected(route, actor), (actor, response.text)
    if response.status_code >= 400:
        assert set(response.json()) == {"error"}
        if method == "DELETE":
            with world.registry.read_session() as session:
                assert get_saved_search(session, owner, search.id).id == search.id
