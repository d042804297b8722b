"""Crash-safe file writes and a cross-platform inter-process lock.

A write goes to a temporary file in the same folder, is flushed and fsynced, then renamed over the target:
a crash at any instant leaves the old file or the new one, never a torn one. ``write_many`` does the same for
a batch of files: their writes and fsyncs run side by side (the disk commits them together, several times
cheaper than one after the other) and each folder is fsynced once, after every rename.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from core.errors import disk_full

if TYPE_CHECKING:  # loaded by write_many's first batch: a command that writes one file at most does without
    from concurrent.futures import Future, ThreadPoolExecutor

TEMP_SUFFIX = ".part"
FILE_MODE = 0o600  # every file missive creates: its user's only, whatever the umask
DIR_MODE = 0o700  # every folder missive creates
WRITERS = 4  # files written and fsynced at once by write_many
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def private_dir(folder: Path) -> Path:
    """Create ``folder`` and its missing parents, each 0700 whatever the umask; existing ones are left as
    they are (a parent such as /tmp or the user's home is not ours to change)."""
    folder = Path(folder)
    missing: list[Path] = []
    probe = folder
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for created in reversed(missing):
        try:
            os.mkdir(created, DIR_MODE)
        except FileExistsError:
            if not created.is_dir():
                raise
            continue
        _chmod(created, DIR_MODE)  # the umask may have taken bits away; never given any
    return folder


def private_open(path: Path, flags: int = os.O_WRONLY | os.O_CREAT | os.O_TRUNC) -> int:
    """``os.open`` for a file of missive's: created 0600 whatever the umask. Returns the descriptor."""
    # O_BINARY: on Windows a descriptor is in text mode otherwise, and its writes would turn \n into \r\n
    fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0), FILE_MODE)
    if hasattr(os, "fchmod"):
        try:
            if os.fstat(fd).st_mode & 0o7777 != FILE_MODE:
                os.fchmod(fd, FILE_MODE)
        except OSError:
            os.close(fd)
            raise
    return fd


def write_private(path: Path, data: bytes) -> None:
    """Write a new or replaced file 0600 (not atomically: for files built once, such as the demo's)."""
    private_dir(Path(path).parent)
    with os.fdopen(private_open(path), "wb") as fh:
        fh.write(data)


def _chmod(path: Path, mode: int) -> None:
    if sys.platform != "win32":
        os.chmod(path, mode)


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
    path: Path,
    data: bytes | Sequence[bytes],
    *,
    sync_dir: bool = True,
    durable: bool = True,
    advance_mtime: bool = False,
) -> None:
    """Replace ``path`` with ``data`` atomically and (unless ``durable=False``, for caches) durably.

    ``advance_mtime`` gives the new file a modification time later than the file it replaces, even within
    one clock tick: a reader that compares (mtime, size, inode) then never mistakes a new version for an old
    one, even when the file system hands the replaced inode number to the next version. ``data`` may be a
    sequence of pieces, written one after the other (never joined into one buffer).
    """
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.urandom(4).hex()}{TEMP_SUFFIX}")  # as secrets.token_hex(4)
    try:
        with os.fdopen(private_open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL), "wb") as fh:
            if isinstance(data, bytes | bytearray | memoryview):
                fh.write(data)
            elif hasattr(os, "writev"):
                _write_pieces(fh.fileno(), data)  # a pack of 100 letters: 1 system call, not 200
            else:
                for piece in data:
                    fh.write(piece)
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
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        full = disk_full(exc, path.parent)
        if full is not None:  # the old file is untouched: one clear line instead of an OSError
            raise full from None
        raise
    if sync_dir and durable:
        fsync_dir(path.parent)


_IOV_MAX = 512  # pieces per writev (POSIX guarantees at least 16; Linux and the BSDs take 1024)


def _write_pieces(fd: int, pieces: Sequence[bytes]) -> None:
    """Write every piece, in order, with as few ``writev`` calls as the kernel allows (short writes go on
    from where they stopped)."""
    pending = [memoryview(piece) for piece in pieces if len(piece)]
    start = 0
    while start < len(pending):
        batch = pending[start : start + _IOV_MAX]
        written = os.writev(fd, batch)
        if written <= 0:  # a regular file takes bytes or raises (ENOSPC...): never loop on nothing written
            raise OSError(errno.EIO, "nothing written")
        for piece in batch:
            if written < len(piece):
                pending[start] = piece[written:]
                break
            written -= len(piece)
            start += 1


def write_many(files: Iterable[tuple[Path, bytes]], *, advance_mtime: bool = False) -> None:
    """Write each ``(path, data)`` as ``atomic_write`` does, durably, all of them when this returns.

    The files are written and fsynced by a few threads at once, then each folder holding one is fsynced
    once. On failure the first error is raised once every write has finished; files already renamed keep
    their new content (as after a crash): callers order their writes so that this is safe.

    ``files`` may be a generator: it is read as the writers go, and no more than ``2 * WRITERS`` contents
    are held at once (a docstore's split rewrites the whole collection: never all of it in memory at once).
    """
    if isinstance(files, Sequence):
        if not files:
            return
        if len(files) == 1:
            atomic_write(files[0][0], files[0][1], advance_mtime=advance_mtime)
            return

    def write(item: tuple[Path, bytes]) -> None:
        atomic_write(item[0], item[1], sync_dir=False, advance_mtime=advance_mtime)

    folders: set[Path] = set()
    pending: deque[Future[None]] = deque()
    errors: list[BaseException] = []
    try:
        for item in files:
            folder = item[0].parent
            if folder not in folders:
                private_dir(folder)
                folders.add(folder)
            pending.append(_writers().submit(write, item))
            del item
            while len(pending) > 2 * WRITERS:
                if (exc := pending.popleft().exception()) is not None:
                    errors.append(exc)
    finally:
        for future in pending:
            if (exc := future.exception()) is not None:
                errors.append(exc)
    if errors:
        raise errors[0]
    for folder in folders:
        fsync_dir(folder)


def _writers() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            from concurrent.futures import ThreadPoolExecutor

            _pool = ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="missive-write")
        return _pool


def clean_temp_files(folder: Path) -> None:
    """Remove temporaries left by a crash (they never hold the only copy of anything): the names
    ``atomic_write`` gives them, ``.<name>.<random>.part``. One listing of the folder, no pattern compiled (a
    glob compiled a regular expression and walked pathlib's selectors for every collection a command opened:
    2% of a no-change `missive sync`)."""
    try:
        entries = os.scandir(folder)
    except OSError:  # no folder yet (or not a folder): nothing left behind
        return
    with entries:
        for entry in entries:
            name = entry.name
            if name.startswith(".") and name.endswith(TEMP_SUFFIX) and len(name) > len(TEMP_SUFFIX):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


class FileLock:
    """An exclusive lock on a file, held across processes (fcntl on POSIX, msvcrt on Windows).

    Re-entrant within one object and one thread, so nested write operations do not deadlock; another
    thread of the same process (the TUI's background sync) waits like another process would.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: BinaryIO | None = None
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
        private_dir(self.path.parent)
        fh = os.fdopen(private_open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND), "a+b")
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
