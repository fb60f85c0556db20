"""The matching page, in-process: the form's need gives the same ranking as ``POST
/api/v1/match`` (one Matcher behind both), each partner shown with its evidence; the download
holds the same rows; a bad need is a 422 page saying what is wrong."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from tests.integration.web.conftest import World, build_world

from karavan.registry import SYSTEM, OrganisationCreate, ProductCreate, Registry
from karavan.web.pages.base import format_number

SOURCE = [{"title": "Company site", "url": "https://example.kz", "date": "2024-05-01"}]


def add_maker(registry: Registry, name: str, country: str, hs: str, **product: Any) -> int:
    """A published enterprise with one published product; its id."""
    org = registry.create(
        SYSTEM,
        "organisations",
        OrganisationCreate.model_validate(
            {
                "kind": "enterprise",
                "name_en": name,
                "name_ru": f"{name} RU",
                "country": country,
                "sources": SOURCE,
            }
        ),
    )
    org = registry.submit(SYSTEM, "organisations", org.id, org.version)
    registry.approve(SYSTEM, "organisations", org.id, org.version)
    item = registry.create(
        SYSTEM,
        "products",
        ProductCreate.model_validate(
            {"organisation_id": org.id, "hs_code": hs, "lang": "en", "sources": SOURCE} | product
        ),
    )
    item = registry.submit(SYSTEM, "products", item.id, item.version)
    registry.approve(SYSTEM, "products", item.id, item.version)
    return org.id


@pytest.fixture(scope="module")
def mworld(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """Three published pipe makers (KAZ, RUS with capacity, CHN) and a bread bakery."""
    built = build_world(f"sqlite:///{tmp_path_factory.mktemp('mpages')}/registry.sqlite3")
    add_maker(built.registry, "Pavlodar Pipe Works", "KAZ", "730419", text="seamless steel pipes")
    add_maker(
        built.registry,
        "Volga Tube",
        "RUS",
        "730419",
        text="seamless steel pipes",
        capacity=500.0,
        capacity_unit="t",
        certifications=["ISO 9001"],
    )
    add_maker(built.registry, "Tianjin Tube", "CHN", "730419", text="seamless steel pipes")
    add_maker(built.registry, "Steppe Bakery", "KAZ", "190590", text="bread and pastry")
    try:
        yield built
    finally:
        built.client.close()
        built.registry.close()


NEED = {
    "text": "seamless steel pipes",
    "hs": "730419",
    "countries": "KAZ",
    "quantity": "800",
    "unit": "t",
    "certifications": "ISO 9001",
}
_MATCH = re.compile(
    r'<li class="match" id="match-(\d+)">\s*<h3><a href="/registry/organisations/(\d+)">([^<]*)</a>'
    r'.*?<span class="score-value">([^<]*)</span>',
    re.S,
)


def shown(html: str) -> list[tuple[int, int, str, str]]:
    """(rank, organisation id, name, score text) of the partners on the page, in order."""
    return [(int(r), int(o), name, score) for r, o, name, score in _MATCH.findall(html)]


def test_page_ranks_like_the_api(mworld: World) -> None:
    api = mworld.client.post(
        "/api/v1/match",
        json={
            "text": NEED["text"],
            "hs_codes": [NEED["hs"]],
            "preferred_countries": ["KAZ"],
            "quantity": 800,
            "unit": "t",
            "certifications": ["ISO 9001"],
        },
    ).json()
    page = mworld.client.get("/matching", params=NEED | {"lang": "en"})
    assert page.status_code == 200
    expected = [
        (
            m["rank"],
            m["organisation_id"],
            m["organisation_name_en"],
            format_number(m["score"], "en", 3),
        )
        for m in api["matches"]
    ]
    assert shown(page.text) == expected
    assert [name for _, _, name, _ in expected] == [
        "Pavlodar Pipe Works",
        "Volga Tube",
        "Tianjin Tube",
    ]  # the bakery does not match; KAZ is preferred


def test_each_partner_shows_its_evidence(mworld: World) -> None:
    html = mworld.client.get("/matching", params=NEED | {"lang": "en"}).text
    volga = html[html.index("Volga Tube") : html.index("Tianjin Tube")]
    assert "HS6 730419 ← 730419" in volga  # the code matched
    assert "«seamless»" in volga  # a term of the text
    assert "RUS: EAEU member" in volga  # the country tier
    assert "partial: 500 t / 800 t" in volga  # capacity below the quantity
    assert "ISO 9001 / ISO 9001" in volga  # the certification held
    assert "Russia" in volga


def test_russian_page_uses_russian_names(mworld: World) -> None:
    html = mworld.client.get("/matching", params=NEED | {"lang": "ru"}).text
    assert next(name for _, _, name, _ in shown(html)) == "Pavlodar Pipe Works RU"
    assert "Почему этот партнёр" in html


def test_download_has_the_same_rows(mworld: World) -> None:
    page = shown(mworld.client.get("/matching", params=NEED | {"lang": "en"}).text)
    csv = mworld.client.get("/matching", params=NEED | {"format": "csv"})
    assert csv.status_code == 200
    frame = pd.read_csv(io.StringIO(csv.text))
    assert frame["organisation_id"].tolist() == [o for _, o, _, _ in page]
    assert [format_number(s, "en", 3) for s in frame["score"]] == [s for *_, s in page]
    parquet = mworld.client.get("/matching", params=NEED | {"format": "parquet"})
    assert pd.read_parquet(io.BytesIO(parquet.content))["rank"].tolist() == [1, 2, 3]


def test_technology_checkbox_proposes_science_centres(mworld: World) -> None:
    centre = OrganisationCreate.model_validate(
        {
            "kind": "science_centre",
            "name_en": "Institute of Pipe Metallurgy",
            "name_ru": "Институт трубной металлургии",
            "country": "KAZ",
            "description": "research on seamless steel pipes",
        }
    )
    org = mworld.registry.create(SYSTEM, "organisations", centre)
    org = mworld.registry.submit(SYSTEM, "organisations", org.id, org.version)
    mworld.registry.approve(SYSTEM, "organisations", org.id, org.version)
    need = {"text": "seamless steel pipes", "lang": "en"}
    without = [n for _, _, n, _ in shown(mworld.client.get("/matching", params=need).text)]
    with_tech = mworld.client.get("/matching", params=need | {"technology": "1"}).text
    assert "Institute of Pipe Metallurgy" not in without
    assert "Institute of Pipe Metallurgy" in [n for _, _, n, _ in shown(with_tech)]


def test_bad_need_is_a_422_page(mworld: World) -> None:
    page = mworld.client.get("/matching", params={"hs": "73041", "lang": "en"})
    assert page.status_code == 422
    assert "The need could not be read:" in page.text
    assert "hs_codes" in page.text


def test_empty_form_shows_no_results(mworld: World) -> None:
    page = mworld.client.get("/matching?lang=en")
    assert page.status_code == 200
    assert shown(page.text) == []
    assert 'name="technology" type="checkbox"' in page.text
