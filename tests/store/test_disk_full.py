"""A full disk during `patients import` and `sync`: one French line, no traceback, nothing stored lost; once
space is freed, the same command finishes the job without duplicates."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

PASS = "correct horse battery staple"
HEADER = "id,birth_name,used_name,given_names,birth_date,sex,ins\n"


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 1 MB tmpfs (needs root, as the suite's servers do)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        why = f"cannot mount a small tmpfs here ({done.stderr.decode(errors='replace').strip()})"
        if os.environ.get("CI", "").lower() == "true" or os.geteuid() == 0:
            pytest.fail(why, pytrace=False)  # root (CI, make test) can always mount one: a real failure
        pytest.skip(reason=f"{why}: the disk-full tests need root, as make test runs them")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _missive(profile: Path):
    env = dict(os.environ, MISSIVE_PASSPHRASE=PASS)
    env.pop("MISSIVE_DEBUG", None)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", "--profile",
             str(profile), *args],
            env=env, capture_output=True, text=True, timeout=300,
        )  # fmt: skip

    return run


def _one_french_line(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr and "Error" not in done.stderr
    assert "disque plein" in done.stderr and "libérez de la place" in done.stderr


def _grow(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,size=16m", str(mount)], check=True)


def test_patients_import_on_a_full_disk(small_disk: Path, tmp_path: Path) -> None:
    missive = _missive(small_disk / "profile")
    assert missive("init").returncode == 0
    first = tmp_path / "first.csv"
    first.write_text(HEADER + "".join(f"A{i},DURAND,,Claire,1971-02-03,F,\n" for i in range(10)))
    assert missive("patients", "import", str(first)).returncode == 0
    big = tmp_path / "big.csv"
    big.write_text(
        HEADER + "".join(f"P{i},NOM{i},,Prenom{i},1960-01-{1 + i % 28:02d},M,\n" for i in range(30000))
    )

    _one_french_line(missive("patients", "import", str(big)))
    listed = missive("patients", "list")
    assert listed.returncode == 0 and listed.stdout.count("DURAND") == 10  # the patients before are there
    verify = missive("audit", "verify")
    assert verify.returncode == 0, verify.stderr

    _grow(small_disk)
    assert missive("patients", "import", str(big)).returncode == 0
    assert missive("audit", "verify").returncode == 0


def test_sync_on_a_full_disk(small_disk: Path, tmp_path: Path) -> None:
    maildir = tmp_path / "maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    for i in range(400):
        (maildir / "new" / f"{i}.eml").write_text(
            f"From: labo@exemple.fr\nTo: dr@exemple.fr\nSubject: Lettre {i}\nMessage-ID: <m{i}@exemple.fr>\n\n"
            + "".join(f"{os.urandom(32).hex()}\n" for _ in range(100))  # 6.5 KB that no compression shrinks
        )
    missive = _missive(small_disk / "profile")
    assert missive("init").returncode == 0
    assert (
        missive("account", "add", "local", "--email", "dr@exemple.fr", "--maildir", str(maildir)).returncode
        == 0
    )

    _one_french_line(missive("sync"))
    stored = missive("messages", "list", "--json")
    assert stored.returncode == 0, stored.stderr
    kept = stored.stdout.count("\n")
    assert 0 < kept < 400  # what was stored before the disk filled up is readable
    assert missive("audit", "verify").returncode == 0

    _grow(small_disk)
    synced = missive("sync")
    assert synced.returncode == 0, synced.stderr
    listed = missive("messages", "list", "--json").stdout.splitlines()
    assert len(listed) == 400  # every message once: none lost, none twice
    assert missive("audit", "verify").returncode == 0
