"""A container and the document it carries name two patients (HL7 PID vs embedded CDA, XDM metadata vs CDA).

"A wrong automatic filing is the worst bug this product can have": such a document is never filed
automatically, whatever the matcher would say of the document's own identity; it waits in À classer with the
core's reason and both identities. The ORU files are the ANS CI-SIS example with its PID rewritten (a test
copy in memory); the XDM is the make_fixtures CDA under a metadata entry naming someone else.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest

from core.clinical.matching import PatientIndex, name_two_patients
from core.clinical.readers import read_document
from core.model import Identity, Patient
from core.practice.documents import DocumentQueue, envelope_conflict, envelope_label
from tests.filing.fakes import MemoryProfile

DATA = Path(__file__).resolve().parents[1] / "data"
ORU = (DATA / "conformance" / "ans" / "message_ORU_CR_Bio_INIT_N3_SEGUR.hl7").read_bytes()
CDA = (DATA / "clinical" / "cda_small.xml").read_bytes()  # GARNIER née FONTAINE Marie, 14/07/1985, F, INS

PID_INS = b"279035121518989^^^ASIP-SANTE-INS-NIR&1.2.250.1.213.1.4.10&ISO^INS^^20101207"
PID_TRAITS = b"PAT-TROIS^DOMINIQUE^DOMINIQUE^^^^L||19790328|F"
CDA_INS = b'<id extension="279035121518989" root="1.2.250.1.213.1.4.10"/>'

PATIENTS = [
    Patient("p-trois", "PAT-TROIS", "", ("DOMINIQUE",), dt.date(1979, 3, 28), "F"),
    Patient("p-vinci", "DE VINCI", "", ("LEONARD",), dt.date(1952, 4, 15), "M"),
]


def oru(*, pid_traits: bytes = PID_TRAITS, pid_ins: bool = True, cda_ins: bool = True) -> bytes:
    """The ANS ORU with its PID's traits replaced, its PID INS and/or its CDA's INS removed."""
    out = ORU.replace(PID_TRAITS, pid_traits, 1)
    if not pid_ins:
        out = out.replace(PID_INS, b"", 1)
    if not cda_ins:
        segments = re.split(rb"(\r\n|\r|\n)", out)
        for i, seg in enumerate(segments):
            if seg.startswith(b"OBX|1|ED|"):
                head, _, payload = seg.rpartition(b"^")
                cda = base64.b64decode(payload)
                assert CDA_INS in cda
                local = b'<id extension="279035121518989" root="1.2.3.4.567.8.9.11"/>'  # a local id only
                segments[i] = head + b"^" + base64.b64encode(cda.replace(CDA_INS, local, 1))
        out = b"".join(segments)
    return out


VINCI = b"DE VINCI^LEONARD^^^^^L||19520415|M"


def _queue(tmp_path: Path) -> DocumentQueue:
    return DocumentQueue(
        MemoryProfile(tmp_path / "p"),
        {"folder": str(tmp_path / "lgc"), "auto": True},
        patient_exists=lambda _p: None,
    )


def _filed_files(tmp_path: Path) -> list[Path]:
    lgc = tmp_path / "lgc"
    return [p for p in lgc.rglob("*") if p.is_file()] if lgc.exists() else []


# -- the comparison ------------------------------------------------------------------------------------------
A = Identity(family_name="DE VINCI", given_names=("LEONARD",), birth_date=dt.date(1952, 4, 15), sex="M")


@pytest.mark.parametrize(
    ("other", "conflict"),
    [
        (A, False),
        (Identity(family_name="de Vinci", birth_date=dt.date(1952, 4, 15)), False),  # case, missing traits
        (Identity(family_name="DÉ VINCI", ins="176059912345678", ins_oid="1.2.250.1.213.1.4.8"), False),
        (Identity(family_name="PAT-TROIS", given_names=("LEONARD",)), True),  # another family name
        (Identity(family_name="DE VINCI", birth_date=dt.date(1952, 4, 16)), True),  # another birth date
        (Identity(family_name="DE VINCI", sex="F"), True),  # sex conflict
        (Identity(family_name="DE VINCY", birth_date=dt.date(1952, 4, 15)), True),  # a typo is not "the same"
        (Identity(birth_name="DE VINCI", family_name="MARTIN", birth_date=dt.date(1952, 4, 15)), False),
    ],
)
def test_two_patients_or_one(other: Identity, conflict: bool) -> None:
    assert name_two_patients(other, A) is conflict
    assert name_two_patients(A, other) is conflict


def test_two_different_ins_are_two_patients_whatever_the_traits() -> None:
    one = Identity(family_name="X", ins="279035121518989")
    assert name_two_patients(one, Identity(family_name="X", ins="176059912345678"))
    assert not name_two_patients(one, Identity(family_name="X", ins="279035121518989"))


# -- the readers ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("pid_ins", "cda_ins"), [(False, False), (False, True), (True, False)], ids=["no-ins", "cda-ins", "pid-ins"]
)
def test_an_oru_whose_pid_names_another_patient_than_its_cda(pid_ins: bool, cda_ins: bool) -> None:
    (doc,) = read_document(oru(pid_traits=VINCI, pid_ins=pid_ins, cda_ins=cda_ins), "r.hl7").documents
    assert doc.format == "cda" and doc.identity.family_name == "PAT-TROIS"  # what the document states
    assert doc.envelope is not None and doc.envelope.family_name == "DE VINCI" and doc.envelope_from == "hl7v2"


def test_an_oru_whose_pid_agrees_or_is_less_complete_is_unchanged() -> None:
    (doc,) = read_document(oru(pid_ins=False), "r.hl7").documents  # the CDA adds the INS the PID lacks
    assert doc.envelope is None and doc.identity.ins == "279035121518989"
    (doc,) = read_document(ORU, "r.hl7").documents
    assert doc.envelope is None


def _xdm(pid5: str, pid7: str, pid8: str) -> bytes:
    metadata = (
        '<lcm:SubmitObjectsRequest xmlns:lcm="urn:oasis:names:tc:ebxml-regrep:xsd:lcm:3.0" '
        'xmlns:rim="urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0"><rim:RegistryObjectList>'
        '<rim:ExtrinsicObject id="d1" mimeType="text/xml"><rim:Slot name="sourcePatientInfo"><rim:ValueList>'
        f"<rim:Value>PID-5|{pid5}</rim:Value><rim:Value>PID-7|{pid7}</rim:Value><rim:Value>PID-8|{pid8}</rim:Value>"
        '</rim:ValueList></rim:Slot><rim:Slot name="URI"><rim:ValueList><rim:Value>DOC0001.XML</rim:Value>'
        "</rim:ValueList></rim:Slot></rim:ExtrinsicObject></rim:RegistryObjectList></lcm:SubmitObjectsRequest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("IHE_XDM/SUBSET01/METADATA.XML", metadata)
        zf.writestr("IHE_XDM/SUBSET01/DOC0001.XML", CDA)
    return out.getvalue()


def test_an_xdm_whose_metadata_names_another_patient_than_its_cda() -> None:
    (doc,) = read_document(_xdm("DE VINCI^LEONARD^^^^^L", "19520415", "M"), "IHE_XDM.ZIP").documents
    assert doc.identity.birth_name == "FONTAINE" and doc.envelope is not None and doc.envelope_from == "xdm"
    (doc,) = read_document(_xdm("FONTAINE^MARIE^^^^^L", "19850714", "F"), "IHE_XDM.ZIP").documents
    assert doc.envelope is None  # the same patient (birth name) on both sides


# -- the filing decision -------------------------------------------------------------------------------------
def test_a_conflicting_oru_is_never_filed_automatically_and_shows_both_patients(tmp_path: Path) -> None:
    data = oru(pid_traits=VINCI, pid_ins=False, cda_ins=False)
    (doc,) = read_document(data, "r.hl7").documents
    index = PatientIndex(PATIENTS)
    assert index.match(doc.identity).decision == "auto"  # the CDA's traits alone would file it to PAT-TROIS
    queue = _queue(tmp_path)
    (queued,) = queue.ingest_message("<m@x>", [("r.hl7", "application/hl7-v2", data)], index.match)
    assert queued.state == "waiting" and queued.decision == "review" and queued.patient_id is None
    assert [c.patient_id for c in queued.candidates] == ["p-trois", "p-vinci"]  # the document's first
    assert queued.envelope is not None and queued.envelope.family_name == "DE VINCI"
    assert queue.get(queued.id).envelope == queued.envelope  # kept in the (encrypted) store
    assert _filed_files(tmp_path) == []
    assert queue.auto_file(queued.id) == [] and _filed_files(tmp_path) == []  # a later round does not file it


def test_an_agreeing_oru_is_still_filed_automatically(tmp_path: Path) -> None:
    data = oru(pid_ins=False, cda_ins=False)
    queue = _queue(tmp_path)
    (queued,) = queue.ingest_message(
        "<m@x>", [("r.hl7", "application/hl7-v2", data)], PatientIndex(PATIENTS).match
    )
    assert queued.state == "filed" and queued.patient_id == "p-trois" and queued.envelope is None
    assert len(_filed_files(tmp_path)) == 1


def test_a_conflicting_xdm_waits(tmp_path: Path) -> None:
    patients = [Patient("p-f", "FONTAINE", "GARNIER", ("MARIE", "ANNE-LISE"), dt.date(1985, 7, 14), "F")]
    data = _xdm("DE VINCI^LEONARD^^^^^L", "19520415", "M")
    (doc,) = read_document(data, "IHE_XDM.ZIP").documents
    index = PatientIndex(patients)
    assert index.match(doc.identity).decision == "auto"
    queue = _queue(tmp_path)
    (queued,) = queue.ingest_message("<m@x>", [("IHE_XDM.ZIP", "application/zip", data)], index.match)
    assert queued.state == "waiting" and queued.decision == "review" and queued.envelope_from == "xdm"
    assert _filed_files(tmp_path) == []


# -- what the command line says ------------------------------------------------------------------------------
CSV = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "p-trois,PAT-TROIS,,DOMINIQUE,1979-03-28,F,\n"
    "p-vinci,DE VINCI,,LEONARD,1952-04-15,M,\n"
)


def test_missive_match_and_parse_say_the_conflict_in_one_french_line(profile, cli, tmp_path: Path) -> None:
    patients = tmp_path / "patients.csv"
    patients.write_text(CSV, encoding="utf-8")
    assert cli("patients", "import", str(patients))[0] == 0
    report = tmp_path / "r.hl7"
    report.write_bytes(oru(pid_traits=VINCI, pid_ins=False, cda_ins=False))
    code, out, err = cli("match", str(report))
    assert code == 0, err
    lines = out.splitlines()
    assert "automatique" not in out and "à vérifier : p-trois" in lines[1] and "p-vinci" in lines[1]
    (conflict,) = [line for line in lines if "deux patients différents" in line]
    assert "l'en-tête HL7 (PID)" in conflict and "DE VINCI LEONARD" in conflict and "15/04/1952" in conflict
    code, out, _ = cli("match", str(report), "--json")
    (doc,) = json.loads(out)["documents"]
    assert doc["decision"] == "review" and "deux patients différents" in doc["conflict"]
    code, out, _ = cli("parse", str(report))
    assert code == 0 and sum("deux patients différents" in line for line in out.splitlines()) == 1
    # the same report whose PID agrees with its CDA: filed automatically, no such line
    report.write_bytes(oru(pid_ins=False, cda_ins=False))
    code, out, _ = cli("match", str(report))
    assert "automatique : patient p-trois" in out and "deux patients" not in out


# -- the HL7 message's own results -------------------------------------------------------------------------
def test_the_pid_own_results_wait_too_when_the_cda_it_carries_names_another_patient(tmp_path: Path) -> None:
    """hl7_oru_multi.hl7: DURAND's own results (OBX) and a CDA naming FAURE in the same PID group. Nothing
    says which side is wrong: DURAND's results are not filed to DURAND by themselves either; the column beside
    them is the carried document's patient, in the core's words. ROBERT's group, alone, is filed."""
    data = (DATA / "clinical" / "hl7_oru_multi.hl7").read_bytes()
    own, carried, robert = read_document(data, "r.hl7").documents
    assert own.format == "hl7v2" and own.identity.family_name == "DURAND" and len(own.observations) == 3
    assert own.envelope is not None and own.envelope.family_name == "FAURE" and own.envelope_from == "hl7v2-carried"
    assert carried.envelope is not None and carried.envelope.family_name == "DURAND"
    assert robert.envelope is None
    patients = [
        Patient("p-durand", "LAMBERT", "DURAND", ("JEANNE",), dt.date(1985, 7, 14), "F"),
        Patient("p-robert", "ROBERT", "", ("PAUL",), dt.date(2001, 2, 3), "M"),
    ]
    index = PatientIndex(patients)
    assert index.match(own.identity).decision == "auto"  # its own traits alone would file it
    queue = _queue(tmp_path)
    queued = queue.ingest_message("<m@x>", [("r.hl7", "application/hl7-v2", data)], index.match)
    mine = next(q for q in queued if q.identity.family_name == "DURAND" and q.envelope_from == "hl7v2-carried")
    assert mine.state == "waiting" and mine.patient_id is None
    assert "le document CDA que porte ce message HL7 nomme un autre patient" in envelope_conflict(mine)
    assert envelope_label(mine) == "Doc. porté" and envelope_label(carried) == "Enveloppe"
    assert next(q for q in queued if q.identity.family_name == "ROBERT").patient_id == "p-robert"  # filed


