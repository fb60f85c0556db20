"""The need and the country policy: validation at the boundary, kinds, tiers."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from karavan.matching.query import (
    BELT_AND_ROAD_PARTNERS,
    EAEU_MEMBERS,
    CountryPolicy,
    NeedQuery,
)
from karavan.registry import OrgKind


def test_a_need_needs_codes_or_text() -> None:
    with pytest.raises(ValidationError, match="a need needs hs_codes, isic_codes or text"):
        NeedQuery(text="   ")
    with pytest.raises(ValidationError, match="6-digit HS 2022 subheading; got '8471'"):
        NeedQuery(hs_codes=["8471"])
    with pytest.raises(ValidationError, match="known ISO 3166 alpha-3 code; got 'XXX'"):
        NeedQuery(text="pipes", preferred_countries=["xxx"])
    with pytest.raises(ValidationError, match="extra"):
        NeedQuery.model_validate({"text": "pipes", "score": 1})
    need = NeedQuery(hs_codes=["8471.30"], preferred_countries=["kaz"])
    assert need.hs_codes == ["847130"]
    assert need.preferred_countries == ["KAZ"]


def test_kinds_default_to_producers_and_add_science_centres_for_technology() -> None:
    producers = {OrgKind.ENTERPRISE, OrgKind.AGRICULTURAL_PRODUCER}
    assert NeedQuery(text="x").wanted_kinds() == producers
    assert NeedQuery(text="x", technology=True).wanted_kinds() == producers | {
        OrgKind.SCIENCE_CENTRE
    }
    assert NeedQuery(text="x", kinds=["agency"]).wanted_kinds() == {OrgKind.AGENCY}


def test_default_policy_tiers() -> None:
    policy = CountryPolicy()
    assert [policy.tier_of(c) for c in ("KAZ", "CHN", "DEU")] == [
        ("EAEU member", 0.2),
        ("Belt and Road partner", 0.1),
        None,
    ]
    assert set(EAEU_MEMBERS) == {"RUS", "KAZ", "BLR", "ARM", "KGZ"}
    assert not set(EAEU_MEMBERS) & set(BELT_AND_ROAD_PARTNERS)
    with pytest.raises(ValidationError):
        CountryPolicy(preferred_weight=2.0)
