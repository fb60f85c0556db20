"""The web pages' two languages: message catalogues, the language of a request, and names of
regions and sectors in Russian and English.

Catalogues are flat JSON objects ``{"key": "text"}`` in ``karavan/data/i18n``: ``en.json`` and
``ru.json`` for the shell and the analytics pages, and any ``en.<area>.json`` / ``ru.<area>.json``
beside them for other areas (``en.registry.json``...), merged into one catalogue per language;
a key defined twice is an error. Texts may hold ``{name}`` placeholders, filled by
:meth:`Catalogue.t`'s keyword arguments. Both languages must define the same keys (a test checks
it, and that every key a template asks for exists).

The language of a request (:func:`negotiate`): ``?lang=ru|en`` first (the switch in the page
header sets it, and the page then stores it in the ``karavan_lang`` cookie), then that cookie,
then the browser's ``Accept-Language`` (first supported language by quality), then Russian, the
working language of the Eurasian Economic Union's bodies and the language most of the platform's
users share.
"""

from __future__ import annotations

import csv
import json
import string
from collections.abc import Callable, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

from starlette.requests import Request

from karavan.classifications import country_name
from karavan.errors import LabelError

__all__ = [
    "DEFAULT_LANG",
    "LANGS",
    "LANG_COOKIE",
    "Catalogue",
    "Lang",
    "Translator",
    "catalogue",
    "negotiate",
    "region_name",
    "sector_name",
    "translator",
]

Lang = Literal["ru", "en"]
LANGS: tuple[Lang, ...] = ("ru", "en")
DEFAULT_LANG: Lang = "ru"
LANG_COOKIE = "karavan_lang"

Translator = Callable[..., str]
"""``t(key, **params)``: the text of ``key`` in one language, placeholders filled."""

_I18N_DIR = "i18n"


def _data_dir() -> Path:
    return Path(str(files("karavan").joinpath("data", _I18N_DIR)))


class Catalogue:
    """The merged messages of every language; :meth:`t` looks one up."""

    def __init__(self, messages: Mapping[str, Mapping[str, str]]) -> None:
        self.messages = {lang: dict(m) for lang, m in messages.items()}

    def keys(self, lang: Lang) -> set[str]:
        """Every key defined for ``lang``."""
        return set(self.messages[lang])

    def t(self, lang: Lang, key: str, /, **params: Any) -> str:
        """The text of ``key`` in ``lang`` with ``{name}`` placeholders filled from ``params``.

        A missing key or placeholder is a bug in a template or a catalogue, so it raises
        KeyError naming the key and language rather than showing a half-translated page."""
        try:
            text = self.messages[lang][key]
        except KeyError:
            raise KeyError(
                f"message {key!r} is missing from the {lang!r} catalogue (karavan/data/i18n); "
                "add it to both languages"
            ) from None
        if not params:
            return text
        try:
            return text.format(**params)
        except KeyError as exc:
            raise KeyError(
                f"message {key!r} ({lang}) needs placeholder {exc.args[0]!r}; got {sorted(params)}"
            ) from None


def placeholders(text: str) -> set[str]:
    """The ``{name}`` placeholders of a message (for the catalogue consistency test)."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@cache
def catalogue() -> Catalogue:
    """The catalogues of every language, read once from ``karavan/data/i18n``."""
    root = _data_dir()
    merged: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        messages: dict[str, str] = {}
        paths = [root / f"{lang}.json", *sorted(root.glob(f"{lang}.*.json"))]
        for path in paths:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in data.items()
            ):
                raise ValueError(f"{path}: expected a JSON object of strings to strings")
            twice = sorted(set(messages) & set(data))
            if twice:
                raise ValueError(f"{path}: keys already defined in another file: {twice[:5]}")
            messages.update(data)
        merged[lang] = messages
    return Catalogue(merged)


def translator(lang: Lang) -> Translator:
    """``t(key, **params)`` bound to ``lang`` (what templates call as ``t``)."""
    cat = catalogue()

    def t(key: str, /, **params: Any) -> str:
        return cat.t(lang, key, **params)

    return t


def _as_lang(value: str | None) -> Lang | None:
    if value is None:
        return None
    low = value.strip().lower()
    return low if low in LANGS else None


def _accept_language(header: str) -> Lang | None:
    """The supported language the browser prefers most (``ru-RU,ru;q=0.9,en;q=0.8``)."""
    ranked: list[tuple[float, int, Lang]] = []
    for i, part in enumerate(header.split(",")):
        tag, _, rest = part.strip().partition(";")
        quality = 1.0
        if rest.strip().startswith("q="):
            try:
                quality = float(rest.strip()[2:])
            except ValueError:
                quality = 0.0
        lang = _as_lang(tag.split("-")[0])
        if lang is not None and quality > 0:
            ranked.append((-quality, i, lang))
    return min(ranked)[2] if ranked else None


def negotiate(request: Request) -> tuple[Lang, bool]:
    """The language of ``request`` and whether it came from ``?lang=`` (then the response
    stores it in the cookie)."""
    asked = _as_lang(request.query_params.get("lang"))
    if asked is not None:
        return asked, True
    stored = _as_lang(request.cookies.get(LANG_COOKIE))
    if stored is not None:
        return stored, False
    browser = _accept_language(request.headers.get("accept-language", ""))
    return (browser or DEFAULT_LANG), False


@cache
def _sector_names() -> dict[str, dict[Lang, str]]:
    """WIOD-35 sector code -> {"en": short name, "ru": Russian name}."""
    en: dict[str, str] = {}
    with (files("karavan").joinpath("data", "sectors_wiod35.csv")).open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            en[row["code"]] = row["short_name"] or row["name"]
    ru: dict[str, str] = {}
    with (_data_dir() / "wiod35_ru.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            ru[row["code"]] = row["name_ru"]
    return {code: {"en": name, "ru": ru.get(code, name)} for code, name in en.items()}


def sector_name(code: str, lang: Lang) -> str:
    """The name of WIOD-35 sector ``code`` in ``lang`` (the code itself if unknown)."""
    names = _sector_names().get(code)
    return names[lang] if names else code


_REST_OF_WORLD = {"ROW", "REST OF WORLD", "REST OF THE WORLD"}


def region_name(code: str, lang: Lang) -> str:
    """The name of a table's region (ISO3 country, rest of the world or a bloc) in ``lang``."""
    if code.upper() in _REST_OF_WORLD:
        return catalogue().t(lang, "region.row")
    key = f"region.{code.lower()}"
    if key in catalogue().messages[lang]:
        return catalogue().t(lang, key)
    try:
        return country_name(code, lang) or country_name(code, "en") or code
    except LabelError:
        return code
