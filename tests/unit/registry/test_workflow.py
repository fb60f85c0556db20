"""Review workflow and permissions through the service: who may create, edit, submit, approve
and reject, which transitions are allowed, and what each role can see."""

from __future__ import annotations

import pytest

from karavan.errors import (
    ConflictError,
    PermissionDeniedError,
    RecordNotFoundError,
    RecordValidationError,
    StaleWriteError,
)
from karavan.registry import accounts
from karavan.registry.actors import ANONYMOUS, Actor, Role
from karavan.registry.schemas import OrganisationUpdate, ProductUpdate, RecordStatus
from karavan.registry.service import Registry
from tests.unit.registry.conftest import (
    ADMIN,
    REVIEWER,
    VIEWER,
    editor_of,
    organisation,
    product,
    project,
    publish,
)


@pytest.fixture
def two_orgs(registry: Registry) -> tuple[int, int]:
    """Two organisations (ids 1 and 2) created by the admin, in draft."""
    first = registry.create(ADMIN, "organisations", organisation())
    second = registry.create(ADMIN, "organisations", organisation(identifiers=[], name_en="B"))
    return first.id, second.id


def test_editor_submits_reviewer_approves(registry: Registry, two_orgs: tuple[int, int]) -> None:
    editor = editor_of(two_orgs[0])
    prod = registry.create(editor, "products", product(two_orgs[0]))
    submitted = registry.submit(editor, "products", prod.id, 1, note="ready")
    assert (submitted.status, submitted.version, submitted.review_note) == (
        RecordStatus.SUBMITTED,
        2,
        "ready",
    )
    approved = registry.approve(REVIEWER, "products", prod.id, 2)
    assert (approved.status, approved.version, approved.review_note) == (
        RecordStatus.PUBLISHED,
        3,
        None,
    )
    assert approved.updated_by == REVIEWER.user_id


def test_reject_needs_a_note_and_allows_resubmission(
    registry: Registry, two_orgs: tuple[int, int]
) -> None:
    editor = editor_of(two_orgs[0])
    prod = registry.create(editor, "products", product(two_orgs[0]))
    registry.submit(editor, "products", prod.id, 1)
    with pytest.raises(RecordValidationError, match="needs a note") as e:
        registry.reject(REVIEWER, "products", prod.id, 2, note="  ")
    assert e.value.field == "note"
    rejected = registry.reject(REVIEWER, "products", prod.id, 2, note="capacity unsourced")
    assert (rejected.status, rejected.review_note) == (RecordStatus.REJECTED, "capacity unsourced")
    again = registry.submit(editor, "products", prod.id, 3)
    assert again.status is RecordStatus.SUBMITTED
    assert again.review_note == "capacity unsourced"


@pytest.mark.parametrize(
    ("action", "status_path", "message"),
    [
        ("approve", [], "it is 'draft'; approve needs one of ['submitted']"),
        ("reject", [], "it is 'draft'; reject needs one of ['submitted']"),
        ("submit", ["submit"], "it is 'submitted'; submit needs one of ['draft', 'rejected']"),
        ("submit", ["submit", "approve"], "it is 'published'"),
    ],
)
def test_transitions_not_allowed_from_the_current_status(
    registry: Registry, action: str, status_path: list[str], message: str
) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    version = 1
    for step in status_path:
        version = getattr(registry, step)(ADMIN, "organisations", org.id, version).version
    with pytest.raises(ConflictError, match=message.replace("[", r"\[").replace("]", r"\]")):
        getattr(registry, action)(ADMIN, "organisations", org.id, version, note="n")


def test_workflow_checks_the_expected_version(registry: Registry) -> None:
    org = registry.create(ADMIN, "organisations", organisation())
    with pytest.raises(StaleWriteError, match="is at version 1; the write expected version 5"):
        registry.submit(ADMIN, "organisations", org.id, 5)


def test_editor_write_to_published_record_returns_it_to_draft(
    registry: Registry, two_orgs: tuple[int, int]
) -> None:
    editor = editor_of(two_orgs[0])
    prod = registry.create(editor, "products", product(two_orgs[0]))
    version = publish(registry, "products", prod.id, 1)
    edited = registry.update(editor, "products", prod.id, ProductUpdate(capacity=1.0), version)
    assert (edited.status, edited.version) == (RecordStatus.DRAFT, version + 1)
    by_admin = registry.update(ADMIN, "products", prod.id, ProductUpdate(capacity=2.0), 4)
    assert by_admin.status is RecordStatus.DRAFT
    version = publish(registry, "products", prod.id, 5)
    admin_edit = registry.update(ADMIN, "products", prod.id, ProductUpdate(capacity=3.0), version)
    assert admin_edit.status is RecordStatus.PUBLISHED


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [
        (ADMIN, True),
        (REVIEWER, False),
        (editor_of(1), True),
        (editor_of(2), False),
        (VIEWER, False),
        (ANONYMOUS, False),
    ],
)
def test_who_may_create_a_product_of_organisation_1(
    registry: Registry, two_orgs: tuple[int, int], actor: Actor, allowed: bool
) -> None:
    if allowed:
        assert registry.create(actor, "products", product(1)).organisation_id == 1
    else:
        with pytest.raises(PermissionDeniedError, match="may not create products owned by"):
            registry.create(actor, "products", product(1))


