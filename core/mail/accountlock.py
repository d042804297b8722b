"""One lock per account for the process: a sync round and an operation of the doctor's (core.mail.mailops:
read/unread, flag, move, delete) on the same account never interleave, whatever thread or event loop each
runs in (the app syncs in the background in a thread of its own)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator


class AccountLocks:
    """One lock per account, shared by every thread and event loop of the process: an operation and a sync
    round on the same account never interleave (a sync would otherwise save a folder state it read before the
    operation changed it). ``held(name)`` waits without blocking its event loop, and a task cancelled while
    waiting leaves nothing held. Not re-entrant: an operation never syncs, a sync never runs an operation but
    through its own ``before_sync`` (inside the lock)."""

    POLL = 0.02  # seconds between two looks while another holds the account

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock(self, name: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(name, threading.Lock())

    @contextlib.asynccontextmanager
    async def held(self, name: str) -> AsyncIterator[None]:
        lock = self._lock(name)
        while not lock.acquire(blocking=False):
            await asyncio.sleep(self.POLL)
        try:
            yield
        finally:
            lock.release()
