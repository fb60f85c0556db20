"""Registry pages, in-process: browse and search show exactly the records that match, sign-in,
the editor's form (CSRF, optimistic concurrency, only one's own organisation), submission and
the reviewers' queue. Runs on the ``sqlite_world`` of ``tests/integration/web/conftest.py``."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from tests.integration.web.conftest import PASSWORD, World, payload_for

from karavan.registry import (
    ENTITIES,
    SYSTEM,
    Corridor,
    OrganisationCreate,
    OrganisationUpdate,
    OrgKind,
    ParticipantRole,
    ProjectPhase,
    PublicRecord,
    RecordStatus,
    Role,
    service,
)
from karavan.web.pages.base import TEMPLATE_DIR
from karavan.web.pages.forms import FORM_CSRF_COOKIE
from karavan.web.pages.i18n import catalogue
from karavan.web.pages.registry import _EDITABLE, PAGE_SIZE

_ORG_LINK = re.compile(r'<td><a href="/registry/organisations/(\d+)">([^<]*)</a></td>')
PAGES_DIR = Path(__file__).resolve().parents[4] / "src" / "karavan" / "web" / "pages"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def published_org(world: World, name_en: str, country: str = "KAZ", **extra: str) -> PublicRecord:
    """A new organisation, published (so anonymous visitors see it)."""
    payload = OrganisationCreate.model_validate(
        {"kind": "enterprise", "name_en": name_en, "name_ru": f"{name_en} (ru)", "country": country}
        | extra
    )
    record = world.registry.create(SYSTEM, "organisations", payload)
    record = world.registry.submit(SYSTEM, "organisations", record.id, record.version)
    return world.registry.approve(SYSTEM, "organisations", record.id, record.version)


def listed(html: str) -> list[tuple[int, str]]:
    """(id, name) of the organisations in the results table, in order."""
    table = html[html.index('<table id="results">') : html.index("</table>")]
    return [(int(i), name) for i, name in _ORG_LINK.findall(table)]


def csrf_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found is not None, "the page has no form with a csrf_token"
    return found.group(1)


def signed_in(world: World, who: str) -> TestClient:
    """A client of its own (its own cookies) signed in through the login form as ``who``."""
    client = TestClient(world.app)
    form = client.get("/login?lang=en")
    assert form.status_code == 200
    assert FORM_CSRF_COOKIE in client.cookies
    response = client.post(
        "/login",
        data={
            "email": world.emails[who],
            "password": PASSWORD,
            "csrf_token": csrf_of(form.text),
            "next": "/registry",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    assert response.headers["location"] == "/registry"
    return client


@pytest.fixture(scope="module")
def search_orgs(sqlite_world: World) -> dict[str, int]:
    """Published organisations to search among (names chosen to match or not)."""
    made = {
        "Tau Copper": published_org(sqlite_world, "Tau Copper", "KAZ"),
        "Tau Cobalt": published_org(sqlite_world, "Tau Cobalt", "RUS"),
        "Baikal Grain": published_org(
            sqlite_world, "Baikal Grain", "KAZ", kind="agricultural_producer"
        ),
    }
    return {name: record.id for name, record in made.items()}


def test_search_shows_exactly_the_matching_records(
    sqlite_world: World, search_orgs: dict[str, int]
) -> None:
    page = sqlite_world.client.get("/registry", params={"q": "tau", "lang": "en"})
    assert page.status_code == 200
    assert listed(page.text) == [
        (search_orgs["Tau Copper"], "Tau Copper"),
        (search_orgs["Tau Cobalt"], "Tau Cobalt"),
    ]
    assert "Found: 2" in page.text


def test_filters_kind_and_country(sqlite_world: World, search_orgs: dict[str, int]) -> None:
    kaz = sqlite_world.client.get("/registry", params={"country": "kaz", "lang": "en"}).text
    assert {name for _, name in listed(kaz)} >= {"Tau Copper", "Baikal Grain"}
    assert "Tau Cobalt" not in {name for _, name in listed(kaz)}
    farms = sqlite_world.client.get(
        "/registry", params={"kind": "agricultural_producer", "country": "KAZ", "lang": "en"}
    )
    assert listed(farms.text) == [(search_orgs["Baikal Grain"], "Baikal Grain")]


def test_drafts_are_not_shown_to_anonymous_visitors(sqlite_world: World) -> None:
    names = {name for _, name in listed(sqlite_world.client.get("/registry?lang=en").text)}
    assert "Org A" not in names
    assert "Org B" not in names


def test_pagination_and_download_have_the_same_rows(sqlite_world: World) -> None:
    ids = [published_org(sqlite_world, f"Pager {i:02d}").id for i in range(PAGE_SIZE + 5)]
    first = sqlite_world.client.get("/registry", params={"q": "pager", "lang": "en"}).text
    second = sqlite_world.client.get("/registry", params={"q": "pager", "page": 2, "lang": "en"})
    assert [i for i, _ in listed(first)] == ids[:PAGE_SIZE]
    assert [i for i, _ in listed(second.text)] == ids[PAGE_SIZE:]
    assert f"Found: {PAGE_SIZE + 5}" in first
    assert 'rel="next"' in first
    assert 'rel="next"' not in second.text
    csv = sqlite_world.client.get("/registry", params={"q": "pager", "page": 2, "format": "csv"})
    assert csv.headers["content-type"].startswith("text/csv")
    frame = pd.read_csv(io.StringIO(csv.text))
    assert frame["id"].tolist() == ids[PAGE_SIZE:]
    parquet = sqlite_world.client.get("/registry", params={"q": "pager", "format": "parquet"})
    assert pd.read_parquet(io.BytesIO(parquet.content))["id"].tolist() == ids[:PAGE_SIZE]


def test_a_count_past_the_bound_says_more_than_and_keeps_paging(
    sqlite_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the count bounded at 3 the bound on page 1 is the page's end, 20 (``max(MAX_COUNT,
    offset + limit)``): 25 matches show "more than 20", no page count, and a next page; page 2
    counts up to 40, so its count is exact again."""
    monkeypatch.setattr(service, "MAX_COUNT", 3)
    ids = [published_org(sqlite_world, f"Zephyrine {i:02d}").id for i in range(PAGE_SIZE + 5)]
    first = sqlite_world.client.get("/registry", params={"q": "zephyrine", "lang": "en"}).text
    assert [i for i, _ in listed(first)] == ids[:PAGE_SIZE]
    assert f"Found: more than {PAGE_SIZE}<" in first
    assert f"page 1 of more than {PAGE_SIZE} results" in first
    assert "page 1 of 2" not in first
    assert 'rel="next"' in first
    russian = sqlite_world.client.get("/registry", params={"q": "zephyrine", "lang": "ru"}).text
    assert f"Найдено: более {PAGE_SIZE}<" in russian
    assert f"страница 1 из более чем {PAGE_SIZE} результатов" in russian
    second = sqlite_world.client.get(
        "/registry", params={"q": "zephyrine", "page": 2, "lang": "en"}
    ).text
    assert [i for i, _ in listed(second)] == ids[PAGE_SIZE:]
    assert f"Found: {PAGE_SIZE + 5}<" in second
    assert "page 2 of 2" in second
    assert 'rel="next"' not in second


