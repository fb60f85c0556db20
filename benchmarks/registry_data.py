"""Deterministic generator of realistic registry records for the registry benchmarks (issue 6).

Organisations get names and descriptions in Russian, English and (for Kazakh organisations and
a share of the others) Kazakh, built from a vocabulary of industries: each industry has its
nouns in the three languages, typical products, one ISIC Rev.4 class and a few HS 2022
subheadings, all checked against :mod:`karavan.classifications` when this module is imported
(an unknown code fails loudly rather than making the importer refuse a million rows).
Countries are weighted toward the five EAEU members; about a third of the organisations carry a
national identifier with valid check digits (RU-INN, KZ-BIN, BY-UNP, made unique by a bijection
of the row number). Brand names are built from syllables, so a brand is a rare search term
while an industry noun matches a few per cent of the rows: the queries of
:func:`search_queries` span that range of selectivity.

Rows are plain dicts in the shape of the bulk-import JSON format (``OrganisationCreate`` and
``ProductCreate`` fields); :func:`json_batch` turns them into the bytes a user would upload.
The same ``(seed, start, count)`` always gives the same rows.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

from karavan.classifications import country_name
from karavan.registry.codes import check_hs6, check_isic4
from karavan.registry.identifiers import (
    by_unp_check_digit,
    check_identifier,
    kz_bin_check_digit,
    ru_inn_check_digits,
)

__all__ = [
    "INDUSTRIES",
    "Industry",
    "check_identifiers",
    "json_batch",
    "organisations",
    "products",
    "search_queries",
]


@dataclass(frozen=True, slots=True)
class Industry:
    """One industry of the vocabulary: nouns and products in three languages, and its codes."""

    en: str
    ru: str
    kk: str
    isic: str
    hs: tuple[str, ...]
    products_en: tuple[str, ...]
    products_ru: tuple[str, ...]
    products_kk: tuple[str, ...]


INDUSTRIES: tuple[Industry, ...] = (
    Industry(
        "Machine-Building Plant",
        "машиностроительный завод",
        "машина жасау зауыты",
        "2822",
        ("845710", "846693", "847989"),
        ("machine tools", "lathes", "milling machines"),
        ("станки", "токарные станки", "фрезерные станки"),
        ("станоктар", "токарь станоктары", "фрезер станоктары"),
    ),
    Industry(
        "Bearing Works",
        "подшипниковый завод",
        "подшипник зауыты",
        "2814",
        ("848210", "848220", "848250"),
        ("ball bearings", "roller bearings", "bearing housings"),
        ("шариковые подшипники", "роликовые подшипники", "корпуса подшипников"),
        ("шарикті подшипниктер", "роликті подшипниктер", "подшипник корпустары"),
    ),
    Industry(
        "Steel Mill",
        "металлургический комбинат",
        "металлургия комбинаты",
        "2410",
        ("720851", "721391", "722830"),
        ("hot-rolled steel", "wire rod", "steel bars"),
        ("горячекатаный прокат", "катанка", "стальной пруток"),
        ("ыстықтай илектелген болат", "катанка", "болат шыбық"),
    ),
    Industry(
        "Copper Smelter",
        "медеплавильный завод",
        "мыс балқыту зауыты",
        "2420",
        ("740311", "740319", "740811"),
        ("copper cathodes", "copper wire", "copper rod"),
        ("медные катоды", "медная проволока", "медная катанка"),
        ("мыс катодтары", "мыс сым", "мыс катанка"),
    ),
    Industry(
        "Oil Refinery",
        "нефтеперерабатывающий завод",
        "мұнай өңдеу зауыты",
        "1920",
        ("271012", "271019", "271320"),
        ("diesel fuel", "gasoline", "bitumen"),
        ("дизельное топливо", "бензин", "битум"),
        ("дизель отыны", "бензин", "битум"),
    ),
    Industry(
        "Fertiliser Plant",
        "завод минеральных удобрений",
        "минералды тыңайтқыш зауыты",
        "2012",
        ("310210", "310530", "310420"),
        ("urea", "ammonium phosphate", "potash fertiliser"),
        ("карбамид", "аммофос", "калийные удобрения"),
        ("карбамид", "аммофос", "калий тыңайтқыштары"),
    ),
    Industry(
        "Pharmaceutical Company",
        "фармацевтическая компания",
        "фармацевтикалық компания",
        "2100",
        ("300490", "300420", "300215"),
        ("generic medicines", "antibiotics", "vaccines"),
        ("дженерики", "антибиотики", "вакцины"),
        ("дженериктер", "антибиотиктер", "вакциналар"),
    ),
    Industry(
        "Flour Mill",
        "мукомольный комбинат",
        "ұн тартатын комбинат",
        "1061",
        ("110100", "100199", "110311"),
        ("wheat flour", "durum wheat", "semolina"),
        ("пшеничная мука", "твердая пшеница", "манная крупа"),
        ("бидай ұны", "қатты бидай", "жарма"),
    ),
    Industry(
        "Dairy",
        "молочный комбинат",
        "сүт комбинаты",
        "1050",
        ("040120", "040610", "040210"),
        ("milk", "cheese", "milk powder"),
        ("молоко", "сыр", "сухое молоко"),
        ("сүт", "ірімшік", "құрғақ сүт"),
    ),
    Industry(
        "Meat Processing Plant",
        "мясокомбинат",
        "ет комбинаты",
        "1010",
        ("020130", "020714", "160100"),
        ("beef", "poultry meat", "sausages"),
        ("говядина", "мясо птицы", "колбасные изделия"),
        ("сиыр еті", "құс еті", "шұжық өнімдері"),
    ),
    Industry(
        "Textile Mill",
        "текстильная фабрика",
        "тоқыма фабрикасы",
        "1311",
        ("520512", "520812", "540752"),
        ("cotton yarn", "cotton fabric", "synthetic fabric"),
        ("хлопковая пряжа", "хлопчатобумажная ткань", "синтетическая ткань"),
        ("мақта иірімжібі", "мақта мата", "синтетикалық мата"),
    ),
    Industry(
        "Electronics Factory",
        "завод электроники",
        "электроника зауыты",
        "2610",
        ("854231", "853400", "850440"),
        ("microchips", "printed circuit boards", "power converters"),
        ("микросхемы", "печатные платы", "преобразователи"),
        ("микросхемалар", "баспа платалары", "түрлендіргіштер"),
    ),
    Industry(
        "Cable Plant",
        "кабельный завод",
        "кабель зауыты",
        "2732",
        ("854449", "854460", "854470"),
        ("power cables", "fibre optic cables", "insulated wire"),
        ("силовые кабели", "оптоволоконные кабели", "изолированный провод"),
        ("күш кабельдері", "оптикалық кабельдер", "оқшауланған сым"),
    ),
    Industry(
        "Automotive Plant",
        "автомобильный завод",
        "автомобиль зауыты",
        "2910",
        ("870323", "870421", "870899"),
        ("passenger cars", "trucks", "auto parts"),
        ("легковые автомобили", "грузовики", "автокомпоненты"),
        ("жеңіл автомобильдер", "жүк көліктері", "автобөлшектер"),
    ),
    Industry(
        "Agricultural Machinery Plant",
        "завод сельхозтехники",
        "ауыл шаруашылығы техникасы зауыты",
        "2821",
        ("843351", "870192", "843229"),
        ("combine harvesters", "tractors", "seeders"),
        ("зерноуборочные комбайны", "тракторы", "сеялки"),
        ("астық жинайтын комбайндар", "тракторлар", "сепкіштер"),
    ),
    Industry(
        "Cement Plant",
        "цементный завод",
        "цемент зауыты",
        "2394",
        ("252329", "252310", "680800"),
        ("portland cement", "clinker", "building panels"),
        ("портландцемент", "клинкер", "строительные панели"),
        ("портландцемент", "клинкер", "құрылыс панельдері"),
    ),
    Industry(
        "Solar Panel Factory",
        "завод солнечных панелей",
        "күн панельдері зауыты",
        "2610",
        ("854143", "850440", "850760"),
        ("solar modules", "inverters", "lithium batteries"),
        ("солнечные модули", "инверторы", "литиевые аккумуляторы"),
        ("күн модульдері", "инверторлар", "литий аккумуляторлары"),
    ),
    Industry(
        "Research Institute",
        "научно-исследовательский институт",
        "ғылыми-зерттеу институты",
        "7210",
        ("902790", "903180", "901580"),
        ("laboratory instruments", "measuring equipment", "testing services"),
        ("лабораторные приборы", "измерительное оборудование", "испытания"),
        ("зертханалық аспаптар", "өлшеу жабдықтары", "сынақтар"),
    ),
)

for _industry in INDUSTRIES:  # fail at import, not at row 412,000 of an import
    check_isic4(_industry.isic)
    for _code in _industry.hs:
        check_hs6(_code)

_COUNTRIES: tuple[tuple[str, float], ...] = (
    ("RUS", 0.40),
    ("KAZ", 0.20),
    ("BLR", 0.12),
    ("ARM", 0.06),
    ("KGZ", 0.06),
    ("CHN", 0.06),
    ("UZB", 0.04),
    ("TUR", 0.02),
    ("DEU", 0.02),
    ("IND", 0.02),
)
for _code, _ in _COUNTRIES:
    country_name(_code, "en")

_REGIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "RUS": (
        ("Tatarstan", "Татарстан"),
        ("Sverdlovsk", "Свердловская область"),
        ("Chelyabinsk", "Челябинская область"),
        ("Novosibirsk", "Новосибирская область"),
        ("Samara", "Самарская область"),
        ("Bashkortostan", "Башкортостан"),
        ("Moscow", "Москва"),
        ("Krasnoyarsk", "Красноярский край"),
    ),
    "KAZ": (
        ("Karaganda", "Карагандинская область"),
        ("Pavlodar", "Павлодарская область"),
        ("East Kazakhstan", "Восточно-Казахстанская область"),
        ("Almaty", "Алматы"),
        ("Astana", "Астана"),
        ("Shymkent", "Шымкент"),
        ("Aktobe", "Актюбинская область"),
    ),
    "BLR": (
        ("Minsk", "Минск"),
        ("Gomel", "Гомельская область"),
        ("Vitebsk", "Витебская область"),
        ("Brest", "Брестская область"),
    ),
    "ARM": (("Yerevan", "Ереван"), ("Lori", "Лорийская область"), ("Shirak", "Ширакская область")),
    "KGZ": (("Bishkek", "Бишкек"), ("Chuy", "Чуйская область"), ("Osh", "Ошская область")),
    "CHN": (("Xinjiang", "Синьцзян"), ("Jiangsu", "Цзянсу"), ("Shaanxi", "Шэньси")),
    "UZB": (("Tashkent", "Ташкент"), ("Navoi", "Навоийская область")),
    "TUR": (("Istanbul", "Стамбул"), ("Bursa", "Бурса")),
    "DEU": (("Bavaria", "Бавария"), ("Saxony", "Саксония")),
    "IND": (("Gujarat", "Гуджарат"), ("Maharashtra", "Махараштра")),
}

_KINDS = (
    ("enterprise", 0.85),
    ("agricultural_producer", 0.08),
    ("science_centre", 0.04),
    ("agency", 0.02),
    ("industrial_park", 0.01),
)
_FORMS = {
    "RUS": ("LLC", "ООО"),
    "KAZ": ("LLP", "ТОО"),
    "BLR": ("OJSC", "ОАО"),
    "ARM": ("CJSC", "ЗАО"),
    "KGZ": ("LLC", "ОсОО"),
}
_SYLLABLES_LATIN = (
    "al",
    "tai",
    "ur",
    "vol",
    "ga",
    "ka",
    "ma",
    "sar",
    "tem",
    "ir",
    "bek",
    "nur",
    "zar",
    "ros",
    "tex",
    "met",
    "pro",
    "lit",
    "gran",
    "ark",
    "sib",
    "don",
    "ne",
    "va",
    "ti",
    "lon",
    "ser",
    "kom",
)
_LATIN_TO_CYRILLIC = {
    "al": "ал", "tai": "тай", "ur": "ур", "vol": "вол", "ga": "га", "ka": "ка", "ma": "ма",
    "sar": "сар", "tem": "тем", "ir": "ир", "bek": "бек", "nur": "нур", "zar": "зар",
    "ros": "рос", "tex": "текс", "met": "мет", "pro": "про", "lit": "лит", "gran": "гран",
    "ark": "арк", "sib": "сиб", "don": "дон", "ne": "не", "va": "ва", "ti": "ти", "lon": "лон",
    "ser": "сер", "kom": "ком",
}  # fmt: skip
_CERTIFICATIONS = ("ISO 9001", "ISO 14001", "IATF 16949", "GMP", "HACCP", "EAC")
_SOURCE_TITLES = {
    "RUS": ("EGRUL extract", "https://egrul.nalog.ru/"),
    "KAZ": ("Kazakhstan state business register", "https://stat.gov.kz/"),
    "BLR": ("Unified State Register of Legal Entities", "https://egr.gov.by/"),
}
_DEFAULT_SOURCE = ("Company website", "https://example.org/registry-benchmark")
_CAPACITY_UNITS = ("t/year", "units/year", "m3/year", "km/year")


def _pick(rng: random.Random, weighted: tuple[tuple[str, float], ...]) -> str:
    x = rng.random()
    for value, weight in weighted:
        x -= weight
        if x < 0:
            return value
    return weighted[-1][0]


def _brand(rng: random.Random) -> tuple[str, str]:
    """A made-up brand of 2-3 syllables, in Latin and in Cyrillic (28^2..28^3 of them)."""
    parts = [rng.choice(_SYLLABLES_LATIN) for _ in range(rng.choice((2, 2, 3)))]
    latin = "".join(parts)
    return latin.capitalize(), "".join(_LATIN_TO_CYRILLIC[p] for p in parts).capitalize()


def _identifier(country: str, index: int) -> dict[str, str] | None:
    """A national identifier with valid check digits, unique per ``index`` (a bijection)."""
    mixed = index * 7919 + 104_729
    if country == "RUS":
        body = f"{mixed % 10**9:09d}"
        return {"scheme": "RU-INN", "value": body + ru_inn_check_digits(body)}
    if country == "KAZ":
        body = f"{mixed % 10**11:011d}"
        check = kz_bin_check_digit(body)
        return None if check is None else {"scheme": "KZ-BIN", "value": f"{body}{check}"}
    if country == "BLR":
        body = f"{mixed % 10**8:08d}"
        unp = by_unp_check_digit(body)
        return None if unp is None else {"scheme": "BY-UNP", "value": f"{body}{unp}"}
    return None


def organisations(seed: int, start: int, count: int) -> tuple[list[dict[str, object]], list[int]]:
    """Rows ``start .. start + count - 1`` of the organisations of ``seed``, and the index of
    each one's industry in :data:`INDUSTRIES` (for :func:`products`)."""
    rng = random.Random(f"organisations:{seed}:{start}:{count}")
    rows: list[dict[str, object]] = []
    industries: list[int] = []
    for index in range(start, start + count):
        which = rng.randrange(len(INDUSTRIES))
        industry = INDUSTRIES[which]
        country = _pick(rng, _COUNTRIES)
        region_en, region_ru = rng.choice(_REGIONS[country])
        brand_en, brand_ru = _brand(rng)
        form_en, form_ru = _FORMS.get(country, ("Ltd", "Компания"))
        products_en = rng.sample(industry.products_en, 2)
        products_ru = rng.sample(industry.products_ru, 2)
        row: dict[str, object] = {
            "kind": _pick(rng, _KINDS),
            "name_en": f"{brand_en} {industry.en} {form_en}",
            "name_ru": f"{form_ru} «{brand_ru}» {industry.ru}",
            "country": country,
            "region": region_en,
            "description": (
                f"{brand_ru}: {industry.ru}, {region_ru}. Выпускает {products_ru[0]} и "
                f"{products_ru[1]}. {brand_en} makes {products_en[0]} and {products_en[1]}."
            ),
            "sources": [
                {
                    "title": _SOURCE_TITLES.get(country, _DEFAULT_SOURCE)[0],
                    "url": _SOURCE_TITLES.get(country, _DEFAULT_SOURCE)[1],
                    "date": f"2026-{rng.randint(1, 10):02d}-{rng.randint(1, 28):02d}",
                }
            ],
        }
        if country == "KAZ" or rng.random() < 0.1:
            kk_products = rng.sample(industry.products_kk, 2)
            row["name_kk"] = f"«{brand_ru}» {industry.kk}"
            row["description"] = (
                f"{row['description']} {kk_products[0].capitalize()} және {kk_products[1]} "
                f"шығарады."
            )
        if rng.random() < 0.6:
            row["website"] = f"https://{brand_en.lower()}{index % 1000}.example.com"
        if rng.random() < 0.35:
            identifier = _identifier(country, index)
            if identifier is not None:
                row["identifiers"] = [identifier]
        if rng.random() < 0.5:
            row["sites"] = [
                {
                    "country": country,
                    "region": region_en,
                    "locality": f"{brand_en} industrial zone",
                    "lat": round(rng.uniform(38.0, 60.0), 4),
                    "lon": round(rng.uniform(25.0, 90.0), 4),
                }
            ]
        rows.append(row)
        industries.append(which)
    return rows, industries


