"""CDA R2 written by HL7 itself: the sample document given with the CDA specification ("Good Health Clinic
Consultation Note", HL7/CDA-core-sd input/examples/clinicaldocument-example.xml). What a careful human reads
in it, through the reader a received attachment goes through and ``missive parse --json`` as a user runs it.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import DATA

HL7_CDA = DATA / "hl7-cda"
SAMPLE = HL7_CDA / "clinicaldocument-example.xml"


def _doc():
    result = read_document(SAMPLE.read_bytes(), SAMPLE.name)
    assert result.format == "cda"
    (doc,) = result.documents
    return doc


def _results(doc) -> list[tuple[str, str, str]]:
    return [(o.label, o.value, o.unit) for o in doc.observations]


def test_the_specifications_sample_names_its_patient():
    doc = _doc()
    ident = doc.identity
    assert (ident.family_name, ident.given_names, ident.birth_date, ident.sex) == (
        "Levin",
        ("Henry",),
        dt.date(1932, 9, 24),
        "M",
    )
    assert doc.title == "Good Health Clinic Consultation Note"


def test_a_rate_written_as_a_ratio_is_a_value_per_unit_not_an_interval():
    """<value xsi:type="RTO_PQ_PQ"><numerator value="260" unit="l"/><denominator value="1" unit="min"/>
    is a peak flow of 260 l/min; the heart rate <numerator value="86"/><denominator value="1" unit="min"/>
    is 86 /min. The reader wrote '260 - 1' and '86 - 1' with no unit: an interval from 260 down to 1."""
    results = _results(_doc())
    assert ("Peak flow", "260", "l/min") in results
    assert [r for r in results if r[0] == "Heart rate"] == [
        ("Heart rate", "86", "/min"),
        ("Heart rate", "84", "/min"),
    ]
    assert [r for r in results if r[0] == "Respiratory rate"] == [
        ("Respiratory rate", "16", "/min"),
        ("Respiratory rate", "14", "/min"),
    ]
    # the body mass index is written 28.1 kg per 1 'ar' (the sample's own unit, kept as written)
    assert ("Body mass index", "28.1", "kg/ar") in results
    assert not any(" - " in value for _, value, _ in results)


def test_the_cli_shows_the_rate_with_its_unit(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    assert main(["parse", "--json", str(SAMPLE)]) == 0
    (doc,) = json.loads(capsys.readouterr().out)["documents"]
    peak = next(o for o in doc["observations"] if o["label"] == "Peak flow")
    assert (peak["value"], peak["unit"], peak["low"], peak["high"]) == ("260", "l/min", "", "")


@pytest.mark.parametrize(
    ("numerator", "denominator", "shown"),
    [
        ('<numerator value="1"/>', '<denominator value="128"/>', ("1:128", "")),  # a titre
        ('<numerator value="1" unit="1"/>', '<denominator value="64" unit="1"/>', ("1:64", "")),
        ('<numerator value="5" unit="mg"/>', '<denominator value="1" unit="d"/>', ("5", "mg/d")),
        ('<numerator value="5" unit="mg"/>', '<denominator value="2" unit="d"/>', ("5 mg / 2 d", "")),
    ],
)
def test_a_ratio_reads_as_it_is_said(numerator: str, denominator: str, shown: tuple[str, str]):
    from core.clinical import cda

    xml = SAMPLE.read_text(encoding="utf-8").replace(
        '<numerator value="260" unit="l"/>\n\t\t\t\t\t\t\t\t<denominator value="1" unit="min"/>',
        f"{numerator}{denominator}",
    )
    assert xml != SAMPLE.read_text(encoding="utf-8")
    (doc,) = cda.parse(xml.encode("utf-8"))
    peak = next(o for o in doc.observations if o.label == "Peak flow")
    assert (peak.value, peak.unit) == shown


CCD = DATA / "fhir-converter" / "C-CDA_R2-1_CCD.xml.ccda"


def test_a_value_below_a_threshold_reads_low_not_only_abnormal():
    """HL7's C-CDA R2.1 CCD (as Microsoft's FHIR-Converter redistributes it) flags a hematocrit of 35.3 %
    and platelets of 123 10*9/L with the HL7 v3 code interpretationCode="LX" (below low threshold). The
    reader marked them '!' (abnormal, no direction): a doctor reads which way a value is out at a glance, as
    for 'L'. A value flagged 'HX' reads high the same way."""
    from core.model import Observation
    from tui.panes.reader import flag_symbol, results_table

    result = read_document(CCD.read_bytes(), CCD.name)
    (doc,) = result.documents
    assert (doc.identity.family_name, doc.identity.given_names) == ("Betterhalf", ("Eve",))
    low = {o.label: o for o in doc.observations if o.flag == "LX"}
    assert sorted(low) == ["Hematocrit", "Platelets"]
    assert (low["Platelets"].value, low["Platelets"].unit, low["Platelets"].reference) == (
        "123",
        "10*9/L",
        "150–350",
    )
    assert all(o.direction == "low" and o.abnormal and not o.critical for o in low.values())
    table = results_table(doc).plain.splitlines()
    assert next(line for line in table if "Platelets" in line).startswith("↓ ")
    assert next(line for line in table if "Hematocrit" in line).startswith("↓ ")
    assert flag_symbol(Observation(label="x", value="9", flag="HX")) == "↑"
    assert flag_symbol(Observation(label="x", value="9", flag="HU")) == "↑"
    assert flag_symbol(Observation(label="x", value="9", flag="A")) == "!"


PATIENT_1 = DATA / "fhir-converter" / "Patient-1.ccda"


def test_a_norm_written_as_text_is_shown():
    """Microsoft's C-CDA sample Patient-1 writes each lipid and HbA1c norm as the lab's text only
    (<referenceRange><observationRange><text>4-5.6%</text>): the reader showed no norm at all, so an HbA1c
    of 7 % stood alone. The norm is shown as written, its bounds read where it has one or two."""
    result = read_document(PATIENT_1.read_bytes(), PATIENT_1.name)
    (doc,) = result.documents
    assert (doc.identity.family_name, doc.identity.given_names) == ("Crawford", ("Wilma",))
    first = {}
    for o in doc.observations:
        first.setdefault(o.label, o)
    shown = {label: (o.value, o.unit, o.reference) for label, o in first.items() if o.reference}
    assert shown["Hgb A1c MFr Bld"] == ("7", "%", "4-5.6%")
    assert shown["LDLc SerPl-mCnc"] == ("150.2", "mg/dL", "< 130")
    assert shown["HDLc SerPl-sCnc"] == ("63", "mg/dL", "≥ 40")  # the file writes ">=40 mg/dL": 40 is normal
    assert shown["Cholest SerPl-mCnc"] == ("251", "mg/dL", "125-200 mg/dL")
    assert shown["Trigl SerPl Calc-mCnc"][2].startswith("10-39 years: 55-110 mg/dL | 40-59 years")
    # an IVL_PQ range is still read first (HL7's CCD)
    (ccd,) = read_document(CCD.read_bytes(), CCD.name).documents
    assert next(o for o in ccd.observations if o.label == "Hemoglobin").reference == "12.0–15.5"


IMAGING = DATA / "fhir-converter" / "Diagnostic_Imaging_Report.ccda"


def test_a_finding_that_points_into_the_narrative_is_not_an_empty_result():
    """HL7's diagnostic imaging report example (as FHIR-Converter redistributes it) gives its History,
    Finding and Impression as <value xsi:type="ED"><reference value="#Fndng3"/></value>: the words are in
    the narrative. The results listed them with an empty value, an 'Impression' with nothing to say."""
    (doc,) = read_document(IMAGING.read_bytes(), IMAGING.name).documents
    assert (doc.identity.family_name, doc.title) == ("Everyman", "Chest X-Ray, PA and LAT View")
    said = {o.label: o.value for o in doc.observations}
    assert said["History"] == "Sore throat."
    assert said["Impression"].startswith(
        "No acute cardiopulmonary process. Round density in left superior hilus"
    )
    assert said["Finding"].startswith("The cardiomediastinum is within normal limits.")
    assert (said["Nodule size"], next(o.unit for o in doc.observations if o.label == "Nodule size")) == (
        "45",
        "mm",
    )


NO_KNOWN_ALLERGY = DATA / "fhir-converter" / "PROBLEMS_in_Empty_C-CDA_2.1-C-CDAR2.1.ccda"


def test_a_negated_observation_reads_absent_not_present():
    """The ONC test sample (as FHIR-Converter redistributes it) says 'No Known Drug Allergies' in its
    narrative and, in its entry, an allergy observation negationInd="true" whose value is 'Drug allergy
    (disorder)'. The results listed 'Drug allergy (disorder)': the opposite of what the file says."""
    from tui.panes.reader import results_table

    (doc,) = read_document(NO_KNOWN_ALLERGY.read_bytes(), NO_KNOWN_ALLERGY.name).documents
    assert (doc.identity.family_name, doc.identity.given_names) == ("Maur", ("Richard",))
    assert "No Known Drug Allergies" in doc.text
    allergy = doc.observations[0]
    assert (allergy.code, allergy.value) == ("ASSERTION", "absence : Drug allergy (disorder)")
    assert not any(o.value == "Drug allergy (disorder)" for o in doc.observations)
    assert "absence : Drug allergy (disorder)" in results_table(doc).plain
    # the problems the same file states (no negation) are read as they are
    assert "Community Acquired Pneumonia" in [o.value for o in doc.observations]


