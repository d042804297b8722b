"""The app's contract (core.mailroom_api.MailroomAPI), the same scenarios against the TUI's fake and against the
real façade on a throwaway profile: what the app's tests exercise is what production does."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.errors import BadInput, NotFound
from core.mailroom_api import MailroomAPI
from core.model import DRAFTS_FOLDER, QUARANTINE_FOLDER, Attachment, Draft, MessageView
from tests.tui.fakes import BASE, DOCTOR, FakeMailroom, lab_message, plain_message

PASS = "correct horse battery staple"
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "p-1,DUPONT,,Jeanne,1956-03-14,F,\n"
    "p-2,DUPOND,,Jeannine,1956-03-14,F,\n"
    "p-3,LEROY,MARTIN,Louise Élise,1948-11-02,F,\n"
)
HTML_ONLY = (
    f"From: dr.durand@chu-test.mssante.fr\r\nTo: {DOCTOR}\r\nSubject: Compte rendu HTML\r\n"
    "Message-ID: <html@chu-test.mssante.fr>\r\nDate: Fri, 30 May 2025 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\n\r\n"
    "<html><body><p>Cher confr&egrave;re,</p><ul><li>TA 12/8</li></ul></body></html>\r\n"
).encode()


@dataclass
class Subject:
    """A façade and the two things a scenario reads besides the contract: its audit records, its name."""

    mailroom: MailroomAPI
    audited: Callable[[], list[tuple[str, str]]]
    name: str


def real_mailroom(tmp_path: Path) -> Subject:
    """A profile trusting *.mssante.fr, filing into a folder by hand only, with three patients and the fake's letters
    (plus an HTML-only one) in a Maildir account, synced once through the real hook."""
    from core.mail.account import Account
    from core.mailroom import Mailroom

    profile, lgc, maildir = tmp_path / "profile", tmp_path / "lgc", tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    mails = {
        "1.lab": lab_message(),
        "2.letter": plain_message(
            "dr.durand@chu-test.mssante.fr", "Compte rendu de consultation", BASE - dt.timedelta(days=1),
            "Cher confrère,\nVotre patiente va bien.\n",
        ),
        "3.outsider": plain_message("inconnu@gmail.test", "Question", BASE - dt.timedelta(days=2), "Bonjour\n"),
        "4.html": HTML_ONLY,
    }  # fmt: skip
    for name, raw in mails.items():
        (maildir / "new" / name).write_bytes(raw)
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1)
    text = text.replace('folder = ""', f'folder = "{lgc}"', 1).replace("auto = true", "auto = false", 1)
    settings.write_text(text, "utf-8")  # documents wait for a person, as the fake's do
    mr = Mailroom.open(profile, PASS)
    mr.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    mr.accounts.add(Account(name="cabinet", email=DOCTOR, kind="maildir", maildir=str(maildir)))
    asyncio.run(mr.sync())
    return Subject(mr, lambda: [(r["action"], r["object"]) for r in mr.audit.records()], "real")


def fake_mailroom(tmp_path: Path) -> Subject:
    fake = FakeMailroom()
    return Subject(fake, lambda: list(fake.audit), "fake")


@pytest.fixture(params=[fake_mailroom, real_mailroom], ids=["fake", "real"])
def subject(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Subject]:
    made = request.param(tmp_path)
    assert isinstance(made.mailroom, MailroomAPI)  # every member of the contract is there
    yield made
    made.mailroom.close()


def by_subject(subject: Subject, text: str, folder: str | None = None) -> str:
    return next(s.id for s in subject.mailroom.summaries(folder) if text in s.subject)


def test_lists_are_newest_first_and_the_quarantine_apart(subject: Subject) -> None:
    mr = subject.mailroom
    folders = mr.folders()
    assert folders[0] == "INBOX" and QUARANTINE_FOLDER in folders
    listed = mr.summaries(None)
    dates = [s.date for s in listed]
    assert dates == sorted(dates, key=lambda d: d or BASE, reverse=True)
    assert not any(s.sender == "inconnu@gmail.test" for s in listed)
    assert [s.sender for s in mr.summaries(QUARANTINE_FOLDER)] == ["inconnu@gmail.test"]
    assert listed.index_of(listed[0].id) == 0 and len(listed.matching("consultation")) == 1


def test_reading_a_message_is_audited_and_gives_text_parts_and_decisions(subject: Subject) -> None:
    mr = subject.mailroom
    lab = by_subject(subject, "Résultats")
    view = mr.read_message(lab, actor="tui")
    assert isinstance(view, MessageView) and view.summary.id == lab
    assert ("read", lab) in subject.audited()
    assert view.signed and "ci-joint" in view.body
    assert [a.filename for a in view.attachments] == ["res.hpr"]
    [part] = [d for d in view.documents if d.queued is not None]  # the queue's decision comes with it
    assert sum(o.abnormal for o in part.content.observations) == 2  # what the reader's table shows
    assert part.queued is not None and {c.patient_id for c, _ in part.queued.candidates} >= {"p-1"}
    mr.read_message(lab)
    assert subject.audited().count(("read", lab)) == 2  # every read, not the first only


def test_a_letter_not_signed_is_verified_as_not_signed_with_no_signers(subject: Subject) -> None:
    letter = plain_message("dr.durand@chu-test.mssante.fr", "Sans signature", BASE, "Bonjour\n")
    status, signers = subject.mailroom.verify_signers(letter)
    assert (status.valid, status.reason, signers) == (False, "sig.not-signed", ())


def test_an_outsider_is_flagged_and_mark_seen_sticks(subject: Subject) -> None:
    mr = subject.mailroom
    outsider = by_subject(subject, "Question", QUARANTINE_FOLDER)
    assert mr.read_message(outsider).outside_trust
    assert next(s for s in mr.summaries(QUARANTINE_FOLDER) if s.id == outsider).unread
    mr.mark_seen(outsider)
    assert not next(s for s in mr.summaries(QUARANTINE_FOLDER) if s.id == outsider).unread


def test_a_sync_asked_with_no_background_sync_running_asks_none(subject: Subject) -> None:
    assert subject.mailroom.sync_now() == 0  # the refresh key before the background sync starts: nothing to wake


def test_decisions_on_a_waiting_document(subject: Subject) -> None:
    mr = subject.mailroom
    pending, _filed = mr.review_items()
    waiting = next(i for i in pending if i.candidates)
    assert mr.review_count() == len(pending)
    filed = mr.file_document(waiting.id, "p-1", actor="tui")
    assert filed.state == "filed" and filed.patient is not None and filed.patient.id == "p-1"
    assert waiting.id in [i.id for i in mr.review_items()[1]]
    with pytest.raises(BadInput):
        mr.reject_document(waiting.id)  # filed: undo first
    undone = mr.undo_filing(waiting.id, actor="tui")
    assert undone.state == "waiting" and waiting.id in [i.id for i in mr.review_items()[0]]
    assert undone.undone == "filing"
    assert mr.reject_document(waiting.id).state == "rejected"
    assert waiting.id not in [i.id for group in mr.review_items() for i in group]
    with pytest.raises(BadInput):
        mr.file_document(waiting.id, "p-1")  # set aside: filed only once the rejection is taken back
    again = mr.undo_filing(waiting.id, actor="tui")  # the rejection taken back, and said to be one
    assert again.state == "waiting" and again.undone == "rejection"


def test_a_second_copy_of_a_waiting_document_is_listed_as_its_duplicate(subject: Subject, tmp_path: Path) -> None:
    """The lab's result again in another letter: not queued again; listed among the decided ones, saying which
    document stands for it and where that one is; no decision can be taken on it."""
    mr = subject.mailroom
    if isinstance(mr, FakeMailroom):
        mr.documents.add_duplicate()
    else:
        (tmp_path / "Maildir" / "new" / "5.lab-again").write_bytes(lab_message())  # another Message-ID
        asyncio.run(mr.sync())
    pending, decided = mr.review_items()
    [copy] = [i for i in decided if i.state == "duplicate"]
    [first] = [i for i in pending if i.id == copy.duplicate_of]
    assert mr.review_count() == len(pending) and copy.id not in {i.id for i in pending}
    assert copy.duplicate_note == f"doublon du document {first.id} (en attente de classement)"
    for decide in (mr.file_document, mr.reject_document, mr.undo_filing):
        with pytest.raises(BadInput, match=f"doublon de {first.id}"):
            decide(copy.id, *(("p-1",) if decide == mr.file_document else ()))
    mr.file_document(first.id, "p-1", actor="tui")  # the first is filed: the copy says so
    [copy] = [i for i in mr.review_items()[1] if i.state == "duplicate"]
    assert copy.duplicate_note.startswith(f"doublon du document {first.id}, déjà classé pour le patient n° p-1 (")


def test_a_file_that_could_not_be_read_waits_and_is_dealt_with(subject: Subject, tmp_path: Path) -> None:
    """A clinical file the reader refused: among the documents waiting (counted), the core's words saying what
    could not be read; marked dealt with (audited), out of the list; taken back; nothing else is."""
    mr = subject.mailroom
    if isinstance(mr, FakeMailroom):
        mr.documents.add_unreadable()
    else:
        from tests.filing.test_unreadable_servers import GLUED, letter

        (tmp_path / "Maildir" / "new" / "5.glued").write_bytes(letter("glued", ("cr.hl7", "text/plain", GLUED)))
        asyncio.run(mr.sync())
    pending, _decided = mr.review_items()
    [unreadable] = [i for i in pending if i.state == "unreadable"]
    # another file glued on (it may be another patient's): never filed by hand as it is, marked dealt with only
    assert unreadable.unreadable == "clinical.hl7v2.ligne-non-segment" and not unreadable.hand_fileable
    with pytest.raises(BadInput, match="deux fichiers collés"):
        mr.file_document(unreadable.id, "p-1", actor="tui")
    assert unreadable.set_aside == "dealt"  # x marks it dealt with; any other waiting document is rejected
    assert {i.set_aside for i in pending if i.state == "waiting"} == {"reject"}
    assert unreadable.unreadable_note.startswith("fichier HL7 v2 reçu mais illisible : le fichier HL7 contient")
    assert mr.review_count() == len(pending) and unreadable.candidates == ()
    waiting = next(i for i in pending if i.state == "waiting")
    with pytest.raises(BadInput):
        mr.mark_dealt_with(waiting.id)  # a document that was read is filed or rejected, never "dealt with"
    dealt = mr.mark_dealt_with(unreadable.id, actor="tui")
    assert dealt.state == "dealt" and ("dealt-with", unreadable.id) in subject.audited()
    assert unreadable.id not in {i.id for group in mr.review_items() for i in group}
    assert mr.review_count() == len(pending) - 1
    with pytest.raises(BadInput):
        mr.mark_dealt_with(unreadable.id)  # once
    with pytest.raises(BadInput):
        mr.file_document(unreadable.id, "p-1")  # set aside: filed only once taken back
    back = mr.undo_filing(unreadable.id, actor="tui")
    assert back.state == "unreadable" and back.undone == "dealt" and mr.review_count() == len(pending)


def test_patients_directory_and_recipients(subject: Subject) -> None:
    mr = subject.mailroom
    assert {p.id for p in mr.list_patients()} == {"p-1", "p-2", "p-3"}
    assert mr.patient("p-3") is not None and mr.patient("nobody") is None
    assert mr.directory_search("   ") == []
    refused = mr.letter_protection(["x@gmail.test"])
    assert not refused.can_send and [a for a, _ in refused.refused] == ["x@gmail.test"]
    clear = mr.letter_protection(["dr.durand@chu-test.mssante.fr"])  # allowed, no certificate known
    assert clear.can_send and not clear.encrypted and clear.unknown == ("dr.durand@chu-test.mssante.fr",)
    assert mr.describe_recipients(["dr.durand@chu-test.mssante.fr"])[
        "dr.durand@chu-test.mssante.fr"
    ].kind == ("colleague")


def test_drafts_are_kept_reopened_replaced_and_deleted(subject: Subject) -> None:
    mr = subject.mailroom
    draft = Draft(
        to=("dr.durand@chu-test.mssante.fr",), subject="Avis", body="Chère consœur",
        attachments=(Attachment("note.txt", "text/plain", b"une note"),),
    )  # fmt: skip
    draft_id = mr.save_draft(draft)
    assert [d.id for d in mr.drafts()] == [draft_id] and DRAFTS_FOLDER in mr.folders()
    assert mr.draft(draft_id).draft == draft  # attachments and all
    [row] = mr.summaries(DRAFTS_FOLDER)  # the Brouillons list's row: to whom, what, when saved, with files
    assert (row.id, row.to, row.subject, row.has_attachments, row.unread) == (
        draft_id, ("dr.durand@chu-test.mssante.fr",), "Avis", True, False,
    )  # fmt: skip
    assert row.date is not None and row.folder == DRAFTS_FOLDER
    assert mr.save_draft(Draft(to=(), subject="Avis 2", body=""), draft_id) == draft_id
    assert [d.draft.subject for d in mr.drafts()] == ["Avis 2"]
    mr.delete_draft(draft_id)
    assert mr.drafts() == [] and DRAFTS_FOLDER not in mr.folders()
    with pytest.raises(NotFound):
        mr.draft(draft_id)


def test_the_sent_folder_is_the_cores_decision(subject: Subject) -> None:
    """No SPECIAL-USE mark known (a Maildir account, a server without it): a folder of a usual Sent name."""
    mr = subject.mailroom
    assert mr.sent_folder("Sent") and not mr.sent_folder("INBOX") and not mr.sent_folder("Courrier parti")


def test_status_counts(subject: Subject) -> None:
    mr = subject.mailroom
    assert mr.outbox_count() == 0
    report = asyncio.run(mr.flush_outbox())  # the app looks at the outbox every minute: nothing due, nothing sent
    assert (report.sent, report.failed) == (0, 0) and mr.outbox_count() == 0
    report = asyncio.run(mr.send_outbox_now())  # ctrl+r: nothing waits, nothing is tried
    assert (report.sent, report.failed) == (0, 0) and mr.outbox_count() == 0
    assert mr.review_count() >= 1
    assert isinstance(mr.account_names(), list)


def _submission(subject: Subject, up: bool) -> None:
    """The submission server out of reach (a port nothing listens on) or back (the Maildir account then files its
    letters in Sent, as the demo's does)."""
    if isinstance(subject.mailroom, FakeMailroom):
        subject.mailroom.smtp_down = not up
        return
    from dataclasses import replace

    accounts = subject.mailroom.accounts  # type: ignore[attr-defined]  # the real façade's
    account = accounts.get("cabinet")
    accounts.add(replace(account, smtp_host="" if up else "127.0.0.1", smtp_port=587 if up else 1), replace=True)


def test_a_draft_saved_after_its_letter_left_stays_out_of_brouillons(subject: Subject) -> None:
    """The composer's typing-pause save (or a save worker already under way) landing after ctrl+s had sent or
    queued the letter brought its draft back in Brouillons: the letter out and a second copy to send (the
    fresh-clone CI's test_drafts_folder, 'Brouillons gone' never reached under load)."""
    from core.errors import KeptInOutbox

    mr = subject.mailroom
    letter = Draft(to=("dr.durand@chu-test.mssante.fr",), subject="Avis", body="Chère consœur")
    for up in (False, True):  # queued (the server out of reach), then sent
        _submission(subject, up=up)
        draft_id = mr.save_draft(letter)
        if up:
            asyncio.run(mr.send(letter, draft_id))
        else:
            with pytest.raises(KeptInOutbox):
                asyncio.run(mr.send(letter, draft_id))
        assert mr.save_draft(letter, draft_id) == draft_id  # the late save: said done, nothing kept
        assert mr.drafts() == [] and DRAFTS_FOLDER not in mr.folders()
        other = mr.save_draft(letter)  # a new letter is kept as ever
        assert [d.id for d in mr.drafts()] == [other]
        mr.delete_draft(other)


def test_the_outbox_listed_read_withdrawn_to_drafts_and_sent_again(subject: Subject) -> None:
    """À envoyer: each letter kept with its state and the core's reason; read-only (audited), withdrawn into
    Brouillons whole (audited), sent again on demand once the server is back (audited as sent)."""
    from core.errors import KeptInOutbox

    mr = subject.mailroom
    _submission(subject, up=False)
    avis = Draft(
        to=("dr.durand@chu-test.mssante.fr",), cc=("claire.martin@chu-test.mssante.fr",), subject="Avis",
        body="Cher confrère,\nmerci.\n", attachments=(Attachment("ecg.txt", "text/plain", b"rythme sinusal"),),
    )  # fmt: skip
    second = Draft(to=("dr.durand@chu-test.mssante.fr",), subject="Suite", body="Bien à vous\n")
    for draft in (avis, second):
        with pytest.raises(KeptInOutbox):
            asyncio.run(mr.send(draft))
    letters = mr.outbox_letters()
    assert [(x.subject, x.state, x.state_label) for x in letters] == [
        ("Avis", "waiting", "en attente"), ("Suite", "waiting", "en attente"),
    ]  # fmt: skip
    first = letters[0]
    assert set(first.recipients) == {"dr.durand@chu-test.mssante.fr", "claire.martin@chu-test.mssante.fr"}
    assert "connexion impossible" in first.reason and first.attempts == 1 and first.next_note
    assert first.queued is not None and first.can_resend and first.can_withdraw and not first.resend_question
    view = mr.outgoing_view(first.id, actor="tui")
    assert view.subject == "Avis" and "merci." in view.body and [a.filename for a in view.attachments] == ["ecg.txt"]
    assert any(action == "read" for action, _ in subject.audited())
    draft_id = mr.withdraw_outgoing(first.id, actor="tui")
    back = mr.draft(draft_id).draft
    assert (back.to, back.cc, back.subject, back.body.replace("\r\n", "\n")) == (
        avis.to, avis.cc, "Avis", "Cher confrère,\nmerci.\n",
    )  # fmt: skip
    assert [(a.filename, a.data) for a in back.attachments] == [("ecg.txt", b"rythme sinusal")]
    assert any(action == "withdraw" for action, _ in subject.audited())
    assert [x.subject for x in mr.outbox_letters()] == ["Suite"] and mr.outbox_count() == 1
    with pytest.raises(NotFound):
        mr.withdraw_outgoing(first.id)
    with pytest.raises(NotFound):
        asyncio.run(mr.send_outgoing(first.id))
    report = asyncio.run(mr.send_outgoing(letters[1].id))  # still out of reach: it waits, said why
    assert report.sent == 0 and mr.outbox_count() == 1
    assert "connexion impossible" in mr.outbox_letters()[0].reason
    _submission(subject, up=True)
    report = asyncio.run(mr.send_outgoing())
    assert report.sent == 1 and mr.outbox_count() == 0 and mr.outbox_letters() == []
    assert sum(action == "send" for action, _ in subject.audited()) == 1


def test_flag_unread_delete_undo_archive_and_counts(subject: Subject) -> None:
    mr = subject.mailroom
    letter = by_subject(subject, "Compte rendu de consultation", "INBOX")
    assert mr.folder_counts()["INBOX"].total == len(mr.summaries("INBOX"))
    assert not asyncio.run(mr.set_seen(letter, True)).unread
    before = mr.folder_counts()["INBOX"]
    assert asyncio.run(mr.set_flagged(letter, True)).flagged
    assert asyncio.run(mr.set_seen(letter, False)).unread
    assert mr.folder_counts()["INBOX"].unread == before.unread + 1
    assert "Trash" in mr.move_targets(letter) and "INBOX" not in mr.move_targets(letter)
    assert mr.delete_question(letter) == ""
    deleted = asyncio.run(mr.delete_message(letter, actor="tui"))
    assert (deleted.origin, deleted.folder, deleted.role) == ("INBOX", "Trash", "trash") and deleted.undoable
    assert ("delete", letter) in subject.audited()
    [in_trash] = mr.summaries("Trash")
    assert in_trash.id == deleted.message_id and in_trash.flagged and in_trash.unread
    assert mr.folder_counts()["INBOX"].total == before.total - 1
    assert mr.folder_counts()["Trash"] == type(before)(1, 1)
    assert mr.delete_question(deleted.message_id)  # in the Trash: a question first
    with pytest.raises(BadInput):
        asyncio.run(mr.delete_message(deleted.message_id))
    back = asyncio.run(mr.undo_move(actor="tui"))
    assert (back.folder, back.origin) == ("INBOX", "Trash")
    assert mr.folder_counts()["INBOX"].total == before.total
    with pytest.raises(NotFound, match="déjà annulé"):  # not 'aucun message déplacé depuis l'ouverture'
        asyncio.run(mr.undo_move())
    archived = asyncio.run(mr.archive_message(back.message_id))
    assert archived.role == "archive" and [s.id for s in mr.summaries(archived.folder)] == [
        archived.message_id
    ]
    gone = asyncio.run(
        mr.delete_message(asyncio.run(mr.delete_message(archived.message_id)).message_id, for_good=True)
    )
    assert gone.expunged and not gone.undoable and len(mr.summaries("Trash")) == 0
    with pytest.raises(NotFound, match="supprimé définitivement"):  # the last one moved is gone for good
        asyncio.run(mr.undo_move())


def test_undo_after_a_restart_says_where_the_message_went(tmp_path: Path) -> None:
    """The undo of a move is kept for the session only: after a restart u says so and where the message
    is (in the folder it went to; a deleted one in the Corbeille), not that nothing was ever moved."""
    from core.mailroom import Mailroom

    subject = real_mailroom(tmp_path)
    mr = subject.mailroom
    letter = by_subject(subject, "Compte rendu de consultation", "INBOX")
    deleted = asyncio.run(mr.delete_message(letter, actor="tui"))
    mr.close()
    again = Mailroom.open(tmp_path / "profile", PASS)
    try:
        with pytest.raises(NotFound) as said:
            asyncio.run(again.undo_move())
        assert "depuis l'ouverture de missive" in str(said.value) and "Corbeille" in str(said.value)
        assert [s.id for s in again.summaries("Trash")] == [deleted.message_id]  # where it went, still
    finally:
        again.close()


FILED_WITHOUT_INDEX = """
import json, sys
from pathlib import Path
from core.mailroom import Mailroom

mr = Mailroom.open(Path(sys.argv[1]), sys.argv[2])
filed = mr.filed_patients()
patient = mr.patient("p-1")
absent = mr.patient("p-nobody")
mr.close()
print(json.dumps({"filed": sorted(filed.values()), "patient": patient.birth_name if patient else None,
                  "absent": absent, "sqlite3": "sqlite3" in sys.modules,
                  "index": "core.store.patientindex" in sys.modules}))
"""


def test_the_patients_documents_were_filed_for_are_named_without_the_matching_index(tmp_path: Path) -> None:
    """The inbox's patient column (filed_patients, at each paint) reads the patients' collection, not the
    registry's matching index (its SQLite file, sqlite3, core.clinical.matching: about 0.9 MB of the app)."""
    from tests.fresh import fresh_json

    made = real_mailroom(tmp_path)
    mr = made.mailroom
    pending, _filed = mr.review_items()
    waiting = next(i for i in pending if i.candidates and i.message_id)
    mr.file_document(waiting.id, "p-1", actor="tui")
    mr.close()
    out = fresh_json(FILED_WITHOUT_INDEX, str(tmp_path / "profile"), PASS)
    assert out == {
        "filed": ["DUPONT Jeanne"],
        "patient": "DUPONT",
        "absent": None,
        "sqlite3": False,
        "index": False,
    }


LISTED_WITHOUT_SYNC = """
import json, sys
from pathlib import Path
from core.mailroom import Mailroom
from core.model import QUARANTINE_FOLDER

mr = Mailroom.open(Path(sys.argv[1]), sys.argv[2])
inbox = [s.subject for s in mr.summaries("INBOX")]
quarantine = [s.subject for s in mr.summaries(QUARANTINE_FOLDER)]
counts = mr.folder_counts()
mr.close()
print(json.dumps({"inbox": len(inbox), "quarantine": quarantine, "counted": QUARANTINE_FOLDER in counts,
                  "sync": sorted(m for m in ("core.mail.sync", "core.mail.imap", "aioimaplib") if m in sys.modules)}))
"""


def test_the_lists_and_the_quarantine_are_read_without_the_sync_engine(tmp_path: Path) -> None:
    """The inbox's list with letters in quarantine asks the mail operations for the accounts' Trash (folder
    roles) only: the sync engine, the IMAP client and aioimaplib (about 2.9 MB of the app) load when an
    operation goes to the server, which an app following a daemon never does itself."""
    from tests.fresh import fresh_json

    made = real_mailroom(tmp_path)
    expected = len(made.mailroom.summaries("INBOX"))
    made.mailroom.close()
    out = fresh_json(LISTED_WITHOUT_SYNC, str(tmp_path / "profile"), PASS)
    assert out == {"inbox": expected, "quarantine": ["Question"], "counted": True, "sync": []}


def test_completion_offers_past_correspondents_first_and_never_our_own_address(subject: Subject) -> None:
    mr = subject.mailroom
    [durand, *_] = mr.complete_address("dur")
    assert durand.address == "dr.durand@chu-test.mssante.fr" and durand.past and durand.letters >= 1
    assert mr.complete_address("chu test durand")[0].address == durand.address  # words of the address too
    assert mr.complete_address(DOCTOR.split("@")[0]) == []  # the practice's own address is no recipient
    assert mr.complete_address("d") == []  # one letter is not a search


def test_filed_patients_follow_the_queue_and_lists_sort_and_thread_in_the_core(subject: Subject) -> None:
    """The list's patient column says whom a message's documents were filed for, as the queue decides; the
    list's orders and conversations are the rows' own (MessageRows or SummaryList)."""
    mr = subject.mailroom
    pending, _filed = mr.review_items()
    waiting = next(i for i in pending if i.candidates and i.message_id)
    assert waiting.message_id not in mr.filed_patients()
    mr.file_document(waiting.id, "p-1", actor="tui")
    assert mr.filed_patients()[waiting.message_id] == "DUPONT Jeanne"
    mr.undo_filing(waiting.id, actor="tui")
    assert waiting.message_id not in mr.filed_patients()
    listed = mr.summaries(None)
    senders = [s.sender for s in listed.sorted_by("sender")]
    assert senders == sorted(senders) and len(senders) == len(listed)
    talk = listed.threaded()
    assert talk.conversations and sorted(s.id for s in talk) == sorted(s.id for s in listed)
    assert [talk.thread_mark(i) for i in range(len(talk))] == [""] * len(talk)  # no replies among them


def test_a_quarantined_message_thrown_away_is_in_the_trash_not_the_quarantine(subject: Subject) -> None:
    mr = subject.mailroom
    outsider = by_subject(subject, "Question", QUARANTINE_FOLDER)
    deleted = asyncio.run(mr.delete_message(outsider))
    assert [s.id for s in mr.summaries("Trash")] == [deleted.message_id]
    assert len(mr.summaries(QUARANTINE_FOLDER)) == 0 and QUARANTINE_FOLDER not in mr.folders()
    back = asyncio.run(mr.undo_move())
    assert [s.id for s in mr.summaries(QUARANTINE_FOLDER)] == [back.message_id]
    assert back.message_id not in [s.id for s in mr.summaries("INBOX")]


def test_the_review_screens_comparison_is_the_cores(subject: Subject) -> None:
    mr = subject.mailroom
    pending, _filed = mr.review_items()
    waiting = next(i for i in pending if i.candidates)
    right, homonym = mr.patient("p-1"), mr.patient("p-2")
    assert right is not None and homonym is not None
    assert mr.differing_traits(waiting.identity, right) == frozenset()  # DUPONT Jeanne, born 14/03/1956
    assert mr.differing_traits(waiting.identity, homonym) == {"name", "birth_name", "given"}
    assert waiting.no_candidate == ""  # candidates proposed: nothing to explain


def test_the_text_of_a_letter_already_read_is_searchable_and_no_other(subject: Subject) -> None:
    from core.model import matches

    mr = subject.mailroom

    def found(query: str, folder: str | None = None) -> list[str]:
        ids = {mid for mid, form in mr.read_words_by_message().items() if matches(query, form)}
        return [s.subject for s in mr.summaries(folder).matching(query, ids)]

    assert found("PATIENTE") == []  # in the letter's text, not yet read
    mr.read_message(by_subject(subject, "Compte rendu de consultation"))
    assert found("PATIENTE") == found("confrere") == ["Compte rendu de consultation"]
    assert found("ci-joint") == []  # the lab result's text: never opened
    letter = by_subject(subject, "Compte rendu de consultation")
    trashed = asyncio.run(mr.delete_message(letter)).message_id
    assert found("patiente", "Trash") == ["Compte rendu de consultation"]  # in the Corbeille: still found
    asyncio.run(mr.delete_message(trashed, for_good=True))
    assert found("patiente", "Trash") == [] and mr.read_words_by_message() == {}  # removed for good: its words too


def test_the_words_of_a_letter_read_words_later_are_kept_by_keep_read_words(subject: Subject) -> None:
    """The app shows the letter first, then writes its words (a write to the profile the letter waited for)."""
    from core.model import matches

    mr = subject.mailroom
    letter = by_subject(subject, "Compte rendu de consultation")

    def found() -> bool:
        return any(matches("patiente", form) for form in mr.read_words_by_message().values())

    view = mr.read_message(letter, words_later=True)
    assert "patiente" in view.body and not found()
    mr.keep_read_words()
    assert found()
    mr.keep_read_words()  # nothing more due: nothing changes
    assert found()


def test_a_setting_saved_is_the_one_used(subject: Subject) -> None:
    """The theme chosen in the app's palette is written to profile.toml and read back at once."""
    subject.mailroom.save_settings({"": {"theme": "light"}})
    assert subject.mailroom.settings.theme == "light"


def test_with_no_import_folder_the_core_says_nothing_is_filed_and_what_to_set(subject: Subject, tmp_path: Path) -> None:
    """À classer's notice: '' while [filing] folder is set; without it, the core's line naming the setting and the
    preset's suggested folder (both subjects say the same words)."""
    mr = subject.mailroom
    assert mr.filing_notice() == ""
    if isinstance(mr, FakeMailroom):
        mr.filing_folder = ""
        said = mr.filing_notice()
    else:
        from core.mailroom import Mailroom

        Mailroom.create(tmp_path / "bare", PASS)
        bare = Mailroom.open(tmp_path / "bare", PASS)
        said, _ = bare.filing_notice(), bare.close()
    assert said.startswith("rien n'est classé : réglez [filing] folder") and said.endswith("~/HPRIM/import")


def test_a_filed_document_says_how_when_for_whom_and_where(subject: Subject) -> None:
    """Entrée on a filed document in À classer shows the core's words: filed by hand, for which patient id, under
    which file name of the import folder, and that undoing takes it out."""
    mr = subject.mailroom
    waiting = next(i for i in mr.review_items()[0] if i.candidates)
    assert waiting.filed_note == ""
    filed = mr.file_document(waiting.id, "p-1", actor="tui")
    assert filed.filed_note.startswith("classé à la main le ") and "pour le patient p-1 : fichier " in filed.filed_note
    assert filed.filed_note.endswith("du dossier d'import (annuler le classement l'en retire)")
    assert mr.undo_filing(waiting.id, actor="tui").filed_note == ""
