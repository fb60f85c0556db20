"""The registry seed: its files (cited, valid codes, references resolve) and its loader."""

from __future__ import annotations

import json
import re
import shutil
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from pydantic import BaseModel

from karavan.classifications import hs_nomenclature, isic4_labels
from karavan.errors import RecordValidationError
from karavan.registry.actors import SYSTEM
from karavan.registry.schemas import ENTITIES, Page
from karavan.registry.seed import SEED_DIRECTORY, load_seed, read_seed
from karavan.registry.service import open_registry

MEMBER_STATES = {"ARM", "BLR", "KAZ", "KGZ", "RUS"}
PARK = "org:great-stone-park"
GREAT_STONE_RESIDENTS = {
    "org:maz-weichai",
    "org:zoomlion",
    "org:china-merchants-group",
    "org:eurasian-railway-gateway",
    "org:sinomachbel",
    "org:transport-complex-af",
}


def _json(entity: str, directory: Path = SEED_DIRECTORY) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((directory / f"{entity}.json").read_text("utf-8"))
    return data


def _copy(tmp_path: Path) -> Path:
    target = tmp_path / "seed"
    shutil.copytree(SEED_DIRECTORY, target)
    return target


def _edit(directory: Path, entity: str, index: int, **changes: Any) -> None:
    records = _json(entity, directory)
    for name, value in changes.items():
        if value is None:
            records[index].pop(name, None)
        else:
            records[index][name] = value
    (directory / f"{entity}.json").write_text(json.dumps(records, ensure_ascii=False), "utf-8")


# --- the files ---------------------------------------------------------------------------------


def test_read_seed_returns_every_record_of_every_file() -> None:
    seed = read_seed()
    counts = {entity: len(seed[entity]) for entity in ENTITIES}
    assert counts == {entity: len(_json(entity)) for entity in ENTITIES}
    assert counts == {"organisations": 43, "products": 10, "needs": 1, "projects": 16}


def test_every_record_cites_a_source_with_url_and_date() -> None:
    for entity in ENTITIES:
        for record in _json(entity):
            assert record["sources"], record["key"]
            for source in record["sources"]:
                assert source["url"].startswith(("http://", "https://")), record["key"]
                assert source["title"].strip(), record["key"]
                published = date.fromisoformat(source["date"])
                assert date(1990, 1, 1) <= published <= date(2026, 11, 26), record["key"]


def test_the_readme_lists_every_source_and_no_other() -> None:
    readme = (SEED_DIRECTORY / "README.md").read_text("utf-8")
    listed = set(re.findall(r"<(https?://[^>]+)>", readme))
    cited = {s["url"] for e in ENTITIES for r in _json(e) for s in r["sources"]}
    assert listed == cited
    assert len(cited) == 75


def test_codes_are_hs2022_subheadings_and_isic4_classes() -> None:
    hs = hs_nomenclature()
    hs6 = set(hs.loc[hs["level"] == 6, "code"])
    isic = set(isic4_labels()["code"])
    coded = _json("products") + _json("needs")
    for record in coded:
        assert record.get("hs_code") or record.get("isic_code"), record["key"]
        if "hs_code" in record:
            assert record["hs_code"] in hs6, record["key"]
        if "isic_code" in record:
            assert record["isic_code"] in isic, record["key"]
    for project in _json("projects"):
        assert project["sectors"], project["key"]
        assert set(project["sectors"]) <= isic, project["key"]
    assert {r["hs_code"] for r in coded if "hs_code" in r} == {"840820", "870510", "870590"}


def test_each_member_state_has_an_agency_and_a_science_centre() -> None:
    organisations = _json("organisations")
    agencies = {o["country"] for o in organisations if o["kind"] == "agency"}
    science = {o["country"] for o in organisations if o["kind"] == "science_centre"}
    assert agencies >= MEMBER_STATES
    assert science >= MEMBER_STATES
    by_key = {o["key"]: o for o in organisations}
    assert by_key["org:eurasian-economic-commission"]["kind"] == "agency"
    assert by_key[PARK]["kind"] == "industrial_park"