CARE_PLAN = DATA / "fhir-converter" / "Care_Plan.ccda"


def test_a_goal_of_a_care_plan_is_not_a_result():
    """HL7's Care Plan example (as FHIR-Converter redistributes it) gives a goal, moodCode="GOL": a pulse
    oximetry of at least 92 % (<low value="92" unit="%"/>), status active. The results listed
    'Pulse oximetry panel ≥92 % [provisoire]', a measured value to a reader; the 95 % measured (EVN) is
    the result."""
    (doc,) = read_document(CARE_PLAN.read_bytes(), CARE_PLAN.name).documents
    spo2 = [(o.value, o.unit, o.status_words) for o in doc.observations if o.label == "Pulse oximetry panel"]
    assert spo2 == [("objectif : ≥92", "%", ""), ("95", "%", "")]


UNSTRUCTURED_REF = DATA / "fhir-converter" / "Unstructured_Document_reference.ccda"


def test_a_body_that_is_a_separate_file_is_said():
    """HL7's unstructured document example by reference: <nonXMLBody><text><reference
    value="UD_sample.pdf"/></text>, the report being a file beside the CDA, not in it. The reader showed a
    document with nothing at all to read; it says where the report is and what to do."""
    (doc,) = read_document(UNSTRUCTURED_REF.read_bytes(), UNSTRUCTURED_REF.name).documents
    assert (doc.identity.family_name, doc.identity.given_names) == ("Levin", ("Henry", "L"))
    assert doc.text == (
        "(le compte rendu est un fichier à part, « UD_sample.pdf », que ce document ne contient pas : "
        "demandez-le à l'expéditeur)"
    )
