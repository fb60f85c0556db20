"""Matching routes: needs, project inputs and external input flows -> ranked suppliers with
evidence; saved searches and their notifications.

=========================================== ================================================
``POST /match``                             a need (``NeedQuery``) -> ``MatchResult``
``POST /match/project``                     a project's top inputs (from an MRIO table),
                                            each with its suppliers
``POST /match/external-flows``              the bloc's largest inputs bought outside it, each
                                            with suppliers inside it
``POST /saved-searches``                    save a need (signed-in users; 201)
``GET /saved-searches``                     the caller's saved searches
``DELETE /saved-searches/{id}``             delete one of the caller's saved searches (204)
``POST /saved-searches/run``                the notifier's pass (admins; a cron job calls it)
``GET /notifications``                      the caller's notification feed (``?unread=true``)
``POST /notifications/{id}/read``           mark one of the caller's notifications read
=========================================== ================================================

Anyone may match, anonymous callers included: the index holds published records only, and
names are filled in as the anonymous actor sees them. The application holds one
:class:`~karavan.matching.Matcher` (:class:`MatcherHolder`, ``app.state.matcher``), built on
first use and refreshed from the registry's change feed before every match, so a record
published a moment ago is found without a restart. MRIO tables are loaded from the data store
(the built-in ``wiod2013-eaeu`` by default) and kept per (dataset, year).
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from karavan.core.table import MRIOTable
from karavan.datastore import DataStore
from karavan.errors import DatasetNotFoundError, LabelError, RecordValidationError
from karavan.matching import InputMatches, Matcher, MatchResult, NeedQuery
from karavan.matching.notify import notify_new_matches
from karavan.matching.saved import save_search
from karavan.registry import Registry
from karavan.registry.saved_searches import (
    MAX_NAME,
    MAX_NOTIFICATIONS_PAGE,
    NotificationInfo,
    SavedSearchInfo,
    delete_saved_search,
    list_notifications,
    list_saved_searches,
    mark_read,
)
from karavan.settings import Settings
from karavan.web.api.records import MAX_ID
from karavan.web.security import ActorDep, AdminDep, RegistryDep, SettingsDep, UserDep
from karavan.web.tables import cached_table

__all__ = [
    "DEFAULT_DATASET",
    "ExternalFlowsIn",
    "InputsOut",
    "MatcherHolder",
    "NotificationPublic",
    "NotifyRunOut",
    "ProjectIn",
    "SavedSearchIn",
    "SavedSearchPublic",
    "router",
]

DEFAULT_DATASET = "wiod2013-eaeu"
"""The MRIO table project and external-flow matching read unless the body names another."""

router = APIRouter(tags=["matching"])

_Dataset = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
_Label = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
_Year = Annotated[int, Field(ge=1900, le=2100)]


class MatcherHolder:
    """The application's one :class:`Matcher` over ``registry``, built on first use (building
    loads the concordances and reads the whole feed, which an app that never matches should not
    pay for), and the MRIO tables project matching reads. Thread-safe: a lock guards the build.
    """

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self._lock = threading.Lock()
        self._matcher: Matcher | None = None

    def matcher(self) -> Matcher:
        """The matcher, refreshed from the change feed (cheap when nothing changed)."""
        with self._lock:
            if self._matcher is None:
                self._matcher = Matcher(self.registry)
                return self._matcher
            matcher = self._matcher
        matcher.refresh()
        return matcher

    def table(self, settings: Settings, dataset: str, year: int | None) -> MRIOTable:
        """Table ``dataset`` for ``year`` from the data store (:func:`cached_table`); an
        unknown dataset or year is a RecordValidationError naming the body field."""
        store = DataStore(settings.data_dir)
        try:
            info = store.info(dataset)
        except DatasetNotFoundError as exc:
            raise RecordValidationError(str(exc), field="dataset", value=dataset) from exc
        try:
            resolved = store.resolve_year(info, year)
        except DatasetNotFoundError as exc:
            raise RecordValidationError(str(exc), field="year", value=year) from exc
        return cached_table(str(settings.data_dir), dataset, resolved)


def _holder(request: Request) -> MatcherHolder:
    holder: MatcherHolder = request.app.state.matcher
    return holder


# --- bodies and answers -------------------------------------------------------------------------


class ProjectIn(BaseModel):
    """A project in ``sector`` of ``region``: its ``top`` inputs by technical coefficient, each
    matched to ``limit`` suppliers (science centres too with ``technology``)."""

    model_config = ConfigDict(extra="forbid")

    dataset: _Dataset = DEFAULT_DATASET
    year: _Year | None = Field(default=None, description="required when the dataset has several")
    region: _Label
    sector: _Label
    top: Annotated[int, Field(ge=1, le=50)] = 10
    limit: Annotated[int, Field(ge=1, le=100)] = 10
    technology: bool = False


class ExternalFlowsIn(BaseModel):
    """The ``top`` largest flows from outside the EAEU into its members' industries (of
    ``buyer_region`` only, when given), each matched to ``limit`` suppliers inside the bloc."""

    model_config = ConfigDict(extra="forbid")

    dataset: _Dataset = DEFAULT_DATASET
    year: _Year | None = Field(default=None, description="required when the dataset has several")
    buyer_region: _Label | None = None
    top: Annotated[int, Field(ge=1, le=50)] = 10
    limit: Annotated[int, Field(ge=1, le=100)] = 10


class InputsOut(BaseModel):
    """Inputs read from a table, in order, each with the suppliers found for it."""

    dataset: str
    year: int | None
    inputs: list[InputMatches]


class SavedSearchIn(BaseModel):
    """A need to watch: new published records that match it are notified."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_NAME)
    ]
    query: NeedQuery
    active: bool = True


