"""Text matching: BM25 against a hand computation, Russian stemming, Kazakh forms by trigrams."""

from __future__ import annotations

import math

import pytest

from karavan.matching.inference import INFER_MIN_SCORE, infer_hs_codes
from karavan.matching.query import NeedQuery
from karavan.matching.ranking import CodeEvidence, Match, TermEvidence
from karavan.matching.retrieval import BM25_B, BM25_K1, TEXT_WEIGHT
from karavan.matching.service import Matcher
from karavan.matching.terms import kazakh_similarity, query_terms, term_counts, trigrams
from karavan.registry import Registry

from .conftest import add_org, add_product


def _terms(m: Match) -> list[TermEvidence]:
    return [e for e in m.evidence if isinstance(e, TermEvidence)]


def test_bm25_equals_a_hand_computation(registry: Registry) -> None:
    # corpus: the organisation's profile ("Zeta" as English and Russian name: 2 terms) and
    # three products; N = 4 documents, lengths 2, 3, 2, 3, avgdl = 10 / 4 = 2.5
    org = add_org(registry, "Zeta", "DEU")
    d1 = add_product(registry, org, "steel pipes steel", isic_code="2410")
    d2 = add_product(registry, org, "copper pipes", isic_code="2420")
    add_product(registry, org, "steel wire rope", isic_code="2410")
    matcher = Matcher(registry)
    assert matcher.index.live_documents == 4
    assert matcher.index.mean_length == 2.5
    # all three products belong to one organisation, so limit=1 shows its best document
    result = matcher.match(NeedQuery(text="steel pipe", limit=1))
    best = result.matches[0]
    assert best.product_id == d1
    idf = math.log(1 + (4 - 2 + 0.5) / (2 + 0.5))  # df = 2 for both "steel" and "pipe"
    assert idf == pytest.approx(math.log(2))
    norm = BM25_K1 * (1 - BM25_B + BM25_B * 3 / 2.5)  # = 1.38
    steel = idf * 2 * (BM25_K1 + 1) / (2 + norm)  # tf 2
    pipe = idf * 1 * (BM25_K1 + 1) / (1 + norm)  # tf 1
    bound = 2 * idf * (BM25_K1 + 1)
    found = {e.term: e for e in _terms(best)}
    assert found["steel"].tf == 2
    assert found["pipe"].tf == 1
    assert found["steel"].idf == pytest.approx(idf)
    assert found["steel"].bm25 == pytest.approx(steel)
    assert found["pipe"].bm25 == pytest.approx(pipe)
    assert found["steel"].bm25 == pytest.approx(0.902322, abs=1e-6)  # ln 2 * 4.4 / 3.38
    assert found["steel"].contribution == pytest.approx(TEXT_WEIGHT * steel / bound)
    assert found["pipe"].contribution == pytest.approx(TEXT_WEIGHT * pipe / bound)
    # the shorter document d2 scores higher on "pipe" alone than d1 does (length norm)
    alone = matcher.match(NeedQuery(text="copper pipe", isic_codes=["2420"], limit=1))
    assert alone.matches[0].product_id == d2
    pipe_d2 = next(e for e in _terms(alone.matches[0]) if e.term == "pipe")
    norm2 = BM25_K1 * (1 - BM25_B + BM25_B * 2 / 2.5)
    assert pipe_d2.bm25 == pytest.approx(idf * (BM25_K1 + 1) / (1 + norm2))
    assert pipe_d2.bm25 > found["pipe"].bm25


def test_russian_query_finds_inflected_russian_text(registry: Registry) -> None:
    org = add_org(registry, "Trubny zavod", "RUS")
    add_product(registry, org, "Производство бесшовных стальных труб", lang="ru", hs_code="730419")
    result = Matcher(registry).match(NeedQuery(text="стальная труба"))
    assert len(result.matches) == 1
    assert sorted(e.matched for e in _terms(result.matches[0])) == ["стальн", "труб"]


