"""Messages for people: the core speaks in codes with parameters, the catalogues turn them into French or
English.

An error, a match reason or a signature verdict carries a ``Text`` (a code such as ``"vault.wrong-passphrase"``
and its parameters: file names, counts, never health data); what the doctor reads is made from it by
``render`` in the language chosen at start (``--lang``, ``[ui] language``), so a verdict stored last year
reads in today's language. Catalogues are ``core/locale/<lang>.json``: French is the reference, English
falls back to French for a missing code, and a text that is not a code (a sentence stored by an older
version) is shown as it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache

TYPE_CHECKING = (
    False  # typing.TYPE_CHECKING without loading typing or pathlib: every command loads this module
)
if TYPE_CHECKING:
    from typing import Any

LOCALE_DIR = os.path.join(os.path.dirname(__file__), "locale")
DEFAULT_LANGUAGE = "fr"
LANGUAGES = ("fr", "en")

_current = DEFAULT_LANGUAGE


def _read(lang: str) -> dict[str, str]:
    import json  # only when a text is shown: `missive --help` never pays for it

    try:
        with open(os.path.join(LOCALE_DIR, f"{lang}.json"), encoding="utf-8") as fh:
            return dict(json.load(fh))
    except FileNotFoundError:
        return {}


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The core's texts in ``lang``, all of them (read once): the checks of the catalogues, and an old stored
    sentence looked up among them (``code_of``). ``render`` reads only the sections it shows."""
    return _read(lang)


@cache
def _section(lang: str, name: str) -> dict[str, str]:
    """The texts of ``lang`` whose code begins with ``name.`` (or, for "", those kept under a sentence). A
    session shows a few of the catalogue's sixty sections (the app's inbox: the folders' names, where the whole
    catalogue held 185 KB): each is read from the file the first time one of its texts is shown (a ms)."""
    whole = _read(lang)
    if not name:  # the few texts kept under their French words (match reasons stored so): one section
        return {code: text for code, text in whole.items() if not _is_code(code)}
    prefix = f"{name}."
    return {code: text for code, text in whole.items() if code.startswith(prefix) and _is_code(code)}


def _template(code: str, lang: str) -> str | None:
    return _section(lang, code.partition(".")[0] if _is_code(code) else "").get(code)


def set_language(lang: str | None) -> str:
    """Choose the language of every text rendered from now on; unknown codes fall back to French."""
    global _current
    _current = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
    return _current


def language() -> str:
    return _current


class Text:
    """A message as the core says it: a catalogue code and its parameters (immutable)."""

    __slots__ = ("code", "params")
    code: str
    params: Mapping[str, Any]

    def __init__(self, code: str, params: Mapping[str, Any] | None = None) -> None:
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "params", dict(params or {}))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Text does not change")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and (self.code, self.params) == (other.code, other.params)

    def __hash__(self) -> int:
        return hash(self.code)

    def __repr__(self) -> str:
        return f"Text({self.code!r}, {self.params!r})"

    def __str__(self) -> str:
        return render(self.code, self.params)

    def to_json(self) -> dict[str, Any]:
        """For storage (a verdict kept with a message): parameters as text."""
        return {"code": self.code, "params": {k: str(v) for k, v in self.params.items()}}

    @classmethod
    def from_json(cls, data: Any) -> Text:
        """A stored text: ``{"code", "params"}``, or a plain sentence stored by an older version."""
        if isinstance(data, Mapping):
            return cls(str(data.get("code", "")), dict(data.get("params") or {}))
        return cls(str(data))


def T(code: str, /, **params: Any) -> Text:  # noqa: N802 - reads as the gettext-style marker it is
    """The text ``code`` with its parameters (rendered when shown)."""
    return Text(code, params)


def render(code: str, params: Mapping[str, Any] | None = None, lang: str | None = None) -> str:
    """``code`` in ``lang`` (the current language by default) with its parameters filled in.

    A parameter that is itself a ``Text`` or an error is rendered in the same language. A code found in no
    catalogue is returned as it is: a sentence stored by an older version is still shown.
    """
    lang = lang or _current
    template = _template(code, lang)
    if template is None and lang != DEFAULT_LANGUAGE:
        template = _template(code, DEFAULT_LANGUAGE)
    if template is None:
        return code
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError, TypeError, AttributeError):  # another version's text
        return template


def one_of(values: tuple[str, ...] | list[str]) -> Text | str:
    """``a, b ou c`` (``a, b or c``): a list of accepted values in the language of the text it goes into."""
    values = list(values)
    if len(values) == 1:
        return values[0]
    return T("text.one-of", head=", ".join(values[:-1]), last=values[-1])


@cache
def _french_codes() -> dict[str, str]:
    return {template: code for code, template in catalogue(DEFAULT_LANGUAGE).items() if "{" not in template}


def code_of(sentence: str) -> str:
    """The code of a French sentence stored by an older version when a catalogue has it (a verdict kept
    before verdicts were codes), so that it too reads in the language chosen; else the sentence itself. A
    code is given back as it is, without reading the catalogue (every signed letter's verdict is one)."""
    if _is_code(sentence):
        return sentence
    return _french_codes().get(sentence, sentence)


def _is_code(text: str) -> bool:
    """Whether ``text`` has a catalogue code's shape (``section.name``, no space): no French sentence has."""
    name, dot, rest = text.partition(".")
    return bool(name and dot and rest) and " " not in text


__all__ = [
    "LANGUAGES",
    "T",
    "Text",
    "catalogue",
    "code_of",
    "language",
    "one_of",
    "render",
    "set_language",
]
