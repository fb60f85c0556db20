"""Who may do what to which record: pure rules over the actor, the record's owner and status.

The rules (``docs/registry-design.md``, "Workflow and roles"):

=========== =================================== ============================================
action      allowed for                         notes
=========== =================================== ============================================
read        everyone for ``published``;         anonymous callers and viewers see published
            admins and reviewers for any        records only
            status; editors for their own
            organisation's records
create      admins; editors for their own       an editor without an organisation may create
            organisation                        one organisation (which binds them)
update      admins; editors of the owner        reviewers may not edit content
submit      admins; editors of the owner
approve     admins and reviewers
reject      admins and reviewers
=========== =================================== ============================================

"Owner" is the organisation the record belongs to: an organisation owns itself, products and
needs belong to their ``organisation_id``, a project to its ``owner_organisation_id``.
Visibility comes first: the service reports a record the actor cannot :func:`can_read` as not
found, and only then asks :func:`authorize`.
"""

from __future__ import annotations

from typing import Literal

from karavan.errors import PermissionDeniedError
from karavan.registry.actors import Actor, Role

__all__ = ["Action", "authorize", "can_read", "sees_all_statuses"]

Action = Literal["read", "create", "update", "submit", "approve", "reject"]

PUBLISHED = "published"


def sees_all_statuses(actor: Actor) -> bool:
    """Admins (and the system) and reviewers see records in every status."""
    return actor.role in (Role.ADMIN, Role.REVIEWER)


def _is_owner_editor(actor: Actor, owner_org_id: int | None) -> bool:
    return (
        actor.role is Role.EDITOR
        and actor.organisation_id is not None
        and actor.organisation_id == owner_org_id
    )


def can_read(actor: Actor, owner_org_id: int | None, status: str) -> bool:
    """Whether the actor may see a record of this owner in this status."""
    return status == PUBLISHED or sees_all_statuses(actor) or _is_owner_editor(actor, owner_org_id)


def _allowed(
    actor: Actor, action: Action, entity: str, owner_org_id: int | None, status: str
) -> bool:
    if action == "read":
        return can_read(actor, owner_org_id, status)
    if actor.role is Role.ADMIN:
        return True
    if action in ("approve", "reject"):
        return actor.role is Role.REVIEWER
    if actor.role is not Role.EDITOR:
        return False
    if action == "create" and entity == "organisations":
        # The new organisation's id is not known yet: an editor may found one only when not
        # yet bound to any organisation (creating it binds them).
        return actor.organisation_id is None
    return _is_owner_editor(actor, owner_org_id)


def authorize(
    actor: Actor, action: Action, entity: str, owner_org_id: int | None, status: str = "draft"
) -> None:
    """Return when ``actor`` may do ``action`` on a record of ``entity`` owned by
    ``owner_org_id`` in ``status``; raise :class:`~karavan.errors.PermissionDeniedError`
    naming the actor, the action and the record's owner otherwise.

    For ``create``, ``owner_org_id`` is the organisation the new record would belong to
    (``None`` for a new organisation).
    """
    if not _allowed(actor, action, entity, owner_org_id, status):
        role = actor.role.value if actor.role is not None else "anonymous"
        bound = f", bound to organisation {actor.organisation_id}" if actor.organisation_id else ""
        raise PermissionDeniedError(
            f"{actor.label} ({role}{bound}) may not {action} {entity} owned by organisation "
            f"{owner_org_id} in status {status!r}"
        )
