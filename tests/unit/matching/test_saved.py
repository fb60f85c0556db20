"""Saved searches on the matching side: queries validated as needs, and the notifier that tells
a search's owner about newly published records that match it (once, with the evidence)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from karavan.errors import PermissionDeniedError, RecordValidationError
from karavan.matching import notify
from karavan.matching.feed import OVERLAP
from karavan.matching.notify import NOTIFY_DEPTH, email_hook, notify_new_matches
from karavan.matching.query import NeedQuery
from karavan.matching.ranking import Match
from karavan.matching.saved import canonical_query, change_search, need_of, save_search
from karavan.matching.service import Matcher
from karavan.registry import SYSTEM, Actor, ProductUpdate, Registry, Role
from karavan.registry.accounts import create_user
from karavan.registry.saved_searches import (
    NotificationInfo,
    SavedSearchInfo,
    get_saved_search,
    list_notifications,
)
from tests.unit.matching.conftest import add_org, add_product

PIPES = {"hs_codes": ["730419"], "text": "seamless steel pipes for oil pipelines", "lang": "en"}


def _user(registry: Registry, email: str) -> Actor:
    with registry.session() as session:
        info = create_user(session, SYSTEM, email, "Correct-Horse-9", Role.VIEWER)
    return Actor(user_id=info.id, role=Role.VIEWER, label=email)


def _feed(registry: Registry, actor: Actor) -> list[tuple[str, int]]:
    with registry.read_session() as session:
        return [(n.entity, n.record_id) for n in list_notifications(session, actor)]


@dataclass
class Outbox:
    """A test double of :class:`karavan.matching.notify.EmailSender`."""

    sent: list[tuple[str, str, str]] = field(default_factory=list)

    def send(self, to: str, subject: str, body: str) -> None:
        self.sent.append((to, subject, body))


def test_queries_are_validated_and_stored_in_canonical_form() -> None:
    stored = canonical_query({"text": " seamless pipes ", "hs_codes": ["730419"], "limit": 10})
    assert stored == {"hs_codes": ["730419"], "text": "seamless pipes"}
    assert canonical_query(NeedQuery(text="трубы", preferred_countries=["kaz"])) == {
        "text": "трубы",
        "preferred_countries": ["KAZ"],
    }
    with pytest.raises(RecordValidationError, match="a need needs hs_codes") as caught:
        canonical_query({"lang": "ru"})
    assert caught.value.field == "query"
    with pytest.raises(RecordValidationError, match=r"field hs_codes\.0") as caught:
        canonical_query({"hs_codes": ["999999"]})
    assert caught.value.field == "query.hs_codes.0"
    with pytest.raises(RecordValidationError, match="field colour"):
        canonical_query({"text": "pipes", "colour": "red"})


def test_save_change_and_read_back(registry: Registry) -> None:
    alice = _user(registry, "alice@example.org")
    search = save_search(registry, alice, "Pipes", PIPES)
    assert search.query == {**PIPES, "lang": "en"}
    assert need_of(search) == NeedQuery.model_validate(PIPES)
    changed = change_search(registry, alice, search.id, query={"text": "трубы"}, active=False)
    assert (changed.query, changed.active) == ({"text": "трубы"}, False)
    with pytest.raises(RecordValidationError, match="valid need"):
        change_search(registry, alice, search.id, query={"kinds": ["castle"], "text": "x"})
    bob = _user(registry, "bob@example.org")
    with pytest.raises(PermissionDeniedError, match="belongs to another user"):
        change_search(registry, bob, search.id, name="mine now")


def test_a_stored_query_that_no_longer_validates_names_the_search() -> None:
    broken = SavedSearchInfo(
        id=7,
        user_id=1,
        name="Old",
        query={"hs_codes": ["12"]},
        created_at=None,  # type: ignore[arg-type]
        cursor_at=None,  # type: ignore[arg-type]
        last_cursor=None,
        active=True,
    )
    with pytest.raises(RecordValidationError, match=r"saved search 7 \('Old'\)"):
        need_of(broken)


def test_notifies_records_entering_published_once(registry: Registry) -> None:
    alice = _user(registry, "alice@example.org")
    maker = add_org(registry, "Pavlodar Pipe Works", "KAZ")
    old = add_product(registry, maker, "Seamless steel line pipe", hs_code="730419")
    matcher = Matcher(registry)
    search = save_search(registry, alice, "Pipes", PIPES)
    paused = save_search(registry, alice, "Paused", PIPES, active=False)

    new = add_product(registry, maker, "Seamless steel pipes for oil and gas", hs_code="730419")
    other = add_org(registry, "Ural Tube Plant", "RUS")
    theirs = add_product(registry, other, "Seamless steel pipes", hs_code="730419")
    add_product(registry, maker, "Wheat flour, premium grade", hs_code="110100")
    add_product(registry, maker, "Seamless steel pipes", hs_code="730419", published=False)

    calls: list[tuple[int, str, int]] = []

    def hook(note: NotificationInfo, saved: SavedSearchInfo, match: Match) -> None:
        calls.append((note.id, saved.name, match.organisation_id))

    assert notify_new_matches(registry, matcher, hook=hook) == 2
    # not `old` (published before the search was saved); the new organisation once, not once
    # more for its product
    assert _feed(registry, alice) == [("products", new), ("organisations", other)]
    with registry.read_session() as session:
        note, org_note = list_notifications(session, alice)  # newest first
        moved = get_saved_search(session, alice, search.id)
        still = get_saved_search(session, alice, paused.id)
    assert org_note.evidence["product_id"] == theirs
    assert note.saved_search_id == search.id
    assert note.evidence["organisation_id"] == maker
    assert note.evidence["product_id"] == new
    kinds = {item["kind"] for item in note.evidence["evidence"]}
    assert {"code", "term", "country"} <= kinds
    assert note.score == pytest.approx(sum(i["contribution"] for i in note.evidence["evidence"]))
    assert note.score > 1.0  # HS6 weight 1.0 plus text and country
    assert calls == [(org_note.id, "Pipes", other), (note.id, "Pipes", maker)]
    assert moved.last_cursor is not None
    assert moved.cursor_at > search.cursor_at
    assert still.last_cursor is None  # paused searches are not read

    # a second pass finds nothing new; an admin's edit keeps the record published: no entry
    assert notify_new_matches(registry, matcher, hook=hook) == 0
    record = registry.get(SYSTEM, "products", new)
    registry.update(SYSTEM, "products", new, ProductUpdate(capacity=5.0), record.version)
    assert notify_new_matches(registry, matcher, hook=hook) == 0
    assert len(calls) == 2
    assert old not in {record_id for _, record_id in _feed(registry, alice)}


def _republish(registry: Registry, org: int, product: int) -> None:
    """An editor's edit (back to draft), then review again (published again)."""
    editor = Actor(user_id=None, role=Role.EDITOR, organisation_id=org, label="editor")
    record = registry.get(SYSTEM, "products", product)
    draft = registry.update(
        editor, "products", product, ProductUpdate(capacity=9.0), record.version
    )
    assert draft.status == "draft"
    submitted = registry.submit(SYSTEM, "products", product, draft.version)
    registry.approve(SYSTEM, "products", product, submitted.version)