def test_products_filtered_by_code_prefix(sqlite_world: World) -> None:
    org = published_org(sqlite_world, "Prefix Steel")
    made = []
    for hs in ("720851", "730419", "720852"):
        payload = payload_for("products", org.id, hs_code=hs, text=f"steel {hs}")
        product = sqlite_world.registry.create(SYSTEM, "products", payload)
        product = sqlite_world.registry.submit(SYSTEM, "products", product.id, product.version)
        made.append(sqlite_world.registry.approve(SYSTEM, "products", product.id, product.version))
    page = sqlite_world.client.get(
        "/registry",
        params={"entity": "products", "code_prefix": "7208", "q": "steel", "lang": "en"},
    ).text
    table = page[page.index('<table id="results">') :]
    assert "steel 720851" in table
    assert "steel 720852" in table
    assert "steel 730419" not in table


def test_organisation_page_shows_products_needs_and_history(sqlite_world: World) -> None:
    org = published_org(
        sqlite_world,
        "Page Works",
        identifiers=[{"scheme": "KZ-BIN", "value": "990340005977"}],
        sites=[{"name": "Main plant", "country": "KAZ", "locality": "Temirtau"}],
        sources=[{"title": "Annual report", "url": "https://example.kz/r", "date": "2024-01-05"}],
    )
    for entity in ("products", "needs"):
        record = sqlite_world.registry.create(SYSTEM, entity, payload_for(entity, org.id))
        record = sqlite_world.registry.submit(SYSTEM, entity, record.id, record.version)
        sqlite_world.registry.approve(SYSTEM, entity, record.id, record.version)
    page = sqlite_world.client.get(f"/registry/organisations/{org.id}?lang=en")
    assert page.status_code == 200
    html = page.text
    assert "<h1>Page Works</h1>" in html
    assert "hot-rolled plate" in html
    assert "720851" in html
    assert "steel coil" in html
    assert "2410" in html
    assert "KZ-BIN: 990340005977" in html
    assert "Temirtau" in html
    assert "Annual report" in html
    history = html[html.index('<table id="history">') :]
    assert [int(v) for v in re.findall(r"<tr><td>(\d+)</td>", history)] == [3]  # public: v3
    russian = sqlite_world.client.get(f"/registry/organisations/{org.id}?lang=ru").text
    assert "<h1>Page Works (ru)</h1>" in russian
    assert "Казахстан" in russian


