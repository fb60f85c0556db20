"""Registry pages: browse and search, an organisation's and a project's page, sign-in, an
editor's form for their own organisation, submission for review and the reviewers' queue.

=========================================== ================================================
``GET /registry``                           browse one entity: filters, full-text search,
                                            pages; ``format=csv|parquet`` downloads the page
``GET /registry/organisations/{id}``        an organisation: products, needs, sites,
                                            identifiers, sources, projects, history
``GET /registry/projects/{id}``             a project: participants, corridor, phase, sources
``GET|POST /registry/organisations/{id}/edit``  the editor's form (CSRF; ``version`` hidden:
                                            a stale write shows the current version)
``POST /registry/organisations/{id}/submit``    draft/rejected -> submitted
``GET /registry/review``                    the reviewers' queue (status ``submitted``)
``POST /registry/{entity}/{id}/review``     approve, or reject with a note
``GET|POST /login``, ``POST /logout``       a web session (the same cookie as the JSON API)
=========================================== ================================================

Every page calls the :class:`~karavan.registry.Registry` service, as the JSON API does. The
session cookie is the API's (:data:`~karavan.web.security.SESSION_COOKIE`); HTML forms cannot
send the API's ``X-CSRF-Token`` header, so each form carries the session's CSRF token in the
field ``csrf_token``, checked by :mod:`karavan.web.pages.forms` (shared with the other
pages).
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from karavan.errors import (
    AuthenticationError,
    ConflictError,
    PermissionDeniedError,
    RateLimitedError,
    RecordNotFoundError,
    RecordValidationError,
    StaleWriteError,
)
from karavan.registry import (
    ENTITIES,
    Actor,
    OrganisationPublic,
    OrganisationUpdate,
    OrgKind,
    ProjectPublic,
    RecordStatus,
    Registry,
    Role,
    accounts,
    credentials,
)
from karavan.registry.permissions import authorize
from karavan.web.pages.base import format_number, render
from karavan.web.pages.forms import (
    CSRF_FIELD,
    checked_form,
    form_actor,
    form_token,
    frame_download,
    page_actor,
    with_form_cookie,
)
from karavan.web.pages.i18n import Lang, negotiate, translator
from karavan.web.security import SESSION_COOKIE, client_address, get_registry, get_settings

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(tags=["pages: registry"], include_in_schema=False)

PAGE_SIZE = 20
_FILTERS: dict[str, tuple[str, ...]] = {
    "organisations": ("kind", "country"),
    "products": ("code_prefix",),
    "needs": ("code_prefix",),
    "projects": ("country", "code_prefix"),
}
_EDITABLE = ("name_en", "name_ru", "name_kk", "region", "description", "website")
_REQUIRED = frozenset({"name_en", "name_ru"})
Id = Annotated[int, Path(ge=1, le=2**63 - 1)]


def _context(request: Request, **values: Any) -> dict[str, Any]:
    """What every registry page needs: the actor, the form token and who is signed in."""
    actor, csrf = page_actor(request)
    user_name = None
    if actor.user_id is not None:
        with get_registry(request).read_session() as session:
            user = accounts.get_user(session, actor.user_id)
            user_name = user.display_name or user.email
    return {"actor": actor, "user_name": user_name, CSRF_FIELD: csrf or "", **values}


# --- browse ------------------------------------------------------------------------------------


def _names(record: Any, lang: str) -> str:
    if isinstance(record, OrganisationPublic | ProjectPublic):
        return record.name_ru if lang == "ru" else record.name_en
    return str(getattr(record, "text", ""))


def _browse_rows(records: list[Any], lang: str) -> list[dict[str, Any]]:
    rows = []
    for r in records:
        row: dict[str, Any] = {
            "id": r.id,
            "name": _names(r, lang),
            "status": r.status.value,
            "version": r.version,
        }
        if isinstance(r, OrganisationPublic):
            row |= {"kind": r.kind.value, "country": r.country}
        elif isinstance(r, ProjectPublic):
            row |= {"phase": r.phase.value, "countries": ", ".join(r.countries)}
        else:
            row |= {
                "organisation_id": r.organisation_id,
                "hs_code": r.hs_code or "",
                "isic_code": r.isic_code or "",
            }
        rows.append(row)
    return rows


@router.get("/registry", summary="Browse and search the registry")
def browse(
    request: Request,
    entity: Annotated[str, Query(pattern="^(organisations|products|needs|projects)$")] = (
        "organisations"
    ),
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query(max_length=40)] = "",
    country: Annotated[str, Query(max_length=3)] = "",
    code_prefix: Annotated[str, Query(max_length=6)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    format: Annotated[str, Query(pattern="^(html|csv|parquet)$")] = "html",
) -> Response:
    """One page of ``entity`` matching the filters that apply to it (the others are not
    offered); the download has the same rows as the page."""
    actor, _ = page_actor(request)
    lang = _lang(request)
    given = {"kind": kind, "country": country.upper(), "code_prefix": code_prefix}
    filters = {k: v.strip() for k, v in given.items() if k in _FILTERS[entity] and v.strip()}
    found = get_registry(request).list(
        actor,
        entity,
        q=q.strip() or None,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
        kind=filters.get("kind"),
        country=filters.get("country"),
        code_prefix=filters.get("code_prefix"),
    )
    rows = _browse_rows(found.items, lang)
    if format != "html":
        return frame_download(pd.DataFrame(rows), format, f"registry-{entity}-page{page}")
    query = {"entity": entity, "q": q, **filters}
    total: int | str = found.total
    pages: int | str = max(1, -(-found.total // PAGE_SIZE))
    if not found.total_exact:
        # The count stopped at a bound: ``total`` is that bound plus one, a lower bound, so no
        # page count can be derived from it; say "more than <bound>" in the count and caption.
        t = translator(lang)
        counted = format_number(found.total - 1, lang)
        total = t("registry.more_than", count=counted)
        pages = t("registry.more_than_results", count=counted)
    has_next = found.total > page * PAGE_SIZE  # a lower bound too is past this page's end
    return render(
        request,
        "registry/browse.html",
        _context(
            request,
            entity=entity,
            entities=ENTITIES,
            filters=_FILTERS[entity],
            values={"q": q, **given},
            kinds=[k.value for k in OrgKind],
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            prev_url=f"?{urlencode({**query, 'page': page - 1})}" if page > 1 else None,
            next_url=f"?{urlencode({**query, 'page': page + 1})}" if has_next else None,
            download_url=f"/registry?{urlencode({**query, 'page': page})}",
        ),
        active="registry",
    )


def _lang(request: Request) -> Lang:
    return negotiate(request)[0]


# --- one record ---------------------------------------------------------------------------------


def _all(registry: Registry, actor: Actor, entity: str, organisation_id: int) -> list[Any]:
    return registry.list(actor, entity, organisation_id=organisation_id, limit=500).items


@router.get("/registry/organisations/{org_id}", summary="An organisation")
def organisation_page(request: Request, org_id: Id) -> Response:
    """The organisation with its products, needs, sites, identifiers, sources, projects and
    the versions the caller may see; edit and submit buttons for its editors."""
    actor, _ = page_actor(request)
    registry = get_registry(request)
    org = registry.get(actor, "organisations", org_id)
    assert isinstance(org, OrganisationPublic)
    lang = _lang(request)
    return render(
        request,
        "registry/organisation.html",
        _context(
            request,
            org=org,
            name=_names(org, lang),
            products=_all(registry, actor, "products", org_id),
            needs=_all(registry, actor, "needs", org_id),
            projects=_all(registry, actor, "projects", org_id),
            history=registry.history(actor, "organisations", org_id),
            can_edit=_may(actor, "update", org),
            can_submit=_may(actor, "submit", org)
            and org.status in (RecordStatus.DRAFT, RecordStatus.REJECTED),
        ),
        active="registry",
    )


def _may(actor: Actor, action: Any, org: OrganisationPublic) -> bool:
    try:
        authorize(actor, action, "organisations", org.id, org.status.value)
    except PermissionDeniedError:
        return False
    return actor.role is not Role.REVIEWER or action != "update"


@router.get("/registry/projects/{project_id}", summary="A joint project")
def project_page(request: Request, project_id: Id) -> Response:
    """The project with its participants (named where the caller may see them)."""
    actor, _ = page_actor(request)
    registry = get_registry(request)
    project = registry.get(actor, "projects", project_id)
    assert isinstance(project, ProjectPublic)
    lang = _lang(request)
    participants = []
    for p in project.participants:
        try:
            name = _names(registry.get(actor, "organisations", p.organisation_id), lang)
        except RecordNotFoundError:
            name = None
        participants.append({"id": p.organisation_id, "role": p.role.value, "name": name})
    return render(
        request,
        "registry/project.html",
        _context(
            request,
            project=project,
            name=_names(project, lang),
            participants=participants,
        ),
        active="registry",
    )


# --- editing -----------------------------------------------------------------------------------


def _editable(request: Request, actor: Actor, org_id: int) -> OrganisationPublic:
    org = get_registry(request).get(actor, "organisations", org_id)
    assert isinstance(org, OrganisationPublic)
    if actor.role is Role.REVIEWER:
        raise PermissionDeniedError(f"{actor.label} is a reviewer; reviewers do not edit content")
    authorize(actor, "update", "organisations", org.id, org.status.value)
    return org


def _edit_page(
    request: Request,
    org: OrganisationPublic,
    values: dict[str, str],
    version: int,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "registry/edit.html",
        _context(
            request, org=org, fields=_EDITABLE, values=values, version=version, message=message
        ),
        status_code=status_code,
        active="registry",
    )


@router.get("/registry/organisations/{org_id}/edit", summary="Edit one's organisation")
def edit_form(request: Request, org_id: Id) -> Response:
    """The form, filled with the current record; 401 without a session, 403 for anyone but
    the organisation's editors and admins."""
    actor, _ = page_actor(request)
    if actor.user_id is None:
        return RedirectResponse(f"/login?next=/registry/organisations/{org_id}/edit", 303)
    org = _editable(request, actor, org_id)
    values = {f: str(getattr(org, f) or "") for f in _EDITABLE}
    return _edit_page(request, org, values, org.version)


