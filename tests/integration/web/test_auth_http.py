"""Sign-in, cookie sessions and CSRF, bearer tokens, the login rate limit."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.integration.web.conftest import PASSWORD, World, app_write_routes, json_payload

from karavan.settings import Settings
from karavan.web.app import create_app
from karavan.web.security import CSRF_HEADER, SESSION_COOKIE


def _login(world: World, actor: str) -> tuple[TestClient, str]:
    """A new client signed in as ``actor`` with a cookie session; returns it and the CSRF
    token."""
    client = TestClient(world.app)
    response = client.post(
        "/api/v1/auth/login", json={"email": world.emails[actor], "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    return client, response.json()["csrf_token"]


def test_login_sets_a_safe_cookie_and_returns_the_csrf_token(world: World) -> None:
    client = TestClient(world.app)
    response = client.post(
        "/api/v1/auth/login", json={"email": world.emails["editor_A"], "password": PASSWORD}
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["csrf_token"]) == 43
    assert body["user"]["id"] == world.users["editor_A"]
    assert body["user"]["organisation_id"] == world.orgs["A"]
    assert "password" not in str(body["user"])
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie  # settings.secure_cookies is off in the tests
    me = client.get("/api/v1/auth/me")
    assert me.status_code == 200
    assert me.json()["email"] == world.emails["editor_A"]
    client.close()


def test_cookie_session_needs_the_csrf_header_for_writes(world: World) -> None:
    client, csrf = _login(world, "editor_A")
    body = json_payload("products", world.orgs["A"])
    without = client.post("/api/v1/products", json=body)
    assert without.status_code == 403
    assert without.json()["error"]["type"] == "PermissionDeniedError"
    assert CSRF_HEADER in without.json()["error"]["message"]
    wrong = client.post("/api/v1/products", json=body, headers={CSRF_HEADER: csrf[:-1] + "x"})
    assert wrong.status_code == 403
    right = client.post("/api/v1/products", json=body, headers={CSRF_HEADER: csrf})
    assert right.status_code == 201
    assert right.json()["created_by"] == world.users["editor_A"]
    reading = client.get(f"/api/v1/products/{right.json()['id']}")  # safe: no header needed
    assert reading.status_code == 200
    client.close()


def test_bearer_token_needs_no_csrf_header(world: World) -> None:
    response = world.client.post(
        "/api/v1/products",
        json=json_payload("products", world.orgs["B"]),
        headers=world.headers("editor_B"),
    )
    assert response.status_code == 201


def test_logout_ends_the_session(world: World) -> None:
    client, csrf = _login(world, "viewer_B")
    assert client.post("/api/v1/auth/logout").status_code == 403  # CSRF applies to logout too
    out = client.post("/api/v1/auth/logout", headers={CSRF_HEADER: csrf})
    assert out.status_code == 204
    assert (
        f'{SESSION_COOKIE}=""' in out.headers["set-cookie"]
        or "Max-Age=0" in out.headers["set-cookie"]
    )
    stolen = out.request.headers["cookie"].split("=", 1)[1]
    replay = TestClient(world.app, cookies={SESSION_COOKIE: stolen})
    after = replay.get("/api/v1/auth/me")
    assert after.status_code == 401
    assert after.headers["WWW-Authenticate"].startswith("Bearer")
    client.close()
    replay.close()


def test_bad_credentials_are_401(world: World) -> None:
    assert world.client.get("/api/v1/auth/me").status_code == 401
    wrong_scheme = world.client.get("/api/v1/auth/me", headers={"Authorization": "Basic eDp5"})
    assert wrong_scheme.status_code == 401
    unknown = world.client.get("/api/v1/auth/me", headers={"Authorization": "Bearer nope"})
    assert unknown.status_code == 401
    assert unknown.json()["error"]["type"] == "AuthenticationError"
    bad_cookie = TestClient(world.app, cookies={SESSION_COOKIE: "forged"})
    assert bad_cookie.get("/api/v1/auth/me").status_code == 401
    bad_cookie.close()


def test_token_issue_use_and_revoke(world: World) -> None:
    issued = world.client.post(
        "/api/v1/auth/tokens", json={"name": "ci"}, headers=world.headers("reviewer_A")
    )
    assert issued.status_code == 201
    token = issued.json()["token"]
    assert issued.json()["token_prefix"] == token[:8]
    assert issued.json()["user_id"] == world.users["reviewer_A"]
    mine = {"Authorization": f"Bearer {token}"}
    assert world.client.get("/api/v1/auth/me", headers=mine).json()["role"] == "reviewer"
    listed = world.client.get("/api/v1/auth/tokens", headers=mine).json()
    assert issued.json()["id"] in {t["id"] for t in listed}
    assert all("token" not in t for t in listed)
    revoked = world.client.delete(f"/api/v1/auth/tokens/{issued.json()['id']}", headers=mine)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    assert world.client.get("/api/v1/auth/me", headers=mine).status_code == 401


def test_admin_creates_a_bound_editor_who_can_then_write(world: World) -> None:
    created = world.client.post(
        "/api/v1/users",
        json={
            "email": "second.editor.b@example.kz",
            "password": PASSWORD,
            "role": "editor",
            "organisation_id": world.orgs["B"],
        },
        headers=world.headers("admin_B"),
    )
    assert created.status_code == 201
    assert created.json()["organisation_id"] == world.orgs["B"]
    client = TestClient(world.app)
    login = client.post(
        "/api/v1/auth/login", json={"email": "second.editor.b@example.kz", "password": PASSWORD}
    )
    assert login.status_code == 200
    product = client.post(
        "/api/v1/products",
        json=json_payload("products", world.orgs["B"]),
        headers={CSRF_HEADER: login.json()["csrf_token"]},
    )
    assert product.status_code == 201
    client.close()
    taken = world.client.post(
        "/api/v1/users",
        json={"email": "second.editor.b@example.kz", "password": PASSWORD, "role": "viewer"},
        headers=world.headers("admin_A"),
    )
    assert taken.status_code == 409


def test_login_rate_limit_is_429_with_retry_after(sqlite_world: World) -> None:
    email = sqlite_world.emails["viewer_A"]
    statuses = [
        sqlite_world.client.post(
            "/api/v1/auth/login", json={"email": email, "password": "Wrong-password-1"}
        ).status_code
        for _ in range(6)
    ]
    assert statuses == [401, 401, 401, 401, 401, 429]
    limited = sqlite_world.client.post(
        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
    )
    assert limited.status_code == 429
    assert limited.json()["error"]["type"] == "RateLimitedError"
    assert 1 <= int(limited.headers["Retry-After"]) <= 15 * 60


def test_secure_cookies_setting_marks_the_cookie_secure(sqlite_world: World) -> None:
    settings = Settings(data_dir=Path("/nonexistent"), secure_cookies=True)
    app = create_app(settings, registry=sqlite_world.registry)
    with TestClient(app, base_url="https://testserver") as client:
        response = client.post(
            "/api/v1/auth/login",
            json={"email": sqlite_world.emails["reviewer_B"], "password": PASSWORD},
        )
    assert response.status_code == 200
    assert "; Secure" in response.headers["set-cookie"]


def test_admin_binds_deactivates_and_users_cannot_bind_themselves(world: World) -> None:
    admin = world.headers("admin_A")
    created = world.client.post(
        "/api/v1/users",
        json={"email": "unbound.editor@example.kz", "password": PASSWORD, "role": "editor"},
        headers=admin,
    )
    assert created.status_code == 201
    user_id = created.json()["id"]
    assert created.json()["organisation_id"] is None
    issued = world.client.post(
        "/api/v1/auth/tokens", json={"name": "t", "user_id": user_id}, headers=admin
    )
    own = {"Authorization": f"Bearer {issued.json()['token']}"}
    self_bind = world.client.patch(
        f"/api/v1/users/{user_id}", json={"organisation_id": world.orgs["B"]}, headers=own
    )
    assert self_bind.status_code == 403
    assert (
        world.client.get(f"/api/v1/users/{user_id}", headers=own).json()["organisation_id"] is None
    )
    assert (
        world.client.get(f"/api/v1/users/{world.users['admin_A']}", headers=own).status_code == 403
    )
    bound = world.client.patch(
        f"/api/v1/users/{user_id}", json={"organisation_id": world.orgs["A"]}, headers=admin
    )
    assert bound.status_code == 200
    assert bound.json()["organisation_id"] == world.orgs["A"]
    product = world.client.post(
        "/api/v1/products", json=json_payload("products", world.orgs["A"]), headers=own
    )
    assert product.status_code == 201
    assert (
        world.client.patch(
            f"/api/v1/users/{user_id}", json={"role": None}, headers=admin
        ).status_code
        == 422
    )
    gone = world.client.patch(f"/api/v1/users/{user_id}", json={"is_active": False}, headers=admin)
    assert gone.status_code == 200
    assert gone.json()["is_active"] is False
    assert world.client.get("/api/v1/auth/me", headers=own).status_code == 401


def test_every_unsafe_route_checks_csrf_for_cookie_sessions(world: World) -> None:
    """Generated from the route table: with a session cookie and no X-CSRF-Token, every
    write route except login answers 403 before doing anything."""
    client, _ = _login(world, "admin_A")
    routes = app_write_routes(world)
    checked = []
    for method, template in sorted(routes):
        if template == "/api/v1/auth/login":
            continue
        path = (
            template.replace("{entity}", "products")
            .replace("{record_id}", "1")
            .replace("{token_id}", "1")
            .replace("{user_id}", str(world.users["viewer_A"]))
            .replace("{org_id}", str(world.orgs["A"]))
        )
        response = client.request(method, path, json={})
        assert response.status_code == 403, (method, path, response.text)
        if template.startswith("/api/"):
            assert CSRF_HEADER in response.json()["error"]["message"]
        else:  # an HTML form: a friendly error page (its token travels in the form)
            assert response.headers["content-type"].startswith("text/html")
        checked.append((method, template))
    assert len(checked) == len(routes) - 1
    assert client.get("/api/v1/auth/me").status_code == 200  # logout did not go through
    client.close()


def test_change_own_password_needs_the_current_one(world: World) -> None:
    client, csrf = _login(world, "reviewer_B")
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "not-it-at-all", "new_password": "New-password-2026"},
        headers={CSRF_HEADER: csrf},
    )
    assert wrong.status_code == 401
    weak = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "short"},
        headers={CSRF_HEADER: csrf},
    )
    assert weak.status_code == 422
    assert weak.json()["error"]["details"] == [{"field": "password", "value": None}]
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": PASSWORD, "new_password": "New-password-2026"},
        headers={CSRF_HEADER: csrf},
    )
    assert changed.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401  # the session ended with it
    email = world.emails["reviewer_B"]
    old = world.client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert old.status_code == 401
    new = world.client.post(
        "/api/v1/auth/login", json={"email": email, "password": "New-password-2026"}
    )
    assert new.status_code == 200
    back = world.client.post(
        "/api/v1/auth/password",
        json={"current_password": "New-password-2026", "new_password": PASSWORD},
        headers=world.headers("reviewer_B"),
    )
    assert back.status_code == 204
    client.close()


def test_only_admins_list_accounts(world: World) -> None:
    listed = world.client.get("/api/v1/users", headers=world.headers("admin_A"))
    assert listed.status_code == 200
    ids = [u["id"] for u in listed.json()]
    assert ids == sorted(ids)
    assert world.users["editor_A"] in ids
    assert "password_hash" not in listed.json()[0]
    page = world.client.get("/api/v1/users?limit=1&offset=1", headers=world.headers("admin_A"))
    assert [u["id"] for u in page.json()] == ids[1:2]
    refused = world.client.get("/api/v1/users", headers=world.headers("editor_A"))
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "PermissionDeniedError"