def test_project_page_shows_participants_and_phase(sqlite_world: World) -> None:
    org = published_org(sqlite_world, "Project Partner")
    payload = payload_for(
        "projects", org.id, corridor="china_central_asia_west_asia", countries=["KAZ", "CHN"]
    )
    project = sqlite_world.registry.create(SYSTEM, "projects", payload)
    project = sqlite_world.registry.submit(SYSTEM, "projects", project.id, project.version)
    sqlite_world.registry.approve(SYSTEM, "projects", project.id, project.version)
    html = sqlite_world.client.get(f"/registry/projects/{project.id}?lang=en").text
    assert '<dd id="project-phase">planned</dd>' in html
    assert f'<a href="/registry/organisations/{org.id}">Project Partner</a>' in html
    assert "China–Central Asia–West Asia" in html
    assert "operator" in html


def test_unknown_record_is_a_friendly_404(sqlite_world: World) -> None:
    page = sqlite_world.client.get("/registry/organisations/999999?lang=en")
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


def test_wrong_password_shows_the_form_again(sqlite_world: World) -> None:
    client = TestClient(sqlite_world.app)
    form = client.get("/login?lang=en")
    response = client.post(
        "/login",
        data={
            "email": sqlite_world.emails["viewer_A"],
            "password": "not-the-password",
            "csrf_token": csrf_of(form.text),
        },
    )
    assert response.status_code == 401
    assert "Wrong e-mail or password." in response.text
    assert "karavan_session" not in client.cookies


def test_login_form_needs_its_csrf_token(sqlite_world: World) -> None:
    client = TestClient(sqlite_world.app)
    client.get("/login")
    response = client.post(
        "/login",
        data={"email": sqlite_world.emails["viewer_A"], "password": PASSWORD, "csrf_token": "x"},
    )
    assert response.status_code == 403


