"""The trade table: one frozen, validated value of exports by exporter and product.

Notation (Hidalgo and Hausmann 2009; Hausmann et al. 2014, *The Atlas of Economic Complexity*),
with exporters ``c`` (countries, or blocs) and products ``p``:

- ``X`` (C x P)     exports of product ``p`` by exporter ``c`` to the whole world, ``x_cp``
- ``flows``         optional partner dimension: ``x_cmp``, exports of ``p`` from ``c`` to
                    importer ``m``, held sparse as a (C * M) x P matrix, exporter-major
- ``coverage``      what the partner dimension covers: ``"none"`` (no partners),
                    ``"complete"`` (``sum_m x_cmp = x_cp`` for every exporter and product) or
                    ``"partial"`` (only some partners: ``sum_m x_cmp <= x_cp``; the rest of each
                    exporter's trade went to partners the table does not name)

Imports of ``m`` (``sum_c x_cmp``) are known only as far as the table holds the exporters that
sell to ``m``: a table of one country's exports says nothing about that country's imports.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
import scipy.sparse as sp

from karavan.errors import LabelError, NegativeValueError, NonFiniteError, ShapeError, TableError

__all__ = ["Array", "Coverage", "TradeMetadata", "TradeTable"]

Array = np.ndarray[Any, np.dtype[np.float64]]
Coverage = Literal["none", "complete", "partial"]

PARTIAL_TOLERANCE = 1e-9
"""Relative allowance when checking partner flows against exports (rounding of published data)."""


@dataclass(frozen=True)
class TradeMetadata:
    """Where trade data come from and how to read its numbers.

    ``unit`` multiplies ``currency`` (``"thousand"`` for BACI, ``""`` for Comtrade's dollars);
    ``period`` describes the time span when the values are not one calendar year (the built-in
    world data are the 1998-2000 average); ``product_names`` and ``product_groups`` label
    products (a group is the section or community a product belongs to).
    """

    source: str = "user"
    edition: str = ""
    classification: str = ""
    currency: str = "USD"
    unit: str = ""
    period: str = ""
    licence: str = ""
    citation: str = ""
    notes: str = ""
    product_names: Mapping[str, str] = field(default_factory=dict)
    product_groups: Mapping[str, str] = field(default_factory=dict)

    @property
    def value_unit(self) -> str:
        """The unit of values as people write it: ``USD thousand``."""
        return f"{self.currency} {self.unit}".strip()

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "edition": self.edition,
            "classification": self.classification,
            "currency": self.currency,
            "unit": self.unit,
            "period": self.period,
            "licence": self.licence,
            "citation": self.citation,
            "notes": self.notes,
        }


def _labels(values: Iterable[Any], what: str) -> tuple[str, ...]:
    labels = tuple(str(v) for v in values)
    if len(set(labels)) != len(labels):
        seen: set[str] = set()
        dup = next(lab for lab in labels if lab in seen or seen.add(lab))  # type: ignore[func-returns-value]
        raise LabelError(f"{what} labels must be unique; {dup!r} appears more than once")
    return labels


def _check_values(arr: np.ndarray[Any, Any], what: str, labels: tuple[Sequence[str], ...]) -> None:
    bad = ~np.isfinite(arr)
    if bad.any():
        idx = np.argwhere(bad)[0]
        where = ", ".join(str(lab[i]) for lab, i in zip(labels, idx, strict=False))
        raise NonFiniteError(f"{what} holds {int(bad.sum())} non-finite value(s); first at {where}")
    neg = arr < 0
    if neg.any():
        idx = np.argwhere(neg)[0]
        where = ", ".join(str(lab[i]) for lab, i in zip(labels, idx, strict=False))
        raise NegativeValueError(
            f"{what} must be non-negative; got {float(arr[tuple(idx)])!r} at {where} "
            f"({int(neg.sum())} negative value(s))"
        )


def _frozen(arr: Array) -> Array:
    arr.flags.writeable = False
    return arr


def _frozen_sparse(m: Any) -> Any:
    for part in (m.data, m.indices, m.indptr):
        part.flags.writeable = False
    return m


@dataclass(frozen=True, eq=False)
class TradeTable:
    """Exports by exporter and product for one year, with an optional partner dimension.

    Immutable: arrays are read-only and every operation returns a new table. Construction
    checks shapes, unique labels, finite non-negative values and, with partners, that the
    partner flows add up to the exports (``complete``) or stay within them (``partial``).
    Build with :meth:`from_arrays`, :meth:`from_frame` (a long frame) or the readers in
    :mod:`karavan.trade.readers`.
    """

    year: int | None
    exporters: tuple[str, ...]
    products: tuple[str, ...]
    X: Array
    importers: tuple[str, ...] = ()
    flows: Any = None  # scipy.sparse.csr_array, (exporters * importers) x products
    coverage: Coverage = "none"
    meta: TradeMetadata = field(default_factory=TradeMetadata)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_arrays(
        cls,
        *,
        exporters: Sequence[str],
        products: Sequence[str],
        X: Any = None,
        importers: Sequence[str] = (),
        flows: Any = None,
        coverage: Coverage | None = None,
        year: int | None = None,
        meta: TradeMetadata | None = None,
    ) -> TradeTable:
        """A table from arrays: ``X`` (exporters x products) and/or ``flows``.

        ``flows`` is an exporters x importers x products array (dense) or a sparse matrix of
        shape (exporters * importers) x products, exporter-major. Without ``X`` the exports are
        the flows summed over importers and the coverage is ``complete``; with both, the
        coverage defaults to ``partial`` (checked: flows may not exceed exports).
        """
        ex = _labels(exporters, "exporter")
        pr = _labels(products, "product")
        im = _labels(importers, "importer")
        F: Any = None
        if flows is not None:
            if not im:
                raise ShapeError("partner flows need importer labels; got none")
            if sp.issparse(flows):
                F = sp.csr_array(flows, dtype=np.float64, copy=True)
            else:
                dense = np.asarray(flows, dtype=np.float64)
                if dense.shape != (len(ex), len(im), len(pr)):
                    raise ShapeError(
                        f"flows must have shape (exporters, importers, products) = "
                        f"{(len(ex), len(im), len(pr))}; got {dense.shape}"
                    )
                F = sp.csr_array(dense.reshape(len(ex) * len(im), len(pr)))
            if F.shape != (len(ex) * len(im), len(pr)):
                raise ShapeError(
                    f"sparse flows must have shape (exporters * importers, products) = "
                    f"{(len(ex) * len(im), len(pr))}; got {F.shape}"
                )
            F.sum_duplicates()
            F.eliminate_zeros()
            _check_values(F.data, "partner flows", ())
        elif im:
            raise ShapeError(f"{len(im)} importer label(s) given without partner flows")
        if X is None:
            if F is None:
                raise ShapeError("give exports X, partner flows, or both")
            X_a = _sum_over_importers(F, len(ex), len(im))
            cov: Coverage = "complete" if coverage is None else coverage
        else:
            X_a = np.array(X, dtype=np.float64, copy=True)
            if X_a.shape != (len(ex), len(pr)):
                raise ShapeError(
                    f"X must have shape (exporters, products) = {(len(ex), len(pr))}; "
                    f"got {X_a.shape}"
                )
            cov = ("partial" if F is not None else "none") if coverage is None else coverage
        return cls(
            year=None if year is None else int(year),
            exporters=ex,
            products=pr,
            X=X_a,
            importers=im,
            flows=F,
            coverage=cov,
            meta=meta or TradeMetadata(),
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        year: int | None = None,
        meta: TradeMetadata | None = None,
        exporters: Sequence[str] | None = None,
        products: Sequence[str] | None = None,
    ) -> TradeTable:
        """A table from a long frame with columns ``exporter``, ``product``, ``value`` and
        optionally ``importer``; a (exporter, [importer,] product) key may appear once.

        Labels keep their first-seen order unless ``exporters`` / ``products`` give it (then
        every label of the frame must be among them; absent ones get zero exports).
        """
        need = ["exporter", "product", "value"]
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise LabelError(
                f"a trade frame needs columns {need} (+ optional 'importer'); "
                f"missing {missing}, has {list(frame.columns)}"
            )
        has_partner = "importer" in frame.columns
        keys = ["exporter", "importer", "product"] if has_partner else ["exporter", "product"]
        ex_codes, ex_labels = _codes(frame["exporter"], exporters, "exporter")
        pr_codes, pr_labels = _codes(frame["product"], products, "product")
        im_codes, im_labels = (
            _codes(frame["importer"], None, "importer") if has_partner else (ex_codes * 0, ("",))
        )
        dup = duplicated_keys(ex_codes, im_codes, pr_codes, len(im_labels), len(pr_labels))
        if dup.size:
            first = frame[keys].iloc[int(dup[0])].astype(str).to_dict()
            raise LabelError(
                f"each {tuple(keys)} may appear once; {first} appears more than once "
                f"({dup.size} repeated key(s))"
            )
        values = frame["value"].to_numpy(dtype=np.float64)
        if not has_partner:
            X = np.zeros((len(ex_labels), len(pr_labels)))
            X[ex_codes, pr_codes] = values
            return cls.from_arrays(
                exporters=ex_labels, products=pr_labels, X=X, year=year, meta=meta
            )
        rows = ex_codes * len(im_labels) + im_codes
        F = sp.csr_array(
            (values, (rows, pr_codes)), shape=(len(ex_labels) * len(im_labels), len(pr_labels))
        )
        return cls.from_arrays(
            exporters=ex_labels,
            products=pr_labels,
            importers=im_labels,
            flows=F,
            year=year,
            meta=meta,
        )

    def __post_init__(self) -> None:
        if self.coverage not in ("none", "complete", "partial"):
            raise TableError(
                f"coverage must be 'none', 'complete' or 'partial'; got {self.coverage!r}"
            )
        if self.X.shape != (len(self.exporters), len(self.products)):
            raise ShapeError(
                f"X must have shape {(len(self.exporters), len(self.products))}; got {self.X.shape}"
            )
        _check_values(self.X, "exports X", (self.exporters, self.products))
        if self.X.flags.writeable:
            _frozen(self.X)
        if self.flows is None:
            if self.coverage != "none" or self.importers:
                raise TableError("a table without partner flows must have coverage 'none'")
            return
        if self.coverage == "none":
            raise TableError("a table with partner flows needs coverage 'complete' or 'partial'")
        _frozen_sparse(self.flows)
        summed = _sum_over_importers(self.flows, len(self.exporters), len(self.importers))
        scale = np.maximum(np.abs(self.X), 1.0) * PARTIAL_TOLERANCE
        over = summed - self.X > scale
        if over.any():
            c, p = np.argwhere(over)[0]
            raise TableError(
                f"partner flows exceed exports: exporter {self.exporters[c]}, product "
                f"{self.products[p]}: flows sum to {float(summed[c, p])!r}, exports are "
                f"{float(self.X[c, p])!r} ({int(over.sum())} cell(s))"
            )
        if self.coverage == "complete":
            under = self.X - summed > scale
            if under.any():
                c, p = np.argwhere(under)[0]
                raise TableError(
                    f"coverage 'complete' needs partner flows to add up to exports: exporter "
                    f"{self.exporters[c]}, product {self.products[p]}: flows sum to "
                    f"{float(summed[c, p])!r}, exports are {float(self.X[c, p])!r}; "
                    "use coverage 'partial'"
                )

    # ------------------------------------------------------------------ views
    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.exporters), len(self.products))

    @property
    def has_partners(self) -> bool:
        return self.flows is not None

    def exports(self) -> pd.DataFrame:
        """Exports as a labelled frame (exporter x product)."""
        return pd.DataFrame(
            np.array(self.X),
            index=pd.Index(self.exporters, name="exporter"),
            columns=pd.Index(self.products, name="product"),
        )

    def to_frame(self, *, partners: bool = False) -> pd.DataFrame:
        """Long frame of the non-zero cells: ``exporter, product, value`` or, with ``partners``,
        ``exporter, importer, product, value`` (a table with partner flows only)."""
        if not partners:
            c, p = np.nonzero(self.X)
            return pd.DataFrame(
                {
                    "exporter": np.asarray(self.exporters, dtype=object)[c],
                    "product": np.asarray(self.products, dtype=object)[p],
                    "value": self.X[c, p],
                }
            )
        F = self._require_flows("a partner frame")
        coo = F.tocoo()
        n_im = len(self.importers)
        return pd.DataFrame(
            {
                "exporter": np.asarray(self.exporters, dtype=object)[coo.row // n_im],
                "importer": np.asarray(self.importers, dtype=object)[coo.row % n_im],
                "product": np.asarray(self.products, dtype=object)[coo.col],
                "value": np.asarray(coo.data, dtype=np.float64),
            }
        )

    def flows_between(
        self, exporters: Iterable[str] | None = None, importers: Iterable[str] | None = None
    ) -> Array:
        """``sum`` of partner flows from ``exporters`` to ``importers`` (all when None), by
        product. Labels the table lacks raise :class:`~karavan.errors.LabelError`."""
        F = self._require_flows("flows between partners")
        ex = self._positions(self.exporters, exporters, "exporter")
        im = self._positions(self.importers, importers, "importer")
        rows = (ex[:, None] * len(self.importers) + im[None, :]).ravel()
        if rows.size == 0:
            return np.zeros(len(self.products))
        return np.asarray(F[rows].sum(axis=0), dtype=np.float64).ravel()

    def imports(self) -> pd.DataFrame:
        """Imports by importer and product, ``sum_c x_cmp`` over the exporters in the table.

        These are the importer's whole imports only when the table holds every exporter that
        sells to it (a world bilateral table such as BACI); the caller decides whether it does.
        """
        F = self._require_flows("imports")
        n_im, n_pr = len(self.importers), len(self.products)
        coo = F.tocoo()
        flat = (np.asarray(coo.row) % n_im) * n_pr + np.asarray(coo.col)
        summed = np.bincount(flat, weights=coo.data, minlength=n_im * n_pr).reshape(n_im, n_pr)
        return pd.DataFrame(
            summed,
            index=pd.Index(self.importers, name="importer"),
            columns=pd.Index(self.products, name="product"),
        )

    # ------------------------------------------------------------------ new tables
    def select(
        self,
        *,
        exporters: Sequence[str] | None = None,
        products: Sequence[str] | None = None,
    ) -> TradeTable:
        """A table with only the given exporters and/or products (in the given order)."""
        ex = self._positions(self.exporters, exporters, "exporter")
        pr = self._positions(self.products, products, "product")
        F = None
        if self.flows is not None:
            n_im = len(self.importers)
            rows = (ex[:, None] * n_im + np.arange(n_im)[None, :]).ravel()
            F = self.flows[rows][:, pr]
        return TradeTable.from_arrays(
            exporters=[self.exporters[i] for i in ex],
            products=[self.products[j] for j in pr],
            X=self.X[np.ix_(ex, pr)],
            importers=self.importers if F is not None else (),
            flows=F,
            coverage=self.coverage if F is not None else None,
            year=self.year,
            meta=self.meta,
        )

    def drop_exporters(self, exporters: Iterable[str]) -> TradeTable:
        """A table without the given exporters (each must be in the table)."""
        gone = set(self._positions(self.exporters, list(exporters), "exporter").tolist())
        return self.select(exporters=[e for i, e in enumerate(self.exporters) if i not in gone])

    def with_meta(self, **changes: Any) -> TradeTable:
        """The same table with metadata fields replaced."""
        return replace(self, meta=replace(self.meta, **changes))

    # ------------------------------------------------------------------ helpers
    def _require_flows(self, what: str) -> Any:
        if self.flows is None:
            raise TableError(
                f"{what} need(s) a partner (importer) dimension; this table "
                f"({self.meta.source or 'trade data'}) holds exports to the world only"
            )
        return self.flows

    @staticmethod
    def _positions(
        labels: tuple[str, ...], wanted: Iterable[str] | None, what: str
    ) -> np.ndarray[Any, np.dtype[np.intp]]:
        if wanted is None:
            return np.arange(len(labels))
        index = {lab: i for i, lab in enumerate(labels)}
        wanted_l = [str(w) for w in wanted]
        missing = [w for w in wanted_l if w not in index]
        if missing:
            raise LabelError(
                f"unknown {what}(s) {missing[:10]}; the table has {len(labels)} {what}s "
                f"(e.g. {', '.join(labels[:5])})"
            )
        return np.array([index[w] for w in wanted_l], dtype=np.intp)


def _sum_over_importers(F: Any, n_ex: int, n_im: int) -> Array:
    """(C * M) x P -> C x P: exports of each exporter to all importers together."""
    coo = F.tocoo()
    n_pr = int(F.shape[1])
    flat = (np.asarray(coo.row) // max(n_im, 1)) * n_pr + np.asarray(coo.col)
    summed = np.bincount(flat, weights=coo.data, minlength=n_ex * n_pr)
    return np.asarray(summed, dtype=np.float64).reshape(n_ex, n_pr)


def duplicated_keys(
    ex: np.ndarray[Any, Any],
    im: np.ndarray[Any, Any],
    pr: np.ndarray[Any, Any],
    n_im: int,
    n_pr: int,
) -> np.ndarray[Any, np.dtype[np.intp]]:
    """Positions of (exporter, importer, product) codes that repeat an earlier row."""
    key = (ex.astype(np.int64) * n_im + im.astype(np.int64)) * n_pr + pr.astype(np.int64)
    return np.flatnonzero(pd.Series(key).duplicated().to_numpy())


def _codes(
    values: pd.Series, order: Sequence[str] | None, what: str
) -> tuple[np.ndarray[Any, np.dtype[np.intp]], tuple[str, ...]]:
    if order is None:
        codes, uniques = pd.factorize(values, sort=False)
        if (codes < 0).any():
            raise LabelError(f"{what} labels may not be missing")
        return codes.astype(np.intp), tuple(str(u) for u in uniques)
    labels = _labels(order, what)
    cat = pd.Categorical(values.astype(str), categories=list(labels))
    codes = np.asarray(cat.codes, dtype=np.intp)
    if (codes < 0).any():
        bad = values[codes < 0].iloc[0]
        raise LabelError(f"{what} {bad!r} is not among the {len(labels)} {what}s given")
    return codes, labels
