"""Ranking: code levels in order, country tiers, the capacity rule, certifications, science
centres for technology needs, and the score as the sum of its evidence."""

from __future__ import annotations

import pytest

from karavan.matching.query import CountryPolicy, CountryTier, NeedQuery
from karavan.matching.ranking import (
    CAPACITY_BELOW_WEIGHT,
    CAPACITY_MEETS_WEIGHT,
    CERTIFICATION_WEIGHT,
    CapacityEvidence,
    CertificationEvidence,
    CodeEvidence,
    CountryEvidence,
    Match,
)
from karavan.matching.service import Matcher, MatchResult
from karavan.registry import Registry

from .conftest import add_org, add_product


def _code(m: Match) -> CodeEvidence:
    found = [e for e in m.evidence if isinstance(e, CodeEvidence)]
    assert len(found) == 1
    return found[0]


def test_exact_subheading_then_heading_then_chapter_then_isic(registry: Registry) -> None:
    a = add_org(registry, "Alpha")
    b = add_org(registry, "Bravo")
    c = add_org(registry, "Charlie")
    d = add_org(registry, "Delta")
    e = add_org(registry, "Echo")
    add_product(registry, a, "Seamless casing", hs_code="730419")
    add_product(registry, b, "Seamless other", hs_code="730490")  # same heading 7304
    add_product(registry, c, "Welded line", hs_code="730640")  # same chapter 73
    add_product(registry, d, "Castings", isic_code="2431")  # 730419 falls in ISIC 2431
    add_product(registry, e, "Laptops", hs_code="847130")  # unrelated
    result = Matcher(registry).match(NeedQuery(hs_codes=["730419"]))
    assert [m.organisation_id for m in result.matches] == [a, b, c, d]
    assert [_code(m).level for m in result.matches] == [
        "HS6",
        "HS4",
        "HS2",
        "ISIC4 via concordance",
    ]
    # code weight + EAEU member tier (all in Kazakhstan)
    assert [m.score for m in result.matches] == pytest.approx([1.2, 0.8, 0.5, 0.4])
    assert _code(result.matches[1]).wanted == ["730419"]
    assert _code(result.matches[3]).via == "2431"
    assert result.matched_organisations == 4


def test_declared_isic_class_beats_hs_code_in_that_class(registry: Registry) -> None:
    a = add_org(registry, "Alpha")
    b = add_org(registry, "Bravo")
    add_product(registry, a, "Pipe", hs_code="730419")  # in ISIC 2410 through the concordance
    add_product(registry, b, "Steel", isic_code="2410")
    result = Matcher(registry).match(NeedQuery(isic_codes=["2410"]))
    assert [m.organisation_id for m in result.matches] == [b, a]
    assert [_code(m).level for m in result.matches] == ["ISIC4", "ISIC4 via concordance"]
    assert [m.score for m in result.matches] == pytest.approx([0.7, 0.4])


def test_country_tiers_and_preferred_countries(registry: Registry) -> None:
    usa = add_org(registry, "Oscar", "USA")
    chn = add_org(registry, "Papa", "CHN")
    rus = add_org(registry, "Quebec", "RUS")
    for org in (usa, chn, rus):
        add_product(registry, org, "Pump", hs_code="841370")
    matcher = Matcher(registry)
    plain = matcher.match(NeedQuery(hs_codes=["841370"]))
    assert [m.organisation_id for m in plain.matches] == [rus, chn, usa]
    assert [m.score for m in plain.matches] == pytest.approx([1.2, 1.1, 1.0])
    tiers = [next(e for e in m.evidence if isinstance(e, CountryEvidence)) for m in plain.matches]
    assert [t.tier for t in tiers] == ["EAEU member", "Belt and Road partner", None]
    preferred = matcher.match(NeedQuery(hs_codes=["841370"], preferred_countries=["USA"]))
    assert [m.organisation_id for m in preferred.matches] == [rus, usa, chn]
    assert preferred.matches[1].score == pytest.approx(1.15)
    # a policy of one's own: China first, the others in no tier
    policy = CountryPolicy(tiers=(CountryTier(name="China", countries=("CHN",), weight=0.5),))
    own = Matcher(registry, policy=policy).match(NeedQuery(hs_codes=["841370"]))
    assert [m.organisation_id for m in own.matches] == [chn, usa, rus]  # tie: by id


def test_capacity_rule(registry: Registry) -> None:
    orgs = [add_org(registry, name) for name in ("Big", "Mid", "Small", "Blank", "Pieces")]
    capacities: list[tuple[float | None, str | None]] = [
        (2000.0, "t/year"),
        (700.0, "t/year"),
        (100.0, "t/year"),
        (None, None),
        (5000.0, "pieces"),
    ]
    for org, (cap, unit) in zip(orgs, capacities, strict=True):
        add_product(registry, org, "Cement", hs_code="252329", capacity=cap, capacity_unit=unit)
    result = Matcher(registry).match(NeedQuery(hs_codes=["252329"], quantity=1000, unit="T / year"))
    by_org = {m.organisation_id: m for m in result.matches}
    verdicts = {
        org: next(e for e in by_org[org].evidence if isinstance(e, CapacityEvidence))
        for org in orgs
    }
    assert [verdicts[o].verdict for o in orgs] == [
        "meets",
        "partial",
        "clearly_below",
        "unknown",
        "unknown",
    ]
    assert [verdicts[o].contribution for o in orgs] == [
        CAPACITY_MEETS_WEIGHT,
        0.0,
        CAPACITY_BELOW_WEIGHT,
        0.0,
        0.0,
    ]
    assert result.matches[0].organisation_id == orgs[0]
    assert result.matches[-1].organisation_id == orgs[2]  # the clearly too small one last
    assert by_org[orgs[0]].score == pytest.approx(1.0 + 0.2 + 0.1)


