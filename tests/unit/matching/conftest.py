"""Fixtures of the matching tests: a SQLite registry in tmp_path and helpers that create and
publish hand-made organisations and products (Russian, English and Kazakh texts)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from karavan.registry import (
    SYSTEM,
    OrganisationCreate,
    ProductCreate,
    PublicRecord,
    Registry,
    open_registry,
)

SOURCE = [{"title": "Test fixture", "url": "https://example.org/fixture", "date": "2026-01-01"}]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Registry]:
    reg = open_registry(f"sqlite:///{tmp_path / 'registry.sqlite3'}")
    yield reg
    reg.close()


def publish(registry: Registry, entity: str, payload: Any) -> PublicRecord:
    """Create a record as the system actor and take it through review to ``published``."""
    record = registry.create(SYSTEM, entity, payload)
    record = registry.submit(SYSTEM, entity, record.id, record.version)
    return registry.approve(SYSTEM, entity, record.id, record.version)


def add_org(
    registry: Registry,
    name: str,
    country: str = "KAZ",
    kind: str = "enterprise",
    *,
    published: bool = True,
    **fields: Any,
) -> int:
    """A published organisation named ``name`` (the same in English and Russian)."""
    payload = OrganisationCreate.model_validate(
        {"kind": kind, "name_en": name, "name_ru": name, "country": country, "sources": SOURCE}
        | fields
    )
    if published:
        return publish(registry, "organisations", payload).id
    return registry.create(SYSTEM, "organisations", payload).id


def add_product(
    registry: Registry,
    org_id: int,
    text: str,
    *,
    lang: str = "en",
    published: bool = True,
    **fields: Any,
) -> int:
    """A published product of ``org_id``."""
    payload = ProductCreate.model_validate(
        {"organisation_id": org_id, "text": text, "lang": lang, "sources": SOURCE} | fields
    )
    if published:
        return publish(registry, "products", payload).id
    return registry.create(SYSTEM, "products", payload).id
