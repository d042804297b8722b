"""Clinical files written by others (ANS CI-SIS examples, NIST HL7 v2 test cases): what a careful human reads.

Each test names the identity traits and the first results with their units and bounds as the file states
them. Every file of the corpus also goes through ``missive read`` without a traceback or a hang.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.clinical import cda, hl7v2
from core.clinical.readers import read_document
from core.errors import ParseError

DATA = Path(__file__).resolve().parent.parent / "data" / "conformance"
ANS = DATA / "ans"
NIST = DATA / "nist"
TEST_INS = ("279035121518989", "1.2.250.1.213.1.4.10")  # ANS test patient PAT-TROIS, INS-NIR de test


def _read(path: Path):
    return read_document(path.read_bytes(), path.name)


def _first(doc, n=2):
    return [(o.code, o.value, o.unit, o.low, o.high) for o in doc.observations[:n]]


def test_ans_cda_niv3_birth_first_names_in_order():
    """The header says <given qualifier="BR">RUTH</given> (first birth first name) and <given>ISABELLE</given>;
    birth name NESSI, used name DECOURCY."""
    (doc,) = _read(ANS / "CR_Bio_CDA_Niv3_v2.XML").documents
    ident = doc.identity
    assert ident.given_names == ("RUTH", "ISABELLE")
    assert (ident.birth_name, ident.family_name) == ("NESSI", "DECOURCY")
    assert (ident.birth_date, ident.sex, ident.birth_place) == (dt.date(1977, 7, 14), "F", "63220")
    assert (ident.ins, ident.ins_oid) == ("277076322082910", "1.2.250.1.213.1.4.8")
    assert len(doc.observations) == 44
    assert _first(doc) == [
        ("2885-2", "80.0", "g/L", "63.000000", "83.000000"),
        ("13980-8", "60.0", "%", "", ""),
    ]


def test_ans_cda_result_in_a_second_unit():
    """<value xsi:type="PQ" value="10.02" unit="mmol/L"><translation value="0.60" code="g/L"/></value>: the
    lab gives urea in both units (the narrative prints both); the second one was dropped."""
    (doc,) = _read(ANS / "CR_Bio_CDA_Niv3_v2.XML").documents
    urea = next(o for o in doc.observations if o.code == "22664-7")
    assert (urea.value, urea.unit, urea.low, urea.high, urea.value2, urea.unit2) == (
        "10.02",
        "mmol/L",
        "3.50",
        "8",
        "0.60",
        "g/L",
    )


def test_ans_imaging_cda_birth_and_used_names():
    (doc,) = _read(ANS / "transmission_initiale_cr_imagerie.xml").documents
    ident = doc.identity
    assert ident.given_names == ("DOMINIQUE",)
    assert (ident.birth_name, ident.family_name) == ("PAT-TROIS", "PAT-TROIS")
    assert (ident.ins, ident.ins_oid) == TEST_INS
    assert doc.title == "CR d’imagerie médicale"


def test_ans_oru_carrying_a_cda_shows_the_cda_results_not_the_transport_obx():
    """OBX-1 is the CR-BIO CDA in base64; OBX 2-11 are MetaDMPMSS routing flags (MASQUE_PS, DESTDMP...)."""
    (doc,) = _read(ANS / "message_ORU_CR_Bio_INIT_N3_SEGUR.hl7").documents
    assert doc.format == "cda"
    assert (doc.identity.family_name, doc.identity.given_names) == ("PAT-TROIS", ("DOMINIQUE",))
    assert (doc.identity.ins, doc.identity.ins_oid) == TEST_INS
    # 44 results; the entry "Type de document: Copie du document" (about the attached PDF) is not one
    assert len(doc.observations) == 44
    assert _first(doc, 1) == [("2885-2", "75.0", "g/L", "63.000000", "83.000000")]
    assert not {"MASQUE_PS", "DESTDMP", "ACK_RECEPTION"} & {o.code for o in doc.observations}


def test_ans_oru_with_two_renderings_is_one_report_and_a_conflicting_ins_is_not_trusted():
    """The N1 and N3 copies of one CR-BIO give one document. This ANS example's PID is PAT-TROIS (test INS)
    while the embedded CDA is NESSI (another INS): the INS cannot file it on its own."""
    (doc,) = _read(ANS / "message_ORU_CR_Bio_RPLC_N1_Base64_N3_Base64.er7").documents
    assert doc.format == "cda" and len(doc.observations) == 44
    assert (doc.identity.birth_name, doc.identity.given_names) == ("NESSI", ("RUTH", "ISABELLE"))
    assert doc.identity.ins is None


def test_ans_mdm_with_an_n1_cda():
    (doc,) = _read(ANS / "message_MDM_CR_Radio_INIT_N1_Base64.er7").documents
    assert doc.format == "cda" and doc.title == "Radio de hanche"
    assert (doc.identity.ins, doc.identity.ins_oid) == TEST_INS


@pytest.mark.parametrize(
    "name", ["admission.er7", "sortie.er7", "ConsentementConsultation_NonOppositionAlimentation.er7"]
)
def test_ans_pam_fr_identity(name):
    (doc,) = _read(ANS / name).documents
    ident = doc.identity
    assert (ident.family_name, ident.given_names) == ("PAT-TROIS", ("DOMINIQUE",))
    assert (ident.birth_date, ident.sex, ident.birth_place) == (dt.date(1979, 3, 28), "F", "63220")
    assert (ident.ins, ident.ins_oid) == TEST_INS
    assert doc.observations == ()


def test_nist_lead_result_with_a_worded_bound():
    (doc,) = _read(NIST / "ORU_R01_2.5.1_SampleTestCase1.hl7").documents
    assert (doc.identity.family_name, doc.identity.given_names) == ("Johnson", ("Philip",))
    assert (doc.identity.birth_date, doc.identity.sex) == (dt.date(2007, 5, 26), "M")
    (obs,) = doc.observations
    assert (obs.label, obs.value, obs.unit, obs.low, obs.high, obs.flag, obs.status) == (
        "Lead BldC-mCnc",
        "50",
        "ug/dL",
        "",
        "9",
        "H",
        "F",
    )


def test_nist_corrected_result_keeps_its_status():
    (doc,) = _read(NIST / "ORU_R01_2.5.1_SampleTestCase3.hl7").documents
    (obs,) = doc.observations
    assert (obs.value, obs.unit, obs.high, obs.status) == ("25", "ug/dl", "10", "C")


def test_nist_coded_text_result():
    (doc,) = _read(NIST / "ORU_R01_2.5.1_SampleTestCase4.hl7").documents
    assert (doc.identity.family_name, doc.identity.sex) == ("Anderson", "F")
    (obs,) = doc.observations
    assert (obs.label, obs.value) == ("Bacillus Anthracis Identified", "Isolated")


def _every_corpus_file():
    return sorted(p for p in DATA.rglob("*") if p.is_file() and p.name != "SOURCES")


@pytest.mark.parametrize("path", _every_corpus_file(), ids=lambda p: p.relative_to(DATA).as_posix())
def test_every_corpus_file_reads_or_says_why_in_one_line(path):
    data = path.read_bytes()
    try:
        read_document(data, path.name)
    except ParseError as exc:
        assert "\n" not in str(exc) and str(exc)


# -- the reader rules these files showed, on small made-up inputs -----------------------------------------


def _pid(line: str) -> hl7v2.Identity:
    segments = hl7v2.split_segments("MSH|^~\\&|A|B|C|D|20250101||ADT^A01|1|P|2.5\r" + line + "\r")
    return hl7v2.read_pid(segments[1])


def test_pid5_family_name_is_the_first_subcomponent():
    ident = _pid("PID|||123^^^X^PI||Smith&Booth&Jones^John^Paul^^^^L||19800101|M")
    assert (ident.family_name, ident.birth_name, ident.given_names) == ("Smith", "Smith", ("John", "Paul"))


def test_pid5_empty_first_repetition_reads_the_next():
    ident = _pid("PID|||123^^^X^PI||~DUPONT^MARIE^^^^^L||19800101|F")
    assert (ident.family_name, ident.given_names) == ("DUPONT", ("MARIE",))


def test_implausible_birth_year_is_not_a_trait():
    assert _pid("PID|||1^^^X^PI||DUPONT^MARIE||10130101|F").birth_date is None
    assert _pid("PID|||1^^^X^PI||DUPONT^MARIE||19130101|F").birth_date == dt.date(1913, 1, 1)


def test_ins_c_beside_the_ins_nir_is_never_the_ins():
    ident = _pid(
        "PID|||1234567890123456789012^^^ASIP-SANTE-INS-C&1.2.250.1.213.1.4.2&ISO^INS-C~"
        "279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS||PAT-TROIS^DOMINIQUE^^^^^L||19790328|F"
    )
    assert (ident.ins, ident.ins_oid) == TEST_INS
    assert ident.source_id is None
    only_c = _pid(
        "PID|||1234567890123456789012^^^ASIP-SANTE-INS-C&1.2.250.1.213.1.4.2&ISO^INS-C||X^Y||19790328|F"
    )
    assert only_c.ins is None and only_c.source_id is None


def _cda_names(names: str) -> tuple:
    xml = (
        '<ClinicalDocument xmlns="urn:hl7-org:v3"><recordTarget><patientRole>'
        '<id root="1.2.250.1.213.1.4.2" extension="123"/>'
        f"<patient>{names}<birthTime value='10130101'/></patient></patientRole></recordTarget>"
        "</ClinicalDocument>"
    ).encode()
    ident = cda.parse(xml)[0].identity
    return (
        ident.birth_name,
        ident.family_name,
        ident.given_names,
        ident.birth_date,
        ident.ins,
        ident.source_id,
    )


def test_cda_plain_given_is_every_birth_first_name_and_br_the_first():
    names = (
        "<name><given qualifier='BR'>ANNE-SOPHIE</given><given>ANNE-SOPHIE MARIE</given>"
        "<given qualifier='CL'>SOPHIE</given><family qualifier='BR'>MARTIN</family>"
        "<family qualifier='SP'>DURAND</family></name>"
    )
    assert _cda_names(names) == ("MARTIN", "DURAND", ("ANNE-SOPHIE", "MARIE"), None, None, None)


def test_cda_c_cda_birth_name_in_a_second_name_element():
    names = "<name use='L'><given>Mary</given><family>Jones</family></name><name qualifier='BR'><family>Smith</family></name>"
    assert _cda_names(names)[:3] == ("Smith", "Jones", ("Mary",))


def test_cda_two_whole_names_do_not_repeat_the_first_names():
    """HL7's C-CDA examples (HL7/C-CDA-Examples, Documents/Consultation Note: not copied, no licence) give
    the patient a legal name and a search name, each whole: Eve Betterhalf (SP) and Eve Everywoman (BR).
    The first names were added up, 'Eve Eve'; each <name> is the same person's, the birth one's win."""
    names = (
        "<name use='L'><given>Eve</given><family qualifier='SP'>Betterhalf</family></name>"
        "<name use='SRCH'><given>Eve</given><family qualifier='BR'>Everywoman</family></name>"
    )
    assert _cda_names(names)[:3] == ("Everywoman", "Betterhalf", ("Eve",))
    names = (
        "<name use='L'><given>Eve</given><given>Anne</given><family>Martin</family></name>"
        "<name qualifier='BR'><given>Eve</given><given>Anne</given><given>Marie</given>"
        "<family>Durand</family></name>"
    )
    assert _cda_names(names)[:3] == ("Durand", "Martin", ("Eve", "Anne", "Marie"))


def test_cda_result_code_and_label_written_with_blanks():
    """HL7's C-CDA examples write code=" 401238003" and displayName=" Highest Pressure Ulcer Stage"."""
    xml = (
        b'<ClinicalDocument xmlns="urn:hl7-org:v3" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        b"<component><structuredBody><component><section><entry><observation>"
        b'<code code=" 401238003" displayName=" Length of Wound "/><value xsi:type="PQ" value="2" unit="cm"/>'
        b"</observation></entry></section></component></structuredBody></component></ClinicalDocument>"
    )
    (obs,) = cda.parse(xml)[0].observations
    assert (obs.code, obs.label, obs.value, obs.unit) == ("401238003", "Length of Wound", "2", "cm")
