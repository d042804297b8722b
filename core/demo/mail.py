"""The demo mailbox: realistic fictitious mail for Dr Paul Martin, a GP in Pau.

Lab results (HPRIM Net attachments and bodies, HL7 v2.5), letters from colleagues (a PDF in an IHE_XDM.ZIP with
its CDA, or a bare PDF), results whose identity is ambiguous (homonyms, swapped day and month, married names,
absent patients, a parent's NIR), one whose signature does not match its sender, and one message from outside
the trust space. Signing and
encryption are applied by the builder (core.demo.build) with the demo PKI (core.demo.pki).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from core.clinical.cda_writer import CdaAuthor
from core.clinical.xdm_writer import letter_package
from core.demo.documents import hl7_oru, hprim_net, lab_results, pdf_letter
from core.demo.people import DemoPatient
from core.model import Identity

DOCTOR = "dr.martin@cabinet-demo.mssante.fr"
LAB = "resultats@labo-biodemo.mssante.fr"
LAB2 = "biologie@ch-demo.mssante.fr"
LAB_DESK = "secretariat@labo-biodemo.mssante.fr"  # writes for the lab, but holds no certificate of its own
COLLEAGUE = "claire.lefevre@cardio-pau.mssante.fr"
OUTSIDER = "patient.inconnu@gmail.example"
# the replacement doctor of the summer: the demo CA revoked his certificate when his card was reported stolen
REPLACEMENT = "julien.roux@remplacants-demo.mssante.fr"
CARDIOLOGIST = CdaAuthor("10100000017", "LEFÈVRE", "Claire", "Cabinet de cardiologie du Parc")
INS_TEST_OID = "1.2.250.1.213.1.4.10"  # the INS OID for test identities: every demo patient is fictitious


@dataclass
class DemoMail:
    raw: bytes
    kind: str  # result-auto, result-review, result-new, result-homonym, letter, signed, outsider...
    sign_as: str | None = None  # address whose key signs it (not always the From: see "signed-mismatch")
    encrypt: bool = False  # to the doctor, after signing
    flags: str = ""  # Maildir flags, e.g. "S" for seen
    expected_patient: str | None = None
    notes: dict[str, str] = field(default_factory=dict)


def _identity(dp: DemoPatient) -> Identity:
    """The patient as a colleague's software states it (qualified INS when the practice has one)."""
    p = dp.patient
    return Identity(
        family_name=p.used_name or p.birth_name,
        birth_name=p.birth_name,
        given_names=p.given_names,
        birth_date=p.birth_date,
        sex=p.sex,
        ins=p.ins,
        ins_oid=INS_TEST_OID if p.ins else None,
    )


