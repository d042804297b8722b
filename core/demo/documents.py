"""Fictitious clinical documents and files for the demo: HPRIM Net, HL7 v2.5 ORU, PDF letters,
and the public-directory extractions."""

from __future__ import annotations

import datetime as dt
import random
import zlib
from dataclasses import dataclass

from core.demo.people import Practitioner
from core.model import Patient

# (code, label, unit, low, high, typical, spread)
PANEL = (
    ("HB", "HEMOGLOBINE", "g/dL", 12.0, 16.5, 14.0, 2.2),
    ("GB", "LEUCOCYTES", "G/L", 4.0, 10.0, 7.0, 3.0),
    ("PLQ", "PLAQUETTES", "G/L", 150, 400, 260, 90),
    ("GLY", "GLYCEMIE A JEUN", "g/L", 0.70, 1.10, 0.95, 0.25),
    ("CREA", "CREATININE", "µmol/L", 45, 104, 80, 25),
    ("K", "POTASSIUM", "mmol/L", 3.5, 5.0, 4.2, 0.6),
    ("NA", "SODIUM", "mmol/L", 136, 145, 140, 4),
    ("TSH", "TSH", "mUI/L", 0.4, 4.0, 2.0, 1.8),
    ("HBA1C", "HEMOGLOBINE GLYQUEE", "%", 4.0, 6.0, 5.6, 1.2),
    ("LDL", "CHOLESTEROL LDL", "g/L", 0.0, 1.60, 1.2, 0.5),
    ("CRP", "PROTEINE C REACTIVE", "mg/L", 0.0, 5.0, 3.0, 6.0),
    ("INR", "INR", "", 2.0, 3.0, 2.5, 0.6),
)


@dataclass(frozen=True)
class Result:
    code: str
    label: str
    value: str
    unit: str
    low: str
    high: str
    flag: str


def lab_results(rng: random.Random, count: int = 6) -> list[Result]:
    out = []
    for code, label, unit, low, high, typical, spread in rng.sample(PANEL, count):
        value = max(0.0, rng.gauss(typical, spread / 2))
        decimals = 2 if high < 10 else (1 if high < 100 else 0)
        flag = "H" if value > high else ("L" if value < low and low > 0 else "N")
        if value > high * 1.8 and high > 0:
            flag = "HH"
        out.append(
            Result(
                code,
                label,
                f"{value:.{decimals}f}",
                unit,
                f"{low:.{decimals}f}",
                f"{high:.{decimals}f}",
                flag,
            )
        )
    return out


