"""Who is acting: the identity every registry call carries (resolved by the web layer or CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ANONYMOUS", "SYSTEM", "Actor", "Role"]


class Role(StrEnum):
    """Account roles, from most to least powerful."""

    ADMIN = "admin"
    REVIEWER = "reviewer"
    EDITOR = "editor"
    VIEWER = "viewer"


@dataclass(frozen=True, slots=True)
class Actor:
    """An authenticated user (or the system, or nobody).

    ``user_id`` is ``None`` for anonymous callers and for the system itself (seed loading,
    migrations); ``organisation_id`` binds an editor to the one organisation they may edit.
    """

    user_id: int | None
    role: Role | None
    organisation_id: int | None = None
    label: str = "anonymous"

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.is_system

    @property
    def is_system(self) -> bool:
        return self.label == "system" and self.role is Role.ADMIN and self.user_id is None


ANONYMOUS = Actor(user_id=None, role=None, label="anonymous")
SYSTEM = Actor(user_id=None, role=Role.ADMIN, label="system")
