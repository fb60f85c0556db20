"""The matching routes over HTTP: needs, project inputs and external flows ranked with their
evidence, on the registry's seed (real cited records) plus hand-made published products; saved
searches and notifications for their owners only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tests.integration.web.conftest import World, build_world

from karavan.datastore import DataStore
from karavan.registry import SYSTEM, OrganisationCreate, ProductCreate, PublicRecord, Registry
from karavan.registry.seed import load_seed

SOURCE = [{"title": "Test fixture", "url": "https://example.org/fixture", "date": "2026-01-01"}]
PIPES = {"hs_codes": ["730419"], "text": "seamless steel pipes", "lang": "en"}


def _publish(registry: Registry, entity: str, payload: Any) -> PublicRecord:
    record = registry.create(SYSTEM, entity, payload)
    record = registry.submit(SYSTEM, entity, record.id, record.version)
    return registry.approve(SYSTEM, entity, record.id, record.version)


def add_maker(
    registry: Registry, name: str, country: str, hs_code: str, text: str, **product: Any
) -> tuple[int, int]:
    """A published enterprise in ``country`` and its published product; (org id, product id)."""
    org = _publish(
        registry,
        "organisations",
        OrganisationCreate.model_validate(
            {
                "kind": "enterprise",
                "name_en": name,
                "name_ru": name,
                "country": country,
                "sources": SOURCE,
            }
        ),
    )
    item = _publish(
        registry,
        "products",
        ProductCreate.model_validate(
            {
                "organisation_id": org.id,
                "hs_code": hs_code,
                "text": text,
                "lang": "en",
                "sources": SOURCE,
            }
            | product
        ),
    )
    return org.id, item.id


@pytest.fixture(scope="module")
def mworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """The web world, with the seed loaded and three pipe makers (KAZ, RUS, CHN) published."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('match')}/registry.sqlite3")
    load_seed(built.registry)
    add_maker(built.registry, "Pavlodar Pipe Works", "KAZ", "730419", "seamless steel pipes")
    add_maker(
        built.registry,
        "Volga Tube",
        "RUS",
        "730419",
        "seamless steel pipes",
        capacity=500.0,
        capacity_unit="t",
    )
    add_maker(built.registry, "Tianjin Tube", "CHN", "730419", "seamless steel pipes")
    try:
        yield built
    finally:
        built.client.close()
        built.registry.close()


def _match(world: World, body: dict[str, Any], actor: str = "anonymous") -> Any:
    response = world.client.post("/api/v1/match", json=body, headers=world.headers(actor))
    assert response.status_code == 200, response.text
    return response.json()


def _names(result: Any) -> list[str]:
    return [m["organisation_name_en"] for m in result["matches"]]


# --- matching a need ----------------------------------------------------------------------------


def test_a_need_is_ranked_with_its_evidence(mworld: World) -> None:
    result = _match(mworld, {**PIPES, "preferred_countries": ["KAZ"]})
    names = _names(result)
    # same code and text; KAZ is preferred (+0.15), RUS is EAEU (+0.2), CHN Belt and Road (+0.1)
    assert names[:3] == ["Pavlodar Pipe Works", "Volga Tube", "Tianjin Tube"]
    assert [m["rank"] for m in result["matches"]][:3] == [1, 2, 3]
    first = result["matches"][0]
    kinds = {e["kind"] for e in first["evidence"]}
    assert {"code", "term", "country"} <= kinds
    code = next(e for e in first["evidence"] if e["kind"] == "code")
    assert code["code"] == "HS6 730419"
    assert code["wanted"] == ["730419"]
    country = next(e for e in first["evidence"] if e["kind"] == "country")
    assert (country["tier"], country["preferred"]) == ("EAEU member", True)
    assert country["contribution"] == pytest.approx(0.2 + 0.15)
    assert first["score"] == pytest.approx(sum(e["contribution"] for e in first["evidence"]))
    assert result["query"]["preferred_countries"] == ["KAZ"]
    assert _match(mworld, {**PIPES, "preferred_countries": ["KAZ"]}) == result  # deterministic


def test_seed_records_are_matched_by_code(mworld: World) -> None:
    result = _match(mworld, {"hs_codes": ["840820"]})
    top = result["matches"][0]
    assert (top["organisation_name_en"], top["country"], top["hs_code"]) == (
        "MAZ-Weichai",
        "BLR",
        "840820",
    )
    assert top["evidence"][0] == {
        "kind": "code",
        "level": "HS6",
        "code": "HS6 840820",
        "wanted": ["840820"],
        "via": None,
        "inferred_from": None,
        "weight": 1.0,
        "contribution": 1.0,
    }
    assert top["score"] == pytest.approx(1.2)  # code 1.0 + EAEU member 0.2