class SavedSearchPublic(BaseModel):
    """A saved search as its owner sees it (``query`` in canonical form)."""

    id: int
    name: str
    query: dict[str, Any]
    active: bool
    created_at: dt.datetime
    cursor_at: dt.datetime = Field(description="changes up to this time have been scored")


class NotificationPublic(BaseModel):
    """A record that matched one of the caller's saved searches, with the match's evidence."""

    id: int
    saved_search_id: int
    entity: str
    record_id: int
    score: float
    evidence: dict[str, Any]
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotifyRunOut(BaseModel):
    """What one pass of the notifier wrote."""

    notifications: int = Field(description="notifications created by this pass")


def _search_out(info: SavedSearchInfo) -> SavedSearchPublic:
    return SavedSearchPublic(
        id=info.id,
        name=info.name,
        query=info.query,
        active=info.active,
        created_at=info.created_at,
        cursor_at=info.cursor_at,
    )


def _notification_out(info: NotificationInfo) -> NotificationPublic:
    return NotificationPublic(
        id=info.id,
        saved_search_id=info.saved_search_id,
        entity=info.entity,
        record_id=info.record_id,
        score=info.score,
        evidence=info.evidence,
        created_at=info.created_at,
        read_at=info.read_at,
    )


def _label_error(exc: LabelError, body: BaseModel) -> RecordValidationError:
    """A region or sector the table does not have, as a 422 naming the body field."""
    message = str(exc)
    field = next((f for f in ("buyer_region", "region", "sector") if message.startswith(f)), None)
    value = getattr(body, field) if field else None
    return RecordValidationError(message, field=field, value=value)


# --- matching -----------------------------------------------------------------------------------


@router.post(
    "/match",
    response_model=MatchResult,
    summary="Rank suppliers for a need, with the evidence for each place",
)
def match_need(need: NeedQuery, request: Request, actor: ActorDep) -> MatchResult:
    """Published organisations that could meet ``need``, best first; every match lists the
    codes, terms, country tier, capacity and certifications that put it there."""
    del actor  # resolved for its checks (credentials, CSRF); matching reads published data only
    return _holder(request).matcher().match(need)


