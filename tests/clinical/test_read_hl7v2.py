"""HL7 v2.5: the ANS samples and our own ORU (escapes, LF separators, two patients, embedded CDA)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical.hl7v2 import Delimiters, unescape
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


def test_ans_oru_transport_sample() -> None:
    result = read_document((DATA / "hl7v25_ORU_R01_CR-BIO_transport_ans.hl7").read_bytes())
    assert result.format == "hl7v2"
    (doc,) = result.documents  # the "CDA" payloads of this sample are plain text, not XML
    ident = doc.identity
    assert ident.ins == "279035121518989" and ident.ins_oid == "1.2.250.1.213.1.4.10"
    assert (ident.family_name, ident.birth_name, ident.given_names) == (
        "PAT-TROIS",
        "PAT-TROIS",
        ("DOMINIQUE",),
    )
    assert ident.birth_date == dt.date(1979, 3, 28) and ident.sex == "F" and ident.birth_place == "63220"
    assert doc.code == "11502-2" and doc.title == "CR d'examens biologiques"
    assert doc.observations == ()  # MetaDMPMSS routing flags are not results
    assert "Document medcial au format CDA niveau 1" in doc.text
    assert "Cher confrère" in doc.text  # truncated base64 still gives its readable start


def test_ans_adt_sample_identity() -> None:
    (doc,) = read_document((DATA / "hl7v25_ADT_A01_PAMFR_INS_ans.er7").read_bytes()).documents
    assert doc.identity.ins == "279035121518989" and doc.identity.source_id == "000003"
    assert doc.identity.birth_place == "63220"


def test_own_oru_two_patients_escapes_and_embedded_cda() -> None:
    data = (DATA / "hl7_oru_multi.hl7").read_bytes()
    first, embedded, second = read_document(data).documents
    ident = first.identity
    assert ident.ins == "185077512345608" and ident.ins_oid == "1.2.250.1.213.1.4.8"
    assert ident.source_id == "P42"
    assert (ident.family_name, ident.birth_name) == ("DURAND", "LAMBERT")  # D = used name, L = birth name
    assert ident.given_names == ("JEANNE", "CLAIRE") and ident.birth_place == "69123"
    chol, aspect, group = first.observations
    assert (chol.label, chol.value, chol.low, chol.high, chol.flag) == (
        "Cholestérol \\ total",
        "2.35",
        "1.50",
        "2.00",
        "H",
    )
    assert chol.comment == "A contrôler dans 3 mois\naprès régime"  # NTE with \X..\ and \.br\
    assert aspect.label == "Aspect & couleur" and aspect.value == "Clair ^ jaune | limpide"
    assert group.value == "A positif"
    assert embedded.format == "cda" and embedded.identity.family_name == "FAURE"
    assert [o.code for o in embedded.observations] == ["2160-0", "5767-9", "X-COM"]
    assert second.identity.family_name == "ROBERT" and second.identity.ins is None
    assert second.observations[0].high == "5"
    assert b"ROBERT" in second.raw and b"DURAND" not in second.raw and second.raw.startswith(b"MSH|")


@pytest.mark.parametrize("sep", ["\r", "\n", "\r\n"])
def test_segment_separators(sep: str) -> None:
    message = sep.join(
        ["MSH|^~\\&|A|B|C|D|20260101||ORU^R01|1|P|2.5", "PID|1||X1^^^^PI||NOM^PRENOM||20000101|M"]
    )
    (doc,) = read_document(message.encode()).documents
    assert doc.identity.family_name == "NOM" and doc.identity.birth_date == dt.date(2000, 1, 1)


def test_custom_encoding_characters_from_msh() -> None:
    message = "MSH#$*!%#A#B#C#D#20260101##ORU$R01#1#P#2.5\rPID#1##X1#$#NOM$JEAN!F!$PAUL##19700101#M\r"
    (doc,) = read_document(message.encode()).documents
    assert doc.identity.family_name == "NOM" and doc.identity.given_names == ("JEAN#", "PAUL")


def test_unescape() -> None:
    d = Delimiters()
    assert unescape(r"a\F\b\S\c\T\d\R\e\E\f", d) == "a|b^c&d~e\\f"
    assert unescape(r"\X41C3A9\ ok \Z99\ end\ ", d) == "Aé ok \\Z99\\ end\\ "


def test_no_pid_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        read_document(b"MSH|^~\\&|A|B|C|D|20260101||ACK|1|P|2.5\rMSA|AA|1\r")
    with pytest.raises(ParseError):
        read_document(b"MSH|||||||")