@router.post("/registry/organisations/{org_id}/edit", summary="Save one's organisation")
async def edit_save(request: Request, org_id: Id) -> Response:
    """Save the form: the ``version`` field is the one the editor read, so a write over a
    newer version is refused and the page says so (409) with the current version's values."""
    form = await request.form()
    actor = form_actor(request, str(form.get(CSRF_FIELD, "")))
    org = _editable(request, actor, org_id)
    values = {f: str(form.get(f, "")).strip() for f in _EDITABLE}
    version = _version(form.get("version"))
    changes = {
        f: (v or None)
        for f, v in values.items()
        if (v or None) != getattr(org, f) or f in _REQUIRED
    }
    try:
        patch = OrganisationUpdate.model_validate(changes)
        saved = get_registry(request).update(actor, "organisations", org_id, patch, version)
    except StaleWriteError:
        current = get_registry(request).get(actor, "organisations", org_id)
        assert isinstance(current, OrganisationPublic)
        fresh = {f: str(getattr(current, f) or "") for f in _EDITABLE}
        return _edit_page(request, current, fresh, current.version, "stale", 409)
    except (ValueError, RecordValidationError) as exc:
        return _edit_page(request, org, values, version, str(exc), 422)
    return RedirectResponse(f"/registry/organisations/{saved.id}?saved={saved.version}", 303)


