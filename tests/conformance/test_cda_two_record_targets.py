"""A CDA R2 names its patient in recordTarget, and CDA R2 allows several (the CI-SIS allows one). missive read the
first alone: HL7's sample consultation note (Henry Levin, 24/09/1932) with a second recordTarget naming another
patient was filed automatically into Henry Levin's record, the second patient unsaid. Such a document now waits
for a person, with both patients and the core's reason, as a container that names another patient does.

The file is a hostile variant of tests/data/conformance/hl7-cda/clinicaldocument-example.xml (HL7's sample),
made in memory: a copy of its recordTarget with another name, birth date and sex put after it. It goes through
a Maildir account and a sync, from a sender of the trust space, as a lab's letter would."""

from __future__ import annotations

import base64
import json
from pathlib import Path

from core.clinical.readers import read_document
from core.practice.documents import envelope_conflict, envelope_label
from tests.conformance.test_clinical_corpus import DATA

SAMPLE = DATA / "hl7-cda" / "clinicaldocument-example.xml"
PATIENTS = "id,birth_name,used_name,given_names,birth_date,sex,ins\np-levin,LEVIN,,HENRY,1932-09-24,M,\n"
REASON = "le document CDA nomme deux patients différents (deux recordTarget)"


def _two_patients(second: tuple[str, str, str, str]) -> bytes:
    given, family, born, sex = second
    data = SAMPLE.read_bytes()
    start, end = data.index(b"<recordTarget>"), data.index(b"</recordTarget>") + len(b"</recordTarget>")
    other = (
        data[start:end]
        .replace(b"<given>Henry</given>", f"<given>{given}</given>".encode())
        .replace(b"<family>Levin</family>", f"<family>{family}</family>".encode())
        .replace(b'<birthTime value="19320924"/>', f'<birthTime value="{born}"/>'.encode())
        .replace(b'code="M" codeSystem="2.16.840.1.113883.5.1"', f'code="{sex}" codeSystem="2.16.840.1.113883.5.1"'.encode())
    )
    # another setId: not taken for a new version of the sample when both arrive
    return (data[:end] + b"\n\t" + other + data[end:]).replace(b'extension="BB35"', b'extension="BB36"')


def test_a_second_record_target_naming_another_patient_is_said() -> None:
    (doc,) = read_document(_two_patients(("Henrietta", "Levin", "19350112", "F")), "note.xml").documents
    assert (doc.identity.family_name, doc.identity.given_names, str(doc.identity.birth_date)) == (
        "Levin", ("Henry",), "1932-09-24"
    )
    assert doc.envelope is not None and doc.envelope.given_names == ("Henrietta",)
    assert envelope_conflict(doc) == REASON and envelope_label(doc) == "2e patient"
    # the same patient written twice (a second recordTarget with another id of his) is one patient
    (same,) = read_document(_two_patients(("Henry", "Levin", "19320924", "M")), "note.xml").documents
    assert same.envelope is None
    (alone,) = read_document(SAMPLE.read_bytes(), "note.xml").documents
    assert alone.envelope is None


def test_through_a_sync_it_waits_for_a_person(cli, tmp_path: Path, profile_dir: Path) -> None:  # noqa: F811
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for n, content in enumerate([SAMPLE.read_bytes(), _two_patients(("Jane", "Doe", "19700101", "F"))]):
        letter = (
            f"From: labo@missive.test\r\nTo: doc@missive.test\r\nSubject: Compte rendu {n}\r\n"
            f"Message-ID: <cda{n}@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n'
            f'--b\r\nContent-Type: application/hl7-cda+xml; name="note{n}.xml"\r\n'
            f'Content-Disposition: attachment; filename="note{n}.xml"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode() + base64.encodebytes(content) + b"--b--\r\n"
        (root / "new" / f"170000000{n}.real9:2,").write_bytes(letter)
    (tmp_path / "patients.csv").write_text(PATIENTS, "utf-8")
    assert cli("init")[0] == 0
    settings = profile_dir / "profile.toml"
    settings.write_text(settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1), "utf-8")
    assert cli("patients", "import", str(tmp_path / "patients.csv"))[0] == 0
    assert cli("account", "add", "local", "--email", "doc@missive.test", "--maildir", str(root))[0] == 0
    code, out, err = cli("sync")
    assert (code, err) == (0, "") and "local: 2 nouveaux" in out, (out, err)
    code, out, err = cli("documents", "list", "--all", "--json")
    assert code == 0, err
    by_file = {doc["attachment"]: doc for doc in map(json.loads, out.splitlines())}
    # the sample alone is Henry Levin's: filed automatically (the control)
    assert (by_file["note0.xml"]["decision"], by_file["note0.xml"]["patient_id"]) == ("auto", "p-levin")
    two = by_file["note1.xml"]
    assert (two["decision"], two["patient_id"], two["state"]) == ("review", None, "waiting")
    assert [c["patient_id"] for c in two["candidates"]] == ["p-levin"]
    code, out, _ = cli("documents", "list")  # the list says why it waits (it said 'review' alone)
    assert f"⚠ {REASON}" in next(line for line in out.splitlines() if line.startswith(two["id"]))
    # the letter says why, and the reader shows both patients (tui.panes.reader: conflict and envelope)
    code, out, _ = cli("messages", "list", "--json")
    (letter,) = [m["id"] for m in map(json.loads, out.splitlines()) if m["subject"] == "Compte rendu 1"]
    code, out, err = cli("messages", "show", letter)
    assert code == 0 and f"⚠ {REASON}" in out, out + err


def test_a_second_record_target_that_cannot_be_compared_is_not_taken_for_the_first() -> None:
    """A second recordTarget that shares nothing comparable with the first (an INS alone beside a name and a birth
    date, or nothing at all) was taken for the same patient (no trait differed): the document was filed for the
    first patient alone (sec9's review of 9b02957). Only one that says it is the same person — the same INS, or a
    name and birth date that agree — is; any other makes the document wait for a person."""
    data = SAMPLE.read_bytes()
    end = data.index(b"</recordTarget>") + len(b"</recordTarget>")
    ins_alone = (
        b'<recordTarget><patientRole><id extension="279035121518989" root="1.2.250.1.213.1.4.8"/>'
        b"</patientRole></recordTarget>"
    )
    empty = b"<recordTarget><patientRole><patient/></patientRole></recordTarget>"
    for second in (ins_alone, empty):
        (doc,) = read_document(data[:end] + second + data[end:], "note.xml").documents
        assert doc.envelope is not None, second
        assert envelope_conflict(doc) == REASON
    (same,) = read_document(_two_patients(("Henry", "Levin", "19320924", "M")), "note.xml").documents
    assert same.envelope is None  # a name and a birth date that agree: the same patient
