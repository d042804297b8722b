"""A filed document says who chose its patient: missive on the matcher's decision, or a person (sec11's review of
2c77b8f). The matcher's decision stays « auto » when a person files such a result by hand (with `[filing] auto`
off, or for another patient): the note, the À classer row and the reader said « classé automatiquement … pour le
patient P-2 », as if the matcher had chosen P-2. The core records how each filing was made and says it."""

from __future__ import annotations

from pathlib import Path

from core.clinical.readers import read_document
from core.mailroom import Mailroom
from core.model import Candidate, MatchResult

PASS = "phrase de passe du test"
RAW = (Path(__file__).resolve().parent.parent / "data" / "filing" / "hprim_net_cp1252_crlf.hpr").read_bytes()
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MARTIN,,Louis,1990-01-01,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)


def _practice(tmp_path: Path, auto: bool) -> Mailroom:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace('folder = ""', f'folder = "{tmp_path / "lgc"}"', 1)
    settings.write_text(text if auto else text.replace("\nauto = true", "\nauto = false", 1), "utf-8")
    mr = Mailroom.open(profile, PASS)
    mr.patients.import_csv(PATIENTS.encode(), name="p.csv")
    return mr


def _ingest(mr: Mailroom, message_id: str):
    document = read_document(RAW, "res.hpr").documents[0]
    decided = MatchResult("auto", "P-1", (Candidate("P-1", 0.99, ("INS",)),))
    return mr.documents.ingest(document, decided, message_id=message_id, attachment="res.hpr", raw=RAW)


def _item(mr: Mailroom, doc_id: str):
    _pending, filed = mr.review_items()
    return next(i for i in filed if i.id == doc_id)


def test_a_result_filed_by_hand_for_another_patient_is_said_filed_by_hand(tmp_path: Path) -> None:
    mr = _practice(tmp_path, auto=False)
    waiting = _ingest(mr, "m-1")
    assert waiting.state == "waiting" and waiting.decision == "auto"  # auto off: it waits for a person
    mr.file_document(waiting.id, "P-2", actor="secretariat")
    item = _item(mr, waiting.id)
    assert item.decision == "auto" and not item.filed_automatically
    assert item.filed_note.startswith("classé à la main le ") and "pour le patient P-2" in item.filed_note
    # read again by another process: the record says it
    again = _item(Mailroom.open(mr.profile.path, PASS), waiting.id)
    assert not again.filed_automatically and again.filed_note.startswith("classé à la main")


def test_a_result_filed_by_missive_is_said_filed_automatically_and_an_undo_forgets_it(tmp_path: Path) -> None:
    mr = _practice(tmp_path, auto=True)
    filed = _ingest(mr, "m-2")
    assert filed.state == "filed" and filed.filed_by == "auto"
    item = _item(mr, filed.id)
    assert item.filed_automatically and item.filed_note.startswith("classé automatiquement le ")
    mr.undo_filing(filed.id)
    back = mr.documents.get(filed.id)
    assert back.state == "waiting" and back.filed_by == ""
    mr.file_document(filed.id, "P-1", actor="dr")  # the same patient, chosen by a person this time
    assert not _item(mr, filed.id).filed_automatically


def test_a_filing_recorded_by_an_older_version_is_said_from_its_decision(tmp_path: Path) -> None:
    mr = _practice(tmp_path, auto=True)
    filed = _ingest(mr, "m-3")
    record = mr.profile.collection("documents").get(filed.id)
    record.pop("filed_by")
    mr.profile.collection("documents").put(filed.id, record)
    assert _item(Mailroom.open(mr.profile.path, PASS), filed.id).filed_automatically  # its decision: auto