@router.post("/registry/organisations/{org_id}/submit", summary="Submit for review")
async def submit(request: Request, org_id: Id) -> Response:
    """Send the organisation to the reviewers (draft or rejected -> submitted)."""
    form = await request.form()
    actor = form_actor(request, str(form.get(CSRF_FIELD, "")))
    version = _version(form.get("version"))
    try:
        get_registry(request).submit(actor, "organisations", org_id, version)
    except StaleWriteError:
        return RedirectResponse(f"/registry/organisations/{org_id}?stale=1", 303)
    return RedirectResponse(f"/registry/organisations/{org_id}?submitted=1", 303)


def _version(value: Any) -> int:
    try:
        return int(str(value))
    except ValueError:
        raise RecordValidationError(
            f"the form's version must be a whole number; got {value!r}",
            field="version",
            value=value,
        ) from None


# --- review ------------------------------------------------------------------------------------


def _reviewer(request: Request) -> Actor:
    actor, _ = page_actor(request)
    if actor.user_id is None:
        raise AuthenticationError("the review queue needs a signed-in reviewer: sign in at /login")
    if actor.role not in (Role.REVIEWER, Role.ADMIN):
        role = actor.role.value if actor.role is not None else "none"
        raise PermissionDeniedError(f"the review queue is for reviewers; {actor.label} is {role}")
    return actor