def test_editor_edits_own_organisation(sqlite_world: World) -> None:
    client = signed_in(sqlite_world, "editor_A")
    org_id = sqlite_world.orgs["A"]
    before = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    form = client.get(f"/registry/organisations/{org_id}/edit?lang=en")
    assert form.status_code == 200
    assert f'name="version" value="{before.version}"' in form.text
    response = client.post(
        f"/registry/organisations/{org_id}/edit",
        data={
            "csrf_token": csrf_of(form.text),
            "version": str(before.version),
            "name_en": "Org A Renamed",
            "name_ru": "Орг А",
            "region": "Karaganda",
            "description": "",
            "website": "",
            "name_kk": "",
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text[:500]
    after = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    assert (after.name_en, after.name_ru, after.region) == ("Org A Renamed", "Орг А", "Karaganda")
    assert after.version == before.version + 1
    page = client.get(response.headers["location"] + "&lang=en")
    assert "<h1>Org A Renamed</h1>" in page.text
    assert f"Saved: version {after.version}." in page.text


def test_stale_write_shows_a_friendly_message(sqlite_world: World) -> None:
    client = signed_in(sqlite_world, "editor_A")
    org_id = sqlite_world.orgs["A"]
    form = client.get(f"/registry/organisations/{org_id}/edit?lang=en")
    read = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    # someone else saves meanwhile
    sqlite_world.registry.update(
        sqlite_world.editor_actor("A"),
        "organisations",
        org_id,
        OrganisationUpdate(region="Pavlodar"),
        read.version,
    )
    response = client.post(
        f"/registry/organisations/{org_id}/edit",
        data={
            "csrf_token": csrf_of(form.text),
            "version": str(read.version),
            "name_en": "Lost Update",
            "name_ru": "Потерянное",
        },
    )
    assert response.status_code == 409
    assert "Someone saved this organisation while you were editing it" in response.text
    now = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    assert (now.name_en, now.region, now.version) == (read.name_en, "Pavlodar", read.version + 1)
    assert f'name="version" value="{now.version}"' in response.text  # the current version


def test_edit_form_needs_the_csrf_token(sqlite_world: World) -> None:
    client = signed_in(sqlite_world, "editor_A")
    org_id = sqlite_world.orgs["A"]
    read = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    data = {"version": str(read.version), "name_en": "No Token", "name_ru": "Без токена"}
    missing = client.post(f"/registry/organisations/{org_id}/edit", data=data)
    wrong = client.post(f"/registry/organisations/{org_id}/edit", data=data | {"csrf_token": "x"})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert missing.headers["content-type"].startswith("text/html")
    assert sqlite_world.registry.get(SYSTEM, "organisations", org_id).name_en != "No Token"


def test_editor_cannot_edit_another_organisation(sqlite_world: World) -> None:
    client = signed_in(sqlite_world, "editor_A")
    org_b = sqlite_world.orgs["B"]
    draft = sqlite_world.registry.get(SYSTEM, "organisations", org_b)
    assert client.get(f"/registry/organisations/{org_b}/edit").status_code == 404  # not visible
    published = sqlite_world.move("organisations", draft, "B", "published")
    assert client.get(f"/registry/organisations/{org_b}/edit").status_code == 403
    token = csrf_of(client.get("/registry").text)
    response = client.post(
        f"/registry/organisations/{org_b}/edit",
        data={
            "csrf_token": token,
            "version": str(published.version),
            "name_en": "Hijacked",
            "name_ru": "Захвачено",
        },
    )
    assert response.status_code == 403
    assert sqlite_world.registry.get(SYSTEM, "organisations", org_b).name_en == "Org B"


def test_anonymous_edit_goes_to_sign_in(sqlite_world: World) -> None:
    org_id = sqlite_world.orgs["A"]
    response = TestClient(sqlite_world.app).get(
        f"/registry/organisations/{org_id}/edit", follow_redirects=False
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next=/registry/organisations/{org_id}/edit"


def test_submit_then_review_reject_needs_a_note_then_approve(sqlite_world: World) -> None:
    editor = signed_in(sqlite_world, "editor_A")
    org_id = sqlite_world.orgs["A"]
    record = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    if record.status.value not in ("draft", "rejected"):
        record = sqlite_world.move("organisations", record, "A", "draft")
    page = editor.get(f"/registry/organisations/{org_id}?lang=en").text
    assert "Submit for review" in page
    response = editor.post(
        f"/registry/organisations/{org_id}/submit",
        data={"csrf_token": csrf_of(page), "version": str(record.version)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    submitted = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    assert (submitted.status.value, submitted.version) == ("submitted", record.version + 1)

    assert editor.get("/registry/review").status_code == 403  # editors have no queue
    reviewer = signed_in(sqlite_world, "reviewer_A")
    queue = reviewer.get("/registry/review?lang=en")
    assert queue.status_code == 200
    assert f'action="/registry/organisations/{org_id}/review"' in queue.text
    token = csrf_of(queue.text)
    url = f"/registry/organisations/{org_id}/review"
    no_note = reviewer.post(
        url, data={"csrf_token": token, "version": str(submitted.version), "decision": "reject"}
    )
    assert no_note.status_code == 422
    assert "needs a note" in no_note.text
    assert sqlite_world.registry.get(SYSTEM, "organisations", org_id).status.value == "submitted"
    approved = reviewer.post(
        url,
        data={"csrf_token": token, "version": str(submitted.version), "decision": "approve"},
        follow_redirects=False,
    )
    assert approved.status_code == 303
    final = sqlite_world.registry.get(SYSTEM, "organisations", org_id)
    assert (final.status.value, final.version) == ("published", submitted.version + 1)
    assert (
        f'action="/registry/organisations/{org_id}/review"'
        not in reviewer.get("/registry/review").text
    )


def test_logout_ends_the_session(sqlite_world: World) -> None:
    client = signed_in(sqlite_world, "viewer_A")
    page = client.get("/registry?lang=en").text
    assert "Signed in as" in page
    response = client.post("/logout", data={"csrf_token": csrf_of(page)}, follow_redirects=False)
    assert response.status_code == 303
    assert "Signed in as" not in client.get("/registry?lang=en").text


def test_every_key_of_these_pages_exists_in_both_languages() -> None:
    """Literal keys of the registry, matching, trade and scenario templates and page modules,
    and the keys they build from enumerations, are in both catalogues."""
    cat = catalogue()
    pattern = re.compile(r"""\bt\(\s*["']([A-Za-z0-9_.+-]+)["']""")
    used: set[str] = set()
    for area in ("registry", "matching", "trade", "scenarios"):
        for path in (TEMPLATE_DIR / area).glob("*.html"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
        used |= set(pattern.findall((PAGES_DIR / f"{area}.py").read_text(encoding="utf-8")))
    prefixes = {k for k in used if k.endswith(".")}  # t("registry.kind." ~ kind) and the like
    used -= prefixes
    assert len(used) > 150
    dynamic = {f"registry.entity.{e}" for e in ENTITIES}
    dynamic |= {f"registry.kind.{k.value}" for k in OrgKind}
    dynamic |= {f"registry.status.{s.value}" for s in RecordStatus}
    dynamic |= {f"registry.phase.{p.value}" for p in ProjectPhase}
    dynamic |= {f"registry.corridor.{c.value}" for c in Corridor}
    dynamic |= {f"registry.participant_role.{r.value}" for r in ParticipantRole}
    dynamic |= {f"registry.role.{r.value}" for r in Role}
    dynamic |= {f"registry.action.{a}" for a in ("create", "update", "submit", "approve", "reject")}
    dynamic |= {f"registry.field.{f}" for f in _EDITABLE}
    dynamic |= {"registry.login_error.bad_credentials", "registry.login_error.rate"}
    dynamic |= {f"matching.kind.{k}" for k in ("code", "term", "country", "capacity")}
    dynamic |= {"matching.kind.certification", "scenarios.kind.scenario"}
    dynamic |= {"scenarios.kind.monte_carlo"}
    dynamic |= {f"scenarios.measure.{m}" for m in ("output", "value_added", "imports")}
    dynamic |= {f"scenarios.{m}_change" for m in ("output", "value_added", "imports")}
    assert {p for p in prefixes if not any(k.startswith(p) for k in dynamic)} == set()
    for lang in ("en", "ru"):
        missing = (used | dynamic) - cat.keys(lang)
        assert not missing, f"{lang}: {sorted(missing)}"
