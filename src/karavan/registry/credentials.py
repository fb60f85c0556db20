"""Credentials: API tokens and web sessions (with their CSRF token).

Split from :mod:`karavan.registry.accounts`, which keeps users, passwords and the login rate
limit; this module builds on it (it checks that the user behind a token or session is active)
and ``accounts`` never imports it back. Users and passwords are created there; a caller that has
authenticated someone comes here to hand out a bearer token or open a session.

As in ``accounts``, every function takes a SQLAlchemy :class:`~sqlalchemy.orm.Session` whose
transaction the caller owns (nothing here commits), returns frozen dataclasses or plain values,
never ORM rows, and every write appends an audit row with ids and names only.

API tokens and session tokens are 32 random bytes (``secrets.token_urlsafe(32)``, 43
characters); only their SHA-256 hex digest is stored, which is enough for secrets of this
entropy and lets them be looked up by digest. Digests are compared with
``secrets.compare_digest`` after the lookup. Deactivating a user or changing a password
(``accounts``) ends that user's open sessions directly in ``web_sessions``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from karavan.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RecordNotFoundError,
    RecordValidationError,
)
from karavan.registry import audit
from karavan.registry.accounts import _actor, _user_row
from karavan.registry.actors import Actor, Role
from karavan.registry.store.account_models import ApiTokenRow, WebSessionRow
from karavan.registry.store.base import utcnow

__all__ = [
    "SESSION_LIFETIME",
    "TOKEN_TOUCH_INTERVAL",
    "TokenInfo",
    "actor_for_session",
    "actor_for_token",
    "end_session",
    "issue_api_token",
    "list_api_tokens",
    "revoke_api_token",
    "start_session",
]

SESSION_LIFETIME = timedelta(hours=12)
TOKEN_TOUCH_INTERVAL = timedelta(minutes=1)
"""``last_used_at`` of an API token is written at most this often (saves a write per call)."""


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """An API token's metadata; ``token_prefix`` (its first 8 characters) helps tell them apart."""

    id: int
    user_id: int
    name: str
    token_prefix: str
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


def _token_info(row: ApiTokenRow) -> TokenInfo:
    return TokenInfo(
        id=row.id,
        user_id=row.user_id,
        name=row.name,
        token_prefix=row.token_prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# --- API tokens ---------------------------------------------------------------------------------


def issue_api_token(
    session: Session,
    actor: Actor,
    user_id: int,
    name: str,
    expires_at: datetime | None = None,
) -> tuple[str, TokenInfo]:
    """Create a token for ``user_id``; return its plaintext (shown once, never stored) and info.

    Users issue their own tokens; admins issue anyone's.
    """
    if actor.user_id != user_id and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"only admins may issue tokens for another user; actor {actor.label} tried user "
            f"{user_id}"
        )
    name = name.strip()
    if not 1 <= len(name) <= 100:
        raise RecordValidationError(
            f"token name must have 1 to 100 characters; got {len(name)}", field="name", value=name
        )
    now = utcnow()
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise RecordValidationError(
                f"expires_at must carry a time zone; got {expires_at.isoformat()}",
                field="expires_at",
                value=expires_at,
            )
        if expires_at <= now:
            raise RecordValidationError(
                f"expires_at must be in the future; got {expires_at.isoformat()}, now is "
                f"{now.isoformat()}",
                field="expires_at",
                value=expires_at,
            )
    user = _user_row(session, user_id)
    if not user.is_active:
        raise ConflictError(f"user {user_id} is disabled; cannot issue a token")
    token = secrets.token_urlsafe(32)
    row = ApiTokenRow(
        user_id=user_id,
        name=name,
        token_prefix=token[:8],
        token_hash=_digest(token),
        created_at=now,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "issue_token",
        "api_tokens",
        row.id,
        {"user_id": user_id, "name": name, "expires_at": expires_at},
    )
    return token, _token_info(row)


