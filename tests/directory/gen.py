"""Generator of synthetic RPPS and MSSanté extractions (fictitious people), shared by the tests and the bench.

Headers are the real ones from shared/samples (copied into tests/data/directory); each row is filled by
column *name*, so the 52- and 56-column vintages and the MSSanté layout all come out right. Practitioner
``i`` is a pure function of ``(i, seed)`` (integer hashing, no stored state), so the MSSanté file can point
at practitioners of the RPPS file without keeping two million of them in memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.directory.columns import norm_label, split_header, strip_accents

DATA = Path(__file__).resolve().parent.parent / "data" / "directory"
HEADER_FILES = {
    52: DATA / "rpps_PS_LibreAcces_Personne_activite_header_52col_variant.txt",
    56: DATA / "rpps_PS_LibreAcces_Personne_activite_header_56col_variant.txt",
    "mss": DATA / "mss_Extraction_Correspondance_MSSante_header_RECONSTRUCTED.txt",
}

COMMON_SURNAMES = (
    "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFÈVRE LEROY ROUX "
    "DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT MÜLLER LEFEBVRE "
    "FAURE ANDRÉ MERCIER BLANC GUÉRIN BOYER GARNIER CHEVALIER FRANÇOIS LEGRAND GAUTHIER GARCIA PERRIN ROBIN "
    "CLÉMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON NGUYEN BÉRANGER MÉNARD CÔTÉ"
).split() + ["D'ALMEIDA", "LE GALL", "JEAN-BAPTISTE", "DE LA FONTAINE", "N'DIAYE"]
SYLLABLES = (
    "ba be bi bo bu da dé di do du fa fe fi fo ga gé gi go la lé li lo lu ma mé mi mo na né ni no pa pe pi po "
    "ra ré ri ro sa sé si so ta té ti to va vè vi zo çon rac mont lac ber nard vil court"
).split()
GIVEN = (
    "Jean Marie Pierre Anne Michel Isabelle Philippe Catherine Alain Sylvie Nicolas Nathalie François Hélène "
    "Jérôme Zoé Anaïs Éric Gaëlle Loïc Céline Benoît Joëlle Stéphane Agnès Thierry Cécile Olivier Valérie "
    "Jean-Pierre Marie-Hélène Jean-François Anne-Sophie Paul Claire Luc Sophie Marc Julie Hugo Léa Noël Inès"
).split()
TOWNS = [
    ("75015", "PARIS"),
    ("13008", "MARSEILLE"),
    ("69003", "LYON"),
    ("31000", "TOULOUSE"),
    ("06000", "NICE"),
    ("44000", "NANTES"),
    ("67000", "STRASBOURG"),
    ("34000", "MONTPELLIER"),
    ("33000", "BORDEAUX"),
    ("59000", "LILLE"),
    ("35000", "RENNES"),
    ("51100", "REIMS"),
    ("64000", "PAU"),
    ("64100", "BAYONNE"),
    ("29200", "BREST"),
    ("87000", "LIMOGES"),
    ("63000", "CLERMONT-FERRAND"),
    ("25000", "BESANÇON"),
    ("97400", "SAINT-DENIS"),
    ("42000", "SAINT-ÉTIENNE"),
    ("14000", "CAEN"),
    ("80000", "AMIENS"),
    ("37000", "TOURS"),
    ("45000", "ORLÉANS"),
    ("21000", "DIJON"),
    ("76600", "LE HAVRE"),
    ("74000", "ANNECY"),
]
PROFESSIONS = [  # (code, label, weight)
    ("10", "Médecin", 50),
    ("60", "Infirmier", 22),
    ("40", "Chirurgien-Dentiste", 8),
    ("21", "Pharmacien", 8),
    ("70", "Masseur-Kinésithérapeute", 7),
    ("50", "Sage-Femme", 3),
    ("91", "Orthophoniste", 2),
]
SPECIALTIES = [  # médecins only; codes follow STANDARDS.md §6.2 where known, others are placeholders
    ("SM54", "Médecine Générale", 40),
    ("SM04", "Cardiologie et maladies vasculaires", 6),
    ("SM15", "Dermatologie et vénéréologie", 4),
    ("SM26", "Qualifié en Médecine générale", 6),  # TRE_R38: many GPs carry this one, not SM53/SM54
    ("SM40", "Pédiatrie", 5),
    ("SM20", "Gynécologie-obstétrique", 5),
    ("SM44", "Radio-diagnostic", 5),
    ("SM02", "Anesthésie-réanimation", 6),
    ("SM38", "Ophtalmologie", 4),
    ("SM49", "Santé publique", 1),
    ("SM27", "Gastro-entérologie et hépatologie", 3),
    ("SM35", "Néphrologie", 2),
    ("SM32", "Neurologie", 3),
    ("SM41", "Pneumologie", 3),
    ("SM43", "Rhumatologie", 3),
]
MSS_DOMAINS = ("medecin.mssante.fr", "pro.mssante.fr", "infirmier.mssante.fr", "ch-exemple.mssante.fr")


def _mix(x: int) -> int:
    """splitmix64: a cheap, well-spread integer hash."""
    x = (x + 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & 0xFFFFFFFFFFFFFFFF
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & 0xFFFFFFFFFFFFFFFF
    return x ^ (x >> 31)


def _weighted(items: list[tuple], h: int) -> tuple:
    total = sum(it[-1] for it in items)
    r = h % total
    for it in items:
        r -= it[-1]
        if r < 0:
            return it
    return items[-1]


@dataclass(frozen=True)
class Activity:
    organisation: str
    postcode: str
    city: str


@dataclass(frozen=True)
class Person:
    """A fictitious practitioner: what both extractions say about them."""

    id_pp: str  # 11-digit RPPS number
    family: str
    given: str
    profession_code: str
    profession: str
    specialty_code: str = ""
    specialty: str = ""
    activities: tuple[Activity, ...] = ()
    mssante: tuple[str, ...] = field(default=())

    @property
    def idnat(self) -> str:
        return "8" + self.id_pp


def _town(h: int) -> tuple[str, str]:
    """Real big towns half the time, else one of ~3000 synthetic communes with their own postcode."""
    if h % 2 == 0:
        return TOWNS[(h >> 1) % len(TOWNS)]
    n = (h >> 3) % 3000
    name = "SAINT-" + "".join(SYLLABLES[(n >> s) % len(SYLLABLES)] for s in (0, 5)).upper()
    return f"{(n % 95) + 1:02d}{(n * 7) % 1000:03d}", name


def _surname(h: int) -> str:
    if h % 10 < 3:
        return COMMON_SURNAMES[(h >> 4) % len(COMMON_SURNAMES)]
    n_syl = 2 + (h >> 8) % 2
    return "".join(SYLLABLES[(h >> (12 + 6 * k)) % len(SYLLABLES)] for k in range(n_syl)).upper()


def person(i: int, seed: int = 0) -> Person:
    """Practitioner number ``i`` of a generated extraction."""
    h = _mix(i * 1_000_003 + seed)
    h2 = _mix(h)
    code, prof, _ = _weighted(PROFESSIONS, h)
    spec_code = spec = ""
    if code == "10":
        spec_code, spec, _ = _weighted(SPECIALTIES, h2)
    n_act = 1 if h2 % 100 < 75 else (2 if h2 % 100 < 95 else 3)
    family = _surname(h >> 7)
    activities = []
    for k in range(n_act):
        postcode, city = _town(_mix(h2 + k))
        org = f"CABINET DU DR {family}" if k == 0 else f"CENTRE HOSPITALIER DE {city}"
        activities.append(Activity(org, postcode, city))
    return Person(
        id_pp=f"1{i + seed * 10_000_000:010d}",
        family=family,
        given=GIVEN[(h >> 20) % len(GIVEN)],
        profession_code=code,
        profession=prof,
        specialty_code=spec_code,
        specialty=spec,
        activities=tuple(activities),
    )


def header(kind: int | str) -> list[str]:
    """The labels of a sample header (52, 56 or "mss")."""
    text = HEADER_FILES[kind].read_text(encoding="utf-8")
    return split_header(text.splitlines()[0], "|")


def _rpps_row(labels: list[str], p: Person, act: Activity) -> list[str]:
    """The cells of one row, filled by (normalised) column name."""
    values = {
        "type d identifiant pp": "8",
        "identifiant pp": p.id_pp,
        "identification nationale pp": p.idnat,
        "code civilite d exercice": "DR" if p.profession_code == "10" else "",
        "libelle civilite d exercice": "Docteur" if p.profession_code == "10" else "",
        "libelle civilite exercice": "Docteur" if p.profession_code == "10" else "",
        "nom d exercice": p.family,
        "prenom d exercice": p.given,
        "code profession": p.profession_code,
        "libelle profession": p.profession,
        "code categorie professionnelle": "C",
        "libelle categorie professionnelle": "Civil",
        "code type savoir faire": "S" if p.specialty else "",
        "libelle type savoir faire": "Spécialité ordinale" if p.specialty else "",
        "code savoir faire": p.specialty_code,
        "libelle savoir faire": p.specialty,
        "code mode exercice": "L",
        "libelle mode exercice": "Libéral",
        "raison sociale site": act.organisation,
        "code postal coord structure": act.postcode,
        "libelle commune coord structure": act.city,
        "code pays coord structure": "99000",
        "libelle pays coord structure": "France",
        "autorite d enregistrement": "CNOM/CNOM/CNOM",
    }
    return [values.get(key, "") for key in labels]


def rpps_lines(n_rows: int, vintage: int = 56, seed: int = 0, extra: Iterable[Person] = ()) -> Iterator[str]:
    """Header then ``n_rows`` rows (one per activity; the ``extra`` people first), each ending with ``|``."""
    labels = header(vintage)
    yield "|".join(labels) + "|\n"
    labels = [norm_label(label) for label in labels]
    written = 0
    for p in extra:
        for act in p.activities:
            yield "|".join(_rpps_row(labels, p, act)) + "|\n"
            written += 1
    i = 0
    while written < n_rows:
        p = person(i, seed)
        for act in p.activities[: n_rows - written]:
            yield "|".join(_rpps_row(labels, p, act)) + "|\n"
            written += 1
        i += 1


def practitioners_for(n_rows: int, seed: int = 0) -> int:
    """How many generated practitioners ``n_rows`` RPPS rows hold (for pointing the MSSanté file at them)."""
    written = i = 0
    while written < n_rows:
        written += len(person(i, seed).activities)
        i += 1
    return i


def _ascii(text: str) -> str:
    return "".join(c for c in strip_accents(text) if c.isalnum() or c == "-")


def _mss_row(
    labels: list[str], p: Person | None, address: str, org: str, postcode: str, city: str
) -> list[str]:
    values = {
        "type de bal": "PER" if p else "ORG",
        "adresse bal": address,
        "raison sociale structure bal": org,
        "l6ligneacheminement": f"{postcode} {city}",
        "code postal": postcode,
        "departement": postcode[:2],
        "pays": "France",
        "dematerialisation": "Oui",
    }
    if p is not None:
        values.update(
            {
                "type identifiant pp": "8",
                "identifiant pp": p.id_pp,
                "identification nationale pp": p.idnat,
                "civilite d exercice": "Docteur" if p.profession_code == "10" else "",
                "nom d exercice": p.family,
                "prenom d exercice": p.given,
                "code profession": p.profession_code,
                "libelle profession": p.profession,
                "libelle savoir faire": p.specialty,
            }
        )
    return [values.get(key, "") for key in labels]


def mss_lines(
    n_rows: int, n_practitioners: int, seed: int = 0, extra: Iterable[Person] = (), trailing_bar: bool = False
) -> Iterator[str]:
    """Header then ``n_rows`` mailbox rows: ~90% of generated practitioners, ~5% practitioners absent from
    the RPPS file, ~5% organisation boxes. ``extra`` people's own ``mssante`` addresses come first."""
    labels = header("mss")
    end = "|\n" if trailing_bar else "\n"
    yield "|".join(labels) + end
    labels = [norm_label(label) for label in labels]
    written = 0
    for p in extra:
        for address in p.mssante:
            act = p.activities[0]
            yield "|".join(_mss_row(labels, p, address, act.organisation, act.postcode, act.city)) + end
            written += 1
    j = 0
    while written < n_rows:
        h = _mix(j * 7919 + seed + 17)
        domain = MSS_DOMAINS[h % len(MSS_DOMAINS)]
        kind = (h >> 8) % 100
        if kind < 5:  # an organisation box
            postcode, city = _town(h >> 16)
            org = f"LABORATOIRE {SYLLABLES[(h >> 24) % len(SYLLABLES)].upper()} {city}"
            address = f"secretariat.{j:x}@{domain}"
            row = _mss_row(labels, None, address, org, postcode, city)
        else:
            i = (h >> 16) % max(n_practitioners, 1)
            if kind < 10:  # a practitioner the RPPS file does not hold
                i += n_practitioners + 1
            p = person(i, seed)
            act = p.activities[0]
            address = f"{_ascii(p.given)}.{_ascii(p.family)}.{j:x}@{domain}".lower()
            row = _mss_row(labels, p, address, act.organisation, act.postcode, act.city)
        yield "|".join(row) + end
        written += 1
        j += 1


