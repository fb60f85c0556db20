"""Build the labelled evaluation set of cooperation matching (issue 7, item 6), deterministically.

Input: ``tests/data/matching/catalogue.json``, written by hand: product families (what is made,
its HS 2022 subheading and ISIC Rev.4 classes, how makers describe it in Russian, English and
Kazakh) and, for every family, one need per language written as a buyer would.

Output, in the same folder (``README.md`` there says how to read them):

- ``suppliers.json``: generated organisations and their products (the bulk-import shapes of
  ``OrganisationCreate`` and ``ProductCreate``, with a ``key`` each and products pointing at
  their organisation's key): for every family, suppliers in the five member states and China
  (the seed's own suppliers of the family take their slots), and two service companies whose
  texts name the family's product but who do not make it (distractors with the same words and
  other codes);
- ``needs.json``: one need per family and language (a ``NeedQuery`` as JSON) with its expected
  suppliers, labelled by construction: the organisations that make the family's product (seed
  and generated), restricted to the need's preferred countries when it names some.

The same catalogue and ``--seed`` always give the same files (``random.Random(seed)``, keys in
catalogue order). ``--check`` compares instead of writing and exits 1 when the files differ.

    .venv/bin/python scripts/build_matching_eval.py            # write the files
    .venv/bin/python scripts/build_matching_eval.py --check    # are they up to date?
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Any

from karavan.registry.codes import check_hs6, check_isic4
from karavan.registry.seed import read_seed

DATA = Path(__file__).resolve().parents[1] / "tests" / "data" / "matching"
SEED = 2026
LANGS = ("ru", "en", "kk")

SLOTS = ("RUS", "RUS", "RUS", "KAZ", "KAZ", "BLR", "ARM", "KGZ", "CHN")
"""Where a family's suppliers are: 8 in the member states, 1 in China (9 in all)."""

PREFERENCES = (
    ("RUS", "KAZ"),
    ("RUS", "BLR", "ARM"),
    ("RUS", "BLR", "KGZ"),
    ("KAZ", "BLR", "ARM", "KGZ"),
    ("KAZ", "KGZ", "ARM", "RUS"),
)
"""Preferred-country sets a need may state; one is used only if 5 to 10 suppliers are in it."""

MODES = {"hs+text": 17, "isic+text": 5, "text": 15}
"""How each language's 37 needs name what they want: HS code and text, ISIC class and text,
or text only."""
QUANTITY_SHARE = 0.4
PREFERENCE_SHARE = 0.25

REGIONS = {
    "RUS": (("Chelyabinsk", "Челябинская область"), ("Sverdlovsk", "Свердловская область"),
            ("Tatarstan", "Татарстан"), ("Samara", "Самарская область"),
            ("Novosibirsk", "Новосибирская область"), ("Krasnodar", "Краснодарский край")),
    "KAZ": (("Karaganda", "Карагандинская область"), ("Pavlodar", "Павлодарская область"),
            ("Almaty", "Алматы"), ("Shymkent", "Шымкент"), ("Aktobe", "Актюбинская область")),
    "BLR": (("Minsk", "Минск"), ("Gomel", "Гомельская область"), ("Brest", "Брестская область")),
    "ARM": (("Yerevan", "Ереван"), ("Lori", "Лорийская область"), ("Ararat", "Араратская область")),
    "KGZ": (("Bishkek", "Бишкек"), ("Chuy", "Чуйская область"), ("Osh", "Ошская область")),
    "CHN": (("Xinjiang", "Синьцзян"), ("Jiangsu", "Цзянсу"), ("Shandong", "Шаньдун")),
}  # fmt: skip
FORMS = {
    "RUS": ("LLC", "ООО"),
    "KAZ": ("LLP", "ТОО"),
    "BLR": ("OJSC", "ОАО"),
    "ARM": ("CJSC", "ЗАО"),
    "KGZ": ("LLC", "ОсОО"),
    "CHN": ("Co., Ltd.", "Компания"),
}
SYLLABLES = (
    ("al", "ал"), ("tai", "тай"), ("ur", "ур"), ("vol", "вол"), ("ga", "га"), ("ka", "ка"),
    ("sar", "сар"), ("tem", "тем"), ("ir", "ир"), ("bek", "бек"), ("nur", "нур"), ("zar", "зар"),
    ("ros", "рос"), ("met", "мет"), ("lit", "лит"), ("gran", "гран"), ("ark", "арк"),
    ("sib", "сиб"), ("don", "дон"), ("ne", "не"), ("va", "ва"), ("ti", "ти"), ("lon", "лон"),
)  # fmt: skip
SOURCE = {
    "title": "Karavan matching evaluation set (generated record, not a real company)",
    "url": "https://example.org/karavan/matching-eval",
    "date": "2026-11-26",
}


