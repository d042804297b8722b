"""The CI-SIS examples of the older "transmission de documents CDA en HL7v2" volet (1.2): routing flags for
the MSSanté/DMP gateway written without their MetaDMPMSS coding system are still not results."""

from __future__ import annotations

import datetime as dt

from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import ANS


def test_v1_2_oru_flags_without_coding_system_are_not_results():
    """OBX 2-9 and 11-12 are MASQUE_PS, INVISIBLE_PATIENT, ..., DESTDMP, COMP_LOT with no third component
    (the Vague 2 examples write ^MetaDMPMSS): they were shown as ten results 'N', 'Y', 'CDAN1'. OBX 1 is a
    placeholder ED ('Document médical au format CDA', not a CDA) and OBX 10 the e-mail body for the
    doctor (CORPSMAIL_PS): what a careful human reads is that text, for DE VINCI DONATELLO."""
    path = ANS / "TRANS_DOC_CDA_HL7V2_V1.2_ORU_message.hl7"
    (doc,) = read_document(path.read_bytes(), path.name).documents
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date, ident.sex) == (
        "DE VINCI",
        ("DONATELLO",),
        dt.date(2010, 8, 7),
        "M",
    )
    assert (ident.ins, ident.ins_oid) == ("276037510669380", "1.2.250.1.213.1.4.8")
    assert doc.observations == ()
    assert doc.text == (
        "Document médical au format CDA\nCher confrère, vous trouverez ci-joint le CR d’imagerie de M.Dupont"
    )


def test_a_lab_result_coded_like_a_flag_under_its_own_system_stays_a_result():
    from core.clinical import hl7v2

    message = (
        "MSH|^~\\&|A|B|C|D|20250101||ORU^R01|1|P|2.5\rPID|||1^^^X^PI||DUPONT^MARIE||19800101|F\r"
        "OBR|1\rOBX|1|NM|DESTDMP^Un code local^L||5.1|mmol/L|||||F\r"
    )
    (doc,) = hl7v2.parse(message.encode())
    assert [o.value for o in doc.observations] == ["5.1"]
