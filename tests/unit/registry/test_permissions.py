"""The pure permission rules: the full matrix of role x action x ownership x status."""

from __future__ import annotations

import pytest

from karavan.errors import PermissionDeniedError
from karavan.registry.actors import ANONYMOUS, SYSTEM, Actor
from karavan.registry.permissions import Action, authorize, can_read
from tests.unit.registry.conftest import ADMIN, REVIEWER, VIEWER, editor_of

OWN = editor_of(1)
OTHER = editor_of(2)
UNBOUND = editor_of(None)
ACTORS = {
    "admin": ADMIN,
    "system": SYSTEM,
    "reviewer": REVIEWER,
    "own editor": OWN,
    "other editor": OTHER,
    "unbound editor": UNBOUND,
    "viewer": VIEWER,
    "anonymous": ANONYMOUS,
}
ACTIONS: tuple[Action, ...] = ("update", "submit", "approve", "reject")

# action -> the actors allowed it on a product of organisation 1
EXPECTED = {
    "update": {"admin", "system", "own editor"},
    "submit": {"admin", "system", "own editor"},
    "approve": {"admin", "system", "reviewer"},
    "reject": {"admin", "system", "reviewer"},
}


@pytest.mark.parametrize("action", ACTIONS)
def test_action_matrix_on_a_product_of_organisation_1(action: Action) -> None:
    allowed = set()
    for name, actor in ACTORS.items():
        try:
            authorize(actor, action, "products", 1, "draft")
        except PermissionDeniedError:
            continue
        allowed.add(name)
    assert allowed == EXPECTED[action]


@pytest.mark.parametrize(
    ("entity", "owner", "expected"),
    [
        ("products", 1, {"admin", "system", "own editor"}),
        ("projects", 1, {"admin", "system", "own editor"}),
        ("projects", None, {"admin", "system"}),
        ("organisations", None, {"admin", "system", "unbound editor"}),
    ],
)
def test_create_matrix(entity: str, owner: int | None, expected: set[str]) -> None:
    allowed = set()
    for name, actor in ACTORS.items():
        try:
            authorize(actor, "create", entity, owner)
        except PermissionDeniedError:
            continue
        allowed.add(name)
    assert allowed == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("published", set(ACTORS)),
        ("draft", {"admin", "system", "reviewer", "own editor"}),
        ("submitted", {"admin", "system", "reviewer", "own editor"}),
        ("rejected", {"admin", "system", "reviewer", "own editor"}),
    ],
)
def test_read_matrix(status: str, expected: set[str]) -> None:
    assert {name for name, actor in ACTORS.items() if can_read(actor, 1, status)} == expected


def test_denial_names_actor_action_and_owner() -> None:
    viewer = Actor(user_id=9, role=VIEWER.role, label="v@example.org")
    with pytest.raises(PermissionDeniedError) as e:
        authorize(viewer, "update", "needs", 5, "published")
    assert str(e.value) == (
        "v@example.org (viewer) may not update needs owned by organisation 5 in status 'published'"
    )
    with pytest.raises(PermissionDeniedError, match=r"anonymous \(anonymous\) may not submit"):
        authorize(ANONYMOUS, "submit", "needs", 5, "draft")
