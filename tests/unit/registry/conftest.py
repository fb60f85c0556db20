"""Fixtures of the registry service's unit tests: a migrated SQLite registry in tmp_path, the
actors of the permission matrix, and valid payloads to create records from."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from karavan.registry.actors import Actor, Role
from karavan.registry.schemas import (
    NeedCreate,
    OrganisationCreate,
    ProductCreate,
    ProjectCreate,
)
from karavan.registry.service import Registry, open_registry

ADMIN = Actor(user_id=1, role=Role.ADMIN, label="admin@example.org")
REVIEWER = Actor(user_id=2, role=Role.REVIEWER, label="reviewer@example.org")
VIEWER = Actor(user_id=4, role=Role.VIEWER, label="viewer@example.org")


def editor_of(organisation_id: int | None, user_id: int = 3) -> Actor:
    """An editor bound to ``organisation_id``."""
    return Actor(
        user_id=user_id,
        role=Role.EDITOR,
        organisation_id=organisation_id,
        label=f"editor{user_id}@example.org",
    )


def organisation(**changes: Any) -> OrganisationCreate:
    data: dict[str, Any] = {
        "kind": "enterprise",
        "name_en": "Karaganda Steel Pipe Works",
        "name_ru": "Карагандинский трубный завод",
        "country": "KAZ",
        "identifiers": [{"scheme": "KZ-BIN", "value": "940740000911"}],
        "sources": [
            {"title": "Company register", "url": "https://example.org/r", "date": "2024-05-01"}
        ],
    }
    data.update(changes)
    return OrganisationCreate.model_validate(data)


def product(organisation_id: int, **changes: Any) -> ProductCreate:
    data: dict[str, Any] = {
        "organisation_id": organisation_id,
        "hs_code": "730419",
        "text": "Seamless steel pipes for oil and gas",
        "lang": "en",
        "capacity": 120000.0,
        "capacity_unit": "t/year",
        "certifications": ["API 5L"],
    }
    data.update(changes)
    return ProductCreate.model_validate(data)


def need(organisation_id: int, **changes: Any) -> NeedCreate:
    data: dict[str, Any] = {
        "organisation_id": organisation_id,
        "isic_code": "2410",
        "text": "Коксующийся уголь для доменных печей",
        "lang": "ru",
        "volume": 5000.0,
        "volume_unit": "t/month",
    }
    data.update(changes)
    return NeedCreate.model_validate(data)


def project(**changes: Any) -> ProjectCreate:
    data: dict[str, Any] = {
        "name_en": "Khorgos dry port expansion",
        "name_ru": "Расширение сухого порта Хоргос",
        "countries": ["KAZ", "CHN"],
        "sectors": ["5210"],
        "corridor": "china_central_asia_west_asia",
        "phase": "under_construction",
        "investment_usd_m": 250.0,
    }
    data.update(changes)
    return ProjectCreate.model_validate(data)


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    """An empty registry, migrated, on a SQLite file of its own."""
    registry = open_registry(f"sqlite:///{tmp_path}/registry.sqlite3")
    yield registry
    registry.close()


def publish(registry: Registry, entity: str, record_id: int, version: int) -> int:
    """Submit and approve a record as the admin; return its new version."""
    registry.submit(ADMIN, entity, record_id, version)
    return registry.approve(ADMIN, entity, record_id, version + 1).version
