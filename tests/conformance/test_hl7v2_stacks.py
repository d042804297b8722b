"""HL7 v2.5.1 ORU^R01 written by other stacks (Cerner HealthSentry, the HL7 ELR "realm" sample of a
fictitious lab, NIST), as ruby-hl7's test data keeps them: what a careful human reads, through the reader a
received attachment goes through and ``missive parse --json``."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.clinical import hl7v2
from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import DATA

HL7 = DATA / "hl7v2"


def _doc(path):
    result = read_document(path.read_bytes(), path.name)
    assert result.format == "hl7v2"
    (doc,) = result.documents
    return doc


def test_cerner_lead_result_keeps_a_reference_it_cannot_read_as_written():
    """Cerner writes OBX-7 with components, '^^10.000000' (HL7 v2.5.1 makes it a plain string): no
    standard says which bound that is, so it is shown as written, never guessed as a lower limit."""
    doc = _doc(HL7 / "cerner_lead.hl7")
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date, ident.sex) == (
        "Miller",
        ("Paul", "One"),
        dt.date(2005, 7, 15),
        "M",
    )
    assert ident.source_id == "9339683996"
    assert doc.author == "Baseline West MC"
    (lead,) = doc.observations
    assert (lead.code, lead.label, lead.value, lead.unit, lead.flag, lead.status) == (
        "10368-9",
        "Lead Level",
        "50",
        "ug/dL",
        "H",
        "F",
    )
    assert lead.reference == "^^10.000000" and lead.abnormal


def test_realm_sample_two_orders_one_preliminary_culture_and_a_lead_level():
    """Two OBR groups: a CWE culture result (SNOMED 'Campylobacter jejuni', status P) and a lead level with
    the reference '<10 ug/dL' (an upper limit with its unit). PID-6 (mother's maiden name 'Mum') is not the
    patient's birth name; PID-5 is typed L."""
    doc = _doc(HL7 / "realm-cj-joeslab.hl7")
    ident = doc.identity
    assert (ident.family_name, ident.birth_name, ident.given_names) == ("Everyman", "Everyman", ("Adam", "A"))
    assert (ident.birth_date, ident.sex) == (dt.date(1980, 6, 2), "M")
    culture, lead = doc.observations
    assert (culture.code, culture.value, culture.status, culture.status_words) == (
        "625-4",
        "Campylobacter jejuni",
        "P",
        "provisoire",
    )
    assert (lead.value, lead.unit, lead.low, lead.high, lead.flag) == ("50", "ug/dL", "", "10", "H")
    assert lead.reference == "< 10"


def test_nist_three_results_under_one_set_id():
    """NIST case 6 numbers its three OBX '1': three results all the same."""
    doc = _doc(DATA / "nist" / "ORU_R01_2.5.1_SampleTestCase6.hl7")
    assert (doc.identity.family_name, doc.identity.given_names) == ("Whiteagle", ("Adam",))
    assert [(o.label, o.value) for o in doc.observations] == [
        ("Campylobacter Jejuni AB", "Isolated"),
        ("Salmonella", "Isolated"),
        ("Shigella", "Not Isolated"),
    ]


def test_the_cli_reads_them(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    assert main(["parse", "--json", str(HL7 / "realm-cj-joeslab.hl7")]) == 0
    (doc,) = json.loads(capsys.readouterr().out)["documents"]
    assert [o["value"] for o in doc["observations"]] == ["Campylobacter jejuni", "50"]


def _obx7(value: str) -> str:
    segments = hl7v2.split_segments(
        "MSH|^~\\&|A|B|C|D|20250101||ORU^R01|1|P|2.5\rPID|||1^^^X^PI||DUPONT^MARIE||19800101|F\r"
        f"OBR|1\rOBX|1|NM|X^Glucose^L||5.1|mmol/L|{value}|N|||F\r"
    )
    obs = hl7v2.parse("\r".join(s.line.rstrip("\r\n") for s in segments).encode())[0].observations[0]
    return obs.reference


@pytest.mark.parametrize(
    ("written", "shown"),
    [
        ("3.9-6.1", "3.9–6.1"),
        ("<6.1", "< 6.1"),
        (">^3.9", "> 3.9"),  # the SN structure some ELR senders give OBX-7
        ("^3.9^-^6.1", "3.9–6.1"),
        ("négatif", "négatif"),  # a written norm, not an interval
        ("^^10.000000", "^^10.000000"),
    ],
)
def test_obx7_as_the_reader_shows_it(written, shown):
    assert _obx7(written) == shown


def test_hl7_standard_oru_example_as_python_hl7_keeps_it():
    """The HL7 v2.4 normative ORU example (EVERYWOMAN^EVE): glucose 182 mg/dl written as SN '^182', the
    reference '70_105' (read 70–105), flag H. Its birth date '196203520' is no date: none is read. OBX 2 is
    typed 'FN' (a typing error of the example): its value stays as written."""
    doc = _doc(HL7 / "python-hl7_sample_hl7.hl7")
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.sex, ident.birth_date) == (
        "EVERYWOMAN",
        ("EVE", "E"),
        "F",
        None,
    )
    first, second = doc.observations
    assert (first.label, first.value, first.unit, first.reference, first.flag) == (
        "GLUCOSE",
        "182",
        "mg/dl",
        "70–105",
        "H",
    )
    assert first.abnormal and second.value == "^182"


def test_batch_file_fhs_bhs_around_one_message():
    """A VINAH batch file (FHS, BHS, the ADT^A04, BTS, FTS): one patient, no results, a clear reading."""
    doc = _doc(HL7 / "python-hl7_sample_file.hl7")
    assert doc.identity.family_name == "XXXXXXXXXX" and doc.identity.source_id == "0000112234"
    assert doc.identity.birth_date is None  # '10131113': the year 1013 is a typing error, not a trait
    assert doc.observations == ()


def test_a_reference_pointer_reads_as_its_address():
    """An OBX typed RP (reference pointer: pointer^application^type^subtype) points to a digital slide in
    FHIR-Converter's IHE PaLM sample OUL-R22-01 (not copied: it names public figures as its staff); the line is
    rebuilt as the file gives it. It read 'http://…&SlideID=40bc…^^IM^MRXS': now the address alone."""
    message = (
        b"MSH|^~\\&|CASECENTER|CASECENTER FACILITY|IHEPALM||20190311101633+0100||OUL^R22^OUL_R22|1932|P|2.8|||NE|AL"
        b"||UNICODE UTF-8|||LAB29^IHE\r"
        b"PID|1||00000-0000000|000000|AAAAAAAA^AAAAAA^A||20190411101633+0215|M\r"
        b"OBR||5ca95f51971d414bbcb4be9ca88e9846^L|40bcbe96bcbf8cda8b07403263b92cb4|SCAN^Scan Slide^3DHISTECH\r"
        b"OBX|1|RP|3DHISTECH_SLD^3DHISTECH Digital Slide^L|1^1^1|http://172.16.237.4/CaseCenter/index.php?"
        b"ContainerType=CaseView\\T\\ContainerID=0\\T\\SlideID=40bcbe96bcbf8cda8b07403263b92cb4^^IM^MRXS"
        b"||||||F|||||||Unknown^3DHISTECH\r"
    )
    (doc,) = read_document(message, "slide.hl7").documents
    (slide,) = doc.observations
    assert (slide.label, slide.value) == (
        "3DHISTECH Digital Slide",
        "http://172.16.237.4/CaseCenter/index.php?ContainerType=CaseView&ContainerID=0"
        "&SlideID=40bcbe96bcbf8cda8b07403263b92cb4",
    )
