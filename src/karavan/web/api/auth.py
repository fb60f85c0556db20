"""Sign-in, sessions, API tokens and user accounts.

=================================== =======================================================
``POST /auth/login``                e-mail + password -> session cookie + ``csrf_token``
``POST /auth/logout``               end the session, clear the cookie (204)
``GET /auth/me``                    the signed-in user
``GET /auth/tokens``                the caller's API tokens (metadata only)
``POST /auth/tokens``               issue an API token (its value is shown once)
``DELETE /auth/tokens/{id}``        revoke a token (owner or admin)
``POST /auth/password``             change one's password (or an admin resets someone's): 204
``POST /users``                     create an account (admins; may bind an editor to an org)
``GET /users/{id}``                 one account (admins, or the user themselves)
``PATCH /users/{id}``               change role, organisation binding, or deactivate (admins)
=================================== =======================================================

Login failures are counted per e-mail and address; too many give 429 with ``Retry-After``. The
failed attempt is committed even though the request fails, so the count is real.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from karavan.errors import (
    AuthenticationError,
    PermissionDeniedError,
    RateLimitedError,
    RecordValidationError,
)
from karavan.registry import Actor, Role, accounts, credentials
from karavan.web.api.records import MAX_ID
from karavan.web.security import (
    SESSION_COOKIE,
    AdminDep,
    RegistryDep,
    SettingsDep,
    UserDep,
    client_address,
)

__all__ = [
    "LoginIn",
    "LoginOut",
    "PasswordChange",
    "TokenIn",
    "TokenIssued",
    "TokenPublic",
    "UserCreate",
    "UserPublic",
    "UserUpdate",
    "router",
]

router = APIRouter(tags=["auth"])


class LoginIn(BaseModel):
    """Credentials for ``POST /auth/login``."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)


class UserPublic(BaseModel):
    """An account as the API shows it (never the password hash)."""

    id: int
    email: str
    display_name: str
    role: Role
    organisation_id: int | None
    is_active: bool
    created_at: dt.datetime


class LoginOut(BaseModel):
    """The result of a sign-in: send ``csrf_token`` as ``X-CSRF-Token`` on unsafe requests."""

    csrf_token: str
    user: UserPublic


class TokenIn(BaseModel):
    """A request for an API token; admins may issue one for another user (``user_id``)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    expires_at: dt.datetime | None = None
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class TokenPublic(BaseModel):
    """An API token's metadata (``token_prefix``: its first 8 characters)."""

    id: int
    user_id: int
    name: str
    token_prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenIssued(TokenPublic):
    """A new token: ``token`` is its value, shown this once and never stored."""

    token: str


class UserCreate(BaseModel):
    """A new account; ``organisation_id`` binds an editor to the organisation they edit."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    display_name: str | None = Field(default=None, max_length=200)


class PasswordChange(BaseModel):
    """A new password: one's own (``current_password`` required), or, for admins, another
    user's (``user_id``). Ends that user's web sessions."""

    model_config = ConfigDict(extra="forbid")

    new_password: str = Field(min_length=1, max_length=1024)
    current_password: str | None = Field(default=None, max_length=1024)
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class UserUpdate(BaseModel):
    """An admin's change to an account: the fields sent change (``is_active`` may only become
    false: deactivation ends the user's sessions and tokens at once)."""

    model_config = ConfigDict(extra="forbid")

    role: Role | None = None
    organisation_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    is_active: Literal[False] | None = None


def _user_public(user: accounts.UserInfo) -> UserPublic:
    return UserPublic(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        organisation_id=user.organisation_id,
        is_active=user.is_active,
        created_at=user.created_at,
    )


def _token_public(info: credentials.TokenInfo) -> TokenPublic:
    return TokenPublic(
        id=info.id,
        user_id=info.user_id,
        name=info.name,
        token_prefix=info.token_prefix,
        created_at=info.created_at,
        expires_at=info.expires_at,
        last_used_at=info.last_used_at,
        revoked_at=info.revoked_at,
    )


def _user_id(actor: Actor) -> int:
    if actor.user_id is None:  # UserDep guarantees a user; keep mypy and the reader sure
        raise AuthenticationError("this route needs a signed-in user")
    return actor.user_id


