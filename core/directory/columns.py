"""Column names of the public directory extractions, found by normalised name, never by position.

Two vintages of ``PS_LibreAcces_Personne_activite`` exist (52 and 56 columns, with slightly different
spellings), and the MSSanté extraction has been published with French labels and, by older scripts,
snake_case names. Every label is normalised (case, accents, spaces, apostrophes, underscores) and looked up
in an alias table, so a new vintage that adds, removes or reorders columns still imports.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import Enum

_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def strip_accents(text: str) -> str:
    """``text`` lower-cased with accents removed (``"LEFÈVRE"`` -> ``"lefevre"``); ``œ``/``æ`` expanded."""
    if text.isascii():
        return text.lower()
    text = text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def norm_label(label: str) -> str:
    """A column label reduced to lower-case ASCII words separated by one space.

    ``"Libellé civilité d'exercice"`` -> ``"libelle civilite d exercice"``; ``"adresse_bal"`` -> ``"adresse bal"``.
    """
    return _NON_ALNUM.sub(" ", strip_accents(label.strip().lstrip("\ufeff"))).strip()


def search_key(text: str) -> str:
    """Letters and digits only, lower-case, no accents: the key used for exact-surname ranking."""
    return _NON_ALNUM.sub("", strip_accents(text))


def words(text: str) -> list[str]:
    """The search words of ``text``: lower-case, accent-free, split on anything but letters and digits."""
    return [w for w in _NON_ALNUM.split(strip_accents(text)) if w]


def glued(text: str) -> str:
    """The neighbouring words of ``text`` glued two and three at a time ("de la fontaine" -> "dela
    lafontaine delafontaine"), so a name typed without its spaces, hyphens or apostrophes meets it: the rule
    of ``core.clinical.search.searchable``, in the directory's lower-case form."""
    ws = words(text)
    return " ".join("".join(ws[i : i + n]) for n in (2, 3) for i in range(len(ws) - n + 1))


class Kind(Enum):
    """Which extraction a file is."""

    RPPS = "rpps"  # PS_LibreAcces_Personne_activite
    MSS = "mss"  # Extraction_Correspondance_MSSante


# Logical field -> accepted labels (any spelling; normalised before comparison).
RPPS_ALIASES: dict[str, tuple[str, ...]] = {
    "id_type": ("Type d'identifiant PP", "type_identifiant_pp"),
    "id_pp": ("Identifiant PP", "identifiant_pp"),
    "idnat": ("Identification nationale PP", "identification_nationale_pp"),
    "family_name": ("Nom d'exercice", "nom_exercice"),
    "given_name": ("Prénom d'exercice", "prenom_exercice"),
    "profession_code": ("Code profession",),
    "profession": ("Libellé profession", "libelle_profession"),
    "specialty_type": ("Code type savoir-faire",),
    "specialty": ("Libellé savoir-faire", "libelle_savoir_faire"),
    "organisation": ("Raison sociale site", "raison_sociale_site"),
    "brand": ("Enseigne commerciale site", "enseigne_commerciale_site"),
    "postcode": ("Code postal (coord. structure)", "code_postal_coord_structure", "Code postal"),
    "city": ("Libellé commune (coord. structure)", "libelle_commune_coord_structure", "Libellé commune"),
    "bureau_cedex": ("Bureau cedex (coord. structure)",),
}

MSS_ALIASES: dict[str, tuple[str, ...]] = {
    "bal_type": ("Type de BAL", "type_bal"),
    "address": ("Adresse BAL", "adresse_bal"),
    "id_type": ("Type Identifiant PP", "type_identifiant_pp"),
    "id_pp": ("Identifiant PP", "identifiant_pp"),
    "idnat": ("Identification nationale PP", "identification_nationale_pp"),
    "service": ("Service de rattachement", "service_rattachement"),
    "family_name": ("Nom d'exercice", "nom_exercice"),
    "given_name": ("Prénom d'exercice", "prenom_exercice"),
    "profession": ("Libellé Profession", "libelle_profession"),
    "specialty": ("Libellé savoir-faire", "libelle_savoir_faire"),
    "organisation": ("Raison Sociale structure BAL", "raison_sociale_structure_bal"),
    "brand": ("Enseigne commerciale structure BAL", "enseigne_commerciale_structure_bal"),
    "delivery_line": ("L6LIGNEACHEMINEMENT", "ligne_acheminement_structure_bal", "Ligne acheminement"),
    "postcode": ("Code postal", "code_postal_structure_bal"),
}
# The real extraction ends the last 11 labels with " structure BAL" ("Code postal structure BAL",
# "L6LIGNEACHEMINEMENT structure BAL"...); an earlier reconstruction of its header did not. Both are read.
MSS_ALIASES = {
    field: (
        *labels,
        *(f"{x} structure BAL" for x in labels if "_" not in x and not x.endswith("structure BAL")),
    )
    for field, labels in MSS_ALIASES.items()
}

# A header is recognised by these logical fields (all must be present).
_SIGNATURE: dict[Kind, tuple[str, ...]] = {
    Kind.MSS: ("address", "family_name"),
    Kind.RPPS: ("family_name", "given_name", "profession"),
}


@dataclass(frozen=True)
class Layout:
    """A recognised header: its kind, the number of columns, and the index of each known field."""

    kind: Kind
    width: int
    index: dict[str, int]

    def getter(self, field: str) -> int | None:
        """The column index of ``field``, or None when this vintage lacks it."""
        return self.index.get(field)


def _lookup(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    table: dict[str, str] = {}
    for field, labels in aliases.items():
        for label in labels:
            table.setdefault(norm_label(label), field)
    return table


_LOOKUP = {Kind.RPPS: _lookup(RPPS_ALIASES), Kind.MSS: _lookup(MSS_ALIASES)}


def split_header(line: str, sep: str) -> list[str]:
    """The labels of a header line, the empty field after a trailing separator dropped."""
    cells = line.rstrip("\r\n").split(sep)
    if cells and cells[-1].strip() == "":
        cells.pop()
    return cells


def recognise(labels: list[str]) -> Layout | None:
    """The layout of a header given its labels, or None when it is neither extraction."""
    normalised = [norm_label(label) for label in labels]
    # MSS first: its header also holds "Nom d'exercice", but "Adresse BAL" is unique to it.
    for kind in (Kind.MSS, Kind.RPPS):
        table = _LOOKUP[kind]
        index: dict[str, int] = {}
        for position, label in enumerate(normalised):
            field = table.get(label)
            if field is not None and field not in index:  # the first column of a given name wins
                index[field] = position
        if all(field in index for field in _SIGNATURE[kind]) and (
            "idnat" in index or "id_pp" in index or kind is Kind.MSS
        ):
            return Layout(kind=kind, width=len(labels), index=index)
    return None
