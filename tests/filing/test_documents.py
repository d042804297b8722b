"""The document queue: automatic and manual filing, undo, reject; audited by id; $Filed on the message."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.clinical.readers import read_document
from core.errors import BadInput, ConfigError, NotFound
from core.model import Candidate, MatchResult
from core.practice.documents import DocumentQueue
from tests.filing.fakes import MemoryProfile

DATA = Path(__file__).resolve().parent.parent / "data" / "filing"
RAW = (DATA / "hprim_net_cp1252_crlf.hpr").read_bytes()


@pytest.fixture
def document():
    return read_document(RAW, "res.hpr").documents[0]


@pytest.fixture
def marks() -> list[tuple[str, bool]]:
    return []


def make_queue(tmp_path: Path, marks: list, **section) -> tuple[DocumentQueue, MemoryProfile]:
    profile = MemoryProfile(tmp_path / "profile")
    settings = {"preset": "generic", "folder": str(tmp_path / "lgc"), "auto": True, **section}
    queue = DocumentQueue(
        profile, settings, mark_filed=lambda mid, filed: marks.append((mid, filed)), patient_exists=_known
    )
    return queue, profile


def _known(patient_id: str) -> None:
    if patient_id not in ("p-1", "p-2"):
        raise NotFound(f"no patient with id {patient_id}")


AUTO = MatchResult("auto", "p-1", (Candidate("p-1", 0.99, ("INS",)),))
REVIEW = MatchResult("review", None, (Candidate("p-2", 0.8), Candidate("p-1", 0.78)))


def test_auto_decision_is_filed_with_original_bytes_and_audited(tmp_path, marks, document) -> None:
    queue, profile = make_queue(tmp_path, marks)
    filed = queue.ingest(document, AUTO, message_id="m-1", attachment="res.hpr", raw=RAW)
    assert filed.state == "filed" and filed.patient_id == "p-1"
    path = Path(filed.filed_path)
    assert path.parent == tmp_path / "lgc" and path.read_bytes() == RAW
    record = [r for r in profile.audit.records if r["action"] == "file"][0]
    assert record["object"] == filed.id and record["patient"] == "p-1" and record["actor"] == "auto"
    # ids only: no name of the patient anywhere in the audit trail
    assert document.identity.family_name not in repr(profile.audit.records)
    assert marks == [("m-1", True)]


def test_review_decision_waits_then_is_filed_by_a_person(tmp_path, marks, document) -> None:
    queue, profile = make_queue(tmp_path, marks)
    waiting = queue.ingest(document, REVIEW, message_id="m-2", raw=RAW)
    assert waiting.state == "waiting" and not (tmp_path / "lgc").exists()
    assert [d.id for d in queue.pending()] == [waiting.id]
    filed = queue.file(waiting.id, "p-1", actor="dr")
    assert filed.state == "filed" and Path(filed.filed_path).read_bytes() == RAW
    assert queue.pending() == [] and [d.id for d in queue.filed()] == [waiting.id]
    assert profile.audit.records[-1]["actor"] == "dr"


def test_undo_puts_the_document_back_in_review(tmp_path, marks, document) -> None:
    queue, profile = make_queue(tmp_path, marks)
    filed = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    undone, what = queue.take_back(filed.id, actor="dr")
    assert what == "filing"
    assert undone.state == "waiting" and undone.decision == "review" and undone.patient_id is None
    assert list((tmp_path / "lgc").iterdir()) == []
    # what was in the import folder is kept in the (encrypted) blob store, never as a clear file
    assert queue.quarantined(filed.id) == RAW and undone.quarantine_path is None
    assert not (tmp_path / "profile" / "quarantine").exists()
    assert profile.audit.records[-1]["action"] == "undo"
    assert marks == [("m-1", True), ("m-1", False)]
    refiled = queue.file(filed.id, "p-2", actor="dr")  # and it can be filed again, for the right patient
    assert refiled.patient_id == "p-2"


def test_adding_twice_does_not_duplicate(tmp_path, marks, document) -> None:
    queue, _ = make_queue(tmp_path, marks)
    first = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    second = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    assert first.id == second.id and len(queue.list()) == 1
    assert len(list((tmp_path / "lgc").iterdir())) == 1


def test_unknown_patient_or_document(tmp_path, marks, document) -> None:
    queue, _ = make_queue(tmp_path, marks)
    waiting = queue.add(document, REVIEW, message_id="m", raw=RAW)
    with pytest.raises(NotFound):
        queue.file(waiting.id, "p-unknown")
    with pytest.raises(NotFound, match="aucun document d'id d-nope.*documents list"):
        queue.file("d-nope", "p-1")
    assert queue.get(waiting.id).state == "waiting"


def test_filing_twice_and_undoing_a_waiting_document_are_refused(tmp_path, marks, document) -> None:
    queue, _ = make_queue(tmp_path, marks)
    waiting = queue.add(document, REVIEW, message_id="m", raw=RAW)
    with pytest.raises(BadInput, match="n'est pas classé"):
        queue.undo(waiting.id)
    queue.file(waiting.id, "p-1")
    with pytest.raises(BadInput, match="annulez d'abord le classement"):
        queue.file(waiting.id, "p-2")


def test_reject(tmp_path, marks, document) -> None:
    queue, profile = make_queue(tmp_path, marks)
    waiting = queue.add(document, REVIEW, message_id="m", raw=RAW)
    assert queue.reject(waiting.id, actor="dr").state == "rejected"
    assert queue.pending() == [] and profile.audit.records[-1]["action"] == "reject"


def test_a_rejection_is_undone_and_the_document_waits_again(tmp_path, marks, document) -> None:
    queue, profile = make_queue(tmp_path, marks)
    waiting = queue.add(document, REVIEW, message_id="m", raw=RAW)
    queue.reject(waiting.id, actor="secretariat")
    back, undone = queue.take_back(waiting.id, actor="secretariat")
    assert undone == "rejection"  # what the screen says: 'Rejet annulé', not 'Classement annulé'
    assert back.state == "waiting" and [q.id for q in queue.pending()] == [waiting.id]
    assert profile.audit.records[-1]["action"] == "undo"
    assert queue.file(waiting.id, "p-1").state == "filed"  # and it can be filed as usual


def test_auto_filing_off_or_no_folder_leaves_auto_documents_waiting(tmp_path, marks, document) -> None:
    queue, _ = make_queue(tmp_path, marks, auto=False)
    assert queue.ingest(document, AUTO, message_id="m", raw=RAW).state == "waiting"
    queue2, _ = make_queue(tmp_path / "b", marks, folder="")
    waiting = queue2.ingest(document, AUTO, message_id="m", raw=RAW)
    assert waiting.state == "waiting"
    with pytest.raises(ConfigError, match=r"aucun dossier de classement : réglez \[filing\] folder"):
        queue2.file(waiting.id, "p-1")


def test_two_documents_same_patient_same_day(tmp_path, marks, document) -> None:
    queue, _ = make_queue(tmp_path, marks, template="{date}_{patient}")
    a = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    b = queue.ingest(document, AUTO, message_id="m-2", raw=RAW + b"\r\n")
    assert a.filed_path != b.filed_path
    assert Path(a.filed_path).read_bytes() == RAW and Path(b.filed_path).read_bytes() == RAW + b"\r\n"


def test_listing_as_json_carries_no_identity(tmp_path, marks, document) -> None:
    queue, _ = make_queue(tmp_path, marks)
    queue.ingest(document, REVIEW, message_id="m", raw=RAW)
    row = queue.list()[0].to_json()
    assert row["decision"] == "review" and row["state"] == "waiting" and row["format"] == "hprim-net"
    assert document.identity.family_name not in repr(row)


def test_ingest_message_matches_queues_and_files(tmp_path, marks) -> None:
    """A message with a result for a known patient and an unreadable attachment: one filed, one skipped."""
    import datetime as dt

    from core.clinical.matching import PatientIndex
    from core.model import Patient

    doc = read_document(RAW, "res.hpr").documents[0]
    ident = doc.identity
    known = Patient(
        "p-1",
        ident.birth_name or ident.family_name,
        ident.family_name,
        ident.given_names,
        ident.birth_date,
        ident.sex,
    )
    index = PatientIndex([known, Patient("p-2", "AUTRE", "", ("Paul",), dt.date(1970, 1, 1), "M")])
    queue, _ = make_queue(tmp_path, marks)
    queued = queue.ingest_message(
        "m-9",
        [("res.hpr", "text/plain", RAW), ("photo.jpg", "image/jpeg", b"\xff\xd8\xff not clinical")],
        index.match,
    )
    assert len(queued) == 1
    [entry] = queued
    # all strict traits agree and nobody else comes close: filed without a click, original bytes
    assert entry.decision == "auto" and entry.patient_id == "p-1"
    assert entry.state == "filed" and Path(entry.filed_path).read_bytes() == RAW
    assert marks == [("m-9", True)]


def test_replace_filed_swaps_the_file_through_the_same_path(tmp_path, marks, document) -> None:
    """A newer version of a filed document (a corrected report): the old file leaves the import folder (its
    bytes kept encrypted), the new one is filed once for the same patient; audited as a replacement."""
    queue, profile = make_queue(tmp_path, marks)
    filed = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    newer = RAW.replace(b"****FIN****", b"CORRIGE\r\n****FIN****")
    replaced = queue.replace_filed(filed.id, newer, actor="segur")
    assert replaced.state == "filed" and replaced.patient_id == "p-1"
    assert [p.read_bytes() for p in (tmp_path / "lgc").iterdir()] == [newer]
    assert queue.quarantined(filed.id) == RAW and queue.raw(filed.id) == newer
    record = profile.audit.records[-1]
    assert record["action"] == "replace" and record["actor"] == "segur" and record["object"] == filed.id
    with pytest.raises(BadInput, match="rien à remplacer"):
        queue.replace_filed(queue.add(document, REVIEW, message_id="m-2", raw=RAW).id, newer)


@pytest.mark.parametrize("crash_in", ["withdraw", "write_temp", "publish"])
def test_a_replacement_interrupted_by_a_crash_is_finished_by_the_next_run(
    tmp_path, marks, document, monkeypatch, crash_in
) -> None:
    from core.practice import filing

    queue, profile = make_queue(tmp_path, marks)
    filed = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    newer = RAW + b"\r\nversion 2\r\n"
    original = getattr(filing, crash_in)

    def crash(*args, **kwargs):
        if crash_in != "withdraw":  # the old file has left already
            raise KeyboardInterrupt  # as a kill would: nothing after this point runs
        original(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(filing, crash_in, crash)
    with pytest.raises(KeyboardInterrupt):
        queue.replace_filed(filed.id, newer)
    monkeypatch.setattr(filing, crash_in, original)
    again = DocumentQueue(
        profile,
        {"preset": "generic", "folder": str(tmp_path / "lgc"), "auto": True},
        mark_filed=lambda mid, f: None,
        patient_exists=_known,
    )
    again.recover()
    doc = again.get(filed.id)
    assert doc.state == "filed" and doc.replacement is None and doc.patient_id == "p-1"
    assert [p.read_bytes() for p in (tmp_path / "lgc").iterdir()] == [newer]  # the new version, once
    assert again.quarantined(filed.id) == RAW


@pytest.mark.skipif(not hasattr(__import__("os"), "mkfifo"), reason="POSIX links and FIFOs")
@pytest.mark.parametrize("planted", ["symlink", "fifo"])
def test_a_link_or_fifo_in_place_of_a_filed_file_is_neither_read_nor_kept(
    tmp_path, marks, document, planted
) -> None:
    """Whoever can write the import folder (the practice software's share) swaps a filed file for a link to
    another file (another patient's report, a key) or a FIFO. The undo read the link's target into the
    profile as 'what was filed' (and a correction's undo wrote those bytes back into the import folder, for
    the practice software to import under this patient); a FIFO made the undo, or a correction arriving at
    sync, wait for ever."""
    import os

    queue, _ = make_queue(tmp_path, marks)
    filed = queue.ingest(document, AUTO, message_id="m-1", raw=RAW)
    path = Path(filed.filed_path)
    secret = tmp_path / "autre-patient.hpr"
    secret.write_bytes(b"H|autre patient|DURAND")
    path.unlink()
    if planted == "symlink":
        path.symlink_to(secret)
    else:
        os.mkfifo(path)
    with pytest.raises(NotFound, match="n'est plus un fichier ordinaire"):
        queue.take_back(filed.id, actor="dr")
    assert os.path.lexists(path)  # left where it is, for a person to look at
    assert queue.get(filed.id).state == "filed"
    with pytest.raises(NotFound):
        queue.quarantined(filed.id)
    # a correction: the new version is filed beside it, the planted entry neither read nor kept
    newer = RAW.replace(b"****FIN****", b"CORRIGE\r\n****FIN****")
    replaced = queue.replace_filed(filed.id, newer, actor="segur")
    assert Path(replaced.filed_path).read_bytes() == newer and os.path.lexists(path)
    assert b"DURAND" not in (queue.quarantined(filed.id) if queue.get(filed.id).quarantine_blob else b"")


@pytest.mark.skipif(not hasattr(__import__("os"), "symlink"), reason="POSIX links")
def test_a_patients_folder_that_is_a_link_is_not_filed_into(tmp_path, marks, document) -> None:
    """Layout patient-folders: a link put in the import folder in place of a patient's folder (to another
    patient's folder, or anywhere) took that patient's results there: the practice software then filed them
    in the other patient's record. Nothing is written through it; the document waits, and the line says
    which folder to look at."""
    from core.errors import StoreError
    from core.practice.filing import patient_folder

    queue, _ = make_queue(tmp_path, marks, layout="patient-folders")
    lgc = tmp_path / "lgc"
    other = lgc / patient_folder("p-2")
    other.mkdir(parents=True)
    (lgc / patient_folder("p-1")).symlink_to(other)
    waiting = queue.ingest(document, REVIEW, message_id="m-1", raw=RAW)
    with pytest.raises(StoreError, match="lien"):
        queue.file(waiting.id, "p-1", actor="dr")
    assert list(other.iterdir()) == []  # nothing landed in the other patient's folder
    assert queue.get(waiting.id).state == "waiting"


@pytest.mark.skipif(not hasattr(__import__("os"), "symlink"), reason="POSIX links")
def test_a_temporary_folder_that_is_a_link_gets_no_document(tmp_path, marks, document) -> None:
    """The hidden temporary folder in the import folder, swapped for a link to another place (a share others
    read, a USB stick): the document's bytes were written there in clear before being published."""
    from core.errors import StoreError
    from core.practice.filing import TEMP_DIR

    queue, _ = make_queue(tmp_path, marks)
    elsewhere = tmp_path / "ailleurs"
    elsewhere.mkdir()
    (tmp_path / "lgc").mkdir()
    (tmp_path / "lgc" / TEMP_DIR).symlink_to(elsewhere)
    waiting = queue.ingest(document, REVIEW, message_id="m-1", raw=RAW)
    with pytest.raises(StoreError, match="lien"):
        queue.file(waiting.id, "p-1", actor="dr")
    assert list(elsewhere.iterdir()) == [] and queue.get(waiting.id).state == "waiting"
