"""Accounts: users, roles, passwords, login rate limit.

API tokens and web sessions live in :mod:`karavan.registry.credentials`, which builds on this
module (this one never imports it).

Every function takes a SQLAlchemy :class:`~sqlalchemy.orm.Session` whose transaction the caller
owns (nothing here commits) and returns frozen dataclasses, never ORM rows. Every account write
appends an audit row (:func:`karavan.registry.audit.record`) with ids and names only: passwords
and tokens never reach the log.

Passwords are hashed with Argon2id (argon2-cffi) using the RFC 9106 "low memory" profile,
spelled out in :data:`PASSWORD_HASHER`: 3 passes over 64 MiB with 4 lanes, 16-byte salt,
32-byte tag. When these parameters change, a successful sign-in rehashes the stored password
(``check_needs_rehash``).

Deactivating a user or changing a password ends the user's open web sessions (rows of
``web_sessions``, written here directly so that this module need not import ``credentials``).

Rate limit: at most :data:`MAX_FAILURES_PER_EMAIL` failed sign-ins per e-mail and
:data:`MAX_FAILURES_PER_IP` per IP address within :data:`RATE_LIMIT_WINDOW`, counted from
``login_attempts``. Attempts are written in the caller's transaction: **the caller must commit
also when** :func:`authenticate_password` **raises**, or failures are never counted.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from karavan.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RateLimitedError,
    RecordNotFoundError,
    RecordValidationError,
)
from karavan.registry import audit
from karavan.registry.actors import Actor, Role
from karavan.registry.store.account_models import (
    LoginAttemptRow,
    UserRow,
    WebSessionRow,
)
from karavan.registry.store.base import utcnow
from karavan.registry.store.models import OrganisationRow

__all__ = [
    "MAX_FAILURES_PER_EMAIL",
    "MAX_FAILURES_PER_IP",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_HASHER",
    "RATE_LIMIT_WINDOW",
    "UserInfo",
    "authenticate_password",
    "change_password",
    "create_user",
    "deactivate_user",
    "get_user",
    "list_users",
    "set_organisation",
    "set_role",
]

PASSWORD_HASHER = PasswordHasher(
    time_cost=3,  # passes over memory
    memory_cost=64 * 1024,  # KiB, so 64 MiB
    parallelism=4,  # lanes
    hash_len=32,  # bytes of tag
    salt_len=16,  # bytes of random salt
    type=Type.ID,  # Argon2id: resists both side-channel and GPU attacks
)
"""Argon2id with RFC 9106's second recommended ("low memory") parameters."""

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # hashing megabytes of "password" is a denial of service
RATE_LIMIT_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_EMAIL = 5
MAX_FAILURES_PER_IP = 20

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_dummy_hash: str | None = None


@dataclass(frozen=True, slots=True)
class UserInfo:
    """A user account as callers see it (no password hash)."""

    id: int
    email: str
    display_name: str
    role: Role
    organisation_id: int | None
    is_active: bool
    created_at: datetime
    password_changed_at: datetime


# --- conversions and checks -------------------------------------------------------------------


def _user_info(row: UserRow) -> UserInfo:
    return UserInfo(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=Role(row.role),
        organisation_id=row.organisation_id,
        is_active=row.is_active,
        created_at=row.created_at,
        password_changed_at=row.password_changed_at,
    )


def _actor(row: UserRow) -> Actor:
    """The actor a user row stands for (also used by :mod:`karavan.registry.credentials`)."""
    return Actor(
        user_id=row.id,
        role=Role(row.role),
        organisation_id=row.organisation_id,
        label=f"user:{row.id}",
    )


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _require_admin(actor: Actor, what: str) -> None:
    if actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"only admins may {what}; actor {actor.label} has role {actor.role}"
        )


def _user_row(session: Session, user_id: int) -> UserRow:
    """The user row, or RecordNotFoundError (also used by :mod:`karavan.registry.credentials`)."""
    row = session.get(UserRow, user_id)
    if row is None:
        raise RecordNotFoundError(f"no user with id {user_id}")
    return row


def _check_password_policy(password: str, email: str) -> None:
    """At least 12 characters (at most 1024), two character classes, not the e-mail."""
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise RecordValidationError(
            f"password must have {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters; "
            f"got {len(password)}",
            field="password",
        )
    classes = {
        "lower" if c.islower() else "upper" if c.isupper() else "digit" if c.isdigit() else "other"
        for c in password
    }
    if len(classes) < 2:
        raise RecordValidationError(
            "password must mix at least two of: lowercase, uppercase, digits, other characters; "
            f"got only {next(iter(classes))}",
            field="password",
        )
    lowered = password.strip().lower()
    if lowered in (email, email.split("@", 1)[0]):
        raise RecordValidationError(
            "password must not be the account's e-mail address or its local part",
            field="password",
        )


