"""Bulk import and export (:mod:`karavan.registry.bulk`): all-or-nothing batches with a
row-level report, idempotent re-runs, permissions, history and audit rows, and export files that
import back into a fresh registry as the same records. Runs on SQLite and, when
``KARAVAN_TEST_POSTGRES_URL`` is set, on PostgreSQL (fixture ``registry_url``)."""

from __future__ import annotations

import csv
import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from karavan.errors import (
    ConflictError,
    ImportValidationError,
    PermissionDeniedError,
    RecordValidationError,
)
from karavan.registry import (
    ANONYMOUS,
    SYSTEM,
    Actor,
    OrganisationCreate,
    Registry,
    Role,
    audit,
    open_registry,
)
from karavan.registry.bulk import ImportResult, batch_key, export_records, import_batch
from karavan.registry.bulkformats import BulkFormat, read_rows, write_rows
from karavan.registry.store.account_models import AuditLogRow
from karavan.registry.store.import_models import ImportBatchRow
from karavan.registry.store.models import OrganisationRow, RecordHistoryRow

SOURCE = {"title": "Company register", "url": "https://egrul.nalog.ru", "date": "2024-05-01"}


@pytest.fixture
def registry(registry_url: str) -> Iterator[Registry]:
    """A fresh, migrated registry on each backend (overrides the SQLite-only fixture of
    ``conftest.py``)."""
    reg = open_registry(registry_url)
    yield reg
    reg.close()


def _organisations(n: int, *, start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "kind": "enterprise",
            "name_en": f"Steel works {i}",
            "name_ru": f"Сталелитейный завод {i}",
            "country": "KAZ",
            "region": "Karaganda",
            "identifiers": [{"scheme": "OTHER", "value": f"X-{i}"}],
            "sources": [SOURCE],
        }
        for i in range(start, start + n)
    ]


def _count(registry: Registry, model: Any) -> int:
    with registry.session() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _audit_actions(registry: Registry) -> list[tuple[str, str, dict[str, Any]]]:
    with registry.session() as session:
        return [(e.action, e.entity, e.changes) for e in audit.entries(session, limit=1000)]


def _park_and_plant(registry: Registry) -> tuple[int, int]:
    park = registry.create(
        SYSTEM,
        "organisations",
        OrganisationCreate(kind="industrial_park", name_en="Park", name_ru="Парк", country="KAZ"),
    )
    plant = registry.create(
        SYSTEM,
        "organisations",
        OrganisationCreate(kind="enterprise", name_en="Plant", name_ru="Завод", country="RUS"),
    )
    return park.id, plant.id


# --- import ------------------------------------------------------------------------------------


def test_import_csv_stores_every_row_with_history_and_one_audit_row(registry: Registry) -> None:
    data = write_rows(_organisations(3), "csv")
    result = import_batch(registry, SYSTEM, "organisations", data, "csv", filename="orgs.csv")

    assert result == ImportResult(
        batch_id=1,
        entity="organisations",
        content_sha256=batch_key("organisations", data),
        rows=3,
        created_ids=(1, 2, 3),
        status="draft",
        duplicate=False,
    )
    second = registry.get(SYSTEM, "organisations", 2)
    assert second.name_ru == "Сталелитейный завод 1"
    assert second.status == "draft"
    assert second.version == 1
    assert [i.model_dump(mode="json") for i in second.identifiers] == [
        {"scheme": "OTHER", "value": "X-1"}
    ]
    history = registry.history(SYSTEM, "organisations", 2)
    assert len(history) == 1
    assert history[0].action == "create"
    assert history[0].data == second.model_dump(mode="json")
    actions = _audit_actions(registry)
    assert len(actions) == 1
    action, entity, changes = actions[0]
    assert (action, entity) == ("import", "organisations")
    assert changes["batch_id"] == 1
    assert changes["count"] == 3
    assert (changes["first_id"], changes["last_id"]) == (1, 3)
    assert changes["content_sha256"] == result.content_sha256
    assert registry.check_integrity() == []


def test_import_is_found_by_full_text_search(registry: Registry) -> None:
    import_batch(
        registry,
        SYSTEM,
        "organisations",
        write_rows(_organisations(2), "json"),
        "json",
        filename="o.json",
    )
    page = registry.list(SYSTEM, "organisations", q="сталелитейные")
    assert [o.id for o in page.items] == [1, 2]