def write(path: Path, lines: Iterable[str], encoding: str = "utf-8", member: str | None = None) -> Path:
    """Write ``lines`` to ``path`` in ``encoding``; zipped as ``member`` when given (streamed either way)."""
    path = Path(path)
    if member is None:
        with open(path, "w", encoding=encoding, newline="") as fh:
            fh.writelines(lines)
        return path
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        with zf.open(member, "w") as raw, io.TextIOWrapper(raw, encoding=encoding, newline="") as fh:
            fh.writelines(lines)
    return path


# The people of the "lefevre cardio pau" acceptance case; rows are written before the generated ones.
LEFEVRE_CASE = (
    Person(
        "19999990001",
        "LEFÈVRE",
        "Jean",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (Activity("CABINET DE CARDIOLOGIE", "64000", "PAU"),),
        ("jean.lefevre@medecin.mssante.fr",),
    ),
    Person(
        "19999990002",
        "LEFÈVRE",
        "Anne",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (
            Activity("CLINIQUE SAINT-AUGUSTIN", "33000", "BORDEAUX"),
            Activity("CENTRE HOSPITALIER DE PAU", "64000", "PAU"),
        ),
        ("anne.lefevre@ch-pau.mssante.fr", "a.lefevre@medecin.mssante.fr"),
    ),
    Person(
        "19999990003",
        "LEFEVRE-DUPONT",
        "Claire",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (Activity("CABINET MÉDICAL", "64000", "PAU"),),
        ("claire.lefevre-dupont@medecin.mssante.fr",),
    ),
    Person(
        "19999990004",
        "LEFÈVRE",
        "Marc",
        "10",
        "Médecin",
        "SM54",
        "Médecine Générale",
        (Activity("CABINET MÉDICAL", "64000", "PAU"),),
        ("marc.lefevre@medecin.mssante.fr",),
    ),
    Person(
        "19999990005",
        "LEFÈVRE",
        "Luc",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (Activity("CABINET DE CARDIOLOGIE", "69003", "LYON"),),
        ("luc.lefevre@medecin.mssante.fr",),
    ),
    Person(
        "19999990006",
        "MARTIN",
        "Paul",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (Activity("CLINIQUE LEFEVRE", "64000", "PAU"),),
        ("paul.martin@medecin.mssante.fr",),
    ),
)

