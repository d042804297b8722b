"""One `missive daemon` per profile: a second one stops at once with one line, the first goes on.

Two daemons on one profile (a service and a terminal, two terminals) each scanned the watched folder, so a
report dropped there could be sent twice, and each rang the doctor's phone for the same letters (seen: two
"1 nouveau message sécurisé" pushes for one letter).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from core.daemon import LOCK_NAME

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"


def _command(profile: Path, *args: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, MISSIVE_KDF="floor", PYTHONPATH=str(ROOT), MISSIVE_PASSPHRASE=PASSPHRASE)
    return [sys.executable, "-m", "tui.cli", "--profile", str(profile), *args], env


def _start_daemon(profile: Path) -> subprocess.Popen[str]:
    cmd, env = _command(profile, "daemon")
    return subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def _wait_started(daemon: subprocess.Popen[str]) -> str:
    assert daemon.stderr is not None
    line = daemon.stderr.readline()  # blocks until the daemon says it started (or ends)
    assert daemon.poll() is None, line
    return line


def _stop(daemon: subprocess.Popen[str]) -> str:
    daemon.send_signal(signal.SIGTERM)
    _, err = daemon.communicate(timeout=60)
    assert daemon.returncode == 0, err
    return err


def test_a_second_daemon_on_the_same_profile_stops_at_once_and_the_first_goes_on() -> None:
    folder = Path(tempfile.mkdtemp(prefix="m1d-", dir="/tmp"))  # short: the daemon's socket path
    profile = folder / "p"
    first = second = third = None
    try:
        cmd, env = _command(profile, "init")
        assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
        first = _start_daemon(profile)
        assert "démarré" in _wait_started(first)

        cmd, env = _command(profile, "daemon")
        second = subprocess.run(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True,
                                text=True, timeout=120)  # fmt: skip
        assert second.returncode == 1
        lines = second.stderr.strip().splitlines()
        assert len(lines) == 1, second.stderr
        assert "tourne déjà pour ce profil" in lines[0] and "Traceback" not in second.stderr
        assert "démarré" not in second.stderr  # never said it started
        assert first.poll() is None  # the first one goes on
        assert (profile / LOCK_NAME).stat().st_mode & 0o777 == 0o600

        _stop(first)
        first = None
        # the lock goes with its daemon: the next one starts
        third = _start_daemon(profile)
        assert "démarré" in _wait_started(third)
        _stop(third)
        third = None
    finally:
        for daemon in (first, third):
            if daemon is not None and daemon.poll() is None:
                daemon.kill()
                daemon.wait()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_a_daemon_killed_leaves_no_lock_behind() -> None:
    folder = Path(tempfile.mkdtemp(prefix="m1k-", dir="/tmp"))
    profile = folder / "p"
    daemon = None
    try:
        cmd, env = _command(profile, "init")
        assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
        killed = _start_daemon(profile)
        _wait_started(killed)
        killed.kill()  # no clean stop: the kernel releases the lock with the process
        killed.wait()
        daemon = _start_daemon(profile)
        assert "démarré" in _wait_started(daemon)
        _stop(daemon)
        daemon = None
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        subprocess.run(["rm", "-rf", str(folder)], check=False)
