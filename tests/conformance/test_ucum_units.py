"""Units as a lab report prints them. Labs that send HL7 v2.5 or CDA write UCUM codes, and so do the ANS's own
examples (TRANS_DOC_CDA_HL7V2 ORU: '8.2 10*9/L', '4.95 10*12/L'; CI-SIS CR-BIO: '[IU]/L', 'ug/mL'), HL7's
C-CDA examples ('mm[Hg]', 'Cel') and NIST's messages ('10*3/uL'). missive showed the codes: '10*9/L' reads
'10 × 9 per litre', 'ug' is no unit a French doctor knows. The reader and ``missive parse`` now write the
symbol ('10⁹/L', 'µg/mL', 'UI/L', 'mmHg', '°C'); the stored unit (``--json``, filing) stays as sent.
"""

from __future__ import annotations

import json

import pytest

from core.clinical.readers import read_document
from core.model import unit_text
from tests.conformance.test_clinical_corpus import DATA
from tui.panes.reader import results_table

ORU = DATA / "ans" / "message_ORU_CR_Bio_INIT_N3_SEGUR.hl7"
MICROBIO = DATA / "ans-cda" / "BIO-CR-BIO_2024.01_Microbiologie_V2.xml"


def test_the_cli_prints_the_units_of_the_ans_lab_report(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    assert main(["parse", str(ORU)]) == 0
    out = capsys.readouterr().out
    assert "Comptage automate : 8.2 10⁹/L (réf. 5–10)" in out
    assert "Comptage automate : 4.95 10¹²/L (réf. 4.50–6.00)" in out
    assert "10*9" not in out and "10*12" not in out
    # the machine output keeps the unit as the lab sent it
    assert main(["parse", "--json", str(ORU)]) == 0
    (doc,) = json.loads(capsys.readouterr().out.splitlines()[0])["documents"]
    assert {o["unit"] for o in doc["observations"] if o["value"] == "8.2"} == {"10*9/L"}


def test_the_reader_prints_micrograms():
    (doc,) = read_document(MICROBIO.read_bytes(), MICROBIO.name).documents
    assert {o.unit for o in doc.observations if o.label.startswith("Gentamicine")} == {"ug/mL"}
    lines = results_table(doc).plain.splitlines()
    gentamicine = [line for line in lines if "Gentamicine" in line]
    assert gentamicine and all("µg/mL" in line and "ug/mL" not in line for line in gentamicine)


@pytest.mark.parametrize(
    ("ucum", "shown"),
    [
        ("10*9/L", "10⁹/L"),
        ("10*12/L", "10¹²/L"),
        ("10*3/uL", "10³/µL"),
        ("ug/mL", "µg/mL"),
        ("umol/L", "µmol/L"),
        ("[IU]/L", "UI/L"),
        ("m[IU]/L", "mUI/L"),
        ("mm[Hg]", "mmHg"),
        ("Cel", "°C"),
        ("[degF]", "°F"),
        ("[diop]", "δ"),  # the ANS's ophthalmology examples (OPH-BRE): '2.50 [diop]'
        ("deg", "°"),
        # what is no UCUM code is kept as written
        ("G/L", "G/L"),
        ("mmol/L", "mmol/L"),
        ("U/L", "U/L"),
        ("mg/dL", "mg/dL"),
        ("THOUS/MCL", "THOUS/MCL"),
        ("{ratio}", "{ratio}"),
        ("", ""),
    ],
)
def test_a_ucum_code_is_written_as_its_symbol(ucum: str, shown: str):
    assert unit_text(ucum) == shown


def test_international_units_in_english():
    from core.text import set_language

    set_language("en")
    try:
        assert unit_text("[IU]/L") == "IU/L"
    finally:
        set_language("fr")