# -- twins: the given name is the one trait that tells them apart ------------------------------------------------
TWINS = [
    Patient("p-trois", "PAT-TROIS", "", ("DOMINIQUE",), dt.date(1979, 3, 28), "F"),
    Patient("p-trois-2", "PAT-TROIS", "", ("CLAUDE",), dt.date(1979, 3, 28), "F"),  # her twin sister
]


@pytest.mark.parametrize(
    ("given", "conflict"),
    [
        (("CLAUDE",), True),  # the twin sister: same family name, birth date and sex
        (("Dominique",), False),
        (("DOMINIQUE", "MARIE"), False),  # one side lists more given names
        ((), False),  # a side that does not say
    ],
)
def test_a_different_first_given_name_is_another_patient(given: tuple[str, ...], conflict: bool) -> None:
    doc = Identity(family_name="PAT-TROIS", given_names=("DOMINIQUE",), birth_date=dt.date(1979, 3, 28), sex="F")
    other = Identity(family_name="PAT-TROIS", given_names=given, birth_date=dt.date(1979, 3, 28), sex="F")
    assert name_two_patients(doc, other) is conflict
    assert name_two_patients(other, doc) is conflict


@pytest.mark.parametrize(
    ("doc", "env"),
    [(("JEAN", "PIERRE"), ("JEAN-PIERRE",)), (("JEAN-PIERRE",), ("Jean Pierre",)), (("JEAN PIERRE",), ("JEAN", "PIERRE"))],
)
def test_a_composite_given_name_written_two_ways_is_one_patient(doc, env) -> None:
    one = Identity(family_name="MARTIN", given_names=doc, birth_date=dt.date(1990, 1, 2))
    assert not name_two_patients(one, Identity(family_name="MARTIN", given_names=env, birth_date=dt.date(1990, 1, 2)))


