"""National registration numbers of organisations: format and check-digit verification.

:func:`check_identifier` takes a scheme (the values of ``IdentifierScheme`` in
``karavan.registry.schemas``) and a value as typed by a person, and returns the normalised
value (spaces and dashes removed, letters upper-cased) or raises
:class:`~karavan.errors.RecordValidationError` (``field="identifiers"``) whose message names the
scheme, what was expected and what was got. Pure: no database, no network.

What each scheme checks, and where the rule comes from:

=============  =========================================================================
``KZ-BIN``     12 digits; the check digit of Kazakhstan's BIN/IIN: weights 1..11 on the
               first 11 digits, sum mod 11; if that is 10, weights 3..11,1,2 and mod 11
               again; a second 10 means no valid number has this body. (An IIN of an
               individual entrepreneur serves as a BIN, so the date/type components are
               not checked.)
``BY-UNP``     9 characters; Belarus UNP (Учётный номер плательщика). Organisations: 9
               digits; individuals: two letters (Latin or Cyrillic look-alikes of
               A B C E H K M O P T) then 7 digits. Check digit: weights 29,23,19,17,13,7,5,3
               on the first 8 characters (first letter as its value in 0-9A-Z, second
               letter as its index in ``ABCEHKMOPT``), sum mod 11, 10 invalid; the rule as
               published in python-stdnum ``stdnum/by/unp.py`` (doctests 200988541,
               MA1953684). The first character's region component is not checked.
``RU-INN``     10 digits (organisations) or 12 (individuals); Federal Tax Service check
               digits: each weighted sum mod 11 mod 10.
``RU-OGRN``    13 digits; check = (first 12 digits as a number mod 11) mod 10.
``RU-OGRNIP``  15 digits; check = (first 14 digits as a number mod 13) mod 10.
``AM-TIN``     8 digits (Armenia's ՀՎՀՀ); format only: no published check digit is used.
``KG-INN``     14 digits (Kyrgyzstan's ИНН); format only.
``CN-USCC``    18 characters of ``0-9A-HJ-NP-RT-UW-Y`` (31 symbols); GB 32100-2015 check
               character: weights 1,3,9,...,28 on the first 17, check = (31 - sum mod 31)
               mod 31.
``OTHER``      any 1-64 printable characters (surrounding whitespace stripped only).
=============  =========================================================================
"""

from __future__ import annotations

from collections.abc import Callable

from karavan.errors import RecordValidationError

__all__ = ["IDENTIFIER_SCHEMES", "check_identifier"]

_SEPARATORS = str.maketrans("", "", " -\u2010\u2011\u2012\u2013\u2014\u00a0\t")

# Cyrillic letters that look like the Latin letters Belarus uses in individuals' UNP.
_CYRILLIC_TO_LATIN = str.maketrans("АВЕКМНОРСТ", "ABEKMHOPCT")
_UNP_SECOND_LETTERS = "ABCEHKMOPT"
_BASE36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_UNP_WEIGHTS = (29, 23, 19, 17, 13, 7, 5, 3)

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)

_BIN_WEIGHTS_1 = tuple(range(1, 12))
_BIN_WEIGHTS_2 = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)

_USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

_OTHER_MAX = 64


class _RuleBrokenError(Exception):
    """Internal: a value breaks the scheme's rule; the text says what was expected."""


def _digits(value: str, lengths: tuple[int, ...]) -> str:
    if not (value.isascii() and value.isdigit() and len(value) in lengths):
        expected = " or ".join(str(n) for n in lengths)
        raise _RuleBrokenError(f"{expected} digits")
    return value


def _weighted(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights, strict=False))


def kz_bin_check_digit(body: str) -> int | None:
    """The check digit of an 11-digit Kazakh BIN/IIN body, or None if no digit is valid."""
    check = _weighted(body, _BIN_WEIGHTS_1) % 11
    if check == 10:
        check = _weighted(body, _BIN_WEIGHTS_2) % 11
    return None if check == 10 else check


def _kz_bin(value: str) -> str:
    _digits(value, (12,))
    check = kz_bin_check_digit(value[:11])
    if check is None:
        raise _RuleBrokenError("a valid BIN/IIN body (this one has no valid check digit)")
    if int(value[11]) != check:
        raise _RuleBrokenError(f"check digit {check} as the 12th digit")
    return value


def by_unp_check_digit(body: str) -> int | None:
    """The check digit of an 8-character Belarus UNP body, or None if no digit is valid."""
    if body[:2].isdigit():
        values = [int(c) for c in body]
    else:
        values = [_BASE36.index(body[0]), _UNP_SECOND_LETTERS.index(body[1])]
        values += [int(c) for c in body[2:]]
    check = sum(v * w for v, w in zip(values, _UNP_WEIGHTS, strict=True)) % 11
    return None if check == 10 else check


