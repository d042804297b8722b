"""What the core still does while the audit log is out of step with its seal, over a real profile and a Maildir
account: every action that must leave a record is refused before it changes anything (reading a stored letter
included), letters still arrive with their verdicts, their documents are held out of the queue, and the reseal
queues them, each with its record."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.errors import AuditBroken
from tests.filing.test_mail_to_filing import letter, synced_practice

TRUSTED = "labo@labo-ormes.mssante.fr"


def _cut_last(log: Path) -> None:
    log.write_bytes(b"".join(ln + b"\n" for ln in log.read_bytes().splitlines()[:-1]))


def test_audited_work_waits_for_the_reseal_and_documents_that_came_meanwhile_are_queued_then(
    tmp_path: Path,
) -> None:
    mr, lgc = synced_practice(tmp_path, {"1.result": letter(TRUSTED, 1)})
    [first] = mr.messages.list()
    [doc] = mr.documents.list()
    log = mr.profile.path / "audit" / "log"
    assert mr.audit_break() is None
    _cut_last(log)
    line = mr.audit_break()
    assert line is not None and "missive audit reseal --profile" in line and "\n" not in line

    before = log.read_bytes()
    with pytest.raises(AuditBroken):
        mr.read_message(first.id, actor="test")  # a read that cannot leave its record is not done
    csv = tmp_path / "patients.csv"
    csv.write_text("id,birth_name,used_name,given_names,birth_date,sex,ins\nP-9,MARTIN,,Luc,1950-01-01,M,\n")
    with pytest.raises(AuditBroken):
        mr.import_patients(csv)
    assert mr.patient_count() == 2
    with pytest.raises(AuditBroken):
        mr.undo_filing(doc.id, actor="test")
    assert mr.documents.get(doc.id).state == doc.state
    with pytest.raises(AuditBroken):
        asyncio.run(mr.flush_outbox())
    assert log.read_bytes() == before  # nothing written, nothing half done

    # a letter with a result arrives meanwhile: stored, judged, its document held out of the queue
    (tmp_path / "Maildir" / "new" / "2.result").write_bytes(letter("labo.ormes@gmail.example", 2))
    asyncio.run(mr.sync())
    second = next(m for m in mr.messages.list() if m.id != first.id)
    meta = mr.messages.doc(second.id)
    assert meta["documents_held"] and meta["trust"] == "quarantine"
    assert [d.id for d in mr.documents.list()] == [doc.id]
    assert log.read_bytes() == before

    details = mr.audit_reseal()
    assert details["held_letters"] == 1
    queued = [d for d in mr.documents.list() if d.id != doc.id]
    assert len(queued) == 1 and queued[0].state == "waiting"  # from outside the trust space: a person decides
    assert not mr.messages.doc(second.id)["documents_held"]
    actions = [(r["action"], r["object"]) for r in mr.audit_records()]
    assert actions[0] == ("audit", "break") and ("document", queued[0].id) in actions
    mr.read_message(first.id, actor="test")
    assert mr.audit_records()[-1]["action"] == "read" and mr.audit_problem() is None
    assert mr.audit_break() is None


def test_a_letter_stored_by_a_sync_racing_the_reseal_gets_its_documents_at_the_next_sync(
    tmp_path: Path,
) -> None:
    """'missive audit reseal' in a terminal while 'missive daemon' syncs: the daemon's hook held a letter's
    documents (the log still broken), the reseal in the other process looked for held letters before that letter
    was stored, found none, and nothing would ever look again: its result never reached À classer nor the
    patient's file. The next sync, the log in step, queues what is still held."""
    from core.mailroom import Mailroom
    from tests.filing.test_mail_to_filing import PASS

    mr, _lgc = synced_practice(tmp_path, {"1.result": letter(TRUSTED, 1)})
    [doc] = mr.documents.list()
    _cut_last(mr.profile.path / "audit" / "log")
    (tmp_path / "Maildir" / "new" / "2.result").write_bytes(letter(TRUSTED, 2))
    hook = mr.on_new_message
    resealed: list[dict] = []

    def meanwhile(raw: bytes, store_id: str | None = None, **kw: object) -> dict:
        meta = hook(raw, store_id, **kw)  # type: ignore[arg-type]
        if meta.get("documents_held") and not resealed:  # held; the letter is not stored yet
            resealed.append(Mailroom.open(mr.profile.path, PASS).audit_reseal())  # the other process
        return meta

    mr.on_new_message = meanwhile  # type: ignore[method-assign]
    asyncio.run(mr.sync())
    assert resealed and resealed[0]["held_letters"] == 0  # it came too late for the reseal
    # the sync that stored it queues its documents as it ends, the log in step again
    assert not [m for m in mr.messages.list() if mr.messages.doc(m.id).get("documents_held")]
    assert len([d for d in mr.documents.list() if d.id != doc.id]) == 1
    assert mr.audit_problem() is None
    assert (mr.profile.path / "audit" / "log").read_bytes().count(b"\n") >= 2  # the break, the document


def test_the_daemons_round_queues_what_its_hook_held_once_the_log_is_resealed(tmp_path: Path) -> None:
    """The same race through 'missive daemon''s rounds (Mailroom.idle, not Mailroom.sync): its hook held the
    letter, the reseal ran elsewhere first; the round that stored the letter queues its documents."""
    from core.mailroom import Mailroom
    from tests.filing.test_mail_to_filing import PASS

    mr, _lgc = synced_practice(tmp_path, {"1.result": letter(TRUSTED, 1)})
    [doc] = mr.documents.list()
    _cut_last(mr.profile.path / "audit" / "log")
    (tmp_path / "Maildir" / "new" / "2.result").write_bytes(letter(TRUSTED, 2))
    hook = mr.on_new_message
    resealed: list[dict] = []

    def meanwhile(raw: bytes, store_id: str | None = None, **kw: object) -> dict:
        meta = hook(raw, store_id, **kw)  # type: ignore[arg-type]
        if meta.get("documents_held") and not resealed:
            resealed.append(Mailroom.open(mr.profile.path, PASS).audit_reseal())
        return meta

    mr.on_new_message = meanwhile  # type: ignore[method-assign]
    assert asyncio.run(mr.idle("cabinet", timeout=0.5)) >= 0
    assert resealed and resealed[0]["held_letters"] == 0
    assert not [m for m in mr.messages.list() if mr.messages.doc(m.id).get("documents_held")]
    assert len([d for d in mr.documents.list() if d.id != doc.id]) == 1
