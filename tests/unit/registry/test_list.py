"""Listing: filters, pagination and full-text search (stemmed terms matched as prefixes)."""

from __future__ import annotations

import pytest

from karavan.errors import RecordValidationError
from karavan.registry.actors import ANONYMOUS
from karavan.registry.service import Registry
from tests.unit.registry.conftest import ADMIN, need, organisation, product, project, publish


@pytest.fixture
def populated(registry: Registry) -> Registry:
    """Organisations 1 (KAZ enterprise), 2 (RUS science centre), 3 (KAZ park, published);
    products 1-3 and needs 1-2 of organisation 1 and 2; projects 1-2."""
    registry.create(
        ADMIN,
        "organisations",
        organisation(name_kk="Қарағанды құбыр зауыты", name_ru="Металлургический завод"),
    )
    registry.create(
        ADMIN,
        "organisations",
        organisation(
            kind="science_centre",
            country="RUS",
            name_en="Institute of Metallurgy",
            name_ru="Институт металлургии",
            identifiers=[{"scheme": "RU-INN", "value": "7707083893"}],
        ),
    )
    park = registry.create(
        ADMIN,
        "organisations",
        organisation(kind="industrial_park", name_en="Astana Park", name_ru="Парк", identifiers=[]),
    )
    publish(registry, "organisations", park.id, 1)
    registry.create(ADMIN, "products", product(1, hs_code="730419", text="Seamless steel pipes"))
    registry.create(ADMIN, "products", product(1, hs_code="720851", text="Hot-rolled plate"))
    registry.create(
        ADMIN,
        "products",
        product(2, hs_code=None, isic_code="7210", text="Исследования сплавов", lang="ru"),
    )
    registry.create(ADMIN, "needs", need(1))
    registry.create(
        ADMIN, "needs", need(2, isic_code=None, hs_code="270112", text="Steam coal", lang="en")
    )
    registry.create(
        ADMIN, "projects", project(participants=[{"organisation_id": 2, "role": "investor"}])
    )
    registry.create(
        ADMIN,
        "projects",
        project(name_en="Smelter", name_ru="Плавильный завод", countries=["RUS"], sectors=["2420"]),
    )
    return registry


def _ids(registry: Registry, entity: str, **filters: object) -> list[int]:
    return [r.id for r in registry.list(ADMIN, entity, **filters).items]  # type: ignore[arg-type]


def test_filters_on_organisations(populated: Registry) -> None:
    assert _ids(populated, "organisations", country="KAZ") == [1, 3]
    assert _ids(populated, "organisations", country="rus") == [2]
    assert _ids(populated, "organisations", kind="industrial_park") == [3]
    assert _ids(populated, "organisations", status="published") == [3]
    assert _ids(populated, "organisations", kind="enterprise", country="RUS") == []


def test_code_prefix_matches_hs_or_isic(populated: Registry) -> None:
    assert _ids(populated, "products", code_prefix="73") == [1]
    assert _ids(populated, "products", code_prefix="7208") == [2]
    assert _ids(populated, "products", code_prefix="72") == [2, 3]  # HS 720851, ISIC 7210
    assert _ids(populated, "needs", code_prefix="2701") == [2]
    assert _ids(populated, "projects", code_prefix="24") == [2]
    assert _ids(populated, "products", organisation_id=2) == [3]


def test_project_filters(populated: Registry) -> None:
    assert _ids(populated, "projects", country="KAZ") == [1]
    assert _ids(populated, "projects", country="RUS") == [2]
    assert _ids(populated, "projects", organisation_id=2) == [1]


@pytest.mark.parametrize(
    ("entity", "filters", "field"),
    [
        ("products", {"kind": "enterprise"}, "kind"),
        ("needs", {"country": "KAZ"}, "country"),
        ("organisations", {"code_prefix": "72"}, "code_prefix"),
        ("products", {"code_prefix": "7%"}, "code_prefix"),
        ("organisations", {"kind": "factory"}, "kind"),
        ("organisations", {"status": "hidden"}, "status"),
        ("organisations", {"limit": 0}, "limit"),
        ("organisations", {"limit": 501}, "limit"),
        ("organisations", {"offset": -1}, "offset"),
    ],
)
def test_bad_filters_are_refused(
    populated: Registry, entity: str, filters: dict[str, object], field: str
) -> None:
    with pytest.raises(RecordValidationError) as e:
        populated.list(ADMIN, entity, **filters)  # type: ignore[arg-type]
    assert e.value.field == field


