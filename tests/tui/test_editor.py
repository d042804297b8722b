"""Writing the letter in the user's own editor: the terminal handed over (App.suspend), the body in a private
file (0600 in a 0700 folder) that is gone as soon as the editor returns, and gone at the next start when the
app died meanwhile. The editor here is a shell script that appends a line and notes its file's mode."""

from __future__ import annotations

import dataclasses
import os
import stat
from pathlib import Path

import pytest
from textual.drivers.headless_driver import HeadlessDriver
from textual.widgets import Input, TextArea

from core.config import ComposeSettings, Settings
from tests.fresh import fresh_json
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui import editor, scratch
from tui.app import MissiveApp

EDITOR = """#!/bin/sh
# a scripted $EDITOR: what it was given, where, with which rights; then one more line in the letter
stat -c '%a' "$1" > "{seen}/mode"
stat -c '%a' "$(dirname "$1")" > "{seen}/folder_mode"
echo "$1" > "{seen}/path"
cp "$1" "{seen}/given"
printf 'Ligne ajoutée dans l’éditeur.\\n' >> "$1"
"""


@dataclasses.dataclass
class Scripted:
    seen: Path  # what the script noted
    handed: list[str]  # the terminal handed over ("suspend") and taken back ("resume")


@pytest.fixture
def scripted_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scripted:
    """$EDITOR is a script; the runtime folder a temp one; the headless driver can hand the terminal over
    (it has none: suspending and resuming are counted)."""
    seen = tmp_path / "seen"
    seen.mkdir()
    script = tmp_path / "editeur.sh"
    script.write_text(EDITOR.format(seen=seen), encoding="utf-8")
    script.chmod(0o700)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("EDITOR", str(script))
    monkeypatch.delenv("VISUAL", raising=False)
    handed: list[str] = []
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: True), raising=False)
    monkeypatch.setattr(HeadlessDriver, "suspend_application_mode", lambda self: handed.append("suspend"))
    monkeypatch.setattr(HeadlessDriver, "resume_application_mode", lambda self: handed.append("resume"))
    return Scripted(seen, handed)


async def test_ctrl_g_writes_the_body_in_the_editor_and_the_clear_copy_is_gone(
    mailroom: FakeMailroom, scripted_editor: Scripted
) -> None:
    seen = scripted_editor.seen
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "tab")
        await pilot.press(*"Chere consoeur,")
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        body = app.screen.query_one("#compose-body", TextArea).text
        assert body == "Chere consoeur,\nLigne ajoutée dans l’éditeur."
        assert scripted_editor.handed == ["suspend", "resume"]  # the terminal went over, and came back
        assert (seen / "given").read_text(encoding="utf-8") == "Chere consoeur,\n"
        assert (seen / "mode").read_text().strip() == "600"
        assert (seen / "folder_mode").read_text().strip() == "700"
        edited = Path((seen / "path").read_text().strip())
        assert edited.is_relative_to(Path(os.environ["XDG_RUNTIME_DIR"]))
        assert not edited.exists() and not edited.parent.exists()  # deleted as soon as the editor returned
        parent = editor.editing_dir()
        assert stat.S_IMODE(parent.stat().st_mode) == 0o700 and list(parent.iterdir()) == []
        assert "Chere" not in edited.name and "Avis" not in edited.name  # nothing of the letter in its name
        await until(
            pilot,
            lambda: any(d.draft.body.endswith("éditeur.") for d in mailroom.drafts()),
            "the edited body kept as the draft",
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the letter sent")
        assert mailroom.sent[0].body == "Chere consoeur,\nLigne ajoutée dans l’éditeur."


async def test_the_setting_opens_each_letter_in_the_editor_after_the_subject(
    mailroom: FakeMailroom, scripted_editor: Scripted
) -> None:
    mailroom.settings = dataclasses.replace(Settings(), compose=ComposeSettings(editor="external"))
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "enter")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-body", TextArea).text == "Ligne ajoutée dans l’éditeur."
        assert app.screen.query_one("#compose-subject", Input).value == "Avis"