def test_history_of_an_import_equals_that_of_a_single_create(registry: Registry) -> None:
    row = _organisations(1)[0]
    created = registry.create(SYSTEM, "organisations", OrganisationCreate.model_validate(row))
    imported = _organisations(1, start=1)[0]
    result = import_batch(
        registry,
        SYSTEM,
        "organisations",
        json.dumps([imported]).encode(),
        "json",
        filename="o.json",
    )
    (via_service,) = registry.history(SYSTEM, "organisations", created.id)
    (via_import,) = registry.history(SYSTEM, "organisations", result.created_ids[0])
    skip = {"id", "created_at", "updated_at", "name_en", "name_ru", "identifiers"}
    assert {k: v for k, v in via_import.data.items() if k not in skip} == {
        k: v for k, v in via_service.data.items() if k not in skip
    }
    assert set(via_import.data) == set(via_service.data)
    assert (via_import.status, via_import.version, via_import.action) == ("draft", 1, "create")


def test_invalid_rows_are_all_reported_and_nothing_is_stored(registry: Registry) -> None:
    csv_text = (
        "kind,name_en,name_ru,country,id\n"
        "enterprise,Good,Хорошо,KAZ,\n"
        "enterprise,Bad country,Плохо,XXX,\n"
        "factory,No Russian name,,RUS,7\n"
    )
    with pytest.raises(ImportValidationError) as info:
        import_batch(registry, SYSTEM, "organisations", csv_text.encode(), "csv", filename="up.csv")
    report = info.value.report
    by_place = {(e["row"], e["column"]): e for e in report}
    assert sorted(by_place) == [(3, "country"), (4, "id"), (4, "kind"), (4, "name_ru")]
    assert all(e["file"] == "up.csv" for e in report)
    assert by_place[(3, "country")]["value"] == "XXX"
    assert "known ISO 3166 alpha-3" in str(by_place[(3, "country")]["message"])
    assert by_place[(4, "id")]["value"] == "7"
    assert by_place[(4, "kind")]["value"] == "factory"
    assert by_place[(4, "name_ru")]["value"] is None
    assert "4 problem(s) in up.csv (2 of 3 rows)" in str(info.value)
    assert _count(registry, OrganisationRow) == 0
    assert _count(registry, RecordHistoryRow) == 0
    assert _count(registry, ImportBatchRow) == 0
    assert _count(registry, AuditLogRow) == 0


def test_nested_errors_name_the_column_and_the_path(registry: Registry) -> None:
    rows = _organisations(2)
    rows[1]["identifiers"] = [{"scheme": "RU-INN", "value": "7707083894"}]
    with pytest.raises(ImportValidationError) as info:
        import_batch(
            registry, SYSTEM, "organisations", json.dumps(rows).encode(), "json", filename="o.json"
        )
    (entry,) = info.value.report
    assert (entry["row"], entry["column"]) == (2, "identifiers")
    assert str(entry["message"]).startswith("identifiers[0]: ")
    assert entry["value"] == [{"scheme": "RU-INN", "value": "7707083894"}]


def test_references_and_identifiers_are_checked_against_the_database(registry: Registry) -> None:
    park_id, plant_id = _park_and_plant(registry)
    registry.create(
        SYSTEM,
        "organisations",
        OrganisationCreate.model_validate(
            {**_organisations(1)[0], "identifiers": [{"scheme": "RU-INN", "value": "7707083893"}]}
        ),
    )
    rows = _organisations(4, start=10)
    rows[0]["park_id"] = park_id  # fine
    rows[1]["park_id"] = plant_id  # not a park
    rows[2]["identifiers"] = [{"scheme": "RU-INN", "value": "7707083893"}]  # taken
    rows[3]["identifiers"] = [{"scheme": "OTHER", "value": "X-10"}]  # repeats row 1's
    with pytest.raises(ImportValidationError) as info:
        import_batch(
            registry, SYSTEM, "organisations", json.dumps(rows).encode(), "json", filename="o.json"
        )
    report = info.value.report
    assert [(e["row"], e["column"]) for e in report] == [
        (2, "park_id"),
        (3, "identifiers"),
        (4, "identifiers"),
    ]
    assert report[0]["value"] == plant_id
    assert "is enterprise" in str(report[0]["message"])
    assert "already registered" in str(report[1]["message"])
    assert "row 1 of this file has it too" in str(report[2]["message"])
    assert _count(registry, OrganisationRow) == 3