def test_pagination_counts_all_matches(populated: Registry) -> None:
    page = populated.list(ADMIN, "products", limit=2, offset=0)
    assert ([p.id for p in page.items], page.total, page.limit, page.offset) == ([1, 2], 3, 2, 0)
    page = populated.list(ADMIN, "products", limit=2, offset=2)
    assert ([p.id for p in page.items], page.total) == ([3], 3)
    assert populated.list(ADMIN, "products", limit=2, offset=10).items == []


def test_anonymous_lists_published_only_and_total_agrees(populated: Registry) -> None:
    page = populated.list(ANONYMOUS, "organisations")
    assert ([o.id for o in page.items], page.total) == ([3], 1)
    assert populated.list(ANONYMOUS, "products").total == 0


@pytest.mark.parametrize(
    ("entity", "q", "expected"),
    [
        ("products", "pipe", [1]),  # 'pipes' is stemmed to 'pipe'
        ("products", "PIPES steel", [1]),
        ("products", "steel plate", []),  # every term must match
        ("products", "plat", [2]),  # prefix of 'plate'
        ("products", "сплав", [3]),
        ("organisations", "металлургия", [1, 2]),  # stem 'металлург' prefixes both
        ("organisations", "металлургический завод", [1]),
        ("organisations", "құбыр", [1]),  # Kazakh: not stemmed, prefix match
        ("organisations", "Қараған", [1]),
        ("organisations", "институт", [2]),
        ("needs", "уголь", [1]),
        ("needs", "coal", [2]),
        ("projects", "khorgos", [1]),
        ("projects", "порт", [1]),
    ],
)
def test_full_text_search(populated: Registry, entity: str, q: str, expected: list[int]) -> None:
    assert _ids(populated, entity, q=q) == expected


def test_search_follows_updates(populated: Registry) -> None:
    from karavan.registry.schemas import ProductUpdate

    populated.update(ADMIN, "products", 1, ProductUpdate(text="Welded tubes"), 1)
    assert _ids(populated, "products", q="pipe") == []
    assert _ids(populated, "products", q="tube") == [1]


def test_query_without_terms_does_not_filter(populated: Registry) -> None:
    assert _ids(populated, "products", q="!!! ??") == [1, 2, 3]


def test_search_combines_with_filters_and_visibility(populated: Registry) -> None:
    assert _ids(populated, "organisations", q="park") == [3]
    assert [o.id for o in populated.list(ANONYMOUS, "organisations", q="завод").items] == []
    assert _ids(populated, "organisations", q="завод", country="RUS") == []


def test_total_stops_at_the_count_bound(
    populated: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``MAX_COUNT`` matches ``total`` is the bound plus one and ``total_exact`` false;
    the bound grows with ``offset + limit`` so that a next page is always announced."""
    monkeypatch.setattr("karavan.registry.service.MAX_COUNT", 2)
    products = populated.list(ADMIN, "products", limit=1)
    assert [p.id for p in products.items] == [1]
    assert (products.total, products.total_exact) == (3, False)
    exact = populated.list(ADMIN, "products", code_prefix="72", limit=1)
    assert (exact.total, exact.total_exact) == (2, True)
    deep = populated.list(ADMIN, "products", limit=1, offset=1)
    assert (deep.total, deep.total_exact) == (3, False)
    last = populated.list(ADMIN, "products", limit=2, offset=1)
    assert ([p.id for p in last.items], last.total, last.total_exact) == ([2, 3], 3, True)
    assert populated.list(ADMIN, "organisations", limit=5).total_exact is True


def test_export_reads_past_the_count_bound(
    populated: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    from karavan.registry import bulk

    monkeypatch.setattr("karavan.registry.service.MAX_COUNT", 1)
    monkeypatch.setattr(bulk, "MAX_PAGE", 2)
    exported = bulk.export_records(populated, ADMIN, "products", "json")
    assert exported.count(b'"hs_code"') == 3
