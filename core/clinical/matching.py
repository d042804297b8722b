"""Safe patient matching: which patient of the practice does a document's identity belong to?

``PatientIndex`` is built once from the patients and answers ``match(identity) -> MatchResult``.

Candidates come from blocking indexes only (INS; birth date and its day/month swap, filtered by name
prefixes; phonetic keys of birth and used names with the first given name, narrowed by the day and month
or by the year of birth), so the cost of one document depends on a constant number of lookups into small
blocks, not on the number of patients (bench/clinical.py measures it at 1k, 10k and 100k patients).

Decision rules (STANDARDS.md §5.5, issue 3):

- ``auto`` through the INS: the document carries a valid INS, exactly one patient has it, and the strict
  traits agree (birth date, sex, birth name, first given name).
- ``auto`` through the traits: exactly one patient whose birth name (or used name, when the document does not
  state a birth name) and first given name are identical after normalisation, whose birth date is the same
  and whose sex is compatible, with no other patient that could be the same person under a plausible error
  (homonym, twin with a partial given name, day/month swap) and no conflicting INS.
- never ``auto`` on the NIR alone (it may be the insured parent's), on a swapped, different or missing birth
  date, on a sex conflict, or when the document's birth name contradicts the patient's (its used name then
  matches an unrelated record).
- ``review`` when some candidate is plausible, ``new`` when none is.

Reasons are short French phrases with no health data.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum
from functools import cached_property

from core.clinical.identity import (
    GivenForm,
    GivenLevel,
    Level,
    NameForm,
    clean_nir,
    compare_given_forms,
    compare_name_forms,
    given_form,
    is_valid_nir,
    name_form,
    phonetic_key,
    sexes_conflict,
    split_family_name,
)
from core.model import Candidate, Identity, MatchResult, Patient
from core.text import T, Text

MAX_CANDIDATES = 5
MIN_SCORE = 0.5  # below this a candidate is not shown (unless an identifier points at it)

# Weights of the score; they add up to 1.
_W_DATE, _W_NAME, _W_GIVEN, _W_SEX, _W_ID = 0.3, 0.3, 0.2, 0.1, 0.1


class DateLevel(IntEnum):
    DIFFERENT = 0
    MISSING = 1
    ONE_PART = 2  # two of day, month, year agree
    YEAR = 3  # same day and month, another year
    SWAPPED = 4  # day and month inverted
    EXACT = 5


class IdLevel(IntEnum):
    INS_DIFFERENT = 0
    NONE = 1
    NIR_SAME = 2  # the document's NIR is the patient's INS: may still be a parent's
    INS_SAME = 3


_DATE_SCORE = {
    DateLevel.EXACT: 1.0,
    DateLevel.SWAPPED: 0.6,
    DateLevel.YEAR: 0.5,
    DateLevel.ONE_PART: 0.4,
    DateLevel.MISSING: 0.3,
    DateLevel.DIFFERENT: 0.0,
}
_NAME_SCORE = {
    Level.EXACT: 1.0,
    Level.PARTICLE: 0.95,
    Level.TYPO: 0.8,
    Level.PHONETIC: 0.75,
    Level.PARTIAL: 0.6,
    Level.PREFIX: 0.3,
    Level.DIFFERENT: 0.0,
}
_GIVEN_SCORE = {
    GivenLevel.EXACT: 1.0,
    GivenLevel.COMPOSITE: 0.95,
    GivenLevel.TYPO: 0.8,
    GivenLevel.PHONETIC: 0.75,
    GivenLevel.PARTIAL: 0.6,
    GivenLevel.PREFIX: 0.3,
    GivenLevel.DIFFERENT: 0.0,
}
_ID_SCORE = {IdLevel.INS_SAME: 1.0, IdLevel.NIR_SAME: 0.8, IdLevel.NONE: 0.5, IdLevel.INS_DIFFERENT: 0.0}

_DATE_REASON = {
    DateLevel.EXACT: "date de naissance identique",
    DateLevel.SWAPPED: "date de naissance avec jour et mois inversés",
    DateLevel.YEAR: "année de naissance différente",
    DateLevel.ONE_PART: "date de naissance proche",
    DateLevel.MISSING: "date de naissance absente",
    DateLevel.DIFFERENT: "date de naissance différente",
}
_NAME_REASON = {
    Level.EXACT: "identique",
    Level.PARTICLE: "identique (hors particule)",
    Level.TYPO: "très proche (faute de frappe ?)",
    Level.PHONETIC: "phonétiquement proche",
    Level.PARTIAL: "partiellement identique",
    Level.PREFIX: "mêmes trois premières lettres",
    Level.DIFFERENT: "différent",
}
_GIVEN_REASON = {
    GivenLevel.EXACT: "premier prénom identique",
    GivenLevel.COMPOSITE: "prénom composé équivalent",
    GivenLevel.TYPO: "prénom très proche (faute de frappe ?)",
    GivenLevel.PHONETIC: "prénom phonétiquement proche",
    GivenLevel.PARTIAL: "prénom partiel (prénom composé ?)",
    GivenLevel.PREFIX: "prénom : mêmes trois premières lettres",
    GivenLevel.DIFFERENT: "prénom différent",
}


def swap_day_month(date: dt.date) -> dt.date | None:
    """The date with day and month inverted, when that is another valid date."""
    if date.day == date.month or date.day > 12:
        return None
    try:
        return date.replace(month=date.day, day=date.month)
    except ValueError:
        return None


def compare_dates(doc: dt.date | None, patient: dt.date | None) -> DateLevel:
    """How a document's birth date relates to a patient's."""
    if doc is None or patient is None:
        return DateLevel.MISSING
    if doc == patient:
        return DateLevel.EXACT
    if swap_day_month(doc) == patient:
        return DateLevel.SWAPPED
    if (doc.day, doc.month) == (patient.day, patient.month):
        return DateLevel.YEAR
    if sum((doc.day == patient.day, doc.month == patient.month, doc.year == patient.year)) == 2:
        return DateLevel.ONE_PART
    return DateLevel.DIFFERENT


@dataclass(frozen=True)
class _Entry:
    """A patient with its normalised traits, computed once when the index is built."""

    patient: Patient
    birth: NameForm
    used: NameForm | None
    given: GivenForm
    ins: str  # cleaned ('' when none)
    hooks: frozenset[str]  # name and given-name prefixes and phonetic keys, for a cheap pre-filter


def _hooks(names: Iterable[NameForm | None], given: GivenForm) -> frozenset[str]:
    """Short keys that any plausible candidate shares with the document (see ``_candidate_ids``)."""
    out = {f"n{h}" for n in names if n is not None and n.compact for h in (n.compact[:3], n.phonetic)}
    out.update(f"n{t[:3]}" for n in names if n is not None for t in n.tokens)  # double names
    if given.first:
        out.update(f"g{h}" for h in (given.first[:3], given.phonetic, given.tokens[0][:3]))
    return frozenset(out)


@dataclass(frozen=True)
class _DocTraits:
    """A document's identity, normalised once per match."""

    identity: Identity
    used: NameForm  # the name the document uses
    birth: NameForm | None  # None when the document does not state a birth name
    given: GivenForm
    ins: str  # valid INS or ''
    ins_invalid: bool
    nir: str  # valid NIR or ''
    hooks: frozenset[str]