def test_an_oru_whose_pid_names_the_twin_of_its_cdas_patient_is_never_filed_automatically(tmp_path: Path) -> None:
    data = oru(pid_traits=b"PAT-TROIS^CLAUDE^CLAUDE^^^^L||19790328|F", pid_ins=False, cda_ins=False)
    index = PatientIndex(TWINS)
    (doc,) = read_document(data, "r.hl7").documents
    assert index.match(doc.identity).decision == "auto"  # the CDA's traits alone file it to Dominique
    assert doc.envelope is not None and doc.envelope.given_names[0] == "CLAUDE"
    queued = _queue(tmp_path).ingest_message("<m@x>", [("r.hl7", "application/hl7-v2", data)], index.match)
    assert [q.state for q in queued] == ["waiting"] and _filed_files(tmp_path) == []


def test_two_carried_reports_for_twins_are_two_documents() -> None:
    """Two CDA carried by one ORU with the same report code and family name but another patient (a twin: her
    given name) are two reports, never merged as the CI-SIS's two renderings of one report (the other was
    dropped, unseen in À classer)."""
    data = oru(pid_ins=False, cda_ins=False)
    segments = re.split(rb"(\r\n|\r|\n)", data)
    at = next(i for i, seg in enumerate(segments) if seg.startswith(b"OBX|1|ED|"))
    head, _, payload = segments[at].rpartition(b"^")
    cda = base64.b64decode(payload)
    twin = cda.replace(b">DOMINIQUE</given>", b">CLAUDE</given>")
    assert twin != cda
    segments[at + 1 : at + 1] = [b"\r", head.replace(b"OBX|1|", b"OBX|13|", 1) + b"^" + base64.b64encode(twin)]
    docs = read_document(b"".join(segments), "r.hl7").documents
    assert sorted(d.identity.given_names[0] for d in docs) == ["CLAUDE", "DOMINIQUE"]


