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


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The core's texts in ``lang`` (read once)."""
    import json  # only when a text is shown: `missive --help` never pays for it

    try:
        with open(os.path.join(LOCALE_DIR, f"{lang}.json"), encoding="utf-8") as fh:
            return dict(json.load(fh))
    except FileNotFoundError:
        return {}


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
    template = catalogue(lang).get(code)
    if template is None:
        template = catalogue(DEFAULT_LANGUAGE).get(code)
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
    before verdicts were codes), so that it too reads in the language chosen; else the sentence itself."""
    return _french_codes().get(sentence, sentence)


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
