"""The registry as a trade ProducerDirectory: published producers of an HS 6-digit product."""

from __future__ import annotations

import pytest

from karavan.errors import LabelError
from karavan.matching.service import Matcher, RegistryProducerDirectory
from karavan.registry import Registry
from karavan.trade.producers import Producer, ProducerDirectory

from .conftest import add_org, add_product


def test_producers_of_a_product_in_a_country(registry: Registry) -> None:
    kaz = add_org(registry, "Pavlodar Pipe", "KAZ")
    rus = add_org(registry, "Volzhsky Pipe", "RUS")
    hidden = add_org(registry, "Draft Pipe", "KAZ", published=False)
    first = add_product(registry, kaz, "Casing", hs_code="730419")
    add_product(registry, kaz, "Laptops", hs_code="847130")
    add_product(registry, rus, "Casing", hs_code="730419")
    add_product(registry, hidden, "Casing", hs_code="730419")
    directory = RegistryProducerDirectory(Matcher(registry))
    assert isinstance(directory, ProducerDirectory)
    assert directory.producers("KAZ", "730419", "HS 6-digit") == [
        Producer(
            name="Pavlodar Pipe",
            country="KAZ",
            product="730419",
            classification="HS 6-digit",
            registry_id=f"products/{first}",
        )
    ]
    assert directory.producers("BLR", "730419", "HS 6-digit") == []
    assert [p.name for p in directory.producers("RUS", "7304.19", "HS 6-digit")] == [
        "Volzhsky Pipe"
    ]


def test_other_classifications_are_refused(registry: Registry) -> None:
    directory = RegistryProducerDirectory(Matcher(registry))
    with pytest.raises(LabelError, match="SITC and other classifications"):
        directory.producers("KAZ", "6782", "SITC Rev.2 4-digit")