# Names whose punctuation and particles a doctor types any way ("lhote", "legoff", "dupont aignan").
PUNCTUATION_CASE = (
    Person(
        "19999991001",
        "L'HÔTE",
        "Marie",
        "10",
        "Médecin",
        "SM54",
        "Médecine Générale",
        (Activity("CABINET MÉDICAL", "64000", "PAU"),),
        ("marie.lhote@medecin.mssante.fr",),
    ),
    Person(
        "19999991002",
        "LE GOFF",
        "Yann",
        "10",
        "Médecin",
        "SM41",
        "Pneumologie",
        (Activity("CABINET DE PNEUMOLOGIE", "29200", "BREST"),),
        ("yann.legoff@medecin.mssante.fr",),
    ),
    Person(
        "19999991003",
        "DUPONT-AIGNAN",
        "Nicolas",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (Activity("CABINET DE CARDIOLOGIE", "91330", "YERRES"),),
        ("n.dupont-aignan@medecin.mssante.fr",),
    ),
    Person(
        "19999991004",
        "DE LA FONTAINE",
        "Jean-Pierre",
        "10",
        "Médecin",
        "SM04",
        "Cardiologie et maladies vasculaires",
        (Activity("CABINET DE CARDIOLOGIE", "75015", "PARIS"),),
        ("jp.delafontaine@medecin.mssante.fr",),
    ),
)
