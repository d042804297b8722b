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
    assert texts[0].startswith("lu le ") and texts[1].startswith("échec : 550 5.1.1")
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
