"""Reading DSNs and MDNs, attaching them to the sent letter, and answering read-receipt requests."""

from __future__ import annotations

import datetime as dt
import email
from pathlib import Path

from core.mail.receipts import (
    SentLetters,
    build_mdn,
    dsn_mail_options,
    dsn_options,
    may_answer_automatically,
    parse_report,
    xtext,
)
from tests.filing.fakes import MemoryProfile

POSTFIX_FAILURE = b"""From: Mail Delivery System <MAILER-DAEMON@missive.test>
Subject: Undelivered Mail Returned to Sender
To: pool1@missive.test
Date: Sun,  6 Dec 2026 15:22:14 +0000 (UTC)
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="B"

--B
Content-Type: text/plain; charset=utf-8

I'm sorry to have to inform you that your message could not be delivered.

--B
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; localhost
Original-Envelope-Id: <abc@x>
Arrival-Date: Sun,  6 Dec 2026 15:22:14 +0000 (UTC)

Final-Recipient: rfc822; 279035121518989@patient.mssante.fr
Original-Recipient: rfc822;279035121518989@patient.mssante.fr
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 <279035121518989@patient.mssante.fr> User doesn't exist:
    279035121518989@patient.mssante.fr

--B
Content-Type: text/rfc822-headers

From: pool1@missive.test
Subject: t
Message-ID: <abc@x>

--B--
"""

MSSANTE_MDN = b"""From: pfi@hopital.mssante.fr
To: dr@cabinet.mssante.fr
Date: Mon, 07 Dec 2026 08:00:00 +0100
Subject: Accuse de reception
MIME-Version: 1.0
Content-Type: multipart/report; report-type=disposition-notification; boundary="M"

--M
Content-Type: text/plain

ok
--M
Content-Type: message/disposition-notification

Final-Recipient: rfc822;pfi@hopital.mssante.fr
Original-Message-ID: <abc@x>
Disposition: automatic-action/MDN-sent-automatically; processed

--M--
"""


def test_postfix_failure_report_names_the_recipient_and_the_reason_without_addresses() -> None:
    report = parse_report(POSTFIX_FAILURE)
    assert report is not None and report.kind == "dsn" and report.original_message_id == "<abc@x>"
    (item,) = report.recipients
    assert item.recipient == "279035121518989@patient.mssante.fr" and item.state == "failed"
    assert item.reason == "550 5.1.1 [adresse] User doesn't exist: [adresse]"  # no INS in the reason
    assert item.at == dt.datetime(2026, 12, 6, 15, 22, 14, tzinfo=dt.UTC)


def test_mssante_processed_and_error_mdns() -> None:
    report = parse_report(MSSANTE_MDN)
    assert report is not None and report.kind == "mdn"
    assert [(r.recipient, r.state) for r in report.recipients] == [("pfi@hopital.mssante.fr", "processed")]
    error = MSSANTE_MDN.replace(b"; processed", b"; processed/Error: 902^Identifiant de patient inconnu")
    (item,) = parse_report(error).recipients
    assert item.state == "failed" and "Identifiant de patient inconnu" in item.reason


def test_ordinary_mail_is_not_a_report() -> None:
    assert parse_report(b"From: a@b.fr\r\nSubject: x\r\n\r\nbonjour") is None
    assert parse_report(b"Content-Type: multipart/report; report-type=other; boundary=x\r\n\r\n--x--") is None


def test_reports_attach_to_the_letter_and_never_go_back(tmp_path: Path) -> None:
    letters = SentLetters(MemoryProfile(tmp_path / "p"))
    letters.record("<abc@x>", "cabinet", ["a@y.fr", "279035121518989@patient.mssante.fr"], "CR")
    assert [r.state for r in letters.get("<abc@x>").recipients] == ["sent", "sent"]
    letters.apply(parse_report(POSTFIX_FAILURE))
    read = email.message_from_bytes(
        build_mdn(
            email.message_from_bytes(b"Message-ID: <abc@x>\r\nDisposition-Notification-To: d@c.fr\r\n\r\n"),
            "a@y.fr",
        )[1]
    )
    letters.apply(parse_report(read))
    delivered_late = parse_report(POSTFIX_FAILURE.replace(b"Action: failed", b"Action: delivered").replace(
        b"279035121518989@patient.mssante.fr", b"a@y.fr"))  # fmt: skip
    letters.apply(delivered_late)  # a late "remis" does not undo "lu"
    texts = [r.to_json()["text"] for r in letters.get("<abc@x>").recipients]
    assert texts[0].startswith("lu le ")
    assert texts[1].startswith("non remise : cette adresse n'existe pas chez le destinataire") and "550 5.1.1" in texts[1]
    assert letters.apply(parse_report(MSSANTE_MDN.replace(b"<abc@x>", b"<other@x>"))) is None