def _check_role_change(session: Session, row: UserRow, new_role: Role, active: bool) -> None:
    """Refuse a change that would leave the registry without an active admin."""
    if row.role != Role.ADMIN.value or not row.is_active:
        return
    if new_role is Role.ADMIN and active:
        return
    admins = session.scalar(
        select(func.count())
        .select_from(UserRow)
        .where(UserRow.role == Role.ADMIN.value, UserRow.is_active.is_(True))
    )
    if (admins or 0) <= 1:
        raise ConflictError(f"user {row.id} is the last active admin; promote another admin first")


# --- users --------------------------------------------------------------------------------------


def create_user(
    session: Session,
    actor: Actor,
    email: str,
    password: str,
    role: Role,
    organisation_id: int | None = None,
    display_name: str | None = None,
) -> UserInfo:
    """Create an account; ``display_name`` defaults to the e-mail's local part.

    Admins (and the system actor) create any role. Anyone else, anonymous included
    (self-registration), may create only ``editor`` or ``viewer`` accounts without an
    organisation: binding to an organisation is an admin's call (:func:`set_organisation`).

    Raises :class:`PermissionDeniedError`, :class:`RecordValidationError` (bad e-mail or
    password) or :class:`ConflictError` (e-mail taken).
    """
    role = Role(role)
    if actor.role is not Role.ADMIN:
        if role in (Role.ADMIN, Role.REVIEWER):
            raise PermissionDeniedError(
                f"only admins may create {role.value} accounts; actor {actor.label} "
                f"has role {actor.role}"
            )
        if organisation_id is not None:
            raise PermissionDeniedError(
                f"only admins may bind a new account to organisation {organisation_id}; "
                f"actor {actor.label} has role {actor.role}"
            )
    normalised = _normalise_email(email)
    if len(normalised) > 254 or not _EMAIL.match(normalised):
        raise RecordValidationError(
            f"email must look like name@domain.tld (at most 254 characters); got {email!r}",
            field="email",
            value=email,
        )
    _check_password_policy(password, normalised)
    name = (display_name or normalised.split("@", 1)[0]).strip()
    if not 1 <= len(name) <= 200:
        raise RecordValidationError(
            f"display_name must have 1 to 200 characters; got {len(name)}",
            field="display_name",
            value=display_name,
        )
    taken = session.scalar(select(UserRow.id).where(UserRow.email == normalised))
    if taken is not None:
        raise ConflictError(f"an account with email {normalised!r} already exists")
    now = utcnow()
    row = UserRow(
        email=normalised,
        display_name=name,
        password_hash=PASSWORD_HASHER.hash(password),
        role=role.value,
        organisation_id=organisation_id,
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "create",
        "users",
        row.id,
        {"email": normalised, "role": role.value, "organisation_id": organisation_id},
    )
    return _user_info(row)


def get_user(session: Session, user_id: int) -> UserInfo:
    """The account with that id; :class:`RecordNotFoundError` if there is none."""
    return _user_info(_user_row(session, user_id))


def set_role(session: Session, actor: Actor, user_id: int, role: Role) -> UserInfo:
    """Change a user's role (admins only; the last active admin cannot be demoted)."""
    _require_admin(actor, "change roles")
    role = Role(role)
    row = _user_row(session, user_id)
    _check_role_change(session, row, role, row.is_active)
    old = row.role
    row.role = role.value
    session.flush()
    audit.record(session, actor, "set_role", "users", row.id, {"role": [old, role.value]})
    return _user_info(row)


def set_organisation(
    session: Session, actor: Actor, user_id: int, organisation_id: int | None
) -> UserInfo:
    """Bind a user to an organisation (or unbind with ``None``).

    Admins may do it for anyone. A user without an organisation may bind themselves once, and
    only to an organisation they created themselves: the service calls this when an editor
    creates their one organisation. Binding to anyone else's organisation would hand over its
    records, so it is refused.
    """
    row = _user_row(session, user_id)
    self_binding = (
        actor.user_id == user_id
        and row.organisation_id is None
        and organisation_id is not None
        and _created_by(session, organisation_id) == user_id
    )
    if actor.role is not Role.ADMIN and not self_binding:
        raise PermissionDeniedError(
            f"only admins may change the organisation of user {user_id}, or the user binding "
            f"themselves once; actor {actor.label} has role {actor.role}"
        )
    old = row.organisation_id
    row.organisation_id = organisation_id
    session.flush()
    audit.record(
        session,
        actor,
        "set_organisation",
        "users",
        row.id,
        {"organisation_id": [old, organisation_id]},
    )
    return _user_info(row)


def _created_by(session: Session, organisation_id: int) -> int | None:
    """The user who created the organisation (None when unknown or created by the system)."""
    created: int | None = session.scalar(
        select(OrganisationRow.created_by).where(OrganisationRow.id == organisation_id)
    )
    return created


def list_users(
    session: Session, actor: Actor, *, limit: int = 100, offset: int = 0
) -> list[UserInfo]:
    """Every account, oldest first (admins only)."""
    _require_admin(actor, "list users")
    if not 1 <= limit <= 1000 or offset < 0:
        raise RecordValidationError(
            f"limit must be 1..1000 and offset >= 0; got limit={limit}, offset={offset}",
            field="limit",
            value=limit,
        )
    rows = session.scalars(select(UserRow).order_by(UserRow.id).limit(limit).offset(offset))
    return [_user_info(r) for r in rows]


