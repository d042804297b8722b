"""CDA R2 documents of several CI-SIS models as the ANS publishes them (TestContenuCDA-3-0's ExemplesCDA):
a lab report with a result below a limit, an "autoprésentable" lab report, a discharge letter (LDL-SES) and a
medical summary (VSM). What a careful human reads in each: the patient, who wrote it to whom, the results.

Each goes through the reader a received attachment goes through, and ``missive parse --json`` as a user runs it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from core.clinical.readers import read_document
from tests.conformance.test_clinical_corpus import DATA, TEST_INS

CDA = DATA / "ans-cda"


def _doc(name: str):
    path = CDA / name
    result = read_document(path.read_bytes(), path.name)
    assert result.format == "cda"
    (doc,) = result.documents
    return doc


def _pat_trois(doc) -> None:
    """The ANS test patient of these examples: birth name PAT-TROIS, first names DOMINIQUE MARIE-LOUISE."""
    ident = doc.identity
    assert (ident.birth_name, ident.family_name) == ("PAT-TROIS", "PAT-TROIS")
    assert ident.given_names == ("DOMINIQUE", "MARIE-LOUISE")
    assert (ident.birth_date, ident.sex) == (dt.date(1979, 3, 28), "F")
    assert (ident.ins, ident.ins_oid) == TEST_INS


def test_a_result_below_a_limit_keeps_its_sign_and_unit():
    """The narrative shows 'CRP <1.0 mg/l (< 5.0)'; the entry says <value xsi:type="IVL_PQ"><high value="1.0"
    unit="mg/L" inclusive="true"/>: at most 1.0 mg/L, not '1.0' without a unit. Its code is local (a
    <translation> only), so it has no LOINC code and its label comes from the narrative."""
    doc = _doc("BIO-CR-BIO_2024.01_CRP_non_LOINC.xml")
    _pat_trois(doc)
    crp = doc.observations[0]
    assert (crp.code, crp.label, crp.value, crp.unit, crp.low, crp.high, crp.flag) == (
        "",
        "CRP",
        "≤1.0",
        "mg/L",
        "",
        "5.0",
        "N",
    )
    assert not crp.abnormal
    # the entry FR-Type-document-attache ("Type de document: Copie du document", about the attached PDF)
    # is no result: it was listed as a second one
    assert len(doc.observations) == 1


def test_antibiogram_minimal_inhibitory_concentrations_keep_their_sign():
    """An ECBU with two germs and their antibiograms: each MIC is an IVL_PQ with one bound, '<high
    inclusive="false">' (the narrative: '<0,128 µg/ml') or '<low inclusive="true">': before, the reader
    showed '0.128' with no unit and '0.512' without its '≥'."""
    doc = _doc("BIO-CR-BIO_2024.01_Microbiologie_V2.xml")
    _pat_trois(doc)
    mics = [(o.label.split(" [")[0], o.value, o.unit, o.flag) for o in doc.observations if o.unit == "ug/mL"]
    assert mics[:3] == [
        ("Amoxicilline+clavulanate", "≥0.512", "ug/mL", "R"),
        ("Ampicilline", "<0.128", "ug/mL", "I"),
        ("Gentamicine", "<0.032", "ug/mL", "S"),
    ]
    assert len(mics) == 6
    germs = [o.value for o in doc.observations if o.code == "51480-2"]
    assert germs == ["120000", "200000"]


def test_the_cli_shows_the_bound_result(capsys: pytest.CaptureFixture[str]):
    from tui.cli import main

    assert main(["parse", "--json", str(CDA / "BIO-CR-BIO_2024.01_CRP_non_LOINC.xml")]) == 0
    (doc,) = json.loads(capsys.readouterr().out)["documents"]
    assert (doc["observations"][0]["value"], doc["observations"][0]["unit"]) == ("≤1.0", "mg/L")
    assert doc["author"] == "Dr Marcel CAMPARINI, Laboratoire des charmes"


def test_an_autopresentable_lab_report_is_read_as_the_cda_it_carries():
    """An XSL stylesheet (root xsl:stylesheet) holding the CDA in <data:Contenu><c:ClinicalDocument>, every
    HL7 element and xsi:type prefixed ('c:PQ'): the results keep their units."""
    doc = _doc("BIO-CR-BIO_2021.01_Auto-Presentable.xml")
    _pat_trois(doc)
    assert doc.title == "Compte rendu d'examens biologiques"
    assert doc.author == "Dr Marcel CAMPARINI, Laboratoire des charmes"
    assert doc.date == dt.datetime(2021, 4, 1, 17, 10, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    first = [(o.label.split(" [")[0], o.value, o.unit, o.low, o.high, o.flag) for o in doc.observations[:2]]
    assert first == [
        ("Triglycérides", "0.62", "g/L", "0.50", "1.50", "N"),
        ("Cholestérol", "1.90", "g/L", "1.50", "2.00", "N"),
    ]
    ggt = next(o for o in doc.observations if o.code == "2324-2")
    assert (ggt.value, ggt.unit, ggt.high, ggt.flag, ggt.abnormal) == ("65", "[IU]/L", "60", "H", True)
    # the result written as text (xsi:type="c:ED") stays the lab's words
    crp = next(o for o in doc.observations if o.code == "1988-5")
    assert crp.value == "<1.0 mg/L"
    assert "Triglycérides" in doc.text and "xsl:" not in doc.text


def test_discharge_letter_names_its_author_and_recipient_as_a_letter_head_does():
    """<name><given>Charles</given><family>DAVID</family><prefix>M</prefix><suffix>DR</suffix></name>: the
    parts in that order, the civility M and the title DR (TRE_R11): 'Dr Charles DAVID', not 'Charles DAVID M'."""
    doc = _doc("LDL-SES_2022.01.xml")
    _pat_trois(doc)
    assert doc.title == "Lettre de liaison à la sortie de l'établissement de santé"
    assert doc.author == "Dr Charles DAVID, Hôpital Européen Georges Pompidou"
    assert doc.recipient == "Dr Charles BOILEAU, Centre de soins du Belvédère"
    assert doc.date == dt.datetime(2019, 12, 3, 13, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    summary = next(o for o in doc.observations if o.code == "MED-142")
    assert (summary.label, summary.value) == ("Synthèse médicale", "Infection respiratoire aigüe")
    assert "Streptococcus pneumoniae" in doc.text
    # <value xsi:type="BL" value="false"/>: said as a French letter says it, not 'false'
    transfusion = next(o for o in doc.observations if o.code == "MED-145")
    assert (transfusion.label, transfusion.value) == ("Transfusion de produits sanguins", "non")
    assert next(o.value for o in doc.observations if o.code == "MED-309") == "oui"


def test_medical_summary_vsm():
    doc = _doc("VSM_1.4_2022.01.xml")
    _pat_trois(doc)
    assert (doc.title, doc.code) == ("Synthèse Médicale", "SYNTH")
    assert doc.author == "Dr Stéphane MEDIONI, Centre de soins le Belvédère"
    tobacco = next(o for o in doc.observations if o.code == "74011-8")
    assert (tobacco.label, tobacco.value, tobacco.unit) == ("Consommation tabagique", "25", "{pack}/a")
    assert "Pyélonéphrite aiguë" in [o.value for o in doc.observations]


# the antepartum summary (OBP-SAP) is of another ANS persona, DECOURCY (tests/conformance/test_dates_as_results.py)
@pytest.mark.parametrize("name", sorted(p.name for p in Path(CDA).glob("*.xml") if not p.name.startswith("OBP-")))
def test_every_ans_model_example_gives_the_test_patient(name: str):
    _pat_trois(_doc(name))
