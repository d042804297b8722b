"""keep_synced's rounds are ``_until`` inside ``_until`` (the round around ``Mailroom.idle``, which waits on the
engine's IDLE round under its own ``_until``): an outer event must end the inner work too. Left running, the IDLE
round went on with its connection open until its timeout (9 minutes), one more for each letter read in the app,
until the server's per-address connection limit refused the account (seen as a thread that did not end, 1 run in
15, in tests/mail/test_flags_two_processes.py)."""

from __future__ import annotations

import asyncio

from core.mailroom import _until


async def test_an_outer_event_ends_the_work_of_an_inner_until_and_waits_for_its_cleanup() -> None:
    began = asyncio.Event()
    ended: list[str] = []

    async def idle_round() -> int:  # the engine's IDLE round: says DONE and gives its connection back when ended
        began.set()
        try:
            await asyncio.sleep(3600)
            return 1
        finally:
            await asyncio.sleep(0)  # its clean-up awaits too (DONE answered, the connection closed)
            ended.append("idle round closed")

    async def mailroom_idle() -> int | None:  # Mailroom.idle: the round, unless the account is removed
        removed = asyncio.Event()
        return await _until(removed, idle_round())

    stop, read_here = asyncio.Event(), asyncio.Event()
    outer = asyncio.ensure_future(_until(stop, mailroom_idle(), None, read_here))
    await began.wait()
    read_here.set()  # a letter read in the app
    assert await outer is None
    assert ended == ["idle round closed"]  # ended, and before the outer round returned
    await asyncio.sleep(0)  # the event waiters, cancelled, end at the loop's next turn
    others = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert others == []  # nothing left running: no IDLE round, no event waiter


async def test_work_that_finishes_first_gives_its_result_and_leaves_nothing_running() -> None:
    stop = asyncio.Event()

    async def quick() -> int:
        return 7

    assert await _until(stop, quick(), stop) == 7
    await asyncio.sleep(0)
    assert [t for t in asyncio.all_tasks() if t is not asyncio.current_task()] == []