@router.post(
    "/match/project",
    response_model=InputsOut,
    summary="Suppliers for the main inputs of a project in a sector and region",
)
def match_project(
    body: ProjectIn, request: Request, actor: ActorDep, settings: SettingsDep
) -> InputsOut:
    """The ``top`` inputs of the industry (column of ``A = Z diag(x)^-1``, summed over supplying
    regions), each with its coefficient and the suppliers matched to its sector's codes."""
    del actor
    holder = _holder(request)
    table = holder.table(settings, body.dataset, body.year)
    try:
        inputs = holder.matcher().match_project(
            table,
            body.region,
            body.sector,
            top=body.top,
            limit=body.limit,
            technology=body.technology,
        )
    except LabelError as exc:
        raise _label_error(exc, body) from exc
    return InputsOut(dataset=body.dataset, year=table.meta.year, inputs=inputs)


@router.post(
    "/match/external-flows",
    response_model=InputsOut,
    summary="Suppliers inside the EAEU for its largest inputs bought outside it",
)
def match_external_flows(
    body: ExternalFlowsIn, request: Request, actor: ActorDep, settings: SettingsDep
) -> InputsOut:
    """The largest flows ``Z[i, j]`` from industries outside the bloc into member industries,
    each with suppliers in the bloc (its members are the preferred countries)."""
    del actor
    holder = _holder(request)
    table = holder.table(settings, body.dataset, body.year)
    try:
        inputs = holder.matcher().match_external_flows(
            table, buyer_region=body.buyer_region, top=body.top, limit=body.limit
        )
    except LabelError as exc:
        raise _label_error(exc, body) from exc
    return InputsOut(dataset=body.dataset, year=table.meta.year, inputs=inputs)


# --- saved searches and notifications -----------------------------------------------------------

SearchIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="the saved search's id")]
NotificationIdPath = Annotated[int, Path(ge=1, le=MAX_ID, description="the notification's id")]


@router.post(
    "/saved-searches",
    response_model=SavedSearchPublic,
    status_code=201,
    summary="Save a need: be notified of newly published records that match it",
)
def create_search(body: SavedSearchIn, actor: UserDep, registry: RegistryDep) -> SavedSearchPublic:
    return _search_out(save_search(registry, actor, body.name, body.query, active=body.active))


@router.get(
    "/saved-searches",
    response_model=list[SavedSearchPublic],
    summary="The caller's saved searches, oldest first",
)
def list_searches(actor: UserDep, registry: RegistryDep) -> list[SavedSearchPublic]:
    with registry.read_session() as session:
        return [_search_out(info) for info in list_saved_searches(session, actor)]


@router.post(
    "/saved-searches/run",
    response_model=NotifyRunOut,
    summary="Run the notifier once over every active saved search (admins; for a cron job)",
)
def run_notifier(request: Request, actor: AdminDep, registry: RegistryDep) -> NotifyRunOut:
    del actor
    return NotifyRunOut(notifications=notify_new_matches(registry, _holder(request).matcher()))


@router.delete(
    "/saved-searches/{search_id}",
    status_code=204,
    summary="Delete one of the caller's saved searches and its notifications",
)
def delete_search(search_id: SearchIdPath, actor: UserDep, registry: RegistryDep) -> Response:
    with registry.session() as session:
        delete_saved_search(session, actor, search_id)
    return Response(status_code=204)


@router.get(
    "/notifications",
    response_model=list[NotificationPublic],
    summary="The caller's notifications, newest first",
)
def notifications(
    actor: UserDep,
    registry: RegistryDep,
    unread: Annotated[bool, Query(description="only notifications not yet read")] = False,
    saved_search_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_NOTIFICATIONS_PAGE)] = 50,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="the last id of the previous page")
    ] = None,
) -> list[NotificationPublic]:
    with registry.read_session() as session:
        found = list_notifications(
            session,
            actor,
            unread_only=unread,
            saved_search_id=saved_search_id,
            limit=limit,
            before_id=before_id,
        )
    return [_notification_out(info) for info in found]


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationPublic,
    summary="Mark one of the caller's notifications read",
)
def read_notification(
    notification_id: NotificationIdPath, actor: UserDep, registry: RegistryDep
) -> NotificationPublic:
    with registry.session() as session:
        return _notification_out(mark_read(session, actor, notification_id))