def test_capacity_is_evidence(mworld: World) -> None:
    result = _match(mworld, {**PIPES, "quantity": 800, "unit": "t"})
    volga = next(m for m in result["matches"] if m["organisation_name_en"] == "Volga Tube")
    capacity = next(e for e in volga["evidence"] if e["kind"] == "capacity")
    assert (capacity["verdict"], capacity["capacity"], capacity["quantity"]) == (
        "partial",
        500.0,
        800.0,
    )


def test_a_newly_published_product_is_found_without_a_restart(mworld: World) -> None:
    body = {"hs_codes": ["848180"], "text": "industrial valves", "lang": "en"}
    before = _names(_match(mworld, body))
    assert "Kyrgyz Valve Plant" not in before
    draft_org = mworld.registry.create(
        SYSTEM,
        "organisations",
        OrganisationCreate.model_validate(
            {"kind": "enterprise", "name_en": "Draft Valves", "name_ru": "Draft Valves"}
            | {"country": "ARM", "sources": SOURCE}
        ),
    )
    add_maker(mworld.registry, "Kyrgyz Valve Plant", "KGZ", "848180", "industrial valves")
    after = _match(mworld, body)
    assert _names(after)[0] == "Kyrgyz Valve Plant"
    assert after["matches"][0]["country"] == "KGZ"
    assert all(m["organisation_id"] != draft_org.id for m in after["matches"])


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"hs_codes": ["730419"], "colour": "red"}, "colour"),
        ({"limit": 5}, None),
        ({"hs_codes": ["7304"]}, "hs_codes"),
        ({"text": "pipes", "limit": 0}, "limit"),
    ],
)
def test_bad_needs_are_422_in_the_one_error_shape(
    mworld: World, body: dict[str, Any], field: str | None
) -> None:
    response = mworld.client.post("/api/v1/match", json=body)
    assert response.status_code == 422
    assert set(response.json()) == {"error"}
    if field is not None:
        assert field in response.text


# --- project inputs and external flows ----------------------------------------------------------


def test_project_inputs_are_the_columns_of_a(mworld: World) -> None:
    body = {"region": "RUS", "sector": "TRE", "year": 2011, "top": 5, "limit": 3}
    response = mworld.client.post("/api/v1/match/project", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["dataset"], out["year"]) == ("wiod2013-eaeu", 2011)
    table = DataStore(Path("/nonexistent")).load("wiod2013-eaeu", 2011)
    j = table.regions.index("RUS") * table.n_sectors + table.sectors.index("TRE")
    column = (table.Z[:, j] / table.x[j]).reshape(table.n_regions, table.n_sectors)
    a = column.sum(axis=0)
    order = np.argsort(-a, kind="stable")[:5]
    inputs = [item["input"] for item in out["inputs"]]
    assert [i["supplier_sector"] for i in inputs] == [table.sectors[s] for s in order]
    np.testing.assert_allclose([i["coefficient"] for i in inputs], a[order], rtol=1e-12)
    domestic = column[table.regions.index("RUS")][order]
    np.testing.assert_allclose([i["domestic"] for i in inputs], domestic, rtol=1e-12)
    assert inputs[0]["supplier_sector"] == "TRE"
    transport = out["inputs"][0]["result"]
    assert transport["matches"][0]["organisation_name_en"] == "MAZ-Weichai"
    assert len(transport["matches"]) <= 3


def test_project_errors_name_the_field(mworld: World) -> None:
    cases = [
        ({"region": "RUS", "sector": "TRE"}, "year"),  # several years: one must be chosen
        ({"region": "KAZ", "sector": "TRE", "year": 2011}, "region"),
        ({"region": "RUS", "sector": "XYZ", "year": 2011}, "sector"),
        ({"region": "RUS", "sector": "TRE", "year": 2011, "dataset": "nope"}, "dataset"),
        ({"region": "RUS", "sector": "TRE", "year": 1990}, "year"),
    ]
    for body, field in cases:
        response = mworld.client.post("/api/v1/match/project", json=body)
        assert response.status_code == 422, (body, response.text)
        error = response.json()["error"]
        assert error["details"][0]["field"] == field, (body, error)


def test_external_flows_are_matched_inside_the_bloc(mworld: World) -> None:
    body = {"year": 2011, "buyer_region": "RUS", "top": 3, "limit": 2}
    response = mworld.client.post("/api/v1/match/external-flows", json=body)
    assert response.status_code == 200, response.text
    inputs = [item["input"] for item in response.json()["inputs"]]
    assert len(inputs) == 3
    assert all(i["buyer_region"] == "RUS" and i["supplier_region"] != "RUS" for i in inputs)
    values = [i["value"] for i in inputs]
    assert values == sorted(values, reverse=True)
    assert values[0] > 0
    table = DataStore(Path("/nonexistent")).load("wiod2013-eaeu", 2011)
    first = inputs[0]
    i = table.regions.index(first["supplier_region"]) * table.n_sectors
    i += table.sectors.index(first["supplier_sector"])
    j = table.regions.index("RUS") * table.n_sectors + table.sectors.index(first["buyer_sector"])
    assert first["value"] == pytest.approx(float(table.Z[i, j]))
    assert first["need"]["preferred_countries"] == ["RUS"]


