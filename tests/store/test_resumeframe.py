"""core.store.resumeframe through the façade: the inbox's first frame kept sealed for the next start, given back
only under exactly the same key (the interface's view and the profile's stamp), never readable in clear, and a
damaged file is a normal start with a log line, never an exception."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.mail.messages import FolderState, MessageStore, summary_of
from core.mailroom import Mailroom
from core.store.resumeframe import FRAME_FILE

PASS = "cheval agrafe batterie"
VIEW = "missive 0.1.0\n80x24\nfr\n\n2026-12-07 +0100\nTERM=xterm-256color"
SUBJECT = "Compte rendu de Mme Aubertin-Vasseur"
SENDER = "Dr Hippolyte Quenardel"
# a frame as Textual writes it: cursor moves, colours, the list's words
FRAME = f"\x1b[1;1H\x1b[38;5;23;48;5;16m{SENDER}\x1b[0m  {SUBJECT}\n\x1b[2;1H Réception 1/1"


def letter(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{SENDER} <hq@hopital.mssante.fr>"
    msg["To"] = "dr.medecin@cabinet.mssante.fr"
    msg["Subject"] = f"{SUBJECT} {i}"
    msg["Date"] = "Mon, 01 Jun 2026 09:30:00 +0200"
    msg["Message-ID"] = f"<rf-{i}@hopital.mssante.fr>"
    msg.set_content("Cher confrère, voici le compte rendu.\n")
    return msg.as_bytes()


def store(mailroom: Mailroom, *numbers: int) -> None:
    state = FolderState("cabinet", "INBOX", uidvalidity=1)
    MessageStore(mailroom.profile).store_new(
        state, [(i, [], letter(i), summary_of(letter(i))) for i in numbers]
    )


@pytest.fixture
def mailroom(tmp_path: Path) -> Iterator[Mailroom]:
    opened = Mailroom.create(tmp_path / "profile", PASS)
    store(opened, 1, 2)
    opened.summaries()  # the list index is built (derived data: not part of the stamp)
    yield opened
    opened.close()


def kept_then_read(mailroom: Mailroom, view: str = VIEW) -> str | None:
    return mailroom.resume_frame(view)[1]


def test_a_frame_kept_is_given_back_under_the_same_key_only(mailroom: Mailroom) -> None:
    key, none = mailroom.resume_frame(VIEW)
    assert none is None and key  # nothing kept yet
    mailroom.keep_resume_frame(key, FRAME)
    assert mailroom.resume_frame(VIEW) == (key, FRAME)
    reopened = Mailroom.open(mailroom.profile.path, PASS)  # the next start
    try:
        assert reopened.resume_frame(VIEW) == (key, FRAME)
    finally:
        reopened.close()
    assert kept_then_read(mailroom, VIEW.replace("80x24", "81x24")) is None  # another size
    assert kept_then_read(mailroom, VIEW.replace("\nfr\n", "\nen\n")) is None  # another language
    assert kept_then_read(mailroom, VIEW.replace("2026-12-07", "2026-12-08")) is None  # the next day


def test_the_frame_is_sealed_and_private(mailroom: Mailroom) -> None:
    key, _ = mailroom.resume_frame(VIEW)
    mailroom.keep_resume_frame(key, FRAME)
    path = mailroom.profile.path / FRAME_FILE
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for found in mailroom.profile.path.rglob("*"):  # nowhere in the profile in clear
        if found.is_file():
            data = found.read_bytes()
            for words in (SUBJECT, SENDER, "Aubertin", "Quenardel"):
                assert words.encode() not in data, found
    log = (mailroom.profile.path / "missive.log").read_text("utf-8")
    assert "Aubertin" not in log and "Quenardel" not in log


@pytest.mark.parametrize(
    "change",
    ["message added", "flag changed", "message deleted", "setting changed", "theme added"],
)
def test_any_change_of_what_the_inbox_shows_makes_the_key_stale(mailroom: Mailroom, change: str) -> None:
    key, _ = mailroom.resume_frame(VIEW)
    mailroom.keep_resume_frame(key, FRAME)
    assert kept_then_read(mailroom) == FRAME
    messages = MessageStore(mailroom.profile)
    first = mailroom.summaries()[0].id
    if change == "message added":
        store(mailroom, 3)
    elif change == "flag changed":
        messages.add_flags(first, "\\Seen")
    elif change == "message deleted":
        messages.forget_message(first)
    elif change == "setting changed":
        settings = mailroom.profile.path / "profile.toml"
        settings.write_text(settings.read_text("utf-8") + "\n# une ligne\n", "utf-8")
    else:
        themes = mailroom.profile.path / "themes"
        themes.mkdir(mode=0o700)
        (themes / "cabinet.toml").write_text('name = "cabinet"\nprimary = "#004080"\n', "utf-8")
    new_key, frame = mailroom.resume_frame(VIEW)
    assert frame is None and new_key != key


def test_reading_a_frame_changes_nothing_that_it_stamps(mailroom: Mailroom) -> None:
    """The start itself (the opening, the list's read, the frame kept) leaves the stamp as it was: else the
    next start would never find its frame."""
    key, _ = mailroom.resume_frame(VIEW)
    mailroom.keep_resume_frame(key, FRAME)
    mailroom.summaries()
    reopened = Mailroom.open(mailroom.profile.path, PASS)
    try:
        reopened.summaries()
        reopened.folder_counts()
        assert reopened.resume_frame(VIEW) == (key, FRAME)
    finally:
        reopened.close()


@pytest.mark.parametrize("damage", ["truncated", "flipped", "empty", "not a file"])
def test_a_damaged_frame_is_a_normal_start_with_a_log_line(
    mailroom: Mailroom, damage: str, caplog: pytest.LogCaptureFixture
) -> None:
    key, _ = mailroom.resume_frame(VIEW)
    mailroom.keep_resume_frame(key, FRAME)
    path = mailroom.profile.path / FRAME_FILE
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "flipped":
        path.write_bytes(data[:-5] + bytes([data[-5] ^ 1]) + data[-4:])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        path.unlink()
        path.mkdir(mode=0o700)
    with caplog.at_level(logging.INFO, logger="missive.store"):
        assert mailroom.resume_frame(VIEW) == (key, None)
    assert any("resume frame" in r.getMessage() and "normal start" in r.getMessage() for r in caplog.records)
    if damage != "not a file":  # a new start keeps its frame over the damaged one
        mailroom.keep_resume_frame(key, FRAME)
        assert kept_then_read(mailroom) == FRAME
