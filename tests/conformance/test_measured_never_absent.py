"""A measure, a count or a yes/no is never read as an absence. The ANS's CDA examples set negationInd="true" on
entries whose narrative states their value: the antepartum summary (OBP-SAP) on the gestational age '41 wk'
(narrative '41 SA révolues'), the certificat du 8e jour (CSE-CS8) on 'Nombre de fœtus 1', 'Durée
d'hospitalisation 3 d' and 'Prééclampsie false' (narrative '1', '3 jours', 'Non'). missive read them
'absence : 41 wk', 'absence : 1', 'absence : non'. A negated finding (a coded value, or none) still reads
'absence : …' (C-CDA's "no known allergy", test_hl7_cda_examples.py)."""

from __future__ import annotations

import pytest

from core.clinical import cda
from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import DATA

OBP_SAP = DATA / "ans-cda" / "OBP-SAP_2024.01.xml"


def test_the_gestational_age_of_the_antepartum_summary_is_no_absence():
    (doc,) = read_document(OBP_SAP.read_bytes(), OBP_SAP.name).documents
    age = next(o for o in doc.observations if o.code == "11884-4")
    assert (age.label, age.value, age.unit) == ("Age gestationnel du fœtus (estimation clinique)", "41", "wk")


def _negated(value_xml: str) -> str:
    xml = (
        '<observation xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" classCode="OBS" moodCode="EVN" '
        f'negationInd="true"><code code="X" displayName="Observation"/>{value_xml}</observation>'
    )
    return cda._observation(cda.parse_xml_safely(xml.encode()), {}).value


@pytest.mark.parametrize(
    ("value_xml", "read"),
    [
        # as CSE-CS8_2025.01 writes them
        ('<value xsi:type="INT" value="1"/>', "1"),
        ('<value xsi:type="PQ" value="3" unit="d"/>', "3"),
        ('<value xsi:type="BL" value="false"/>', "non"),
        # a negated finding stays an absence
        ('<value xsi:type="CD" code="I10" displayName="Hypertension essentielle"/>', "absence : Hypertension essentielle"),
        ("", "absence"),
    ],
)
def test_negation_applies_to_findings_not_to_measures(value_xml: str, read: str):
    assert _negated(value_xml) == read
