"""Attachments named by an adversary (anyone who can write into the MSSanté space, or a compromised lab's or
colleague's mailbox): what ``s`` saves and ``o`` opens.

Before: the name was used as the sender gave it (its last path part only). A NUL in it (RFC 2231's ``%00``)
stopped the save of every attachment of the letter with 'erreur interne (ValueError)', a name over 255 bytes
with 'File name too long'; a line break, a control or a bidi control went into the file's name (a file manager
showing 'CR_<RLO>fdp.exe' as 'CR_exe.pdf'), and 'CON' or 'x.exe.' meant another thing on Windows. And ``o``
handed any file to the system's viewer: on Windows os.startfile runs 'resultats.pdf.exe' (or .hta, .lnk,
.js...), on a Linux desktop xdg-open launches a .desktop file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from core.model import Attachment, MessageView, file_name_to_write, runs_a_program
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui import attachments

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX names and modes")

HOSTILE = [
    ("a\x00b.pdf", "a_b.pdf"),
    ("ligne\r\nBcc: x.pdf", "ligne__Bcc_ x.pdf"),
    ("CR_\u202efdp.exe", "CR__fdp.exe"),
    ("\x1b]52;c;eA==\x07cr.pdf", "_]52;c;eA==_cr.pdf"),
    ("..\\..\\Windows\\cr.pdf", "cr.pdf"),
    ("/etc/cron.d/x", "x"),
    ("..", "piece-jointe"),
    (".bashrc", "bashrc"),
    ("CON", "_CON"),
    ("nul.txt", "_nul.txt"),
    ("lpt1 .hpr", "_lpt1 .hpr"),
    ("cr.pdf. . ", "cr.pdf"),
    ("cr.pdf:flux.exe", "cr.pdf_flux.exe"),
    ("Résultat « NFS » du 02/03.pdf", "03.pdf"),
    ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ("é" * 150 + ".hpr", "é" * 98 + ".hpr"),
]


def test_a_hostile_name_becomes_a_name_a_file_may_carry() -> None:
    for given, written in HOSTILE:
        assert file_name_to_write(given) == written, ascii(given)
    assert file_name_to_write("CR résultat 2026-03-02.pdf") == "CR résultat 2026-03-02.pdf"


def test_s_saves_every_hostile_name_privately_in_its_folder(tmp_path: Path) -> None:
    folder, paths = attachments.save([(given, b"x") for given, _ in HOSTILE], tmp_path / "dl")
    assert [p.parent for p in paths] == [folder] * len(HOSTILE)
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in paths)
    assert not (tmp_path / "x").exists() and all(p.stat().st_mode & 0o777 == 0o600 for p in paths)
    assert [p.name for p in paths][:3] == ["a_b.pdf", "ligne__Bcc_ x.pdf", "CR__fdp.exe"]


def test_what_a_viewer_would_run_is_told_by_its_final_extension() -> None:
    for name in ("resultats.pdf.exe", "x.EXE", "cr.exe. ", "cr.pdf:flux.hta", "lien.lnk", "a.desktop", "f.js",
                 "g.vbs", "m.docm", "s.ps1", "CR_\u202efdp.exe", "x.scr", "i.msi", "b.bat", "c.cmd"):  # fmt: skip
        assert runs_a_program(name), name
    for name in ("cr.pdf", "bilan.hpr", "r.hl7", "cda.xml", "xdm.zip", "photo.JPG", "lettre.docx", "exe", ".exe",
                 "note.txt", "a.exe.pdf"):  # fmt: skip
        assert not runs_a_program(name), name


@pytest.fixture
def viewer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """A desktop with a viewer: what would be handed to xdg-open is recorded, never run."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.setattr(attachments, "has_viewer", lambda: True)
    started: list[list[str]] = []

    class Recorded:
        def __init__(self, args: list[str], **_kwargs: object) -> None:
            started.append(list(args))

    monkeypatch.setattr(subprocess, "Popen", Recorded)
    return started


