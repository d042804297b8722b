"""A patient's Mon espace santé address written with a name ('Paul Martin <INS@patient.mssante.fr>', as a
reply or a pasted address gives it) is a patient's address all the same: the letter goes to that INS (the
composer reads the address inside the brackets), so the qualified-INS rule and the patient-beside-colleague
question hold for it too. They were skipped: the address was taken for a colleague's."""

from __future__ import annotations

import datetime as dt

import pytest

from core.clinical.patient_mail import check_letter, describe, is_patient_address
from core.errors import BadInput, PolicyRefused
from core.mail.compose import check_address
from core.model import Patient

JEANNE = Patient("P1", "DUPONT", "", ("Jeanne",), dt.date(1979, 3, 28), "F", "279035121518989", True)
PAUL = Patient("P2", "MARTIN", "", ("Paul",), dt.date(1985, 2, 1), "M", "185027512345625", False)  # not qualified


def test_a_named_patient_address_is_sent_to_the_ins_inside_the_brackets() -> None:
    named = "Paul Martin <185027512345625@patient.mssante.fr>"
    assert check_address(named, "le destinataire 1") == "185027512345625@patient.mssante.fr"
    assert is_patient_address(named)


@pytest.mark.parametrize(
    "named",
    [
        "Paul Martin <185027512345625@patient.mssante.fr>",  # an INS the list does not call qualified
        '"DUPONT Jeanne" <279035121518988@Patient.MSSante.fr>',  # an INS not in the list (one digit off)
    ],
)
def test_a_named_patient_address_needs_a_qualified_ins_of_the_list(named: str) -> None:
    with pytest.raises(PolicyRefused):
        check_letter([named], [JEANNE, PAUL], end_conversation=False, mixed_confirmed=False)


def test_a_named_patient_beside_a_colleague_asks_first() -> None:
    named = "Jeanne Dupont <279035121518989@patient.mssante.fr>"
    assert describe([named], [JEANNE])[named].patient_id == "P1"
    with pytest.raises(BadInput):
        check_letter([named, "dr.x@medecin.mssante.fr"], [JEANNE], end_conversation=False, mixed_confirmed=False)
    check_letter([named], [JEANNE], end_conversation=True, mixed_confirmed=False)  # alone: allowed


def test_the_trust_policy_reads_a_named_address_as_the_address_sent_to() -> None:
    from core.secure.trust import TrustPolicy

    policy = TrustPolicy("trust-space", allow=["medecin.mssante.fr", "patient.mssante.fr"])
    assert policy.is_allowed("Dr X <x@medecin.mssante.fr>")
    assert not policy.may_encrypt_to("Paul Martin <185027512345625@patient.mssante.fr>")
    with pytest.raises(PolicyRefused):
        policy.check_encryption(["Paul Martin <185027512345625@patient.mssante.fr>"])