@dataclass(frozen=True)
class _Comparison:
    entry: _Entry
    date: DateLevel
    name: Level  # the name level that decides (birth name when stated, else best of birth/used)
    name_via_used: bool  # the best name level came from the patient's used name
    birth_contradicted: bool  # the document states a birth name that differs from the patient's
    given: GivenLevel
    sex_conflict: bool
    sex_known: bool
    ident: IdLevel
    given_missing: bool = False  # the document names no given name (said so, not "prénom différent")
    nir_differs: bool = False  # a bare NIR (maybe the insured's) that is not the patient's INS: said, not weighed

    @property
    def traits_agree(self) -> bool:
        """Strict traits agree: same birth date, compatible sex, identical names and first given name."""
        return (
            self.date == DateLevel.EXACT
            and not self.sex_conflict
            and self.name >= Level.PARTICLE
            and not self.birth_contradicted
            and self.given >= GivenLevel.COMPOSITE
        )

    @property
    def strong(self) -> bool:
        """Traits agree and no identifier says otherwise: eligible for ``auto`` if unique."""
        return self.traits_agree and self.ident != IdLevel.INS_DIFFERENT

    @property
    def plausible_same_person(self) -> bool:
        """Could be the document's patient under one plausible error (a rival to a strong candidate)."""
        if self.sex_conflict:
            return False
        if self.date in (DateLevel.EXACT, DateLevel.SWAPPED):
            return self.name >= Level.PARTIAL and self.given >= GivenLevel.PARTIAL
        # Same names, a birth date one slip away (year or one part): a typing error in the date would
        # make the document's patient this one, so the exact match elsewhere is not certain either.
        return (
            self.date in (DateLevel.YEAR, DateLevel.ONE_PART)
            and self.name >= Level.PARTICLE
            and self.given >= GivenLevel.COMPOSITE
        )

    @cached_property
    def score(self) -> float:
        s = (
            _W_DATE * _DATE_SCORE[self.date]
            + _W_NAME * _NAME_SCORE[self.name] * (0.5 if self.birth_contradicted else 1.0)
            + _W_GIVEN * _GIVEN_SCORE[self.given]
            + _W_SEX * (0.0 if self.sex_conflict else 1.0 if self.sex_known else 0.5)
            + _W_ID * _ID_SCORE[self.ident]
        )
        if self.ident == IdLevel.INS_DIFFERENT:
            s = min(s, 0.6)  # two different INS are two different people, whatever the traits say
        if self.date == DateLevel.DIFFERENT and self.ident < IdLevel.NIR_SAME:
            s = min(s, 0.45)  # same name, unrelated birth date: another person (RNIV: birth date first)
        return max(0.0, min(1.0, s))

    def reasons(self) -> list[str]:
        out: list[str] = []
        if self.ident == IdLevel.INS_SAME:
            out.append("INS identique")
        elif self.ident == IdLevel.NIR_SAME:
            out.append("NIR identique (peut être celui de l'assuré)")
        elif self.ident == IdLevel.INS_DIFFERENT:
            out.append("INS différent")
        elif self.nir_differs:
            out.append("NIR différent (peut être celui de l'assuré)")
        out.append(_DATE_REASON[self.date])
        which = "nom d'usage" if self.name_via_used else "nom de naissance"
        out.append(f"{which} {_NAME_REASON[self.name]}")
        if self.birth_contradicted and out[-1] != "nom de naissance différent":
            out.append("nom de naissance différent")
        out.append("prénom absent du document" if self.given_missing else _GIVEN_REASON[self.given])
        if self.sex_conflict:
            out.append("sexe incompatible")
        elif self.sex_known:
            out.append("sexe identique")
        else:
            out.append("sexe inconnu")
        return out


