"""ctrl+c while ``missive demo`` builds its profile: the next ``missive demo`` builds it again, whole, instead
of opening a half-built profile with no mail ("déjà construit")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_demo_build_interrupted_by_ctrl_c_is_built_again_next_time(tmp_path: Path) -> None:
    profile = tmp_path / "demo"
    env = {**os.environ, "TMPDIR": str(tmp_path), "MISSIVE_PASSPHRASE": "demo", "MISSIVE_KDF": "floor"}
    command = [sys.executable, "-m", "tui.cli", "--profile", str(profile), "demo", "--no-tui"]
    child = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # the directory's extractions are written after the patients, before the mail and its sync
        while not any(tmp_path.glob("missive-demo-*/annuaire/*")) and child.poll() is None:
            pass
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