@router.post("/auth/login", response_model=LoginOut, summary="Sign in: start a web session")
def login(
    body: LoginIn,
    request: Request,
    response: Response,
    registry: RegistryDep,
    settings: SettingsDep,
) -> LoginOut:
    failure: AuthenticationError | RateLimitedError | None = None
    with registry.session() as session:
        try:
            actor = accounts.authenticate_password(
                session, body.email, body.password, client_address(request)
            )
        except (AuthenticationError, RateLimitedError) as exc:
            failure = exc  # commit the counted attempt, then fail
        else:
            token, csrf = credentials.start_session(session, _user_id(actor))
            user = accounts.get_user(session, _user_id(actor))
    if failure is not None:
        raise failure
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(credentials.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return LoginOut(csrf_token=csrf, user=_user_public(user))


@router.post("/auth/logout", status_code=204, summary="Sign out: end the web session")
def logout(request: Request, actor: UserDep, registry: RegistryDep) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with registry.session() as session:
            credentials.end_session(session, token)
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/auth/me", response_model=UserPublic, summary="The signed-in user")
def me(actor: UserDep, registry: RegistryDep) -> UserPublic:
    with registry.session() as session:
        return _user_public(accounts.get_user(session, _user_id(actor)))


@router.get("/auth/tokens", response_model=list[TokenPublic], summary="The caller's API tokens")
def list_tokens(actor: UserDep, registry: RegistryDep) -> list[TokenPublic]:
    with registry.session() as session:
        infos = credentials.list_api_tokens(session, actor, _user_id(actor))
    return [_token_public(info) for info in infos]


@router.post(
    "/auth/tokens",
    status_code=201,
    response_model=TokenIssued,
    summary="Issue an API token (its value is returned once)",
)
def issue_token(request_body: TokenIn, actor: UserDep, registry: RegistryDep) -> TokenIssued:
    owner = request_body.user_id if request_body.user_id is not None else _user_id(actor)
    with registry.session() as session:
        token, info = credentials.issue_api_token(
            session, actor, owner, request_body.name, request_body.expires_at
        )
    return TokenIssued(token=token, **_token_public(info).model_dump())


@router.delete("/auth/tokens/{token_id}", response_model=TokenPublic, summary="Revoke an API token")
def revoke_token(
    token_id: Annotated[int, Path(ge=1, le=MAX_ID)], actor: UserDep, registry: RegistryDep
) -> TokenPublic:
    with registry.session() as session:
        return _token_public(credentials.revoke_api_token(session, actor, token_id))


@router.post(
    "/auth/password",
    status_code=204,
    summary="Change a password (one's own with the current one; admins: anyone's)",
)
def change_password(body: PasswordChange, actor: UserDep, registry: RegistryDep) -> Response:
    user_id = body.user_id if body.user_id is not None else _user_id(actor)
    with registry.session() as session:
        accounts.change_password(session, actor, user_id, body.new_password, body.current_password)
    return Response(status_code=204)


@router.post(
    "/users",
    status_code=201,
    response_model=UserPublic,
    tags=["users"],
    summary="Create an account (admins only)",
)
def create_user(body: UserCreate, actor: AdminDep, registry: RegistryDep) -> UserPublic:
    with registry.session() as session:
        user = accounts.create_user(
            session,
            actor,
            body.email,
            body.password,
            body.role,
            body.organisation_id,
            body.display_name,
        )
    return _user_public(user)


UserIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="the user's id")]


@router.get(
    "/users",
    response_model=list[UserPublic],
    tags=["users"],
    summary="Every account, oldest first (admins)",
)
def list_users(
    actor: AdminDep,
    registry: RegistryDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
) -> list[UserPublic]:
    with registry.read_session() as session:
        return [
            _user_public(u) for u in accounts.list_users(session, actor, limit=limit, offset=offset)
        ]


@router.get(
    "/users/{user_id}",
    response_model=UserPublic,
    tags=["users"],
    summary="One account (admins, or the user themselves)",
)
def get_user(user_id: UserIdPath, actor: UserDep, registry: RegistryDep) -> UserPublic:
    if actor.user_id != user_id and actor.role is not Role.ADMIN:
        raise PermissionDeniedError(
            f"only admins may read another user's account; {actor.label} asked for {user_id}"
        )
    with registry.session() as session:
        return _user_public(accounts.get_user(session, user_id))


@router.patch(
    "/users/{user_id}",
    response_model=UserPublic,
    tags=["users"],
    summary="Change an account's role or organisation, or deactivate it (admins only)",
)
def update_user(
    user_id: UserIdPath, body: UserUpdate, actor: AdminDep, registry: RegistryDep
) -> UserPublic:
    changed = body.model_fields_set
    with registry.session() as session:
        user = accounts.get_user(session, user_id)
        if "role" in changed:
            if body.role is None:
                raise RecordValidationError("role cannot be null", field="role", value=None)
            user = accounts.set_role(session, actor, user_id, body.role)
        if "organisation_id" in changed:
            user = accounts.set_organisation(session, actor, user_id, body.organisation_id)
        if body.is_active is False:
            user = accounts.deactivate_user(session, actor, user_id)
    return _user_public(user)
