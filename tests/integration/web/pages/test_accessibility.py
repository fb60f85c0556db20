"""Accessibility of every page, server-side (issue 9, requirement 5), in both languages: the
page declares its language, has one ``<h1>`` and headings that do not skip a level, starts
with a skip link to ``<main>``, labels every form control, gives every image an ``alt``, every
chart an accessible name and a data alternative (a table or CSV/Parquet downloads), and every
button a text; and the colours of ``karavan.css`` meet WCAG 2.1 contrast (4.5:1 for text,
3:1 for large text and for the borders and focus ring of controls)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from karavan.registry.seed import load_seed
from karavan.settings import Settings
from karavan.web.app import create_app

CSS = Path(__file__).resolve().parents[4] / "src" / "karavan" / "web" / "static" / "karavan.css"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}  # fmt: skip


@dataclass
class Node:
    """An element of the parsed page: tag, attributes, children, and its text."""

    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def all_text(self) -> str:
        return self.text + "".join(c.all_text() for c in self.children)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    def ancestors(self) -> Iterator[Node]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data: str) -> None:
        if self.current.tag not in ("script", "style"):
            self.current.text += data


def parse(html: str) -> Node:
    tree = _Tree()
    tree.feed(html)
    return tree.root


@dataclass
class Site:
    client: TestClient
    urls: list[str]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The application with the registry's seed loaded and one saved scenario run."""
    root = tmp_path_factory.mktemp("a11y-pages")
    app = create_app(
        Settings(
            data_dir=root,
            database_url=f"sqlite:///{root / 'registry.sqlite3'}",
            secret_key="a11y-tests-secret-key-0123456789abcdef",
        )
    )
    with TestClient(app) as client:
        load_seed(app.state.registry)
        html = client.get("/registry?lang=en").text
        org = re.search(r'href="/registry/organisations/(\d+)"', html)
        project = re.search(r'href="/registry/projects/(\d+)"', html)
        token = _TOKEN.search(client.get("/scenarios?lang=en").text)
        assert org is not None
        assert token is not None
        run = client.post(
            "/scenarios/run",
            data={
                "csrf_token": token.group(1),
                "source": "form",
                "region": "RUS",
                "sector": "EOE",
                "value": "100",
            },
            follow_redirects=False,
        )
        assert run.status_code == 303, run.text[:500]
        urls = [
            "/",
            "/value-chains",
            "/dependency",
            "/registry",
            "/registry?q=steel",
            f"/registry/organisations/{org.group(1)}",
            "/matching",
            "/matching?text=steel+pipes&hs=730419&countries=KAZ",
            "/trade",
            "/trade/opportunities",
            "/scenarios",
            run.headers["location"],
            "/login",
            "/no-such-page",
        ]
        if project is not None:
            urls.append(f"/registry/projects/{project.group(1)}")
        yield Site(client, urls)


def _pages(site: Site) -> Iterator[tuple[str, str, Node]]:
    for url in site.urls:
        for lang in ("ru", "en"):
            full = f"{url}{'&' if '?' in url else '?'}lang={lang}"
            response = site.client.get(full)
            assert response.status_code in (200, 404), (full, response.status_code)
            yield full, lang, parse(response.text)


def _label_ok(node: Node, doc: Node) -> bool:
    if node.attrs.get("aria-label", "").strip() or node.attrs.get("aria-labelledby"):
        return True
    if any(a.tag == "label" for a in node.ancestors()):
        return True
    ident = node.attrs.get("id")
    return bool(ident) and any(
        n.tag == "label" and n.attrs.get("for") == ident and n.all_text().strip()
        for n in doc.walk()
    )


def test_every_page_is_accessible_in_both_languages(site: Site) -> None:
    problems: list[str] = []
    seen = {"controls": 0, "charts": 0, "buttons": 0, "pages": 0}
    for url, lang, doc in _pages(site):
        seen["pages"] += 1
        nodes = list(doc.walk())
        html_tag = next(n for n in nodes if n.tag == "html")
        if html_tag.attrs.get("lang") != lang:
            problems.append(f"{url}: <html lang> should be {lang!r}; got {html_tag.attrs}")
        h1 = [n for n in nodes if n.tag == "h1"]
        if len(h1) != 1:
            problems.append(f"{url}: expected one <h1>; got {len(h1)}")
        levels = [int(n.tag[1]) for n in nodes if re.fullmatch(r"h[1-6]", n.tag)]
        for before, after in itertools.pairwise(levels):
            if after > before + 1:
                problems.append(f"{url}: heading h{before} followed by h{after}")
        focusable = [
            n
            for n in nodes
            if (n.tag == "a" and "href" in n.attrs) or n.tag in ("button", "input", "select")
        ]
        first = focusable[0] if focusable else None
        mains = [n for n in nodes if n.tag == "main"]
        if (
            first is None
            or first.attrs.get("href") != "#main"
            or "skip-link" not in first.attrs.get("class", "")
        ):
            problems.append(f"{url}: the first focusable element is not the skip link to #main")
        if len(mains) != 1 or mains[0].attrs.get("id") != "main":
            problems.append(f"{url}: expected one <main id=main>; got {len(mains)}")
        for n in nodes:
            if n.tag in ("input", "select", "textarea"):
                if n.attrs.get("type") in ("hidden", "submit"):
                    continue
                seen["controls"] += 1
                if not _label_ok(n, doc):
                    problems.append(f"{url}: <{n.tag} {n.attrs}> has no label")
            elif n.tag == "img" and "alt" not in n.attrs:
                problems.append(f"{url}: <img {n.attrs}> has no alt")
            elif n.tag == "button":
                seen["buttons"] += 1
                if not (n.all_text().strip() or n.attrs.get("aria-label", "").strip()):
                    problems.append(f"{url}: <button {n.attrs}> has no text")
            elif "data-figure" in n.attrs:
                seen["charts"] += 1
                if not n.attrs.get("aria-label", "").strip():
                    problems.append(f"{url}: chart {n.attrs.get('id')} has no aria-label")
                block = next((a for a in n.ancestors() if a.tag == "figure"), None)
                links = [
                    d.attrs.get("href", "")
                    for d in (block.walk() if block is not None else iter(()))
                    if d.tag == "a"
                ]
                has_download = any("format=csv" in h for h in links)
                has_table = any(d.tag == "table" for d in nodes)
                if not (has_download or has_table):
                    problems.append(f"{url}: chart {n.attrs.get('id')} has no data alternative")
    assert problems == []
    # what was checked (both languages): a parser that found nothing would pass vacuously
    assert seen["pages"] == 2 * len(site.urls)
    assert seen["controls"] >= 2 * 40
    assert seen["buttons"] >= 2 * 12
    assert seen["charts"] >= 2 * 3