def _name_keys(names: Iterable[NameForm | None], given: GivenForm) -> set[str]:
    """Blocking keys: phonetic of each name (whole and without particles) × phonetic of the first given name."""
    name_phons = {v for n in names if n is not None for v in (n.phonetic, phonetic_key(n.core))} - {""}
    given_phons = {given.phonetic}
    if given.tokens:
        given_phons.add(phonetic_key(given.tokens[0]))
    if given.first_two:  # "Jean" "Pierre" may be the composite Jean-Pierre
        given_phons.add(phonetic_key(given.first_two))
    given_phons.discard("")
    return {f"{n}|{g}" for n in name_phons for g in given_phons}


def patient_entry(p: Patient) -> _Entry:
    """A patient with the normalised traits the comparisons need."""
    ins = clean_nir(p.ins)
    used = name_form(p.used_name) if p.used_name else None
    given = given_form(tuple(p.given_names))
    birth = name_form(p.birth_name)
    return _Entry(
        p,
        birth=birth,
        used=used if used and used.compact else None,
        given=given,
        ins=ins,
        hooks=_hooks((birth, used), given),
    )


def _lookalike_keys(entry: _Entry) -> set[str]:
    """The blocks of the patients born the same day with the same birth name, compact or without its
    particles: ``_lookalike`` needs one or the other (``compare_name_forms`` EXACT or PARTICLE), so a look-alike
    of ``entry`` is filed under one of ``entry``'s own keys, and the check reads no one else born that day."""
    born, birth = entry.patient.birth_date, entry.birth
    if born is None or not birth.compact:
        return set()  # no birth date, or no birth name: no look-alike (compare_name_forms says DIFFERENT)
    iso = born.isoformat()
    return {f"dl:{iso}|{birth.compact}", f"dl:{iso}|{birth.core}"}


