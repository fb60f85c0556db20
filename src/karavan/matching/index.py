"""The in-memory matching index over the registry's published organisations and products.

Two kinds of document are indexed, in one BM25 corpus:

- a **product** document per published product: its HS 6-digit and ISIC 4-digit codes, its
  text, capacity (with unit) and certifications, and its organisation's id;
- an **organisation profile** per published organisation: its names (English, Russian,
  Kazakh) and description, no codes. Profiles let a science centre or a workshop be found by
  what it says it does even when it lists no products.

Organisations' metadata (published or not, country, kind) sits in arrays indexed by
organisation id, read at query time, so a change of an organisation's country or status
applies to all its products at once; a product whose organisation is not published is never
proposed.

Storage is column-wise numpy, in **segments**: each :class:`Segment` is immutable (codes,
lengths, capacities, a ``scipy.sparse`` CSC matrix of term counts, documents x terms, and the
certifications as CSR), built from a batch of documents. Only the ``alive`` flags change: a
record that is updated or leaves ``published`` has its document flagged dead, and its new
published version, if any, goes into the next segment. :meth:`MatchIndex.apply` takes
change-feed entries (:class:`karavan.registry.ChangeEntry`) in feed order, which is how the
index is both built (the whole feed) and refreshed (the feed since the last cursor); when there
are more than :data:`MAX_SEGMENTS` segments or a third of the documents are dead, the segments
are merged into one. BM25's corpus statistics (document count, mean length, document
frequencies) count live documents only, so they are those of a fresh build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from karavan.matching.terms import is_cyrillic_word, term_counts, trigrams
from karavan.registry import ChangeEntry, OrganisationPublic, OrgKind, ProductPublic

__all__ = ["KINDS", "MAX_SEGMENTS", "PRODUCT", "PROFILE", "MatchIndex", "Segment"]

PRODUCT = 0
"""Document type of a product."""
PROFILE = 1
"""Document type of an organisation profile."""
KINDS: tuple[OrgKind, ...] = tuple(OrgKind)
"""Organisation kinds by their code in :attr:`MatchIndex.org_kind`."""
MAX_SEGMENTS = 8
"""Segments kept before they are merged into one."""
_DEAD_SHARE = 1 / 3
_SEAL_AT = 500_000
"""Documents buffered before a segment is sealed during a large :meth:`MatchIndex.apply`."""

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

_NORMALISE = re.compile(r"[\W_]+")


def normalise_label(value: str) -> str:
    """A unit or certification compared ignoring case, spaces and punctuation
    (``"ISO 9001:2015"`` -> ``"iso90012015"``, ``"t/year"`` -> ``"tyear"``)."""
    return _NORMALISE.sub("", value.lower())


@dataclass(frozen=True)
class Segment:
    """An immutable batch of documents; row ``i`` is the document at global position
    ``start + i``. Codes are integers (``-1`` when absent); ``hs_sorted``/``hs_rows`` (and the
    ISIC pair) are the rows having a code, sorted by it, for range look-ups by prefix."""

    start: int
    doc_type: npt.NDArray[np.int8]
    record_id: IntArray
    org_id: IntArray
    hs6: npt.NDArray[np.int32]
    isic4: npt.NDArray[np.int32]
    capacity: FloatArray
    unit: npt.NDArray[np.int32]
    length: npt.NDArray[np.int32]
    tf: Any  # scipy.sparse.csc_matrix, rows x terms, term counts (float64)
    certs: Any  # scipy.sparse.csr_matrix, rows x certification labels, 1.0 where held
    hs_sorted: npt.NDArray[np.int32]
    hs_rows: IntArray
    isic_sorted: npt.NDArray[np.int32]
    isic_rows: IntArray

    @property
    def n(self) -> int:
        return int(self.record_id.size)


def _sorted_codes(codes: npt.NDArray[np.int32]) -> tuple[npt.NDArray[np.int32], IntArray]:
    rows = np.flatnonzero(codes >= 0)
    order = np.argsort(codes[rows], kind="stable")
    return codes[rows][order], rows[order].astype(np.int64)


@dataclass
class _Buffer:
    """Documents waiting to be sealed into a segment (plain lists, cheap to append to)."""

    doc_type: list[int] = field(default_factory=list)
    record_id: list[int] = field(default_factory=list)
    org_id: list[int] = field(default_factory=list)
    hs6: list[int] = field(default_factory=list)
    isic4: list[int] = field(default_factory=list)
    capacity: list[float] = field(default_factory=list)
    unit: list[int] = field(default_factory=list)
    term_ids: list[list[int]] = field(default_factory=list)
    term_counts: list[list[int]] = field(default_factory=list)
    cert_ids: list[list[int]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.record_id)


def _grow(array: npt.NDArray[Any], size: int, fill: Any) -> npt.NDArray[Any]:
    """``array`` extended (doubling) so that index ``size - 1`` exists, new cells ``fill``."""
    if size <= array.size:
        return array
    new = np.full(max(size, 2 * array.size, 16), fill, dtype=array.dtype)
    new[: array.size] = array
    return new


class MatchIndex:
    """Codes, BM25 term counts, Kazakh trigrams and metadata of published records.

    Build it with :meth:`from_records` (published ``XPublic`` records) or by :meth:`apply`-ing
    change-feed entries; query it through :mod:`karavan.matching.retrieval`.
    """

    def __init__(self) -> None:
        self.segments: list[Segment] = []
        self.alive: list[BoolArray] = []
        self.vocabulary: dict[str, int] = {}
        self.trigram_terms: dict[str, list[int]] = {}
        """trigram -> ids of the Cyrillic terms having it (Kazakh words, and the Russian stems
        that Kazakh shares as loanwords: ``подшипник`` / ``подшипниктер``)."""
        self.trigram_counts: list[int] = []
        """Number of distinct trigrams of each term, by term id (0: not a Cyrillic word)."""
        self._trigram_counts_array: npt.NDArray[np.int64] = np.zeros(0, dtype=np.int64)
        self._trigram_arrays: dict[str, IntArray] = {}
        self.terms: list[str] = []
        self.units: dict[str, int] = {}
        """Capacity unit (normalised by :func:`normalise_label`) -> id."""
        self.unit_labels: list[str] = []
        """Capacity unit label (as first seen) by id."""
        self.certifications: dict[str, int] = {}
        self.certification_labels: list[str] = []
        """Certification label (as first seen) by id."""
        self.org_published: BoolArray = np.zeros(0, dtype=bool)
        self.org_country: npt.NDArray[np.int16] = np.zeros(0, dtype=np.int16)
        self.org_kind: npt.NDArray[np.int8] = np.zeros(0, dtype=np.int8)
        self.countries: list[str] = []
        self._country_ids: dict[str, int] = {}
        # where each record's live document is: (segment, row), segment -1 when none
        self._product_seg: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._product_row: IntArray = np.zeros(0, dtype=np.int64)
        self._profile_seg: npt.NDArray[np.int32] = np.zeros(0, dtype=np.int32)
        self._profile_row: IntArray = np.zeros(0, dtype=np.int64)
        self._versions: dict[str, IntArray] = {
            "organisations": np.zeros(0, dtype=np.int64),
            "products": np.zeros(0, dtype=np.int64),
        }
        self._buffer = _Buffer()
        self.live_documents = 0
        self.live_length = 0

    # --- building ------------------------------------------------------------------------------

    @classmethod
    def from_records(
        cls, organisations: Iterable[OrganisationPublic], products: Iterable[ProductPublic]
    ) -> MatchIndex:
        """An index of the published ones among ``organisations`` and ``products``."""
        return cls.from_rows(
            (org.model_dump(mode="json") for org in organisations),
            (product.model_dump(mode="json") for product in products),
        )

    @classmethod
    def from_rows(
        cls,
        organisations: Iterable[Mapping[str, Any]],
        products: Iterable[Mapping[str, Any]],
    ) -> MatchIndex:
        """An index of the published ones among records given as mappings in the shape of
        ``XPublic.model_dump(mode="json")`` (read: ``id``, ``version``, ``status`` and, for
        organisations, ``kind``, ``country``, ``name_en``, ``name_ru``, ``name_kk``,
        ``description``; for products, ``organisation_id``, ``hs_code``, ``isic_code``,
        ``text``, ``capacity``, ``capacity_unit``, ``certifications``). Not validated: the
        fast path for records that came out of the registry, or for benchmarks."""
        index = cls()
        for entity, rows in (("organisations", organisations), ("products", products)):
            for row in rows:
                index._apply_record(entity, int(row["id"]), int(row["version"]), row)
                if len(index._buffer) >= _SEAL_AT:
                    index._seal()
        index._seal()
        return index

    def apply(self, changes: Iterable[ChangeEntry]) -> int:
        """Apply change-feed entries in feed order (organisations and products; other entities
        are skipped); returns how many were applied (older versions than the index holds are
        skipped). Published versions become matchable; any other status removes the record."""
        applied = 0
        for entry in changes:
            if entry.entity in self._versions and self._apply_record(
                entry.entity, entry.entity_id, entry.version, entry.data, entry.status.value
            ):
                applied += 1
            if len(self._buffer) >= _SEAL_AT:
                self._seal()
        self._seal()
        return applied

    def _apply_record(
        self,
        entity: str,
        record_id: int,
        version: int,
        data: Mapping[str, Any],
        status: str | None = None,
    ) -> bool:
        versions = self._versions[entity] = _grow(self._versions[entity], record_id + 1, 0)
        if version <= versions[record_id]:
            return False
        versions[record_id] = version
        published = (status or data.get("status")) == "published"
        if entity == "organisations":
            self._set_organisation(record_id, data, published)
        else:
            self._set_product(record_id, data, published)
        return True

    def _country_id(self, country: str) -> int:
        found = self._country_ids.get(country)
        if found is None:
            found = self._country_ids[country] = len(self.countries)
            self.countries.append(country)
        return found

    def _set_organisation(self, org_id: int, data: Mapping[str, Any], published: bool) -> None:
        self.org_published = _grow(self.org_published, org_id + 1, False)
        self.org_country = _grow(self.org_country, org_id + 1, -1)
        self.org_kind = _grow(self.org_kind, org_id + 1, -1)
        self.org_published[org_id] = published
        self.org_country[org_id] = self._country_id(str(data["country"]))
        self.org_kind[org_id] = KINDS.index(OrgKind(data["kind"]))
        self._profile_seg = _grow(self._profile_seg, org_id + 1, -1)
        self._profile_row = _grow(self._profile_row, org_id + 1, -1)
        self._kill(self._profile_seg, self._profile_row, org_id)
        if published:
            counts = term_counts(
                data.get("name_en"),
                data.get("name_ru"),
                data.get("name_kk"),
                data.get("description"),
            )
            self._add(PROFILE, org_id, org_id, None, None, None, None, counts, [])

    def _set_product(self, product_id: int, data: Mapping[str, Any], published: bool) -> None:
        org_id = int(data["organisation_id"])
        self.org_published = _grow(self.org_published, org_id + 1, False)
        self.org_country = _grow(self.org_country, org_id + 1, -1)
        self.org_kind = _grow(self.org_kind, org_id + 1, -1)
        self._product_seg = _grow(self._product_seg, product_id + 1, -1)
        self._product_row = _grow(self._product_row, product_id + 1, -1)
        self._kill(self._product_seg, self._product_row, product_id)
        if published:
            self._add(
                PRODUCT,
                product_id,
                org_id,
                data.get("hs_code"),
                data.get("isic_code"),
                data.get("capacity"),
                data.get("capacity_unit"),
                term_counts(data.get("text")),
                list(data.get("certifications") or []),
            )

    def _kill(self, seg_of: npt.NDArray[np.int32], row_of: IntArray, record_id: int) -> None:
        """Flag the record's live document dead (also one still in the buffer)."""
        seg = int(seg_of[record_id])
        if seg == -1:
            return
        row = int(row_of[record_id])
        if seg == len(self.segments):  # still buffered: cannot be removed, so blank it out
            self.live_length -= sum(self._buffer.term_counts[row])
            self._buffer.term_ids[row], self._buffer.term_counts[row] = [], []
            self._buffer.record_id[row] = -1
        else:
            self.alive[seg][row] = False
            self.live_length -= int(self.segments[seg].length[row])
        self.live_documents -= 1
        seg_of[record_id] = -1

    def _add(
        self,
        doc_type: int,
        record_id: int,
        org_id: int,
        hs_code: str | None,
        isic_code: str | None,
        capacity: float | None,
        unit: str | None,
        counts: Mapping[str, int],
        certifications: list[str],
    ) -> None:
        buf = self._buffer
        row = len(buf)
        term_ids = [self._term_id(term) for term in counts]
        cert_ids: list[int] = []
        for label in certifications:
            key = normalise_label(label)
            cid = self.certifications.get(key)
            if cid is None:
                cid = self.certifications[key] = len(self.certification_labels)
                self.certification_labels.append(label)
            cert_ids.append(cid)
        buf.doc_type.append(doc_type)
        buf.record_id.append(record_id)
        buf.org_id.append(org_id)
        buf.hs6.append(int(hs_code) if hs_code else -1)
        buf.isic4.append(int(isic_code) if isic_code else -1)
        buf.capacity.append(float(capacity) if capacity is not None else np.nan)
        buf.unit.append(self._unit_id(unit) if unit else -1)
        buf.term_ids.append(term_ids)
        buf.term_counts.append(list(counts.values()))
        buf.cert_ids.append(cert_ids)
        seg_of, row_of = (
            (self._product_seg, self._product_row)
            if doc_type == PRODUCT
            else (self._profile_seg, self._profile_row)
        )
        seg_of[record_id] = len(self.segments)
        row_of[record_id] = row
        self.live_documents += 1
        self.live_length += sum(counts.values())

    def _unit_id(self, unit: str) -> int:
        key = normalise_label(unit)
        found = self.units.get(key)
        if found is None:
            found = self.units[key] = len(self.unit_labels)
            self.unit_labels.append(unit)
        return found

    def _term_id(self, term: str) -> int:
        found = self.vocabulary.get(term)
        if found is None:
            found = self.vocabulary[term] = len(self.terms)
            self.terms.append(term)
            grams = trigrams(term) if is_cyrillic_word(term) else frozenset()
            for gram in grams:
                self.trigram_terms.setdefault(gram, []).append(found)
            self.trigram_counts.append(len(grams))
        return found

    def _seal(self) -> None:
        """Turn the buffer into a new segment (dropping documents blanked while buffered),
        then merge the segments when there are too many or too many dead documents."""
        buf = self._buffer
        if len(buf):
            keep = [i for i, rid in enumerate(buf.record_id) if rid != -1]
            self._buffer = _Buffer()
            if keep:
                self._append_segment(buf, keep)
        total = sum(s.n for s in self.segments)
        dead = total - self.live_documents
        if len(self.segments) > MAX_SEGMENTS or (total and dead / total > _DEAD_SHARE):
            self.compact()

    def _append_segment(self, buf: _Buffer, keep: list[int]) -> None:
        n = len(keep)
        seg_index = len(self.segments)
        start = self.segments[-1].start + self.segments[-1].n if self.segments else 0
        nnz = np.array([len(buf.term_ids[i]) for i in keep], dtype=np.int64)
        rows = np.repeat(np.arange(n, dtype=np.int64), nnz)
        cols = np.fromiter((t for i in keep for t in buf.term_ids[i]), dtype=np.int64)
        vals = np.fromiter((c for i in keep for c in buf.term_counts[i]), dtype=np.float64)
        tf = sp.csc_matrix((vals, (rows, cols)), shape=(n, len(self.terms)))
        n_certs = np.array([len(buf.cert_ids[i]) for i in keep], dtype=np.int64)
        cert_rows = np.repeat(np.arange(n, dtype=np.int64), n_certs)
        cert_cols = np.fromiter((c for i in keep for c in buf.cert_ids[i]), dtype=np.int64)
        certs = sp.csr_matrix(
            (np.ones(cert_cols.size), (cert_rows, cert_cols)),
            shape=(n, len(self.certification_labels)),
        )
        certs.data[:] = 1.0  # a label listed twice counts once
        hs6 = np.array([buf.hs6[i] for i in keep], dtype=np.int32)
        isic4 = np.array([buf.isic4[i] for i in keep], dtype=np.int32)
        hs_sorted, hs_rows = _sorted_codes(hs6)
        isic_sorted, isic_rows = _sorted_codes(isic4)
        segment = Segment(
            start=start,
            doc_type=np.array([buf.doc_type[i] for i in keep], dtype=np.int8),
            record_id=np.array([buf.record_id[i] for i in keep], dtype=np.int64),
            org_id=np.array([buf.org_id[i] for i in keep], dtype=np.int64),
            hs6=hs6,
            isic4=isic4,
            capacity=np.array([buf.capacity[i] for i in keep], dtype=np.float64),
            unit=np.array([buf.unit[i] for i in keep], dtype=np.int32),
            length=np.asarray(tf.sum(axis=1)).ravel().astype(np.int32),
            tf=tf,
            certs=certs,
            hs_sorted=hs_sorted,
            hs_rows=hs_rows,
            isic_sorted=isic_sorted,
            isic_rows=isic_rows,
        )
        self.segments.append(segment)
        self.alive.append(np.ones(n, dtype=bool))
        self._point_to(seg_index, segment)

    def _point_to(self, seg_index: int, segment: Segment) -> None:
        """Record that ``segment``'s documents are the live ones of their records."""
        rows = np.arange(segment.n, dtype=np.int64)
        for doc_type, seg_of, row_of in (
            (PRODUCT, self._product_seg, self._product_row),
            (PROFILE, self._profile_seg, self._profile_row),
        ):
            mine = segment.doc_type == doc_type
            seg_of[segment.record_id[mine]] = seg_index
            row_of[segment.record_id[mine]] = rows[mine]

    def compact(self) -> None:
        """Merge all segments into one holding only the live documents."""
        if not self.segments:
            return
        masks = self.alive
        segs = self.segments
        n_terms, n_certs = len(self.terms), len(self.certification_labels)

        def cat(name: str) -> npt.NDArray[Any]:
            return np.concatenate([getattr(s, name)[m] for s, m in zip(segs, masks, strict=True)])

        tf = sp.vstack(
            [_widen(s.tf.tocsr()[m], n_terms) for s, m in zip(segs, masks, strict=True)],
            format="csc",
        )
        certs = sp.vstack(
            [_widen(s.certs[m], n_certs) for s, m in zip(segs, masks, strict=True)], format="csr"
        )
        hs6, isic4 = cat("hs6"), cat("isic4")
        hs_sorted, hs_rows = _sorted_codes(hs6)
        isic_sorted, isic_rows = _sorted_codes(isic4)
        merged = Segment(
            start=0,
            doc_type=cat("doc_type"),
            record_id=cat("record_id"),
            org_id=cat("org_id"),
            hs6=hs6,
            isic4=isic4,
            capacity=cat("capacity"),
            unit=cat("unit"),
            length=cat("length"),
            tf=tf,
            certs=certs,
            hs_sorted=hs_sorted,
            hs_rows=hs_rows,
            isic_sorted=isic_sorted,
            isic_rows=isic_rows,
        )
        self.segments = [merged]
        self.alive = [np.ones(merged.n, dtype=bool)]
        self._point_to(0, merged)

    # --- reading -------------------------------------------------------------------------------

    def trigram_postings(self, gram: str) -> IntArray:
        """Ids of the terms having trigram ``gram``, as an array (cached until it grows)."""
        postings = self.trigram_terms.get(gram)
        if postings is None:
            return np.zeros(0, dtype=np.int64)
        cached = self._trigram_arrays.get(gram)
        if cached is None or cached.size != len(postings):
            cached = self._trigram_arrays[gram] = np.asarray(postings, dtype=np.int64)
        return cached

    def trigram_count_array(self) -> npt.NDArray[np.int64]:
        """:attr:`trigram_counts` as an array (rebuilt only when the vocabulary grew)."""
        if self._trigram_counts_array.size != len(self.trigram_counts):
            self._trigram_counts_array = np.asarray(self.trigram_counts, dtype=np.int64)
        return self._trigram_counts_array

    @property
    def mean_length(self) -> float:
        """Mean length (in terms) of the live documents: BM25's ``avgdl``."""
        return self.live_length / self.live_documents if self.live_documents else 0.0

    def product_location(self, product_id: int) -> tuple[int, int] | None:
        """``(segment, row)`` of a product's live document; None when it is not matchable."""
        if product_id >= self._product_seg.size or self._product_seg[product_id] < 0:
            return None
        seg = int(self._product_seg[product_id])
        if seg >= len(self.segments):
            return None
        return seg, int(self._product_row[product_id])

    def products_by_hs6(self, hs6: str) -> list[tuple[int, int]]:
        """``(product id, organisation id)`` of the live products with HS code ``hs6`` whose
        organisation is published, in product id order."""
        code = int(hs6)
        found: list[tuple[int, int]] = []
        for seg, alive in zip(self.segments, self.alive, strict=True):
            lo, hi = np.searchsorted(seg.hs_sorted, [code, code + 1])
            rows = seg.hs_rows[lo:hi]
            rows = rows[alive[rows] & (seg.doc_type[rows] == PRODUCT)]
            orgs = seg.org_id[rows]
            ok = self.org_published[orgs]
            found.extend(zip(seg.record_id[rows][ok].tolist(), orgs[ok].tolist(), strict=True))
        return sorted(found)

    def stats(self) -> dict[str, int]:
        """Sizes: live documents, segments, vocabulary, Kazakh trigrams, bytes of arrays."""
        nbytes = 0
        for seg in self.segments:
            for value in vars(seg).values():
                if isinstance(value, np.ndarray):
                    nbytes += value.nbytes
            for matrix in (seg.tf, seg.certs):
                nbytes += matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
        return {
            "live_documents": self.live_documents,
            "segments": len(self.segments),
            "terms": len(self.terms),
            "trigrams": len(self.trigram_terms),
            "organisations": int(self.org_published.sum()),
            "array_bytes": nbytes,
        }


def _widen(matrix: Any, columns: int) -> Any:
    """``matrix`` (CSR) with ``columns`` columns (the vocabulary grew since it was built)."""
    matrix = sp.csr_matrix(matrix)
    if matrix.shape[1] != columns:
        matrix = sp.csr_matrix(
            (matrix.data, matrix.indices, matrix.indptr), shape=(matrix.shape[0], columns)
        )
    return matrix
