"""Corrections ("annule et remplace"): the XDM writer names the replaced document (XDS RPLC association), and
a correction received after the original replaces the filed file through the filing path; undo brings the
first version back."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from core.clinical.readers import read_document
from core.clinical.xdm_writer import RPLC, letter_package
from core.model import Candidate, MatchResult
from core.practice.documents import DocumentQueue
from tests.filing.fakes import MemoryProfile
from tests.filing.test_xdm_writer import AUTHOR, PATIENT

RIM = "{urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0}"
AUTO = MatchResult("auto", "p-1", (Candidate("p-1", 0.99, ("INS",)),))


def _metadata(data: bytes) -> ET.Element:
    return ET.fromstring(zipfile.ZipFile(io.BytesIO(data)).read("IHE_XDM/SUBSET01/METADATA.XML"))


def test_the_writer_names_the_replaced_entry_and_the_reader_sees_it() -> None:
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    (first_id,) = first.entry_uuids
    second = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 2 corrigée", replaces=first_id)
    (second_id,) = second.entry_uuids
    (assoc,) = [
        a for a in _metadata(second.data).iter(f"{RIM}Association") if a.get("associationType") == RPLC
    ]
    assert (assoc.get("sourceObject"), assoc.get("targetObject")) == (second_id, first_id)
    (doc,) = read_document(second.data, "IHE_XDM.ZIP").documents
    assert (doc.entry_id, doc.replaces) == (second_id, first_id)
    (original,) = read_document(first.data, "IHE_XDM.ZIP").documents
    assert (original.entry_id, original.replaces) == (first_id, "")


def _queue(tmp_path: Path) -> tuple[DocumentQueue, MemoryProfile]:
    profile = MemoryProfile(tmp_path / "profile")
    settings = {"preset": "generic", "folder": str(tmp_path / "lgc"), "auto": True}
    queue = DocumentQueue(profile, settings, mark_filed=lambda *_: None, patient_exists=lambda _pid: None)
    return queue, profile


def _ingest(queue: DocumentQueue, data: bytes, message_id: str):
    (queued,) = queue.ingest_message(message_id, [("IHE_XDM.ZIP", "application/zip", data)], lambda _i: AUTO)
    return queued


def test_a_correction_replaces_the_filed_file_and_undo_brings_the_first_back(tmp_path: Path) -> None:
    queue, profile = _queue(tmp_path)
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    original = _ingest(queue, first.data, "<m1@x>")
    assert original.state == "filed"
    path = Path(original.filed_path)
    assert path.read_bytes() == first.data

    second = letter_package(
        PATIENT, AUTHOR, title="Courrier", text="Version 2", replaces=first.entry_uuids[0]
    )
    correction = _ingest(queue, second.data, "<m2@x>")
    assert correction.applied_to == original.id  # applied, not filed a second time
    files = list(path.parent.iterdir())
    assert [f.read_bytes() for f in files if f.is_file()] == [second.data]  # one file: the corrected one
    replaced = queue.get(original.id)
    assert replaced.state == "filed" and replaced.replaced_by == correction.id
    assert [d.id for d in queue.pending()] == []  # nothing waits: the correction is applied
    actions = [r["action"] for r in profile.audit.records]
    assert "replace" in actions and "replacement" in actions

    restored, undone = queue.take_back(original.id, actor="dr")
    assert undone == "correction"  # the first version filed again: not 'the document waits for a decision'
    assert restored.state == "filed" and restored.previous_blob is None
    files = [f for f in Path(restored.filed_path).parent.iterdir() if f.is_file()]
    assert [f.read_bytes() for f in files] == [first.data]  # the first version is back, alone


def test_a_correction_of_a_waiting_document_sets_the_original_aside(tmp_path: Path) -> None:
    queue, _profile = _queue(tmp_path)
    review = MatchResult("review", None, (Candidate("p-1", 0.8),))
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    (doc,) = read_document(first.data, "IHE_XDM.ZIP").documents
    original = queue.ingest(doc, review, message_id="<m1@x>", raw=first.data)
    second = letter_package(
        PATIENT, AUTHOR, title="Courrier", text="Version 2", replaces=first.entry_uuids[0]
    )
    (doc2,) = read_document(second.data, "IHE_XDM.ZIP").documents
    correction = queue.ingest(doc2, review, message_id="<m2@x>", raw=second.data)
    assert queue.get(original.id).state == "rejected" and queue.get(original.id).replaced_by == correction.id
    assert [d.id for d in queue.pending()] == [correction.id]


def test_a_correction_whose_metadata_names_another_patient_replaces_nothing_on_its_own(tmp_path: Path) -> None:
    """A correction is applied to the filed original without a click; not one whose XDM metadata names
    another patient than its CDA: it waits for a person, the filed original untouched."""
    import re

    queue, _ = _queue(tmp_path)
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    original = _ingest(queue, first.data, "<m1@x>")
    (first_id,) = first.entry_uuids
    second = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 2 corrigée", replaces=first_id)
    rewritten = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(second.data)) as src, zipfile.ZipFile(rewritten, "w") as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename.endswith("METADATA.XML"):
                content, n = re.subn(rb"PID-5\|[^<]*", b"PID-5|AUTRE^PATIENT^^^^^L", content)
                assert n
            dst.writestr(info, content)
    correction = _ingest(queue, rewritten.getvalue(), "<m2@x>")
    assert correction.envelope is not None and correction.state == "waiting" and not correction.applied_to
    assert Path(original.filed_path).read_bytes() == first.data
    assert queue.get(original.id).replaced_by is None


def test_a_correction_naming_another_patient_than_the_filed_original_replaces_nothing_on_its_own(
    tmp_path: Path,
) -> None:
    """An "annule et remplace" whose document names another patient than the one it replaces (a lab fixing a
    document sent under the wrong patient, or an entry id reused): the file filed for the first patient is
    left as it is and the correction waits for a person, never filed by itself. It replaced the first
    patient's file with the other patient's document."""
    import datetime as dt

    from core.model import Identity

    other = Identity(
        family_name="DURAND", given_names=("Paul",), birth_date=dt.date(1970, 1, 2), sex="M", ins=None
    )
    queue, _ = _queue(tmp_path)
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    original = _ingest(queue, first.data, "<m1@x>")
    assert original.state == "filed"
    second = letter_package(other, AUTHOR, title="Courrier", text="Version 2", replaces=first.entry_uuids[0])
    p2 = MatchResult("auto", "p-2", (Candidate("p-2", 0.99, ("traits",)),))
    (correction,) = queue.ingest_message(
        "<m2@x>", [("IHE_XDM.ZIP", "application/zip", second.data)], lambda _i: p2
    )
    assert not correction.applied_to and correction.state == "waiting" and correction.decision == "review"
    assert Path(original.filed_path).read_bytes() == first.data
    assert [f.read_bytes() for f in (tmp_path / "lgc").rglob("*") if f.is_file()] == [first.data]
    assert queue.get(original.id).replaced_by is None and queue.get(original.id).state == "filed"


def test_a_correction_naming_another_patient_leaves_a_waiting_original_waiting(tmp_path: Path) -> None:
    import datetime as dt

    from core.model import Identity

    other = Identity(family_name="DURAND", given_names=("Paul",), birth_date=dt.date(1970, 1, 2), sex="M")
    queue, _profile = _queue(tmp_path)
    review = MatchResult("review", None, (Candidate("p-1", 0.8),))
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    (doc,) = read_document(first.data, "IHE_XDM.ZIP").documents
    original = queue.ingest(doc, review, message_id="<m1@x>", raw=first.data)
    second = letter_package(other, AUTHOR, title="Courrier", text="Version 2", replaces=first.entry_uuids[0])
    (doc2,) = read_document(second.data, "IHE_XDM.ZIP").documents
    correction = queue.ingest(doc2, review, message_id="<m2@x>", raw=second.data)
    assert queue.get(original.id).state == "waiting" and queue.get(original.id).replaced_by is None
    assert sorted(d.id for d in queue.pending()) == sorted([original.id, correction.id])


def test_a_correction_keeps_who_chose_the_patient_of_the_first_version(tmp_path: Path) -> None:
    """A correction goes to the patient chosen for the first version: filed automatically, it does not make a
    person's choice read « classé automatiquement » (b1632bd's filed_by)."""
    queue, _profile = _queue(tmp_path)
    first = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 1")
    (waiting,) = queue.ingest_message(
        "<m1@x>", [("IHE_XDM.ZIP", "application/zip", first.data)], lambda _i: MatchResult("review", None, ())
    )
    assert waiting.state == "waiting"
    assert queue.file(waiting.id, "p-1", actor="dr").filed_by == "hand"
    second = letter_package(PATIENT, AUTHOR, title="Courrier", text="Version 2", replaces=first.entry_uuids[0])
    correction = _ingest(queue, second.data, "<m2@x>")
    assert correction.applied_to == waiting.id
    replaced = queue.get(waiting.id)
    assert replaced.state == "filed" and replaced.replaced_by == correction.id
    assert replaced.filed_by == "hand"  # the person's choice stands
