"""Fictitious people for the demo: patients with the identity traps a practice meets, and practitioners.

Names are drawn from common French name lists and combined at random: nobody real is described.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from core.model import Patient

FAMILY = tuple(
    name.replace("_", " ")  # LE_GOFF is one name, LE GOFF (split first: it was LE and GOFF)
    for name in (
        "MARTIN BERNARD THOMAS PETIT ROBERT RICHARD DURAND DUBOIS MOREAU LAURENT SIMON MICHEL LEFEBVRE LEROY "
        "ROUX DAVID BERTRAND MOREL FOURNIER GIRARD BONNET DUPONT LAMBERT FONTAINE ROUSSEAU VINCENT MULLER "
        "LEFEVRE FAURE ANDRE MERCIER BLANC GUERIN BOYER GARNIER CHEVALIER FRANCOIS LEGRAND GAUTHIER GARCIA "
        "PERRIN ROBIN CLEMENT MORIN NICOLAS HENRY ROUSSEL MATHIEU GAUTIER MASSON MARCHAND DUVAL DENIS DUMONT "
        "MARIE LEMAIRE NOEL MEYER DUFOUR MEUNIER BRUN BLANCHARD GIRAUD JOLY RIVIERE LUCAS BRUNET GAILLARD "
        "BARBIER ARNAUD MARTINEZ GERARD ROCHE RENARD SCHMITT ROY LEROUX COLIN VIDAL CARON PICARD ROGER FABRE "
        "AUBERT LEMOINE RENAUD DUMAS LACROIX OLIVIER PHILIPPE BOURGEOIS PIERRE BENOIT REY LECLERC PAYET ROLLAND "
        "LECLERCQ GUILLAUME LECOMTE LOPEZ JEAN DUPUY GUILLOT HUBERT BERGER CARPENTIER SANCHEZ DUPUIS MOULIN "
        "LOUIS DESCHAMPS HUET VASSEUR PEREZ BOUCHER FLEURY ROYER KLEIN JACQUET ADAM PARIS POIRIER MARTY AUBRY "
        "GUYOT CARRE CHARLES RENAULT CHARPENTIER MENARD MAILLARD BARON BERTIN BAILLY HERVE SCHNEIDER FERNANDEZ "
        "LE_GALL COLLET LEGER BOUVIER JULIEN PREVOST MILLET PERROT DANIEL LE_ROUX COUSIN GERMAIN BRETON BESSON "
        "LANGLOIS REMY LE_GOFF PELLETIER LEVEQUE PERRIER LEBLANC BARRE LEBRUN MARCHAL WEBER MALLET HAMON BOULANGER "
        "JACOB MONNIER MICHAUD RODRIGUEZ GUICHARD GILLET ETIENNE GRONDIN POULAIN TESSIER CHEVALLIER COLLIN "
        "CHAUVIN DA_SILVA BOUCHET GAY LEMAITRE BENARD MARECHAL HUMBERT REYNAUD ANTOINE HOARAU PERRET BARTHELEMY "
        "CORDIER PICHON LEJEUNE GILBERT LAMY DELAUNAY PASQUIER CARLIER LAPORTE"
    ).split()
)
PARTICLES = ("DE LA TOUR", "D'ARTOIS", "DU PONT", "LE BRIS", "SAINT-CLAIR")
GIVEN_F = (
    "Marie Nathalie Isabelle Sylvie Catherine Françoise Christine Monique Valérie Sandrine Véronique Sophie "
    "Anne Céline Julie Camille Léa Chloé Manon Emma Inès Jade Louise Alice Lina Rose Anna Zoé Juliette Hélène "
    "Élise Agnès Brigitte Odile Colette Josiane Marie-Claire Anne-Sophie Marie-Hélène Léna Margaux Clémence"
).split()
GIVEN_M = (
    "Jean Pierre Michel André Philippe Alain Bernard Jacques Daniel Christophe Patrick Nicolas Frédéric Laurent "
    "Stéphane Éric David Julien Thomas Lucas Hugo Louis Gabriel Arthur Jules Adam Raphaël Léo Paul Noé "
    "Jean-Pierre Jean-Marc Jean-Luc Pierre-Yves François Gérard René Yves Hervé Loïc Mathéo Théo Nathan"
).split()
TOWNS = (
    ("64000", "PAU"),
    ("76000", "ROUEN"),
    ("69003", "LYON"),
    ("33000", "BORDEAUX"),
    ("35000", "RENNES"),
    ("59000", "LILLE"),
    ("31000", "TOULOUSE"),
    ("13005", "MARSEILLE"),
    ("67000", "STRASBOURG"),
    ("44000", "NANTES"),
    ("21000", "DIJON"),
    ("87000", "LIMOGES"),
    ("20000", "AJACCIO"),
    ("75014", "PARIS"),
)


def nir_key(first13: str) -> str:
    """NIR check key: 97 - (N mod 97), Corsica 2A -> 19, 2B -> 18."""
    digits = first13.replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits) % 97:02d}"


def make_nir(rng: random.Random, sex: str, born: dt.date) -> str:
    dept = rng.choice(["64", "76", "69", "33", "35", "59", "31", "13", "75", "2A"])
    commune = f"{rng.randint(1, 899):03d}"
    order = f"{rng.randint(1, 999):03d}"
    body = f"{1 if sex == 'M' else 2}{born.year % 100:02d}{born.month:02d}{dept}{commune}{order}"
    return body + nir_key(body)


@dataclass(frozen=True)
class DemoPatient:
    patient: Patient
    nir: str  # the patient's own social-security number (the INS matricule when qualified)


def _given(rng: random.Random, sex: str) -> tuple[str, ...]:
    pool = GIVEN_M if sex == "M" else GIVEN_F
    count = rng.choice((1, 1, 2, 2, 3))
    names: list[str] = []
    while len(names) < count:
        name = rng.choice(pool)
        if name not in names:
            names.append(name)
    return tuple(names)


def _birth_date(rng: random.Random) -> dt.date:
    return dt.date(1930, 1, 1) + dt.timedelta(days=rng.randint(0, 365 * 92))


def make_patients(count: int, seed: int = 1961) -> list[DemoPatient]:
    """``count`` patients; a few carry the traps (homonyms, twins, married names, particles)."""
    rng = random.Random(seed)
    out: list[DemoPatient] = []
    for i in range(count):
        sex = rng.choice("MF")
        born = _birth_date(rng)
        family = rng.choice(PARTICLES) if rng.random() < 0.01 else rng.choice(FAMILY)
        used = ""
        if sex == "F" and rng.random() < 0.35:
            used = rng.choice(FAMILY)
            if used == family:  # a married name is another name ("ROUX (usage ROUX)" read as a bug): the next one,
                used = FAMILY[(FAMILY.index(used) + 1) % len(FAMILY)]  # drawn without a number (same data)
        nir = make_nir(rng, sex, born)
        ins = nir if rng.random() < 0.6 else None  # INS qualified for most, not all
        p = Patient(
            id=f"P{i + 1:06d}",
            birth_name=family,
            used_name=used,
            given_names=_given(rng, sex),
            birth_date=born,
            sex=sex,  # type: ignore[arg-type]  # "M" or "F", drawn above
            ins=ins,
        )
        out.append(DemoPatient(p, nir))
    # traps: true homonyms (same traits, two people) and twins (same birth, same name, another given name)
    for j in range(0, min(count, 40), 8):
        src = out[j].patient
        twin_id = f"P{len(out) + 1:06d}"
        if j % 16 == 0:
            clone = Patient(twin_id, src.birth_name, src.used_name, src.given_names, src.birth_date, src.sex)
        else:
            other = _given(rng, src.sex)
            clone = Patient(twin_id, src.birth_name, "", other, src.birth_date, src.sex)
        out.append(DemoPatient(clone, make_nir(rng, clone.sex, clone.birth_date or dt.date(1970, 1, 1))))
    return out


def patients_csv(patients: list[DemoPatient]) -> bytes:
    lines = ["id,birth_name,used_name,given_names,birth_date,sex,ins"]
    for dp in patients:
        p = dp.patient
        bd = p.birth_date.isoformat() if p.birth_date else ""
        cells = [p.id, p.birth_name, p.used_name, " ".join(p.given_names), bd, p.sex, p.ins or ""]
        lines.append(",".join(f'"{c}"' if "," in c else c for c in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True)
class Practitioner:
    rpps: str
    civility: str
    family: str
    given: str
    profession: str
    specialty: str
    organisation: str
    postcode: str
    city: str
    address: str  # MSSanté address


def make_practitioners(count: int, seed: int = 1998) -> list[Practitioner]:
    rng = random.Random(seed)
    specialties = (
        "Médecine générale",
        "Cardiologie et maladies vasculaires",
        "Pneumologie",
        "Dermatologie et vénéréologie",
        "Endocrinologie-diabétologie-nutrition",
        "Gastro-entérologie et hépatologie",
        "Rhumatologie",
        "Gynécologie médicale",
        "Pédiatrie",
        "Psychiatrie",
        "Ophtalmologie",
        "Néphrologie",
    )
    fixed = [
        Practitioner(
            "10100000017",
            "DR",
            "LEFÈVRE",
            "Claire",
            "Médecin",
            "Cardiologie et maladies vasculaires",
            "Cabinet de cardiologie du Parc",
            "64000",
            "PAU",
            "claire.lefevre@cardio-pau.mssante.fr",
        ),
        Practitioner(
            "10100000025",
            "DR",
            "LEFEVRE-DUPRAT",
            "Marc",
            "Médecin",
            "Cardiologie et maladies vasculaires",
            "Clinique des Pyrénées",
            "64000",
            "PAU",
            "marc.lefevre-duprat@clinique-pyrenees.mssante.fr",
        ),
        Practitioner(
            "10100000033",
            "DR",
            "LEFEBVRE",
            "Antoine",
            "Médecin",
            "Cardiologie et maladies vasculaires",
            "CHU de Rouen",
            "76000",
            "ROUEN",
            "antoine.lefebvre@chu-rouen.mssante.fr",
        ),
        Practitioner(
            "10100000041",
            "DR",
            "MARTIN",
            "Paul",
            "Médecin",
            "Médecine générale",
            "Cabinet médical des Tilleuls",
            "64000",
            "PAU",
            "dr.martin@cabinet-demo.mssante.fr",
        ),
    ]
    out = list(fixed)
    for i in range(count - len(fixed)):
        sex = rng.choice("MF")
        family = rng.choice(FAMILY)
        given = rng.choice(GIVEN_M if sex == "M" else GIVEN_F)
        postcode, city = rng.choice(TOWNS)
        spec = rng.choice(specialties)
        login = f"{given}.{family}".lower().replace(" ", "-")
        login = login.translate(str.maketrans("éèêëàâîïôöûüç", "eeeeaaiioouuc"))
        out.append(
            Practitioner(
                f"10{rng.randint(100000000, 999999999)}",
                "DR",
                family,
                given,
                "Médecin",
                spec,
                f"Cabinet {city.title()} {i % 40}",
                postcode,
                city,
                f"{login}{i}@{city.lower()}.mssante.fr",
            )
        )
    return out
