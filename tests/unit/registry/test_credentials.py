"""Credentials: API tokens (issue, list, revoke, expiry, last-used throttling) and web sessions
with their CSRF token; plaintext tokens never reach the database or the audit log.

Runs on SQLite and on PostgreSQL (a fresh database per test, from the ``registry_url`` fixture).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from karavan.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RecordNotFoundError,
    RecordValidationError,
)
from karavan.registry import accounts, audit, credentials, open_registry
from karavan.registry.actors import SYSTEM, Actor, Role
from karavan.registry.store.account_models import ApiTokenRow, WebSessionRow
from karavan.registry.store.base import utcnow

PASSWORD = "Correct horse 42"


@pytest.fixture
def engine(registry_url: str) -> Iterator[Engine]:
    """A fresh database (SQLite, or PostgreSQL under ``make test``) built by the migrations."""
    registry = open_registry(registry_url)
    yield registry.engine
    registry.close()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def _admin(session: Session) -> Actor:
    info = accounts.create_user(session, SYSTEM, "Admin@Example.org", PASSWORD, Role.ADMIN)
    session.commit()
    return Actor(user_id=info.id, role=Role.ADMIN, label=f"user:{info.id}")


def _user(session: Session, email: str = "ed@example.org", role: Role = Role.EDITOR) -> int:
    info = accounts.create_user(session, SYSTEM, email, PASSWORD, role, organisation_id=None)
    session.commit()
    return info.id


# --- API tokens ---------------------------------------------------------------------------------


def test_token_lifecycle(session: Session) -> None:
    user_id = _user(session)
    me = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    token, info = credentials.issue_api_token(session, me, user_id, "ci script")
    session.commit()
    assert len(token) == 43
    assert info.token_prefix == token[:8]
    row = session.get(ApiTokenRow, info.id)
    assert row is not None
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert info.last_used_at is None
    assert credentials.actor_for_token(session, token) == me
    session.commit()
    (listed,) = credentials.list_api_tokens(session, me, user_id)
    assert listed.last_used_at is not None
    revoked = credentials.revoke_api_token(session, me, info.id)
    session.commit()
    assert revoked.revoked_at is not None
    with pytest.raises(AuthenticationError, match="revoked"):
        credentials.actor_for_token(session, token)
    with pytest.raises(AuthenticationError, match="unknown"):
        credentials.actor_for_token(session, token[:-1] + ("A" if token[-1] != "A" else "B"))
    actions = [e.action for e in audit.entries(session, entity="api_tokens", entity_id=info.id)]
    assert actions == ["issue_token", "revoke_token"]
    all_changes = json.dumps([e.changes for e in audit.entries(session, limit=1000)])
    assert token not in all_changes
    assert token[:8] not in all_changes


def test_token_last_used_at_is_written_at_most_once_a_minute(session: Session) -> None:
    user_id = _user(session)
    me = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    token, info = credentials.issue_api_token(session, me, user_id, "t")
    credentials.actor_for_token(session, token)
    session.commit()
    row = session.get(ApiTokenRow, info.id)
    assert row is not None
    assert row.last_used_at is not None
    first = row.last_used_at
    credentials.actor_for_token(session, token)
    session.commit()
    session.refresh(row)
    assert row.last_used_at == first
    two_minutes_ago = first - timedelta(minutes=2)
    session.execute(
        update(ApiTokenRow).where(ApiTokenRow.id == info.id).values(last_used_at=two_minutes_ago)
    )
    credentials.actor_for_token(session, token)
    session.commit()
    session.refresh(row)
    assert row.last_used_at is not None
    assert row.last_used_at > two_minutes_ago


def test_expired_token_and_disabled_owner_are_refused(session: Session) -> None:
    admin = _admin(session)
    user_id = _user(session)
    token, info = credentials.issue_api_token(
        session, admin, user_id, "short", expires_at=utcnow() + timedelta(days=1)
    )
    session.commit()
    assert credentials.actor_for_token(session, token).user_id == user_id
    session.execute(
        update(ApiTokenRow)
        .where(ApiTokenRow.id == info.id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    with pytest.raises(AuthenticationError, match="expired"):
        credentials.actor_for_token(session, token)
    token2, _ = credentials.issue_api_token(session, admin, user_id, "long")
    accounts.deactivate_user(session, admin, user_id)
    session.commit()
    with pytest.raises(AuthenticationError, match="disabled"):
        credentials.actor_for_token(session, token2)


def test_token_rules(session: Session) -> None:
    user_id = _user(session)
    other_id = _user(session, "other@example.org")
    me = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    with pytest.raises(PermissionDeniedError, match="another user"):
        credentials.issue_api_token(session, me, other_id, "x")
    with pytest.raises(RecordValidationError, match="in the future") as caught:
        credentials.issue_api_token(session, me, user_id, "x", expires_at=utcnow())
    assert caught.value.field == "expires_at"
    with pytest.raises(RecordValidationError, match="got 0") as caught:
        credentials.issue_api_token(session, me, user_id, "   ")
    _, other_info = credentials.issue_api_token(
        session, Actor(user_id=other_id, role=Role.EDITOR, label="o"), other_id, "mine"
    )
    with pytest.raises(PermissionDeniedError, match="owner or an admin"):
        credentials.revoke_api_token(session, me, other_info.id)
    with pytest.raises(RecordNotFoundError):
        credentials.revoke_api_token(session, me, 424242)


# --- web sessions -------------------------------------------------------------------------------


def test_session_lifecycle_and_csrf_token(session: Session) -> None:
    user_id = _user(session)
    token, csrf = credentials.start_session(session, user_id)
    session.commit()
    assert len(token) == 43
    assert len(csrf) == 43
    assert token != csrf
    row = session.get(WebSessionRow, hashlib.sha256(token.encode()).hexdigest())
    assert row is not None
    assert row.user_id == user_id
    assert row.expires_at - row.created_at == timedelta(hours=12)
    actor, stored_csrf = credentials.actor_for_session(session, token)
    assert actor.user_id == user_id
    assert actor.role is Role.EDITOR
    assert stored_csrf == csrf
    other_token, other_csrf = credentials.start_session(session, user_id)
    assert other_csrf != csrf
    credentials.end_session(session, token)
    session.commit()
    with pytest.raises(AuthenticationError, match="ended"):
        credentials.actor_for_session(session, token)
    assert credentials.actor_for_session(session, other_token)[1] == other_csrf
    with pytest.raises(AuthenticationError, match="unknown"):
        credentials.actor_for_session(session, "no-such-session")
    credentials.end_session(session, "no-such-session")  # signing out twice is harmless
    actions = [e.action for e in audit.entries(session, entity="users", entity_id=user_id)]
    assert actions == ["create", "start_session", "start_session", "end_session"]


def test_expired_session_is_refused(session: Session) -> None:
    user_id = _user(session)
    token, _ = credentials.start_session(session, user_id)
    session.execute(update(WebSessionRow).values(expires_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    with pytest.raises(AuthenticationError, match="expired"):
        credentials.actor_for_session(session, token)