def test_a_candidate_proposed_for_the_envelopes_patient_says_so_first(tmp_path: Path) -> None:
    """The candidates of the other identity (here the PID's DE VINCI) came with reasons that describe that
    identity, read beside the document's own (PAT-TROIS): « nom identique » for a name the document does not
    have (gp9: « nom de naissance identique » beside a patient whose birth name differs). Their first reason
    now says whose identity they were proposed for, in the core's words (French phrase, rendered per language)."""
    from core.text import render

    data = oru(pid_traits=VINCI, pid_ins=False, cda_ins=False)
    queue = _queue(tmp_path)
    (queued,) = queue.ingest_message("<m@x>", [("r.hl7", "application/hl7-v2", data)], PatientIndex(PATIENTS).match)
    own, other = queued.candidates
    assert own.patient_id == "p-trois" and not any("enveloppe" in r for r in own.reasons)
    assert other.patient_id == "p-vinci"
    assert other.reasons[0] == "proposé pour le patient de l'enveloppe, pas pour celui du document"
    assert render(other.reasons[0], lang="en") == "proposed for the envelope's patient, not the document's"


def test_an_oru_carrying_a_cda_with_two_patients_shows_the_second_beside_its_own_results() -> None:
    """An ORU whose carried CDA names two patients, the first the PID's: the PID's own results wait (the message
    names two patients), and their other column showed the PID's own patient under « Doc. porté », the second
    patient nowhere (sec9's review of 9b02957). It shows the CDA's second patient."""
    data = (DATA / "clinical" / "hl7_oru_multi.hl7").read_bytes()
    parts = re.split(rb"(\r\n|\r|\n)", data)
    for i, seg in enumerate(parts):
        if b"|ED|" in seg:
            head, _, payload = seg.rpartition(b"^")
            cda = base64.b64decode(payload)
            start, end = cda.index(b"<recordTarget"), cda.index(b"</recordTarget>") + len(b"</recordTarget>")
            faure = cda[start:end]
            durand = (
                faure.replace(b'extension="285077512345655"', b'extension="185077512345608"')
                .replace(b'<given qualifier="BR">MARIE</given>', b'<given qualifier="BR">JEANNE</given>')
                .replace(b"<given>MARIE ANNE-LISE</given>", b"<given>JEANNE CLAIRE</given>")
                .replace(b'<family qualifier="BR">FONTAINE</family>', b'<family qualifier="BR">LAMBERT</family>')
                .replace(b'<family qualifier="SP">FAURE</family>', b'<family qualifier="SP">DURAND</family>')
            )
            parts[i] = head + b"^" + base64.b64encode(cda[:start] + durand + faure + cda[end:])
    docs = read_document(b"".join(parts), "r.hl7").documents
    [main] = [d for d in docs if d.format != "cda" and d.identity.family_name == "DURAND"]  # (ROBERT's follows)
    [carried] = [d for d in docs if d.format == "cda"]
    assert carried.identity.family_name == "DURAND" and carried.envelope is not None
    assert carried.envelope.family_name == "FAURE"
    assert main.identity.family_name == "DURAND" and main.envelope is not None
    assert main.envelope.family_name == "FAURE", main.envelope  # not DURAND, the PID's own patient
