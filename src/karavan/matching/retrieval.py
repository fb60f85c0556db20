"""Candidates of a need, from official codes and from text, scored column-wise with numpy.

**Codes.** A document's code weight is the best of the levels it matches (named constants
below, decreasing as the evidence weakens):

====================================  =========================================  ======
level                                 a document matches when                    weight
====================================  =========================================  ======
``HS6``                               its HS code is one the need names          1.0
``HS4``                               same heading (first 4 digits)              0.6
``HS2``                               same chapter (first 2 digits)              0.3
``ISIC4``                             its declared ISIC class is one the need    0.5
                                      declares
``ISIC4 via concordance``             its ISIC class (declared, or of its HS     0.2
                                      code) is one of the need's (declared, or
                                      of its HS codes), through the HS -> ISIC
                                      Rev.4 concordance
``HS6 inferred from text``            its HS code was inferred from the text of  0.3
                                      a need naming no code
                                      (:mod:`karavan.matching.inference`)
``HS4 inferred from text``            same heading as an inferred code           0.2
====================================  =========================================  ======

So for a need given by HS code the order is exact subheading > heading > chapter > ISIC class
through the concordance (the issue's order); a need given by ISIC class finds the products
that declare that class (0.5) before those whose HS code falls in it (0.2).

**Text.** Okapi BM25 over product texts and organisation profiles, with the registry's terms
(:mod:`karavan.matching.terms`): for query term ``t`` and document ``d``,
``bm25(t, d) = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))`` with
``idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))`` (the non-negative idf of Lucene), ``k1 = 1.2``,
``b = 0.75``, ``N``, ``df`` and ``avgdl`` over the live documents. A Kazakh query term (one with
a Kazakh-specific letter) also matches the index's Kazakh terms whose trigram similarity is at
least :data:`KAZAKH_MIN_SIMILARITY`, its BM25 multiplied by the similarity; each query term
counts once, by its best match in the document. The text score is normalised by the most a
document could score, ``sum over query terms of idf * (k1 + 1)`` (a query term unknown to the
index counts with ``df = 0``), so it lies in [0, 1) and does not depend on the other
documents; it is weighted by :data:`TEXT_WEIGHT`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt

from karavan.classifications import hs_to_isic
from karavan.matching.index import KINDS, MatchIndex, Segment
from karavan.matching.inference import InferredCode, infer_hs_codes
from karavan.matching.query import NeedQuery
from karavan.matching.terms import is_cyrillic_word, is_kazakh_term, query_terms, trigrams

__all__ = [
    "BM25_B",
    "BM25_K1",
    "CODE_LEVELS",
    "CODE_WEIGHTS",
    "KAZAKH_MIN_SIMILARITY",
    "MAX_SIMILAR_TERMS",
    "TEXT_WEIGHT",
    "Candidates",
    "CodeSets",
    "QueryTerm",
    "bm25_idf",
    "code_sets",
    "concordance_pairs",
    "retrieve",
]

BM25_K1 = 1.2
BM25_B = 0.75
TEXT_WEIGHT = 1.0
"""Weight of a perfect text match (the normalised BM25 score is multiplied by it)."""
KAZAKH_MIN_SIMILARITY = 0.6
"""Least trigram similarity (:func:`karavan.matching.terms.kazakh_similarity`) at which a
Kazakh index term counts as a form of a Kazakh query term. A stem and its inflected form score
``L / (L + 1)`` for a stem of ``L`` letters (``құбыр``/``құбырлар`` 5/6); two inflected forms
of a 5-letter stem score 5/8 (``құбырды``/``құбырлар``, ``мұнайлы``/``мұнайдың``), which the
threshold lets through; different words sharing two letters score about 1/3
(``құбыр``/``құрылыс`` 2/6). Words sharing a 3-4 letter start (``мұнай``/``мұнара`` 4/6) pass
too: a trigram measure cannot tell them from inflections, so the similarity also scales the
term's score."""

MAX_SIMILAR_TERMS = 10
"""A query word matches at most this many similar index terms by trigrams (the most similar,
ties by term id): a short stem (``май``) starts hundreds of words."""

