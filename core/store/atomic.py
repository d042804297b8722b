"""Crash-safe file writes and a cross-platform inter-process lock.

A write goes to a temporary file in the same folder, is flushed and fsynced, then renamed over the target:
a crash at any instant leaves the old file or the new one, never a torn one. ``write_many`` does the same for
a batch of files: their writes and fsyncs run side by side (the disk commits them together, several times
cheaper than one after the other) and each folder is fsynced once, after every rename.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEMP_SUFFIX = ".part"
WRITERS = 4  # files written and fsynced at once by write_many
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handles to sync."""
    if sys.platform == "win32":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(
    path: Path, data: bytes, *, sync_dir: bool = True, durable: bool = True, advance_mtime: bool = False
) -> None:
    """Replace ``path`` with ``data`` atomically and (unless ``durable=False``, for caches) durably.

    ``advance_mtime`` gives the new file a modification time later than the file it replaces, even within
    one clock tick: a reader that compares (mtime, size, inode) then never mistakes a new version for an old
    one, even when the file system hands the replaced inode number to the next version.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            if advance_mtime:
                try:
                    previous = os.stat(path).st_mtime_ns
                except FileNotFoundError:
                    previous = 0
                stamp = max(time.time_ns(), previous + 1)
                os.utime(tmp, ns=(stamp, stamp))
            if durable:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    if sync_dir and durable:
        fsync_dir(path.parent)


def write_many(files: Sequence[tuple[Path, bytes]], *, advance_mtime: bool = False) -> None:
    """Write each ``(path, data)`` as ``atomic_write`` does, durably, all of them when this returns.

    The files are written and fsynced by a few threads at once, then each folder holding one is fsynced
    once. On failure the first error is raised once every write has finished; files already renamed keep
    their new content (as after a crash): callers order their writes so that this is safe.
    """
    if not files:
        return
    if len(files) == 1:
        atomic_write(files[0][0], files[0][1], advance_mtime=advance_mtime)
        return

    def write(item: tuple[Path, bytes]) -> None:
        atomic_write(item[0], item[1], sync_dir=False, advance_mtime=advance_mtime)

    folders = {path.parent for path, _ in files}
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    futures = [_writers().submit(write, item) for item in files]
    errors = [exc for f in futures if (exc := f.exception()) is not None]
    if errors:
        raise errors[0]
    for folder in folders:
        fsync_dir(folder)


def _writers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="missive-write")
        return _pool


def clean_temp_files(folder: Path) -> None:
    """Remove temporaries left by a crash (they never hold the only copy of anything)."""
    if not folder.is_dir():
        return
    for tmp in folder.glob(f".*{TEMP_SUFFIX}"):
        with contextlib.suppress(OSError):
            tmp.unlink()


class FileLock:
    """An exclusive lock on a file, held across processes (fcntl on POSIX, msvcrt on Windows).

    Re-entrant within one object and one thread, so nested write operations do not deadlock; another
    thread of the same process (the TUI's background sync) waits like another process would.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh = None
        self._depth = 0
        self._thread_lock = threading.RLock()

    def acquire(self) -> None:
        self._thread_lock.acquire()
        try:
            self._acquire_file()
        except BaseException:
            self._thread_lock.release()
            raise

    def _acquire_file(self) -> None:
        if self._depth:
            self._depth += 1
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(self.path, "a+b")  # noqa: SIM115 - held until release()
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                while True:
                    try:
                        msvcrt.locking(fh.fileno(), msvcrt.LK_LOCK, 1)
                        break
                    except OSError:
                        continue
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        except BaseException:
            fh.close()
            raise
        self._fh = fh
        self._depth = 1

    def release(self) -> None:
        if not self._depth:
            return
        try:
            self._release_file()
        finally:
            self._thread_lock.release()

    def _release_file(self) -> None:
        self._depth -= 1
        if self._depth:
            return
        fh, self._fh = self._fh, None
        assert fh is not None
        try:
            if sys.platform == "win32":
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()

    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()
