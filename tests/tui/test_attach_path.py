"""ctrl+o asked for the path of the file to attach and nothing helped type it: a doctor had to know the whole path
of the letter by heart. The field completes it inline from the folder's names (→ or Tab accepts, Tab stays in the
field), folders with their '/', hidden names only when a '.' is typed."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp
from tui.panes.compose import complete_path


def test_a_path_is_completed_from_its_folders_names(tmp_path: Path) -> None:
    (tmp_path / "courriers").mkdir()
    (tmp_path / "compte-rendu-cardio.pdf").write_bytes(b"%PDF")
    (tmp_path / ".cache-compte").write_bytes(b"")
    assert complete_path(f"{tmp_path}/com") == f"{tmp_path}/compte-rendu-cardio.pdf"
    assert complete_path(f"{tmp_path}/cou") == f"{tmp_path}/courriers/"
    assert complete_path(f"{tmp_path}/.ca") == f"{tmp_path}/.cache-compte"
    assert complete_path(f"{tmp_path}/compte-rendu-cardio.pdf") is None  # whole already
    assert complete_path(f"{tmp_path}/x") is None and complete_path(f"{tmp_path}/nul/part") is None
    assert complete_path("") is None


async def test_tab_completes_the_path_of_the_file_to_attach(tmp_path: Path) -> None:
    (tmp_path / "courriers").mkdir()
    letter = tmp_path / "courriers" / "lettre-au-cardiologue.pdf"
    letter.write_bytes(b"%PDF-1.4 lettre")
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("ctrl+o", *f"{tmp_path}/cou")
        field = app.screen.query_one("#compose-attach-path", Input)
        await until(pilot, lambda: field._suggestion == f"{tmp_path}/courriers/", "the folder completed")
        await pilot.press("tab", "l")
        await until(pilot, lambda: field._suggestion == str(letter), "the file completed")
        await pilot.press("tab")
        assert field.value == str(letter) and field.has_focus
        await pilot.press("enter")
        await settle(app, pilot)
        pane = app.screen.query_one("#compose")
        assert [(a.filename, a.data) for a in pane.attachments] == [("lettre-au-cardiologue.pdf", b"%PDF-1.4 lettre")]