def blocking_keys(entry: _Entry) -> set[str]:
    """Every key under which the blocking tables file this patient (see ``PatientIndex._candidate_ids``).

    ``i:`` INS; ``dl:`` birth date and birth name (its compact form, and its core: see ``_lookalike_keys``);
    ``dh:`` birth date and a hook; ``n:`` name key of a patient without a birth date; ``nd:`` name key with
    day+month or year of birth; ``na:`` name key whatever the date.
    """
    p = entry.patient
    out: set[str] = set()
    if entry.ins:
        out.add("i:" + entry.ins)
    keys = _name_keys((entry.birth, entry.used), entry.given)
    out.update("na:" + key for key in keys)
    if p.birth_date:
        iso = p.birth_date.isoformat()
        out.update(_lookalike_keys(entry))
        out.update(f"dh:{iso}|{hook}" for hook in entry.hooks)
        out.update("nd:" + key + suffix for key in keys for suffix in _date_suffixes(p.birth_date))
    else:
        out.update("n:" + key for key in keys)
    return out


def _lookalike(a: _Entry, b: _Entry) -> bool:
    """Two records that may be one person: same birth date (the caller's block), same birth name and a
    compatible first given name (homonyms, duplicates, twins Jean / Jean-Pierre)."""
    return (
        not sexes_conflict(a.patient.sex, b.patient.sex)
        and compare_name_forms(a.birth, b.birth) >= Level.PARTICLE
        and compare_given_forms(a.given, b.given) >= GivenLevel.PARTIAL
    )


