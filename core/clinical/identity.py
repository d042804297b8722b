"""Patient identity normalisation: names, given names, NIR/NIA keys and a French phonetic key.

Everything here is pure and total: any string goes in, a (possibly empty) normalised string comes out.
Comparison helpers return *levels* that the matcher turns into scores and reasons.

Normalisation (``fold``), as recommended by identitovigilance practice (STANDARDS.md §5.5): upper case,
accents and ligatures removed, hyphens, apostrophes and any punctuation turned into a space, spaces
collapsed. ``compact`` then drops the spaces so "MARTIN-DUPONT", "Martin Dupont" and "MARTINDUPONT" agree,
and ``core_name`` also drops particles (de, du, le, d', van...) so "de la Fontaine", "FONTAINE (DE LA)" and
"Fontaine" agree at the weaker "particle" level.

Phonetic key (``phonetic_key``): a simplified French "phonex" written for missive. It is used only to find
candidates (blocking) and to explain near misses; it never decides an automatic match on its own. Steps, in
order, on the compacted letters:

1. Y→I, PH→F, G+E/I→J, GU+E/I→G, QU→K, Q→K, SCH/SH/CH→one "ch" sound, C+E/I→S, CK→K, C→K, GN→N,
   W→V, Z→S, TH→T, then H is dropped;
2. vowel groups: EAU/AU→O, OU→one "ou" sound, AI/EI→E;
3. doubled letters collapsed, then silent endings dropped: a final E, S/X, E again, then T/D/P ("DUPONT"="DUPOND",
   "GIRAUD"="GIRAUX");
4. nasal vowels (before a consonant or at the end) become one symbol each: IEN→I+"in", AIN/EIN/IN/IM/UN/UM
   →"in", AN/AM/EN/EM→"an", ON/OM→"on" ("LAURENT"="LORAN");
5. doubled symbols collapsed again ("BARRE"="BARE").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache

from core.model import Sex

# Letters NFKD does not decompose into a base letter plus accents.
_SPECIAL_LETTERS = str.maketrans(
    {
        "Œ": "OE",
        "œ": "oe",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "ß": "ss",
        "Þ": "TH",
        "þ": "th",
        "ı": "i",
    }
)
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")

# Particles of French (and neighbouring) family names; "D" and "L" are what remains of d' and l'.
PARTICLES = frozenset(
    {
        "DE",
        "DU",
        "DES",
        "D",
        "LE",
        "LA",
        "LES",
        "L",
        "DEL",
        "DELLA",
        "DELA",
        "DI",
        "DA",
        "DOS",
        "DAS",
        "VAN",
        "VON",
        "DER",
        "DEN",
        "TER",
        "TEN",
        "Y",
    }
)
# "BIRTH EP USED" (épouse, veuve) and "USED NEE BIRTH" notations found in lab headers.
_SPOUSE_WORDS = frozenset({"EP", "EPOUSE", "EPSE", "EPX", "EPOUX", "VVE", "VEUVE", "VEUF"})
_BORN_WORDS = frozenset({"NEE", "NE"})


def fold(text: str | None) -> str:
    """Upper case, no accents, punctuation/hyphens/apostrophes as single spaces, trimmed."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKD", text.translate(_SPECIAL_LETTERS))
    text = "".join(c for c in text if not unicodedata.combining(c)).upper()
    return _NOT_ALNUM.sub(" ", text).strip()


def compact(text: str | None) -> str:
    """``fold`` without spaces: the key for exact name equality."""
    return fold(text).replace(" ", "")


def core_name(text: str | None) -> str:
    """``compact`` of the name without its particles (kept when the name is only particles)."""
    tokens = fold(text).split()
    kept = [t for t in tokens if t not in PARTICLES]
    return "".join(kept or tokens)


def split_family_name(raw: str | None) -> tuple[str, str]:
    """Split "BIRTH EP USED" / "USED NEE BIRTH" notations: returns (used_name, birth_name), folded.

    Without a notation the whole name is returned as the used name and the birth name is ''.
    """
    tokens = fold(raw).split()
    for i, tok in enumerate(tokens):
        if 0 < i < len(tokens) - 1:
            before, after = " ".join(tokens[:i]), " ".join(tokens[i + 1 :])
            if tok in _SPOUSE_WORDS:
                return after, before
            if tok in _BORN_WORDS:
                return before, after
    return " ".join(tokens), ""


def split_given_names(raw: str | None) -> tuple[str, ...]:
    """Given names as written in a list ("Jean-Pierre Marie", "Anne, Sophie"): composite names stay whole."""
    if not raw:
        return ()
    return tuple(p for p in re.split(r"[\s,;/]+", raw.strip()) if p)


# --------------------------------------------------------------------------------------- NIR / NIA


def clean_nir(raw: str | None) -> str:
    """Upper case, spaces/dots/hyphens removed; '' for nothing."""
    if not raw:
        return ""
    return re.sub(r"[\s.\-]", "", raw).upper()