def test_pages_checked_cover_every_menu_entry(site: Site) -> None:
    html = site.client.get("/?lang=en").text
    nav = re.findall(r'<li><a href="([^"]+)"', html)
    assert len(nav) == 7
    assert {u.split("?")[0] for u in site.urls} >= set(nav)


# --- contrast ---------------------------------------------------------------------------------


def _hex(value: str) -> tuple[float, float, float]:
    value = value.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if not re.fullmatch(r"[0-9a-fA-F]{6}", value):
        raise ValueError(f"expected a #rrggbb colour; got {value!r}")
    return tuple(int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour."""
    channels = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _hex(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2.1 contrast ratio of two colours (1 to 21)."""
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_contrast_formula_matches_wcag() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#0b5394", "#ffffff") == pytest.approx(7.84, abs=0.01)


def stylesheet() -> tuple[dict[str, str], list[tuple[str, dict[str, str]]]]:
    """The custom properties of ``:root`` and every rule's declarations (``var()`` resolved)."""
    text = re.sub(r"/\*.*?\*/", "", CSS.read_text(encoding="utf-8"), flags=re.S)
    rules: list[tuple[str, dict[str, str]]] = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        decls = {}
        for part in body.split(";"):
            if ":" in part:
                key, value = part.split(":", 1)
                decls[key.strip()] = value.strip()
        rules.append((" ".join(selector.split()), decls))
    props = {k: v for sel, d in rules if sel == ":root" for k, v in d.items() if k.startswith("--")}

    def resolve(value: str) -> str:
        return re.sub(r"var\((--[\w-]+)\)", lambda m: props[m.group(1)], value)

    return props, [(s, {k: resolve(v) for k, v in d.items()}) for s, d in rules]


def _colour_in(value: str) -> str | None:
    found = re.search(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b", value)
    return found.group(0) if found else None


def _large(decls: dict[str, str]) -> bool:
    """Large text in WCAG terms: at least 18 pt (1.5rem), or 14 pt (1.1667rem) bold."""
    size = re.fullmatch(r"([\d.]+)rem", decls.get("font-size", ""))
    rem = float(size.group(1)) if size else 1.0
    return rem >= 1.5 or (rem >= 1.1667 and decls.get("font-weight") in ("700", "bold"))


def test_text_colours_meet_wcag_aa() -> None:
    props, rules = stylesheet()
    surfaces = {"#fff": "white", props["--panel"]: "--panel"}
    checked: list[tuple[str, str, str, float, float]] = []
    for selector, decls in rules:
        ink = _colour_in(decls.get("color", ""))
        if ink is None:
            continue
        own = _colour_in(decls.get("background", decls.get("background-color", "")))
        grounds = [own] if own else list(surfaces)
        need = 3.0 if _large(decls) else 4.5
        for ground in grounds:
            checked.append((selector, ink, ground, contrast(ink, ground), need))
    assert len(checked) >= 15
    failing = [c for c in checked if c[3] < c[4]]
    assert failing == []
    # the pairs the site is built on, with their ratios (so a change of colour shows here)
    assert contrast(props["--ink"], "#fff") == pytest.approx(16.5, abs=0.1)
    assert contrast(props["--muted"], props["--panel"]) >= 4.5
    assert contrast(props["--warn-ink"], props["--warn-bg"]) >= 4.5
    assert contrast(props["--accent-ink"], props["--accent"]) >= 4.5


def test_controls_and_focus_ring_meet_three_to_one() -> None:
    props, rules = stylesheet()
    grounds = ("#fff", props["--panel"])
    borders = [
        (s, _colour_in(d["border"]))
        for s, d in rules
        if "border" in d and re.match(r"(select|button|input)", s)
    ]
    assert borders, "no border rule for the form controls"
    for selector, colour in borders:
        assert colour is not None, selector
        for ground in grounds:
            assert contrast(colour, ground) >= 3.0, (selector, colour, ground)
    outlines = [
        _colour_in(d["outline"]) for s, d in rules if ":focus-visible" in s and "outline" in d
    ]
    assert outlines
    assert all(o is not None for o in outlines)
    # the ring is drawn 2px outside the control (outline-offset), on the page's surfaces
    assert all("outline-offset" in d for s, d in rules if ":focus-visible" in s and "outline" in d)
    for colour in outlines:
        assert colour is not None
        for ground in grounds:
            assert contrast(colour, ground) >= 3.0, ("focus outline", colour, ground)