def products(
    seed: int,
    start: int,
    organisation_ids: list[int],
    industries: list[int],
    countries: list[str],
) -> list[dict[str, object]]:
    """One product per organisation, from its industry: HS code and ISIC class, text in the
    organisation's language (Kazakh for a third of Kazakh ones, English outside the EAEU)."""
    rng = random.Random(f"products:{seed}:{start}:{len(organisation_ids)}")
    rows: list[dict[str, object]] = []
    for organisation_id, which, country in zip(
        organisation_ids, industries, countries, strict=True
    ):
        industry = INDUSTRIES[which]
        k = rng.randrange(3)
        if country == "KAZ" and rng.random() < 0.33:
            lang, text = "kk", industry.products_kk[k]
        elif country in _FORMS:
            lang, text = "ru", industry.products_ru[k]
        else:
            lang, text = "en", industry.products_en[k]
        row: dict[str, object] = {
            "organisation_id": organisation_id,
            "hs_code": industry.hs[k],
            "isic_code": industry.isic,
            "text": text.capitalize(),
            "lang": lang,
            "capacity": float(rng.randint(1, 500) * 100),
            "capacity_unit": rng.choice(_CAPACITY_UNITS),
        }
        if rng.random() < 0.3:
            row["certifications"] = rng.sample(_CERTIFICATIONS, 2)
        rows.append(row)
    return rows


