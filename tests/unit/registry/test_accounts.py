"""Accounts: password hashing and policy, sign-in and its rate limit, role rules, and the audit
rows every account write leaves (API tokens and web sessions: ``test_credentials.py``).

Runs on SQLite and on PostgreSQL (a fresh database per test, from the ``registry_url`` fixture).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from karavan.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RateLimitedError,
    RecordNotFoundError,
    RecordValidationError,
)
from karavan.registry import accounts, audit, credentials, open_registry
from karavan.registry.actors import ANONYMOUS, SYSTEM, Actor, Role
from karavan.registry.store.account_models import (
    LoginAttemptRow,
    UserRow,
)
from karavan.registry.store.base import utcnow

PASSWORD = "Correct horse 42"
IP = "192.0.2.10"


@pytest.fixture
def engine(registry_url: str) -> Iterator[Engine]:
    """A fresh database (SQLite, or PostgreSQL under ``make test``) with the registry's schema
    built by its migrations: the account tables, the records and the audit triggers."""
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


def _login(session: Session, email: str, password: str, ip: str = IP) -> Actor:
    """Sign in as the web layer does: commit the attempt whatever the outcome."""
    try:
        return accounts.authenticate_password(session, email, password, ip)
    finally:
        session.commit()


# --- users and passwords ------------------------------------------------------------------------


def test_create_user_stores_an_argon2id_hash_and_a_lowercased_email(session: Session) -> None:
    info = accounts.create_user(
        session, SYSTEM, "  Ada@Example.ORG ", PASSWORD, Role.REVIEWER, display_name="Ada L."
    )
    session.commit()
    row = session.get(UserRow, info.id)
    assert row is not None
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PASSWORD not in row.password_hash
    assert (info.email, info.display_name, info.role, info.is_active) == (
        "ada@example.org",
        "Ada L.",
        Role.REVIEWER,
        True,
    )
    assert info.created_at.tzinfo is not None
    (entry,) = audit.entries(session, entity="users", entity_id=info.id)
    assert (entry.action, entry.actor) == ("create", "system")
    assert entry.changes == {
        "email": "ada@example.org",
        "organisation_id": None,
        "role": "reviewer",
    }


def test_display_name_defaults_to_the_local_part(session: Session) -> None:
    info = accounts.create_user(session, ANONYMOUS, "bob.k@example.kz", PASSWORD, Role.VIEWER)
    assert info.display_name == "bob.k"
    assert accounts.get_user(session, info.id) == info


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short1short", "12 to 1024 characters; got 11"),
        ("alllowercaseletters", "got only lower"),
        ("123456789012", "got only digit"),
        ("ED@EXAMPLE.ORG", "e-mail"),
        ("ed@example.org", "e-mail"),
    ],
)
def test_password_policy(session: Session, password: str, message: str) -> None:
    with pytest.raises(RecordValidationError, match=message) as caught:
        accounts.create_user(session, SYSTEM, "ed@example.org", password, Role.EDITOR)
    assert caught.value.field == "password"
    assert caught.value.value is None  # the password is never echoed back


def test_bad_email_and_duplicate_email(session: Session) -> None:
    with pytest.raises(RecordValidationError, match=re.escape("name@domain.tld")) as caught:
        accounts.create_user(session, SYSTEM, "not-an-email", PASSWORD, Role.EDITOR)
    assert caught.value.field == "email"
    _user(session, "ed@example.org")
    with pytest.raises(ConflictError, match=re.escape("ed@example.org")):
        accounts.create_user(session, SYSTEM, "ED@example.org", PASSWORD, Role.VIEWER)


def test_only_admins_create_admins_reviewers_or_bound_accounts(session: Session) -> None:
    editor = Actor(user_id=99, role=Role.EDITOR, organisation_id=4, label="user:99")
    with pytest.raises(PermissionDeniedError, match="only admins may create admin"):
        accounts.create_user(session, editor, "boss@example.org", PASSWORD, Role.ADMIN)
    with pytest.raises(PermissionDeniedError, match="only admins may create reviewer"):
        accounts.create_user(session, ANONYMOUS, "rev@example.org", PASSWORD, Role.REVIEWER)
    with pytest.raises(PermissionDeniedError, match="organisation 4"):
        accounts.create_user(session, editor, "e2@example.org", PASSWORD, Role.EDITOR, 4)
    assert session.scalar(select(func.count()).select_from(UserRow)) == 0
    admin = _admin(session)
    bound = accounts.create_user(session, admin, "e3@example.org", PASSWORD, Role.EDITOR, 4)
    assert bound.organisation_id == 4


def test_login_returns_the_actor_and_records_attempts(session: Session) -> None:
    user_id = _user(session)
    actor = _login(session, "ED@example.org", PASSWORD)
    assert actor == Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    with pytest.raises(AuthenticationError, match="wrong"):
        _login(session, "ed@example.org", PASSWORD + "!")
    with pytest.raises(AuthenticationError, match="wrong"):
        _login(session, "nobody@example.org", PASSWORD)
    attempts = session.execute(
        select(LoginAttemptRow.email, LoginAttemptRow.succeeded).order_by(LoginAttemptRow.id)
    ).all()
    assert [tuple(a) for a in attempts] == [
        ("ed@example.org", True),
        ("ed@example.org", False),
        ("nobody@example.org", False),
    ]
    assert [e.action for e in audit.entries(session, entity="users")] == ["create", "login"]


def test_sixth_attempt_is_rate_limited_and_other_emails_are_not(session: Session) -> None:
    _user(session, "ed@example.org")
    _user(session, "vi@example.org", Role.VIEWER)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            _login(session, "ed@example.org", "Wrong password 1")
    with pytest.raises(RateLimitedError) as caught:
        _login(session, "ed@example.org", PASSWORD)  # even the right password
    assert 0 < caught.value.retry_after <= 15 * 60
    # Another e-mail, from the same address and from another one, signs in.
    assert _login(session, "vi@example.org", PASSWORD).role is Role.VIEWER
    assert _login(session, "vi@example.org", PASSWORD, ip="198.51.100.7").role is Role.VIEWER
    limited = session.scalar(
        select(func.count()).select_from(LoginAttemptRow).where(LoginAttemptRow.rate_limited)
    )
    assert limited == 1


def test_failures_older_than_the_window_do_not_count(session: Session) -> None:
    _user(session, "ed@example.org")
    old = utcnow() - timedelta(minutes=16)
    session.add_all(
        LoginAttemptRow(email="ed@example.org", ip=IP, at=old, succeeded=False) for _ in range(5)
    )
    session.commit()
    assert _login(session, "ed@example.org", PASSWORD).role is Role.EDITOR


def test_ip_limit_counts_failures_across_emails(session: Session) -> None:
    _user(session, "ed@example.org")
    now = utcnow() - timedelta(minutes=5)
    session.add_all(
        LoginAttemptRow(email=f"u{i}@example.org", ip=IP, at=now, succeeded=False)
        for i in range(20)
    )
    session.commit()
    with pytest.raises(RateLimitedError) as caught:
        _login(session, "ed@example.org", PASSWORD)
    assert 9 * 60 <= caught.value.retry_after <= 10 * 60 + 1
    assert _login(session, "ed@example.org", PASSWORD, ip="203.0.113.5").user_id is not None


def test_login_rehashes_a_password_hashed_with_old_parameters(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1, type=Type.ID)
    with monkeypatch.context() as patched:
        patched.setattr(accounts, "PASSWORD_HASHER", weak)
        user_id = _user(session)
    row = session.get(UserRow, user_id)
    assert row is not None
    assert row.password_hash.startswith("$argon2id$v=19$m=8192,t=1,p=1$")
    _login(session, "ed@example.org", PASSWORD)
    session.refresh(row)
    assert row.password_hash.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    actions = [e.action for e in audit.entries(session, entity="users")]
    assert actions == ["create", "rehash_password", "login"]


def test_inactive_user_cannot_sign_in(session: Session) -> None:
    admin = _admin(session)
    user_id = _user(session)
    accounts.deactivate_user(session, admin, user_id)
    session.commit()
    with pytest.raises(AuthenticationError):
        _login(session, "ed@example.org", PASSWORD)


def test_change_password(session: Session) -> None:
    admin = _admin(session)
    user_id = _user(session)
    me = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    new = "Another pass 77"
    with pytest.raises(AuthenticationError, match="current password"):
        accounts.change_password(session, me, user_id, new, current_password="nope")
    other = Actor(user_id=555, role=Role.EDITOR, label="user:555")
    with pytest.raises(PermissionDeniedError):
        accounts.change_password(session, other, user_id, new)
    token, _csrf = credentials.start_session(session, user_id)
    accounts.change_password(session, me, user_id, new, current_password=PASSWORD)
    session.commit()
    assert _login(session, "ed@example.org", new).user_id == user_id
    with pytest.raises(AuthenticationError, match="ended"):
        credentials.actor_for_session(session, token)
    accounts.change_password(session, admin, user_id, PASSWORD)  # admin reset, no current
    session.commit()
    assert _login(session, "ed@example.org", PASSWORD).user_id == user_id


# --- roles --------------------------------------------------------------------------------------


def test_set_role_and_deactivate_are_admin_only(session: Session) -> None:
    admin = _admin(session)
    user_id = _user(session)
    editor = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    with pytest.raises(PermissionDeniedError, match="only admins may change roles"):
        accounts.set_role(session, editor, user_id, Role.ADMIN)
    with pytest.raises(PermissionDeniedError, match="only admins may deactivate"):
        accounts.deactivate_user(session, editor, user_id)
    assert accounts.set_role(session, admin, user_id, Role.REVIEWER).role is Role.REVIEWER
    session.commit()
    (entry,) = audit.entries(session, entity="users", entity_id=user_id, actor_id=admin.user_id)
    assert (entry.action, entry.changes) == ("set_role", {"role": ["editor", "reviewer"]})
    with pytest.raises(RecordNotFoundError, match="no user with id 12345"):
        accounts.set_role(session, admin, 12345, Role.VIEWER)


def test_last_active_admin_cannot_be_demoted_or_deactivated(session: Session) -> None:
    admin = _admin(session)
    assert admin.user_id is not None
    with pytest.raises(ConflictError, match="last active admin"):
        accounts.set_role(session, admin, admin.user_id, Role.VIEWER)
    with pytest.raises(ConflictError, match="last active admin"):
        accounts.deactivate_user(session, admin, admin.user_id)
    second = _user(session, "second@example.org", Role.ADMIN)
    assert accounts.set_role(session, admin, admin.user_id, Role.VIEWER).role is Role.VIEWER
    assert accounts.get_user(session, second).role is Role.ADMIN


def _organisation(session: Session, created_by: int | None) -> int:
    from karavan.registry.store.models import OrganisationRow

    now = datetime.now(UTC)
    row = OrganisationRow(
        kind="enterprise",
        name_en=f"Org made by {created_by}",
        name_ru="Организация",
        country="KAZ",
        status="draft",
        version=1,
        created_at=now,
        updated_at=now,
        created_by=created_by,
        updated_by=created_by,
        search_text="",
    )
    session.add(row)
    session.flush()
    return row.id


def test_set_organisation_binds_an_editor_once_to_their_own_organisation(
    session: Session,
) -> None:
    admin = _admin(session)
    user_id = _user(session)
    other = _user(session, "other@example.org")
    mine, theirs, seeded = (
        _organisation(session, user_id),
        _organisation(session, other),
        _organisation(session, None),
    )
    me = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    # Someone else's organisation (or a seeded one) cannot be taken by binding oneself to it.
    for target in (theirs, seeded):
        with pytest.raises(PermissionDeniedError, match="binding themselves once"):
            accounts.set_organisation(session, me, user_id, target)
    assert accounts.get_user(session, user_id).organisation_id is None
    assert accounts.set_organisation(session, me, user_id, mine).organisation_id == mine
    with pytest.raises(PermissionDeniedError, match="binding themselves once"):
        accounts.set_organisation(session, me, user_id, mine)
    assert accounts.set_organisation(session, admin, user_id, theirs).organisation_id == theirs


def test_list_users_is_for_admins(session: Session) -> None:
    admin = _admin(session)
    user_id = _user(session)
    me = Actor(user_id=user_id, role=Role.EDITOR, label=f"user:{user_id}")
    listed = accounts.list_users(session, admin)
    assert [u.id for u in listed] == [admin.user_id, user_id]
    assert [u.id for u in accounts.list_users(session, admin, limit=1, offset=1)] == [user_id]
    with pytest.raises(PermissionDeniedError):
        accounts.list_users(session, me)


def test_account_writes_keep_the_audit_chain_intact(session: Session) -> None:
    admin = _admin(session)
    user_id = _user(session)
    _login(session, "ed@example.org", PASSWORD)
    _token, info = credentials.issue_api_token(session, admin, user_id, "x")
    credentials.revoke_api_token(session, admin, info.id)
    accounts.set_role(session, admin, user_id, Role.VIEWER)
    session.commit()
    assert len(audit.entries(session)) == 6
    assert audit.verify_chain(session) == []


def test_overlong_password_fails_without_hashing(session: Session) -> None:
    _user(session)
    with pytest.raises(AuthenticationError, match="wrong"):
        _login(session, "ed@example.org", "Aa1" * 400)
    failed = session.scalar(
        select(func.count()).select_from(LoginAttemptRow).where(~LoginAttemptRow.succeeded)
    )
    assert failed == 1
