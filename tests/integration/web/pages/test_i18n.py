"""The message catalogues: same keys and placeholders in both languages, every key a template
asks for exists, names of sectors and regions in both languages, language negotiation."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from karavan.core import BLOCS
from karavan.web.pages.base import NAV, TEMPLATE_DIR, format_number, format_share
from karavan.web.pages.i18n import (
    LANG_COOKIE,
    Catalogue,
    catalogue,
    placeholders,
    region_name,
    sector_name,
)

TEMPLATE_KEY = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.+-]+)["']""")
SOURCE_DIR = Path(__file__).resolve().parents[4] / "src" / "karavan" / "web" / "pages"


def test_both_languages_have_the_same_keys_and_placeholders() -> None:
    cat = catalogue()
    ru, en = cat.messages["ru"], cat.messages["en"]
    assert set(ru) == set(en), f"only in ru: {set(ru) - set(en)}; only in en: {set(en) - set(ru)}"
    for key in en:
        assert placeholders(en[key]) == placeholders(ru[key]), key
        assert ru[key].strip(), key
        assert en[key].strip(), key
    assert len(en) > 90


def test_every_key_a_template_or_page_uses_exists() -> None:
    keys = catalogue().keys("en")
    used: dict[str, str] = {}
    paths = [*TEMPLATE_DIR.rglob("*.html"), *SOURCE_DIR.glob("*.py")]
    for path in paths:
        for key in TEMPLATE_KEY.findall(path.read_text(encoding="utf-8")):
            used[key] = path.name
    # t("area.kind." ~ value) builds the key: its literal prefix must start some keys
    missing = {
        k: v
        for k, v in used.items()
        if (k not in keys if not k.endswith(".") else not any(x.startswith(k) for x in keys))
    }
    assert not missing, f"keys used but not in the catalogues: {missing}"
    assert {"overview.lead", "vc.sankey", "dep.heatmap"} <= set(used)
    # keys built from data: the navigation, the blocs, the overview's indicators
    dynamic = {item.label_key for item in NAV} | {f"bloc.{b}" for b in BLOCS}
    dynamic |= {f"indicator.{k}" for k in ("closure", "leakage", "export_closure")}
    assert dynamic <= keys, dynamic - keys


def test_missing_key_and_placeholder_say_what() -> None:
    cat = Catalogue({"en": {"a": "x {n}"}, "ru": {"a": "х {n}"}})
    assert cat.t("ru", "a", n=3) == "х 3"
    with pytest.raises(KeyError, match="'b' is missing from the 'en' catalogue"):
        cat.t("en", "b")
    with pytest.raises(KeyError, match="needs placeholder 'n'"):
        cat.t("en", "a", m=1)


def test_every_wiod_sector_has_a_russian_name() -> None:
    here = Path(__file__).resolve().parents[4] / "src" / "karavan" / "data"
    with (here / "sectors_wiod35.csv").open(encoding="utf-8") as f:
        codes = [r["code"] for r in csv.DictReader(x for x in f if not x.startswith("#"))]
    assert len(codes) == 35
    for code in codes:
        ru, en = sector_name(code, "ru"), sector_name(code, "en")
        assert re.search("[а-яА-Я]", ru), (code, ru)
        assert ru != en
    assert sector_name("CON", "ru") == "Строительство"
    assert sector_name("CON", "en") == "Construction"
    assert sector_name("XYZ", "ru") == "XYZ"


def test_region_names_in_both_languages() -> None:
    assert region_name("RUS", "ru") == "Россия"
    assert region_name("RUS", "en") == "Russia"
    assert region_name("CHN", "ru") == "Китай"
    assert region_name("RoW", "ru") == "Остальной мир"
    assert region_name("EU-other", "en") == "Other EU"
    assert region_name("Nowhere", "en") == "Nowhere"


def test_numbers_follow_the_language() -> None:
    assert format_number(1578491.99, "en") == "1,578,492"
    assert format_number(1578491.99, "ru") == "1\u202f578\u202f492"
    assert format_number(-2.5, "ru", 1) == "−2,5"
    assert format_share(0.79334, "en") == "79.3%"
    assert format_share(0.79334, "ru") == "79,3\u00a0%"
    assert format_share(float("nan"), "en") == "—"


def test_language_negotiation(client: TestClient) -> None:
    def lang_of(response_headers: dict[str, str]) -> str:
        return response_headers["content-language"]

    client.cookies.clear()
    assert lang_of(client.get("/dependency").headers) == "ru"  # the default
    headers = {"Accept-Language": "de-DE,en;q=0.8,ru;q=0.5"}
    assert lang_of(client.get("/dependency", headers=headers).headers) == "en"
    response = client.get("/dependency?lang=en", headers={"Accept-Language": "ru"})
    assert lang_of(response.headers) == "en"
    assert response.cookies.get(LANG_COOKIE) == "en"
    # the cookie now wins over the browser's preference
    assert lang_of(client.get("/dependency", headers={"Accept-Language": "ru"}).headers) == "en"
    assert lang_of(client.get("/dependency?lang=ru").headers) == "ru"
    assert lang_of(client.get("/dependency?lang=fr").headers) == "ru"
    client.cookies.clear()
