"""Translation catalogues: every UI string goes through :func:`t`; French is the default language.

Catalogues are flat JSON files in ``tui/locale/<lang>.json``; a key missing from the chosen language falls
back to French, then to the key itself (so a missing string shows up in review, never as a crash).
"""

from __future__ import annotations

import os
from functools import cache

LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")  # not pathlib: `missive sync` does without it
DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")

_current = DEFAULT_LANGUAGE


def _read(lang: str) -> dict[str, str]:
    import json

    with open(os.path.join(LOCALE_DIR, f"{lang}.json"), encoding="utf-8") as fh:
        return dict(json.load(fh))


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The strings of ``lang``, all of them (read once): the checks of the catalogues. ``t`` reads only the
    sections it shows."""
    return _read(lang)


@cache
def _section(lang: str, name: str) -> dict[str, str]:
    """The strings of ``lang`` whose key begins with ``name.``: the app never shows the command line's help
    (a third of the catalogue) nor the set-up assistant's, and each section is read from the file the first
    time one of its strings is shown (a millisecond)."""
    prefix = f"{name}."
    return {key: text for key, text in _read(lang).items() if key.startswith(prefix)}


def set_language(lang: str | None) -> str:
    """Choose the interface language; unknown codes fall back to French. Returns the language in use."""
    global _current
    _current = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    from core.errors import set_language as set_core_language

    set_core_language(_current)  # the core's messages (errors, reasons, verdicts) follow the interface
    return _current


def language() -> str:
    return _current


def t(key: str, **values: object) -> str:
    """The string for ``key`` in the current language, with ``{name}`` placeholders filled."""
    name = key.partition(".")[0]
    text = _section(_current, name).get(key)
    if text is None:
        text = _section(DEFAULT_LANGUAGE, name).get(key, key)
    return text.format(**values) if values else text


def core_text(code: str) -> str:
    """A text the core stored as a code or as its French phrase (a match reason, a verdict), in the current
    language."""
    from core.errors import render

    return render(code)


@cache
def _help_catalogue(lang: str) -> dict[str, str]:
    import json

    path = os.path.join(LOCALE_DIR, f"help.{lang}.json")
    if not os.path.exists(path):
        return {}
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def help_text(text: str) -> str:
    """A command-line help text (written in French in the code) in the current language."""
    if _current == DEFAULT_LANGUAGE:
        return text
    return _help_catalogue(_current).get(text, text)
