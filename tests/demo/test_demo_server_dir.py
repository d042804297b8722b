"""The folder standing for the demo's server and practice software has a name anyone can guess
(/tmp/missive-demo-<user>-<hash of the profile's path>). Another user of the same PC could make it first, or
put a link there: the demo then wrote its mail, its patients' results and the doctor's letters into a folder
that user reads. The demo now refuses, in one line, to write anywhere it could not clear itself."""

from __future__ import annotations

import getpass
import hashlib
import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_never_writes_into_a_server_folder_it_does_not_own(tmp_path: Path) -> None:
    home, tmp, elsewhere = tmp_path / "home", tmp_path / "tmp", tmp_path / "elsewhere"
    for folder in (home, tmp, elsewhere):
        folder.mkdir()
    profile = home / "demo"
    tag = hashlib.sha256(str(profile.resolve()).encode("utf-8")).hexdigest()[:10]
    taken = tmp / f"missive-demo-{getpass.getuser()}-{tag}"
    taken.symlink_to(elsewhere, target_is_directory=True)  # made first by someone else
    env = dict(os.environ, HOME=str(home), MISSIVE_PASSPHRASE="demo", MISSIVE_KDF="floor", TMPDIR=str(tmp))
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "--profile", str(profile), "demo", "--no-tui", "--patients", "20"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode != 0, done.stdout
    assert "n'est pas un dossier à vous" in done.stderr and str(taken) in done.stderr, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert list(elsewhere.iterdir()) == []  # nothing written through the link
    assert taken.is_symlink()  # and the other user's name left as it was
