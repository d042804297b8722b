"""HL7's C-CDA examples (HL7/C-CDA-Examples, CC0). The "Results Unit Non-UCUM" example is how C-CDA says a lab
result whose unit UCUM lacks: <value xsi:type="PQ" nullFlavor="OTH"><translation value="152" nullFlavor="OTH">
<originalText>THOUS/MCL</originalText>, and its reference range the same way. missive read "Platelets : = 152",
without unit or norm (the translation taken for a second unit of an empty value). It now reads
"152 THOUS/MCL (réf. 150–400)".

The example is a <section> as HL7 publishes it; the test puts it in the smallest ClinicalDocument around it, as
a CDA carries its sections, and reads it with the reader a received attachment goes through.
"""

from __future__ import annotations

from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import DATA

EXAMPLES = DATA / "c-cda-examples"


def _in_a_document(section: bytes) -> bytes:
    return (
        b'<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b'<title>Results</title><effectiveTime value="20140213"/><recordTarget><patientRole>'
        b'<id extension="1" root="1.2.3"/><patient><name><given>Eve</given><family>Everywoman</family></name>'
        b'<administrativeGenderCode code="F"/><birthTime value="19750501"/></patient></patientRole>'
        b"</recordTarget><component><structuredBody><component>"
        + section
        + b"</component></structuredBody></component></ClinicalDocument>"
    )


def test_a_result_in_a_unit_ucum_lacks_keeps_its_value_unit_and_norm():
    data = _in_a_document((EXAMPLES / "Results_Unit_Non-UCUM.xml").read_bytes())
    (doc,) = read_document(data, "results.xml").documents
    (platelets,) = doc.observations
    assert (platelets.label, platelets.value, platelets.unit) == ("Platelets [#/volume] in Blood", "152", "THOUS/MCL")
    assert (platelets.value2, platelets.unit2) == ("", "")
    assert (platelets.low, platelets.high, platelets.reference) == ("150", "400", "150–400")
    assert (platelets.flag, platelets.abnormal) == ("N", False)