def _message(sender: str, subject: str, when: dt.datetime, body: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = DOCTOR
    msg["Subject"] = subject
    msg["Date"] = format_datetime(when)
    msg["Message-ID"] = make_msgid(domain=sender.split("@")[1])
    msg["X-MSS-NIL"] = "DEMO-0001"
    msg.set_content(body)
    return msg


def build_mailbox(patients: list[DemoPatient], count: int = 260, seed: int = 2026) -> list[DemoMail]:
    rng = random.Random(seed)
    now = dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    mails: list[DemoMail] = []
    regular = [dp for dp in patients[: len(patients) - 8]]

    def when(i: int) -> dt.datetime:
        return now - dt.timedelta(hours=i * 7 + rng.randint(0, 5), minutes=rng.randint(0, 59))

    for i in range(count):
        dp = rng.choice(regular)
        p = dp.patient
        results = lab_results(rng, rng.randint(4, 8))
        sample = when(i).date()
        record = f"{sample:%y%m%d}A{i:03d}"
        hl7 = i % 5 == 4
        kind = "result-auto"
        stated: dict[str, str] = {}
        if hl7:
            pass  # the hospital sends the INS in PID-3: no identity traps on this path
        elif (
            i % 23 == 5 and p.birth_date and p.birth_date.day <= 12 and p.birth_date.day != p.birth_date.month
        ):
            stated["born"] = p.birth_date.strftime("%m/%d/%Y")  # day and month swapped by the lab
            kind = "result-review"
        elif i % 29 == 7:
            other = rng.choice(regular)
            stated["nir"] = other.nir  # the NIR of the insured parent, not the patient's
            kind = "result-auto-nir-other"
        elif i % 31 == 11:
            stated["name"] = f"{rng.choice(['DUCASSE', 'ETCHEVERRY', 'HARISPE'])}"  # not a patient here
            stated["born"] = "03/03/1988"
            stated["nir"] = ""
            kind = "result-new"
        elif i % 19 == 3 and p.used_name:
            stated["name"] = f"{p.used_name} NEE {p.birth_name}"
        if hl7:
            raw_doc = hl7_oru(p, results, dt.datetime.combine(sample, dt.time(9)), f"CTRL{i:05d}", "CH DEMO")
            sender = LAB2
            msg = _message(LAB2, "Résultats de biologie", when(i), "Veuillez trouver ci-joint les résultats.")
            msg.add_attachment(raw_doc, maintype="application", subtype="hl7-v2", filename=f"ORU{i:05d}.hl7")
        else:
            raw_doc = hprim_net(
                p, stated, results, sample, "BIODEMO", "LABO BIODEMO", "MARTPA", "MARTIN PAUL", dp.nir, record
            )
            sender = LAB
            msg = _message(LAB, "Résultats d'analyses", when(i), "Résultats HPRIM en pièce jointe.")
            msg.add_attachment(raw_doc, maintype="text", subtype="plain", filename=f"{record}.hpr")
            part = list(msg.iter_parts())[-1]  # the attachment just added
            if "cp1252" not in part.get("Content-Type", ""):
                part.set_param("charset", "windows-1252")
        mails.append(
            DemoMail(
                msg.as_bytes(),
                kind,
                sign_as=None if i % 11 == 10 else sender,  # most results signed by the lab, a few not
                encrypt=i % 6 == 1,
                flags="S" if i > 12 else "",
                expected_patient=None if kind == "result-new" else p.id,
            )
        )
    # homonyms and twins: the last patients were made as copies of earlier ones
    for k, dp in enumerate(patients[len(patients) - 5 :]):
        p = dp.patient
        results = lab_results(rng, 5)
        sample = when(k).date()
        raw_doc = hprim_net(
            p,
            {"nir": ""},
            results,
            sample,
            "BIODEMO",
            "LABO BIODEMO",
            "MARTPA",
            "MARTIN PAUL",
            "",
            f"H{k:05d}",
        )
        msg = _message(LAB, "Résultats d'analyses", when(k) + dt.timedelta(minutes=3), "Résultats HPRIM.")
        msg.add_attachment(raw_doc, maintype="text", subtype="plain", filename=f"H{k:05d}.hpr")
        mails.append(DemoMail(msg.as_bytes(), "result-homonym", sign_as=LAB, expected_patient=p.id))
    # letters from colleagues with a PDF
    for k in range(12):
        dp = rng.choice(regular)
        p = dp.patient
        given = p.given_names[0] if p.given_names else ""
        born = p.birth_date.strftime("%d/%m/%Y") if p.birth_date else ""
        letter = pdf_letter(
            "Compte rendu de consultation de cardiologie",
            [
                f"Patient : {p.used_name or p.birth_name} {given}, né(e) le {born}",
                "Cher confrère,",
                "J'ai revu votre patient(e) ce jour. Examen clinique sans particularité.",
                "ECG : rythme sinusal régulier. Échocardiographie : FEVG conservée.",
                "Je propose de poursuivre le traitement en cours.",
                "Bien confraternellement, Dr Claire Lefèvre",
            ],
        )
        msg = _message(
            COLLEAGUE,
            "Compte rendu de consultation",
            when(k * 3 + 1),
            "Cher confrère,\n\nCi-joint mon compte rendu.\n",
        )
        if k % 3 == 2:  # a bare PDF: no identity to read, the doctor decides
            msg.add_attachment(
                letter, maintype="application", subtype="pdf", filename=f"CR_cardio_{k + 1}.pdf"
            )
            kind, expected = "letter", None
        else:  # as MSSanté software sends it: the PDF in a CDA, in an IHE_XDM.ZIP naming the patient
            package = letter_package(
                _identity(dp),
                CARDIOLOGIST,
                title="Compte rendu de consultation",
                pdf=letter,
                when=when(k * 3 + 1),
            )
            for name, value in package.headers:
                msg[name] = value
            msg.add_attachment(package.data, maintype="application", subtype="zip", filename=package.filename)
            kind, expected = "letter-xdm", p.id
        mails.append(
            DemoMail(
                msg.as_bytes(),
                kind,
                sign_as=COLLEAGUE,
                encrypt=k % 2 == 0,
                flags="S" if k else "",
                expected_patient=expected,
            )
        )
    # a signed note without patient data, an encrypted one, and mail from outside the trust space
    msg = _message(
        COLLEAGUE,
        "Réunion du réseau de cardiologie",
        now - dt.timedelta(hours=2),
        "Bonjour,\n\nLa prochaine réunion du réseau aura lieu jeudi à 20 h au cabinet.\n\nClaire Lefèvre",
    )
    mails.append(DemoMail(msg.as_bytes(), "signed", sign_as=COLLEAGUE))
    dp = regular[1]
    msg = _message(
        COLLEAGUE,
        "Avis cardiologique",
        now - dt.timedelta(hours=1),
        f"Cher confrère,\n\nPour {dp.patient.birth_name}, je suggère une épreuve d'effort.\n\nClaire Lefèvre",
    )
    mails.append(DemoMail(msg.as_bytes(), "encrypted", sign_as=COLLEAGUE, encrypt=True))
    # the lab's front desk sends with the lab's certificate: the signature holds, the address does not
    dp = regular[2]
    results = lab_results(rng, 5)
    sample = (now - dt.timedelta(hours=5)).date()
    record = f"{sample:%y%m%d}S001"
    raw_doc = hprim_net(
        dp.patient, {}, results, sample, "BIODEMO", "LABO BIODEMO", "MARTPA", "MARTIN PAUL", dp.nir, record
    )
    msg = _message(
        LAB_DESK, "Résultats d'analyses (envoi du secrétariat)", now - dt.timedelta(hours=5), "Résultats."
    )
    msg.add_attachment(raw_doc, maintype="text", subtype="plain", filename=f"{record}.hpr")
    mails.append(DemoMail(msg.as_bytes(), "signed-mismatch", sign_as=LAB, expected_patient=dp.patient.id))
    msg = _message(OUTSIDER, "Demande de rendez-vous", now - dt.timedelta(minutes=30), "Bonjour docteur, ...")
    mails.append(DemoMail(msg.as_bytes(), "outsider"))
    # signed with a certificate its authority revoked (the card was reported stolen): the reader says so
    msg = _message(
        REPLACEMENT,
        "Disponibilités pour un remplacement",
        now - dt.timedelta(hours=3),
        "Bonjour,\n\nJe suis disponible pour vous remplacer la semaine prochaine.\n\nJulien Roux",
    )
    mails.append(DemoMail(msg.as_bytes(), "signed-revoked", sign_as=REPLACEMENT))
    rng.shuffle(mails)
    return mails