def nir_key(first13: str) -> int:
    """The NIR/NIA check key: 97 − (N mod 97), with Corsica 2A→19 and 2B→18 in the département."""
    digits = clean_nir(first13)
    if len(digits) != 13:
        raise ValueError("a NIR body has 13 characters")
    dept = digits[5:7]
    if dept == "2A":
        digits = digits[:5] + "19" + digits[7:]
    elif dept == "2B":
        digits = digits[:5] + "18" + digits[7:]
    if not digits.isdigit():
        raise ValueError("a NIR body is made of digits (2A/2B allowed for Corsica)")
    return 97 - int(digits) % 97


_NIR_SHAPE = re.compile(r"^[1-478]\d{4}(?:\d{2}|2A|2B)\d{8}$")


def is_valid_nir(raw: str | None) -> bool:
    """True for a 15-character NIR/NIA (sex digit 1–4, 7, 8) whose key is right.

    Months are not checked: real NIRs carry months 20–42 or 50+ when the civil month was unknown.
    """
    nir = clean_nir(raw)
    if not _NIR_SHAPE.match(nir):
        return False
    return nir_key(nir[:13]) == int(nir[13:])


def sex_from_nir(raw: str | None) -> Sex:
    """M for 1/3/7, F for 2/4/8, U otherwise (only meaningful when the NIR is the patient's own)."""
    nir = clean_nir(raw)
    if not nir:
        return "U"
    sexes: dict[str, Sex] = {"1": "M", "3": "M", "7": "M", "2": "F", "4": "F", "8": "F"}
    return sexes.get(nir[0], "U")


# --------------------------------------------------------------------------------------- phonetics

_VOWELS = "AEIOUY"
_PHONETIC_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), r)
    for p, r in [
        (r"Y", "I"),
        (r"PH", "F"),
        (r"G(?=[EI])", "J"),  # before GU, so that the G of "GUI" stays hard
        (r"GU(?=[EI])", "G"),
        (r"QU", "K"),
        (r"Q", "K"),
        (r"S?[SC]H", "5"),  # "ch" sound
        (r"C(?=[EI])", "S"),
        (r"CK", "K"),
        (r"C", "K"),
        (r"GN", "N"),
        (r"W", "V"),
        (r"Z", "S"),
        (r"TH", "T"),
        (r"H", ""),
        (r"EAU", "O"),
        (r"AU", "O"),
        (r"OU", "6"),  # "ou" sound
        (r"[AE]I", "E"),
    ]
]
_SILENT_ENDINGS = [re.compile(p) for p in (r"(?<=..)E$", r"(?<=.)[SX]$", r"(?<=..)E$", r"(?<=.)[TDP]$")]
_NASALS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p + r"(?=[^AEIOU6]|$)"), r)
    for p, r in [
        (r"IEN", "I2"),
        (r"(?:AIN|EIN|IN|IM|UN|UM)", "2"),
        (r"(?:AN|AM|EN|EM)", "1"),
        (r"(?:ON|OM)", "3"),
    ]
]
_REPEAT = re.compile(r"(.)\1+")


@lru_cache(maxsize=65536)
def phonetic_key(name: str | None) -> str:
    """A coarse French phonetic key ("DUPOND" and "Dupont" agree); '' for an empty name."""
    if not name:
        return ""
    s = re.sub(r"[^A-Z]", "", compact(name))
    if not s:
        return ""
    for pattern, replacement in _PHONETIC_RULES:
        s = pattern.sub(replacement, s)
    s = _REPEAT.sub(r"\1", s)
    for pattern in _SILENT_ENDINGS:
        s = pattern.sub("", s)
    for pattern, replacement in _NASALS:
        s = pattern.sub(replacement, s)
    return _REPEAT.sub(r"\1", s)


# --------------------------------------------------------------------------------------- comparison


class Level(IntEnum):
    """How close two names are, weakest first; the matcher allows ``auto`` only from PARTICLE up."""

    DIFFERENT = 0
    PREFIX = 1  # same first three letters (RNIV search practice)
    PARTIAL = 2  # one is a part of the other (double names, Jean vs Jean-Pierre)
    PHONETIC = 3
    TYPO = 4  # one edit apart (insertion, deletion, substitution, transposition)
    PARTICLE = 5  # equal once particles are removed
    EXACT = 6


