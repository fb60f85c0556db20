"""Where the shipped classification and macro files live, and the error for an unknown code.

The files are derived by ``scripts/build_classifications.py``; see the ``README.md`` beside
them for sources, licences and the sha256 of each raw file. Nothing here reads ``../shared``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from karavan.errors import LabelError

__all__ = ["CLASSIFICATIONS_DATA", "MACRO_DATA", "unknown_label"]

DATA = Path(__file__).resolve().parent.parent / "data"
CLASSIFICATIONS_DATA = DATA / "classifications"
MACRO_DATA = DATA / "macro"


def unknown_label(what: str, value: object, known: Iterable[str]) -> LabelError:
    """A :class:`LabelError` naming the unknown ``value`` of ``what`` and up to three close
    matches among ``known`` (compared as upper-case text)."""
    text = str(value)
    choices = {str(k).upper(): str(k) for k in known}
    close = difflib.get_close_matches(text.upper(), list(choices), n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(choices[c]) for c in close)}?" if close else ""
    return LabelError(f"unknown {what} {text!r}{hint}")