def _queue_page(request: Request, message: str | None = None, status_code: int = 200) -> Response:
    actor = _reviewer(request)
    registry = get_registry(request)
    lang = _lang(request)
    queue = {
        entity: _browse_rows(
            registry.list(actor, entity, status="submitted", limit=500).items, lang
        )
        for entity in ENTITIES
    }
    return render(
        request,
        "registry/review.html",
        _context(request, queue=queue, message=message),
        status_code=status_code,
        active="registry",
    )


@router.get("/registry/review", summary="The reviewers' queue")
def review_queue(request: Request) -> Response:
    """Every record waiting for review (status ``submitted``), by entity."""
    return _queue_page(request, request.query_params.get("done"))


@router.post("/registry/{entity}/{record_id}/review", summary="Approve or reject")
async def review(
    request: Request,
    entity: Annotated[str, Path(pattern="^(organisations|products|needs|projects)$")],
    record_id: Id,
) -> Response:
    """``decision=approve`` publishes; ``decision=reject`` needs a ``note`` (else the queue is
    shown again with the reason, 422)."""
    form = await request.form()
    actor = form_actor(request, str(form.get(CSRF_FIELD, "")))
    decision = str(form.get("decision", ""))
    note = str(form.get("note", "")).strip() or None
    version = _version(form.get("version"))
    registry = get_registry(request)
    try:
        if decision == "approve":
            registry.approve(actor, entity, record_id, version, note)
        elif decision == "reject":
            registry.reject(actor, entity, record_id, version, note)
        else:
            raise RecordValidationError(
                f"decision must be approve or reject; got {decision!r}",
                field="decision",
                value=decision,
            )
    except RecordValidationError as exc:
        return _queue_page(request, str(exc), 422)
    except (StaleWriteError, ConflictError) as exc:
        return _queue_page(request, str(exc), 409)
    done = urlencode({"done": f"{decision}:{entity}:{record_id}"})
    return RedirectResponse(f"/registry/review?{done}", 303)


# --- sign-in -----------------------------------------------------------------------------------


def _login_page(
    request: Request, next_url: str, error: str | None = None, status_code: int = 200
) -> Response:
    token = form_token(request)
    response = render(
        request,
        "registry/login.html",
        {**_context(request, next_url=next_url, error=error), CSRF_FIELD: token},
        status_code=status_code,
        active="registry",
    )
    return with_form_cookie(request, response, token)


def _safe_next(value: str) -> str:
    """Only a path on this site (never ``//host`` or a full URL) may follow a sign-in."""
    return value if value.startswith("/") and not value.startswith("//") else "/registry"


@router.get("/login", summary="Sign in")
def login_form(
    request: Request, next: Annotated[str, Query(max_length=500)] = "/registry"
) -> Response:
    """The sign-in form."""
    return _login_page(request, _safe_next(next))


@router.post("/login", summary="Sign in")
async def login(request: Request) -> Response:
    """Check the credentials (with the API's rate limit), start a session and go on to
    ``next``; a wrong password shows the form again (401)."""
    form = await request.form()
    next_url = _safe_next(str(form.get("next", "/registry")))
    checked_form(request, str(form.get(CSRF_FIELD, "")))
    registry = get_registry(request)
    failure: AuthenticationError | RateLimitedError | None = None
    with registry.session() as session:
        try:
            actor = accounts.authenticate_password(
                session,
                str(form.get("email", "")),
                str(form.get("password", "")),
                client_address(request),
            )
        except (AuthenticationError, RateLimitedError) as exc:
            failure = exc  # commit the counted attempt, then show the form again
        else:
            assert actor.user_id is not None
            token, _ = credentials.start_session(session, actor.user_id)
    if failure is not None:
        code = 429 if isinstance(failure, RateLimitedError) else 401
        return _login_page(request, next_url, "bad_credentials" if code == 401 else "rate", code)
    response = RedirectResponse(next_url, 303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(credentials.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=get_settings(request).secure_cookies,
    )
    return response


@router.post("/logout", summary="Sign out")
async def logout(request: Request) -> Response:
    """End the session (the form carries the CSRF token) and go to the registry."""
    form = await request.form()
    form_actor(request, str(form.get(CSRF_FIELD, "")))
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with get_registry(request).session() as session:
            credentials.end_session(session, token)
    response = RedirectResponse("/registry", 303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response
