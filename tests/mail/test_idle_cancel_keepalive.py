"""An IDLE round asked to end must end, even when the server's keep-alive ('OK Still here') comes at that moment.

Python 3.11's asyncio.wait_for returns the awaited result when a cancellation arrives just as it completes:
ImapClient.idle read pushes through aioimaplib's wait_server_push (a wait_for), so a round cancelled as a
keep-alive came (a letter read in the app, the app or the daemon stopping) went on waiting for the next push, up to
9 minutes (the sync thread of tests/mail/test_flags_two_processes.py still alive 30 s after its stop, 1 run in
10-20). Here a server sends keep-alives without end, and the round is cancelled while they come."""

from __future__ import annotations

import asyncio

from core.mail.account import Account
from core.mail.imap import ImapClient


class _Protocol:
    def __init__(self) -> None:
        self.capabilities = ["IMAP4rev1", "IDLE"]
        self.idle_queue: asyncio.Queue[object] = asyncio.Queue()


class _ChattyServer:
    """aioimaplib's IMAP4 as ImapClient.idle uses it, for a server that sends a keep-alive at every turn."""

    def __init__(self) -> None:
        self.protocol = _Protocol()
        self.done_sent = 0
        self._idle_over = asyncio.Event()

    async def idle_start(self, timeout: float) -> asyncio.Future[None]:
        async def until_done() -> None:
            await self._idle_over.wait()

        asyncio.ensure_future(self._chatter())
        return asyncio.ensure_future(until_done())

    async def _chatter(self) -> None:
        while not self._idle_over.is_set():
            self.protocol.idle_queue.put_nowait([b"OK Still here"])
            await asyncio.sleep(0)

    def idle_done(self) -> None:
        self.done_sent += 1
        self._idle_over.set()

    async def wait_server_push(self, timeout: float) -> object:  # what the code read before
        return await asyncio.wait_for(self.protocol.idle_queue.get(), timeout)


async def test_an_idle_round_cancelled_while_keep_alives_come_ends_at_once() -> None:
    client = ImapClient(Account(name="cab", email="dr@cabinet.test", imap_host="127.0.0.1"))
    server = _ChattyServer()
    client._imap = server
    for attempt in range(50):  # each time at another moment of the keep-alives' turns
        idle = asyncio.ensure_future(client.idle(timeout=540))
        for _ in range(attempt % 7 + 3):
            await asyncio.sleep(0)
        idle.cancel()
        done, _ = await asyncio.wait({idle}, timeout=5)
        assert done, f"the IDLE round went on after it was cancelled (attempt {attempt})"
        server._idle_over.clear()
    assert server.done_sent == 50  # each round said DONE to the server


class _SwallowingServer(_ChattyServer):
    """A library call that swallows a cancellation (as Python 3.11's wait_for does when its result completes at
    that moment): idle_start returns normally although the task was cancelled while it ran."""

    async def idle_start(self, timeout: float) -> asyncio.Future[None]:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # swallowed, as aioimaplib's wait_for can

        async def until_done() -> None:
            await self._idle_over.wait()

        return asyncio.ensure_future(until_done())


async def test_a_cancellation_swallowed_below_still_ends_the_idle_round() -> None:
    client = ImapClient(Account(name="cab", email="dr@cabinet.test", imap_host="127.0.0.1"))
    server = _SwallowingServer()  # and no keep-alive: only the cancellation can end the round
    client._imap = server
    idle = asyncio.ensure_future(client.idle(timeout=540))
    await asyncio.sleep(0.05)
    idle.cancel()
    done, _ = await asyncio.wait({idle}, timeout=5)
    assert done and idle.cancelled()
    assert server.done_sent == 1
