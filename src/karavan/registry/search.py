"""Text of registry records made searchable: one pipeline for stored documents and for queries.

:func:`search_document` turns a record's texts (names, description, product text) into the
string that the store's full-text index holds (FTS5 on SQLite, a ``simple`` tsvector on
PostgreSQL); :func:`query_terms` turns what a user typed into the terms to look up, each to be
used as a prefix (``term*`` in FTS5, ``term:*`` in a tsquery). Because both go through the same
steps, "заводы" in a query finds "завода" in a description.

Steps, for each token (a run of Unicode letters and digits; ``_`` separates):

1. lower-case, ``ё`` -> ``е``;
2. drop it if it is 1 character long or a stop word (lists below);
3. tokens with a digit (``a320``, ``12х18н10т``, ``9001``) are kept as they are;
4. Cyrillic tokens with a Kazakh-specific letter (ә ғ қ ң ө ұ ү һ і) are kept as they are:
   there is no Kazakh Snowball stemmer, and a Russian one would cut Kazakh suffixes wrongly,
   so Kazakh is matched by prefix only (``мұнай`` finds ``мұнайлы``); Kazakh words written
   only with letters shared with Russian go through the Russian stemmer;
5. other Cyrillic tokens: Snowball ``russian``; Latin tokens: Snowball ``english`` (Porter2);
   tokens mixing scripts, or in other scripts, are kept as they are;
6. repeated terms are dropped, the first occurrence's order kept.

Stop words: a subset of the Snowball project's stop-word lists
(https://snowballstem.org/algorithms/russian/stop.txt and .../english/stop.txt: articles,
prepositions, conjunctions, particles and pronouns), plus a hand-picked list of Kazakh
conjunctions and postpositions (no standard list exists). Stemming is memoised per word
(``functools.lru_cache``), so a bulk import that repeats the same vocabulary stems each word
once.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

__all__ = ["MAX_QUERY_TERMS", "query_terms", "search_document"]

MAX_QUERY_TERMS = 10
"""At most this many terms are taken from a query (the rest is ignored)."""

_TOKEN = re.compile(r"[^\W_]+")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_LATIN = re.compile(r"[a-z]")
_KAZAKH = frozenset("әғқңөұүһі")
_STEM_CACHE = 1 << 17

_RUSSIAN_STOP_WORDS = """
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только
    ее мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни
    быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где
    есть надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж
    тогда кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее
    сейчас были куда зачем всех никогда можно при наконец два об другой хоть после над больше
    тот через эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой
    перед иногда лучше чуть том нельзя такой им более всегда конечно всю между это также
"""
_ENGLISH_STOP_WORDS = """
    a an the and or but if of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no
    nor not only own same so than too very can will just should now is are was were be been
    being have has had having do does did doing i me my we our you your he him his she her
    it its they them their what which who whom this that these those am as until while
"""
_KAZAKH_STOP_WORDS = """
    және мен бен пен да де та те үшін бұл осы ол сол мына ал бірақ немесе не әрі тағы
    арқылы туралы бойынша сияқты дейін кейін
"""
_STOP = frozenset((_RUSSIAN_STOP_WORDS + _ENGLISH_STOP_WORDS + _KAZAKH_STOP_WORDS).split())

_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")


@lru_cache(maxsize=_STEM_CACHE)
def _stem_russian(word: str) -> str:
    return str(_RUSSIAN.stemWord(word))


@lru_cache(maxsize=_STEM_CACHE)
def _stem_english(word: str) -> str:
    return str(_ENGLISH.stemWord(word))


@lru_cache(maxsize=_STEM_CACHE)
def _term(token: str) -> str | None:
    """The index term of one lower-cased token, or None when it is dropped.

    Memoised as a whole, not only the stemming: a bulk import repeats a small vocabulary, and
    the checks before the stemmer cost as much as the cached stem (6,200 -> 7,200+ rows per
    CPU-second in the importer)."""
    if len(token) < 2 or token in _STOP:
        return None
    if any(c.isdigit() for c in token):
        return token
    cyrillic = _CYRILLIC.search(token) is not None
    latin = _LATIN.search(token) is not None
    if cyrillic and not latin:
        if not _KAZAKH.isdisjoint(token):
            return token
        stem = _stem_russian(token)
    elif latin and not cyrillic:
        stem = _stem_english(token)
    else:
        return token
    return stem if len(stem) > 1 else token


def _terms(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for token in _TOKEN.findall(text.lower().replace("ё", "е")):
        term = _term(token)
        if term and term not in seen:
            seen[term] = None
    return list(seen)


def search_document(*texts: str | None) -> str:
    """The index text of a record: the stemmed terms of ``texts`` (None skipped), each once,
    in order of first appearance, joined by single spaces ("" when nothing is left)."""
    seen: dict[str, None] = {}
    for text in texts:
        if text:
            for term in _terms(text):
                seen.setdefault(term, None)
    return " ".join(seen)


def query_terms(q: str) -> list[str]:
    """The terms of a user query (same pipeline as :func:`search_document`), at most
    :data:`MAX_QUERY_TERMS`; each is made of word characters only, so it can be embedded in an
    FTS5 (``term*``) or tsquery (``term:*``) prefix query without quoting."""
    return _terms(q)[:MAX_QUERY_TERMS]