async def test_without_the_setting_the_builtin_editor_stays(mailroom: FakeMailroom, scripted_editor: Scripted) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "enter")
        await settle(app, pilot)
        assert app.screen.focused is app.screen.query_one("#compose-body")
        assert not (scripted_editor.seen / "path").exists()  # the editor never ran


async def test_an_editor_that_fails_or_is_missing_leaves_the_letter_and_says_so(
    mailroom: FakeMailroom, scripted_editor: Scripted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = tmp_path / "echoue.sh"
    failing.write_text("#!/bin/sh\necho 'effacé' > \"$1\"\nexit 3\n")
    failing.chmod(0o700)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("tab", "tab", "tab", *"Texte initial")
        monkeypatch.setenv("EDITOR", str(failing))
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-body", TextArea).text == "Texte initial"
        assert any("erreur (3) : lettre inchangée" in n.message for n in app._notifications)
        monkeypatch.setenv("EDITOR", str(tmp_path / "pas-d-editeur"))
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-body", TextArea).text == "Texte initial"
        assert any("Éditeur introuvable" in n.message for n in app._notifications)
        assert list(editor.editing_dir().iterdir()) == []  # no clear copy left either way


async def test_a_terminal_that_cannot_be_handed_over_is_said(mailroom: FakeMailroom, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setattr(HeadlessDriver, "can_suspend", property(lambda self: False), raising=False)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("ctrl+g")
        await settle(app, pilot)
        assert any("ne peut pas être confié à un éditeur" in n.message for n in app._notifications)


def test_a_letter_left_by_a_crashed_session_is_deleted_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    folder = editor.editing_dir()
    dead = folder / "999999999"  # no such process
    dead.mkdir(parents=True, mode=0o700)
    (dead / "lettre-0123.txt").write_text("Cher confrère, votre patient …")
    alive = folder / str(os.getppid())  # another running missive's letter stays
    alive.mkdir(mode=0o700)
    (alive / "lettre-4567.txt").write_text("…")
    assert scratch.empty_editing_dir(at_start=True) == 1
    assert not dead.exists() and alive.exists()


def test_the_editor_is_the_profile_setting_then_visual_then_editor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VISUAL", "nano")
    monkeypatch.setenv("EDITOR", "emacs -nw")
    assert editor.editor_command("vim -n -i NONE") == ["vim", "-n", "-i", "NONE"]
    assert editor.editor_command("") == ["nano"]
    monkeypatch.delenv("VISUAL")
    assert editor.editor_command("") == ["emacs", "-nw"]
    monkeypatch.delenv("EDITOR")
    assert editor.editor_command("") == ["vi"]


START = """
import json, os, sys
from pathlib import Path
from core.store.profile import Profile
import tui.app

profile = Path(sys.argv[1]) / "profil"
Profile.create(profile, "correct horse battery staple")
dead = Path(os.environ["XDG_RUNTIME_DIR"]) / "missive-redaction" / "999999999"  # a session that died editing
dead.mkdir(parents=True, mode=0o700)
(dead / "lettre-0123.txt").write_text("Cher confrère")
seen = {}

def run(self, *args, **kwargs):
    seen["loaded"] = [m for m in ("tui.editor", "shlex") if m in sys.modules]
    seen["left"] = dead.exists()
    return 0

tui.app.MissiveApp.run = run
seen["code"] = tui.app.run_app(profile)
print(json.dumps(seen))
"""


def test_the_app_starts_without_the_editors_code_and_still_empties_its_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app's start empties the folder of letters left by a session that died with its editor open
    (tui.scratch); the editor's own code (and shlex) loads when a letter is edited, not at every start
    (about 60 KB of the app's memory). Fails without: run_app imported tui.editor for that folder."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    out = fresh_json(START, str(tmp_path))
    assert out == {"loaded": [], "left": False, "code": 0}
