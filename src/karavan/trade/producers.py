"""Extension point: member-state producers of a product, from the enterprise registry.

The registry (``karavan.registry``, another issue) does not exist yet. Views that could name
producers (:func:`karavan.trade.eaeu.import_substitution`) take an optional
:class:`ProducerDirectory`; without one they add no producer column and say so in their notes.
When the registry lands it implements this protocol (``matching`` and the entry points pass it
in), so that ``trade`` keeps importing nothing from ``registry``.

Karavan ships no implementation on purpose: a list of producers must come from the registry's
records, never be invented.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

__all__ = ["NO_REGISTRY_NOTE", "Producer", "ProducerDirectory"]

NO_REGISTRY_NOTE = (
    "member-state producers: not listed, the enterprise registry is not available yet "
    "(pass a karavan.trade.producers.ProducerDirectory once it is)"
)


@dataclass(frozen=True)
class Producer:
    """One enterprise that makes a product, as the registry records it."""

    name: str
    country: str
    product: str
    classification: str
    registry_id: str


@runtime_checkable
class ProducerDirectory(Protocol):
    """Looks up producers of a product in a country (ISO3), in a product classification such
    as ``"HS 6-digit"`` or ``"SITC Rev.2 4-digit"``."""

    def producers(self, country: str, product: str, classification: str) -> Sequence[Producer]:
        """Producers registered in ``country`` for ``product`` (empty when none are)."""
        ...
