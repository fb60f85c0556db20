"""HS 2022 nomenclature, HS -> ISIC concordances and ISIC Rev.4 labels, as shipped."""

from __future__ import annotations

import pytest

from karavan.classifications import (
    hs_nomenclature,
    hs_parents,
    hs_sections,
    hs_to_isic,
    isic4_label,
    isic4_labels,
)
from karavan.errors import LabelError


def test_hs2022_counts() -> None:
    hs = hs_nomenclature()
    # the raw file's 96 + 1 chapters, 1228 + 1 headings, 5612 + 1 subheadings, less chapter 99
    assert hs["level"].value_counts().to_dict() == {6: 5612, 4: 1228, 2: 96}
    assert hs["code"].is_unique
    assert (hs["code"].str.len() == hs["level"]).all()
    assert len(hs_sections()) == 21
    assert "99" not in set(hs["code"])


def test_every_subheading_resolves_to_a_section() -> None:
    hs = hs_nomenclature()
    section = dict(zip(hs["code"], hs["section"], strict=True))
    known = set(hs_sections()["section"])
    for code in hs.loc[hs["level"] == 6, "code"]:
        chain = hs_parents(code)
        assert [len(c) for c in chain] == [6, 4, 2]
        assert chain[1] == code[:4]
        assert chain[2] == code[:2]
        assert section[chain[2]] == section[code]
        assert section[code] in known


def test_hs_examples() -> None:
    hs = hs_nomenclature().set_index("code")
    assert hs.loc["0101", "description"] == "Horses, asses, mules and hinnies; live"
    assert hs.loc["010121", "parent"] == "0101"
    assert hs_parents("010121") == ("010121", "0101", "01")
    assert hs.loc["8703", "section"] == "XVII"
    sections = hs_sections().set_index("section")["name"]
    assert sections["XI"] == "Textiles and textile articles"


def test_hs_to_isic4_keeps_the_package_rows() -> None:
    pairs = hs_to_isic(rev=4, level=4)
    assert len(pairs) == 24_279
    assert pairs["hs6"].nunique() == 6_881
    assert int(pairs["isic"].isna().sum()) == 93
    first = pairs[pairs["hs6"] == "010110"]["isic"].tolist()
    assert first == ["0141", "0142", "0144"]
    assert len(hs_to_isic(rev=4, level=2)) == 15_529


def test_hs_to_isic3() -> None:
    pairs = hs_to_isic(rev=3, level=4)
    assert len(pairs) == 5_205
    assert pairs["hs6"].is_unique
    assert pairs.loc[pairs["hs6"] == "010121", "isic"].tolist() == ["0121"]
    assert pairs.loc[pairs["hs6"] == "050210", "isic"].tolist() == ["9999"]
    divisions = hs_to_isic(rev=3, level=2)
    assert int(divisions["isic"].isna().sum()) == 76
    # every HS 2022 subheading of the HS 2012 concordance is an HS 2022 code or not: count
    hs6 = set(hs_nomenclature().query("level == 6")["code"])
    assert len(hs6 & set(pairs["hs6"])) == 4_993


def test_isic4_labels() -> None:
    labels = isic4_labels()
    assert len(labels) == 766
    assert labels["code"].str.len().value_counts().to_dict() == {4: 419, 3: 238, 2: 88, 1: 21}
    assert isic4_label("A") == "Agriculture, forestry and fishing"
    assert isic4_label("0112") == "Growing of rice"


def test_unknown_codes_name_the_code_and_suggest() -> None:
    with pytest.raises(LabelError, match=r"unknown HS 2022 code '01012'; did you mean") as err:
        hs_parents("01012")
    assert isinstance(err.value, KeyError)
    with pytest.raises(LabelError, match=r"unknown ISIC Rev.4 code 'C99'"):
        isic4_label("C99")
    with pytest.raises(LabelError, match=r"unknown ISIC revision '2'"):
        hs_to_isic(rev=2)  # type: ignore[arg-type]
    with pytest.raises(LabelError, match=r"level must be 1, 2, 3 or 4 digits; got 6"):
        hs_to_isic(rev=4, level=6)  # type: ignore[arg-type]


def test_results_are_copies() -> None:
    hs = hs_nomenclature()
    hs.loc[0, "description"] = "changed"
    assert hs_nomenclature().loc[0, "description"] == "Animals; live"
