"""A small registry world for the web tests: two organisations A and B, and for each an editor,
a reviewer, an admin and a viewer (each with an API token), plus the anonymous caller.

``world`` is built once per test module and per backend (SQLite always; PostgreSQL when
``KARAVAN_TEST_POSTGRES_URL`` is set), because hashing eight passwords with Argon2id is the slow
part; tests that change records create their own with :meth:`World.record`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from pydantic import BaseModel
from tests.conftest import fresh_postgres_database

from karavan.registry import (
    SYSTEM,
    Actor,
    NeedCreate,
    NeedUpdate,
    OrganisationCreate,
    OrganisationUpdate,
    ProductCreate,
    ProductUpdate,
    ProjectCreate,
    ProjectUpdate,
    PublicRecord,
    Registry,
    Role,
    accounts,
    credentials,
    open_registry,
)
from karavan.settings import Settings
from karavan.web.app import create_app

PASSWORD = "Correct-Horse-42"
MAX_BODY = 64 * 1024
ROLES = ("editor", "reviewer", "admin", "viewer")
ORGS = ("A", "B")


@dataclass
class World:
    """The registry, the app, a client, and who is who."""

    registry: Registry
    app: FastAPI
    client: TestClient
    orgs: dict[str, int]
    users: dict[str, int] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    def headers(self, actor: str, **extra: str) -> dict[str, str]:
        """Headers authenticating as ``actor`` (``"anonymous"`` or e.g. ``"editor_A"``)."""
        headers = dict(extra)
        if actor != "anonymous":
            headers["Authorization"] = f"Bearer {self.tokens[actor]}"
        return headers

    def editor_actor(self, owner: str) -> Actor:
        """The registry actor of organisation ``owner``'s editor (for direct service calls)."""
        user_id = self.users[f"editor_{owner}"]
        return Actor(user_id, Role.EDITOR, self.orgs[owner], label=f"user:{user_id}")

    def record(self, entity: str, owner: str, status: str = "draft") -> PublicRecord:
        """A record of ``entity`` owned by organisation ``owner`` ("A" or "B") in ``status``
        (``draft`` means editable: draft or rejected). Products, needs and projects are new
        ones, made by the owner's editor; an organisation owns itself, so for organisations it
        is organisation ``owner`` itself, moved to ``status``."""
        if entity == "organisations":
            record = self.registry.get(SYSTEM, entity, self.orgs[owner])
        else:
            payload = payload_for(entity, self.orgs[owner])
            record = self.registry.create(self.editor_actor(owner), entity, payload)
        return self.move(entity, record, owner, status)

    def move(self, entity: str, record: PublicRecord, owner: str, status: str) -> PublicRecord:
        """Walk ``record`` through the workflow until it is in ``status``."""
        for _ in range(4):
            now = record.status.value
            if now == status or (status == "draft" and now == "rejected"):
                return record
            if now == "published":  # an editor's write puts it back to draft
                update = _UPDATES[entity]()
                record = self.registry.update(
                    self.editor_actor(owner), entity, record.id, update, record.version
                )
            elif now == "submitted":
                step = "approve" if status == "published" else "reject"
                note = "sources missing" if step == "reject" else None
                record = getattr(self.registry, step)(
                    SYSTEM, entity, record.id, record.version, note
                )
            else:
                record = self.registry.submit(SYSTEM, entity, record.id, record.version)
        raise AssertionError(f"could not bring {entity} {record.id} to {status}")


_UPDATES: dict[str, type[BaseModel]] = {
    "organisations": OrganisationUpdate,
    "products": ProductUpdate,
    "needs": NeedUpdate,
    "projects": ProjectUpdate,
}


def payload_for(entity: str, org_id: int, **changes: Any) -> Any:
    """A valid ``XCreate`` payload of ``entity`` for organisation ``org_id``."""
    data: dict[str, Any]
    if entity == "organisations":
        data = {"kind": "enterprise", "name_en": "Steppe Steel", "name_ru": "Степь Сталь"}
        data["country"] = "KAZ"
        return OrganisationCreate.model_validate({**data, **changes})
    if entity == "products":
        data = {"organisation_id": org_id, "hs_code": "720851", "text": "hot-rolled plate"}
        return ProductCreate.model_validate({**data, "lang": "en", **changes})
    if entity == "needs":
        data = {"organisation_id": org_id, "isic_code": "2410", "text": "steel coil"}
        return NeedCreate.model_validate({**data, "lang": "en", **changes})
    data = {"name_en": "Dry port", "name_ru": "Сухой порт", "phase": "planned"}
    data["participants"] = [{"organisation_id": org_id, "role": "operator"}]
    return ProjectCreate.model_validate({**data, **changes})


def json_payload(entity: str, org_id: int, **changes: Any) -> dict[str, Any]:
    """:func:`payload_for` as the JSON a client sends."""
    result: dict[str, Any] = payload_for(entity, org_id, **changes).model_dump(
        mode="json", exclude_defaults=True
    )
    return result


def build_world(url: str) -> World:
    """Organisations A and B (drafts) and their eight users with API tokens, on a fresh
    database at ``url``."""
    registry = open_registry(url)
    orgs: dict[str, int] = {}
    for name in ORGS:
        record = registry.create(
            SYSTEM,
            "organisations",
            payload_for("organisations", 0, name_en=f"Org {name}", name_ru=f"Орг {name}"),
        )
        orgs[name] = record.id
    settings = Settings(data_dir=Path("/nonexistent"), max_body_bytes=MAX_BODY)
    app = create_app(settings, registry=registry)
    world = World(registry=registry, app=app, client=TestClient(app), orgs=orgs)
    with registry.session() as session:
        for org in ORGS:
            for role in ROLES:
                name = f"{role}_{org}"
                email = f"{role}.{org.lower()}@example.kz"
                user = accounts.create_user(session, SYSTEM, email, PASSWORD, Role(role), orgs[org])
                token, _ = credentials.issue_api_token(session, SYSTEM, user.id, "tests")
                world.users[name] = user.id
                world.tokens[name] = token
                world.emails[name] = email
    return world


WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def app_write_routes(world: World) -> set[tuple[str, str]]:
    """(method, path) of every API route that writes, from the app's route table (FastAPI
    nests included routers; ``iter_route_contexts`` walks them with their full paths)."""
    return {
        (method, str(context.path))
        for context in iter_route_contexts(world.app.routes)
        if isinstance(context.original_route, APIRoute)
        for method in (context.methods or set()) & WRITE_METHODS
    }


ACTORS = ("anonymous", *(f"{role}_{org}" for org in ORGS for role in ROLES))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def backend_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A fresh database per test module and backend (PostgreSQL skips without the server)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('web')}/registry.sqlite3"
        return
    admin_url: str = request.getfixturevalue("postgres_url")
    with fresh_postgres_database(admin_url) as url:
        yield url


@pytest.fixture(scope="module")
def world(backend_url: str) -> Iterator[World]:
    built = build_world(backend_url)
    try:
        yield built
    finally:
        built.client.close()
        built.registry.close()


@pytest.fixture(scope="module")
def sqlite_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The world on SQLite only (for tests that need no second backend)."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('web1')}/registry.sqlite3")
    try:
        yield built
    finally:
        built.client.close()
        built.registry.close()
