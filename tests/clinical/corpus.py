"""A seeded generator of fictitious patients and lab-result identities with known ground truth.

Used by tests/clinical/test_matching_corpus.py and by bench/clinical.py. Every name, date and NIR here is
made up; NIR keys are computed so that the matricules are well formed.

Each ``Case`` says which patient the document really belongs to (``truth``, None when the patient is not in
the registry), whether it is a *clean* case (the rules allow and expect ``auto``) and whether the rules
*forbid* ``auto`` (homonyms, swapped day/month, year error, sex conflict, NIR alone, unrelated used name,
partial twins).
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import unicodedata
from dataclasses import dataclass, replace

from core.clinical.identity import nir_key
from core.model import Identity, Patient

_SURNAME_TEXT = """Martin|Bernard|Thomas|Petit|Robert|Richard|Durand|Dubois|Moreau|Laurent|Simon|Michel|Lefèvre|Leroy|
Roux|David|Bertrand|Morel|Fournier|Girard|Bonnet|Dupont|Lambert|Fontaine|Rousseau|Vincent|Müller|Lefebvre|
Faure|André|Mercier|Blanc|Guérin|Boyer|Garnier|Chevalier|François|Legrand|Gauthier|Garcia|Perrin|Robin|Clément|
Morin|Nicolas|Henry|Roussel|Mathieu|Gautier|Masson|Marchand|Duval|Denis|Dumont|Lemaire|Noël|Meyer|Dufour|
Meunier|Brun|Blanchard|Giraud|Joly|Rivière|Lucas|Brunet|Gaillard|Barbier|Arnaud|Martinez|Gérard|Roche|Renard|
Schmitt|Roy|Leroux|Colin|Vidal|Caron|Picard|Roger|Fabre|Aubert|Lemoine|Renaud|Dumas|Lacroix|Olivier|
Bourgeois|Benoît|Rey|Leclerc|Payet|Rolland|Leclercq|Lecomte|Lopez|Dupuy|Guillot|Hubert|
Berger|Carpentier|Sanchez|Dupuis|Moulin|Deschamps|Huet|Vasseur|Perez|Boucher|Fleury|Royer|Klein|Jacquet|
Poirier|Marty|Aubry|Guyot|Carré|Renault|Charpentier|Ménard|Maillard|Baron|Bertin|Bailly|
Hervé|Schneider|Fernandez|Le Gall|Collet|Léger|Bouvier|Prévost|Millet|Perrot|Le Roux|Cousin|
Germain|Breton|Besson|Langlois|Rémy|Le Goff|Pelletier|Lévêque|Perrier|Leblanc|Barré|Lebrun|Marchal|Weber|
Mallet|Hamon|Boulanger|Monnier|Michaud|Rodriguez|Guichard|Gillet|Grondin|Poulain|Tessier|
Chevallier|Chauvin|Da Silva|Bouchet|Lemaître|Bénard|Maréchal|Humbert|Reynaud|Hoarau|
Perret|Barthélemy|Cordier|Pichon|Lejeune|Gilbert|Lamy|Delaunay|Pasquier|Carlier|Laporte|N'Diaye|D'Almeida|
de La Fontaine|Saint-Martin|Lefort|Dos Santos|Van Damme|Martin-Dupont|Nguyen|Le Bihan|Kerouac|Quéré"""
SURNAMES = [s.strip() for s in _SURNAME_TEXT.replace("\n", "").split("|") if s.strip()]

# Syllables to grow the surname pool for large registries (real practices see tens of thousands of names).
_ROOTS = "Bar Ber Bou Cha Che Cor Dal Del Fer Gal Gar Lan Lau Mar Mor Pel Per Ren Rob Rou Sal Ter Val Ver Vil".split()
_MIDS = "a e i o ou au an en in on".split()
_ENDS = "det lier ard ot in on ais eau ier et ant ez oux and eux ac ec ic".split()

MALE = """Jean|Pierre|Michel|André|Philippe|Louis|Nicolas|François|Alain|Jacques|Bernard|Marcel|Daniel|Roger|
Paul|Robert|Claude|Christian|Henri|Georges|Patrick|Thomas|Julien|Lucas|Hugo|Léo|Gabriel|Arthur|Raphaël|Nathan|
Théo|Mathis|Enzo|Maxime|Antoine|Alexandre|Quentin|Romain|Sébastien|Olivier|Frédéric|Laurent|Stéphane|Éric|
David|Vincent|Guillaume|Benoît|Jérôme|Yves|Gérard|Guy|Noël|Rémi|Mathieu|Bruno|Thierry|Didier|Joël|Hervé|
Jean-Pierre|Jean-Claude|Jean-Luc|Jean-Marc|Jean-François|Jean-Michel|Pierre-Yves|Paul-Henri|Marc-Antoine"""
FEMALE = """Marie|Jeanne|Françoise|Monique|Catherine|Nathalie|Isabelle|Sylvie|Anne|Christine|Martine|Nicole|
Sophie|Sandrine|Valérie|Céline|Julie|Camille|Léa|Manon|Chloé|Emma|Inès|Sarah|Laura|Pauline|Marion|Lucie|
Élodie|Aurélie|Émilie|Mathilde|Charlotte|Juliette|Alice|Zoé|Louise|Jade|Lina|Clara|Agathe|Margaux|
Brigitte|Chantal|Danielle|Josiane|Patricia|Véronique|Hélène|Claire|Cécile|Agnès|Odile|Ghislaine|Yvette|
Marie-Claire|Anne-Sophie|Marie-Christine|Marie-Thérèse|Anne-Marie|Marie-Hélène|Marie-Laure|Marie-Pierre"""
MALE_NAMES = [s.strip() for s in MALE.replace("\n", "").split("|")]
FEMALE_NAMES = [s.strip() for s in FEMALE.replace("\n", "").split("|")]
_DEPTS = [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]


@dataclass(frozen=True)
class Case:
    """One result's identity with the truth the generator knows."""

    identity: Identity
    truth: str | None  # the patient id it belongs to; None when that patient is not in the registry
    kind: str
    clean: bool = False  # traits agree exactly: the rules expect ``auto``
    forbid_auto: bool = False  # the rules say never ``auto`` here