class PatientIndex:
    """Patients with blocking tables; ``match`` is safe to call from any thread.

    This one holds everything in memory; ``core.store.patientindex`` keeps the same tables on disk,
    encrypted, for a practice's registry (``match`` is the same code: only the lookups differ).
    """

    def __init__(self, patients: Iterable[Patient]) -> None:
        self._entries_by_id: dict[str, _Entry] = {}
        tables: dict[str, list[str]] = defaultdict(list)
        for p in patients:
            entry = patient_entry(p)
            self._entries_by_id[p.id] = entry
            for key in blocking_keys(entry):
                tables[key].append(p.id)
        self._tables = dict(tables)  # a plain dict: lookups of absent keys must not grow it

    def __len__(self) -> int:
        return len(self._entries_by_id)

    # ------------------------------------------------------------------ lookups (what a stored index replaces)

    def _lookup(self, keys: Iterable[str]) -> set[str]:
        """Ids of the patients filed under any of ``keys``."""
        ids: set[str] = set()
        for key in keys:
            ids.update(self._tables.get(key, ()))
        return ids

    def _entries(self, ids: Iterable[str]) -> list[_Entry]:
        return [self._entries_by_id[i] for i in ids if i in self._entries_by_id]

    # ------------------------------------------------------------------ matching

    def match(self, identity: Identity) -> MatchResult:
        """Decide which patient (if any) ``identity`` belongs to; see the module docstring for the rules."""
        doc = _doc_traits(identity)
        comparisons = [self._compare(doc, e) for e in self._entries(self._lookup(self._candidate_keys(doc)))]
        comparisons.sort(key=lambda c: (-c.score, c.entry.patient.id))

        chosen: _Comparison | None = None
        extra: dict[str, list[str]] = defaultdict(list)
        ins_hits = [c for c in comparisons if c.ident == IdLevel.INS_SAME]
        if doc.ins and len(ins_hits) == 1 and ins_hits[0].traits_agree:
            chosen = ins_hits[0]
        elif doc.ins and len(ins_hits) > 1:
            for c in ins_hits:
                extra[c.entry.patient.id].append("INS partagé par plusieurs dossiers")
        elif not doc.ins or not ins_hits:
            strong = [c for c in comparisons if c.strong]
            if len(strong) == 1:
                rivals = [c for c in comparisons if c is not strong[0] and c.plausible_same_person]
                if not rivals and self._has_lookalike(strong[0].entry):
                    extra[strong[0].entry.patient.id].append("homonyme ou jumeau dans le fichier patients")
                    rivals = [strong[0]]  # not auto: the registry itself holds two look-alike records
                if not rivals:
                    chosen = strong[0]
                else:
                    extra[strong[0].entry.patient.id].append("un autre dossier pourrait correspondre")
                    for c in rivals:
                        extra[c.entry.patient.id].append("un autre dossier pourrait correspondre")
            elif len(strong) > 1:
                for c in strong:
                    extra[c.entry.patient.id].append("homonyme : un autre dossier partage ces traits")
        else:
            for c in ins_hits:
                extra[c.entry.patient.id].append("INS identique mais traits discordants")

        shown = [
            c for c in comparisons if c is chosen or c.score >= MIN_SCORE or c.ident >= IdLevel.NIR_SAME
        ][:MAX_CANDIDATES]
        if chosen is not None and chosen not in shown:
            shown = [chosen, *shown[: MAX_CANDIDATES - 1]]
        candidates = []
        for c in shown:
            reasons = c.reasons() + extra.get(c.entry.patient.id, [])
            if doc.ins_invalid:
                reasons.append("INS du document invalide (clé fausse)")
            candidates.append(Candidate(c.entry.patient.id, round(c.score, 3), tuple(reasons)))
        if chosen is not None:
            return MatchResult("auto", chosen.entry.patient.id, tuple(candidates))
        return MatchResult("review" if candidates else "new", None, tuple(candidates))

    def _has_lookalike(self, entry: _Entry) -> bool:
        """Another record born the same day that may be the same person (see ``_lookalike``).

        Such look-alikes make an identity by traits uncertain even when the document names only one of
        them (e.g. through a used name), so they are never matched automatically without an INS.
        """
        keys = _lookalike_keys(entry)
        if not keys:
            return False
        block = self._entries(self._lookup(keys))
        return any(other.patient.id != entry.patient.id and _lookalike(entry, other) for other in block)

    @staticmethod
    def _candidate_keys(doc: _DocTraits) -> set[str]:
        """The blocking keys worth looking up for a document, from small blocks only.

        - INS or NIR equal;
        - same birth date or its day/month swap, sharing a name or given-name prefix or phonetic key
          (the others differ from the document in both names from the first letters on: neither a
          possible choice nor a plausible rival);
        - phonetically equal name and given name, born the same day and month (year error) or the same
          year (one part of the date wrong); any date when the document or the patient has none.
        Each block holds a handful of patients whatever the size of the practice.
        """
        keys: set[str] = {"i:" + ident for ident in (doc.ins, doc.nir) if ident}
        bd = doc.identity.birth_date
        if bd is not None:
            swapped = swap_day_month(bd)
            for date in (bd, swapped) if swapped else (bd,):
                iso = date.isoformat()
                keys.update(f"dh:{iso}|{hook}" for hook in doc.hooks)
        names = _name_keys((doc.used, doc.birth), doc.given)
        if bd is None:
            keys.update("na:" + key for key in names)
        else:
            for key in names:
                keys.add("n:" + key)
                keys.update("nd:" + key + suffix for suffix in _date_suffixes(bd))
        return keys

    @staticmethod
    def _compare(doc: _DocTraits, entry: _Entry) -> _Comparison:
        p = entry.patient
        birth_contradicted = False
        if doc.birth is not None:
            name = compare_name_forms(doc.birth, entry.birth)
            via_used = False
            birth_contradicted = name < Level.PARTICLE
            if birth_contradicted and entry.used is not None:
                # The names may just be stored the other way round; show it, never auto on it.
                alt = compare_name_forms(doc.used, entry.used)
                if alt > name:
                    name, via_used = alt, True
        else:
            by_birth = compare_name_forms(doc.used, entry.birth)
            by_used = compare_name_forms(doc.used, entry.used) if entry.used is not None else Level.DIFFERENT
            name, via_used = (by_used, True) if by_used > by_birth else (by_birth, False)
        if doc.ins and entry.ins:
            ident = IdLevel.INS_SAME if doc.ins == entry.ins else IdLevel.INS_DIFFERENT
        elif doc.nir and entry.ins and doc.nir == entry.ins:
            ident = IdLevel.NIR_SAME
        else:
            ident = IdLevel.NONE
        sex = doc.identity.sex
        return _Comparison(
            entry=entry,
            date=compare_dates(doc.identity.birth_date, p.birth_date),
            name=name,
            name_via_used=via_used,
            birth_contradicted=birth_contradicted,
            given=compare_given_forms(doc.given, entry.given),
            sex_conflict=sexes_conflict(sex, p.sex),
            sex_known=sex in ("M", "F") and p.sex in ("M", "F"),
            ident=ident,
            given_missing=not doc.given.first,
            nir_differs=ident == IdLevel.NONE and bool(doc.nir and entry.ins),
        )


