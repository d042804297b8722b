"""The terminal going away under the app (an SSH link cut, the terminal window closed: SIGHUP) killed it at once:
the words typed since the last draft save were lost, and nothing ran its clean-up. The installed demo under tmux at
80x24: the session killed right after typing, the letter is in Brouillons whole and the app has ended."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from core.demo.mail import COLLEAGUE
from core.mailroom import Mailroom
from tests.tui.test_tmux_compose import demo, start_letter  # noqa: F401 - the fixture
from tests.tui.test_tmux_demo import pytestmark  # noqa: F401 - same skips


def _running(profile: Path) -> list[str]:
    """The app's processes for this profile. A tmux server keeps the command line of the new-session that started
    it, which names the app too: while another session (another test's, a person's) keeps that server alive after
    this test's session is killed, it would be taken for the app outliving its terminal."""
    found = subprocess.run(["pgrep", "-f", f"bin/missive --profile {profile} "], capture_output=True, text=True, check=False)
    return [pid for pid in found.stdout.split() if _command_name(pid) not in ("", "tmux", "tmux: server")]


def _command_name(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text("utf-8").strip()
    except OSError:
        return ""  # gone meanwhile: not running


def test_a_terminal_hung_up_keeps_the_letter_being_written(demo) -> None:  # noqa: F811 - the fixture
    tmux, tmp_path = demo
    profile = tmp_path / "demo"
    start_letter(tmux, COLLEAGUE, "Coupure de la liaison")
    assert _running(profile)
    tmux.type("Dernière phrase tapée avant la coupure.")
    tmux.wait_for("Dernière phrase tapée avant la coupure.")
    tmux.run("kill-session", "-t", tmux.session)  # the terminal is gone: SIGHUP
    end = time.monotonic() + 60  # only turns a hang into a failure
    while _running(profile) and time.monotonic() < end:
        time.sleep(0.1)
    assert not _running(profile), "the app outlived its terminal"
    mailroom = Mailroom.open(profile, "demo")
    try:
        bodies = [d.draft.body for d in mailroom.drafts() if d.draft.subject == "Coupure de la liaison"]
    finally:
        mailroom.close()
    assert bodies == ["Dernière phrase tapée avant la coupure."], bodies
    # and it ended as ctrl+q ends it: giving the terminal's settings back to a terminal that is gone is no bug
    # (it logged "internal error … splash.py … restore" and ended with code 1)
    log = (profile / "missive.log").read_text("utf-8")
    assert "SIGHUP: the app ends" in log and "internal error" not in log, log[-2000:]
