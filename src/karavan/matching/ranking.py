"""Ranking with evidence: every proposed organisation says why, and its score is the sum of
its evidence.

A candidate document's score is

``score = code weight + text (normalised BM25, by term) + country + capacity + certification``

with the code and text parts from :mod:`karavan.matching.retrieval` and:

- **country** (:class:`~karavan.matching.query.CountryPolicy`): the weight of the first tier
  listing the organisation's country (default: EAEU member 0.2, Belt and Road partner 0.1,
  else 0), plus ``preferred_weight`` (0.15) when the need prefers that country;
- **capacity**, when the need gives a quantity: the product's capacity in the same unit (case,
  spaces and punctuation ignored) at least the quantity adds :data:`CAPACITY_MEETS_WEIGHT`;
  below :data:`CAPACITY_CLEARLY_BELOW` times the quantity adds :data:`CAPACITY_BELOW_WEIGHT`
  (a penalty); in between, or unknown (no capacity, another unit, an organisation profile),
  adds nothing, and the evidence says which;
- **certification**, when the need names some: :data:`CERTIFICATION_WEIGHT` times the share
  of them the product lists.

Only documents with a code or text match are candidates: country, capacity and certifications
reorder candidates, they never make one. An organisation is proposed once, by its best
document; ties are broken by organisation id, then record id, so the order is deterministic.
Each :class:`Match` lists its evidence items, each with its ``contribution``; ``score`` is
their sum (in list order), so the ordering is never opaque.
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field

from karavan.matching.index import KINDS, PRODUCT, MatchIndex, normalise_label
from karavan.matching.query import CountryPolicy, NeedQuery
from karavan.matching.retrieval import (
    CODE_LEVELS,
    CODE_WEIGHTS,
    Candidates,
    CodeSets,
    code_sets,
    concordance_pairs,
    retrieve,
)
from karavan.registry import OrgKind

__all__ = [
    "CAPACITY_BELOW_WEIGHT",
    "CAPACITY_CLEARLY_BELOW",
    "CAPACITY_MEETS_WEIGHT",
    "CERTIFICATION_WEIGHT",
    "CapacityEvidence",
    "CertificationEvidence",
    "CodeEvidence",
    "CountryEvidence",
    "Evidence",
    "Match",
    "TermEvidence",
    "rank",
]

CAPACITY_MEETS_WEIGHT = 0.1
CAPACITY_BELOW_WEIGHT = -0.2
CAPACITY_CLEARLY_BELOW = 0.5
"""A capacity below this share of the wanted quantity is "clearly below" (penalised)."""
CERTIFICATION_WEIGHT = 0.1

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

_VERDICTS: tuple[Literal["unknown", "partial", "meets", "clearly_below"], ...] = (
    "unknown",
    "partial",
    "meets",
    "clearly_below",
)


class CodeEvidence(BaseModel):
    """A code match: ``level`` (HS6, HS4, HS2, ISIC4, ISIC4 via concordance, HS6 or HS4
    inferred from text), the record's ``code`` that matched, the need's ``wanted`` codes it
    matched (inferred ones for inferred levels), ``via`` (the ISIC class linking them through
    the concordance, if that is how) and ``inferred_from``."""

    kind: Literal["code"] = "code"
    level: str
    code: str
    wanted: list[str]
    via: str | None = None
    inferred_from: str | None = Field(
        default=None,
        description="for codes inferred from the need's text: the HS descriptions that matched",
    )
    weight: float
    contribution: float


class TermEvidence(BaseModel):
    """A query term found in the record's text: ``matched`` is the index term (a Kazakh form
    found by trigrams when ``similarity`` < 1), ``field`` where it was found, ``tf`` its count
    there, ``idf`` and ``bm25`` its BM25 parts; ``contribution`` is the normalised, weighted
    share of the score."""

    kind: Literal["term"] = "term"
    term: str
    matched: str
    field: Literal["product text", "organisation profile"]
    tf: float
    idf: float
    bm25: float
    similarity: float
    contribution: float


class CountryEvidence(BaseModel):
    """The country rule applied: the ``tier`` (None when the country is in none) and whether
    the need prefers the country."""

    kind: Literal["country"] = "country"
    country: str
    tier: str | None
    tier_weight: float
    preferred: bool
    preferred_weight: float
    contribution: float


class CapacityEvidence(BaseModel):
    """The capacity rule applied: ``verdict`` is ``meets``, ``partial``, ``clearly_below`` or
    ``unknown`` (no capacity, or a unit that differs from the need's)."""

    kind: Literal["capacity"] = "capacity"
    verdict: Literal["meets", "partial", "clearly_below", "unknown"]
    capacity: float | None
    capacity_unit: str | None
    quantity: float
    unit: str | None
    contribution: float


class CertificationEvidence(BaseModel):
    """Which of the wanted certifications the record lists."""

    kind: Literal["certification"] = "certification"
    held: list[str]
    wanted: list[str]
    contribution: float


Evidence = Annotated[
    CodeEvidence | TermEvidence | CountryEvidence | CapacityEvidence | CertificationEvidence,
    Field(discriminator="kind"),
]


class Match(BaseModel):
    """One proposed organisation, by its best matching record (a product, or its profile when
    ``product_id`` is None), with the evidence that sums to ``score``. Names and the product's
    text are filled in by :class:`~karavan.matching.service.Matcher` from the registry."""

    rank: int
    score: float
    organisation_id: int
    organisation_kind: OrgKind
    country: str
    product_id: int | None
    hs_code: str | None
    isic_code: str | None
    capacity: float | None
    capacity_unit: str | None
    certifications: list[str]
    evidence: list[Evidence]
    organisation_name_en: str | None = None
    organisation_name_ru: str | None = None
    product_text: str | None = None


def _policy_weights(index: MatchIndex, policy: CountryPolicy, need: NeedQuery) -> FloatArray:
    """Country weight by the index's country number (last cell: unknown country)."""
    preferred = set(need.preferred_countries)
    weights = np.zeros(len(index.countries) + 1)
    for i, country in enumerate(index.countries):
        tier = policy.tier_of(country)
        weights[i] = (tier[1] if tier else 0.0) + (
            policy.preferred_weight if country in preferred else 0.0
        )
    return weights


def _rule_scores(
    index: MatchIndex, cand: Candidates, need: NeedQuery, policy: CountryPolicy
) -> tuple[FloatArray, FloatArray, IntArray, FloatArray]:
    """Country, capacity (with its verdict, a number into ``_VERDICTS``) and certification
    parts of every candidate (vectorised)."""
    n = cand.size
    country = np.zeros(n)
    capacity = np.zeros(n)
    verdict = np.zeros(n, dtype=np.int64)
    certs = np.zeros(n)
    weights = _policy_weights(index, policy, need)
    wanted_unit = index.units.get(normalise_label(need.unit)) if need.unit else None
    wanted_certs = [index.certifications.get(normalise_label(c)) for c in need.certifications]
    known_certs = [c for c in wanted_certs if c is not None]
    for s, seg in enumerate(index.segments):
        mine = np.flatnonzero(cand.segment == s)
        if mine.size == 0:
            continue
        rows = cand.row[mine]
        country[mine] = weights[index.org_country[seg.org_id[rows]]]
        if need.quantity is not None:
            cap = seg.capacity[rows]
            unit_ok = seg.unit[rows] == (wanted_unit if wanted_unit is not None else -2)
            if need.unit is None:
                unit_ok = seg.unit[rows] == -1
            comparable = unit_ok & ~np.isnan(cap)
            meets = comparable & (cap >= need.quantity)
            below = comparable & (cap < CAPACITY_CLEARLY_BELOW * need.quantity)
            verdict[mine] = np.where(meets, 2, np.where(below, 3, np.where(comparable, 1, 0)))
            capacity[mine] = np.where(
                meets, CAPACITY_MEETS_WEIGHT, np.where(below, CAPACITY_BELOW_WEIGHT, 0.0)
            )
        if known_certs:
            cols = [c for c in known_certs if c < seg.certs.shape[1]]
            if cols:
                held = np.asarray(seg.certs[rows][:, cols].sum(axis=1)).ravel()
                certs[mine] = CERTIFICATION_WEIGHT * held / len(need.certifications)
    return country, capacity, verdict, certs


def _code_evidence(
    codes: CodeSets, need: NeedQuery, hs6: int, isic4: int, level: int
) -> CodeEvidence:
    weight = CODE_WEIGHTS[level]
    name = CODE_LEVELS[level]
    hs = f"{hs6:06d}" if hs6 >= 0 else None
    isic = f"{isic4:04d}" if isic4 >= 0 else None
    via: str | None = None
    if name == "HS6":
        code, wanted = f"HS6 {hs}", [str(hs)]
    elif name == "HS4":
        code, wanted = f"HS6 {hs}", [c for c in need.hs_codes if c[:4] == str(hs)[:4]]
    elif name == "HS2":
        code, wanted = f"HS6 {hs}", [c for c in need.hs_codes if c[:2] == str(hs)[:2]]
    elif name == "ISIC4":
        code, wanted = f"ISIC4 {isic}", [str(isic)]
    elif name.endswith("inferred from text"):
        digits = 6 if name.startswith("HS6") else 4
        used = [c for c in codes.inferred if c.code[:digits] == str(hs)[:digits]]
        return CodeEvidence(
            level=name,
            code=f"HS6 {hs}",
            wanted=[c.code for c in used],
            inferred_from="; ".join(f"{c.code} {c.description} ({c.score:.2f})" for c in used),
            weight=weight,
            contribution=weight,
        )
    elif isic4 >= 0 and isic4 in set(codes.isic_concordance.tolist()):
        # the record's ISIC class is one the need's HS codes fall in
        code, via = f"ISIC4 {isic}", isic
        wanted = sorted(_hs_in_class(need.hs_codes, isic4))
    else:
        # the record's HS code falls in one of the need's ISIC classes
        classes = set(codes.isic_declared.tolist()) | set(codes.isic_concordance.tolist())
        linking = sorted(_classes_of(hs6) & classes)
        code, via = f"HS6 {hs}", f"{linking[0]:04d}" if linking else None
        wanted = [c for c in need.isic_codes if linking and int(c) in linking]
        if linking:
            wanted += sorted(_hs_in_class(need.hs_codes, linking[0]))
    return CodeEvidence(
        level=name, code=code, wanted=wanted, via=via, weight=weight, contribution=weight
    )


@cache
def _classes_by_hs() -> dict[int, frozenset[int]]:
    """HS 6-digit code -> its ISIC Rev.4 classes (the concordance as a mapping)."""
    out: dict[int, set[int]] = {}
    for hs, isic in zip(*(a.tolist() for a in concordance_pairs()), strict=True):
        out.setdefault(hs, set()).add(isic)
    return {hs: frozenset(classes) for hs, classes in out.items()}


def _classes_of(hs6: int) -> frozenset[int]:
    return _classes_by_hs().get(hs6, frozenset())


def _hs_in_class(hs_codes: list[str], isic4: int) -> list[str]:
    return [c for c in hs_codes if isic4 in _classes_of(int(c))]


def _best_per_organisation(
    total: FloatArray, org: IntArray, record: IntArray, limit: int
) -> IntArray:
    """Candidates (positions) of the best ``limit`` organisations, each by its best document,
    in rank order (score, then organisation id, then record id).

    Sorts only a pool: the candidates scoring at least the ``K``-th best score (ties
    included), ``K`` growing until the pool holds ``limit`` organisations. An organisation with
    a document in the pool has its best one there too, and one without scores below every
    pooled organisation, so the pool's best ``limit`` are the overall best.
    """
    size = int(total.size)
    pool_size = min(size, 4 * limit)
    while True:
        if pool_size < size:
            threshold = np.partition(total, size - pool_size)[size - pool_size]
            pool = np.flatnonzero(total >= threshold)
        else:
            pool = np.arange(size)
        order = pool[np.lexsort((record[pool], org[pool], -total[pool]))]
        _, first = np.unique(org[order], return_index=True)
        best: IntArray = order[np.sort(first)]
        if best.size >= limit or pool.size == size:
            return best[:limit]
        pool_size *= 4


def rank(index: MatchIndex, need: NeedQuery, policy: CountryPolicy) -> tuple[list[Match], int]:
    """The need's best ``need.limit`` organisations, with evidence, and how many
    organisations matched at all."""
    cand = retrieve(index, need)
    if cand.size == 0:
        return [], 0
    country, capacity, verdict, certs = _rule_scores(index, cand, need, policy)
    total = cand.code_weight + cand.text_score + country + capacity + certs
    org = np.empty(cand.size, dtype=np.int64)
    record = np.empty(cand.size, dtype=np.int64)
    for s, seg in enumerate(index.segments):
        mine = cand.segment == s
        org[mine] = seg.org_id[cand.row[mine]]
        record[mine] = seg.record_id[cand.row[mine]]
    best = _best_per_organisation(total, org, record, need.limit)
    matched = int(np.count_nonzero(np.bincount(org)))
    codes = code_sets(need)
    matches = [
        _match(index, cand, int(i), need, policy, codes, (country, capacity, verdict, certs))
        for i in best
    ]
    matches.sort(key=lambda m: (-m.score, m.organisation_id, m.product_id or 0))
    for position, m in enumerate(matches, start=1):
        m.rank = position
    return matches, matched


def _match(
    index: MatchIndex,
    cand: Candidates,
    i: int,
    need: NeedQuery,
    policy: CountryPolicy,
    codes: CodeSets,
    rules: tuple[FloatArray, FloatArray, IntArray, FloatArray],
) -> Match:
    country, capacity, verdict, certs = rules
    seg = index.segments[int(cand.segment[i])]
    row = int(cand.row[i])
    org_id = int(seg.org_id[row])
    is_product = int(seg.doc_type[row]) == PRODUCT
    hs6, isic4 = int(seg.hs6[row]), int(seg.isic4[row])
    evidence: list[Evidence] = []
    if cand.code_level[i] >= 0:
        evidence.append(_code_evidence(codes, need, hs6, isic4, int(cand.code_level[i])))
    for g, qt in enumerate(cand.terms):
        tid = int(cand.text_match[i, g])
        if tid >= 0:
            sim = dict(qt.matches)[tid]
            evidence.append(
                TermEvidence(
                    term=qt.term,
                    matched=index.terms[tid],
                    field="product text" if is_product else "organisation profile",
                    tf=float(cand.text_tf[i, g]),
                    idf=cand.idf[tid],
                    bm25=float(cand.text_bm25[i, g]),
                    similarity=sim,
                    contribution=float(cand.text_parts[i, g]),
                )
            )
    code = index.countries[int(index.org_country[org_id])]
    tier = policy.tier_of(code)
    preferred = code in need.preferred_countries
    evidence.append(
        CountryEvidence(
            country=code,
            tier=tier[0] if tier else None,
            tier_weight=tier[1] if tier else 0.0,
            preferred=preferred,
            preferred_weight=policy.preferred_weight if preferred else 0.0,
            contribution=float(country[i]),
        )
    )
    cap = float(seg.capacity[row])
    unit_id = int(seg.unit[row])
    cap_unit = index.unit_labels[unit_id] if unit_id >= 0 else None
    if need.quantity is not None:
        part = float(capacity[i])
        evidence.append(
            CapacityEvidence(
                verdict=_VERDICTS[int(verdict[i])],
                capacity=None if np.isnan(cap) else cap,
                capacity_unit=cap_unit,
                quantity=need.quantity,
                unit=need.unit,
                contribution=part,
            )
        )
    ptr = seg.certs.indptr
    held_ids = set(seg.certs.indices[ptr[row] : ptr[row + 1]].tolist())
    labels = [index.certification_labels[c] for c in sorted(held_ids)]
    if need.certifications:
        held = [
            c
            for c in need.certifications
            if index.certifications.get(normalise_label(c)) in held_ids
        ]
        evidence.append(
            CertificationEvidence(
                held=held, wanted=list(need.certifications), contribution=float(certs[i])
            )
        )
    score = 0.0
    for item in evidence:
        score += item.contribution
    return Match(
        rank=0,
        score=score,
        organisation_id=org_id,
        organisation_kind=KINDS[int(index.org_kind[org_id])],
        country=code,
        product_id=int(seg.record_id[row]) if is_product else None,
        hs_code=f"{hs6:06d}" if hs6 >= 0 else None,
        isic_code=f"{isic4:04d}" if isic4 >= 0 else None,
        capacity=None if np.isnan(cap) else cap,
        capacity_unit=cap_unit,
        certifications=labels,
        evidence=evidence,
    )