def test_kazakh_inflected_form_matches_by_trigrams(registry: Registry) -> None:
    org = add_org(registry, "Qazaq Qubyr", "KAZ")
    other = add_org(registry, "Qurylys", "KAZ")
    add_product(registry, org, "Болат құбырлар өндірісі", lang="kk", hs_code="730419")
    add_product(registry, other, "Құрылыс материалдары", lang="kk", hs_code="681011")
    matcher = Matcher(registry)
    for query, similarity in (("құбыр", 5 / 6), ("құбырды", 5 / 8)):
        result = matcher.match(NeedQuery(text=query, lang="kk"))
        assert [m.organisation_id for m in result.matches] == [org]
        (term,) = _terms(result.matches[0])
        assert term.matched == "құбырлар"
        assert term.similarity == pytest.approx(similarity)
    exact = _terms(matcher.match(NeedQuery(text="құбырлар")).matches[0])[0]
    inflected = _terms(matcher.match(NeedQuery(text="құбырды")).matches[0])[0]
    assert inflected.contribution < exact.contribution


def test_trigrams_and_similarity() -> None:
    assert trigrams("құбыр") == {"  қ", " құ", "құб", "ұбы", "быр", "ыр "}
    assert kazakh_similarity("құбыр", "құбырларын") == pytest.approx(5 / 6)
    assert kazakh_similarity("құбырларын", "құбыр") == pytest.approx(5 / 6)
    assert kazakh_similarity("құбыр", "құрылыс") == pytest.approx(2 / 6)


def test_term_counts_keep_repeats_and_query_terms_do_not() -> None:
    assert term_counts("Steel pipes, steel tubes") == {"steel": 2, "pipe": 1, "tube": 1}
    assert query_terms("Трубы и трубки для труб") == ["труб", "трубк"]


def test_codes_inferred_from_english_text_bridge_to_russian_records(registry: Registry) -> None:
    inferred = infer_hs_codes("Crude sunflower oil in bulk")
    assert inferred[0].code == "151211"
    assert inferred[0].score >= INFER_MIN_SCORE
    assert infer_hs_codes("стальные трубы") == []  # only English descriptions ship
    org = add_org(registry, "Maslozavod", "RUS")
    add_product(registry, org, "Масло подсолнечное сырое наливом", lang="ru", hs_code="151211")
    matcher = Matcher(registry)
    result = matcher.match(NeedQuery(text="Crude sunflower oil in bulk"))
    (match,) = result.matches
    (code,) = [e for e in match.evidence if isinstance(e, CodeEvidence)]
    assert code.level == "HS6 inferred from text"
    assert code.contribution == 0.3
    assert code.inferred_from is not None
    assert code.inferred_from.startswith("151211 ")
    assert match.score == pytest.approx(0.3 + 0.2)  # inferred code + EAEU member
    off = matcher.match(NeedQuery(text="Crude sunflower oil in bulk", infer_codes=False))
    assert off.matches == []
    # a need that names codes infers nothing
    named = matcher.match(NeedQuery(text="Crude sunflower oil", hs_codes=["847130"]))
    assert named.matches == []


def test_a_kazakh_need_finds_russian_loanwords_by_trigrams(registry: Registry) -> None:
    org = add_org(registry, "Bearing works", "BLR")
    add_product(registry, org, "Подшипники шариковые однорядные", lang="ru", isic_code="2814")
    matcher = Matcher(registry)
    need = NeedQuery(text="Электр қозғалтқыштарына подшипниктер керек", lang="kk")
    (match,) = matcher.match(need).matches
    (term,) = _terms(match)
    assert (term.term, term.matched) == ("подшипниктер", "подшипник")
    assert term.similarity == pytest.approx(9 / 10)
    # a Russian need does not go fuzzy: its stems must be equal
    russian = NeedQuery(text="подшипниктер", lang="ru")
    assert matcher.match(russian).matches == []
