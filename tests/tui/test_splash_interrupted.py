"""Ctrl+C at the very start of ``missive tui`` (passphrase given), while the unlock screen's first frame is up
and before the app has loaded: the terminal is given back as it was (echo and line editing on, the main screen
back), as when the app ends. The splash turns echo off at once (tui/splash.py); an interruption between that and
the app's start left the shell after it typing blind on the alternate screen."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import termios
import time
from pathlib import Path

from core.mailroom import Mailroom

ROOT = Path(__file__).resolve().parents[2]
PASS = "cheval agrafe batterie"

# Ctrl+C arriving while the screen's view is computed (the first thing after the splash is drawn)
_SCRIPT = """
import sys
import tui.splash

def interrupted(theme):
    raise KeyboardInterrupt

tui.splash.view = interrupted
from tui.cli import main

sys.exit(main(["--profile", sys.argv[1], "tui"]))
"""


def test_ctrl_c_right_after_the_splash_gives_the_terminal_back(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    Mailroom.create(profile, PASS).close()
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    env = {**os.environ, "MISSIVE_PASSPHRASE": PASS, "TERM": "xterm-256color", "HOME": str(tmp_path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT, str(profile)],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    out = b""
    end = time.monotonic() + 60
    while time.monotonic() < end and proc.poll() is None:
        if select.select([master], [], [], 0.1)[0]:
            out += os.read(master, 65536)
    code = proc.wait(timeout=30)
    while select.select([master], [], [], 0)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    after = termios.tcgetattr(slave)
    os.close(slave)
    os.close(master)
    assert b"\x1b[?1049h" in out  # the splash was drawn
    assert code == 130 and b"Traceback" not in out
    assert after[3] & termios.ECHO and after[3] & termios.ICANON
    assert after == before
    assert out.rindex(b"\x1b[?1049l") > out.rindex(b"\x1b[?1049h")  # the main screen is back
