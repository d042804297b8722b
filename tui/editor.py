"""Writing a letter's body in the user's own editor ($VISUAL / $EDITOR), the terminal handed over meanwhile.

The body is health data, so its clear copy lives as briefly and as privately as it can: one file 0600 in a
private folder (0700, checked to be this user's) under the user's runtime folder ($XDG_RUNTIME_DIR, memory
backed), else /dev/shm (memory backed too), else the temporary folder; one sub-folder per app process, deleted
as soon as the editor returns, and at the next start when the app died meanwhile. What the editor itself
writes (swap, backup or undo files, viminfo) is the editor's: the README says how to turn it off.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import subprocess
import uuid
from dataclasses import dataclass

from core.config import child_environment, private_open
from tui.attachments import _own_private_dir
from tui.scratch import editing_dir

log = logging.getLogger("missive.tui")


def editor_command(configured: str = "") -> list[str]:
    """The editor to run: the profile's ``[compose] editor_command``, else $VISUAL, $EDITOR, vi."""
    text = configured.strip() or os.environ.get("VISUAL", "").strip() or os.environ.get("EDITOR", "").strip()
    return shlex.split(text) if text else ["vi"]


@dataclass(frozen=True)
class Edited:
    """What came back from the editor: the new body, or why the letter was left as it was."""

    body: str | None  # None: unchanged (the editor failed or quit with an error)
    problem: str = ""  # "missing" (no such editor), "failed" (exit status), "unreadable" (file gone or not text)
    status: int = 0


def edit_body(body: str, command: list[str]) -> Edited:
    """Write ``body`` to a private file, run ``command`` on it (blocking: call it with the terminal handed
    over, ``App.suspend()``), read it back and delete it at once, whatever happened."""
    folder = _own_private_dir(_own_private_dir(editing_dir()) / str(os.getpid()))
    path = folder / f"lettre-{uuid.uuid4().hex[:12]}.txt"
    fd = private_open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0))
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(body if body.endswith("\n") or not body else body + "\n")
        try:
            done = subprocess.run([*command, str(path)], env=child_environment(), check=False)
        except OSError as exc:
            log.warning("external editor could not start (%s)", type(exc).__name__)
            return Edited(None, "missing")
        if done.returncode != 0:
            log.info("external editor exited with status %d: letter unchanged", done.returncode)
            return Edited(None, "failed", done.returncode)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            log.warning("edited letter unreadable (%s): letter unchanged", type(exc).__name__)
            return Edited(None, "unreadable")
        return Edited(text[:-1] if text.endswith("\n") and not body.endswith("\n") else text)
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
        for leftover in folder.iterdir():  # an editor's backup beside it ("lettre-….txt~"): ours to remove
            with contextlib.suppress(OSError):
                if leftover.name.startswith(path.name) or leftover.name.startswith("." + path.name):
                    leftover.unlink()
        with contextlib.suppress(OSError):
            folder.rmdir()  # empty now; the parent folder stays, private
