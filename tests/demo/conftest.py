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
    out = subprocess.run(
        [sys.executable, "-m", "tui.cli", "demo", "--no-tui", "--patients", str(PATIENTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    return BuiltDemo(home, tmp, home / ".local/share/missive/demo", env, out.stdout)
