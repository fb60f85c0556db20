"""Who is calling: bearer tokens, cookie sessions with CSRF protection, and role checks.

Credentials, in order:

1. ``Authorization: Bearer <token>``: an API token for scripts. Any other ``Authorization``
   header, or an unknown, revoked or expired token, is a 401. No CSRF token is needed: a browser
   never adds this header to a cross-site request on its own.
2. The session cookie :data:`SESSION_COOKIE` (set by ``POST /api/v1/auth/login``; HttpOnly,
   SameSite=Lax, Secure when ``settings.secure_cookies``). Every unsafe request (POST, PUT,
   PATCH, DELETE) made with it must carry ``X-CSRF-Token`` equal to the session's CSRF token
   (compared in constant time), else 403. An unknown or expired session is a 401.
3. Neither: the anonymous actor, who reads published records only.

The registry decides what each actor may do; the dependencies here only resolve the actor and
guard the routes that are for signed-in users or admins.
"""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer

from karavan.errors import AuthenticationError, PermissionDeniedError
from karavan.registry import ANONYMOUS, Actor, Registry, Role, credentials
from karavan.settings import Settings

__all__ = [
    "CSRF_HEADER",
    "SESSION_COOKIE",
    "UNSAFE_METHODS",
    "ActorDep",
    "AdminDep",
    "RegistryDep",
    "SettingsDep",
    "UserDep",
    "client_address",
    "current_actor",
    "get_registry",
    "get_settings",
    "require_admin",
    "require_user",
]

SESSION_COOKIE = "karavan_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An API token (POST /api/v1/auth/tokens): `Authorization: Bearer <token>`.",
)
_cookie = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="session",
    description=(
        "The session cookie set by POST /api/v1/auth/login; unsafe methods also need the "
        f"{CSRF_HEADER} header."
    ),
)


def get_registry(request: Request) -> Registry:
    """The registry the application serves (``app.state.registry``)."""
    registry: Registry = request.app.state.registry
    return registry


def get_settings(request: Request) -> Settings:
    """The settings the application was built with (``app.state.settings``)."""
    settings: Settings = request.app.state.settings
    return settings


RegistryDep = Annotated[Registry, Depends(get_registry)]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def client_address(request: Request) -> str:
    """The peer's address (for the login rate limit); ``unknown`` when the server gives none."""
    return request.client.host if request.client is not None else "unknown"


def current_actor(
    request: Request,
    registry: RegistryDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    session_token: Annotated[str | None, Depends(_cookie)],
) -> Actor:
    """The actor of this request (see the module docstring); raises AuthenticationError (401)
    for bad credentials and PermissionDeniedError (403) for a missing or wrong CSRF token."""
    authorization = request.headers.get("authorization")
    if authorization is not None:
        if bearer is None or not bearer.credentials.strip():
            raise AuthenticationError(
                "Authorization header must be 'Bearer <token>'; got scheme "
                f"{authorization.split(' ', 1)[0][:20]!r}"
            )
        with registry.session() as session:
            return credentials.actor_for_token(session, bearer.credentials.strip())
    if session_token:
        with registry.session() as session:
            actor, csrf = credentials.actor_for_session(session, session_token)
        if request.method in UNSAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER, "")
            if not sent or not secrets.compare_digest(sent.encode(), csrf.encode()):
                raise PermissionDeniedError(
                    f"{request.method} with a session cookie needs the {CSRF_HEADER} header "
                    "equal to the session's CSRF token (returned by login); "
                    + ("got none" if not sent else "got a different value")
                )
        return actor
    return ANONYMOUS


ActorDep = Annotated[Actor, Depends(current_actor)]


def require_user(actor: ActorDep) -> Actor:
    """The actor, who must be signed in (401 otherwise)."""
    if actor.user_id is None:
        raise AuthenticationError(
            "this route needs a signed-in user: send 'Authorization: Bearer <token>' or sign in"
        )
    return actor


UserDep = Annotated[Actor, Depends(require_user)]


def require_admin(actor: UserDep) -> Actor:
    """The actor, who must be an admin (403 otherwise)."""
    if actor.role is not Role.ADMIN:
        role = actor.role.value if actor.role is not None else "none"
        raise PermissionDeniedError(f"this route is for admins only; {actor.label} is {role}")
    return actor


AdminDep = Annotated[Actor, Depends(require_admin)]