def test_dsn_parameters() -> None:
    assert xtext("a+b=c d") == "a+2Bb+3Dc+20d"
    assert dsn_options("a@b.fr") == ["NOTIFY=SUCCESS,FAILURE,DELAY", "ORCPT=rfc822;a@b.fr"]
    assert dsn_mail_options("<m@x>") == ["RET=HDRS", "ENVID=<m@x>"]
    assert dsn_mail_options("<" + "m" * 120 + "@x>") == ["RET=HDRS"]


def test_read_receipts_are_never_automatic_for_patients() -> None:
    assert may_answer_automatically("always", "dr@hopital.mssante.fr")
    assert not may_answer_automatically("always", "279035121518989@patient.mssante.fr")
    assert not may_answer_automatically("ask", "dr@hopital.mssante.fr")
    assert not may_answer_automatically("never", "dr@hopital.mssante.fr")


def test_the_read_receipt_carries_no_subject_or_text() -> None:
    original = email.message_from_bytes(
        b"From: a@x.fr\r\nMessage-ID: <m1@x.fr>\r\nDisposition-Notification-To: a@x.fr\r\n"
        b"Subject: Resultats DUPONT\r\n\r\nglycemie 2,1"
    )
    to, data = build_mdn(original, "b@y.fr")
    assert to == "a@x.fr" and b"DUPONT" not in data and b"glycemie" not in data
    assert parse_report(data).recipients[0].state == "read"


def test_always_answers_a_colleague_on_opening_never_a_patient(tmp_path: Path) -> None:
    from core.mail.account import Account
    from core.mail.messages import FolderState
    from core.mailroom import Mailroom

    folder = tmp_path / "profile"
    Mailroom.create(folder, "une phrase de passe assez longue")
    toml = folder / "profile.toml"
    text = toml.read_text("utf-8").replace('answer = "ask"', 'answer = "always"', 1)
    toml.write_text(text.replace("allow = []", 'allow = ["hopital.fr", "patient.mssante.fr"]', 1), "utf-8")
    room = Mailroom.open(folder, "une phrase de passe assez longue")
    room.accounts.add(
        Account(name="cabinet", email="dr@cabinet.fr", kind="maildir", maildir=str(tmp_path / "md"))
    )

    def letter(sender: str, n: int) -> bytes:
        return (
            f"From: {sender}\r\nTo: dr@cabinet.fr\r\nSubject: s\r\nMessage-ID: <l{n}@x>\r\n"
            f"Disposition-Notification-To: {sender}\r\n\r\nbonjour\r\n"
        ).encode()

    raws = [letter("confrere@hopital.fr", 1), letter("279035121518989@patient.mssante.fr", 2)]
    items = [(n, [], raw, room.on_new_message(raw)) for n, raw in enumerate(raws, 1)]
    colleague, patient = room.messages.store_new(FolderState("cabinet", "INBOX", 1), items)
    room.read_message(patient)
    assert len(room.outbox) == 0  # never automatic for a patient: the doctor is asked
    assert room.read_receipt_request(patient) == "279035121518989@patient.mssante.fr"
    room.read_message(colleague)
    room.read_message(colleague)  # opened twice, answered once
    (entry,) = room.outbox.list()
    assert entry.recipients == ("confrere@hopital.fr",)
    assert parse_report(room.outbox.data(entry)).recipients[0].state == "read"


