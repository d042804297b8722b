"""Limits every clinical reader checks before it parses: a hostile or broken file costs a clear French line,
never minutes of CPU or gigabytes of memory (issue 14: a 10 MB name line cost 911 MB and 11 s to match, an
8 MB HL7 escape 560 MB, 300,000 OBX 15 s and 521 MB).

The numbers are far above what a lab or a hospital sends (a result line is under 200 characters, a report
under a few hundred results) and far below what hurts.
"""

from __future__ import annotations

import re

from core.errors import ParseError
from core.text import T, Text

MAX_LINE = 64 * 1024  # one HPRIM line (record, after A| continuations), one HL7 segment without its ED
MAX_FIELD = 16 * 1024  # one field (name, value, unit...) of HPRIM or HL7, an HL7 OBX-5 ED payload excepted
MAX_TEXT = 1024 * 1024  # one HL7 OBX-5 text result (TX, FT: a whole report may sit there)
MAX_SEGMENT = 30 * 1024 * 1024  # one HL7 segment, a base64 document (ED) included
MAX_OBSERVATIONS = 2000  # results in one document
MAX_OBSERVATIONS_PER_FILE = 20 * MAX_OBSERVATIONS  # a batch of reports, counted before anything is split

_AGAIN = T("clinical.limits.ask-again")


def check_lines(text: str, what: str | Text, limit: int = MAX_LINE) -> None:
    """ParseError naming the first line longer than ``limit`` characters (found without splitting)."""
    match = re.search(f"[^\r\n]{{{limit + 1}}}", text)
    if match is None:
        return
    line = text.count("\n", 0, match.start()) + 1 if "\n" in text else text.count("\r", 0, match.start()) + 1
    raise ParseError(
        T("clinical.limits.ligne-depasse-compte-rendu", what=what, line=line, size=_size(limit), AGAIN=_AGAIN)
    )


def line_too_long(what: str | Text, limit: int = MAX_LINE) -> ParseError:
    return ParseError(
        T("clinical.limits.ligne-depasse-compte-rendu-2", what=what, size=_size(limit), AGAIN=_AGAIN)
    )


def check_field(value: str, what: str | Text, limit: int = MAX_FIELD) -> None:
    if len(value) > limit:
        raise ParseError(
            T("clinical.limits.champ-depasse-compte-rendu", what=what, size=_size(limit), AGAIN=_AGAIN)
        )


def check_identity(identity: object, what: str) -> None:
    """Every identity trait within MAX_FIELD: a 10 MB name never reaches the matcher."""
    for name in ("family_name", "birth_name", "ins", "nir", "birth_place", "source_id"):
        check_field(getattr(identity, name, None) or "", what)
    check_field(" ".join(getattr(identity, "given_names", ())), what)


def check_result_lines(text: str, marker: str, what: str | Text) -> None:
    """Before splitting: the lines starting with ``marker`` ("OBX|", "RES|") of a whole file, counted without
    building anything (300,000 OBX once cost 15 s and 521 MB before any limit could look at them)."""
    count = text.count("\r" + marker) + text.count("\n" + marker) - text.count("\r\n" + marker)
    if count > MAX_OBSERVATIONS_PER_FILE:
        raise ParseError(
            T(
                "clinical.limits.plus-resultats-seul-fichier",
                what=what,
                MAX_OBSERVATIONS_PER_FILE=MAX_OBSERVATIONS_PER_FILE,
                AGAIN=_AGAIN,
            )
        )


def check_observations(count: int, what: str | Text) -> None:
    if count > MAX_OBSERVATIONS:
        raise ParseError(
            T(
                "clinical.limits.plus-resultats-seul-compte",
                what=what,
                MAX_OBSERVATIONS=MAX_OBSERVATIONS,
                AGAIN=_AGAIN,
            )
        )


def _size(limit: int) -> Text:
    if limit >= 1024 * 1024:
        return T("clinical.limits.mb", size=limit // (1024 * 1024))
    return T("clinical.limits.kb", size=limit // 1024)


__all__ = [
    "MAX_FIELD",
    "MAX_LINE",
    "MAX_OBSERVATIONS",
    "MAX_OBSERVATIONS_PER_FILE",
    "MAX_SEGMENT",
    "MAX_TEXT",
    "check_field",
    "check_identity",
    "check_lines",
    "check_observations",
    "check_result_lines",
    "line_too_long",
]
