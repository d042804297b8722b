"""A fresh account whose mailbox is empty: Dossiers lists Réception (0/0) and the folders the sync found, instead
of an empty box until the first letter arrives."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.mail.account import Account
from core.mailroom import Mailroom

PASS = "une phrase de passe assez longue"


def _maildir(root: Path, *folders: str) -> None:
    for folder in ("", *folders):
        for sub in ("cur", "new", "tmp"):
            (root / (f".{folder}" if folder else "") / sub).mkdir(parents=True, exist_ok=True)


def test_an_empty_mailbox_lists_its_folders_after_its_first_sync(tmp_path: Path) -> None:
    room = Mailroom.create(tmp_path / "profile", PASS)
    _maildir(tmp_path / "M", "Sent", "Trash")
    room.accounts.add(Account(name="cabinet", email="dr@cabinet.test", kind="maildir", maildir=str(tmp_path / "M")))
    assert room.folders() == []  # nothing synced yet: nothing is known of the server
    asyncio.run(room.sync())
    assert room.folders() == ["INBOX", "Sent", "Trash"]
    counts = room.folder_counts()
    assert (counts["INBOX"].unread, counts["INBOX"].total) == (0, 0)


def test_a_letter_in_sent_only_still_lists_reception(tmp_path: Path) -> None:
    room = Mailroom.create(tmp_path / "profile", PASS)
    _maildir(tmp_path / "M", "Sent")
    letter = b"From: dr@cabinet.test\r\nTo: a@b.test\r\nSubject: x\r\nMessage-ID: <s1@c>\r\n\r\nbonjour\r\n"
    (tmp_path / "M" / ".Sent" / "cur" / "1.s.test:2,S").write_bytes(letter)
    room.accounts.add(Account(name="cabinet", email="dr@cabinet.test", kind="maildir", maildir=str(tmp_path / "M")))
    asyncio.run(room.sync())
    assert room.folders() == ["INBOX", "Sent"]