def deactivate_user(session: Session, actor: Actor, user_id: int) -> UserInfo:
    """Disable an account (admins only): its tokens and sessions stop working at once."""
    _require_admin(actor, "deactivate accounts")
    row = _user_row(session, user_id)
    _check_role_change(session, row, Role(row.role), active=False)
    row.is_active = False
    now = utcnow()
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.user_id == user_id, WebSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    audit.record(session, actor, "deactivate", "users", row.id, {"is_active": [True, False]})
    return _user_info(row)


def change_password(
    session: Session,
    actor: Actor,
    user_id: int,
    new_password: str,
    current_password: str | None = None,
) -> None:
    """Set a new password and end the user's web sessions.

    Users (admins too) change their own password by giving the current one
    (:class:`AuthenticationError` if it is wrong); admins may reset anyone else's without it.
    """
    row = _user_row(session, user_id)
    if actor.user_id == user_id:
        if current_password is None or not _verify(row.password_hash, current_password):
            raise AuthenticationError(f"current password of user {user_id} is wrong")
    elif actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"only admins may change another user's password; actor {actor.label} tried user "
            f"{user_id}"
        )
    _check_password_policy(new_password, row.email)
    now = utcnow()
    row.password_hash = PASSWORD_HASHER.hash(new_password)
    row.password_changed_at = now
    session.execute(
        update(WebSessionRow)
        .where(WebSessionRow.user_id == user_id, WebSessionRow.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    session.flush()
    audit.record(session, actor, "change_password", "users", row.id, {})


# --- passwords ----------------------------------------------------------------------------------


def _verify(password_hash: str, password: str) -> bool:
    try:
        return PASSWORD_HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _dummy_password_hash() -> str:
    """A real Argon2id hash of a random secret, verified for unknown e-mails to spend the
    same time as for known ones (so response times do not reveal which accounts exist)."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = PASSWORD_HASHER.hash(secrets.token_urlsafe(32))
    return _dummy_hash


def _retry_after(
    session: Session, condition: ColumnElement[bool], limit: int, now: datetime
) -> int | None:
    """Seconds until the ``limit``-th most recent failure leaves the window, or ``None`` if
    fewer than ``limit`` failures are in the window."""
    since = now - RATE_LIMIT_WINDOW
    failures = list(
        session.scalars(
            select(LoginAttemptRow.at)
            .where(
                condition,
                LoginAttemptRow.succeeded.is_(False),
                LoginAttemptRow.rate_limited.is_(False),
                LoginAttemptRow.at > since,
            )
            .order_by(LoginAttemptRow.at.desc())
            .limit(limit)
        )
    )
    if len(failures) < limit:
        return None
    oldest_counted = failures[-1]
    return max(1, math.ceil((oldest_counted + RATE_LIMIT_WINDOW - now).total_seconds()))


def authenticate_password(session: Session, email: str, password: str, ip: str) -> Actor:
    """Check an e-mail and password; return the user's :class:`Actor`.

    Raises :class:`RateLimitedError` (with ``retry_after`` seconds) when the e-mail or the IP
    address has too many recent failures, before checking the password; otherwise
    :class:`AuthenticationError` for an unknown e-mail, a wrong password or an inactive
    account (one message for all three). Records the attempt in ``login_attempts``; the caller
    commits even when this raises.
    """
    normalised = _normalise_email(email)[:254]
    ip = ip[:64]
    now = utcnow()
    waits = [
        wait
        for wait in (
            _retry_after(session, LoginAttemptRow.email == normalised, MAX_FAILURES_PER_EMAIL, now),
            _retry_after(session, LoginAttemptRow.ip == ip, MAX_FAILURES_PER_IP, now),
        )
        if wait is not None
    ]
    if waits:
        session.add(
            LoginAttemptRow(email=normalised, ip=ip, at=now, succeeded=False, rate_limited=True)
        )
        session.flush()
        raise RateLimitedError(
            f"too many failed sign-ins for this e-mail or address within "
            f"{int(RATE_LIMIT_WINDOW.total_seconds() // 60)} minutes; retry in {max(waits)} s",
            retry_after=max(waits),
        )
    row = session.scalar(select(UserRow).where(UserRow.email == normalised))
    if len(password) > MAX_PASSWORD_LENGTH:
        ok = False  # no stored password is this long; hashing it would only cost us time
    elif row is None:
        _verify(_dummy_password_hash(), password)
        ok = False
    else:
        ok = _verify(row.password_hash, password) and row.is_active
    session.add(LoginAttemptRow(email=normalised, ip=ip, at=now, succeeded=ok, rate_limited=False))
    session.flush()
    if not ok or row is None:
        raise AuthenticationError("e-mail or password is wrong, or the account is disabled")
    actor = _actor(row)
    if PASSWORD_HASHER.check_needs_rehash(row.password_hash):
        row.password_hash = PASSWORD_HASHER.hash(password)
        session.flush()
        audit.record(session, actor, "rehash_password", "users", row.id, {})
    audit.record(session, actor, "login", "users", row.id, {"ip": ip})
    return actor
