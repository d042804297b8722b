"""A folder watch cancelled just as its change comes ends at once (the account-removal watch of an IDLE round)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.mail.dirwatch import DirWatch


async def test_a_wait_cancelled_as_the_change_comes_is_cancelled(tmp_path: Path) -> None:
    """The change wakes the waiter and the cancel comes before it runs (the daemon's IDLE round ended by a
    refused Pro Santé Connect token, whose write to the accounts woke the watch): the waiter is cancelled.
    With asyncio.wait_for on Python 3.11 the cancellation was swallowed, the watch went on for an hour and
    the daemon never asked the doctor's phone for the new login."""
    watch = DirWatch.open([tmp_path])
    assert watch is not None
    try:
        waiter = asyncio.ensure_future(watch.wait(3600.0))
        await asyncio.sleep(0)  # the waiter watches
        (tmp_path / "accounts.json").write_bytes(b"{}")
        await asyncio.sleep(0)  # the loop sees the descriptor ready: the change is set...
        await asyncio.sleep(0)  # ...and the waiter's wake-up is queued, not run
        waiter.cancel()
        done, _ = await asyncio.wait({waiter}, timeout=10)
        assert waiter in done and waiter.cancelled()
    finally:
        watch.close()


async def test_a_change_still_wakes_the_waiter_and_a_quiet_folder_times_out(tmp_path: Path) -> None:
    watch = DirWatch.open([tmp_path])
    assert watch is not None
    try:
        assert await watch.wait(0.05) is False
        waiter = asyncio.ensure_future(watch.wait(10.0))
        await asyncio.sleep(0)
        (tmp_path / "new").write_bytes(b"x")
        assert await asyncio.wait_for(waiter, 10) is True
    finally:
        watch.close()
