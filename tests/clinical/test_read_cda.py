"""CDA R2: the ANS CR-BIO sample, our small fixture, and the XML safety guard."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical import cda
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parents[1] / "data" / "clinical"


def test_ans_cr_bio_sample() -> None:
    result = read_document((DATA / "cda_r2_CR-BIO_2023.01_N3_ans.xml").read_bytes())
    assert result.format == "cda"
    (doc,) = result.documents
    ident = doc.identity
    assert ident.ins == "279035121518989" and ident.ins_oid == "1.2.250.1.213.1.4.10"
    assert ident.source_id == "1234567890121"
    assert (ident.family_name, ident.birth_name, ident.given_names) == (
        "PAT-TROIS",
        "PAT-TROIS",
        ("DOMINIQUE",),
    )
    assert ident.birth_date == dt.date(1979, 3, 28) and ident.sex == "F" and ident.birth_place == "63220"
    assert doc.code == "11502-2" and doc.title == "Compte rendu d'examens biologiques"
    assert doc.date is not None and doc.date.date() == dt.date(2021, 1, 4)
    assert "CAMPARINI" in doc.author and "Laboratoire des charmes" in doc.author
    by_code = {o.code: o for o in doc.observations}
    proteins = by_code["2885-2"]
    assert (proteins.value, proteins.unit, proteins.low, proteins.high) == (
        "75.0",
        "g/L",
        "63.000000",
        "83.000000",
    )
    urea = by_code["22664-7"]
    assert (urea.value, urea.flag) == ("10.02", "H")  # the result's own interpretation, not the range's
    # previous results (REFR: 8.5 and 7.9) are not today's results
    assert [o.value for o in doc.observations if o.code == "22664-7"] == ["10.02"]
    assert by_code["5778-6"].value == "paille"  # coded value resolved through the narrative reference
    assert len(doc.observations) >= 40
    assert "Electrophorèse des protéines sériques" in doc.text and "Bisalbuminémie" in doc.text
    assert "iVBORw0KGgo" not in doc.text  # the embedded image is not text


def test_small_fixture_names_and_observations() -> None:
    (doc,) = read_document((DATA / "cda_small.xml").read_bytes()).documents
    ident = doc.identity
    assert (ident.family_name, ident.birth_name) == ("GARNIER", "FONTAINE")  # SP used, BR birth
    assert ident.given_names == ("MARIE", "ANNE-LISE")
    assert ident.ins_oid == "1.2.250.1.213.1.4.8" and ident.source_id == "IPP-778"
    creat, aspect, remark = doc.observations
    assert (creat.value, creat.unit, creat.low, creat.high, creat.flag, creat.status) == (
        "95",
        "umol/L",
        "45",
        "90",
        "H",
        "F",
    )
    assert (aspect.label, aspect.value) == ("Créatinine", "trouble")
    assert remark.value == "hémolyse légère"
    assert doc.author == "Paul EXEMPLE, Laboratoire Fictif"


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&lol3;</title></ClinicalDocument>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>&x;</title></ClinicalDocument>"""

BARE_DTD = b"""<?xml version="1.0"?><!DOCTYPE ClinicalDocument SYSTEM "http://example.invalid/cda.dtd">
<ClinicalDocument xmlns="urn:hl7-org:v3"><title>t</title></ClinicalDocument>"""


@pytest.mark.parametrize(
    "data", [BILLION_LAUGHS, XXE, BARE_DTD], ids=["billion-laughs", "xxe", "external-dtd"]
)
def test_dtd_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(ParseError, match="DTD"):
        read_document(data, "evil.xml")
    with pytest.raises(ParseError, match="DTD"):
        cda.parse_xml_safely(data)


def test_utf16_xml_dtd_is_refused_too() -> None:
    with pytest.raises(ParseError, match="DTD"):
        cda.parse(BILLION_LAUGHS.replace(b'<?xml version="1.0"?>', b"").decode().encode("utf-16"))


@pytest.mark.parametrize(
    "data",
    [
        b"<ClinicalDocument xmlns='urn:hl7-org:v3'><title>x</titl></ClinicalDocument>",
        b"<ClinicalDocument",
        b"<html><body>ClinicalDocument</body></html>",
    ],
)
def test_broken_or_foreign_xml_is_a_parse_error(data: bytes) -> None:
    with pytest.raises(ParseError):
        read_document(data)


def test_deep_nesting_is_a_parse_error_or_read() -> None:
    data = b"<ClinicalDocument><component>" + b"<section>" * 50000 + b"</section>" * 50000
    data += b"</component></ClinicalDocument>"
    try:
        read_document(data)
    except ParseError:
        pass