def test_certification_overlap(registry: Registry) -> None:
    a = add_org(registry, "Alpha")
    b = add_org(registry, "Bravo")
    add_product(registry, a, "Valve", hs_code="848180", certifications=["ISO 9001:2015", "API 6D"])
    add_product(registry, b, "Valve", hs_code="848180")
    need = NeedQuery(hs_codes=["848180"], certifications=["iso 9001 2015", "CE"])
    result = Matcher(registry).match(need)
    assert [m.organisation_id for m in result.matches] == [a, b]
    cert = next(e for e in result.matches[0].evidence if isinstance(e, CertificationEvidence))
    assert cert.held == ["iso 9001 2015"]
    assert cert.contribution == pytest.approx(CERTIFICATION_WEIGHT / 2)
    assert result.matches[0].certifications == ["ISO 9001:2015", "API 6D"]


def test_science_centres_only_for_technology_needs(registry: Registry) -> None:
    firm = add_org(registry, "Works")
    lab = add_org(registry, "Institute", kind="science_centre")
    park = add_org(registry, "Park", kind="industrial_park")
    add_product(registry, firm, "Lithium battery cells", hs_code="850760")
    add_product(registry, lab, "Research on lithium battery cells", isic_code="7210")
    add_product(registry, park, "Lithium battery plant plots", isic_code="6810")
    matcher = Matcher(registry)
    goods = matcher.match(NeedQuery(text="lithium battery"))
    assert {m.organisation_id for m in goods.matches} == {firm}
    know_how = matcher.match(NeedQuery(text="lithium battery", technology=True))
    assert {m.organisation_id for m in know_how.matches} == {firm, lab}
    only_labs = matcher.match(NeedQuery(text="lithium battery", kinds=["science_centre"]))
    assert [m.organisation_kind for m in only_labs.matches] == ["science_centre"]


def test_score_is_the_sum_of_its_evidence(registry: Registry) -> None:
    orgs = [
        add_org(registry, f"Org {c}", country)
        for c, country in zip("ABCD", ["KAZ", "CHN", "DEU", "BLR"], strict=True)
    ]
    add_product(
        registry,
        orgs[0],
        "Steel pipes, seamless",
        hs_code="730419",
        capacity=10,
        capacity_unit="kt",
    )
    add_product(registry, orgs[1], "Труба стальная бесшовная", lang="ru", hs_code="730490")
    add_product(
        registry, orgs[2], "Болат құбырлар", lang="kk", isic_code="2410", certifications=["API 5L"]
    )
    add_product(registry, orgs[3], "Steel wire", hs_code="721720")
    matcher = Matcher(registry)
    needs = [
        NeedQuery(hs_codes=["730419"], text="steel pipes", quantity=5, unit="kt"),
        NeedQuery(
            text="стальные трубы құбыр", certifications=["API 5L"], preferred_countries=["DEU"]
        ),
        NeedQuery(isic_codes=["2410"], text="steel"),
    ]
    seen = 0
    for need in needs:
        for m in matcher.match(need).matches:
            total = 0.0
            for item in m.evidence:
                total += item.contribution
            assert m.score == total
            seen += 1
    assert seen >= 8


def test_ties_are_broken_by_organisation_id(registry: Registry) -> None:
    orgs = [add_org(registry, f"Twin {i}") for i in range(4)]
    for org in reversed(orgs):
        add_product(registry, org, "Same", hs_code="940360")
    result = Matcher(registry).match(NeedQuery(hs_codes=["940360"], limit=3))
    assert [m.organisation_id for m in result.matches] == orgs[:3]
    assert [m.rank for m in result.matches] == [1, 2, 3]
    assert result.matched_organisations == 4


def test_one_match_per_organisation_by_its_best_product(registry: Registry) -> None:
    org = add_org(registry, "Multi")
    add_product(registry, org, "Heading match", hs_code="730490")
    best = add_product(registry, org, "Exact match", hs_code="730419")
    result = Matcher(registry).match(NeedQuery(hs_codes=["730419"]))
    assert len(result.matches) == 1
    assert result.matches[0].product_id == best
    assert result.matches[0].product_text == "Exact match"
    assert result.matches[0].organisation_name_en == "Multi"


def test_result_serialises_to_json_and_back(registry: Registry) -> None:
    org = add_org(registry, "Alpha")
    add_product(registry, org, "Pipes", hs_code="730419", capacity=5, capacity_unit="kt")
    result = Matcher(registry).match(
        NeedQuery(hs_codes=["730419"], text="pipes", quantity=1, unit="kt")
    )
    body = result.model_dump(mode="json")
    assert [e["kind"] for e in body["matches"][0]["evidence"]] == [
        "code",
        "term",
        "country",
        "capacity",
    ]
    assert MatchResult.model_validate(body) == result


def test_unpublished_records_are_not_proposed(registry: Registry) -> None:
    hidden_org = add_org(registry, "Hidden", published=False)
    shown = add_org(registry, "Shown")
    add_product(registry, hidden_org, "Pipes", hs_code="730419")  # published, its org is not
    add_product(registry, shown, "Pipes", hs_code="730419", published=False)
    result = Matcher(registry).match(NeedQuery(hs_codes=["730419"]))
    assert result.matches == []
    assert result.notes == ["no published organisation matched the need's codes or text"]