def test_park_residents_point_at_great_stone() -> None:
    residents = {o["key"] for o in _json("organisations") if o.get("park") == PARK}
    assert residents == GREAT_STONE_RESIDENTS
    projects = {p["key"]: p for p in _json("projects")}
    in_park = {k for k, p in projects.items() if p.get("park") == PARK}
    assert in_park == {
        "project:great-stone-park",
        "project:maz-weichai-engine-plant",
        "project:zoomlion-belarus-plant",
        "project:china-merchants-logistics-subpark",
    }


def test_the_mission_projects_are_present() -> None:
    projects = {p["key"]: p for p in _json("projects")}
    assert "project:krasnoyarsk-technology-valley" in projects
    kz_sectors = {s for p in projects.values() if p["countries"][0] == "KAZ" for s in p["sectors"]}
    # metallurgy, light industry (carpets, knitwear), electrical and electronic equipment
    assert {"2410", "1393", "1430", "2670", "2710", "2750"} <= kz_sectors


# --- bad seed files ----------------------------------------------------------------------------


def test_a_duplicate_key_is_refused_with_both_places(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "organisations", 1, key="org:eurasian-economic-commission")
    with pytest.raises(RecordValidationError, match=r"organisations.json, record 0") as info:
        read_seed(directory)
    assert info.value.field == "key"


def test_two_records_the_loader_could_not_tell_apart_are_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    first = _json("projects")[0]
    _edit(directory, "projects", 3, name_en=first["name_en"])
    with pytest.raises(RecordValidationError, match=r"projects.json, record 3.*natural key"):
        read_seed(directory)


def test_a_dangling_reference_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "products", 0, organisation="org:nowhere")
    with pytest.raises(RecordValidationError, match=r"products.json, record 0.*'org:nowhere'"):
        read_seed(directory)


def test_a_park_that_is_not_an_industrial_park_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    index = next(i for i, o in enumerate(_json("organisations")) if o["key"] == "org:zoomlion")
    _edit(directory, "organisations", index, park="org:maz")
    with pytest.raises(RecordValidationError, match=r"industrial_park.*'org:maz'") as info:
        read_seed(directory)
    assert info.value.field == "park"


def test_a_record_without_sources_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "projects", 2, sources=[])
    with pytest.raises(RecordValidationError, match=r"projects.json, record 2.*source"):
        read_seed(directory)


def test_a_code_outside_hs2022_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "products", 0, hs_code="999999")
    with pytest.raises(RecordValidationError, match=r"products.json, record 0.*hs_code"):
        read_seed(directory)


def test_an_unknown_field_is_refused(tmp_path: Path) -> None:
    directory = _copy(tmp_path)
    _edit(directory, "organisations", 0, status="published")
    with pytest.raises(RecordValidationError, match=r"status"):
        read_seed(directory)


# --- the loader over an in-memory registry -----------------------------------------------------


