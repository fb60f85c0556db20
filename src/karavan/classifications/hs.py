"""The Harmonized System (HS 2022) and its concordances to ISIC Rev.4 and Rev.3.

- :func:`hs_nomenclature`: HS 2022 chapters (2 digits), headings (4) and subheadings (6), each
  with its parent, section (I..XXI) and description (datasets/harmonized-system, PDDL).
- :func:`hs_to_isic`: HS 6-digit codes to ISIC Rev.4 (``hs_isic4``: HS codes of all vintages
  combined) or Rev.3 (``hs4_isic3``: HS 2012), from the R package ``concordance`` (Liao, Kim,
  Higashide and Kim; MIT). One HS code may map to several ISIC codes; the pairs are kept as
  the package has them, including HS codes with no ISIC code (missing values, never dropped).
- :func:`isic4_labels`: the 766 ISIC Rev.4 codes (sections, divisions, groups, classes).
"""

from __future__ import annotations

from functools import cache
from typing import Literal

import pandas as pd

from karavan.classifications.store import CLASSIFICATIONS_DATA, unknown_label
from karavan.errors import LabelError

__all__ = [
    "hs_nomenclature",
    "hs_parents",
    "hs_sections",
    "hs_to_isic",
    "isic4_label",
    "isic4_labels",
]

_ISIC_COLUMNS = {
    4: ("HS_6d", "ISIC4_{level}d"),
    3: ("HS4_6d", "ISIC3_{level}d"),
}
_FILES = {4: "hs_isic4.parquet", 3: "hs_isic3.parquet"}


@cache
def _hs() -> pd.DataFrame:
    frame = pd.read_parquet(CLASSIFICATIONS_DATA / "hs2022.parquet")
    return frame.astype({"level": "int64"})


def hs_nomenclature() -> pd.DataFrame:
    """HS 2022: one row per chapter, heading and subheading.

    Columns ``code`` (2, 4 or 6 digits, text), ``level`` (2, 4 or 6), ``parent`` (the code one
    level up; missing for chapters), ``section`` (Roman numeral) and ``description``. UN
    Comtrade's chapter 99 (not an HS chapter) is not included.
    """
    return _hs().copy()


@cache
def _sections() -> pd.DataFrame:
    return pd.read_csv(
        CLASSIFICATIONS_DATA / "hs2022_sections.csv", dtype=str, keep_default_na=False
    )


def hs_sections() -> pd.DataFrame:
    """The 21 HS 2022 sections: ``section`` (I..XXI) and ``name``."""
    return _sections().copy()


@cache
def _parents() -> dict[str, str | None]:
    hs = _hs()
    return {
        str(code): None if pd.isna(parent) else str(parent)
        for code, parent in zip(hs["code"], hs["parent"], strict=True)
    }


def hs_parents(code: str) -> tuple[str, ...]:
    """The chain from an HS 2022 code up to its chapter, the code first:
    ``hs_parents("010121") == ("010121", "0101", "01")``.

    Raises :class:`~karavan.errors.LabelError` for a code not in HS 2022, with close matches.
    """
    parents = _parents()
    if code not in parents:
        raise unknown_label("HS 2022 code", code, parents)
    chain = [code]
    parent = parents[code]
    while parent is not None:
        chain.append(parent)
        parent = parents[parent]
    return tuple(chain)


@cache
def _concordance(rev: int) -> pd.DataFrame:
    return pd.read_parquet(CLASSIFICATIONS_DATA / _FILES[rev])


def hs_to_isic(rev: Literal[3, 4] = 4, level: Literal[1, 2, 3, 4] = 4) -> pd.DataFrame:
    """HS 6-digit codes to ISIC Rev.``rev`` codes at ``level`` digits (1 = section letter).

    Returns the distinct ``(hs6, isic)`` pairs in the package's order; ``isic`` is missing
    where the package maps an HS code to no ISIC code (93 rows in Rev.4, mostly waste, scrap
    and residues of chapters 05, 23, 26, 44, 71, 72; in Rev.3 such rows carry ``9999`` at 4
    digits and nothing at 2 and 1: 76 rows). At ``level=4``
    the rows are the package's rows: 24,279 for Rev.4, 5,205 for Rev.3.
    """
    if rev not in _FILES:
        raise unknown_label("ISIC revision", rev, [str(r) for r in _FILES])
    if level not in (1, 2, 3, 4):
        raise LabelError(f"ISIC level must be 1, 2, 3 or 4 digits; got {level!r}")
    hs_col, isic_col = _ISIC_COLUMNS[rev]
    raw = _concordance(rev)
    pairs = pd.DataFrame(
        {"hs6": raw[hs_col].astype(str), "isic": raw[isic_col.format(level=level)]}
    )
    return pairs.drop_duplicates().reset_index(drop=True)


@cache
def _isic4() -> pd.DataFrame:
    return pd.read_csv(CLASSIFICATIONS_DATA / "isic4_labels.csv", dtype=str, keep_default_na=False)


def isic4_labels() -> pd.DataFrame:
    """ISIC Rev.4 codes and labels: ``code`` (section letter, or 2-, 3-, 4-digit code) and
    ``label``; 766 rows."""
    return _isic4().copy()


def isic4_label(code: str) -> str:
    """The label of one ISIC Rev.4 code; :class:`~karavan.errors.LabelError` if unknown."""
    labels = _isic4()
    found = labels.loc[labels["code"] == code, "label"]
    if found.empty:
        raise unknown_label("ISIC Rev.4 code", code, labels["code"])
    return str(found.iloc[0])