def list_api_tokens(session: Session, actor: Actor, user_id: int) -> list[TokenInfo]:
    """A user's tokens, newest first (their own, or anyone's for admins)."""
    if actor.user_id != user_id and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"only admins may list another user's tokens; actor {actor.label} tried user {user_id}"
        )
    rows = session.scalars(
        select(ApiTokenRow).where(ApiTokenRow.user_id == user_id).order_by(ApiTokenRow.id.desc())
    )
    return [_token_info(row) for row in rows]


def revoke_api_token(session: Session, actor: Actor, token_id: int) -> TokenInfo:
    """Revoke a token (its owner or an admin); revoking twice is a no-op."""
    row = session.get(ApiTokenRow, token_id)
    if row is None:
        raise RecordNotFoundError(f"no API token with id {token_id}")
    if actor.user_id != row.user_id and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"only the owner or an admin may revoke token {token_id}; actor {actor.label}"
        )
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.record(
            session,
            actor,
            "revoke_token",
            "api_tokens",
            row.id,
            {"user_id": row.user_id, "name": row.name},
        )
    return _token_info(row)


def actor_for_token(session: Session, token: str) -> Actor:
    """The actor a bearer token stands for.

    :class:`AuthenticationError` if the token is unknown, revoked, expired or belongs to a
    disabled account. Updates ``last_used_at`` at most once a minute.
    """
    digest = _digest(token)
    row = session.scalar(select(ApiTokenRow).where(ApiTokenRow.token_hash == digest))
    if row is None or not secrets.compare_digest(row.token_hash, digest):
        raise AuthenticationError("API token is unknown")
    now = utcnow()
    if row.revoked_at is not None:
        raise AuthenticationError(f"API token {row.token_prefix}… was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise AuthenticationError(
            f"API token {row.token_prefix}… expired at {row.expires_at.isoformat()}"
        )
    user = _user_row(session, row.user_id)
    if not user.is_active:
        raise AuthenticationError(f"API token {row.token_prefix}… belongs to a disabled account")
    if row.last_used_at is None or now - row.last_used_at >= TOKEN_TOUCH_INTERVAL:
        row.last_used_at = now
        session.flush()
    return _actor(user)


# --- web sessions -------------------------------------------------------------------------------


def start_session(
    session: Session, actor_user_id: int, lifetime: timedelta = SESSION_LIFETIME
) -> tuple[str, str]:
    """Open a web session for an (already authenticated) user; return (session token, CSRF
    token). The session token goes in an HttpOnly cookie; only its digest is stored."""
    user = _user_row(session, actor_user_id)
    if not user.is_active:
        raise AuthenticationError(f"user {actor_user_id} is disabled; cannot start a session")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        WebSessionRow(
            id=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    session.flush()
    audit.record(session, _actor(user), "start_session", "users", user.id, {})
    return token, csrf


def _session_row(session: Session, token: str) -> WebSessionRow | None:
    digest = _digest(token)
    row = session.get(WebSessionRow, digest)
    if row is None or not secrets.compare_digest(row.id, digest):
        return None
    return row


def actor_for_session(session: Session, token: str) -> tuple[Actor, str]:
    """The actor of a session cookie and the session's CSRF token (to compare, with
    ``secrets.compare_digest``, against the ``X-CSRF-Token`` header of unsafe requests).

    :class:`AuthenticationError` if the session is unknown, ended, expired or its user disabled.
    """
    row = _session_row(session, token)
    if row is None:
        raise AuthenticationError("session is unknown")
    if row.revoked_at is not None:
        raise AuthenticationError("session has ended")
    if row.expires_at <= utcnow():
        raise AuthenticationError(f"session expired at {row.expires_at.isoformat()}")
    user = _user_row(session, row.user_id)
    if not user.is_active:
        raise AuthenticationError("session belongs to a disabled account")
    return _actor(user), row.csrf_token


def end_session(session: Session, token: str) -> None:
    """Sign out: end the session of this token (unknown or ended sessions: nothing to do)."""
    row = _session_row(session, token)
    if row is None or row.revoked_at is not None:
        return
    row.revoked_at = utcnow()
    session.flush()
    user = _user_row(session, row.user_id)
    audit.record(session, _actor(user), "end_session", "users", user.id, {})