def test_products_need_an_existing_organisation_the_editor_may_write_for(
    registry: Registry,
) -> None:
    _park_id, plant_id = _park_and_plant(registry)
    editor = Actor(user_id=42, role=Role.EDITOR, organisation_id=plant_id, label="user:42")
    rows = [
        {"organisation_id": plant_id, "hs_code": "720851", "text": "Steel plate", "lang": "en"},
        {"organisation_id": 999, "isic_code": "2410", "text": "Прокат", "lang": "ru"},
        {"organisation_id": 1, "isic_code": "2410", "text": "Rolled steel", "lang": "en"},
        {"organisation_id": plant_id, "text": "No code", "lang": "en"},
    ]
    with pytest.raises(ImportValidationError) as info:
        import_batch(
            registry, editor, "products", json.dumps(rows).encode(), "json", filename="p.json"
        )
    # the schema error (row 4) is reported first; database checks need valid rows
    assert [(e["row"], e["column"]) for e in info.value.report] == [(4, None)]
    del rows[3]
    with pytest.raises(ImportValidationError) as info:
        import_batch(
            registry, editor, "products", json.dumps(rows).encode(), "json", filename="p.json"
        )
    report = info.value.report
    assert [(e["row"], e["column"], e["value"]) for e in report] == [
        (2, "organisation_id", 999),
        (2, "organisation_id", 999),
        (3, "organisation_id", 1),
    ]
    assert "does not exist" in str(report[0]["message"])
    assert "may not create products owned by organisation 999" in str(report[1]["message"])
    result = import_batch(
        registry, editor, "products", json.dumps(rows[:1]).encode(), "json", filename="p.json"
    )
    product = registry.get(editor, "products", result.created_ids[0])
    assert (product.status, product.created_by, product.hs_code) == ("draft", 42, "720851")


def test_projects_import_with_their_child_rows(registry: Registry) -> None:
    park_id, plant_id = _park_and_plant(registry)
    editor = Actor(user_id=5, role=Role.EDITOR, organisation_id=plant_id, label="user:5")
    rows = [
        {
            "name_en": "Rail hub",
            "name_ru": "Железнодорожный хаб",
            "countries": "KAZ; CHN",
            "sectors": "4912",
            "phase": "planned",
            "corridor": "china_central_asia_west_asia",
            "park_id": str(park_id),
            "participants": json.dumps([{"organisation_id": plant_id, "role": "operator"}]),
            "start_date": "2025-01-01",
        }
    ]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    csv_text = out.getvalue()
    result = import_batch(registry, editor, "projects", csv_text.encode(), "csv", filename="pr.csv")
    project = registry.get(editor, "projects", result.created_ids[0])
    assert project.countries == ["KAZ", "CHN"]
    assert project.sectors == ["4912"]
    assert [(p.organisation_id, p.role.value) for p in project.participants] == [
        (plant_id, "operator")
    ]
    assert project.owner_organisation_id == plant_id
    assert str(project.start_date) == "2025-01-01"
    (entry,) = registry.history(editor, "projects", project.id)
    assert entry.data == project.model_dump(mode="json")
    assert registry.check_integrity() == []


def test_reimporting_the_same_file_is_a_no_op(registry: Registry) -> None:
    data = write_rows(_organisations(5), "csv")
    first = import_batch(registry, SYSTEM, "organisations", data, "csv", filename="a.csv")
    again = import_batch(registry, SYSTEM, "organisations", data, "csv", filename="b.csv")
    assert again.duplicate is True
    assert (again.batch_id, again.created_ids) == (first.batch_id, first.created_ids)
    assert _count(registry, OrganisationRow) == 5
    assert _count(registry, ImportBatchRow) == 1
    assert len(_audit_actions(registry)) == 1
    other = write_rows(_organisations(1, start=5), "csv")
    third = import_batch(registry, SYSTEM, "organisations", other, "csv", filename="c.csv")
    assert (third.batch_id, third.created_ids, third.duplicate) == (2, (6,), False)


def test_concurrent_identical_imports_land_once(registry: Registry) -> None:
    data = write_rows(_organisations(50), "csv")
    barrier = threading.Barrier(2)
    results: list[ImportResult] = []

    def run() -> None:
        barrier.wait()
        results.append(import_batch(registry, SYSTEM, "organisations", data, "csv", filename="x"))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.duplicate for r in results) == [False, True]
    # One batch of 50 consecutive ids (on PostgreSQL the loser's reserved ids are skipped).
    first = results[0].created_ids[0]
    assert results[0].created_ids == results[1].created_ids == tuple(range(first, first + 50))
    assert _count(registry, OrganisationRow) == 50
    assert registry.check_integrity() == []


