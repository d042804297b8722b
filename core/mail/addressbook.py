"""Recipient completion: past correspondents (addresses on the stored letters) first, then the directory.

A typed text matches a past correspondent by the rule of ``core.clinical.search`` (blind to case, accents and
how punctuation is typed; each word starts a word) over the name the letters gave, the address and, when the
directory knows the address, the practitioner's name, specialty and town; they come most-written-to first.
The directory then adds the practitioners (with an MSSanté address) it finds for the text by name,
specialty and town (``Directory.complete``). The composer shows the list as the core orders it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from email.utils import getaddresses

from core.clinical.search import matches, query_terms, searchable
from core.model import AddressChoice

log = logging.getLogger("missive.mail")


@dataclass(frozen=True)
class Correspondent:
    address: str
    label: str
    letters: int
    form: str  # the searchable form (core.clinical.search) of its name, address and directory details


def correspondents(
    seen: Mapping[str, int],
    own: Collection[str],
    label_of: Callable[[str], tuple[str, str]],
) -> list[Correspondent]:
    """Addresses of the stored letters' From/To texts (``seen``: text -> letters), own addresses left out,
    most letters first. ``label_of(address)`` -> (directory label or "", directory search words or "")."""
    letters: dict[str, int] = {}
    names: dict[str, str] = {}
    for text, n in seen.items():
        for name, address in getaddresses([text]):
            address = address.strip().lower()
            if "@" not in address or address in own:
                continue
            letters[address] = letters.get(address, 0) + n
            if name and address not in names:
                names[address] = " ".join(name.split())
    out = []
    for address, n in letters.items():
        label, details = label_of(address)
        name = names.get(address, "")
        shown = label or (f"{name} <{address}>" if name else address)
        out.append(Correspondent(address, shown, n, searchable(f"{name} {address} {label} {details}")))
    out.sort(key=lambda c: (-c.letters, c.address))
    return out


def complete(
    text: str,
    past: list[Correspondent],
    directory: Callable[[str, int], list[tuple[str, str]]],
    limit: int,
) -> list[AddressChoice]:
    """Past correspondents matching ``text`` first, then the directory's matches not already listed."""
    typed = text.strip().lower()
    terms = query_terms(typed)
    if len(typed) < 2 or not terms:
        return []
    out: dict[str, AddressChoice] = {}
    for c in past:
        if c.address.startswith(typed) or matches(terms, c.form):
            out[c.address] = AddressChoice(c.address, c.label, past=True, letters=c.letters)
            if len(out) >= limit:
                return list(out.values())
    try:
        found = directory(typed, limit)
    except Exception as exc:  # noqa: BLE001 - a damaged directory still leaves the past correspondents
        log.warning("directory completion failed (%s)", type(exc).__name__)
        found = []
    for label, address in found:
        key = address.lower()
        if key not in out:
            out[key] = AddressChoice(address, label)
            if len(out) >= limit:
                break
    return list(out.values())
