"""`missive tui` under tmux at 80x24: the unlock screen's first words are on the terminal before the toolkit
has loaded (tui/splash.py), a passphrase typed at once is never shown and still unlocks, and the terminal is
given back as it was (echo, line editing) when the app ends."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

from core.mailroom import Mailroom
from tests.tui.test_tmux_demo import MISSIVE, Tmux, pytestmark  # noqa: F401 - same skips

PASS = "cheval agrafe batterie"


def test_a_passphrase_typed_at_once_is_never_shown_and_the_terminal_comes_back(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS).close()
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    subprocess.run(
        [
            "tmux",
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "80",
            "-y",
            "24",
            "env -u MISSIVE_PASSPHRASE bash --norc",
        ],
        check=True,
    )
    try:
        tmux.type(f"env HOME={tmp_path} MISSIVE_KDF=floor {MISSIVE} --profile {profile} tui; echo EXITED $?")
        tmux.keys("Enter")
        tmux.wait_for("Phrase de passe du profil", timeout=30)
        tmux.type(PASS)  # typed at once, before or while the app loads
        screens = []
        end = time.monotonic() + 5
        while time.monotonic() < end:
            screens.append(tmux.screen())
            time.sleep(0.05)
        tmux.keys("Enter")
        tmux.wait_for("Réception", "Aucun message", timeout=60)
        assert not any(PASS in screen for screen in screens)
        tmux.keys("C-q")
        tmux.wait_for("EXITED 0", timeout=30)
        tmux.type(
            "stty -a | tr ' ' '\\n' | grep -x -e echo -e -echo -e icanon -e -icanon | sort | tr '\\n' ,"
        )
        tmux.keys("Enter")
        tmux.wait_for("echo,icanon,")
    finally:
        tmux.run("kill-session", "-t", session)
