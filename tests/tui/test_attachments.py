"""Attachments leaving the profile: saved on purpose (0600, never replacing a file), opened into a private
folder that the app empties."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.model import Attachment
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui import attachments
from tui.attachments import write_new

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def open_umask():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user runtime folder, and a terminal without a graphical viewer (SSH, console)."""
    folder = tmp_path / "run"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(folder))
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return folder


def test_same_name_gets_a_number_and_the_old_file_is_kept(tmp_path: Path) -> None:
    first = write_new(tmp_path, "cr.pdf", b"one")
    second = write_new(tmp_path, "cr.pdf", b"two")
    third = write_new(tmp_path, "cr.pdf", b"three")
    assert [p.name for p in (first, second, third)] == ["cr.pdf", "cr (2).pdf", "cr (3).pdf"]
    assert first.read_bytes() == b"one" and second.read_bytes() == b"two"


def test_saved_attachments_are_private_and_keep_their_name_only(tmp_path: Path) -> None:
    folder, paths = attachments.save([("../../etc/cr.pdf", b"%PDF"), ("bilan.hpr", b"H")], tmp_path / "dl")
    assert folder == tmp_path / "dl" and _mode(folder) == 0o700
    assert [p.name for p in paths] == ["cr.pdf", "bilan.hpr"]
    assert all(p.parent == folder and _mode(p) == 0o600 for p in paths)


def test_an_opened_attachment_waits_in_a_private_runtime_folder_and_is_emptied(runtime: Path) -> None:
    opened = attachments.open_copy("résultat.pdf", b"%PDF-1.4")
    assert opened.viewer is False  # no viewer here: the toast says where the file is
    assert opened.path.parent == runtime / "missive-ouverts" / str(os.getpid())
    assert _mode(opened.path) == 0o600 and _mode(opened.path.parent) == 0o700
    assert _mode(runtime / "missive-ouverts") == 0o700
    assert opened.path.read_bytes() == b"%PDF-1.4"
    assert attachments.empty_viewing_dir() == 1  # the app's exit
    assert not opened.path.exists()


def test_at_start_copies_of_apps_no_longer_running_are_removed_but_not_a_running_ones(runtime: Path) -> None:
    base = runtime / "missive-ouverts"
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = base / finished.stdout.decode().strip()
    running = base / str(os.getppid())  # another missive window, still open
    for folder in (dead, running):
        folder.mkdir(parents=True)
        (folder / "cr.pdf").write_bytes(b"x")
    assert attachments.empty_viewing_dir(at_start=True) == 1
    assert not dead.exists() and (running / "cr.pdf").exists()


def test_a_viewing_folder_that_is_a_link_is_refused(runtime: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (runtime / "missive-ouverts").symlink_to(elsewhere)
    from core.errors import MissiveError

    with pytest.raises(MissiveError, match="n'est pas un dossier"):
        attachments.open_copy("cr.pdf", b"x")
    assert list(elsewhere.iterdir()) == []
    assert attachments.empty_viewing_dir(at_start=True) == 0  # never followed


async def test_o_in_a_terminal_without_viewer_says_where_the_copy_is(runtime: Path) -> None:
    from core.model import MessageView
    from tui.app import MissiveApp
    from tui.panes.inbox import InboxPane

    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        summary = mailroom.messages.items["m-lab"]
        pane.view = MessageView(summary, attachments=(Attachment("cr.pdf", "application/pdf", b"%PDF"),))
        await pilot.press("o")
        await settle(app, pilot)
        copy = runtime / "missive-ouverts" / str(os.getpid()) / "cr.pdf"
        said = [n.message for n in app._notifications if "Aucun visualiseur" in n.message]
        assert said and str(copy) in said[0] and "effacée à la fermeture" in said[0]
        assert copy.read_bytes() == b"%PDF" and _mode(copy) == 0o600
    attachments.empty_viewing_dir()
    assert not copy.exists()


async def test_o_on_a_letter_with_several_attachments_asks_which_one(runtime: Path) -> None:
    """o opened the first attachment whatever the letter held: the second of two PDFs, or the 40th of 40, could
    not be opened. With more than one, o lists them (Entrée opens the one chosen, Échap none)."""
    from core.model import MessageView
    from tui.app import MissiveApp
    from tui.panes.inbox import InboxPane
    from tui.panes.move import FolderChooser

    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        files = tuple(Attachment(f"cr-{i:02d}.pdf", "application/pdf", b"%PDF-" + bytes([65 + i])) for i in range(40))
        pane.view = MessageView(mailroom.messages.items["m-lab"], attachments=files)
        folder = runtime / "missive-ouverts" / str(os.getpid())
        await pilot.press("o")
        await settle(app, pilot)
        assert isinstance(app.screen, FolderChooser)
        assert "Ouvrir la pièce jointe" in str(app.screen.query_one("#move-box").border_title)
        await pilot.press("escape")  # none opened
        await settle(app, pilot)
        assert not isinstance(app.screen, FolderChooser)
        assert not folder.exists() or not any(folder.iterdir())
        await pilot.press("o", *["down"] * 39, "enter")  # the last one
        await settle(app, pilot)
        assert not isinstance(app.screen, FolderChooser)
        assert [p.name for p in folder.iterdir()] == ["cr-39.pdf"]
        assert (folder / "cr-39.pdf").read_bytes() == b"%PDF-" + bytes([65 + 39])
    attachments.empty_viewing_dir()
