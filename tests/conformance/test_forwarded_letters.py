"""A letter that carries another (message/rfc822: "transférer en tant que pièce jointe", Outlook's attached
item) is read as two letters, the way Thunderbird shows it. Three of Thunderbird's own test messages
(comm-central, MPL-2.0):

- nestedMessages.eml: Batman's HTML letter carries Superman's, which carries Jimmy's. missive showed only the
  carried letters' plain words ("Message with multiple attachments. This message has an attachment"), as if
  Batman had written them, and dropped Batman's own text: every plain part anywhere was shown and all HTML
  dropped when there was one.
- attachedMessageWithMissingHeaders.eml: the same with a carried letter that has no From, Date or Subject.
- rfc822_base64_attachment.eml: the carried letter is base64-encoded (as Exchange sends it): missive showed
  the base64 as the letter's text, and a report inside it was never found.

The reader's text (core.mail.mime.read, what ``messages show`` and the TUI reader display) now gives the
outer letter's words first, then each carried letter under a line naming its sender, date and subject. One
test goes through the real Dovecot: a colleague forwards a lab's letter (HL7 report attached) base64-encoded;
after ``missive sync`` the report waits in À classer and the letter reads as two.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import email.utils
from pathlib import Path

import pytest

from core.mail import mime
from core.mailroom import Mailroom
from core.model import local_time
from tests.conformance.test_clinical_corpus import DATA
from tests.mail.helpers import imap_account

TB = DATA / "thunderbird"
PASS = "correct horse battery staple"


def _shown(date_header: str) -> str:
    when = local_time(email.utils.parsedate_to_datetime(date_header))
    assert isinstance(when, dt.datetime)
    return when.strftime("%d/%m/%Y %H:%M")


def test_a_letter_carrying_two_letters_reads_as_three():
    parsed, attachments = mime.read((TB / "nestedMessages.eml").read_bytes())
    assert (parsed.sender, parsed.subject) == ("bruce@wayne-enterprises.com", "Attached message with attachments")
    text = parsed.text
    # Batman's own words come first (they were dropped)
    assert text.startswith("This message has one normal attachment and one email attachment")
    superman = text.index("-------- Message joint --------\nDe : Superman <clark.kent@dailyplanet.com>\n")
    jimmy = text.index("-------- Message joint --------\nDe : Jimmy <jimmy.olsen@dailyplanet.com>\n")
    assert superman < text.index("Message with multiple attachments.") < jimmy
    assert jimmy < text.index("This message has an attachment")
    assert f"Date : {_shown('Wed, 17 May 2000 19:32:47 -0400')}\nObjet : Test message 1" in text
    assert f"Date : {_shown('Wed, 16 May 2000 19:32:47 -0400')}\nObjet : Test message 2" in text
    # the files of every letter are still there to open, in order
    assert [a.filename for a in attachments] == [
        "whitePixel.png",
        "greenPixel.png",
        "redPixel.png",
        "whitePixel.png",
        "yellowPixel.png",
    ]


def test_a_carried_letter_without_headers_is_still_set_apart():
    parsed, _ = mime.read((TB / "attachedMessageWithMissingHeaders.eml").read_bytes())
    assert parsed.text.splitlines()[:3] == [
        "This message has one email attachment with missing headers.",
        "",
        "-------- Message joint --------",
    ]
    assert parsed.text.rstrip().endswith("This is my body")


def test_a_base64_carried_letter_is_read_not_shown_as_base64():
    parsed, _ = mime.read((TB / "rfc822_base64_attachment.eml").read_bytes())
    assert "U3ViamVjdDog" not in parsed.text
    assert parsed.text.split("\n\n\n") == [
        "Outer body.",
        "-------- Message joint --------\nDe : alice@mime.test.invalid\nObjet : Hi\n\nHello.\n",
    ]


def test_the_reader_in_english_names_the_carried_letter():
    from core.text import set_language

    set_language("en")
    try:
        parsed, _ = mime.read((TB / "rfc822_base64_attachment.eml").read_bytes())
    finally:
        set_language("fr")
    assert "-------- Attached message --------\nFrom: alice@mime.test.invalid\nSubject: Hi" in parsed.text


REPORT = DATA / "nist" / "ORU_R01_2.5.1_SampleTestCase1.hl7"


def _forwarded_lab_letter() -> bytes:
    """A colleague forwards, as an attachment, the lab's letter with its HL7 report; the carried letter is
    base64-encoded, as Thunderbird's rfc822_base64_attachment.eml has it."""
    lab_letter = (
        (
            "From: labo@missive.test\r\nTo: confrere@missive.test\r\nSubject: Resultats\r\n"
            "Date: Mon, 07 Dec 2026 08:30:00 +0100\r\nMessage-ID: <labo-1@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="in"\r\n\r\n--in\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nVeuillez trouver le compte rendu.\r\n--in\r\n"
            f'Content-Type: application/octet-stream; name="{REPORT.name}"\r\n'
            f'Content-Disposition: attachment; filename="{REPORT.name}"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        + base64.encodebytes(REPORT.read_bytes())
        + b"--in--\r\n"
    )
    return (
        (
            "From: confrere@missive.test\r\nTo: doc@missive.test\r\nSubject: Tr: Resultats\r\n"
            "Message-ID: <fwd-1@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="out"\r\n\r\n--out\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nJe te transfère les résultats du labo.\r\n--out\r\n"
            'Content-Type: message/rfc822\r\nContent-Disposition: attachment; filename="Resultats.eml"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n"
        ).encode()
        + base64.encodebytes(lab_letter)
        + b"--out--\r\n"
    )


@pytest.mark.servers
def test_a_forwarded_lab_letter_through_a_sync(mail_servers, tmp_path: Path) -> None:
    user = mail_servers.add_user("fwd")
    mail_servers.deliver(user, _forwarded_lab_letter())
    profile = tmp_path / "p"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1), "utf-8"
    )
    room = Mailroom.open(profile, PASS)
    room.accounts.add(imap_account(mail_servers, user))

    asyncio.run(room.sync())

    room = Mailroom.open(profile, PASS)
    pending, filed = room.review_items()
    assert filed == []
    # the report inside the carried letter was found and waits for the doctor (it was never seen)
    assert [i.message_id for i in pending] == ["<fwd-1@missive.test>"]
    summaries, _ = room.list_messages()
    (summary,) = summaries
    view = room.read_message(summary.id)
    (report,) = [d.content for d in view.documents]
    assert report.identity.family_name == "Johnson"
    assert view.body.startswith("Je te transfère les résultats du labo.")
    assert "-------- Message joint --------\nDe : labo@missive.test\n" in view.body
    assert view.body.rstrip().endswith("Veuillez trouver le compte rendu.")
    assert [a.filename for a in view.attachments] == [REPORT.name]
