"""The registry service on SQLite: create / get / update / list, stale writes, references,
history, the change feed and the audit rows every write leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from karavan.errors import (
    ConflictError,
    RecordNotFoundError,
    RecordValidationError,
    StaleWriteError,
)
from karavan.registry import audit
from karavan.registry.actors import ANONYMOUS, SYSTEM
from karavan.registry.schemas import (
    OrganisationPublic,
    OrganisationUpdate,
    ProductUpdate,
    ProjectUpdate,
    RecordStatus,
)
from karavan.registry.service import Registry
from karavan.registry.store.account_models import AuditLogRow
from tests.unit.registry.conftest import ADMIN, need, organisation, product, project, publish


def test_create_returns_version_one_draft_with_server_fields(registry: Registry) -> None:
    before = datetime.now(UTC)
    org = registry.create(ADMIN, "organisations", organisation())
    assert isinstance(org, OrganisationPublic)
    assert (org.id, org.version, org.status) == (1, 1, RecordStatus.DRAFT)
    assert org.created_by == org.updated_by == 1
    assert org.created_at == org.updated_at
    assert org.created_at.tzinfo is not None
    assert org.created_at >= before
    assert [(i.scheme.value, i.value) for i in org.identifiers] == [("KZ-BIN", "940740000911")]
    assert org.sources[0].date == date(2024, 5, 1)


def test_get_round_trips_every_field_and_child_rows(registry: Registry) -> None:
    park = registry.create(
        ADMIN, "organisations", organisation(kind="industrial_park", identifiers=[])
    )
    created = registry.create(
        ADMIN,
        "organisations",
        organisation(
            park_id=park.id,
            resident_since="2019-03-01",
            sites=[{"country": "KAZ", "locality": "Темиртау", "lat": 50.05, "lon": 72.96}],
            name_kk="Қарағанды құбыр зауыты",
        ),
    )
    got = registry.get(ADMIN, "organisations", created.id)
    assert got == created
    assert got.park_id == park.id
    assert got.resident_since == date(2019, 3, 1)
    assert got.sites[0].locality == "Темиртау"
    assert got.sites[0].lat == 50.05
    assert got.created_at.tzinfo == UTC


def test_all_four_entities_round_trip(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    prod = registry.create(ADMIN, "products", product(org.id))
    nd = registry.create(ADMIN, "needs", need(org.id))
    proj = registry.create(
        ADMIN, "projects", project(participants=[{"organisation_id": org.id, "role": "operator"}])
    )
    assert registry.get(ADMIN, "products", prod.id).certifications == ["API 5L"]
    assert registry.get(ADMIN, "needs", nd.id).volume == 5000.0
    got = registry.get(ADMIN, "projects", proj.id)
    assert got.countries == ["KAZ", "CHN"]
    assert got.sectors == ["5210"]
    assert [(p.organisation_id, p.role.value) for p in got.participants] == [(org.id, "operator")]
    assert registry.check_integrity() == []


def test_unknown_id_and_unknown_entity(registry: Registry) -> None:
    with pytest.raises(RecordNotFoundError, match="no products record with id 7"):
        registry.get(ADMIN, "products", 7)
    with pytest.raises(RecordValidationError, match="unknown entity 'widgets'"):
        registry.get(ADMIN, "widgets", 1)


def test_payload_of_the_wrong_entity_is_refused(registry: Registry) -> None:
    with pytest.raises(RecordValidationError, match="expects a ProductCreate payload"):
        registry.create(ADMIN, "products", organisation())


def test_partial_update_changes_only_the_fields_set(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation(region="Karaganda"))
    updated = registry.update(
        ADMIN, "organisations", org.id, OrganisationUpdate(name_en="KSPW", region=None), 1
    )
    assert updated.version == 2
    assert (updated.name_en, updated.region) == ("KSPW", None)
    assert updated.name_ru == org.name_ru
    assert updated.identifiers == org.identifiers
    assert updated.updated_at >= org.updated_at
    assert updated.created_at == org.created_at


def test_update_replaces_child_rows_and_keeps_an_identifier(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    inn = {"scheme": "RU-INN", "value": "7707083893"}
    bin_ = {"scheme": "KZ-BIN", "value": "940740000911"}
    updated = registry.update(
        ADMIN,
        "organisations",
        org.id,
        OrganisationUpdate.model_validate({"identifiers": [bin_, inn]}),
        1,
    )
    assert [i.value for i in updated.identifiers] == ["940740000911", "7707083893"]
    proj = registry.create(ADMIN, "projects", project())
    moved = registry.update(ADMIN, "projects", proj.id, ProjectUpdate(countries=["RUS"]), 1)
    assert moved.countries == ["RUS"]
    assert moved.sectors == ["5210"]
    assert registry.list(ADMIN, "projects", country="KAZ").total == 0
    assert registry.list(ADMIN, "projects", country="RUS").total == 1


def test_update_is_validated_as_a_whole(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    prod = registry.create(ADMIN, "products", product(org.id))
    with pytest.raises(RecordValidationError, match="at least one of hs_code or isic_code") as e:
        registry.update(ADMIN, "products", prod.id, ProductUpdate(hs_code=None), 1)
    assert e.value.field is None  # a rule over the whole record, not one field
    assert registry.get(ADMIN, "products", prod.id).version == 1


def test_stale_write_is_refused_and_changes_nothing(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    registry.update(ADMIN, "organisations", org.id, OrganisationUpdate(name_en="First"), 1)
    with pytest.raises(StaleWriteError, match="is at version 2; the write expected version 1"):
        registry.update(ADMIN, "organisations", org.id, OrganisationUpdate(name_en="Second"), 1)
    got = registry.get(ADMIN, "organisations", org.id)
    assert (got.name_en, got.version) == ("First", 2)
    assert len(registry.history(ADMIN, "organisations", org.id)) == 2


def test_identifier_is_unique_across_organisations(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    with pytest.raises(ConflictError, match="KZ-BIN 940740000911 is already registered"):
        registry.create(ADMIN, "organisations", organisation(name_en="Copycat"))
    assert registry.list(ADMIN, "organisations").total == 1


def test_references_must_exist(registry: Registry) -> None:
    with pytest.raises(RecordValidationError, match="organisation 99, which does not exist"):
        registry.create(ADMIN, "products", product(99))
    plain = registry.create(ADMIN, "organisations", organisation(identifiers=[]))
    with pytest.raises(RecordValidationError, match="kind industrial_park") as e:
        registry.create(ADMIN, "organisations", organisation(park_id=plain.id))
    assert e.value.field == "park_id"
    with pytest.raises(RecordValidationError, match=r"participants\[0\]"):
        registry.create(
            ADMIN, "projects", project(participants=[{"organisation_id": 42, "role": "investor"}])
        )


def test_history_holds_every_version_in_full(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    registry.update(ADMIN, "organisations", org.id, OrganisationUpdate(name_en="Renamed"), 1)
    publish(registry, "organisations", org.id, 2)
    history = registry.history(ADMIN, "organisations", org.id)
    assert [(h.version, h.action, h.status.value) for h in history] == [
        (1, "create", "draft"),
        (2, "update", "draft"),
        (3, "submit", "submitted"),
        (4, "approve", "published"),
    ]
    assert history[0].data["name_en"] == "Karaganda Steel Pipe Works"
    assert history[1].data["name_en"] == "Renamed"
    assert history[1].data["version"] == 2
    assert all(h.changed_by == 1 for h in history)
    # the public sees the published version only
    assert [h.version for h in registry.history(ANONYMOUS, "organisations", org.id)] == [4]


def test_every_write_appends_one_audit_row_with_the_changes(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    registry.update(ADMIN, "organisations", org.id, OrganisationUpdate(region="Karaganda"), 1)
    registry.submit(ADMIN, "organisations", org.id, 2)
    with registry.session() as session:
        rows = session.scalars(select(AuditLogRow).order_by(AuditLogRow.id)).all()
        assert [(r.action, r.entity, r.entity_id, r.actor_id) for r in rows] == [
            ("create", "organisations", 1, 1),
            ("update", "organisations", 1, 1),
            ("submit", "organisations", 1, 1),
        ]
        assert rows[1].changes == {"region": [None, "Karaganda"], "version": 2}
        assert rows[2].changes["status"] == ["draft", "submitted"]
        assert audit.verify_chain(session) == []


def test_failed_write_leaves_no_history_or_audit_row(registry: Registry) -> None:
    registry.create(ADMIN, "organisations", organisation())
    with pytest.raises(ConflictError):
        registry.create(ADMIN, "organisations", organisation(name_en="Copycat"))
    with registry.session() as session:
        assert len(session.scalars(select(AuditLogRow)).all()) == 1
    changes = registry.changes_since(ADMIN, datetime(2000, 1, 1, tzinfo=UTC))
    assert [(c.entity, c.entity_id, c.version) for c in changes] == [("organisations", 1, 1)]


def test_change_feed_pages_with_the_cursor(registry: Registry) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    org = registry.create(ADMIN, "organisations", organisation())
    for i in range(4):
        registry.update(ADMIN, "organisations", org.id, OrganisationUpdate(name_en=f"N{i}"), i + 1)
    first = registry.changes_since(ADMIN, start, limit=3)
    assert [c.version for c in first] == [1, 2, 3]
    rest = registry.changes_since(
        ADMIN, first[-1].changed_at, limit=3, after_cursor=first[-1].cursor
    )
    assert [c.version for c in rest] == [4, 5]
    assert registry.changes_since(ADMIN, rest[-1].changed_at) == []
    assert registry.changes_since(ADMIN, start, entity="products") == []


def test_change_feed_shows_the_public_published_versions_only(registry: Registry) -> None:
    start = datetime(2000, 1, 1, tzinfo=UTC)
    org = registry.create(ADMIN, "organisations", organisation())
    registry.create(ADMIN, "organisations", organisation(identifiers=[], name_en="Other"))
    publish(registry, "organisations", org.id, 1)
    public = registry.changes_since(ANONYMOUS, start)
    assert [(c.entity_id, c.version, c.status.value) for c in public] == [(1, 3, "published")]
    assert len(registry.changes_since(ADMIN, start)) == 4


def test_change_feed_needs_an_aware_since(registry: Registry) -> None:
    with pytest.raises(RecordValidationError, match="timezone-aware"):
        registry.changes_since(ADMIN, datetime(2024, 1, 1))


def test_system_actor_writes_with_no_user_id(registry: Registry) -> None:
    org = registry.create(SYSTEM, "organisations", organisation())
    assert org.created_by is None
    assert registry.history(SYSTEM, "organisations", org.id)[0].changed_by is None


def test_integrity_check_reports_a_missing_history_row(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    assert registry.check_integrity() == []
    with registry.engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM record_history")
    assert registry.check_integrity() == [
        f"organisations {org.id} version 1 has no record_history row"
    ]