async def test_o_never_hands_a_program_to_the_viewer(viewer: list[list[str]]) -> None:
    from tui.app import MissiveApp
    from tui.panes.inbox import InboxPane

    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    copies = Path(os.environ["XDG_RUNTIME_DIR"]) / "missive-ouverts" / str(os.getpid())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        summary = mailroom.messages.items["m-lab"]
        for name in ("resultats.pdf.exe", "cr.exe. ", "CR_\u202efdp.hta", "lancer.desktop"):
            pane.view = MessageView(summary, attachments=(Attachment(name, "application/pdf", b"MZ"),))
            await pilot.press("o")
            await settle(app, pilot)
            said = [n.message for n in app._notifications if "lance un programme" in n.message]
            assert said, name
        assert viewer == []  # nothing started
        assert not copies.exists() or not any(copies.iterdir())  # nor written
        pane.view = MessageView(
            summary, attachments=(Attachment("cr\u202efdp.pdf", "application/pdf", b"%PDF"),)
        )
        await pilot.press("o")
        await settle(app, pilot)
        assert viewer == [["xdg-open", str(copies / "cr_fdp.pdf")]]  # a document is shown, under a safe name
    attachments.empty_viewing_dir()


async def test_the_list_of_attachments_to_open_writes_no_terminal_command(viewer: list[list[str]]) -> None:
    """With several attachments, o lists them by name: the sender's words went to the screen as they were."""
    from tui.app import MissiveApp, full_frame
    from tui.panes.inbox import InboxPane
    from tui.panes.move import FolderChooser

    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        files = (
            Attachment("\x1b]0;PWNED\x07cr.pdf", "application/pdf", b"%PDF"),
            Attachment("CR_\u202efdp.exe", "application/pdf", b"%PDF"),
        )
        pane.view = MessageView(mailroom.messages.items["m-lab"], attachments=files)
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, FolderChooser)
        frame = full_frame(app)
        assert "PWNED" in frame and "\x1b]0;" not in frame and "\u202e" not in frame
        await pilot.press("escape")
        await settle(app, pilot)


def test_a_synced_letters_hostile_attachment_is_saved_under_a_safe_name(
    cli, profile_dir: Path, tmp_path: Path
) -> None:
    """The real path: a letter in a Maildir account, synced, read by the Mailroom, its attachment saved. Its name
    in RFC 2231 continuations: '../../cr', a NUL, a right-to-left override, 'fdp.exe'."""
    from core.mailroom import Mailroom

    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1.a.host").write_bytes(
        b"From: labo@labo.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: cr\r\n"
        b"Message-ID: <nul@labo.mssante.fr>\r\nDate: Mon, 02 Mar 2026 10:00:00 +0100\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
        b"--b\r\nContent-Type: text/plain\r\n\r\ncorps\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*0*=utf-8''..%2F..%2Fcr%00;\r\n filename*1*=%E2%80%AEfdp.exe\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b--\r\n"
    )
    assert cli("init")[0] == 0
    code, _out, err = cli(
        "account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root)
    )
    assert code == 0, err
    assert cli("sync")[0] == 0
    room = Mailroom.open(profile_dir, "correct horse battery staple")
    try:
        (message,), _outside = room.list_messages()
        view = room.read_message(message.id)
    finally:
        room.close()
    assert [a.filename for a in view.attachments] == ["../../cr\x00\u202efdp.exe"]
    folder, paths = attachments.save([(a.filename, a.data) for a in view.attachments], tmp_path / "dl")
    assert [p.name for p in paths] == ["cr__fdp.exe"] and paths[0].read_bytes() == b"%PDF"
    assert list(tmp_path.glob("cr*")) == []


async def test_forwarding_a_letter_writes_no_terminal_command_of_its_attachments_names() -> None:
    """f puts the letter's attachments in Rédaction, listed by name: the sender's words went to the screen as
    they were (an OSC sequence sets the window title or writes the clipboard)."""
    from dataclasses import replace

    from tui.app import MissiveApp, full_frame

    files = (Attachment("\x1b]0;PWNED\x07cr.pdf", "application/pdf", b"%PDF"),)

    class Hostile(FakeMailroom):
        def read_message(self, message_id, actor=None, words_later=False):  # type: ignore[no-untyped-def]
            return replace(super().read_message(message_id, actor, words_later), attachments=files)

    app = MissiveApp(mailroom=Hostile())
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("f")
        await settle(app, pilot)
        frame = full_frame(app)
        assert "PWNED" in frame and "\x1b]0;" not in frame
