"""HS 2022 subheading and ISIC Rev.4 class checks, with their hints."""

from __future__ import annotations

import pytest

from karavan.errors import RecordValidationError
from karavan.registry.codes import check_hs6, check_hs_prefix, check_isic4, hs_prefix_ok


def test_hs6_accepts_subheadings_and_normalises_separators() -> None:
    assert check_hs6("847130") == "847130"
    assert check_hs6(" 8471.30 ") == "847130"
    assert check_hs6("010121") == "010121"


def test_hs6_heading_gives_subheadings_hint() -> None:
    with pytest.raises(RecordValidationError) as info:
        check_hs6("8471")
    assert info.value.field == "hs_code"
    assert info.value.value == "8471"
    assert str(info.value) == (
        "hs_code must be a 6-digit HS 2022 subheading; got '8471'; 8471 is an HS heading, "
        "did you mean one of 847130, 847141, 847149, 847150, 847160 (and 3 more)?"
    )


def test_hs6_national_tariff_line_hint() -> None:
    with pytest.raises(RecordValidationError, match="did you mean 847130"):
        check_hs6("8471300000")


def test_hs6_unknown_subheading_of_known_heading() -> None:
    with pytest.raises(RecordValidationError, match="heading 8471 has the subheadings 847130"):
        check_hs6("847199")


@pytest.mark.parametrize("bad", ["", "84713", "abcdef", "999999", "８４７１３０"])
def test_hs6_refuses(bad: str) -> None:
    with pytest.raises(RecordValidationError, match="6-digit HS 2022 subheading"):
        check_hs6(bad)


def test_isic4() -> None:
    assert check_isic4("2410") == "2410"
    assert check_isic4(" 0111 ") == "0111"
    with pytest.raises(RecordValidationError) as info:
        check_isic4("24")
    assert info.value.field == "isic_code"
    assert str(info.value).endswith(
        "24 is an ISIC division, did you mean one of 2410, 2420, 2431, 2432?"
    )
    with pytest.raises(RecordValidationError, match="241 is an ISIC group"):
        check_isic4("241")
    with pytest.raises(RecordValidationError, match="C is an ISIC section letter"):
        check_isic4("C")
    for bad in ("2499", "24100", "", "x"):
        with pytest.raises(RecordValidationError, match=r"4-digit ISIC Rev\.4 class"):
            check_isic4(bad)


def test_hs_prefix() -> None:
    assert [hs_prefix_ok(p) for p in ("8", "84", "847130", "8471300", "", "84%", "8_")] == [
        True,
        True,
        True,
        False,
        False,
        False,
        False,
    ]
    assert check_hs_prefix(" 72 ") == "72"
    with pytest.raises(RecordValidationError, match="1 to 6 digits"):
        check_hs_prefix("72%")
