"""Letters to patients' Mon espace santé mailboxes (``<INS>@patient.mssante.fr``).

The address is built only from a *qualified* INS of the practice's patient list (``ins_status`` column of the
patient CSV): a typed or unqualified INS could reach another person's health space. Such letters are never
encrypted (the trust policy's rule), may close the conversation (``X-MSS-MES: FIN``, Référentiel #2
ECO.2.2.8), and mixing a patient and a colleague in one letter needs the doctor's confirmation.
Errors name the patient by the practice's id only, never by INS or name.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.errors import BadInput, PolicyRefused
from core.frozen import Frozen
from core.model import Patient
from core.text import T

PATIENT_DOMAIN = "patient.mssante.fr"
END_HEADER = ("X-MSS-MES", "FIN")


def _bare(address: str) -> str:
    """The address itself, lower case: 'Paul Martin <INS@patient.mssante.fr>' is sent to the address inside
    the brackets (``core.mail.compose.check_address``), so it is read here the same way."""
    text = address.strip()
    if "<" in text:
        from email.utils import parseaddr

        text = parseaddr(text)[1] or text
    return text.strip().lower()


def is_patient_address(address: str) -> bool:
    return _bare(address).rpartition("@")[2] == PATIENT_DOMAIN


def ins_of(address: str) -> str:
    return _bare(address).rpartition("@")[0].upper()


def patient_address(patient: Patient) -> str:
    """The patient's Mon espace santé address; PolicyRefused (with the reason) without a qualified INS."""
    if not patient.ins:
        raise PolicyRefused(T("clinical.patient_mail.patient-ins-liste-adresse", patient_id=patient.id))
    if not patient.ins_qualified:
        raise PolicyRefused(T("clinical.patient_mail.ins-patient-qualifiee-colonne", patient_id=patient.id))
    return f"{patient.ins}@{PATIENT_DOMAIN}"


@dataclass(frozen=True, repr=False, eq=False)
class Recipient(Frozen):
    """Who an address is, as the screen shows it: a patient (name and INS) or a colleague."""

    address: str
    kind: str  # "patient" | "colleague"
    label: str  # "DUPONT Jeanne · INS 279035121518989" for a known patient, else the address
    patient_id: str | None = None
    qualified: bool = False


def patient_label(patient: Patient) -> str:
    name = " ".join(
        p for p in (patient.used_name or patient.birth_name, " ".join(patient.given_names[:1])) if p
    )
    return f"{name} · INS {patient.ins}" if patient.ins else name


def filed_label(patients: Sequence[Patient]) -> str:
    """Who a message's documents were filed for, in a list column: "NOM Prénom", "+1" for each other one."""
    return filed_label_of([filed_name(p) for p in patients[:1]], len(patients))


def filed_name(patient: Patient) -> str:
    """A patient as ``filed_label`` names one: "NOM Prénom"."""
    return " ".join(p for p in (patient.used_name or patient.birth_name, " ".join(patient.given_names[:1])) if p)


def filed_label_of(names: Sequence[str], count: int) -> str:
    """``filed_label`` from the first patient's ``filed_name`` (``names[0]``) and how many patients there are."""
    if not names or not count:
        return ""
    return f"{names[0]} +{count - 1}" if count > 1 else names[0]


def describe(addresses: Iterable[str], patients: Iterable[Patient]) -> dict[str, Recipient]:
    """Per address: patient (named from the list when its INS is there) or colleague."""
    wanted = [a for a in addresses]
    by_ins: dict[str, Patient] = {}
    if any(is_patient_address(a) for a in wanted):
        by_ins = {p.ins.upper(): p for p in patients if p.ins}
    out: dict[str, Recipient] = {}
    for address in wanted:
        if not is_patient_address(address):
            out[address] = Recipient(address, "colleague", address)
            continue
        patient = by_ins.get(ins_of(address))
        if patient is None:
            out[address] = Recipient(address, "patient", address)
        else:
            out[address] = Recipient(
                address, "patient", patient_label(patient), patient.id, patient.ins_qualified
            )
    return out


def check_letter(
    recipients: Sequence[str], patients: Iterable[Patient], *, end_conversation: bool, mixed_confirmed: bool
) -> None:
    """Refuse a letter to a patient address that is not a qualified INS of the list, ``end_conversation``
    without a patient, and a patient beside a colleague unless the doctor confirmed it."""
    described = describe(recipients, patients)
    to_patients = [r for r in described.values() if r.kind == "patient"]
    for r in to_patients:
        if r.patient_id is None:
            raise PolicyRefused(
                T("clinical.patient_mail.adresse-patient-correspond-aucune", PATIENT_DOMAIN=PATIENT_DOMAIN)
            )
        if not r.qualified:
            raise PolicyRefused(
                T("clinical.patient_mail.ins-patient-qualifiee-colonne-2", patient_id=r.patient_id)
            )
    if end_conversation and not to_patients:
        raise BadInput(T("clinical.patient_mail.fin-conversation-concerne-lettre"))
    if to_patients and len(to_patients) < len(described) and not mixed_confirmed:
        raise BadInput(T("clinical.patient_mail.cette-lettre-fois-patient"))


__all__ = [
    "END_HEADER",
    "PATIENT_DOMAIN",
    "Recipient",
    "check_letter",
    "describe",
    "is_patient_address",
    "patient_address",
    "patient_label",
]
