"""ctrl+g in Rédaction under tmux at 80x24: the letter is written in the user's editor, the terminal handed over
(App.suspend), and the app takes the terminal back when the editor exits. It did not: the quiet terminal driver
(tui.driver) closed its wake-up pipe when Textual closed it for the suspend, the resume failed on it, and the app
stayed alive behind a shell-like terminal that echoed the keys ("^[OS" for F4), showing nothing, until killed.
The Pilot tests cannot see this (their terminal cannot be suspended): the installed app in a real terminal."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tui.test_tmux_demo import MISSIVE, PATIENTS, Tmux, pytestmark  # noqa: F401 - same skips

WRITTEN = "Texte venu de l'editeur"


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    """The demo in an 80x24 tmux window, with an "editor" that adds one line to the letter and exits."""
    (tmp_path / "tmp").mkdir()
    editor = tmp_path / "editeur.sh"
    editor.write_text(f"#!/bin/sh\nprintf '%s\\n' \"{WRITTEN}\" >> \"$1\"\n", "utf-8")
    editor.chmod(0o700)
    env = (
        f"MISSIVE_PASSPHRASE=demo MISSIVE_KDF_LOG2N={os.environ.get('MISSIVE_KDF_LOG2N', '14')} "
        f"HOME={tmp_path} TMPDIR={tmp_path / 'tmp'} LANG=C.UTF-8 EDITOR={editor} VISUAL="
    )
    command = f"env {env} {MISSIVE} --profile {tmp_path / 'demo'} demo --patients {PATIENTS}; echo EXITED $?; sleep 30"
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Réception", "messages,", timeout=180)
        tmux.wait_for_footer("c Écrire")
        yield tmux, tmp_path
    finally:
        tmux.run("kill-session", "-t", session)


def test_the_app_takes_the_terminal_back_after_the_external_editor(demo) -> None:
    tmux, _tmp_path = demo
    tmux.keys("c")
    tmux.wait_for_footer("Ctrl+s Envoyer")
    tmux.keys("C-g")
    # the editor ran and exited: the letter holds its line, the composer is drawn again and answers keys
    tmux.wait_for(WRITTEN, "Rédaction", timeout=60)
    tmux.wait_for_footer("Ctrl+s Envoyer")
    tmux.keys("F2")
    tmux.wait_for_footer("c Écrire")
    assert "^[" not in tmux.screen()  # no key echoed by a terminal left in line mode
    tmux.keys("C-q")
    tmux.wait_for("Quitter quand même")  # the letter is not sent: asked, so the app is listening
    tmux.keys("o")
    assert "EXITED 0" in tmux.wait_for("EXITED")
