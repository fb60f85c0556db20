"""Reading the registry's change feed into the matching index, with a cursor.

The registry has no bulk read of published records (``Registry.list`` pages by offset, at most
500 rows a page, which grows quadratic at a million records), so the index is fed from the one
keyset-paged read the registry offers: :meth:`karavan.registry.Registry.changes_since`, read as
the ``SYSTEM`` actor so that versions leaving ``published`` (an editor's edit puts a record back
to ``draft``) are seen and the record is dropped. Built from the whole feed, refreshed from the
position of the last read (:class:`FeedReader`).

One limit of a time-ordered feed: a write whose transaction commits after a later write was
read, with an earlier ``changed_at``, would be passed over (the registry stamps a write when it
runs, inside its transaction). Writes are short, so the window is small; :data:`OVERLAP`
re-reads the last seconds of the feed on every refresh, and the index skips versions it already
holds, so re-reading is harmless.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from karavan.registry import SYSTEM, ChangeEntry, Registry

__all__ = ["EPOCH", "MATCHED_ENTITIES", "OVERLAP", "PAGE", "FeedPosition", "FeedReader"]

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
PAGE = 10_000
"""Entries read per call (the registry's maximum)."""
OVERLAP = dt.timedelta(seconds=5)
"""How far back each refresh starts re-reading (see the module docstring)."""
MATCHED_ENTITIES = ("organisations", "products")


@dataclass(frozen=True)
class FeedPosition:
    """Where the last read of one entity's feed stopped: the last entry's ``changed_at`` and
    ``cursor`` (None before the first entry)."""

    entity: str
    changed_at: dt.datetime = EPOCH
    cursor: int | None = None


class FeedReader:
    """Reads the organisations' and products' feed, remembering where it stopped.

    :meth:`entries` yields the entries since the last read (organisations first, so that their
    products find them), moving :attr:`positions` on as it goes.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.positions: dict[str, FeedPosition] = {e: FeedPosition(e) for e in MATCHED_ENTITIES}

    def entries(self) -> Iterator[ChangeEntry]:
        """The new entries (re-reading :data:`OVERLAP` after a first read)."""
        for entity in MATCHED_ENTITIES:
            position = self.positions[entity]
            since, after = position.changed_at, position.cursor
            if after is not None:
                since, after = since - OVERLAP, None
            while True:
                page = self.registry.changes_since(SYSTEM, since, entity, PAGE, after_cursor=after)
                yield from page
                if page:
                    since, after = page[-1].changed_at, page[-1].cursor
                    if since >= position.changed_at:
                        position = FeedPosition(entity, since, after)
                        self.positions[entity] = position
                if len(page) < PAGE:
                    break