@pytest.mark.parametrize(
    ("actor", "outcome"),
    [
        (ADMIN, "ok"),
        (REVIEWER, "denied"),
        (editor_of(1), "ok"),
        (editor_of(2), "hidden"),
        (VIEWER, "hidden"),
        (ANONYMOUS, "hidden"),
    ],
)
def test_who_may_update_a_draft_organisation(
    registry: Registry, two_orgs: tuple[int, int], actor: Actor, outcome: str
) -> None:
    patch = OrganisationUpdate(region="Almaty")
    if outcome == "ok":
        assert registry.update(actor, "organisations", 1, patch, 1).region == "Almaty"
    elif outcome == "denied":
        with pytest.raises(PermissionDeniedError, match="may not update organisations"):
            registry.update(actor, "organisations", 1, patch, 1)
    else:  # a draft the actor cannot see does not exist for them
        with pytest.raises(RecordNotFoundError, match="no organisations record with id 1"):
            registry.update(actor, "organisations", 1, patch, 1)


@pytest.mark.parametrize(
    ("actor", "may_approve"),
    [(ADMIN, True), (REVIEWER, True), (editor_of(1), False)],
)
def test_only_reviewers_and_admins_approve(
    registry: Registry, two_orgs: tuple[int, int], actor: Actor, may_approve: bool
) -> None:
    registry.submit(ADMIN, "organisations", 1, 1)
    if may_approve:
        assert registry.approve(actor, "organisations", 1, 2).status is RecordStatus.PUBLISHED
    else:
        with pytest.raises(PermissionDeniedError, match="may not approve"):
            registry.approve(actor, "organisations", 1, 2)
        with pytest.raises(PermissionDeniedError, match="may not reject"):
            registry.reject(actor, "organisations", 1, 2, note="no")


def test_reviewer_may_not_submit(registry: Registry, two_orgs: tuple[int, int]) -> None:
    with pytest.raises(PermissionDeniedError, match="may not submit"):
        registry.submit(REVIEWER, "organisations", 1, 1)


def test_editor_may_not_move_a_product_to_another_organisation(
    registry: Registry, two_orgs: tuple[int, int]
) -> None:
    editor = editor_of(1)
    prod = registry.create(editor, "products", product(1))
    with pytest.raises(PermissionDeniedError, match="owned by organisation 2"):
        registry.update(editor, "products", prod.id, ProductUpdate(organisation_id=2), 1)
    moved = registry.update(ADMIN, "products", prod.id, ProductUpdate(organisation_id=2), 1)
    assert moved.organisation_id == 2


def test_visibility_of_drafts_by_role(registry: Registry, two_orgs: tuple[int, int]) -> None:
    publish(registry, "organisations", 2, 1)
    seen = {
        name: [o.id for o in registry.list(actor, "organisations").items]
        for name, actor in {
            "admin": ADMIN,
            "reviewer": REVIEWER,
            "editor1": editor_of(1),
            "editor2": editor_of(2),
            "viewer": VIEWER,
            "anonymous": ANONYMOUS,
        }.items()
    }
    assert seen == {
        "admin": [1, 2],
        "reviewer": [1, 2],
        "editor1": [1, 2],
        "editor2": [2],
        "viewer": [2],
        "anonymous": [2],
    }
    with pytest.raises(RecordNotFoundError):
        registry.get(VIEWER, "organisations", 1)
    with pytest.raises(RecordNotFoundError):
        registry.history(ANONYMOUS, "organisations", 1)
    assert registry.get(editor_of(1), "organisations", 1).status is RecordStatus.DRAFT


def test_editor_projects_belong_to_their_organisation(
    registry: Registry, two_orgs: tuple[int, int]
) -> None:
    created = registry.create(editor_of(1), "projects", project())
    assert created.owner_organisation_id == 1
    assert registry.list(editor_of(1), "projects").total == 1
    assert registry.list(editor_of(2), "projects").total == 0
    assert registry.list(ADMIN, "projects", organisation_id=1).total == 1
    with pytest.raises(PermissionDeniedError):
        registry.create(editor_of(None), "projects", project())


def test_bound_editor_may_not_create_an_organisation(registry: Registry) -> None:
    with pytest.raises(PermissionDeniedError, match="may not create organisations"):
        registry.create(editor_of(1), "organisations", organisation())


def test_unbound_editor_creates_one_organisation_and_is_bound_to_it(registry: Registry) -> None:
    with registry.session() as session:
        user = accounts.create_user(
            session, ADMIN, "founder@example.org", "correct horse battery staple 42", Role.EDITOR
        )
    founder = Actor(user_id=user.id, role=Role.EDITOR, label="founder@example.org")
    org = registry.create(founder, "organisations", organisation())
    with registry.session() as session:
        assert accounts.get_user(session, user.id).organisation_id == org.id
    # the binding is stored; the next request's actor carries it and may not found another
    bound = Actor(user_id=user.id, role=Role.EDITOR, organisation_id=org.id, label="founder")
    with pytest.raises(PermissionDeniedError):
        registry.create(bound, "organisations", organisation(identifiers=[], name_en="Second"))
