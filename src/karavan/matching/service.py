"""The matching service: the one object the HTTP API, the CLI and Python callers use.

:class:`Matcher` keeps a :class:`~karavan.matching.index.MatchIndex` of the registry's published
organisations and products, fed from the registry's change feed; :meth:`Matcher.refresh` reads
the changes since the last read, so a record published a moment ago becomes matchable (and
one that left ``published`` stops being proposed) without a rebuild. Results are pydantic
models (``MatchResult.model_dump(mode="json")`` is the API's body).

:class:`RegistryProducerDirectory` implements :class:`karavan.trade.producers.ProducerDirectory`
over the same index, so trade views (import substitution) can list registry producers.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pydantic import BaseModel, Field

from karavan.core.gvc.economies import BlocSpec
from karavan.core.table import MRIOTable
from karavan.errors import LabelError, RecordNotFoundError
from karavan.matching import inference
from karavan.matching.feed import FeedReader
from karavan.matching.index import MatchIndex
from karavan.matching.inputs import InputNeed, external_flow_needs, project_inputs
from karavan.matching.query import EAEU_MEMBERS, CountryPolicy, NeedQuery
from karavan.matching.ranking import Match, rank
from karavan.matching.retrieval import concordance_pairs
from karavan.registry import ANONYMOUS, OrganisationPublic, ProductPublic, Registry
from karavan.registry.codes import check_hs6
from karavan.trade.producers import Producer

__all__ = ["InputMatches", "MatchResult", "Matcher", "RegistryProducerDirectory"]


class MatchResult(BaseModel):
    """The answer to one need: the query as understood, the ranked matches, how many
    organisations matched at all, and notes (what was not understood or not available)."""

    query: NeedQuery
    matches: list[Match]
    matched_organisations: int = Field(description="organisations with any code or text match")
    notes: list[str] = []


class InputMatches(BaseModel):
    """One input of a project (or one external input flow) and the suppliers found for it."""

    input: InputNeed
    result: MatchResult | None = Field(description="None when the input has no need to match")


class Matcher:
    """Needs, project inputs and external input flows -> ranked suppliers, with evidence.

    ``Matcher(registry)`` builds its index from the registry's change feed (all published
    organisations and products); pass ``index=`` to use one built elsewhere (a benchmark's
    generated index), in which case :meth:`refresh` still reads the registry's feed from the
    start (records the index already holds at the same version are skipped). ``policy`` sets
    the country rules.

    Thread-safe: :meth:`refresh` and the matching of a need take one lock, so a web worker may
    refresh while others match (matches then wait for the refresh, which applies only the
    changes since the last one).
    """

    def __init__(
        self,
        registry: Registry | None,
        *,
        policy: CountryPolicy | None = None,
        index: MatchIndex | None = None,
    ) -> None:
        self.registry = registry
        self.policy = policy or CountryPolicy()
        self._lock = threading.Lock()
        concordance_pairs()  # load the HS -> ISIC concordance now, not in the first query
        inference.prepare()  # and the HS nomenclature's text model
        self._reader = FeedReader(registry) if registry is not None else None
        self.index = index if index is not None else MatchIndex()
        if index is None:
            self.refresh()

    def refresh(self) -> int:
        """Apply the registry's changes since the last read; returns how many entries were
        applied (0 without a registry)."""
        if self._reader is None:
            return 0
        with self._lock:
            return self.index.apply(self._reader.entries())

    def match(self, need: NeedQuery, *, describe: bool = True) -> MatchResult:
        """The organisations that could meet ``need``, best first, each with its evidence.

        ``describe`` fills in organisation names and product texts from the registry (one read
        per match and per product, about a millisecond each on SQLite); without it, or without
        a registry, matches carry ids, codes and evidence only.
        """
        with self._lock:
            matches, matched = rank(self.index, need, self.policy)
        notes: list[str] = []
        if need.text and not any(e.kind == "term" for m in matches for e in m.evidence):
            notes.append("no organisation matched the text")
        if self.registry is not None and describe:
            _describe(self.registry, matches)
        elif self.registry is None:
            notes.append("names and product texts not filled in: the matcher has no registry")
        if not matches:
            notes.append("no published organisation matched the need's codes or text")
        return MatchResult(query=need, matches=matches, matched_organisations=matched, notes=notes)

    def match_inputs(self, inputs: Sequence[InputNeed]) -> list[InputMatches]:
        """Each input's need matched, in the inputs' order."""
        return [
            InputMatches(input=item, result=self.match(item.need) if item.need else None)
            for item in inputs
        ]

    def match_project(
        self,
        table: MRIOTable,
        region: str,
        sector: str,
        *,
        top: int = 10,
        limit: int = 10,
        technology: bool = False,
    ) -> list[InputMatches]:
        """Suppliers for the top inputs of a project in ``sector`` of ``region``, the inputs
        read from the table's technical coefficients (:func:`project_inputs`)."""
        inputs = project_inputs(table, region, sector, top=top, limit=limit, technology=technology)
        return self.match_inputs(inputs)

    def match_external_flows(
        self,
        table: MRIOTable,
        bloc: BlocSpec = EAEU_MEMBERS,
        *,
        buyer_region: str | None = None,
        top: int = 10,
        limit: int = 10,
    ) -> list[InputMatches]:
        """Who in the bloc could supply the largest inputs the bloc's members buy outside it
        (:func:`external_flow_needs`)."""
        inputs = external_flow_needs(table, bloc, buyer_region=buyer_region, top=top, limit=limit)
        return self.match_inputs(inputs)


