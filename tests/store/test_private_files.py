"""Every file and folder missive creates is its user's only (0600 / 0700), whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.store.atomic import FileLock, atomic_write, private_dir, write_many

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


def _open_to_others(top: Path) -> list[str]:
    """Every path under ``top`` (itself included) that group or others can read, write or enter."""
    found = []
    for here, _dirs, names in os.walk(top):
        for path in [here, *(os.path.join(here, n) for n in names)]:
            st = os.lstat(path)
            if not stat.S_ISLNK(st.st_mode) and st.st_mode & 0o077:
                found.append(f"{oct(st.st_mode & 0o777)} {os.path.relpath(path, top)}")
    return found


@pytest.fixture
def open_umask():
    old = os.umask(0o022)  # Debian's default: files 0644, folders 0755 unless the code says otherwise
    yield
    os.umask(old)


def test_the_writers_make_private_files_and_folders(tmp_path: Path, open_umask) -> None:
    atomic_write(tmp_path / "a" / "b" / "one", b"1")
    write_many([(tmp_path / "c" / "two", b"2"), (tmp_path / "d" / "three", b"3")])
    with FileLock(tmp_path / "e" / ".lock").held():
        pass
    private_dir(tmp_path / "f" / "g")
    tmp_path.chmod(0o700)
    assert _open_to_others(tmp_path) == []
    assert stat.S_IMODE((tmp_path / "a" / "b" / "one").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "f" / "g").stat().st_mode) == 0o700


def test_private_dir_leaves_the_parents_it_did_not_create(tmp_path: Path, open_umask) -> None:
    tmp_path.chmod(0o755)
    private_dir(tmp_path / "new")
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700


@pytest.mark.slow
def test_after_the_demo_nothing_of_the_profile_is_open_to_others(tmp_path: Path) -> None:
    """`missive demo --no-tui` under umask 022: no file or folder of the profile (nor of the folders
    standing for the server and the practice software) is readable by group or others."""
    profile = tmp_path / "demo"
    done = subprocess.run(
        [
            "sh",
            "-c",
            'umask 022 && exec "$0" -m tui.cli --profile "$1" demo --no-tui --patients 10',
            sys.executable,
            str(profile),
        ],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_PASSPHRASE": "demo pass", "MISSIVE_KDF": "floor"},
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0, done.stderr
    assert (profile / "vault.json").is_file() and (profile / "missive.log").is_file()
    assert _open_to_others(profile) == []
    from core.demo.build import demo_server_dir

    server = demo_server_dir(profile)
    try:
        # the folder standing for the server and the practice software: nobody else enters it; the mailbox
        # and the directory's extractions in it are private too (what is filed into the practice software's
        # import folder follows that folder's rules: the software may run as another account)
        assert stat.S_IMODE(server.stat().st_mode) == 0o700
        assert _open_to_others(server / "maildir") == [] and _open_to_others(server / "annuaire") == []
    finally:
        import shutil

        shutil.rmtree(server, ignore_errors=True)


def test_a_profile_found_open_is_made_private_at_open_and_the_log_says_so(tmp_path: Path) -> None:
    import logging

    from core.mailroom import Mailroom

    folder = tmp_path / "p"
    Mailroom.create(folder, "pass phrase").close()
    opened = 0
    for here, _dirs, names in os.walk(folder):  # as an older version or a careless copy left it
        os.chmod(here, 0o755)
        for name in names:
            os.chmod(os.path.join(here, name), 0o644)
            opened += 1
    root = logging.getLogger("missive")
    saved = root.handlers[:]
    root.handlers.clear()  # this profile's own log (a process keeps the first profile's otherwise)
    try:
        Mailroom.open(folder, "pass phrase").close()
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers[:] = saved
    assert _open_to_others(folder) == []
    log = (folder / "missive.log").read_text()
    assert "profile was open to other users:" in log and f"and {opened} files made private" in log


def test_only_missives_own_entries_are_changed_in_a_folder_shared_with_the_users_files(
    tmp_path: Path,
) -> None:
    from core.store.profile import Profile

    folder = tmp_path / "documents"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    mine = folder / "lettre.odt"
    mine.write_bytes(b"x")
    mine.chmod(0o644)
    (folder / "site").mkdir()
    (folder / "site").chmod(0o755)
    Profile.create(folder, "pass phrase")
    (folder / "vault.json").chmod(0o644)
    profile = Profile.open(folder, "pass phrase")
    assert profile.tightened[1] >= 1
    assert stat.S_IMODE((folder / "vault.json").stat().st_mode) == 0o600
    assert (
        stat.S_IMODE(mine.stat().st_mode) == 0o644 and stat.S_IMODE((folder / "site").stat().st_mode) == 0o755
    )
