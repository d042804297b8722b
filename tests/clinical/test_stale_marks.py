"""A letter analysed under older result rules keeps no stale '!' in the list: each stored analysis carries the
rules' version (``ANALYSIS_RULES``), and the first sync after an upgrade counts the old ones again from their
stored copies (no network), then the messages' marks follow. Before, a letter whose only "abnormal" lines were
antibiogram S lines (abnormal until 2026-12-07) kept its '!' until it was fetched again, that is never."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.clinical import ANALYSIS_RULES
from core.mail.account import Account
from core.mailroom import ANALYSIS_MARK, Mailroom

PASS = "une phrase de passe assez longue"
ORU = (
    b"MSH|^~\\&|LAB|L|DOC|D|202601020830||ORU^R01|1|P|2.5\r"
    b"PID|1||123^^^L||MARTIN^PAUL||19600201|M\r"
    b"OBR|1||X|ANTIBIO\r"
    b"OBX|1|ST|GEN^Gentamicine||<=1|mg/L||S|||F\r"
    b"OBX|2|ST|IPM^Imipeneme||<=0.25|mg/L||VS|||F\r"
    b"OBX|3|NM|K^Potassium||4.1|mmol/L|3.5-5.0||||F\r"
)


def _letter(oru: bytes = ORU) -> bytes:
    import base64

    body = base64.encodebytes(oru).decode()
    return (
        "From: labo@labo.test\r\nTo: dr@cabinet.test\r\nSubject: Antibiogramme\r\n"
        "Message-ID: <abx-1@labo.test>\r\nDate: Mon, 07 Dec 2026 08:00:00 +0100\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n'
        '--B\r\nContent-Type: application/octet-stream; name="resultat.hl7"\r\n'
        'Content-Disposition: attachment; filename="resultat.hl7"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        f"{body}\r\n--B--\r\n"
    ).encode()


def _room(tmp_path: Path, oru: bytes = ORU) -> Mailroom:
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "open"', 1), "utf-8")
    room = Mailroom.open(tmp_path / "profile", PASS)
    room.accounts.add(Account(name="cabinet", email="dr@cabinet.test", kind="maildir", maildir=str(tmp_path / "M")))
    for sub in ("cur", "new", "tmp"):
        (tmp_path / "M" / sub).mkdir(parents=True, exist_ok=True)
    (tmp_path / "M" / "new" / "1.abx.test").write_bytes(_letter(oru))
    return room


def _as_stored_before_the_rules_changed(room: Mailroom) -> str:
    """What a profile synced on 2026-12-06 holds: both S lines counted abnormal, no rules version, the '!'."""
    (summary,) = room.summaries("INBOX")
    ((key, doc),) = room.documents.docs.items()
    doc.pop("rules")
    room.documents.docs.put(key, {**doc, "abnormal": 2})
    room.messages.update_meta(summary.id, abnormal=True)
    room.messages.folders.delete(ANALYSIS_MARK)
    room.messages.refresh_list_index()
    return summary.id


def test_a_stale_mark_is_counted_again_at_the_next_sync(tmp_path: Path) -> None:
    room = _room(tmp_path)
    asyncio.run(room.sync())
    (summary,) = room.summaries("INBOX")
    assert not summary.abnormal  # today's rules: S and VS are no abnormal result
    message_id = _as_stored_before_the_rules_changed(room)
    assert room.summaries("INBOX")[0].abnormal  # the stale '!'

    heard: list[object] = []
    room.subscribe(heard.append)
    asyncio.run(room.sync())  # nothing new on the server: counted again from the stored copy
    (summary,) = room.summaries("INBOX")
    assert summary.id == message_id and not summary.abnormal
    ((_key, doc),) = room.documents.docs.items()
    assert doc["abnormal"] == 0 and doc["rules"] == ANALYSIS_RULES
    assert [type(e).__name__ for e in heard if type(e).__name__ == "MarksRefreshed"] == ["MarksRefreshed"]
    assert room.messages.folders.get(ANALYSIS_MARK) == {"rules": ANALYSIS_RULES}

    # once done, a sync reads the mark only: a document made stale by hand stays as it is
    ((key, doc),) = room.documents.docs.items()
    room.documents.docs.put(key, {**doc, "abnormal": 5})
    asyncio.run(room.sync())
    assert room.documents.docs.get(key)["abnormal"] == 5


def test_a_new_analysis_carries_todays_rules(tmp_path: Path) -> None:
    room = _room(tmp_path)
    asyncio.run(room.sync())
    ((_key, doc),) = room.documents.docs.items()
    assert doc["rules"] == ANALYSIS_RULES and doc["abnormal"] == 0


def test_a_value_beyond_its_range_unflagged_by_the_lab_gets_its_mark(tmp_path: Path) -> None:
    """The other rule of 2026-12-07: a value beyond its range with no flag from the lab is abnormal (computed).
    A letter stored before, counted 'aucun anormal', gets its '!' at the next sync."""
    beyond = ORU.replace(b"||4.1|mmol/L|3.5-5.0||", b"||5.9|mmol/L|3.5-5.0||")
    room = _room(tmp_path, beyond)
    asyncio.run(room.sync())
    assert room.summaries("INBOX")[0].abnormal
    (summary,) = room.summaries("INBOX")
    ((key, doc),) = room.documents.docs.items()
    doc.pop("rules")
    room.documents.docs.put(key, {**doc, "abnormal": 0})
    room.messages.update_meta(summary.id, abnormal=False)
    room.messages.folders.delete(ANALYSIS_MARK)
    room.messages.refresh_list_index()
    assert not room.summaries("INBOX")[0].abnormal  # as stored on 2026-12-06
    asyncio.run(room.sync())
    assert room.summaries("INBOX")[0].abnormal
    assert room.documents.docs.get(key)["abnormal"] == 1
