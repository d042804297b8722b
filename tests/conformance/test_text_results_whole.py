"""A text result is read whole on screen. NIST's HL7 v2.5.1 LRI sample of a blood count (as Microsoft's
FHIR-Converter redistributes it) ends with three morphology findings written as text (OBX TX): the reader's
results table cut every value to its 18-column value column, 'Many spherocytes present.' read
'Many spherocytes p'. A value longer than the column is written whole under its line."""

from __future__ import annotations

from core.clinical.readers import read_document
from core.model import ClinicalDocument, Identity, Observation
from tests.conformance.test_clinical_corpus import DATA
from tui.panes.reader import results_table

CBC = DATA / "fhir-converter" / "LRI_2.0-NG_CBC_Typ_Message.hl7"


def test_nist_cbc_morphology_findings_are_read_whole():
    (doc,) = read_document(CBC.read_bytes(), CBC.name).documents
    assert (doc.identity.family_name, doc.identity.given_names) == ("Jones", ("William", "A"))
    assert len(doc.observations) == 28
    lines = results_table(doc).plain.splitlines()
    for said in (
        "Many spherocytes present.",
        "Reactive morphology in lymphoid cells.",
        "Platelets show defective granulation.",
    ):
        assert any(line.strip() == said for line in lines), said
    # the numbers stay in their column, on their line
    wbc = next(line for line in lines if line.startswith("↑↑ Leukocytes"))
    assert "105600 {cells}/µL" in wbc  # UCUM uL, printed µL (test_ucum_units.py) and "4300–10800" in wbc


def test_a_text_result_sent_on_several_lines_keeps_them():
    doc = ClinicalDocument(
        format="hl7v2",
        identity=Identity(family_name="DUPONT"),
        observations=(
            Observation(label="Conclusion", value="Absence de cellule suspecte.\nFrottis satisfaisant."),
            Observation(label="Hémoglobine", value="13.2", unit="g/dL", low="12", high="16"),
        ),
    )
    lines = results_table(doc).plain.splitlines()
    assert lines[1].split() == ["Conclusion"]
    assert [line.strip() for line in lines[2:4]] == ["Absence de cellule suspecte.", "Frottis satisfaisant."]
    assert lines[4].split() == ["Hémoglobine", "13.2", "g/dL", "12–16"]


LFH = DATA / "hl7v2" / "linuxforhealth_ORU-multiline-short-mixed.hl7"


def test_a_report_sent_one_text_line_an_obx_is_the_reports_text():
    """LinuxForHealth's converter test message: an echocardiogram report sent as OBX|n|TX lines with no
    test named (OBX-3 empty), one line of the report each, an empty one for a blank line. The reader listed
    each line as a result with no name; they are the report's text, in their order, after the NTE."""
    (doc,) = read_document(LFH.read_bytes(), LFH.name).documents
    assert (doc.identity.family_name, doc.title) == ("Patient", "ECHO CARDIOGRAM COMPLETE")
    assert doc.text == (
        "Created for MRN: 0d70c6c8\n\n[PII] Emergency Department\nED Encounter Arrival Date: [ADDRESS] [PERSONALNAME]:"
    )
    # the one OBX that names something (ST, code 12345) is still a result
    assert [(o.code, o.value) for o in doc.observations] == [("12345", "")]


def test_two_tests_cut_to_the_same_name_are_named_whole():
    """NIST's blood count names the MCH 'Erythrocyte mean corpuscular hemoglobin [Entitic mass]' and the MCHC
    'Erythrocyte mean corpuscular hemoglobin concentration [Mass/volume]': cut to the table's 34-cell column
    both read 'Erythrocyte mean corpuscular hemog', 29 pg and 32.4 g/dL under one name. Each is named whole
    under its line; a name cut to words no other test shares stays on its line alone."""
    (doc,) = read_document(CBC.read_bytes(), CBC.name).documents
    lines = results_table(doc).plain.splitlines()
    mch = next(n for n, line in enumerate(lines) if "29 pg/{cell}" in line)
    mchc = next(n for n, line in enumerate(lines) if "32.4 g/dL" in line)
    assert lines[mch + 1].strip() == "(Erythrocyte mean corpuscular hemoglobin [Entitic mass])"
    assert lines[mchc + 1].strip() == "(Erythrocyte mean corpuscular hemoglobin concentration [Mass/volume])"
    hct = next(n for n, line in enumerate(lines) if line.startswith("   Hematocrit"))
    assert lines[hct + 1].startswith("   Platelets") or lines[hct + 1].startswith("↑↑ Leukocytes")


def test_a_comment_of_several_lines_stays_under_its_result():
    """FHIR-Converter's ORU-R01-01 (MIT; not copied: its practitioners' names cannot be checked as fictitious)
    puts two NTE after its culture result, 'Submission of serum' and 'No Antibodies Detected'. The second
    line was written at the margin, where it read as one more test. It is indented under its result, after
    the result's own text. The result is rebuilt here as that file gives it."""
    doc = ClinicalDocument(
        format="hl7v2",
        identity=Identity(family_name="Finn"),
        observations=(
            Observation(
                code="625-4",
                label="Bacteria identified in Stool by Culture",
                value="Salmonella",
                unit="beats/min",
                low="70",
                high="80",
                flag="A",
                status="P",
                comment="Submission of serum\nNo Antibodies Detected",
            ),
            Observation(code="8867-4", label="Bacteria identified", value="27", status="I"),
        ),
    )
    lines = results_table(doc).plain.splitlines()
    assert lines[1].rstrip().endswith("Submission of serum")
    assert lines[2:4] == ["     Salmonella beats/min", "     No Antibodies Detected"]
    assert lines[4].split()[:3] == ["Bacteria", "identified", "27"]
    assert not any(line.startswith("No Antibodies") for line in lines)
