"""HS codes inferred from a need's text, through the official HS nomenclature.

Codes carry across languages, words do not: an English need ("crude sunflower oil") finds a
supplier who wrote in Russian ("масло подсолнечное сырое") only if both meet at a code. When a
need names no code, its text is searched in the HS 2022 nomenclature's descriptions (English,
from :func:`karavan.classifications.hs_nomenclature`): each 6-digit subheading is a document
made of its own description and its heading's, scored with the same BM25 as the registry's
texts (:mod:`karavan.matching.retrieval`), normalised by the most the query could score. The
best subheadings scoring at least :data:`INFER_MIN_SCORE`, and within :data:`INFER_RELATIVE` of
the best, become inferred codes (at most :data:`INFER_MAX_CODES`), matched at low weights
(``HS6 inferred from text`` 0.3, ``HS4 inferred from text`` 0.2) and shown as such in the
evidence. Russian and Kazakh texts infer nothing: Karavan ships English descriptions only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from karavan.classifications import hs_nomenclature
from karavan.matching.terms import query_terms, term_counts

__all__ = [
    "INFER_MAX_CODES",
    "INFER_MIN_SCORE",
    "INFER_RELATIVE",
    "InferredCode",
    "infer_hs_codes",
    "prepare",
]

INFER_MIN_SCORE = 0.25
"""Least normalised BM25 score (0..1) of a subheading's description for it to be inferred."""
INFER_RELATIVE = 0.9
"""Inferred codes score at least this share of the best one."""
INFER_MAX_CODES = 5
_K1 = 1.2
_B = 0.75


@dataclass(frozen=True)
class InferredCode:
    """An HS subheading inferred from text: its ``score`` (normalised BM25) and description."""

    code: str
    score: float
    description: str


@dataclass(frozen=True)
class _Model:
    codes: list[str]
    descriptions: list[str]
    vocabulary: dict[str, int]
    matrix: sp.csc_matrix
    """Documents x terms: each term's BM25 saturation ``tf (k1 + 1) / (tf + k1 (...))``."""
    idf: npt.NDArray[np.float64]


@cache
def _model() -> _Model:
    frame = hs_nomenclature()
    text = dict(zip(frame["code"].astype(str), frame["description"].astype(str), strict=True))
    codes = [c for c in frame.loc[frame["level"] == 6, "code"].astype(str)]
    docs = [term_counts(text[c], text.get(c[:4])) for c in codes]
    vocabulary: dict[str, int] = {}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    for i, doc in enumerate(docs):
        for term, count in doc.items():
            rows.append(i)
            cols.append(vocabulary.setdefault(term, len(vocabulary)))
            vals.append(float(count))
    tf = sp.csc_matrix((vals, (rows, cols)), shape=(len(docs), len(vocabulary)))
    length = np.asarray(tf.sum(axis=1)).ravel()
    norm = _K1 * (1 - _B + _B * length / length.mean())
    bm = tf.tocoo()
    partial = bm.data * (_K1 + 1) / (bm.data + norm[bm.row])
    matrix = sp.csc_matrix((partial, (bm.row, bm.col)), shape=tf.shape)
    df = np.diff(tf.indptr)
    n = len(docs)
    idf = np.log(1 + (n - df + 0.5) / (df + 0.5))
    return _Model(codes, [text[c] for c in codes], vocabulary, matrix, idf)


def prepare() -> None:
    """Build the nomenclature's BM25 model now (about 1.5 s, once per process) rather than in
    the first need without codes."""
    _model()


def infer_hs_codes(text: str) -> list[InferredCode]:
    """HS 2022 subheadings whose descriptions match ``text`` (module docstring), best first
    (ties by code); empty when none scores high enough."""
    model = _model()
    terms = query_terms(text)
    if not terms:
        return []
    n = len(model.codes)
    known = [model.vocabulary[t] for t in terms if t in model.vocabulary]
    if not known:
        return []
    unknown_idf = math.log(1 + (n + 0.5) / 0.5)
    bound = (sum(float(model.idf[t]) for t in known) + unknown_idf * (len(terms) - len(known))) * (
        _K1 + 1
    )
    scores = np.asarray(model.matrix[:, known] @ model.idf[known]).ravel() / bound
    best = float(scores.max())
    if best < INFER_MIN_SCORE:
        return []
    chosen = np.flatnonzero(scores >= INFER_RELATIVE * best)
    order = chosen[np.lexsort((chosen, -scores[chosen]))][:INFER_MAX_CODES]
    return [InferredCode(model.codes[i], float(scores[i]), model.descriptions[i]) for i in order]