class FakeRegistry:
    """The four ``Registry`` methods the loader uses, over dicts (no database)."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[int, SimpleNamespace]] = {e: {} for e in ENTITIES}
        self.calls: list[tuple[str, str]] = []
        self._next = 0

    def create(self, actor: Any, entity: str, payload: BaseModel) -> SimpleNamespace:
        self.calls.append(("create", entity))
        self._next += 1
        row = SimpleNamespace(**payload.model_dump(), id=self._next, version=1, status="draft")
        self.rows[entity][row.id] = row
        return SimpleNamespace(**vars(row))

    def list(self, actor: Any, entity: str, *, limit: int, offset: int) -> Page[Any]:
        items = [SimpleNamespace(**vars(r)) for r in self.rows[entity].values()]
        return Page[Any](
            items=items[offset : offset + limit], total=len(items), limit=limit, offset=offset
        )

    def _move(self, entity: str, record_id: int, version: int, to: str) -> SimpleNamespace:
        row = self.rows[entity][record_id]
        assert row.version == version, "stale write"
        row.version += 1
        row.status = to
        return SimpleNamespace(**vars(row))

    def submit(self, actor: Any, entity: str, record_id: int, expected_version: int,
               note: str | None = None) -> SimpleNamespace:  # fmt: skip
        self.calls.append(("submit", entity))
        assert self.rows[entity][record_id].status in ("draft", "rejected")
        return self._move(entity, record_id, expected_version, "submitted")

    def approve(self, actor: Any, entity: str, record_id: int, expected_version: int,
                note: str | None = None) -> SimpleNamespace:  # fmt: skip
        self.calls.append(("approve", entity))
        assert self.rows[entity][record_id].status == "submitted"
        return self._move(entity, record_id, expected_version, "published")


def test_load_seed_creates_and_publishes_every_record_once() -> None:
    registry = FakeRegistry()
    report = load_seed(registry, SYSTEM)  # type: ignore[arg-type]
    expected = {entity: len(_json(entity)) for entity in ENTITIES}
    assert report.created == expected
    assert report.existing == dict.fromkeys(ENTITIES, 0)
    assert report.total_created == 70
    assert {e: len(rows) for e, rows in registry.rows.items()} == expected
    assert all(r.status == "published" for rows in registry.rows.values() for r in rows.values())
    assert registry.calls.count(("create", "organisations")) == 43


def test_load_seed_resolves_keys_to_ids() -> None:
    registry = FakeRegistry()
    report = load_seed(registry)  # type: ignore[arg-type]
    park_id = report.ids[PARK]
    organisations = registry.rows["organisations"]
    residents = {k for k in GREAT_STONE_RESIDENTS}
    assert {organisations[report.ids[k]].park_id for k in residents} == {park_id}
    assert sum(1 for o in organisations.values() if o.park_id == park_id) == 6
    engines = registry.rows["products"][report.ids["product:maz-weichai-diesel-engines"]]
    assert engines.organisation_id == report.ids["org:maz-weichai"]
    plant = registry.rows["projects"][report.ids["project:maz-weichai-engine-plant"]]
    assert plant.park_id == park_id
    assert {p["organisation_id"] for p in plant.participants} == {
        report.ids[k] for k in ("org:maz-weichai", "org:maz", "org:weichai-power", "org:camce")
    }


def test_a_second_load_creates_nothing() -> None:
    registry = FakeRegistry()
    first = load_seed(registry)  # type: ignore[arg-type]
    creates = registry.calls.count(("create", "organisations"))
    second = load_seed(registry)  # type: ignore[arg-type]
    assert second.total_created == 0
    assert second.existing == first.created
    assert second.ids == first.ids
    assert registry.calls.count(("create", "organisations")) == creates


def test_a_load_that_stopped_half_way_is_completed() -> None:
    registry = FakeRegistry()
    load_seed(registry)  # type: ignore[arg-type]
    # a record left in draft and one left submitted, as after an interrupted run
    rows = list(registry.rows["products"].values())
    rows[0].status, rows[1].status = "draft", "submitted"
    report = load_seed(registry)  # type: ignore[arg-type]
    assert report.total_created == 0
    assert rows[0].status == rows[1].status == "published"
    assert registry.calls[-3:].count(("approve", "products")) >= 1


# --- the loader over a real registry (SQLite; PostgreSQL when configured) -------------------------


def test_load_seed_into_a_fresh_registry(registry_url: str) -> None:
    registry = open_registry(registry_url)
    try:
        report = load_seed(registry)
        expected = {entity: len(_json(entity)) for entity in ENTITIES}
        assert report.created == expected
        for entity in ENTITIES:
            page = registry.list(SYSTEM, entity, limit=500)
            assert page.total == expected[entity]
            assert {r.status for r in page.items} == {"published"}
            for record in page.items:
                assert record.sources, (entity, record.id)
                assert all(s.url.startswith("http") and s.date for s in record.sources)
        park_id = report.ids[PARK]
        residents = registry.list(SYSTEM, "organisations", limit=500).items
        assert {o.id for o in residents if o.park_id == park_id} == {
            report.ids[k] for k in GREAT_STONE_RESIDENTS
        }
        again = load_seed(registry)
        assert again.total_created == 0
        assert again.existing == expected
        assert registry.list(SYSTEM, "organisations", limit=1).total == expected["organisations"]
    finally:
        registry.close()