@pytest.mark.parametrize("overlap", [OVERLAP, timedelta(0)])
def test_a_record_published_again_is_not_notified_twice(
    registry: Registry, monkeypatch: pytest.MonkeyPatch, overlap: timedelta
) -> None:
    """With the default overlap the second pass re-reads the first pass's entries; with none
    it reads only the re-publication."""
    monkeypatch.setattr(notify, "OVERLAP", overlap)
    alice = _user(registry, "alice@example.org")
    known = add_org(registry, "Pavlodar Pipe Works", "KAZ")
    matcher = Matcher(registry)
    save_search(registry, alice, "Pipes", PIPES)
    product = add_product(registry, known, "Seamless steel pipes", hs_code="730419")
    newcomer = add_org(registry, "Ural Tube Plant", "RUS")
    theirs = add_product(registry, newcomer, "Seamless steel pipes", hs_code="730419")
    assert notify_new_matches(registry, matcher) == 2
    _republish(registry, known, product)
    _republish(registry, newcomer, theirs)
    assert notify_new_matches(registry, matcher) == 0
    assert _feed(registry, alice) == [("products", product), ("organisations", newcomer)]


def test_an_organisation_published_after_its_products_is_notified(registry: Registry) -> None:
    alice = _user(registry, "alice@example.org")
    matcher = Matcher(registry)
    save_search(registry, alice, "Pipes", PIPES)
    org = add_org(registry, "Late Pipe Works", "BLR", published=False)
    add_product(registry, org, "Seamless steel pipes", hs_code="730419")
    assert notify_new_matches(registry, matcher) == 0  # its organisation is not public yet
    record = registry.get(SYSTEM, "organisations", org)
    submitted = registry.submit(SYSTEM, "organisations", org, record.version)
    registry.approve(SYSTEM, "organisations", org, submitted.version)
    assert notify_new_matches(registry, matcher) == 1
    assert _feed(registry, alice) == [("organisations", org)]


