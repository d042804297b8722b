"""The inbox's last first frame, kept encrypted in the profile so that the next start can show it at once.

At start-up the interface toolkit takes longer to load than the key derivation: the screen the app will paint
is known long before it can paint it. The app keeps the bytes of its first inbox frame (Textual's own full
rendering) sealed under the profile's key in ``resume-frame``, with a key of everything that frame depends
on: what the interface gives (terminal size, colour settings, language, theme, date, versions) and a stamp of
every profile file the screen is read from (``profile_stamp``: any message stored, flag changed, letter
queued, setting or theme changed moves it). The next start, once the key is derived, shows the frame only if
both keys are exactly equal; anything else (a change, a damaged file) is the normal start.

The frame shows names and subjects: it is health data, sealed like the shards (AES-GCM bound to its logical
name), written 0600 and never logged. The stamp is taken before the screen's data is read, so that a change
made meanwhile can only make the next start miss, never show something older.
"""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path

from core.errors import StoreCorrupted
from core.store.atomic import atomic_write
from core.store.vault import Vault

log = logging.getLogger("missive.store")

FRAME_FILE = "resume-frame"
_LOGICAL = "resume-frame"
_MAGIC = b"RF1\n"
# what the inbox's screen never shows: the message bodies, the audit trail, the directory, the patient index,
# downloads, the wrapped key, the logs and the daemon's socket (and this file itself)
_NOT_SHOWN = frozenset(
    {FRAME_FILE, "vault.json", "blobs", "audit", "directory", "index", "downloads", "daemon.sock"}
)


def _skipped(name: str) -> bool:
    return (
        name in _NOT_SHOWN
        or name.startswith(("missive.log", "index-"))  # logs; list indexes (derived from the shards)
        or name.endswith((".part", ".lock"))  # files being written; lock files
    )


def profile_stamp(root: Path) -> str:
    """A digest of the (name, inode, size, modification time) of every profile file the inbox's screen is read
    from: settings, themes, message shards and folder states, drafts, outbox, quarantine. The store moves a
    replaced file's modification time forward (``atomic_write(advance_mtime=True)``), and every write makes a
    new inode: a change never leaves the stamp as it was."""
    digest = hashlib.sha256()
    stack = [Path(root)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as found:
            entries = sorted(found, key=lambda e: e.name)
        for entry in entries:
            if _skipped(entry.name):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
                continue
            st = entry.stat(follow_symlinks=False)
            digest.update(f"{entry.path}\0{st.st_ino}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def frame_key(view: str, stamp: str) -> str:
    """The key a frame is kept under: what the interface gives with the profile's stamp."""
    return hashlib.sha256(f"{view}\0{stamp}".encode()).hexdigest()


def read_frame(root: Path, vault: Vault, key: str) -> str | None:
    """The frame kept under exactly ``key``, or None (none kept, another key, or a damaged file: logged)."""
    path = Path(root) / FRAME_FILE
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        log.debug("resume frame: none kept")
        return None
    except OSError as exc:
        log.info("resume frame unreadable (%s): normal start", type(exc).__name__)
        return None
    try:
        plain = vault.unseal(raw, _LOGICAL, path)
        if not plain.startswith(_MAGIC):
            raise ValueError("not a resume frame")
        kept, _, frame = plain[len(_MAGIC) :].partition(b"\n")
        if kept.decode("ascii") != key:
            log.debug("resume frame: kept for another screen or state")
            return None
        return frame.decode("utf-8")
    except (StoreCorrupted, ValueError) as exc:  # UnicodeDecodeError is a ValueError
        log.info("resume frame damaged (%s): normal start", type(exc).__name__)
        return None


def write_frame(root: Path, vault: Vault, key: str, frame: str) -> None:
    """Keep ``frame`` under ``key``, sealed, 0600 (a cache: not fsynced, a crash loses it at most)."""
    if "\n" in key or not key.isascii():
        raise ValueError("a frame key is one line of ASCII")
    sealed = vault.seal(_MAGIC + key.encode("ascii") + b"\n" + frame.encode("utf-8"), _LOGICAL)
    atomic_write(Path(root) / FRAME_FILE, sealed, durable=False)


def forget_frame(root: Path) -> None:
    try:
        os.unlink(Path(root) / FRAME_FILE)
    except FileNotFoundError:
        pass
