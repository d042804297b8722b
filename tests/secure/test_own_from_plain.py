"""Strict mode: a letter written in the clear with the practice's own address as its From, arriving in the
inbox, is a forgery anyone can make (the From is not checked by anyone): it goes to Quarantine like any
unsigned letter. The practice's own copies in its Sent folder (a webmail's, unsigned) stay as they are.
Before, every letter with our own From was taken for our own, wherever it was found, and never judged."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import QUARANTINE_FOLDER

PASS = "une phrase de passe assez longue"
OWN = "dr.martin@cabinet.test"
FORGED = (
    f"From: Dr Martin <{OWN}>\r\nTo: {OWN}\r\nSubject: Nouveau mot de passe\r\n"
    "Message-ID: <forged-1@ailleurs.example>\r\nDate: Mon, 07 Dec 2026 08:00:00 +0100\r\n"
    "Content-Type: text/plain; charset=us-ascii\r\n\r\nCliquez ici.\r\n"
).encode()
SENT_COPY = FORGED.replace(b"forged-1@ailleurs.example", b"sent-1@cabinet.test").replace(
    b"Nouveau mot de passe", b"Adressage"
)


def _room(tmp_path: Path, mode: str) -> Mailroom:
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    text = settings.read_text("utf-8").replace('mode = "trust-space"', f'mode = "{mode}"', 1)
    settings.write_text(text, "utf-8")
    room = Mailroom.open(tmp_path / "profile", PASS)
    assert room.trust.mode == mode
    room.accounts.add(Account(name="cabinet", email=OWN, kind="maildir", maildir=str(tmp_path / "Maildir")))
    return room


def test_strict_judges_our_plain_address_in_the_inbox_not_in_sent(tmp_path: Path) -> None:
    room = _room(tmp_path, "strict")
    meta = room.on_new_message(FORGED, "a" * 32, folder="INBOX")
    assert not meta.get("own") and meta.get("trust") == "quarantine"
    sent = room.on_new_message(SENT_COPY, "b" * 32, folder="Sent")
    assert sent.get("own") and "trust" not in sent
    assert room.on_new_message(SENT_COPY, "c" * 32, folder="INBOX.Sent").get("own")  # Dovecot's dotted name


def test_other_modes_keep_our_letters_ours(tmp_path: Path) -> None:
    room = _room(tmp_path, "open")
    assert room.on_new_message(FORGED, "a" * 32, folder="INBOX").get("own")


def _maildir(root: Path, letters: dict[str, bytes]) -> None:
    for folder, raw in letters.items():
        path = root if folder == "INBOX" else root / f".{folder}"
        for sub in ("cur", "new", "tmp"):
            (path / sub).mkdir(parents=True, exist_ok=True)
        (path / "cur" / f"1.{folder}.test:2,S").write_bytes(raw)


def test_a_sync_quarantines_the_forgery_and_keeps_the_sent_copy(tmp_path: Path) -> None:
    """Through the sync engine: the folder each letter is found in reaches the hook."""
    room = _room(tmp_path, "strict")
    _maildir(tmp_path / "Maildir", {"INBOX": FORGED, "Sent": SENT_COPY})
    asyncio.run(room.sync())
    quarantined = [s.message_id for s in room.summaries(QUARANTINE_FOLDER)]
    assert quarantined == ["<forged-1@ailleurs.example>"]
    assert [s.message_id for s in room.summaries("Sent")] == ["<sent-1@cabinet.test>"]
    assert [s.message_id for s in room.summaries("INBOX")] == []


def test_strict_judges_our_plain_address_in_every_folder_mail_is_delivered_to(tmp_path: Path) -> None:
    """Mail is delivered to more than 'INBOX' and 'Junk': a provider's spam filter puts it in 'Courrier
    indésirable' (Outlook in French), 'Junk E-mail', or Dovecot's 'INBOX.Junk' / 'INBOX.Spam'; a Sieve rule
    files a lab's letters in 'INBOX.Labo'. The forgery landed there as our own letter, never judged. Our
    copies stay ours in Sent, Drafts, Trash or Archive, under Dovecot's 'INBOX.' names too."""
    room = _room(tmp_path, "strict")
    delivered = ["INBOX.Junk", "INBOX.Spam", "Junk E-mail", "Courrier ind&AOk-sirable", "INBOX.Labo"]
    for n, folder in enumerate([*delivered, "INBOX/R&AOk-sultats"]):
        meta = room.on_new_message(FORGED, f"{n:032d}", folder=folder)
        assert not meta.get("own") and meta.get("trust") == "quarantine", folder
    for n, folder in enumerate(
        ["Sent", "INBOX.Sent", "Sent Items", "Envoy&AOk-s", "INBOX.Drafts", "Drafts", "INBOX/Trash",
         "Deleted Items", "INBOX.Archive", "Archives", "Corbeille", "Brouillons", "[Gmail]/Sent Mail",
         "Deleted Messages", "Messages envoy&AOk-s", "Archives/2024", "INBOX.Archive.2023", "Sent/Labo"]
    ):  # fmt: skip
        meta = room.on_new_message(SENT_COPY, f"{n + 100:032d}", folder=folder)
        assert meta.get("own") and "trust" not in meta, folder
