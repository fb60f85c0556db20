"""Notify saved searches of newly published records that match them (issue 7, item 4).

:func:`notify_new_matches` is the notifier's one pass, run on a schedule (or after a review
session). For every active saved search it:

1. reads the registry's change feed of organisations and products after the search's
   position (``cursor_at``, kept by the registry), keeping the entries by which a record
   **enters** ``published``: an approval, or a record created published (bulk import by an
   admin). An admin's edit of a record that stays published is not an entry (the record was
   already there to be found);
2. matches the search's query against the whole index (:meth:`Matcher.match`, refreshed from
   the feed first, with ``limit`` raised to :data:`NOTIFY_DEPTH`, without names), so a new
   record is scored exactly as the search would score it, among all the others;
3. notifies a new **organisation** when it is among the matches at all (by its profile or by
   a product, which the evidence names), and a new **product** of an organisation that was
   already published when its organisation is among the matches by that product (the product
   is the organisation's best document for the query): an organisation published with its
   products is one notification, whatever the order in which they were approved (and its
   products are not announced again later, say when re-published after an edit); the
   notification keeps the match's score and evidence;
4. moves the search's cursor to the end of what was read.

Idempotent: notifications are unique per (search, entity, record) in the registry, so running
twice, or re-reading the feed, never notifies twice. Each pass re-reads the last
:data:`~karavan.matching.feed.OVERLAP` of the feed before a search's cursor (a write that
commits late with an earlier timestamp is not missed), never before the search was created.

An optional ``hook`` is called once per new notification, after it is committed (an e-mail
sender: :func:`email_hook`); a hook that raises is logged and does not stop the pass (the
in-app feed has the notification either way).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from karavan.errors import RecordValidationError
from karavan.matching.feed import MATCHED_ENTITIES, OVERLAP
from karavan.matching.ranking import Match
from karavan.matching.saved import need_of
from karavan.matching.service import Matcher
from karavan.registry import SYSTEM, ChangeEntry, RecordStatus, Registry
from karavan.registry.accounts import get_user
from karavan.registry.saved_searches import (
    NotificationInfo,
    SavedSearchInfo,
    active_saved_searches,
    add_notification,
    advance_cursor,
    notified_records,
)

__all__ = [
    "NOTIFY_DEPTH",
    "EmailSender",
    "NewRecord",
    "NotificationHook",
    "email_hook",
    "entering_published",
    "notify_new_matches",
]

NOTIFY_DEPTH = 100
"""How deep in a saved search's ranking a new record may be to be notified (NeedQuery's
largest ``limit``)."""
_PAGE = 10_000

log = logging.getLogger(__name__)


NotificationHook = Callable[[NotificationInfo, SavedSearchInfo, Match], None]
"""Called once per new notification, after it is committed: the notification, its saved
search and the match it was made from."""


class EmailSender(Protocol):
    """Something that sends one plain-text e-mail (SMTP client, a queue, a test double)."""

    def send(self, to: str, subject: str, body: str) -> None: ...


@dataclass(frozen=True, slots=True)
class NewRecord:
    """A record that entered ``published``: its entity, id, owner organisation and where in the
    feed (``changed_at``, ``cursor``) it did."""

    entity: str
    record_id: int
    organisation_id: int
    changed_at: datetime
    cursor: int


def entering_published(entry: ChangeEntry) -> bool:
    """Whether the feed entry puts its record into ``published`` (not an edit of a record that
    was already published)."""
    return entry.status is RecordStatus.PUBLISHED and entry.action != "update"


def _feed(registry: Registry, since: datetime) -> Iterator[ChangeEntry]:
    """Organisation and product entries after ``since``, every page of them."""
    for entity in MATCHED_ENTITIES:
        at, after = since, None
        while True:
            page = registry.changes_since(SYSTEM, at, entity, _PAGE, after_cursor=after)
            yield from page
            if len(page) < _PAGE:
                break
            at, after = page[-1].changed_at, page[-1].cursor


def _new_record(entry: ChangeEntry) -> NewRecord:
    owner = entry.entity_id if entry.entity == "organisations" else entry.data["organisation_id"]
    return NewRecord(entry.entity, entry.entity_id, int(owner), entry.changed_at, entry.cursor)


def _hit(record: NewRecord, by_org: dict[int, Match]) -> Match | None:
    match = by_org.get(record.organisation_id)
    if match is None:
        return None
    if record.entity == "products" and match.product_id != record.record_id:
        return None
    return match


def _evidence(match: Match) -> dict[str, Any]:
    """What a notification keeps of a match: its rank, score, best record and evidence."""
    return match.model_dump(
        mode="json",
        include={
            "rank",
            "score",
            "organisation_id",
            "country",
            "product_id",
            "hs_code",
            "isic_code",
            "evidence",
        },
    )


def notify_new_matches(
    registry: Registry, matcher: Matcher, *, hook: NotificationHook | None = None
) -> int:
    """Score records newly published since each active saved search's cursor against it, write
    the notifications and move the cursors; return how many notifications were written."""
    matcher.refresh()
    with registry.read_session() as session:
        searches = active_saved_searches(session, SYSTEM)
    if not searches:
        return 0
    start = min(s.cursor_at for s in searches) - OVERLAP
    entries = list(_feed(registry, start))
    if not entries:
        return 0
    end = max(entries, key=lambda e: (e.changed_at, e.cursor))
    new = [_new_record(e) for e in entries if entering_published(e)]
    written = 0
    for search in searches:
        since = max(search.cursor_at - OVERLAP, search.created_at)
        candidates = [r for r in new if r.changed_at > since]
        found: list[tuple[NewRecord, Match]] = []
        if candidates:
            try:
                need = need_of(search).model_copy(update={"limit": NOTIFY_DEPTH})
            except RecordValidationError as exc:
                log.warning("saved search %s skipped: %s", search.id, exc)
                continue
            result = matcher.match(need, describe=False)
            by_org = {m.organisation_id: m for m in result.matches}
            found = [(r, m) for r in candidates if (m := _hit(r, by_org)) is not None]
            new_orgs = {r.record_id for r in candidates if r.entity == "organisations"}
            if any(r.entity == "products" for r, _ in found):
                with registry.read_session() as session:
                    new_orgs |= notified_records(session, SYSTEM, search.id, "organisations")
            found = [
                (r, m)
                for r, m in found
                if r.entity == "organisations" or r.organisation_id not in new_orgs
            ]
        notes: list[tuple[NotificationInfo, Match]] = []
        with registry.session() as session:
            for record, match in found:
                note = add_notification(
                    session,
                    SYSTEM,
                    search.id,
                    record.entity,
                    record.record_id,
                    match.score,
                    _evidence(match),
                )
                if note is not None:
                    notes.append((note, match))
            advance_cursor(session, SYSTEM, search.id, end.changed_at, end.cursor)
        written += len(notes)
        if hook is not None:
            for note, match in notes:
                try:
                    hook(note, search, match)
                except Exception:
                    log.exception("notification hook failed for notification %s", note.id)
    return written


def email_hook(registry: Registry, sender: EmailSender) -> NotificationHook:
    """A hook that e-mails the search's owner about each new match (plain text, in English:
    the record's entity and id, the score and the search's name)."""

    def send(notification: NotificationInfo, search: SavedSearchInfo, match: Match) -> None:
        with registry.read_session() as session:
            user = get_user(session, notification.user_id)
        if not user.is_active:
            return
        organisation = registry.get(SYSTEM, "organisations", match.organisation_id)
        name = getattr(organisation, "name_en", f"organisation {match.organisation_id}")
        what = (
            f"product {notification.record_id} of {name}"
            if notification.entity == "products"
            else name
        )
        sender.send(
            user.email,
            f"Karavan: a new match for your saved search {search.name!r}",
            f"A newly published record matches your saved search {search.name!r}:\n\n"
            f"  {what} ({match.country}), score {match.score:.2f}, rank {match.rank}\n\n"
            f"Open your notifications in Karavan to see why it matched.\n",
        )

    return send