def test_who_may_import(registry: Registry) -> None:
    data = write_rows(_organisations(1), "csv")
    viewer = Actor(user_id=3, role=Role.VIEWER, label="user:3")
    editor = Actor(user_id=4, role=Role.EDITOR, organisation_id=None, label="user:4")
    with pytest.raises(PermissionDeniedError, match="admin or editor"):
        import_batch(registry, viewer, "organisations", data, "csv", filename="o.csv")
    with pytest.raises(PermissionDeniedError, match="only admins may"):
        import_batch(registry, editor, "organisations", data, "csv", filename="o.csv")
    with pytest.raises(PermissionDeniedError, match="as published"):
        import_batch(registry, editor, "products", data, "csv", filename="o.csv", publish=True)
    with pytest.raises(RecordValidationError, match="unknown entity"):
        import_batch(registry, SYSTEM, "parks", data, "csv", filename="o.csv")
    published = import_batch(
        registry, SYSTEM, "organisations", data, "csv", filename="o.csv", publish=True
    )
    assert published.status == "published"
    assert registry.get(ANONYMOUS, "organisations", published.created_ids[0]).status == "published"


def test_an_empty_or_unreadable_file_is_refused(registry: Registry) -> None:
    with pytest.raises(ImportValidationError, match="has no rows"):
        import_batch(registry, SYSTEM, "organisations", b"[]", "json", filename="e.json")
    with pytest.raises(ImportValidationError) as info:
        import_batch(registry, SYSTEM, "organisations", b"\xff\xfe", "csv", filename="u.csv")
    assert info.value.report[0]["file"] == "u.csv"
    assert _count(registry, ImportBatchRow) == 0


def test_import_reads_a_path(registry: Registry, tmp_path: Path) -> None:
    path = tmp_path / "orgs.json"
    path.write_bytes(json.dumps(_organisations(2)).encode())
    result = import_batch(registry, SYSTEM, "organisations", path, "json", filename="orgs.json")
    assert result.created_ids == (1, 2)
    assert result.content_sha256 == batch_key("organisations", path.read_bytes())


# --- export ------------------------------------------------------------------------------------


def _content(registry: Registry, entity: str) -> list[dict[str, Any]]:
    page = registry.list(SYSTEM, entity, limit=500)
    skip = {"id", "version", "status", "review_note", "created_at", "updated_at"}
    skip |= {"created_by", "updated_by", "owner_organisation_id"}
    return [
        {k: v for k, v in r.model_dump(mode="json").items() if k not in skip} for r in page.items
    ]


@pytest.mark.parametrize("fmt", ["csv", "json", "parquet"])
def test_export_imports_back_as_the_same_records(
    registry: Registry, tmp_path: Path, fmt: BulkFormat
) -> None:
    orgs = _organisations(3)
    orgs[0]["sites"] = [{"name": "Main", "country": "KAZ", "lat": 49.8, "lon": 73.1}]
    orgs[1]["identifiers"] = [{"scheme": "KZ-BIN", "value": "940140000385"}]
    orgs[2]["kind"] = "industrial_park"
    orgs[2]["description"] = 'Quotes "and", commas; semicolons'
    import_batch(registry, SYSTEM, "organisations", json.dumps(orgs).encode(), "json", filename="o")
    products = [
        {
            "organisation_id": 1,
            "hs_code": "720851",
            "text": "Плиты стальные",
            "lang": "ru",
            "capacity": 12.5,
            "capacity_unit": "kt/yr",
            "certifications": ["ISO 9001", "ГОСТ 19903"],
            "sources": [SOURCE],
        },
        {"organisation_id": 2, "isic_code": "2410", "text": "Rolled steel", "lang": "en"},
    ]
    import_batch(registry, SYSTEM, "products", json.dumps(products).encode(), "json", filename="p")

    fresh = open_registry(f"sqlite:///{tmp_path / 'fresh.sqlite3'}")
    try:
        for entity in ("organisations", "products"):
            exported = export_records(registry, SYSTEM, entity, fmt)
            assert len(read_rows(exported, fmt, filename="x")) in (2, 3)
            import_batch(fresh, SYSTEM, entity, exported, fmt, filename=f"{entity}.{fmt}")
            assert _content(fresh, entity) == _content(registry, entity)
        assert fresh.get(SYSTEM, "products", 1).certifications == ["ISO 9001", "ГОСТ 19903"]
    finally:
        fresh.close()