def _brand(rng: random.Random, taken: set[str]) -> tuple[str, str]:
    """A made-up brand of 2-3 syllables (Latin, Cyrillic), not used before in this set."""
    while True:
        parts = [rng.choice(SYLLABLES) for _ in range(rng.choice((2, 3, 3)))]
        latin = "".join(p[0] for p in parts).capitalize()
        if latin not in taken:
            taken.add(latin)
            return latin, "".join(p[1] for p in parts).capitalize()


def _product_langs(rng: random.Random, country: str) -> list[str]:
    """Languages a supplier describes its product in: Russian everywhere in the EAEU (its
    lingua franca), Kazakh beside it for most Kazakh firms, English for some exporters; a
    Chinese firm writes English, and Russian for half of them."""
    if country == "CHN":
        return ["en", "ru"] if rng.random() < 0.5 else ["en"]
    if country == "KAZ":
        langs = [lang for lang, p in (("ru", 0.8), ("kk", 0.7), ("en", 0.2)) if rng.random() < p]
        return langs or ["kk"]
    return ["ru", "en"] if rng.random() < 0.4 else ["ru"]


def _organisation(
    rng: random.Random, taken: set[str], country: str, kind: str, maker: dict[str, str], about: str
) -> dict[str, Any]:
    brand_en, brand_ru = _brand(rng, taken)
    form_en, form_ru = FORMS[country]
    region_en, region_ru = rng.choice(REGIONS[country])
    org: dict[str, Any] = {
        "kind": kind,
        "name_en": f"{brand_en} {maker['en']} {form_en}",
        "name_ru": f"{form_ru} «{brand_ru}» {maker['ru']}",
        "country": country,
        "region": region_en,
        "description": f"{brand_ru}, {region_ru}: {about}",
        "sources": [SOURCE],
    }
    if country == "KAZ":
        org["name_kk"] = f"«{brand_ru}» {maker['kk']}"
    return org


def _suppliers(
    rng: random.Random, family: dict[str, Any], seed_countries: dict[str, str], taken: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, str]]:
    """The family's generated suppliers and their products, and the country of every supplier
    (seed ones included) by key."""
    slots = list(SLOTS)
    countries: dict[str, str] = {}
    for key in family.get("seed", []):
        country = seed_countries[key]
        slots.remove(country if country in slots else slots[-1])
        countries[key] = country
    orgs: list[dict[str, Any]] = []
    products: list[dict[str, Any]] = []
    for n, country in enumerate(slots, start=1):
        key = f"gen:{family['key']}:{n}"
        about = family["products"]["en" if country == "CHN" else "ru"][0].lower()
        data = _organisation(rng, taken, country, family["kind"], family["maker"], about)
        orgs.append({"key": key, "family": family["key"], "role": "supplier", "data": data})
        countries[key] = country
        for lang in _product_langs(rng, country):
            codes: dict[str, str] = {}
            if rng.random() < 0.9:
                codes["hs_code"] = family["hs"]
            if rng.random() < 0.6 or not codes:
                codes["isic_code"] = rng.choice(family["isic"])
            product: dict[str, Any] = {
                **codes,
                "text": rng.choice(family["products"][lang]),
                "lang": lang,
                "capacity": float(family["quantity"][0] * rng.choice((0.5, 2, 5, 10, 30))),
                "capacity_unit": family["unit"],
            }
            products.append({"organisation": key, "family": family["key"], "data": product})
    return orgs, products, countries


