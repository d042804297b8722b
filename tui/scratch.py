"""Where the clear copies of letters being edited live, and emptying that folder at the app's start and exit.

Apart from tui.editor so that the app's start, which empties the folder of a session that died with its editor
open, does not load the editor's code (and shlex) for a letter that may never be written."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tui.attachments import empty_process_folders

FOLDER_NAME = "missive-redaction"


def editing_dir() -> Path:
    """The private folder of letters being edited (not created here)."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / FOLDER_NAME
    user = os.getuid() if hasattr(os, "getuid") else os.getlogin()
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK):
        return shm / f"{FOLDER_NAME}-{user}"
    return Path(tempfile.gettempdir()) / f"{FOLDER_NAME}-{user}"


def empty_editing_dir(*, at_start: bool = False) -> int:
    """Remove this process's letters being edited (at exit) or, at start, those of processes no longer
    running (a crash while the editor was open). Returns how many folders were removed."""
    return empty_process_folders(editing_dir(), at_start=at_start)