def test_opening_asks_the_doctor_unless_the_setting_says_otherwise(tmp_path: Path) -> None:
    from core.mail.account import Account
    from core.mail.messages import FolderState
    from core.mailroom import Mailroom

    def room_with(answer: str, folder: Path) -> tuple[Mailroom, str, str]:
        Mailroom.create(folder, "une phrase de passe assez longue")
        toml = folder / "profile.toml"
        text = toml.read_text("utf-8").replace('answer = "ask"', f'answer = "{answer}"', 1)
        toml.write_text(
            text.replace("allow = []", 'allow = ["hopital.fr", "patient.mssante.fr"]', 1), "utf-8"
        )
        room = Mailroom.open(folder, "une phrase de passe assez longue")
        room.accounts.add(
            Account(name="c", email="dr@cabinet.fr", kind="maildir", maildir=str(folder / "md"))
        )
        raws = [
            f"From: {s}\r\nTo: dr@cabinet.fr\r\nSubject: s\r\nMessage-ID: <p{n}@x>\r\n"
            f"Disposition-Notification-To: {s}\r\n\r\nbonjour\r\n".encode()
            for n, s in enumerate(("confrere@hopital.fr", "279035121518989@patient.mssante.fr"))
        ]
        items = [(n, [], raw, room.on_new_message(raw)) for n, raw in enumerate(raws, 1)]
        colleague, patient = room.messages.store_new(FolderState("c", "INBOX", 1), items)
        return room, colleague, patient

    room, colleague, patient = room_with("ask", tmp_path / "ask")
    assert room.read_receipt_prompt(colleague) == "confrere@hopital.fr" and len(room.outbox) == 0
    room, colleague, patient = room_with("always", tmp_path / "always")
    assert room.read_receipt_prompt(colleague) == "" and len(room.outbox) == 1  # queued, not asked
    assert room.read_receipt_prompt(patient) == "279035121518989@patient.mssante.fr"  # a patient: asked
    room, colleague, patient = room_with("never", tmp_path / "never")
    assert room.read_receipt_prompt(colleague) == room.read_receipt_prompt(patient) == ""


def test_a_report_dated_at_the_end_of_the_calendar_is_said_not_an_error() -> None:
    """A delivery or read report whose date the local zone cannot hold (a recipient's device, or one crafted by
    anyone who got one of our letters) made describe() raise OverflowError, and with it the sent letters'
    statuses the inbox reads at each start."""
    import datetime as dt

    from core.mail.receipts import RecipientStatus, describe

    at = dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-12)))
    assert "31/12/9999 23:59" in describe(RecipientStatus("a@b.fr", "read", at))


def test_a_failure_is_said_in_french_from_its_status_code_then_the_servers_words() -> None:
    """The server's reason is often English ("User doesn't exist"): the doctor reads why in her words, from the
    DSN's RFC 3463 code, and the server's words after it; in English when the interface is."""
    from core.mail.receipts import RecipientStatus, describe, failure_reason
    from core.text import set_language

    (item,) = parse_report(POSTFIX_FAILURE).recipients
    assert item.status == "5.1.1"
    full = POSTFIX_FAILURE.replace(b"Status: 5.1.1", b"Status: 5.2.2").replace(b"550 5.1.1", b"552 5.2.2")
    assert describe(RecipientStatus("a@b.fr", "failed", None, "", parse_report(full).recipients[0].status)) == (
        "non remise : la boîte du destinataire est pleine"
    )
    assert failure_reason("5.7.26") == "refusée par le serveur du destinataire (sécurité ou règle du serveur)"
    assert failure_reason("4.4.1") == "acheminement impossible jusqu'au destinataire"
    assert failure_reason("", "902 Identifiant de patient inconnu") == "902 Identifiant de patient inconnu"
    assert failure_reason("") == "refusée par le serveur du destinataire"
    # a failure stored by an earlier version (no status kept): the code is read in the server's words
    old = RecipientStatus("a@b.fr", "failed", None, "550 5.1.1 [adresse] User unknown")
    assert describe(old).startswith("non remise : cette adresse n'existe pas")
    set_language("en")
    try:
        assert describe(old).startswith("not delivered: this address does not exist")
    finally:
        set_language("fr")


