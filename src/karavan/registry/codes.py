"""Product and activity codes of registry records, checked against Karavan's classifications.

``hs_code`` is an HS 2022 subheading (6 digits) and ``isic_code`` an ISIC Rev.4 class
(4 digits), both as listed by :mod:`karavan.classifications` (read once, kept as frozensets).
Errors are :class:`~karavan.errors.RecordValidationError` naming the field and the value, with a
"did you mean" hint when one is cheap: a heading given where a subheading is needed, a
10-digit national tariff line (TN VED EAEU) whose first 6 digits are a subheading, an ISIC
division or group given where a class is needed.
"""

from __future__ import annotations

from functools import cache

from karavan.classifications import hs_nomenclature, isic4_labels
from karavan.errors import RecordValidationError

__all__ = ["check_hs6", "check_hs_prefix", "check_isic4", "hs_prefix_ok"]

_HINT_LIMIT = 5
_SEPARATORS = str.maketrans("", "", " .")


@cache
def _hs_codes() -> dict[int, frozenset[str]]:
    """HS 2022 codes by level (2, 4, 6)."""
    hs = hs_nomenclature()
    return {
        level: frozenset(str(c) for c in hs.loc[hs["level"] == level, "code"])
        for level in (2, 4, 6)
    }


@cache
def _isic_codes() -> dict[int, frozenset[str]]:
    """ISIC Rev.4 numeric codes by length (2 division, 3 group, 4 class)."""
    codes = [str(c) for c in isic4_labels()["code"]]
    return {n: frozenset(c for c in codes if c.isdigit() and len(c) == n) for n in (2, 3, 4)}


def _children(codes: frozenset[str], prefix: str) -> str:
    found = sorted(c for c in codes if c.startswith(prefix))
    shown = ", ".join(found[:_HINT_LIMIT])
    return shown + (f" (and {len(found) - _HINT_LIMIT} more)" if len(found) > _HINT_LIMIT else "")


def check_hs6(code: str) -> str:
    """``code`` as an HS 2022 subheading (6 digits; spaces and dots removed, so ``8471.30``
    is ``847130``); :class:`~karavan.errors.RecordValidationError` (``field="hs_code"``) when it
    is not one."""
    value = code.strip().translate(_SEPARATORS)
    levels = _hs_codes()
    if value in levels[6]:
        return value
    hint = ""
    if not (value.isascii() and value.isdigit()):
        hint = "; only the digits 0-9 are allowed"
    elif len(value) in (2, 4) and value in levels[len(value)]:
        kind = "chapter" if len(value) == 2 else "heading"
        hint = f"; {value} is an HS {kind}, did you mean one of {_children(levels[6], value)}?"
    elif len(value) > 6 and value[:6] in levels[6]:
        hint = f"; national tariff lines are not accepted, did you mean {value[:6]}?"
    elif len(value) == 6 and value[:4] in levels[4]:
        hint = f"; heading {value[:4]} has the subheadings {_children(levels[6], value[:4])}"
    raise RecordValidationError(
        f"hs_code must be a 6-digit HS 2022 subheading; got {code!r}{hint}",
        field="hs_code",
        value=code,
    )


def check_isic4(code: str) -> str:
    """``code`` as an ISIC Rev.4 class (4 digits); :class:`~karavan.errors.RecordValidationError`
    (``field="isic_code"``) when it is not one."""
    value = code.strip()
    levels = _isic_codes()
    if value in levels[4]:
        return value
    hint = ""
    if value.isascii() and value.isalpha() and len(value) == 1:
        hint = f"; {value} is an ISIC section letter, a 4-digit class is needed"
    elif len(value) in (2, 3) and value in levels[len(value)]:
        kind = "division" if len(value) == 2 else "group"
        hint = f"; {value} is an ISIC {kind}, did you mean one of {_children(levels[4], value)}?"
    raise RecordValidationError(
        f"isic_code must be a 4-digit ISIC Rev.4 class; got {code!r}{hint}",
        field="isic_code",
        value=code,
    )


def hs_prefix_ok(prefix: str) -> bool:
    """Whether ``prefix`` may filter records by HS code: 1 to 6 ASCII digits.

    Format only: a prefix that no HS 2022 code starts with is a valid filter that finds
    nothing. Safe to embed in a ``LIKE 'prefix%'`` pattern (no wildcard characters).
    """
    return 1 <= len(prefix) <= 6 and prefix.isascii() and prefix.isdigit()


def check_hs_prefix(prefix: str) -> str:
    """``prefix`` stripped, if :func:`hs_prefix_ok`; else
    :class:`~karavan.errors.RecordValidationError` (``field="hs_code"``)."""
    value = prefix.strip()
    if not hs_prefix_ok(value):
        raise RecordValidationError(
            f"hs_code filter must be 1 to 6 digits (an HS code prefix); got {prefix!r}",
            field="hs_code",
            value=prefix,
        )
    return value