def _ddmmyyyy(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d else ""


def hprim_net(
    patient: Patient,
    stated: dict[str, str],
    results: list[Result],
    sample_date: dt.date,
    lab_code: str,
    lab_name: str,
    doctor_code: str,
    doctor_name: str,
    nir: str,
    record: str,
) -> bytes:
    """One HPRIM Net report (Windows-1252, CRLF), as the lab writes it; ``stated`` overrides traits."""
    name = stated.get("name", patient.used_name or patient.birth_name)
    given = stated.get("given", " ".join(patient.given_names))
    born = stated.get("born", _ddmmyyyy(patient.birth_date))
    nir_line = stated.get("nir", f"{nir[:13]} {nir[13:]}" if nir else "")
    lines = [
        record[:10],
        name,
        given,
        "12 rue des Lilas",
        "",
        "64000 PAU",
        born,
        nir_line,
        record,
        sample_date.strftime("%d/%m/%Y"),
        f"{lab_code:<10} {lab_name}",
        f"{doctor_code:<10} {doctor_name}",
        f"Laboratoire {lab_name} - biologie médicale",
        f"Compte rendu d'analyses du {sample_date.strftime('%d/%m/%Y')}",
        "Résultats validés par le biologiste.",
        "****LAB****",
    ]
    for r in results:
        low, high = r.low.replace(".", ","), r.high.replace(".", ",")  # the comma/dot trap of real files
        lines.append(f"RES|{r.label}|{r.code}|N|{r.value}|{r.unit}|{low}|{high}|{r.flag}|F")
    lines += ["TEX|Prélèvement réalisé au laboratoire.", "****FIN****", "****FINFICHIER****", ""]
    return "\r\n".join(lines).encode("cp1252", errors="replace")


def hl7_oru(
    patient: Patient,
    results: list[Result],
    when: dt.datetime,
    control_id: str,
    lab_name: str,
    ins_oid: str = "1.2.250.1.213.1.4.10",
) -> bytes:
    """An HL7 v2.5 ORU^R01 with the INS in PID-3 when the patient has one (segments end with CR)."""
    ts = when.strftime("%Y%m%d%H%M%S")
    pid3 = f"{patient.id}^^^DEMO&1.2.250.1.999.1&ISO^PI"
    if patient.ins:
        pid3 += f"~{patient.ins}^^^ASIP-SANTE-INS-NIR&{ins_oid}&ISO^INS"
    given = patient.given_names
    names = f"{patient.birth_name}^{given[0] if given else ''}^{' '.join(given[1:])}^^^^L"
    if patient.used_name:
        names = f"{patient.used_name}^{given[0] if given else ''}^^^^^D~" + names
    born = patient.birth_date.strftime("%Y%m%d") if patient.birth_date else ""
    segs = [
        f"MSH|^~\\&|LABO|{lab_name}|MISSIVE|CABINET|{ts}||ORU^R01^ORU_R01|{control_id}|P|2.5|||||FRA|UNICODE UTF-8",
        f"PID|1||{pid3}||{names}||{born}|{patient.sex}",
        f"OBR|1|{control_id}|{control_id}|BILAN^Bilan biologique^L|||{ts}",
    ]
    for i, r in enumerate(results, start=1):
        segs.append(
            f"OBX|{i}|NM|{r.code}^{r.label}^L||{r.value}|{r.unit}|{r.low}-{r.high}|{r.flag if r.flag != 'N' else ''}"
            f"|||F|||{ts}"
        )
    segs.append("NTE|1||Résultats validés.")
    return ("\r".join(segs) + "\r").encode("utf-8")


def pdf_letter(title: str, lines: list[str]) -> bytes:
    """A small valid one-page PDF (Helvetica, WinAnsi) holding ``lines`` of text."""

    def esc(text: str) -> bytes:
        raw = text.encode("cp1252", errors="replace")
        return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")

    body = b"BT /F1 11 Tf 56 780 Td 14 TL (" + esc(title) + b") Tj T* T*"
    for line in lines:
        body += b" (" + esc(line) + b") '"
    body += b" ET"
    stream = zlib.compress(body)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


RPPS_HEADER = (
    "Type d'identifiant PP|Identifiant PP|Identification nationale PP|Code civilité d'exercice|"
    "Libellé civilité exercice|Code civilité|Libellé civilité|Nom d'exercice|Prénom d'exercice|Code profession|"
    "Libellé profession|Code catégorie professionnelle|Libellé catégorie professionnelle|Code type savoir-faire|"
    "Libellé type savoir-faire|Code savoir-faire|Libellé savoir-faire|Code mode exercice|Libellé mode exercice|"
    "Numéro SIRET site|Numéro SIREN site|Numéro FINESS site|Numéro FINESS établissement juridique|"
    "Identifiant technique de la structure|Raison sociale site|Enseigne commerciale site|"
    "Complément destinataire (coord. structure)|Complément point géographique (coord. structure)|"
    "Numéro Voie (coord. structure)|Indice répétition voie (coord. Structure)|Code type de voie (coord. structure)|"
    "Libellé type de voie (coord. structure)|Libellé Voie (coord. structure)|Mention distribution (coord. structure)|"
    "Bureau cedex (coord. structure)|Code postal (coord. structure)|Code commune (coord. structure)|"
    "Libellé commune (coord. structure)|Code pays (coord. structure)|Libellé pays (coord. structure)|"
    "Téléphone (coord. structure)|Téléphone 2 (coord. structure)|Télécopie (coord. structure)|"
    "Adresse e-mail (coord. structure)|Code département (coord. structure)|Libellé département (coord. structure)|"
    "Ancien identifiant de la structure|Autorité d'enregistrement|Code secteur d'activité|"
    "Libellé secteur d'activité|Code section tableau pharmaciens|Libellé section tableau pharmaciens|Code fonction|"
    "Libellé fonction|Code genre d'activité|Libellé genre d'activité|"
)
MSS_HEADER = (
    "Type de BAL|Adresse BAL|Type Identifiant PP|Identifiant PP|Identification nationale PP|"
    "Type identifiant structure|Identification Structure|Service de rattachement|Civilité d'exercice|Nom d'exercice|"
    "Prénom d'exercice|Catégorie profession|Libellé de catégorie profession|Code Profession|Libellé Profession|"
    "Code savoir-faire|Libellé savoir-faire|Dématérialisation|Raison Sociale structure BAL|"
    "Enseigne commerciale structure BAL|L2COMPLEMENTLOCALISATION|L3COMPLEMENTDISTRIBUTION|L4NUMEROVOIE|"
    "L4COMPLEMENTNUMEROVOIE|NL4TYPEVOIE|L4LIBELLEVOIE|L5LIEUDITMENTION|L6LIGNEACHEMINEMENT|Code postal|"
    "Département|Pays"
)


def _row(header: str, values: dict[str, str]) -> str:
    cols = [c for c in header.split("|")]
    trailing = cols and cols[-1] == ""
    names = cols[:-1] if trailing else cols
    cells = [values.get(name, "") for name in names]
    return "|".join(cells) + ("|" if trailing else "")


def directory_extractions(people: list[Practitioner]) -> tuple[bytes, bytes]:
    """(RPPS personne-activité extraction, MSSanté extraction), UTF-8, '|'-separated, as published."""
    rpps = [RPPS_HEADER]
    mss = [MSS_HEADER]
    for p in people:
        rpps.append(
            _row(
                RPPS_HEADER,
                {
                    "Type d'identifiant PP": "8",
                    "Identifiant PP": p.rpps,
                    "Identification nationale PP": "8" + p.rpps,
                    "Code civilité d'exercice": p.civility,
                    "Libellé civilité exercice": "Docteur",
                    "Nom d'exercice": p.family,
                    "Prénom d'exercice": p.given,
                    "Code profession": "10",
                    "Libellé profession": p.profession,
                    "Libellé savoir-faire": p.specialty,
                    "Raison sociale site": p.organisation,
                    "Code postal (coord. structure)": p.postcode,
                    "Libellé commune (coord. structure)": p.city,
                },
            )
        )
        mss.append(
            _row(
                MSS_HEADER,
                {
                    "Type de BAL": "PER",
                    "Adresse BAL": p.address,
                    "Type Identifiant PP": "8",
                    "Identifiant PP": p.rpps,
                    "Identification nationale PP": "8" + p.rpps,
                    "Nom d'exercice": p.family,
                    "Prénom d'exercice": p.given,
                    "Libellé Profession": p.profession,
                    "Libellé savoir-faire": p.specialty,
                    "Raison Sociale structure BAL": p.organisation,
                    "Code postal": p.postcode,
                    "L6LIGNEACHEMINEMENT": f"{p.postcode} {p.city}",
                },
            )
        )
    return ("\n".join(rpps) + "\n").encode("utf-8"), ("\n".join(mss) + "\n").encode("utf-8")