# --- saved searches and notifications -----------------------------------------------------------


def test_saved_search_lifecycle(mworld: World) -> None:
    client, owner, other = mworld.client, "viewer_A", "viewer_B"
    query = {"hs_codes": ["850440"], "text": "power converters", "lang": "en"}
    response = client.post(
        "/api/v1/saved-searches",
        json={"name": "converters", "query": query},
        headers=mworld.headers(owner),
    )
    assert response.status_code == 201, response.text
    search = response.json()
    assert search["query"] == query
    assert search["active"] is True
    listed = client.get("/api/v1/saved-searches", headers=mworld.headers(owner)).json()
    assert [s["id"] for s in listed] == [search["id"]]
    assert client.get("/api/v1/saved-searches", headers=mworld.headers(other)).json() == []
    assert client.get("/api/v1/saved-searches").status_code == 401
    refused = client.delete(f"/api/v1/saved-searches/{search['id']}", headers=mworld.headers(other))
    assert refused.status_code == 403
    assert set(refused.json()) == {"error"}

    ran = client.post("/api/v1/saved-searches/run", headers=mworld.headers("admin_A"))
    assert ran.status_code == 200
    assert ran.json() == {"notifications": 0}
    org_id, _ = add_maker(mworld.registry, "Almaty Converters", "KAZ", "850440", "converters")
    ran = client.post("/api/v1/saved-searches/run", headers=mworld.headers("admin_A"))
    assert ran.json() == {"notifications": 1}
    ran = client.post("/api/v1/saved-searches/run", headers=mworld.headers("admin_A"))
    assert ran.json() == {"notifications": 0}  # idempotent

    feed = client.get("/api/v1/notifications?unread=true", headers=mworld.headers(owner)).json()
    assert [(n["entity"], n["record_id"]) for n in feed] == [("organisations", org_id)]
    note = feed[0]
    assert note["saved_search_id"] == search["id"]
    assert note["read_at"] is None
    assert note["evidence"]["organisation_id"] == org_id
    assert {e["kind"] for e in note["evidence"]["evidence"]} >= {"code", "country"}
    assert client.get("/api/v1/notifications", headers=mworld.headers(other)).json() == []
    refused = client.post(f"/api/v1/notifications/{note['id']}/read", headers=mworld.headers(other))
    assert refused.status_code == 403
    read = client.post(f"/api/v1/notifications/{note['id']}/read", headers=mworld.headers(owner))
    assert read.status_code == 200
    assert read.json()["read_at"] is not None
    unread = client.get("/api/v1/notifications?unread=true", headers=mworld.headers(owner))
    assert unread.json() == []
    assert len(client.get("/api/v1/notifications", headers=mworld.headers(owner)).json()) == 1

    gone = client.delete(f"/api/v1/saved-searches/{search['id']}", headers=mworld.headers(owner))
    assert gone.status_code == 204
    assert client.get("/api/v1/saved-searches", headers=mworld.headers(owner)).json() == []
    again = client.delete(f"/api/v1/saved-searches/{search['id']}", headers=mworld.headers(owner))
    assert again.status_code == 404


def test_saved_search_query_must_be_a_need(mworld: World) -> None:
    response = mworld.client.post(
        "/api/v1/saved-searches",
        json={"name": "empty", "query": {"limit": 3}},
        headers=mworld.headers("viewer_A"),
    )
    assert response.status_code == 422
    assert set(response.json()) == {"error"}


def test_the_notifier_is_for_admins(mworld: World) -> None:
    assert mworld.client.post("/api/v1/saved-searches/run").status_code == 401
    response = mworld.client.post("/api/v1/saved-searches/run", headers=mworld.headers("editor_A"))
    assert response.status_code == 403


def test_the_routes_are_in_the_openapi_document(mworld: World) -> None:
    spec = mworld.client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for path in (
        "/api/v1/match",
        "/api/v1/match/project",
        "/api/v1/match/external-flows",
        "/api/v1/saved-searches",
        "/api/v1/saved-searches/run",
        "/api/v1/saved-searches/{search_id}",
        "/api/v1/notifications",
        "/api/v1/notifications/{notification_id}/read",
    ):
        assert path in paths, path
    body = paths["/api/v1/match"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/NeedQuery")
    assert spec["components"]["schemas"]["ProjectIn"]["additionalProperties"] is False
