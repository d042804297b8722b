"""ctrl+c while ``missive demo`` builds its profile: the next ``missive demo`` builds it again, whole, instead
of opening a half-built profile with no mail ("déjà construit")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _held_after_the_directory(profile: Path, ready: Path) -> str:
    """``missive demo --no-tui`` run as the program, held once the directory is imported (after the patients,
    before the mail and its sync) until a signal comes: the ctrl+c lands there on a loaded machine too, where a
    test that only watched for the directory's files could see the build finish first."""
    return (
        "import pathlib, sys, time\n"
        "import core.demo.build as build\n"
        "mailbox = build.build_mailbox\n"
        "def held(people):\n"
        f"    pathlib.Path({str(ready)!r}).write_text('ready')\n"
        "    time.sleep(600)\n"
        "    return mailbox(people)\n"
        "build.build_mailbox = held\n"
        f"sys.argv = ['missive', '--profile', {str(profile)!r}, 'demo', '--no-tui']\n"
        "from tui.cli import main\n"
        "raise SystemExit(main())\n"
    )


def test_a_demo_build_interrupted_by_ctrl_c_is_built_again_next_time(tmp_path: Path) -> None:
    profile = tmp_path / "demo"
    ready = tmp_path / "held"
    env = {**os.environ, "TMPDIR": str(tmp_path), "MISSIVE_PASSPHRASE": "demo", "MISSIVE_KDF": "floor"}
    command = [sys.executable, "-m", "tui.cli", "--profile", str(profile), "demo", "--no-tui"]
    child = subprocess.Popen(
        [sys.executable, "-c", _held_after_the_directory(profile, ready)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        while not ready.exists() and child.poll() is None:
            time.sleep(0.02)
        assert any(tmp_path.glob("missive-demo-*/annuaire/*"))  # the directory is written, the mail is not
        assert not any(tmp_path.glob("missive-demo-*/maildir"))
        child.send_signal(signal.SIGINT)  # what ctrl+c sends
        out, err = child.communicate(timeout=120)
    finally:
        child.kill()
    assert child.returncode == 130, (out, err)
    assert err.strip().endswith("missive : interrompu")

    again = subprocess.run([*command, "--patients", "10"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    assert "déjà construit" not in again.stdout
    assert again.stdout.startswith(f"Profil de démonstration : {profile} (")
    listed = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), "messages", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) > 20
    # once built whole, it is kept
    kept = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert kept.stdout.startswith("Profil de démonstration déjà construit")