@dataclass
class Corpus:
    patients: list[Patient]
    cases: list[Case]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def lab_style(name: str) -> str:
    """How many labs write names: upper case, accents dropped."""
    return _strip_accents(name).upper()


def make_nir(rng: random.Random, sex: str, birth: dt.date) -> str:
    """A well-formed fictitious NIR (key computed)."""
    body = (
        ("1" if sex == "M" else "2")
        + f"{birth.year % 100:02d}{birth.month:02d}"
        + rng.choice(_DEPTS)
        + f"{rng.randrange(1, 990):03d}{rng.randrange(1, 999):03d}"
    )
    return body + f"{nir_key(body):02d}"


class _Factory:
    """Draws fictitious people; keeps (birth name, first given, birth date) unique unless asked not to."""

    def __init__(self, rng: random.Random, synthetic_names: int = 0) -> None:
        self.rng = rng
        self.surnames = list(SURNAMES)
        seen = set(self.surnames)
        while len(self.surnames) < len(SURNAMES) + synthetic_names:
            name = rng.choice(_ROOTS) + rng.choice(_MIDS) + rng.choice(("", *_MIDS)) + rng.choice(_ENDS)
            name = name[0] + name[1:].lower()
            if name not in seen:
                seen.add(name)
                self.surnames.append(name)
        self._cum_weights = list(itertools.accumulate(1 / (rank + 10) for rank in range(len(self.surnames))))
        self.used_keys: set[tuple[str, str, dt.date]] = set()
        self.used_nirs: set[str] = set()
        self.count = 0

    def surname(self) -> str:
        # A skewed draw (weight 1/(rank+10)): common names are common, as Martin is in France.
        return self.rng.choices(self.surnames, cum_weights=self._cum_weights)[0]

    def given(self, sex: str) -> tuple[str, ...]:
        pool = MALE_NAMES if sex == "M" else FEMALE_NAMES
        k = self.rng.choice((1, 1, 2, 2, 3))
        names: list[str] = []
        while len(names) < k:
            g = self.rng.choice(pool)
            if g not in names and not any(g in n or n in g for n in names):
                names.append(g)
        return tuple(names)

    def date(self, lo: int = 1930, hi: int = 2023) -> dt.date:
        start = dt.date(lo, 1, 1).toordinal()
        return dt.date.fromordinal(self.rng.randrange(start, dt.date(hi, 12, 28).toordinal()))

    def key(self, birth_name: str, given: tuple[str, ...], date: dt.date) -> tuple[str, str, dt.date]:
        return (lab_style(birth_name), lab_style(given[0]).replace("-", " "), date)

    def patient(self, **fixed: object) -> Patient:
        """A new patient; fields in ``fixed`` are imposed, the others drawn."""
        rng = self.rng
        for _ in range(1000):
            sex = fixed.get("sex") or rng.choice("MF")
            birth_name = fixed.get("birth_name") or self.surname()
            given = fixed.get("given_names") or self.given(sex)  # type: ignore[arg-type]
            date = fixed.get("birth_date") or self.date()
            key = self.key(birth_name, given, date)  # type: ignore[arg-type]
            if key not in self.used_keys or fixed.get("allow_same"):
                break
        else:  # pragma: no cover - the pools are far larger than any registry we build
            raise RuntimeError("cannot draw a unique identity")
        self.used_keys.add(key)
        used = ""
        if "used_name" in fixed:
            used = fixed["used_name"]  # type: ignore[assignment]
        elif sex == "F" and date.year < 2000 and rng.random() < 0.45:
            used = self.surname()
            while used == birth_name:
                used = self.surname()
        ins = fixed.get("ins", "unset")
        if ins == "unset":
            ins = None
            if rng.random() < 0.4:
                ins = make_nir(rng, sex, date)  # type: ignore[arg-type]
                while ins in self.used_nirs:
                    ins = make_nir(rng, sex, date)  # type: ignore[arg-type]
        if ins:
            self.used_nirs.add(ins)  # type: ignore[arg-type]
        self.count += 1
        return Patient(
            id=f"P{self.count:06d}",
            birth_name=birth_name,  # type: ignore[arg-type]
            used_name=used,
            given_names=given,  # type: ignore[arg-type]
            birth_date=date,  # type: ignore[arg-type]
            sex=sex,  # type: ignore[arg-type]
            ins=ins,  # type: ignore[arg-type]
        )


