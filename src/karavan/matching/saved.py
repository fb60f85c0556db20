"""Saved searches, matching side: a saved query is a :class:`~karavan.matching.query.NeedQuery`.

The registry stores a saved search's query as opaque JSON
(:mod:`karavan.registry.saved_searches`); this module is the only way queries get in and out,
so what is stored always validates as a ``NeedQuery``: :func:`save_search` and
:func:`change_search` validate before writing, :func:`need_of` validates on the way back (a
stored query that no longer validates, say because a code left the classification, raises
:class:`~karavan.errors.RecordValidationError` naming the search).

Queries are stored in canonical form (:func:`canonical_query`): ``NeedQuery``'s JSON without
the fields left at their defaults, so two equal queries are stored alike and the stored JSON
stays small.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from karavan.errors import RecordValidationError
from karavan.matching.query import NeedQuery
from karavan.registry import Actor, Registry
from karavan.registry.saved_searches import (
    SavedSearchInfo,
    create_saved_search,
    update_saved_search,
)

__all__ = ["canonical_query", "change_search", "need_of", "save_search"]


def _validation_error(exc: ValidationError, where: str) -> RecordValidationError:
    first = exc.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return RecordValidationError(
        f"{where}: {first['msg']} (field {field or '<query>'}; got {first.get('input')!r:.100})",
        field=f"query.{field}" if field else "query",
        value=first.get("input"),
    )


def canonical_query(query: NeedQuery | Mapping[str, Any]) -> dict[str, Any]:
    """``query`` validated as a :class:`NeedQuery` and turned into the JSON that is stored.

    Raises RecordValidationError (field ``query.<name>``) when it is not a valid need.
    """
    try:
        need = query if isinstance(query, NeedQuery) else NeedQuery.model_validate(dict(query))
    except ValidationError as exc:
        raise _validation_error(exc, "a saved search's query must be a valid need") from exc
    return need.model_dump(mode="json", exclude_defaults=True)


def need_of(search: SavedSearchInfo) -> NeedQuery:
    """The stored query of ``search`` as a :class:`NeedQuery`."""
    try:
        return NeedQuery.model_validate(search.query)
    except ValidationError as exc:
        raise _validation_error(
            exc,
            f"saved search {search.id} ({search.name!r}) holds a query that is not a valid need",
        ) from exc


def save_search(
    registry: Registry,
    actor: Actor,
    name: str,
    query: NeedQuery | Mapping[str, Any],
    *,
    active: bool = True,
) -> SavedSearchInfo:
    """Save ``query`` for the signed-in ``actor`` (validated first); it notifies about records
    published from now on (:func:`karavan.matching.notify.notify_new_matches`)."""
    stored = canonical_query(query)
    with registry.session() as session:
        return create_saved_search(session, actor, name, stored, active=active)


def change_search(
    registry: Registry,
    actor: Actor,
    search_id: int,
    *,
    name: str | None = None,
    query: NeedQuery | Mapping[str, Any] | None = None,
    active: bool | None = None,
) -> SavedSearchInfo:
    """Rename, re-query, pause or resume one of the actor's saved searches (a new query is
    validated first; see :func:`karavan.registry.saved_searches.update_saved_search`)."""
    stored = canonical_query(query) if query is not None else None
    with registry.session() as session:
        return update_saved_search(
            session, actor, search_id, name=name, query=stored, active=active
        )
