"""Country names (English, Russian) and the World Bank macro series."""

from __future__ import annotations

import pytest

from karavan.classifications import countries, country_name, macro_series, per_capita
from karavan.errors import LabelError

EAEU_RU = {
    "ARM": "Армения",
    "BLR": "Беларусь",
    "KAZ": "Казахстан",
    "KGZ": "Кыргызстан",
    "RUS": "Российская Федерация",
}
GDP_2019 = {
    "RUS": 1693115002708.3157,
    "KAZ": 181667184854.50052,
    "BLR": 64410122847.3508,
    "ARM": 13619290539.211607,
    "KGZ": 9371275264.367346,
}
POP_2019 = {"RUS": 145453291, "KAZ": 19209555, "BLR": 9419758, "ARM": 2962500, "KGZ": 6590211}


def test_countries_table() -> None:
    table = countries()
    assert len(table) == 249
    assert table["iso3"].is_unique
    rus = table.set_index("iso3").loc["RUS"]
    assert (rus["m49"], rus["iso2"], rus["name_en"]) == (643, "RU", "Russia")
    assert rus["name_ru_formal"] == "Российская Федерация"


@pytest.mark.parametrize(("iso3", "name"), sorted(EAEU_RU.items()))
def test_eaeu_russian_names(iso3: str, name: str) -> None:
    assert country_name(iso3, "ru") == name


def test_english_names_and_errors() -> None:
    assert country_name("KGZ") == "Kyrgyzstan"
    with pytest.raises(LabelError, match=r"unknown ISO3 country code 'Russia'; did you mean 'RUS'"):
        country_name("Russia")
    with pytest.raises(LabelError, match=r"'RUZ'; did you mean .*'RUS'"):
        country_name("RUZ")
    with pytest.raises(LabelError, match="has no name in language 'ru'"):
        country_name("ABW", "ru")
    with pytest.raises(LabelError, match="unknown language 'de'"):
        country_name("RUS", "de")  # type: ignore[arg-type]


def test_eaeu_gdp_and_population_2019() -> None:
    gdp = macro_series("gdp").query("year == 2019").set_index("country")["value"]
    pop = macro_series("population").query("year == 2019").set_index("country")["value"]
    for iso3 in EAEU_RU:
        assert gdp[iso3] == GDP_2019[iso3]
        assert pop[iso3] == POP_2019[iso3]
    assert len(macro_series("gdp")) == 13_979
    assert len(macro_series("population")) == 17_195


def test_per_capita() -> None:
    got = per_capita(GDP_2019, 2019)
    for iso3, value in GDP_2019.items():
        assert got[iso3] == pytest.approx(value / POP_2019[iso3], rel=1e-15)
    assert got["RUS"] == pytest.approx(11640.266033639044, rel=1e-12)
    with pytest.raises(LabelError, match=r"no population in 2019 for 'XXA'"):
        per_capita({"XXA": 1.0}, 2019)
    with pytest.raises(LabelError, match="no population for year 1900"):
        per_capita({"RUS": 1.0}, 1900)
    with pytest.raises(LabelError, match="unknown macro series 'gpd'; did you mean 'gdp'"):
        macro_series("gpd")  # type: ignore[arg-type]