def make_patients(n: int, seed: int = 1) -> list[Patient]:
    """``n`` plain fictitious patients (for benchmarks)."""
    rng = random.Random(seed)
    factory = _Factory(rng, synthetic_names=min(20000, 500 + n // 10))
    return [factory.patient() for _ in range(n)]


def _doc_from(p: Patient, rng: random.Random, **changes: object) -> Identity:
    """The identity a lab would write for patient p: upper case, accents dropped, used name first."""
    family = p.used_name or p.birth_name
    sex = p.sex if rng.random() < 0.8 else "U"  # HPRIM Net often has no sex
    ident = Identity(
        family_name=lab_style(family),
        birth_name="",
        given_names=tuple(lab_style(g) for g in p.given_names[: rng.choice((1, 1, len(p.given_names)))]),
        birth_date=p.birth_date,
        sex=sex,  # type: ignore[arg-type]
    )
    return replace(ident, **changes)  # type: ignore[arg-type]


def _typo(rng: random.Random, word: str) -> str:
    letters = [c for c in word]
    i = rng.randrange(1, max(2, len(letters) - 1))
    op = rng.choice(("sub", "del", "swap"))
    if op == "sub":
        letters[i] = rng.choice([c for c in "AEIOUMNRSTL" if c != letters[i].upper()])
    elif op == "del" and len(letters) > 4:
        del letters[i]
    elif i + 1 < len(letters) and letters[i] != letters[i + 1]:
        letters[i], letters[i + 1] = letters[i + 1], letters[i]
    else:
        letters[i] = "X" if letters[i].upper() != "X" else "Z"
    return "".join(letters)


def make_corpus(n_patients: int = 3000, n_cases: int = 1500, seed: int = 20261128) -> Corpus:
    """Patients plus results covering every case of issue 3, with ground truth."""
    rng = random.Random(seed)
    f = _Factory(rng, synthetic_names=min(20000, 500 + n_patients // 10))
    patients: list[Patient] = []

    def add(p: Patient) -> Patient:
        patients.append(p)
        return p

    base = [add(f.patient()) for _ in range(int(n_patients * 0.8))]
    # Twins: same birth date and birth name, different given names (and distinct first letters).
    twins: list[tuple[Patient, Patient]] = []
    for _ in range(max(10, n_patients // 60)):
        a = add(f.patient())
        sibling_given = f.given(a.sex)
        while sibling_given[0][0] == a.given_names[0][0]:
            sibling_given = f.given(a.sex)
        b = add(
            f.patient(birth_name=a.birth_name, birth_date=a.birth_date, sex=a.sex, given_names=sibling_given)
        )
        twins.append((a, b))
    # Twins whose given names are a part of each other (Jean / Jean-Pierre): never certain.
    partial_twins: list[tuple[Patient, Patient]] = []
    for _ in range(max(5, n_patients // 300)):
        sex = rng.choice("MF")
        composite = rng.choice([g for g in (MALE_NAMES if sex == "M" else FEMALE_NAMES) if "-" in g])
        a = add(f.patient(sex=sex, given_names=(composite.split("-")[0],)))
        b = add(
            f.patient(sex=sex, birth_name=a.birth_name, birth_date=a.birth_date, given_names=(composite,))
        )
        partial_twins.append((a, b))
    # Homonyms: two records sharing every trait.
    homonyms: list[tuple[Patient, Patient]] = []
    for _ in range(max(10, n_patients // 100)):
        a = add(f.patient(ins=None))
        b = add(
            f.patient(
                birth_name=a.birth_name,
                given_names=a.given_names[:1],
                birth_date=a.birth_date,
                sex=a.sex,
                used_name=a.used_name,
                allow_same=True,
                ins=None,
            )
        )
        homonyms.append((a, b))
    # Parents with a qualified INS and their child in the practice, with the parent's surname.
    families: list[tuple[Patient, Patient]] = []
    for _ in range(max(10, n_patients // 50)):
        parent = add(f.patient(birth_date=f.date(1950, 1985)))
        parent = patients[-1] = replace(
            parent, ins=parent.ins or make_nir(rng, parent.sex, parent.birth_date)
        )
        child = add(
            f.patient(birth_name=parent.used_name or parent.birth_name, birth_date=f.date(1990, 2020))
        )
        families.append((parent, child))
    # Patients with composite or several given names (Jean-Pierre vs Jean Pierre).
    composites: list[Patient] = []
    for _ in range(max(10, n_patients // 30)):
        sex = rng.choice("MF")
        pool = [g for g in (MALE_NAMES if sex == "M" else FEMALE_NAMES) if "-" in g]
        comp = rng.choice(pool)
        given = (comp,) if rng.random() < 0.5 else tuple(comp.split("-"))
        composites.append(add(f.patient(sex=sex, given_names=given)))
    while len(patients) < n_patients:
        base.append(add(f.patient()))

    twin_ids = {p.id for pair in (*twins, *partial_twins, *homonyms) for p in pair}
    plain = [p for p in base if p.id not in twin_ids]
    married = [p for p in plain if p.used_name]
    with_ins = [p for p in plain if p.ins]

    registry_keys = {
        f.key(name, p.given_names, p.birth_date)  # type: ignore[arg-type]
        for p in patients
        for name in (p.birth_name, p.used_name)
        if name
    }
    cases: list[Case] = []

    def clean(kind: str, p: Patient, ident: Identity) -> None:
        cases.append(Case(ident, p.id, kind, clean=True))

    def forbidden(kind: str, truth: str | None, ident: Identity) -> None:
        cases.append(Case(ident, truth, kind, forbid_auto=True))

    def absent_person(**fixed: object) -> Patient | None:
        """Someone drawn but never added to the registry; None when these traits are already taken."""
        try:
            kid = f.patient(**{"used_name": "", **fixed})
        except RuntimeError:
            return None
        # A stranger whose every trait equals a patient's cannot be told apart without an INS: not a test.
        return None if f.key(kid.birth_name, kid.given_names, kid.birth_date) in registry_keys else kid

    def exact() -> None:
        p = rng.choice(plain)
        clean("exact", p, _doc_from(p, rng))

    def accents_kept() -> None:
        p = rng.choice(plain)
        clean(
            "accents",
            p,
            _doc_from(p, rng, family_name=p.used_name or p.birth_name, given_names=p.given_names),
        )

    def ins() -> None:
        p = rng.choice(with_ins)
        clean(
            "ins",
            p,
            _doc_from(p, rng, ins=p.ins, ins_oid="1.2.250.1.213.1.4.8", birth_name=lab_style(p.birth_name)),
        )

    def married_name() -> None:
        p = rng.choice(married)
        clean(
            "married",
            p,
            _doc_from(p, rng, family_name=lab_style(p.used_name), birth_name=lab_style(p.birth_name)),
        )

    def ep() -> None:
        p = rng.choice(married)
        clean("ep", p, _doc_from(p, rng, family_name=lab_style(f"{p.birth_name} EP {p.used_name}")))

    def nee() -> None:
        p = rng.choice(married)
        word = rng.choice(("NEE", "née", "Née"))
        clean(
            "nee",
            p,
            _doc_from(p, rng, family_name=f"{lab_style(p.used_name)} {word} {lab_style(p.birth_name)}"),
        )

    def composite() -> None:
        p = rng.choice(composites)
        if len(p.given_names) == 1:  # stored "Jean-Pierre": the lab writes "JEAN PIERRE" or two names
            parts = lab_style(p.given_names[0]).split("-")
            given = (" ".join(parts),) if rng.random() < 0.5 else tuple(parts)
        else:  # stored "Jean Pierre" (two names): the lab writes "JEAN-PIERRE"
            given = (lab_style("-".join(p.given_names[:2])),)
        clean("composite", p, _doc_from(p, rng, given_names=given))

    def twin() -> None:
        a, b = rng.choice(twins)
        p = rng.choice((a, b))
        clean("twin", p, _doc_from(p, rng))

    def parent_nir() -> None:
        parent, child = rng.choice(families)
        clean("parent-nir", child, _doc_from(child, rng, nir=parent.ins))

    def homonym() -> None:
        a, b = rng.choice(homonyms)
        p = rng.choice((a, b))
        forbidden("homonym", p.id, _doc_from(p, rng))

    def partial_twin() -> None:
        a, b = rng.choice(partial_twins)
        p = rng.choice((a, b))
        forbidden(
            "partial-twin", p.id, _doc_from(p, rng, given_names=tuple(lab_style(g) for g in p.given_names))
        )

    def swapped() -> None:
        while True:
            p = rng.choice(plain)
            d = p.birth_date
            if d.day <= 12 and d.day != d.month:
                break
        forbidden("swapped", p.id, _doc_from(p, rng, birth_date=d.replace(month=d.day, day=d.month)))

    def year_error() -> None:
        p = rng.choice(plain)
        d = p.birth_date
        year = d.year + rng.choice((-10, -2, -1, 1, 2, 10))
        if d.month == 2 and d.day == 29:
            year = d.year + 4
        forbidden("year", p.id, _doc_from(p, rng, birth_date=d.replace(year=year)))

    def sex_conflict() -> None:
        p = rng.choice(plain)
        forbidden("sex", p.id, _doc_from(p, rng, sex="F" if p.sex == "M" else "M"))

    def nir_only() -> None:
        parent, _ = rng.choice(families)
        kid = absent_person(
            birth_name=parent.used_name or parent.birth_name, birth_date=f.date(2005, 2022), ins=None
        )
        if kid is not None:
            forbidden("nir-only", None, _doc_from(kid, rng, nir=parent.ins))

    def used_unrelated() -> None:
        # Someone married under a patient's birth name, same first name and birth date: not that patient.
        p = rng.choice(plain)
        other_birth = f.surname()
        while lab_style(other_birth) == lab_style(p.birth_name) or (
            f.key(other_birth, p.given_names, p.birth_date) in registry_keys  # would be another patient
        ):
            other_birth = f.surname()
        ident = _doc_from(
            p,
            rng,
            family_name=lab_style(p.birth_name),
            birth_name=lab_style(other_birth),
            given_names=(lab_style(p.given_names[0]),),
        )
        forbidden("used-unrelated", None, ident)

    def typo() -> None:
        p = rng.choice(plain)
        if rng.random() < 0.5:
            ident = _doc_from(p, rng)
            ident = replace(ident, family_name=_typo(rng, ident.family_name))
        else:
            ident = _doc_from(p, rng)
            ident = replace(ident, given_names=(_typo(rng, ident.given_names[0]), *ident.given_names[1:]))
        cases.append(Case(ident, p.id, "typo"))

    def absent() -> None:
        kid = absent_person()
        if kid is not None:
            cases.append(Case(_doc_from(kid, rng), None, "absent"))

    def absent_relative() -> None:
        # Same birth name and birth date as a patient, another first name: a sibling we do not follow.
        p = rng.choice(plain)
        given = f.given(p.sex)
        while (
            given[0][:3] == p.given_names[0][:3]
            or given[0] in p.given_names[0]
            or p.given_names[0] in given[0]
        ):
            given = f.given(p.sex)
        kid = absent_person(
            birth_name=p.birth_name, birth_date=p.birth_date, sex=p.sex, given_names=given, ins=None
        )
        if kid is not None:
            cases.append(Case(_doc_from(kid, rng), None, "absent-relative"))

    makers = [
        (exact, 14),
        (accents_kept, 5),
        (ins, 8),
        (married_name, 6),
        (ep, 6),
        (nee, 6),
        (composite, 7),
        (twin, 6),
        (parent_nir, 5),
        (homonym, 5),
        (partial_twin, 3),
        (swapped, 5),
        (year_error, 4),
        (sex_conflict, 3),
        (nir_only, 3),
        (used_unrelated, 3),
        (typo, 5),
        (absent, 4),
        (absent_relative, 3),
    ]
    funcs = [m for m, w in makers for _ in range(w)]
    while len(cases) < n_cases:
        rng.choice(funcs)()
    return Corpus(patients=patients, cases=cases)