def search_queries(seed: int, count: int) -> list[str]:
    """``count`` queries a user might type: one or two words in Russian, English or Kazakh,
    from broad (an industry noun, a few per cent of the rows) to narrow (a product with a
    region, a brand) and a few that match nothing."""
    rng = random.Random(f"queries:{seed}")
    queries: list[str] = []
    for _ in range(count):
        industry = rng.choice(INDUSTRIES)
        country = _pick(rng, _COUNTRIES)
        region_en, region_ru = rng.choice(_REGIONS[country])
        shape = rng.randrange(10)
        if shape == 0:
            q = rng.choice(industry.ru.split())  # broad: "завод", "комбинат"
        elif shape == 1:
            q = rng.choice(industry.en.split())
        elif shape == 2:
            q = rng.choice(industry.products_ru)
        elif shape == 3:
            q = rng.choice(industry.products_en)
        elif shape == 4:
            q = rng.choice(industry.products_kk)
        elif shape == 5:
            q = f"{rng.choice(industry.products_ru).split()[-1]} {region_ru.split()[0]}"
        elif shape == 6:
            q = f"{industry.en.split()[0]} {region_en}"
        elif shape == 7:
            q = _brand(rng)[rng.randrange(2)]  # a brand: rare
        elif shape == 8:
            q = f"{_brand(rng)[1]} {industry.ru.split()[-1]}"
        else:
            q = rng.choice(("титан", "aerospace", "ғарыш", "кораблестроение", "quantum"))
        queries.append(q)
    return queries


def json_batch(rows: list[dict[str, object]]) -> bytes:
    """``rows`` as a bulk-import JSON file (a top-level array of objects, UTF-8)."""
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def check_identifiers() -> None:
    """The generated identifiers pass the registry's own checks (run by the benchmark)."""
    rows, _ = organisations(0, 0, 200)
    for row in rows:
        for identifier in row.get("identifiers", []):  # type: ignore[attr-defined]
            check_identifier(identifier["scheme"], identifier["value"])