CODE_LEVELS: tuple[str, ...] = (
    "HS6",
    "HS4",
    "HS2",
    "ISIC4",
    "ISIC4 via concordance",
    "HS6 inferred from text",
    "HS4 inferred from text",
)
"""Code match levels, by their number in :attr:`Candidates.code_level` (-1: none)."""
HS6_WEIGHT = 1.0
HS4_WEIGHT = 0.6
HS2_WEIGHT = 0.3
ISIC4_WEIGHT = 0.5
ISIC4_CONCORDANCE_WEIGHT = 0.2
HS6_INFERRED_WEIGHT = 0.3
HS4_INFERRED_WEIGHT = 0.2
CODE_WEIGHTS: tuple[float, ...] = (
    HS6_WEIGHT,
    HS4_WEIGHT,
    HS2_WEIGHT,
    ISIC4_WEIGHT,
    ISIC4_CONCORDANCE_WEIGHT,
    HS6_INFERRED_WEIGHT,
    HS4_INFERRED_WEIGHT,
)
"""Weight of each level of :data:`CODE_LEVELS`."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@cache
def concordance_pairs() -> tuple[IntArray, IntArray]:
    """HS 6-digit -> ISIC Rev.4 class pairs as integer arrays (rows without ISIC dropped)."""
    pairs = hs_to_isic(rev=4, level=4).dropna()
    hs: IntArray = np.asarray(pairs["hs6"].astype(int), dtype=np.int64)
    isic: IntArray = np.asarray(pairs["isic"].astype(int), dtype=np.int64)
    return hs, isic


@dataclass(frozen=True)
class CodeSets:
    """The codes of a need as sorted integer arrays, one per match level."""

    hs6: IntArray
    hs4: IntArray
    hs2: IntArray
    isic_declared: IntArray
    isic_concordance: IntArray
    """ISIC classes the need's HS codes fall in (concordance)."""
    hs6_concordance: IntArray
    """HS codes that fall in one of the need's ISIC classes (declared or concordance)."""
    inferred: tuple[InferredCode, ...] = ()
    """HS codes inferred from the text of a need that names none."""

    @property
    def inferred_hs6(self) -> IntArray:
        return np.unique(np.array([int(c.code) for c in self.inferred], dtype=np.int64))