def test_each_owner_gets_their_own_notifications_and_emails(registry: Registry) -> None:
    alice = _user(registry, "alice@example.org")
    bob = _user(registry, "bob@example.org")
    org = add_org(registry, "Kostanay Mill", "KAZ")
    matcher = Matcher(registry)
    save_search(registry, alice, "Pipes", PIPES)
    save_search(registry, bob, "Flour", {"text": "wheat flour", "hs_codes": ["110100"]})
    flour = add_product(registry, org, "Premium wheat flour", hs_code="110100")
    outbox = Outbox()
    assert notify_new_matches(registry, matcher, hook=email_hook(registry, outbox)) == 1
    assert _feed(registry, alice) == []
    assert _feed(registry, bob) == [("products", flour)]
    ((to, subject, body),) = outbox.sent
    assert to == "bob@example.org"
    assert subject == "Karavan: a new match for your saved search 'Flour'"
    assert f"product {flour} of Kostanay Mill (KAZ)" in body


def test_a_failing_hook_does_not_stop_the_pass(registry: Registry) -> None:
    alice = _user(registry, "alice@example.org")
    org = add_org(registry, "Ural Tube Plant", "RUS")
    other = add_org(registry, "Volga Pipe", "RUS")
    matcher = Matcher(registry)
    save_search(registry, alice, "Pipes", PIPES)
    first = add_product(registry, org, "Seamless steel pipes", hs_code="730419")
    second = add_product(registry, other, "Seamless steel pipes", hs_code="730419")

    def broken(note: NotificationInfo, saved: SavedSearchInfo, match: Match) -> None:
        raise ConnectionError("SMTP server down")

    assert notify_new_matches(registry, matcher, hook=broken) == 2
    assert sorted(_feed(registry, alice)) == [("products", first), ("products", second)]


def test_records_published_just_before_a_search_was_saved_are_not_notified(
    registry: Registry,
) -> None:
    alice = _user(registry, "alice@example.org")
    org = add_org(registry, "Ural Tube Plant", "RUS")
    add_product(registry, org, "Seamless steel pipes", hs_code="730419")
    matcher = Matcher(registry)
    search = save_search(registry, alice, "Pipes", PIPES)
    # the pass re-reads the feed's last seconds before the cursor, never before the search
    assert search.cursor_at - search.created_at < timedelta(seconds=1)
    assert notify_new_matches(registry, matcher) == 0
    assert NOTIFY_DEPTH == 100