def _date_suffixes(date: dt.date) -> tuple[str, str]:
    return (f"|{date.day:02d}{date.month:02d}", f"|{date.year}")


def _doc_traits(identity: Identity) -> _DocTraits:
    used, birth = split_family_name(identity.family_name)
    if identity.birth_name:
        b_used, b_birth = split_family_name(identity.birth_name)
        birth = b_birth or b_used
    used = used or birth
    ins = clean_nir(identity.ins)
    nir = clean_nir(identity.nir)
    birth_form = name_form(birth) if birth else None
    used_form = name_form(used)
    given = given_form(tuple(identity.given_names))
    return _DocTraits(
        identity=identity,
        used=used_form,
        birth=birth_form if birth_form is not None and birth_form.compact else None,
        given=given,
        ins=ins if is_valid_nir(ins) else "",
        ins_invalid=bool(ins) and not is_valid_nir(ins),
        nir=nir if is_valid_nir(nir) else "",
        hooks=_hooks((used_form, birth_form), given),
    )


__all__ = [
    "DateLevel",
    "MAX_CANDIDATES",
    "MIN_SCORE",
    "PatientIndex",
    "blocking_keys",
    "compare_dates",
    "patient_entry",
    "swap_day_month",
]


TRAITS = ("name", "birth_name", "given", "birth_date", "sex", "ins")


