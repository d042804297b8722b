"""Attachments leaving the profile: saved on purpose (0600, in the user's downloads) or opened in a viewer.

An opened attachment is a clear copy: it goes into a private folder (0700) under the user's runtime folder
($XDG_RUNTIME_DIR, memory-backed and the user's only, where the system has one; the temporary folder
otherwise), emptied when the app exits and again at the next start (a crash skips the first).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from core.config import private_dir, private_open
from core.errors import MissiveError
from core.model import file_name_to_write, runs_a_program
from tui.i18n import t


def downloads_dir() -> Path:
    """Where ``s`` saves: the user's downloads folder, in a ``missive`` folder of its own."""
    import platformdirs

    return Path(platformdirs.user_downloads_dir()) / "missive"


def viewing_dir() -> Path:
    """The private folder for attachments opened in a viewer (not created here)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "missive-ouverts"
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    return Path(tempfile.gettempdir()) / f"missive-ouverts-{user}"


def _own_private_dir(folder: Path) -> Path:
    """``folder`` created 0700, or an existing one checked to be a real folder of this user (a shared
    temporary folder lets anyone create the name first), then made 0700."""
    private_dir(folder)
    st = os.lstat(folder)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
        raise MissiveError(t("private_folder.not_a_folder", folder=str(folder)))
    if hasattr(os, "getuid"):
        if st.st_uid != os.getuid():
            raise MissiveError(t("private_folder.other_owner", folder=str(folder)))
        if stat.S_IMODE(st.st_mode) != 0o700:
            os.chmod(folder, 0o700)
    return folder


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if sys.platform == "win32":
        return False  # os.kill would end it; a file still open in a viewer there cannot be deleted anyway
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def empty_viewing_dir(*, at_start: bool = False) -> int:
    """Remove the attachments this app opened (at exit) or, at start, those of apps no longer running
    (a crash, a closed terminal). Each app keeps its copies in a folder named by its process id, so a second
    missive window's open letters are left alone. Returns how many folders were removed."""
    return empty_process_folders(viewing_dir(), at_start=at_start)


def empty_process_folders(folder: Path, *, at_start: bool) -> int:
    """In ``folder`` (one sub-folder per missive process), remove this process's (at exit) or, at start, those of
    processes no longer running; a folder not ours is never followed nor emptied. Returns how many were removed."""
    try:
        st = os.lstat(folder)
    except FileNotFoundError:
        return 0
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "getuid") and st.st_uid != os.getuid()):
        return 0  # not ours: never followed nor emptied
    removed = 0
    for entry in os.scandir(folder):
        mine = entry.name == str(os.getpid())
        stale = at_start and not (entry.name.isdigit() and _alive(int(entry.name)))
        if not (mine or stale):
            continue
        with contextlib.suppress(OSError):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
            else:
                os.unlink(entry.path)
            removed += 1
    return removed


def write_new(folder: Path, name: str, data: bytes) -> Path:
    """Write ``data`` 0600 under ``name`` in ``folder``, never replacing a file already there. ``name`` is the
    sender's: only a name a file of this computer may carry is used (core.model.file_name_to_write)."""
    path = folder / file_name_to_write(name)
    stem, suffix, number = path.stem, path.suffix, 1
    while True:
        try:
            fd = private_open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
        except FileExistsError:
            number += 1
            path = folder / f"{stem} ({number}){suffix}"
            continue
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return path


def save(attachments: list[tuple[str, bytes]], folder: Path | None = None) -> tuple[Path, list[Path]]:
    """Save each (name, data) in the downloads folder (created 0700), each file 0600. Returns where."""
    folder = private_dir(folder or downloads_dir())
    return folder, [write_new(folder, name, data) for name, data in attachments]


@dataclass(frozen=True)
class Opened:
    path: Path | None  # None: not written, a file that a viewer would run (``runs``)
    viewer: bool  # False: no viewer in this terminal, the file waits at ``path`` until the app exits
    runs: bool = False  # a program, a script, a shortcut: never given to a viewer (core.model.runs_a_program)


def has_viewer() -> bool:
    """Whether this session can show a file in a graphical viewer (not over SSH or on a bare console)."""
    if sys.platform in ("win32", "darwin"):
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    return shutil.which("xdg-open") is not None


def open_copy(name: str, data: bytes, env: dict[str, str] | None = None) -> Opened:
    """Write the attachment into the private viewing folder and hand it to the system's viewer if any. A file
    the viewer would run rather than show (os.startfile on 'resultats.pdf.exe', xdg-open on a .desktop) is
    neither written nor opened: ``s`` saves it for whoever means to."""
    if runs_a_program(name):
        return Opened(None, viewer=False, runs=True)
    folder = _own_private_dir(viewing_dir())
    path = write_new(_own_private_dir(folder / str(os.getpid())), name, data)
    if not has_viewer():
        return Opened(path, viewer=False)
    try:
        if sys.platform == "win32":
            os.startfile(path)  # type: ignore[attr-defined]  # the viewer Windows associates
        else:
            subprocess.Popen(
                ["open" if sys.platform == "darwin" else "xdg-open", str(path)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=env,
            )
    except OSError:
        return Opened(path, viewer=False)
    return Opened(path, viewer=True)