def code_sets(need: NeedQuery) -> CodeSets:
    """The need's codes at each level (the concordance applied)."""
    hs6 = np.unique(np.array([int(c) for c in need.hs_codes], dtype=np.int64))
    declared = np.unique(np.array([int(c) for c in need.isic_codes], dtype=np.int64))
    c_hs, c_isic = concordance_pairs()
    via = np.unique(c_isic[np.isin(c_hs, hs6)])
    classes = np.union1d(declared, via)
    inferred: tuple[InferredCode, ...] = ()
    if need.infer_codes and not need.hs_codes and not need.isic_codes and need.text:
        inferred = tuple(infer_hs_codes(need.text))
    return CodeSets(
        hs6=hs6,
        hs4=np.unique(hs6 // 100),
        hs2=np.unique(hs6 // 10_000),
        isic_declared=declared,
        isic_concordance=via,
        hs6_concordance=np.unique(c_hs[np.isin(c_isic, classes)]),
        inferred=inferred,
    )


def _rows_in(
    sorted_codes: npt.NDArray[np.int32], rows: IntArray, lo: IntArray, hi: IntArray
) -> IntArray:
    """Rows whose code lies in any of the half-open ranges ``[lo, hi)``."""
    if lo.size == 0 or sorted_codes.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.searchsorted(sorted_codes, lo, side="left")
    ends = np.searchsorted(sorted_codes, hi, side="left")
    spans = [rows[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True) if e > s]
    return np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)


def _code_weights(
    seg: Segment, codes: CodeSets
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int8]]:
    """Best code weight and level (-1: none) of every row of the segment (dense arrays)."""
    found: list[tuple[IntArray, int]] = [
        (_rows_in(seg.hs_sorted, seg.hs_rows, codes.hs6, codes.hs6 + 1), 0),
        (_rows_in(seg.hs_sorted, seg.hs_rows, codes.hs4 * 100, codes.hs4 * 100 + 100), 1),
        (_rows_in(seg.hs_sorted, seg.hs_rows, codes.hs2 * 10_000, codes.hs2 * 10_000 + 10_000), 2),
        (_rows_in(seg.isic_sorted, seg.isic_rows, codes.isic_declared, codes.isic_declared + 1), 3),
        (
            _rows_in(
                seg.isic_sorted,
                seg.isic_rows,
                codes.isic_concordance,
                codes.isic_concordance + 1,
            ),
            4,
        ),
        (
            _rows_in(seg.hs_sorted, seg.hs_rows, codes.hs6_concordance, codes.hs6_concordance + 1),
            4,
        ),
    ]
    if codes.inferred:
        hs6, hs4 = codes.inferred_hs6, np.unique(codes.inferred_hs6 // 100)
        found.append((_rows_in(seg.hs_sorted, seg.hs_rows, hs6, hs6 + 1), 5))
        found.append((_rows_in(seg.hs_sorted, seg.hs_rows, hs4 * 100, hs4 * 100 + 100), 6))
    weight = np.zeros(seg.n)
    level = np.full(seg.n, -1, dtype=np.int8)
    # lowest weight first, so that a row matching several levels keeps its best
    for rows, lvl in sorted(found, key=lambda item: CODE_WEIGHTS[item[1]]):
        if rows.size:
            weight[rows] = CODE_WEIGHTS[lvl]
            level[rows] = lvl
    return weight, level


@dataclass(frozen=True)
class QueryTerm:
    """A term of the query's text and the index terms it matches: ``(term id, similarity)``
    (similarity 1.0 for the term itself; Kazakh forms by trigrams below 1)."""

    term: str
    matches: tuple[tuple[int, float], ...]
    bound: float
    """The most this term can add to a document's BM25, ``max(idf) * (k1 + 1)`` over its matches
    (a Kazakh form found by trigrams then adds its similarity times its share)."""


def bm25_idf(n_docs: int, df: int) -> float:
    """``ln(1 + (N - df + 0.5) / (df + 0.5))``."""
    return math.log(1.0 + (n_docs - df + 0.5) / (df + 0.5))


def _document_frequency(index: MatchIndex, term_id: int) -> int:
    df = 0
    for seg, alive in zip(index.segments, index.alive, strict=True):
        if term_id < seg.tf.shape[1]:
            rows = seg.tf.indices[seg.tf.indptr[term_id] : seg.tf.indptr[term_id + 1]]
            df += int(alive[rows].sum())
    return df


def _similar_terms(index: MatchIndex, term: str) -> dict[int, float]:
    """Index terms whose trigram similarity to ``term`` is at least the threshold.

    Shared trigrams are counted with ``numpy.bincount`` over the trigrams' postings; the
    similarity is :func:`karavan.matching.terms.kazakh_similarity` (the overlap coefficient
    ``shared / min(|T(term)|, |T(other)|)``), computed for all terms at once.
    """
    grams = trigrams(term)
    lists = [index.trigram_postings(g) for g in grams]
    ids = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
    if ids.size == 0:
        return {}
    near, shared = np.unique(ids, return_counts=True)
    sizes = index.trigram_count_array()[near]
    sim = shared / np.minimum(sizes, len(grams))
    keep = np.flatnonzero(sim >= KAZAKH_MIN_SIMILARITY)
    best = keep[np.lexsort((near[keep], -sim[keep]))][:MAX_SIMILAR_TERMS]
    return dict(zip(near[best].tolist(), sim[best].tolist(), strict=True))


def _query_terms(
    index: MatchIndex, text: str | None, kazakh: bool
) -> tuple[list[QueryTerm], dict[int, float]]:
    """The query's terms with their index matches, and the idf of every matched index term.

    Terms with a Kazakh-specific letter, and every Cyrillic term of a Kazakh query
    (``kazakh``), also match similar index terms by trigrams.
    """
    if not text:
        return [], {}
    n_docs = index.live_documents
    idf: dict[int, float] = {}
    out: list[QueryTerm] = []
    terms = query_terms(text)
    kazakh = kazakh or any(is_kazakh_term(t) for t in terms)
    for term in terms:
        matches: dict[int, float] = {}
        exact = index.vocabulary.get(term)
        if exact is not None:
            matches[exact] = 1.0
        if is_kazakh_term(term) or (kazakh and is_cyrillic_word(term)):
            for tid, sim in sorted(_similar_terms(index, term).items()):
                matches.setdefault(tid, sim)
        for tid in matches:
            if tid not in idf:
                idf[tid] = bm25_idf(n_docs, _document_frequency(index, tid))
        best = max((idf[tid] for tid in matches), default=bm25_idf(n_docs, 0))
        out.append(QueryTerm(term, tuple(sorted(matches.items())), best * (BM25_K1 + 1)))
    return out, idf


@dataclass(frozen=True)
class Candidates:
    """Documents that matched a need by code or text (live, organisation published, of a
    wanted kind), one entry per document, in segment then row order.

    ``text_parts[i, g]`` is query term ``g``'s normalised, weighted contribution to document
    ``i``; ``text_match`` the index term id that gave it (-1 none), ``text_tf`` and
    ``text_bm25`` that term's count and raw BM25 (before the similarity factor).
    """

    segment: IntArray
    row: IntArray
    code_weight: FloatArray
    code_level: IntArray
    text_parts: FloatArray
    text_match: IntArray
    text_tf: FloatArray
    text_bm25: FloatArray
    terms: tuple[QueryTerm, ...]
    idf: dict[int, float]

    @property
    def size(self) -> int:
        return int(self.row.size)

    @property
    def text_score(self) -> FloatArray:
        out: FloatArray = self.text_parts.sum(axis=1)
        return out


def _segment_candidates(
    index: MatchIndex,
    seg: Segment,
    alive: npt.NDArray[np.bool_],
    codes: CodeSets,
    terms: list[QueryTerm],
    idf: dict[int, float],
    kinds: npt.NDArray[np.bool_],
) -> tuple[IntArray, FloatArray, IntArray, FloatArray, IntArray, FloatArray, FloatArray]:
    code_weight, code_level = _code_weights(seg, codes)
    postings: list[list[tuple[int, float, IntArray, FloatArray]]] = []
    hit_rows = code_weight > 0
    for qt in terms:
        per_term = []
        for tid, sim in qt.matches:
            if tid < seg.tf.shape[1]:
                lo, hi = seg.tf.indptr[tid], seg.tf.indptr[tid + 1]
                rows = seg.tf.indices[lo:hi].astype(np.int64)
                per_term.append((tid, sim, rows, seg.tf.data[lo:hi]))
                hit_rows[rows] = True
        postings.append(per_term)
    rows = np.flatnonzero(hit_rows)
    orgs = seg.org_id[rows]
    ok = alive[rows] & index.org_published[orgs] & kinds[index.org_kind[orgs]]
    rows = rows[ok]
    n, g = rows.size, len(terms)
    weight = code_weight[rows]
    level = code_level[rows].astype(np.int64)
    parts = np.zeros((n, g))
    match = np.full((n, g), -1, dtype=np.int64)
    tfs = np.zeros((n, g))
    raw = np.zeros((n, g))
    avgdl = index.mean_length or 1.0
    total_bound = sum(qt.bound for qt in terms) or 1.0
    for j, per_term in enumerate(postings):
        for tid, sim, t_rows, t_tf in per_term:
            at = np.searchsorted(rows, t_rows)
            hit = at < n
            hit[hit] = rows[at[hit]] == t_rows[hit]
            at, tf = at[hit], t_tf[hit]
            norm = BM25_K1 * (1 - BM25_B + BM25_B * seg.length[rows[at]] / avgdl)
            bm25 = idf[tid] * tf * (BM25_K1 + 1) / (tf + norm)
            value = TEXT_WEIGHT * sim * bm25 / total_bound
            better = value > parts[at, j]
            at = at[better]
            parts[at, j] = value[better]
            match[at, j] = tid
            tfs[at, j] = tf[better]
            raw[at, j] = bm25[better]
    keep = (weight > 0) | (parts.sum(axis=1) > 0)
    return rows[keep], weight[keep], level[keep], parts[keep], match[keep], tfs[keep], raw[keep]


def retrieve(index: MatchIndex, need: NeedQuery) -> Candidates:
    """Every live document matching ``need`` by code or text, with the code and text parts of
    its score (country, capacity and certifications are added in :mod:`ranking`)."""
    codes = code_sets(need)
    terms, idf = _query_terms(index, need.text, kazakh=need.lang == "kk")
    wanted = need.wanted_kinds()
    kinds = np.array([kind in wanted for kind in KINDS] + [False])  # index -1: unknown kind
    pieces = [
        _segment_candidates(index, seg, alive, codes, terms, idf, kinds)
        for seg, alive in zip(index.segments, index.alive, strict=True)
    ]
    g = len(terms)
    segs = [np.full(p[0].size, i, dtype=np.int64) for i, p in enumerate(pieces)]

    def cat(k: int, empty: npt.NDArray[np.generic]) -> npt.NDArray[np.generic]:
        return np.concatenate([p[k] for p in pieces]) if pieces else empty

    return Candidates(
        segment=np.concatenate(segs) if segs else np.zeros(0, dtype=np.int64),
        row=cat(0, np.zeros(0, dtype=np.int64)).astype(np.int64),
        code_weight=cat(1, np.zeros(0)).astype(np.float64),
        code_level=cat(2, np.zeros(0, dtype=np.int64)).astype(np.int64),
        text_parts=cat(3, np.zeros((0, g))).astype(np.float64),
        text_match=cat(4, np.zeros((0, g), dtype=np.int64)).astype(np.int64),
        text_tf=cat(5, np.zeros((0, g))).astype(np.float64),
        text_bm25=cat(6, np.zeros((0, g))).astype(np.float64),
        terms=tuple(terms),
        idf=idf,
    )