def within_one_edit(a: str, b: str) -> bool:
    """True when a and b differ by at most one insertion, deletion, substitution or transposition."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diffs = [i for i in range(la) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@dataclass(frozen=True, slots=True)
class NameForm:
    """A family name in every normalised shape the comparisons need (computed once per name)."""

    folded: str
    compact: str
    core: str
    phonetic: str
    tokens: frozenset[str]  # words without particles


@lru_cache(maxsize=65536)
def name_form(text: str | None) -> NameForm:
    """The normalised shapes of a family name (cached: names repeat a lot)."""
    folded = fold(text)
    return NameForm(
        folded=folded,
        compact=folded.replace(" ", ""),
        core=core_name(folded),
        phonetic=phonetic_key(folded),
        tokens=frozenset(folded.split()) - PARTICLES,
    )


def compare_name_forms(a: NameForm, b: NameForm) -> Level:
    """Compare two precomputed family names."""
    ca, cb = a.compact, b.compact
    if not ca or not cb:
        return Level.DIFFERENT
    if ca == cb:
        return Level.EXACT
    if a.core == b.core:
        return Level.PARTICLE
    if min(len(ca), len(cb)) >= 4 and within_one_edit(ca, cb):
        return Level.TYPO
    if a.phonetic == b.phonetic:
        return Level.PHONETIC
    ta, tb = a.tokens, b.tokens
    if ta and tb and (ta <= tb or tb <= ta):
        return Level.PARTIAL
    if ca[:3] == cb[:3]:
        return Level.PREFIX
    return Level.DIFFERENT


def compare_names(a: str, b: str) -> Level:
    """Compare two family names (raw or folded)."""
    return compare_name_forms(name_form(a), name_form(b))


class GivenLevel(IntEnum):
    """How the first given names compare; ``auto`` needs COMPOSITE or EXACT."""

    DIFFERENT = 0
    PREFIX = 1
    PARTIAL = 2  # Jean vs Jean-Pierre: maybe a twin, never certain
    PHONETIC = 3
    TYPO = 4
    COMPOSITE = 5  # Jean-Pierre vs Jean Pierre, or a list of given names written as one string
    EXACT = 6


@dataclass(frozen=True, slots=True)
class GivenForm:
    """A list of given names in the shapes the comparison needs (computed once per list)."""

    first: str  # compact first given name
    first_two: str | None  # compact of the first two given names joined (Jean + Pierre = JEANPIERRE)
    first_words: int  # words in the first given name ("JEAN PIERRE" as one string: 2)
    tokens: tuple[str, ...]  # every word of every given name, in order
    phonetic: str  # phonetic key of the first given name


@lru_cache(maxsize=65536)
def given_form(given: tuple[str, ...]) -> GivenForm:
    """The normalised shapes of a list of given names (cached)."""
    folded = [f for f in (fold(g) for g in given) if f]
    if not folded:
        return GivenForm("", None, 0, (), "")
    first = folded[0].replace(" ", "")
    return GivenForm(
        first=first,
        first_two=first + folded[1].replace(" ", "") if len(folded) > 1 else None,
        first_words=len(folded[0].split()),
        tokens=tuple(" ".join(folded).split()),
        phonetic=phonetic_key(first),
    )


def compare_given_forms(doc: GivenForm, patient: GivenForm) -> GivenLevel:
    """Compare the first given name of a document with a patient's, allowing composite spellings."""
    a0, b0 = doc.first, patient.first
    if not a0 or not b0:
        return GivenLevel.DIFFERENT
    if a0 == b0:
        return GivenLevel.EXACT
    if a0 == patient.first_two or doc.first_two == b0:
        return GivenLevel.COMPOSITE
    # "JEAN PIERRE MARIE" as one string may be the list Jean, Pierre, Marie: accept it when the patient's
    # first given name is the first word and the other words are the patient's next given names, in order.
    n = len(doc.tokens)
    if doc.first_words > 1 and patient.first_words == 1 and doc.tokens == patient.tokens[:n]:
        return GivenLevel.COMPOSITE
    if min(len(a0), len(b0)) >= 4 and within_one_edit(a0, b0):
        return GivenLevel.TYPO
    if doc.phonetic == patient.phonetic:
        return GivenLevel.PHONETIC
    if doc.tokens[0] == patient.tokens[0]:
        return GivenLevel.PARTIAL
    if a0[:3] == b0[:3]:
        return GivenLevel.PREFIX
    return GivenLevel.DIFFERENT


def compare_given_names(doc: tuple[str, ...], patient: tuple[str, ...]) -> GivenLevel:
    """Compare the first given names of two lists (raw or folded)."""
    return compare_given_forms(given_form(tuple(doc)), given_form(tuple(patient)))


def sexes_conflict(a: Sex | str, b: Sex | str) -> bool:
    """True when both sexes are known and differ."""
    return a in ("M", "F") and b in ("M", "F") and a != b


__all__ = [
    "GivenForm",
    "GivenLevel",
    "Level",
    "NameForm",
    "compare_given_forms",
    "compare_name_forms",
    "given_form",
    "name_form",
    "PARTICLES",
    "clean_nir",
    "compact",
    "compare_given_names",
    "compare_names",
    "core_name",
    "fold",
    "is_valid_nir",
    "nir_key",
    "phonetic_key",
    "sex_from_nir",
    "sexes_conflict",
    "split_family_name",
    "split_given_names",
    "within_one_edit",
]
