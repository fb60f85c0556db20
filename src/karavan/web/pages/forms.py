"""What every page with a form or a download shares: who is asking (the API's session cookie),
the CSRF check of HTML forms, and CSV / Parquet downloads of a frame.

HTML forms cannot send the API's ``X-CSRF-Token`` header, so each form carries the session's
CSRF token in the field ``csrf_token`` and :func:`form_actor` compares it in constant time.
Forms that anyone may send (sign-in, the scenario lab, uploads) use the session's token when
there is one and a double-submit cookie (:data:`FORM_CSRF_COOKIE`) otherwise
(:func:`checked_form`).
"""

from __future__ import annotations

import io
import secrets

import pandas as pd
from fastapi import Request, Response

from karavan.errors import AuthenticationError, PermissionDeniedError, RecordValidationError
from karavan.registry import ANONYMOUS, Actor, credentials
from karavan.web.security import SESSION_COOKIE, get_registry, get_settings

__all__ = [
    "CSRF_FIELD",
    "FORM_CSRF_COOKIE",
    "checked_form",
    "form_actor",
    "form_token",
    "frame_download",
    "page_actor",
    "with_form_cookie",
]

CSRF_FIELD = "csrf_token"
FORM_CSRF_COOKIE = "karavan_form_csrf"

_MEDIA = {"csv": "text/csv; charset=utf-8", "parquet": "application/vnd.apache.parquet"}


def frame_download(frame: pd.DataFrame, fmt: str, name: str) -> Response:
    """``frame`` as a CSV (UTF-8) or Parquet attachment named ``name.<fmt>``."""
    if fmt == "csv":
        body = frame.to_csv(index=False).encode("utf-8")
    elif fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        body = buffer.getvalue()
    else:
        raise RecordValidationError(
            f"download format must be csv or parquet; got {fmt!r}", field="format", value=fmt
        )
    return Response(
        body,
        media_type=_MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


# --- who is calling ---------------------------------------------------------------------------


def page_actor(request: Request) -> tuple[Actor, str | None]:
    """The signed-in actor of the session cookie and the session's CSRF token; the anonymous
    actor and None without a session, or when it is unknown or expired (a page then shows the
    public view rather than an error)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return ANONYMOUS, None
    try:
        with get_registry(request).session() as session:
            return credentials.actor_for_session(session, token)
    except AuthenticationError:
        return ANONYMOUS, None


def form_actor(request: Request, sent: str) -> Actor:
    """The actor of a form post, whose ``csrf_token`` field must equal the session's CSRF
    token: AuthenticationError (401) without a session, PermissionDeniedError (403) for a
    missing or wrong token."""
    actor, csrf = page_actor(request)
    if csrf is None:
        raise AuthenticationError("this form needs a signed-in user: sign in at /login")
    if not sent or not secrets.compare_digest(sent.encode(), csrf.encode()):
        raise PermissionDeniedError(
            f"the form's {CSRF_FIELD} must equal the session's CSRF token; "
            + ("got none" if not sent else "got a different value")
        )
    return actor


def form_token(request: Request) -> str:
    """The token a page's forms carry: the session's CSRF token when signed in, else the
    anonymous double-submit token of the cookie :data:`FORM_CSRF_COOKIE` (a new one if none)."""
    _, csrf = page_actor(request)
    if csrf is not None:
        return csrf
    return request.cookies.get(FORM_CSRF_COOKIE) or secrets.token_urlsafe(32)


def with_form_cookie(request: Request, response: Response, token: str) -> Response:
    """Set the double-submit cookie to ``token`` when the form's token is not the session's."""
    if page_actor(request)[1] != token:
        response.set_cookie(
            FORM_CSRF_COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="strict",
            secure=get_settings(request).secure_cookies,
        )
    return response


def checked_form(request: Request, sent: str) -> Actor:
    """The actor of a form that anyone may post (sign-in, the scenario lab, an upload): a
    signed-in user's form carries the session's CSRF token, an anonymous one the token of the
    double-submit cookie; PermissionDeniedError (403) otherwise."""
    actor, csrf = page_actor(request)
    expected = csrf if csrf is not None else request.cookies.get(FORM_CSRF_COOKIE, "")
    if not sent or not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        raise PermissionDeniedError(
            f"the form's {CSRF_FIELD} must equal "
            + ("the session's CSRF token" if csrf else f"the cookie {FORM_CSRF_COOKIE}")
            + ("; got none" if not sent else "; got a different value")
            + " (reload the page and send the form again)"
        )
    return actor
