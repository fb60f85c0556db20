"""The index: incremental refresh from the registry's change feed, merging segments, and the
same answers as a fresh build."""

from __future__ import annotations

from karavan.matching.index import MatchIndex
from karavan.matching.query import NeedQuery
from karavan.matching.service import Matcher
from karavan.registry import SYSTEM, Actor, OrganisationUpdate, ProductUpdate, Registry, Role

from .conftest import add_org, add_product


def _editor(org_id: int) -> Actor:
    return Actor(user_id=3, role=Role.EDITOR, organisation_id=org_id, label="editor@example.org")


def _ids(matcher: Matcher, need: NeedQuery) -> list[int | None]:
    return [m.product_id for m in matcher.match(need).matches]


def test_refresh_adds_newly_published_and_drops_unpublished(registry: Registry) -> None:
    org = add_org(registry, "Alpha")
    first = add_product(registry, org, "Pipes", hs_code="730419")
    matcher = Matcher(registry)
    need = NeedQuery(hs_codes=["730419"], kinds=["enterprise"])
    assert _ids(matcher, need) == [first]

    other = add_org(registry, "Bravo")
    second = add_product(registry, other, "Pipes", hs_code="730419")
    draft = add_product(registry, other, "Pipes too", hs_code="730419", published=False)
    assert _ids(matcher, need) == [first]  # not yet read
    assert matcher.refresh() > 0
    assert _ids(matcher, need) == [first, second]
    assert draft not in _ids(matcher, need)

    # an editor's write to a published record sends it back to draft: no longer proposed
    current = registry.get(SYSTEM, "products", first)
    registry.update(_editor(org), "products", first, ProductUpdate(text="Edited"), current.version)
    matcher.refresh()
    assert _ids(matcher, need) == [second]
    assert matcher.refresh() == 0  # nothing new (the overlap re-read is skipped)


def test_refresh_follows_a_published_records_new_content(registry: Registry) -> None:
    org = add_org(registry, "Alpha")
    product = add_product(registry, org, "Pipes", hs_code="730419")
    matcher = Matcher(registry)
    current = registry.get(SYSTEM, "products", product)
    registry.update(SYSTEM, "products", product, ProductUpdate(hs_code="847130"), current.version)
    matcher.refresh()
    assert _ids(matcher, NeedQuery(hs_codes=["730419"])) == []
    assert _ids(matcher, NeedQuery(hs_codes=["847130"])) == [product]
    assert matcher.index.live_documents == 2  # the organisation's profile and the product


def test_an_organisation_leaving_published_hides_its_products(registry: Registry) -> None:
    org = add_org(registry, "Alpha")
    product = add_product(registry, org, "Pipes", hs_code="730419")
    matcher = Matcher(registry)
    assert _ids(matcher, NeedQuery(hs_codes=["730419"])) == [product]
    current = registry.get(SYSTEM, "organisations", org)
    registry.update(
        _editor(org), "organisations", org, OrganisationUpdate(region="Almaty"), current.version
    )
    matcher.refresh()
    assert _ids(matcher, NeedQuery(hs_codes=["730419"])) == []
    assert matcher.match(NeedQuery(text="alpha")).matches == []  # its profile is gone too


def test_many_refreshes_merge_segments_and_answer_as_a_fresh_build(registry: Registry) -> None:
    matcher = Matcher(registry)
    orgs = [add_org(registry, f"Org {i}", country) for i, country in enumerate(["KAZ", "CHN"] * 6)]
    for i, org in enumerate(orgs):
        add_product(
            registry, org, f"Steel pipes grade {i}", hs_code="730419" if i % 2 else "730490"
        )
        matcher.refresh()  # one segment per refresh, merged past MAX_SEGMENTS
    assert len(matcher.index.segments) <= 8
    fresh = Matcher(registry)
    for need in (
        NeedQuery(hs_codes=["730419"], limit=20),
        NeedQuery(text="steel pipes", limit=20),
    ):
        assert matcher.match(need) == fresh.match(need)
    assert matcher.index.live_documents == fresh.index.live_documents == 24


def test_index_from_records_equals_index_from_the_feed(registry: Registry) -> None:
    org = add_org(registry, "Alpha")
    add_product(registry, org, "Pipes", hs_code="730419", certifications=["API 5L"])
    add_product(registry, org, "Draft", hs_code="730419", published=False)
    orgs = registry.list(SYSTEM, "organisations").items
    products = registry.list(SYSTEM, "products").items
    from_records = Matcher(registry, index=MatchIndex.from_records(orgs, products))
    need = NeedQuery(hs_codes=["730419"], certifications=["API 5L"])
    assert from_records.match(need) == Matcher(registry).match(need)
    assert from_records.index.stats()["live_documents"] == 2


def test_a_matcher_without_registry_matches_a_given_index(registry: Registry) -> None:
    org = add_org(registry, "Alpha")
    product = add_product(registry, org, "Pipes", hs_code="730419")
    index = MatchIndex.from_records(
        registry.list(SYSTEM, "organisations").items, registry.list(SYSTEM, "products").items
    )
    matcher = Matcher(None, index=index)
    assert matcher.refresh() == 0
    result = matcher.match(NeedQuery(hs_codes=["730419"]))
    assert [m.product_id for m in result.matches] == [product]
    assert result.matches[0].organisation_name_en is None
    assert result.notes == ["names and product texts not filled in: the matcher has no registry"]
