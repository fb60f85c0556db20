"""Text analysis for matching: term frequencies for BM25 and character trigrams for Kazakh.

The registry's full-text pipeline (:mod:`karavan.registry.search`) decides what a term is:
lower-case, ``ё`` -> ``е``, stop words dropped, Russian and English words stemmed with Snowball,
words with a Kazakh-specific letter (ә ғ қ ң ө ұ ү һ і) kept whole. Matching uses the very same
pipeline, one token at a time, so a query term and a document term are equal exactly when the
registry's own search would consider them equal; what matching adds is:

- **term frequencies**: the registry's index keeps each term once per record, BM25 needs how
  often it occurs (:func:`term_counts`);
- **trigrams for Kazakh**: Kazakh is agglutinative (``құбыр`` pipe, ``құбырлар`` pipes,
  ``құбырларын`` the pipes (acc.)) and has no Snowball stemmer, so a Kazakh query word is
  compared to the Cyrillic words of the index by character trigrams (:func:`trigrams`, padded
  as PostgreSQL's ``pg_trgm`` does: two spaces before the word, one after) and
  :func:`kazakh_similarity`, the overlap coefficient of the two trigram sets (shared trigrams
  over the smaller set). Suffixes only add trigrams at the end, so an inflected form keeps
  every trigram of its stem but the last padded one: ``құбыр`` (6 trigrams) against
  ``құбырларын`` scores 5/6, whichever of the two is the query.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from karavan.registry.search import search_document

__all__ = [
    "KAZAKH_LETTERS",
    "is_cyrillic_word",
    "is_kazakh_term",
    "kazakh_similarity",
    "query_terms",
    "term_counts",
    "trigrams",
]

KAZAKH_LETTERS = frozenset("әғқңөұүһі")
"""Letters of the Kazakh Cyrillic alphabet that Russian does not have."""

_TOKEN = re.compile(r"[^\W_]+")
_TERM_CACHE = 1 << 18
MAX_QUERY_TERMS = 32
"""At most this many distinct terms are taken from a query's text (the rest is ignored)."""


@lru_cache(maxsize=_TERM_CACHE)
def _term(token: str) -> str:
    """The registry's index term for one token ("" when the pipeline drops it)."""
    return search_document(token)


def _terms_in_order(text: str) -> list[str]:
    out: list[str] = []
    for token in _TOKEN.findall(text.lower()):
        term = _term(token)
        if term:
            out.append(term)
    return out


def term_counts(*texts: str | None) -> Counter[str]:
    """How often each index term occurs in ``texts`` (None skipped): the ``tf`` of BM25."""
    counts: Counter[str] = Counter()
    for text in texts:
        if text:
            counts.update(_terms_in_order(text))
    return counts


def query_terms(text: str) -> list[str]:
    """The distinct terms of a query's text, in order of first appearance, at most
    :data:`MAX_QUERY_TERMS`."""
    return list(dict.fromkeys(_terms_in_order(text)))[:MAX_QUERY_TERMS]


def is_kazakh_term(term: str) -> bool:
    """Whether ``term`` has a Kazakh-specific letter (such terms are not stemmed)."""
    return not KAZAKH_LETTERS.isdisjoint(term)


def is_cyrillic_word(term: str) -> bool:
    """Whether ``term`` is written in Cyrillic letters only (no digits, no Latin)."""
    return all("\u0400" <= c <= "\u04ff" for c in term)


def trigrams(word: str) -> frozenset[str]:
    """Character trigrams of ``word`` padded ``"  " + word + " "`` (as ``pg_trgm`` pads)."""
    padded = f"  {word} "
    return frozenset(padded[i : i + 3] for i in range(len(padded) - 2))


def kazakh_similarity(a: str, b: str) -> float:
    """Overlap coefficient of the trigram sets of two words, ``|A & B| / min(|A|, |B|)``, in
    [0, 1]: a suffix on either word (an inflected form) costs only the shorter word's final
    padded trigram, while a different stem loses most of them."""
    ta, tb = trigrams(a), trigrams(b)
    return len(ta & tb) / min(len(ta), len(tb))