def differing_traits(identity: Identity, patient: Patient) -> frozenset[str]:
    """The traits (``TRAITS``) on which a document's patient and a registry patient differ, by the matcher's own
    measures: a name or given name below what ``traits_agree`` accepts, another birth date, incompatible sexes,
    two different INS. A trait unknown on either side is not a difference. What the review screen marks ``≠``
    and what asks for a confirmation before filing."""
    out: set[str] = set()
    used = name_form(identity.family_name)
    stated_birth = identity.birth_name or identity.family_name
    if identity.family_name and (patient.used_name or patient.birth_name):
        if compare_name_forms(used, name_form(patient.used_name or patient.birth_name)) < Level.PARTICLE:
            out.add("name")
    if stated_birth and patient.birth_name:
        if compare_name_forms(name_form(stated_birth), name_form(patient.birth_name)) < Level.PARTICLE:
            out.add("birth_name")
    if identity.given_names and patient.given_names:
        doc_given, pat_given = given_form(tuple(identity.given_names)), given_form(tuple(patient.given_names))
        if compare_given_forms(doc_given, pat_given) < GivenLevel.COMPOSITE:
            out.add("given")
    if compare_dates(identity.birth_date, patient.birth_date) not in (DateLevel.EXACT, DateLevel.MISSING):
        out.add("birth_date")
    if sexes_conflict(identity.sex, patient.sex):
        out.add("sex")
    doc_ins, pat_ins = clean_nir(identity.ins), clean_nir(patient.ins)  # a bare NIR may be a parent's
    if doc_ins and pat_ins and doc_ins != pat_ins:
        out.add("ins")
    return frozenset(out)


def why_no_candidate(identity: Identity, patients: int) -> Text:
    """Why the matcher proposed nobody for ``identity`` among ``patients`` registry patients, in the words that
    À classer and ``missive match`` both show (one verdict, the core's): no patient list; an identity it could
    not read (no name, given name, birth date nor INS: an empty HL7 PID, an HPRIM header without them); one
    without family name nor birth date (a given name, an INS nobody has: nothing the matcher can look up);
    nobody with that name, or born that day."""
    if not patients:
        return T("mailroom.review.no-patients")
    named = bool((identity.family_name or identity.birth_name).strip())
    if not named and identity.birth_date is None:
        if clean_nir(identity.ins):
            return T("mailroom.review.ins-unknown")
        if any(g.strip() for g in identity.given_names):
            return T("mailroom.review.identity-partial")
        return T("mailroom.review.identity-unreadable")
    if identity.birth_date is None:
        return T("mailroom.review.nobody-named")
    return T("mailroom.review.nobody-born", date=identity.birth_date.strftime("%d/%m/%Y"))


def name_two_patients(document: Identity, envelope: Identity) -> bool:
    """True when a container (HL7 PID, XDM metadata) and the document it carries name two different patients:
    two different INS; or a birth date that differs, a sex conflict, family names that differ once folded
    (accents, case, particles) as the matcher folds them, or first given names below what the matcher files on
    (``traits_agree``: the same, or one composite written two ways): same-sex twins differ by nothing else. A
    side that only adds what the other lacks (an INS, a birth name, given names) agrees. A document with such a
    pair is never filed without a person's decision."""
    ins_doc, ins_env = clean_nir(document.ins), clean_nir(envelope.ins)
    if ins_doc and ins_env and ins_doc != ins_env:
        return True
    if document.birth_date and envelope.birth_date and document.birth_date != envelope.birth_date:
        return True
    if sexes_conflict(document.sex, envelope.sex):
        return True
    given_doc, given_env = given_form(tuple(document.given_names)), given_form(tuple(envelope.given_names))
    if given_doc.first and given_env.first:
        same = max(compare_given_forms(given_doc, given_env), compare_given_forms(given_env, given_doc))
        if same < GivenLevel.COMPOSITE:
            return True
    names_doc = [name_form(n) for n in (document.birth_name, document.family_name) if n and n.strip()]
    names_env = [name_form(n) for n in (envelope.birth_name, envelope.family_name) if n and n.strip()]
    if names_doc and names_env:
        best = max(compare_name_forms(a, b) for a in names_doc for b in names_env)
        if best < Level.PARTICLE:
            return True
    return False
