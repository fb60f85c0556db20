"""Search text pipeline: tokens, stems, Kazakh prefixes, stop words, query terms."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from karavan.registry.search import MAX_QUERY_TERMS, query_terms, search_document


def test_russian_inflections_collapse() -> None:
    assert search_document("заводы") == search_document("завода") == "завод"
    assert search_document("заводом") == "завод"
    assert search_document("Заводы, завода и заводом!") == "завод"
    assert query_terms("стальные трубы") == ["стальн", "труб"]
    assert search_document("стальная труба") == "стальн труб"


def test_english_plurals_collapse() -> None:
    assert search_document("pipes") == search_document("pipe") == "pipe"
    assert search_document("Steel pipes for the oil industry") == "steel pipe oil industri"


def test_kazakh_tokens_are_kept_for_prefix_match() -> None:
    assert search_document("Мұнай өңдеу") == "мұнай өңдеу"
    assert query_terms("мұнай") == ["мұнай"]
    # the stored word starts with the query term: FTS prefix search finds it
    assert search_document("мұнайлы").startswith(query_terms("мұнай")[0])
    # Kazakh stop words go
    assert search_document("мұнай және газ") == "мұнай газ"


def test_yo_is_e() -> None:
    assert search_document("Ёлка") == search_document("елка") == "елк"
    assert search_document("всё") == ""  # "все" is a stop word


def test_digits_and_codes_kept_verbatim() -> None:
    assert search_document("ISO 9001, A320, сталь 12Х18Н10Т") == "iso 9001 a320 стал 12х18н10т"


def test_mixed_scripts_and_punctuation() -> None:
    assert search_document("Газпром/Gazprom — нефть; oil & gas (2024)") == (
        "газпр gazprom нефт oil gas 2024"
    )
    # a token mixing scripts is kept whole, not stemmed
    assert search_document("Газпромneft") == "газпромneft"
    assert search_document("snake_case") == "snake case"


def test_empty_and_short_and_none() -> None:
    assert search_document() == ""
    assert search_document(None, "", "   ", "!!!") == ""
    assert search_document("a и в I я") == ""
    assert query_terms("") == []


def test_several_texts_deduplicated_in_order() -> None:
    assert search_document("Трубы", None, "pipes трубам", "Pipe") == "труб pipe"


def test_query_terms_limit_and_safety() -> None:
    words = " ".join(f"слово{i}" for i in range(20))
    terms = query_terms(words)
    assert len(terms) == MAX_QUERY_TERMS
    assert terms[0] == "слово0"
    assert query_terms('pipe* OR "NEAR(a b)" -x:1') == ["pipe", "near"]


@given(st.text(max_size=200))
def test_query_terms_are_word_characters_only(q: str) -> None:
    terms = query_terms(q)
    assert len(terms) <= MAX_QUERY_TERMS
    assert len(set(terms)) == len(terms)
    for term in terms:
        assert re.fullmatch(r"[^\W_]{2,}", term), term