class RegistryProducerDirectory:
    """:class:`karavan.trade.producers.ProducerDirectory` over the matching index: producers of
    an HS 6-digit product registered (published) in a country.

    Only ``classification="HS 6-digit"`` is supported: registry products carry HS 2022 and
    ISIC Rev.4 codes, not SITC, and no published concordance maps SITC to HS 6-digit codes
    one to one; any other classification raises :class:`~karavan.errors.LabelError`.
    """

    CLASSIFICATION = "HS 6-digit"

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher

    def producers(self, country: str, product: str, classification: str) -> Sequence[Producer]:
        """Published products with HS code ``product`` whose organisation is in ``country``,
        by product id."""
        if classification != self.CLASSIFICATION:
            raise LabelError(
                f"registry producers are looked up by {self.CLASSIFICATION!r} codes; got "
                f"classification {classification!r} (SITC and other classifications are not "
                "recorded in the registry)"
            )
        code = check_hs6(product)
        index = self.matcher.index
        found: list[Producer] = []
        for product_id, org_id in index.products_by_hs6(code):
            if index.countries[int(index.org_country[org_id])] != country:
                continue
            name = f"organisation {org_id}"
            if self.matcher.registry is not None:
                try:
                    org = self.matcher.registry.get(ANONYMOUS, "organisations", org_id)
                    name = getattr(org, "name_en", name)
                except RecordNotFoundError:
                    continue
            found.append(
                Producer(
                    name=name,
                    country=country,
                    product=code,
                    classification=self.CLASSIFICATION,
                    registry_id=f"products/{product_id}",
                )
            )
        return found


def _describe(registry: Registry, matches: list[Match]) -> None:
    """Fill in names and product texts from the registry (records that changed since the
    last refresh keep the index's data and no names)."""
    for m in matches:
        try:
            org = registry.get(ANONYMOUS, "organisations", m.organisation_id)
            if isinstance(org, OrganisationPublic):
                m.organisation_name_en, m.organisation_name_ru = org.name_en, org.name_ru
            if m.product_id is not None:
                product = registry.get(ANONYMOUS, "products", m.product_id)
                if isinstance(product, ProductPublic):
                    m.product_text = product.text
        except RecordNotFoundError:
            continue
