"""Wait for a change in a few folders without polling: Linux inotify through the C library (no dependency).

``DirWatch.open(folders)`` returns None where inotify is not available (another system, a C library without
it, no watch left): the caller then polls. A watch wakes its waiter when a file is created, deleted or moved
in or out of one of the folders; it reports no detail (the caller lists the folders again). A watched folder moved or removed wakes it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("missive.mail")

_IN_NONBLOCK = 0o4000
_IN_CLOEXEC = 0o2000000
_IN_CREATE, _IN_DELETE, _IN_MOVED_FROM, _IN_MOVED_TO = 0x100, 0x200, 0x40, 0x80
_IN_DELETE_SELF, _IN_MOVE_SELF = 0x400, 0x800
# a file in or out of a folder, or the folder itself moved or removed (the caller's next listing says so)
_MASK = _IN_CREATE | _IN_DELETE | _IN_MOVED_FROM | _IN_MOVED_TO | _IN_DELETE_SELF | _IN_MOVE_SELF
_libc: ctypes.CDLL | None = None


def _c_library() -> ctypes.CDLL | None:
    global _libc
    if _libc is None and sys.platform.startswith("linux"):
        try:
            _libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            _libc.inotify_init1.argtypes = [ctypes.c_int]
            _libc.inotify_add_watch.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_uint32]
        except (OSError, AttributeError):
            return None
    return _libc


class DirWatch:
    """An inotify descriptor watching ``folders``; ``wait`` returns when something changed or at the timeout."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    @classmethod
    def open(cls, folders: Sequence[Path]) -> DirWatch | None:
        libc = _c_library()
        if libc is None:
            return None
        fd = libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
        if fd < 0:
            log.info("inotify unavailable (errno %d): the folder is polled", ctypes.get_errno())
            return None
        for folder in folders:
            if libc.inotify_add_watch(fd, os.fsencode(folder), _MASK) < 0:
                log.info("inotify watch refused (errno %d): the folder is polled", ctypes.get_errno())
                os.close(fd)
                return None
        return cls(fd)

    async def wait(self, timeout: float) -> bool:
        """True when a change came within ``timeout`` seconds (its events are read and dropped)."""
        loop = asyncio.get_running_loop()
        changed: asyncio.Future[bool] = loop.create_future()

        def ready() -> None:
            if not changed.done():
                changed.set_result(True)

        loop.add_reader(self._fd, ready)
        try:
            # not asyncio.wait_for: on Python 3.11 it swallows a cancellation that comes as the change does
            # (the waiter then went on watching for an hour, and whoever cancelled it waited as long)
            done, _ = await asyncio.wait({changed}, timeout=timeout)
        finally:
            loop.remove_reader(self._fd)
        if not done:
            return False
        with contextlib.suppress(BlockingIOError, InterruptedError):
            while os.read(self._fd, 65536):
                pass
        return True

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