def test_export_shows_only_what_the_actor_may_see(registry: Registry) -> None:
    _park_id, plant_id = _park_and_plant(registry)
    import_batch(
        registry,
        SYSTEM,
        "organisations",
        write_rows(_organisations(2), "csv"),
        "csv",
        filename="pub.csv",
        publish=True,
    )
    editor = Actor(user_id=9, role=Role.EDITOR, organisation_id=plant_id, label="user:9")

    def names(actor: Actor, **filters: Any) -> list[object]:
        exported = export_records(registry, actor, "organisations", "json", **filters)
        return [row["name_en"] for row in read_rows(exported, "json", filename="e")]

    assert names(ANONYMOUS) == ["Steel works 0", "Steel works 1"]
    assert names(editor) == ["Plant", "Steel works 0", "Steel works 1"]
    assert names(SYSTEM, kind="industrial_park") == ["Park"]
    full = export_records(registry, SYSTEM, "organisations", "json", server_fields=True)
    first = read_rows(full, "json", filename="f")[0]
    assert (first["id"], first["status"], first["version"]) == (1, "draft", 1)
    with pytest.raises(RecordValidationError, match="limit and offset"):
        export_records(registry, SYSTEM, "organisations", "csv", limit=5)


def test_export_pages_through_more_than_one_page(registry: Registry) -> None:
    rows = _organisations(1203)
    import_batch(
        registry, SYSTEM, "organisations", json.dumps(rows).encode(), "json", filename="big"
    )
    exported = read_rows(
        export_records(registry, SYSTEM, "organisations", "csv"), "csv", filename="e"
    )
    assert len(exported) == 1203
    assert exported[-1]["name_en"] == "Steel works 1202"
    assert exported[600]["identifiers"] == [{"scheme": "OTHER", "value": "X-600"}]


def test_needs_import_and_export_filtered_by_code(registry: Registry) -> None:
    _park_id, plant_id = _park_and_plant(registry)
    needs = [
        {"organisation_id": plant_id, "hs_code": "270112", "text": "Coking coal", "lang": "en"},
        {"organisation_id": plant_id, "isic_code": "2410", "text": "Чугун", "lang": "ru"},
        {
            "organisation_id": plant_id,
            "hs_code": "720851",
            "text": "Plate",
            "lang": "en",
            "volume": "300",
            "volume_unit": "t/month",
        },
    ]
    columns = ("hs_code", "isic_code", "volume", "volume_unit")
    # every row names every column: pyarrow takes a file's columns from its first row
    data = write_rows([{**dict.fromkeys(columns), **need} for need in needs], "parquet")
    result = import_batch(registry, SYSTEM, "needs", data, "parquet", filename="n.parquet")
    assert result.created_ids == (1, 2, 3)
    assert registry.get(SYSTEM, "needs", 3).volume == 300.0
    exported = export_records(registry, SYSTEM, "needs", "json", code_prefix="72")
    assert [row["text"] for row in read_rows(exported, "json", filename="e")] == ["Plate"]


def test_a_duplicate_is_answered_only_to_its_importer_or_an_admin(registry: Registry) -> None:
    _park_id, plant_id = _park_and_plant(registry)
    editor = Actor(user_id=42, role=Role.EDITOR, organisation_id=plant_id, label="user:42")
    colleague = Actor(user_id=43, role=Role.EDITOR, organisation_id=plant_id, label="user:43")
    rows = [{"organisation_id": plant_id, "hs_code": "720851", "text": "Plate", "lang": "en"}]
    data = json.dumps(rows).encode()
    first = import_batch(registry, editor, "products", data, "json", filename="p.json")
    assert import_batch(registry, editor, "products", data, "json", filename="p.json").duplicate
    with pytest.raises(ConflictError, match="already imported by another account"):
        import_batch(registry, colleague, "products", data, "json", filename="p.json")
    again = import_batch(registry, SYSTEM, "products", data, "json", filename="p.json")
    assert (again.duplicate, again.created_ids) == (True, first.created_ids)
