"""One demo built through the CLI for the whole folder (a build syncs ~280 messages: worth doing once)."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PATIENTS = 300


@dataclass(frozen=True)
class BuiltDemo:
    home: Path
    tmp: Path
    profile: Path
    env: dict[str, str]
    stdout: str
    terminal: str  # what the build wrote to the terminal (its progress, on stderr)


@pytest.fixture(scope="session")
def built_demo(tmp_path_factory: pytest.TempPathFactory) -> BuiltDemo:
    """`missive demo --no-tui` with $HOME and $TMPDIR of its own, as a user would run it."""
    root = tmp_path_factory.mktemp("demo")
    home, tmp = root / "home", root / "tmp"
    home.mkdir()
    tmp.mkdir()
    env = dict(
        os.environ,
        HOME=str(home),
        XDG_DATA_HOME=str(home / ".local/share"),
        MISSIVE_PASSPHRASE="demo",
        TMPDIR=str(tmp),
    )
    # its progress goes to a terminal, as a user sees it (a pseudo-terminal: what it wrote is kept)
    master, slave = os.openpty()
    try:
        out = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "demo", "--no-tui", "--patients", str(PATIENTS)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=slave,
            text=True,
        )
        os.close(slave)
        said = bytearray()
        while chunk := _read(master):
            said += chunk
        stdout = out.communicate(timeout=300)[0]
    finally:
        os.close(master)
    terminal = said.decode("utf-8", "replace")
    assert out.returncode == 0, terminal
    return BuiltDemo(home, tmp, home / ".local/share/missive/demo", env, stdout, terminal)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:  # the other side closed: the build ended
        return b""
