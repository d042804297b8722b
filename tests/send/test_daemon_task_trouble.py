"""`missive daemon` with its watched folder missing: one French line on its terminal, once, and one log line.

Before, nothing was said on the terminal, and missive.log got 'task 1 failed (BadInput), N times in a row' at
every scan (every 10 s: 8,640 lines a day) without saying which task or what to do.
"""

from __future__ import annotations

import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

from tests.send.test_one_daemon import ROOT, _command


def test_a_missing_watched_folder_is_said_once_in_french_and_its_return_is_logged() -> None:
    folder = Path(tempfile.mkdtemp(prefix="mtt-", dir="/tmp"))  # short: the daemon's socket path
    profile, watch = folder / "p", folder / "depot"
    daemon = None
    try:
        cmd, env = _command(profile, "init")
        assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
        settings = profile / "profile.toml"
        text = settings.read_text("utf-8")
        settings.write_text(text.replace('[watch]\nfolder = ""', f'[watch]\nfolder = "{watch}"', 1), "utf-8")
        assert str(watch) in settings.read_text("utf-8")

        cmd, env = _command(profile, "daemon", "--every", "0.2")
        daemon = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        lines: list[str] = []
        assert daemon.stderr is not None
        reader = threading.Thread(target=lambda: lines.extend(daemon.stderr), daemon=True)  # type: ignore[union-attr,arg-type]
        reader.start()
        log = profile / "missive.log"

        def logged(pattern: str) -> re.Match[str] | None:
            return re.search(pattern, log.read_text("utf-8")) if log.exists() else None

        deadline = time.monotonic() + 60
        while not logged(r"watched_folder failed"):
            assert time.monotonic() < deadline and daemon.poll() is None, lines
            time.sleep(0.1)
        time.sleep(1.0)  # scans go on meanwhile (every 0.2 s), all failing the same way
        watch.mkdir()  # the secretary creates it
        while not (back := logged(r"watched_folder works again after (\d+) failures")):
            assert time.monotonic() < deadline and daemon.poll() is None, lines
            time.sleep(0.1)
        assert int(back.group(1)) >= 3  # it failed at several scans...
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
        reader.join(10)
        said = [line for line in lines if "n'existe pas" in line]
        assert said == [
            f"missive daemon : le dossier surveillé {watch} n'existe pas : créez-le ou corrigez [watch] folder\n"
        ]
        assert log.read_text("utf-8").count("watched_folder failed") == 1  # ...and it was said once
        assert (watch / "sent").is_dir()  # scanned once it was there
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        subprocess.run(["rm", "-rf", str(folder)], check=False)


def test_a_report_set_aside_is_said_on_the_daemons_terminal_without_its_name() -> None:
    """A report the daemon could not send went to failed/ with its .error.txt, and nothing was said where
    anyone looks: the secretary believed it sent. Now one line on the daemon's terminal, a count and the
    folder; never the file's name (the practice software names them after the patient)."""
    folder = Path(tempfile.mkdtemp(prefix="mts-", dir="/tmp"))
    profile, watch = folder / "p", folder / "depot"
    watch.mkdir()
    daemon = None
    try:
        cmd, env = _command(profile, "init")
        assert subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True).returncode == 0
        settings = profile / "profile.toml"
        text = settings.read_text("utf-8")
        settings.write_text(text.replace('[watch]\nfolder = ""', f'[watch]\nfolder = "{watch}"', 1), "utf-8")
        cmd, env = _command(profile, "daemon", "--every", "0.2")
        daemon = subprocess.Popen(
            cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(daemon.stderr), daemon=True)  # type: ignore[union-attr,arg-type]
        reader.start()
        (watch / "CR_DUPONT_Jean.txt").write_text("Compte rendu.\n", "utf-8")
        (watch / "CR_DUPONT_Jean.txt.json").write_text('{"subject": "Compte rendu"}', "utf-8")  # no "to"
        deadline = time.monotonic() + 60
        while not (watch / "failed" / "CR_DUPONT_Jean.txt.error.txt").exists():
            assert time.monotonic() < deadline and daemon.poll() is None, lines
            time.sleep(0.1)
        time.sleep(0.5)  # the line follows the scan
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
        reader.join(10)
        said = [line for line in lines if "mis de côté" in line]
        assert said == [
            f"missive daemon : 1 compte(s) rendu(s) du dossier surveillé non envoyé(s), mis de côté dans "
            f"{watch / 'failed'} : la raison est dans le fichier .error.txt à côté de chacun\n"
        ]
        assert "DUPONT" not in "".join(lines)
        assert "DUPONT" not in (profile / "missive.log").read_text("utf-8")
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        subprocess.run(["rm", "-rf", str(folder)], check=False)