def _services(
    rng: random.Random, family: dict[str, Any], services: list[dict[str, Any]], taken: set[str]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Two companies per family that name its product without making it (other ISIC class)."""
    orgs: list[dict[str, Any]] = []
    products: list[dict[str, Any]] = []
    for n, service in enumerate(services, start=1):
        country = rng.choice(SLOTS[:-1])
        lang = rng.choice(("ru", "kk") if country == "KAZ" else ("ru", "ru", "en"))
        text = service["text"][lang].format(product=rng.choice(family["products"][lang]).lower())
        key = f"gen:{family['key']}:service{n}"
        data = _organisation(rng, taken, country, "enterprise", service["maker"], text)
        orgs.append({"key": key, "family": None, "role": "distractor", "data": data})
        products.append(
            {
                "organisation": key,
                "family": None,
                "data": {"isic_code": service["isic"], "text": text, "lang": lang},
            }
        )
    return orgs, products


def _needs(
    rng: random.Random, families: list[dict[str, Any]], countries: dict[str, dict[str, str]]
) -> list[dict[str, Any]]:
    needs: list[dict[str, Any]] = []
    modes_by_lang = {}
    for lang in LANGS:
        modes = [mode for mode, count in MODES.items() for _ in range(count)]
        if len(modes) != len(families):
            raise ValueError(f"MODES must add up to {len(families)} families; got {len(modes)}")
        rng.shuffle(modes)
        modes_by_lang[lang] = modes
    for i, family in enumerate(families):
        suppliers = countries[family["key"]]
        for lang in LANGS:
            mode = modes_by_lang[lang][i]
            query: dict[str, Any] = {"text": family["needs"][lang], "lang": lang}
            if mode == "hs+text":
                query["hs_codes"] = [family["hs"]]
            elif mode == "isic+text":
                query["isic_codes"] = [family["isic"][0]]
            if rng.random() < QUANTITY_SHARE:
                query["quantity"] = float(family["quantity"][0])
                query["unit"] = family["quantity"][1]
            expected = sorted(suppliers)
            if rng.random() < PREFERENCE_SHARE:
                options = [
                    p for p in PREFERENCES if 5 <= sum(c in p for c in suppliers.values()) <= 10
                ]
                if options:
                    preferred = rng.choice(options)
                    query["preferred_countries"] = list(preferred)
                    expected = sorted(k for k, c in suppliers.items() if c in preferred)
            needs.append(
                {
                    "key": f"need:{family['key']}:{lang}",
                    "family": family["key"],
                    "lang": lang,
                    "mode": mode,
                    "query": query,
                    "expected": expected,
                }
            )
    return needs


def build(seed: int = SEED) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """``(suppliers, needs)`` as written to ``suppliers.json`` and ``needs.json``."""
    catalogue = json.loads((DATA / "catalogue.json").read_text(encoding="utf-8"))
    families: list[dict[str, Any]] = catalogue["families"]
    for family in families:
        check_hs6(family["hs"])
        for code in family["isic"]:
            check_isic4(code)
    for service in catalogue["services"]:
        check_isic4(service["isic"])
    seed_countries = {r.key: str(r.data["country"]) for r in read_seed()["organisations"]}
    rng = random.Random(seed)
    taken: set[str] = set()
    organisations: list[dict[str, Any]] = []
    products: list[dict[str, Any]] = []
    countries: dict[str, dict[str, str]] = {}
    for family in families:
        orgs, prods, where = _suppliers(rng, family, seed_countries, taken)
        organisations += orgs
        products += prods
        countries[family["key"]] = where
        orgs, prods = _services(rng, family, catalogue["services"], taken)
        organisations += orgs
        products += prods
    needs = _needs(rng, families, countries)
    suppliers = {"seed": seed, "organisations": organisations, "products": products}
    return suppliers, needs


def _dump_records(records: list[dict[str, Any]]) -> str:
    """A JSON array with one record per line (small diffs when the catalogue changes)."""
    lines = (json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in records)
    return "[\n" + ",\n".join(lines) + "\n]"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    suppliers, needs = build(args.seed)
    files = {
        DATA / "suppliers.json": (
            f'{{"seed": {suppliers["seed"]},\n"organisations": '
            f"{_dump_records(suppliers['organisations'])},\n"
            f'"products": {_dump_records(suppliers["products"])}}}\n'
        ),
        DATA / "needs.json": _dump_records(needs) + "\n",
    }
    if args.check:
        stale = [p.name for p, text in files.items() if p.read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date: {', '.join(stale)}; run scripts/build_matching_eval.py")
            return 1
        print("up to date")
        return 0
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    langs = {lang: sum(n["lang"] == lang for n in needs) for lang in LANGS}
    print(
        f"wrote {len(suppliers['organisations'])} organisations, "
        f"{len(suppliers['products'])} products and {len(needs)} needs {langs} to {DATA}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