def test_success_reports_are_read_for_the_doctor_failures_stay_news(tmp_path: Path) -> None:
    """The sync hook: a report that the letter arrived is marked read and is no news; a failure report stays
    unread, is announced after the sync (NotDelivered) and counted beside Envoyés until she opens the letter."""
    from core.events import NotDelivered
    from core.mailroom import Mailroom

    room = Mailroom.create(tmp_path / "p", "une phrase de passe de test assez longue")
    room.sent_letters.record("<abc@x>", "cabinet", ["a@y.fr", "279035121518989@patient.mssante.fr"], "CR")
    heard: list[object] = []
    room.subscribe(heard.append)
    delivered = POSTFIX_FAILURE.replace(b"Action: failed", b"Action: delivered").replace(
        b"279035121518989@patient.mssante.fr", b"a@y.fr")  # fmt: skip
    meta = room.on_new_message(delivered)
    assert meta["receipt"] == "dsn" and meta.get("seen") is True and meta["receipt_for"] == "<abc@x>"
    assert meta["subject"] == "Avis de remise — remis : CR"  # the list's words, not the server's English
    failed = room.on_new_message(POSTFIX_FAILURE)
    assert "seen" not in failed and failed["receipt_for"] == "<abc@x>"
    assert failed["subject"] == "Avis de remise — non remise : CR"
    # the same report met again (moved to another folder by the webmail, fetched there): not news twice
    assert room.on_new_message(POSTFIX_FAILURE)["receipt_for"] == "<abc@x>"
    # a report about a letter that is not ours is left as it came
    assert "seen" not in room.on_new_message(delivered.replace(b"<abc@x>", b"<other@x>"))
    # so is one naming someone the letter never went to: anyone who knows its Message-ID (every recipient)
    # could write one, to slip a letter in read and unannounced; nothing of the letter changes
    stranger = delivered.replace(b"a@y.fr", b"quelquun@ailleurs.example")
    assert not {"seen", "subject"} & room.on_new_message(stranger).keys()  # listed as it came, its own subject
    both = stranger.replace(  # a second block: the letter's recipient, then the stranger
        b"Final-Recipient: rfc822; quelquun", b"Final-Recipient: rfc822; a@y.fr\nAction: delivered\n\nFinal-Recipient: rfc822; quelquun", 1)  # fmt: skip
    assert parse_report(both) is not None and len(parse_report(both).recipients) == 2
    assert "seen" not in room.on_new_message(both)
    # nor is a failure said for someone else: no 'non remise' toast for a letter that reached everyone
    room.on_new_message(POSTFIX_FAILURE.replace(b"279035121518989@patient.mssante.fr", b"quelquun@ailleurs.example"))
    room._report_review()
    assert [e for e in heard if isinstance(e, NotDelivered)] == [NotDelivered(1)]
    assert room.sent_letters.undelivered_unseen() == {"cabinet": 1}
    room.sent_letters.failure_seen("<abc@x>")
    assert room.sent_letters.undelivered_unseen() == {}
    # a failure stored by an earlier version (no failure_seen) is old news: an upgrade counts none of them
    from core.mail.receipts import _key

    room.sent_letters.record("<old@x>", "cabinet", ["a@y.fr"], "CR")
    doc = room.sent_letters.docs.get(_key("<old@x>"))
    doc.pop("failure_seen")
    doc["recipients"][0].update(state="failed", reason="550 5.1.1 unknown")
    room.sent_letters.docs.put(_key("<old@x>"), doc)
    assert room.sent_letters.undelivered_unseen() == {}
    # ... a late report about it changes nothing of that; a recipient newly failed is news
    room.sent_letters.apply(parse_report(POSTFIX_FAILURE.replace(b"<abc@x>", b"<old@x>").replace(
        b"279035121518989@patient.mssante.fr", b"a@y.fr")))  # fmt: skip
    assert room.sent_letters.undelivered_unseen() == {}
    room.sent_letters.record("<new@x>", "cabinet", ["a@y.fr", "b@y.fr"], "CR")
    assert room.sent_letters.undelivered_unseen() == {}
    room.sent_letters.apply(parse_report(POSTFIX_FAILURE.replace(b"<abc@x>", b"<new@x>").replace(
        b"279035121518989@patient.mssante.fr", b"b@y.fr")))  # fmt: skip
    assert room.sent_letters.undelivered_unseen() == {"cabinet": 1}


