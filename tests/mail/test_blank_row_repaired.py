"""A letter stored with a blank list row (its header not read as it was stored: the import race fixed in 72423d4)
gets its row back when it is opened: the core reads its summary again from the letter, and the list shows it.

Before, such a letter stayed blank in the list for good (no sender, subject nor date) while the reader showed it
whole. The repair writes only the summary's fields, into the metadata as it is then: a flag set meanwhile, here or
in another process, is kept."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from core.mail import messages
from core.mail.messages import MessageStore
from core.mailroom import Mailroom
from core.store.profile import Profile

PASS = "correct horse battery staple"
RAW = (
    b"From: Laboratoire Test <labo@labo-test.mssante.fr>\r\nTo: dr.martin@cabinet.mssante.fr\r\n"
    b"Subject: Compte rendu de biologie\r\nDate: Tue, 01 Dec 2026 09:30:00 +0100\r\n"
    b"Message-ID: <cr-42@labo-test.mssante.fr>\r\n\r\nBonjour,\r\nvoici le compte rendu.\r\n"
)
BLANK = {"message_id": "", "from": "", "to": [], "subject": "", "date": None, "refs": []}  # summary_of's fallback


def _store(profile: Profile, raw: bytes, flags: list[str]) -> str:
    store = MessageStore(profile)
    state = store.folder_state("cabinet", "INBOX")
    state.uidvalidity = 7
    meta = {**BLANK, "encrypted": False, "signed": False, "has_attachments": False}  # as the race stored it
    [mid] = store.store_new(state, [(1, flags, raw, meta)])
    return mid


def test_a_blank_row_is_read_again_from_the_letter_when_it_is_opened(profile: Profile, profile_dir: Path) -> None:
    mid = _store(profile, RAW, ["\\Seen", "\\Flagged"])
    mailroom = Mailroom.open(profile_dir, PASS)
    assert mailroom.messages.get(mid).subject == ""  # listed blank
    view = mailroom.read_message(mid)
    assert view.summary_repaired and view.summary.subject == "Compte rendu de biologie"
    [row] = [s for s in Mailroom.open(profile_dir, PASS).messages.rows() if s.id == mid]  # as another process lists
    assert row.sender == "labo@labo-test.mssante.fr" and row.subject == "Compte rendu de biologie"
    assert row.date == dt.datetime(2026, 12, 1, 8, 30, tzinfo=dt.UTC) and row.to == ("dr.martin@cabinet.mssante.fr",)
    assert row.message_id == "<cr-42@labo-test.mssante.fr>"
    assert set(row.flags) == {"\\Seen", "\\Flagged"} and not row.unread  # the flags as they were
    assert not mailroom.read_message(mid).summary_repaired  # once: the row is no longer blank


def test_a_flag_set_while_the_header_is_read_again_is_kept(
    profile: Profile, profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The doctor (or the daemon, another process) flags the letter while the core reads its header again: the
    repair writes into the metadata as it is then, the flag stays."""
    mid = _store(profile, RAW, [])
    mailroom = Mailroom.open(profile_dir, PASS)
    other = MessageStore(Profile.open(profile_dir, PASS))  # another process's handle on the same profile
    read_again = messages.summary_of

    def meanwhile(raw: bytes, attachments: bool = True) -> dict:
        other.add_flags(mid, "\\Flagged")
        return read_again(raw, attachments)

    monkeypatch.setattr(messages, "summary_of", meanwhile)
    assert mailroom.read_message(mid).summary_repaired
    monkeypatch.undo()
    row = MessageStore(Profile.open(profile_dir, PASS)).get(mid)
    assert row.subject == "Compte rendu de biologie" and "\\Flagged" in row.flags


def test_a_letter_whose_header_says_nothing_is_left_as_it_is(profile: Profile, profile_dir: Path) -> None:
    """Nothing to read again (a letter without those headers, or nothing came): no write, nothing said repaired."""
    mid = _store(profile, b"X-Other: 1\r\n\r\ncorps\r\n", ["\\Seen"])
    mailroom = Mailroom.open(profile_dir, PASS)
    before = mailroom.messages.doc(mid)
    assert not mailroom.read_message(mid).summary_repaired
    assert mailroom.messages.doc(mid) == before
