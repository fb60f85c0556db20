"""National identifier checks: real published numbers pass, any one-digit change fails, and a
random body has exactly one valid check digit."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from karavan.errors import RecordValidationError
from karavan.registry.identifiers import IDENTIFIER_SCHEMES, check_identifier

# Published numbers: Sberbank and Gazprom (egrul.nalog.ru); python-stdnum's doctests for
# Kazakhstan (940140000385, 990140004654), Belarus (200988541, MA1953684) and China
# (91110000600037341L).
REAL = [
    ("RU-INN", "7707083893"),
    ("RU-OGRN", "1027700132195"),
    ("RU-INN", "7736050003"),
    ("RU-OGRN", "1027700070518"),
    ("KZ-BIN", "940140000385"),
    ("KZ-BIN", "990140004654"),
    ("BY-UNP", "200988541"),
    ("BY-UNP", "MA1953684"),
    ("CN-USCC", "91110000600037341L"),
]

DIGITS = "0123456789"
USCC = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def test_schemes_match_the_design_document() -> None:
    assert IDENTIFIER_SCHEMES == (
        "KZ-BIN",
        "BY-UNP",
        "RU-INN",
        "RU-OGRN",
        "RU-OGRNIP",
        "AM-TIN",
        "KG-INN",
        "CN-USCC",
        "OTHER",
    )


@pytest.mark.parametrize(("scheme", "value"), REAL)
def test_real_numbers_pass(scheme: str, value: str) -> None:
    assert check_identifier(scheme, value) == value


@pytest.mark.parametrize(("scheme", "value"), REAL)
def test_changing_any_one_character_fails(scheme: str, value: str) -> None:
    for i, char in enumerate(value):
        alphabet = USCC if scheme == "CN-USCC" else DIGITS
        if not char.isdigit() and scheme != "CN-USCC":
            continue  # the letters of an individual's UNP
        for other in alphabet:
            if other == char:
                continue
            changed = value[:i] + other + value[i + 1 :]
            if scheme == "KZ-BIN" and _kz_blind_spot(changed, i):
                continue
            with pytest.raises(RecordValidationError):
                check_identifier(scheme, changed)


def _kz_blind_spot(changed: str, position: int) -> bool:
    """Changes the Kazakh check digit cannot see, by its definition: the 11th digit has weight
    11 (0 mod 11) in the first sum, and a first sum of 10 switches to the second weights."""
    first = sum(int(d) * w for d, w in zip(changed[:11], range(1, 12), strict=True)) % 11
    return position == 10 or first == 10


def test_kz_bin_blind_spots_are_what_the_definition_says() -> None:
    # 940140000385 with its 11th digit changed: the first weighted sum stays 5 mod 11.
    assert check_identifier("KZ-BIN", "940140000305") == "940140000305"
    assert check_identifier("KZ-BIN", "940140000395") == "940140000395"


def test_normalisation_strips_spaces_and_dashes_and_upper_cases() -> None:
    assert check_identifier("KZ-BIN", "990 140 004 654") == "990140004654"
    assert check_identifier("RU-INN", "7707-083-893") == "7707083893"
    assert check_identifier("CN-USCC", "9111 0000 6000 3734 1l") == "91110000600037341L"
    # Cyrillic look-alike letters in an individual's UNP
    assert check_identifier("BY-UNP", "МА1953684") == "MA1953684"


def test_message_names_scheme_expected_and_got() -> None:
    with pytest.raises(RecordValidationError) as info:
        check_identifier("RU-INN", "7707083894")
    assert (
        str(info.value) == "RU-INN identifier: expected check digits 3 at the end; got '7707083894'"
    )
    assert info.value.field == "identifiers"
    assert info.value.value == "7707083894"


@pytest.mark.parametrize(
    ("scheme", "value", "expected"),
    [
        ("RU-INN", "77070838", "10 or 12 digits"),
        ("RU-OGRN", "102770013219", "13 digits"),
        ("RU-OGRNIP", "30450011650042", "15 digits"),
        ("KZ-BIN", "94014000038X", "12 digits"),
        ("AM-TIN", "0123456", "8 digits"),
        ("KG-INN", "1234567890123", "14 digits"),
        ("BY-UNP", "20098854", "9 digits"),
        ("CN-USCC", "91110000600037341I", "without I, O, S, V, Z"),
    ],
)
def test_wrong_format_is_refused(scheme: str, value: str, expected: str) -> None:
    with pytest.raises(RecordValidationError, match=expected):
        check_identifier(scheme, value)


def test_format_only_schemes() -> None:
    assert check_identifier("AM-TIN", "0012 3456") == "00123456"
    assert check_identifier("KG-INN", "22-01-1990-12345-6") == "22011990123456"


def test_other_and_unknown_scheme() -> None:
    assert check_identifier("OTHER", "  LEI 5493001KJTIIGC8Y1R12 ") == "LEI 5493001KJTIIGC8Y1R12"
    for bad in ("", "   ", "x" * 65, "a\nb"):
        with pytest.raises(RecordValidationError, match="1-64 printable"):
            check_identifier("OTHER", bad)
    with pytest.raises(RecordValidationError, match="got 'US-EIN'") as info:
        check_identifier("US-EIN", "12-3456789")
    assert "KZ-BIN, BY-UNP" in str(info.value)


def _valid_check_digits(scheme: str, body: str, width: int = 1) -> list[str]:
    candidates = [f"{n:0{width}d}" for n in range(10**width)] if scheme != "CN-USCC" else list(USCC)
    valid = []
    for c in candidates:
        try:
            check_identifier(scheme, body + c)
        except RecordValidationError:
            continue
        valid.append(c)
    return valid


@given(st.text(DIGITS, min_size=12, max_size=12), st.sampled_from(["RU-OGRN"]))
def test_ogrn_body_has_exactly_one_check_digit(body: str, scheme: str) -> None:
    assert len(_valid_check_digits(scheme, body)) == 1


@given(st.text(DIGITS, min_size=14, max_size=14))
def test_ogrnip_body_has_exactly_one_check_digit(body: str) -> None:
    assert len(_valid_check_digits("RU-OGRNIP", body)) == 1


@given(st.text(DIGITS, min_size=9, max_size=9))
def test_inn10_body_has_exactly_one_check_digit(body: str) -> None:
    assert len(_valid_check_digits("RU-INN", body)) == 1


@given(st.text(DIGITS, min_size=10, max_size=10))
def test_inn12_body_has_exactly_one_pair_of_check_digits(body: str) -> None:
    assert len(_valid_check_digits("RU-INN", body, width=2)) == 1


@given(st.text(DIGITS, min_size=11, max_size=11))
def test_kz_bin_body_has_at_most_one_check_digit(body: str) -> None:
    # A body whose both weighted sums are 10 mod 11 has none.
    assert len(_valid_check_digits("KZ-BIN", body)) <= 1


@given(st.text(DIGITS, min_size=8, max_size=8))
def test_by_unp_body_has_at_most_one_check_digit(body: str) -> None:
    assert len(_valid_check_digits("BY-UNP", body)) <= 1


@given(st.text(USCC, min_size=17, max_size=17))
def test_uscc_body_has_exactly_one_check_character(body: str) -> None:
    assert len(_valid_check_digits("CN-USCC", body)) == 1


def test_kz_bin_body_without_valid_check_digit() -> None:
    # 00000000281: weights 1..11 give 2*9 + 8*10 + 1*11 = 109 = 10 mod 11; weights
    # 3..11,1,2 give 2*11 + 8*1 + 1*2 = 32 = 10 mod 11 again: no 12th digit is valid.
    for d in DIGITS:
        with pytest.raises(RecordValidationError, match="no valid check digit"):
            check_identifier("KZ-BIN", "00000000281" + d)