def test_always_asks_when_the_receipt_goes_elsewhere_than_the_sender(tmp_path: Path) -> None:
    """RFC 8098 §2.1: a receipt asked for another address than the sender's is not sent without the reader's
    consent. With answer = "always", opening a letter from a colleague whose Disposition-Notification-To names
    a third address queued a receipt to it: anyone could learn when the doctor read a letter."""
    from core.mail.account import Account
    from core.mail.messages import FolderState
    from core.mailroom import Mailroom

    folder = tmp_path / "profile"
    Mailroom.create(folder, "une phrase de passe assez longue")
    toml = folder / "profile.toml"
    text = toml.read_text("utf-8").replace('answer = "ask"', 'answer = "always"', 1)
    toml.write_text(text.replace("allow = []", 'allow = ["hopital.fr", "ailleurs.fr"]', 1), "utf-8")
    room = Mailroom.open(folder, "une phrase de passe assez longue")
    room.accounts.add(
        Account(name="cabinet", email="dr@cabinet.fr", kind="maildir", maildir=str(tmp_path / "md"))
    )
    raws = [
        (
            f"From: {sender}\r\nTo: dr@cabinet.fr\r\nSubject: s\r\nMessage-ID: <e{n}@x>\r\n"
            f"Disposition-Notification-To: {receipt}\r\n\r\nbonjour\r\n"
        ).encode()
        for n, (sender, receipt) in enumerate(
            (
                ("Dr Confrère <confrere@hopital.fr>", "suivi@ailleurs.fr"),
                ("Dr Confrère <confrere@hopital.fr>", "Dr Confrère <CONFRERE@hopital.fr>"),
            )
        )
    ]
    items = [(n, [], raw, room.on_new_message(raw)) for n, raw in enumerate(raws, 1)]
    elsewhere, same = room.messages.store_new(FolderState("cabinet", "INBOX", 1), items)
    assert room.read_receipt_prompt(elsewhere) == "suivi@ailleurs.fr"  # the doctor is asked
    assert len(room.outbox) == 0
    assert room.read_receipt_prompt(same) == ""  # to the sender itself: automatic, as the setting says
    (entry,) = room.outbox.list()
    assert [r.lower() for r in entry.recipients] == ["confrere@hopital.fr"]


def test_missive_sync_says_a_letter_was_not_delivered(capsys) -> None:
    from tui.daemonsync import print_reports

    counts = {"account": "cabinet", "new": 2, "flags_in": 0, "flags_out": 0, "expunged": 0}
    print_reports([{**counts, "undelivered": 1}, {**counts, "account": "autre", "undelivered": 0}])
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "cabinet: 1 lettre(s) non remise(s) : missive outbox sent dit à qui et pourquoi"
    assert len(lines) == 3  # nothing said for an account without a failure


def test_a_recipient_refused_at_sending_reads_in_the_readers_language(tmp_path: Path) -> None:
    """'refusé par le serveur à l'envoi' was stored as French text, read so under English (as the outbox's
    reasons were): it is stored as its code now, and the French stored by an older version reads in English."""
    from core.mail.receipts import _key
    from core.text import set_language

    letters = SentLetters(MemoryProfile(tmp_path / "p"))
    letters.record("<r@x>", "cabinet", ["a@y.fr", "b@y.fr"], "CR", refused=["b@y.fr"])
    doc = letters.docs.get(_key("<r@x>"))
    assert doc["recipients"][1]["reason"] == "receipts.refused-at-sending"
    older = {**doc, "message_id": "<o@x>"}
    older["recipients"] = [{**doc["recipients"][1], "reason": "refusé par le serveur à l'envoi"}]
    letters.docs.put(_key("<o@x>"), older)
    assert letters.get("<r@x>").recipients[1].to_json()["text"] == "non remise : refusé par le serveur à l'envoi"
    set_language("en")
    try:
        shown = letters.get("<r@x>").recipients[1].to_json()
        assert shown["text"] == "not delivered: refused by the server when sent"
        assert shown["reason"] == "refused by the server when sent"
        assert letters.get("<o@x>").recipients[0].to_json()["text"] == "not delivered: refused by the server when sent"
    finally:
        set_language("fr")


def test_a_delay_says_why_in_french_too() -> None:
    from core.mail.receipts import RecipientStatus, describe

    full = RecipientStatus("a@b.fr", "delayed", None, "452 4.2.2 Mailbox full", "4.2.2")
    assert describe(full) == (
        "retardé (la boîte du destinataire est pleine (réponse du serveur : 452 4.2.2 Mailbox full))"
    )
    odd = RecipientStatus("a@b.fr", "delayed", None, "451 4.0.0 later", "4.0.0")
    assert describe(odd).startswith("retardé (le serveur du destinataire n'a pas encore pris la lettre")
    assert describe(RecipientStatus("a@b.fr", "delayed", None, "greylisted")) == "retardé (greylisted)"
    delayed = parse_report(POSTFIX_FAILURE.replace(b"Action: failed", b"Action: delayed").replace(
        b"Status: 5.1.1", b"Status: 4.4.1").replace(b"550 5.1.1", b"451 4.4.1"))  # fmt: skip
    (item,) = delayed.recipients
    assert item.state == "delayed" and item.status == "4.4.1"
    assert describe(RecipientStatus("a@b.fr", "delayed", None, item.reason, item.status)).startswith(
        "retardé (le serveur du destinataire n'a pas encore pris la lettre ; le vôtre réessaie"
    )  # not 'acheminement impossible': it is still tried