def _by_unp(value: str) -> str:
    value = value.translate(_CYRILLIC_TO_LATIN)
    expected = f"9 digits, or two letters of {_UNP_SECOND_LETTERS} then 7 digits"
    if len(value) != 9 or not value.isascii() or not value[2:].isdigit():
        raise _RuleBrokenError(expected)
    head = value[:2]
    if not head.isdigit() and not all(c in _UNP_SECOND_LETTERS for c in head):
        raise _RuleBrokenError(expected)
    check = by_unp_check_digit(value[:8])
    if check is None:
        raise _RuleBrokenError("a valid UNP body (this one has no valid check digit)")
    if int(value[8]) != check:
        raise _RuleBrokenError(f"check digit {check} as the 9th character")
    return value


def ru_inn_check_digits(body: str) -> str:
    """The check digit(s) of an INN body: 9 digits -> 1 digit, 10 digits -> 2 digits."""
    if len(body) == 9:
        return str(_weighted(body, _INN10_WEIGHTS) % 11 % 10)
    first = _weighted(body, _INN12_WEIGHTS_1) % 11 % 10
    second = _weighted(body + str(first), _INN12_WEIGHTS_2) % 11 % 10
    return f"{first}{second}"


def _ru_inn(value: str) -> str:
    _digits(value, (10, 12))
    body_len = 9 if len(value) == 10 else 10
    check = ru_inn_check_digits(value[:body_len])
    if value[body_len:] != check:
        raise _RuleBrokenError(f"check digits {check} at the end")
    return value


def _modular(length: int, modulus: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        _digits(value, (length,))
        expected = int(value[:-1]) % modulus % 10
        if int(value[-1]) != expected:
            raise _RuleBrokenError(f"check digit {expected} as the last digit")
        return value

    return check


def _format_only(length: int) -> Callable[[str], str]:
    def check(value: str) -> str:
        return _digits(value, (length,))

    return check


def cn_uscc_check_character(body: str) -> str:
    """The check character of a 17-character Chinese unified social credit code body."""
    total = sum(_USCC_CHARSET.index(c) * w for c, w in zip(body, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARSET[(31 - total % 31) % 31]


def _cn_uscc(value: str) -> str:
    if len(value) != 18 or any(c not in _USCC_CHARSET for c in value):
        raise _RuleBrokenError("18 characters of 0-9 and A-Y without I, O, S, V, Z")
    check = cn_uscc_check_character(value[:17])
    if value[17] != check:
        raise _RuleBrokenError(f"check character {check} as the 18th character")
    return value


_CHECKS: dict[str, Callable[[str], str]] = {
    "KZ-BIN": _kz_bin,
    "BY-UNP": _by_unp,
    "RU-INN": _ru_inn,
    "RU-OGRN": _modular(13, 11),
    "RU-OGRNIP": _modular(15, 13),
    "AM-TIN": _format_only(8),
    "KG-INN": _format_only(14),
    "CN-USCC": _cn_uscc,
}

IDENTIFIER_SCHEMES: tuple[str, ...] = (*_CHECKS, "OTHER")
"""Every scheme :func:`check_identifier` knows, in the order of the design document."""


def check_identifier(scheme: str, value: str) -> str:
    """The normalised ``value`` of an identifier of ``scheme``, after checking its format and
    check digits; :class:`~karavan.errors.RecordValidationError` (``field="identifiers"``)
    when it breaks the scheme's rule or the scheme is unknown.

    Normalising removes spaces and dashes and upper-cases letters (``OTHER``: surrounding
    whitespace only), so the same number typed two ways is stored, and compared for
    uniqueness, once.
    """
    scheme = str(scheme)
    if scheme == "OTHER":
        other = value.strip()
        if not 1 <= len(other) <= _OTHER_MAX or not other.isprintable():
            raise RecordValidationError(
                f"OTHER identifier must be 1-{_OTHER_MAX} printable characters; "
                f"got {value!r} ({len(other)} characters)",
                field="identifiers",
                value=value,
            )
        return other
    check = _CHECKS.get(scheme)
    if check is None:
        raise RecordValidationError(
            f"identifier scheme must be one of {', '.join(IDENTIFIER_SCHEMES)}; got {scheme!r}",
            field="identifiers",
            value=scheme,
        )
    normalised = value.translate(_SEPARATORS).upper()
    try:
        return check(normalised)
    except _RuleBrokenError as exc:
        raise RecordValidationError(
            f"{scheme} identifier: expected {exc}; got {value!r}", field="identifiers", value=value
        ) from None
