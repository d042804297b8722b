"""The app's background sync stopped while its next IDLE round is connecting ends, even when the cancellation is lost.

Python 3.11's asyncio.wait_for (aioimaplib's and ours, in the connection, the login, SELECT) returns the awaited
result when a cancellation comes just as it completes: the round asked to end went on, selected the folder and
waited in IDLE (a new task, which never heard of the cancellation) until its timeout, 9 minutes. Seen in CI as the
app's sync thread still alive 30 s after its stop (tests/send/test_app_follows_daemon.py, the test whose app syncs
by itself: its stop came as the next round connected, right after a letter arrived). Here the connection loses the
cancellation the way wait_for does; real Dovecot.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from core.events import SyncState
from core.mail.imap import ImapClient
from tests.mail.test_mailops_servers import _mailroom

pytestmark = pytest.mark.servers


async def test_a_stop_during_the_idle_rounds_connection_ends_the_loop(
    tmp_path: Path, mail_servers, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _user = await _mailroom(tmp_path, mail_servers, "Compte rendu")
    real_connect = ImapClient.connect
    connecting = asyncio.Event()

    async def connect(self: ImapClient) -> None:  # a connection that loses a cancellation, as wait_for does
        connecting.set()
        try:
            try:
                await asyncio.sleep(0.5)
            except asyncio.CancelledError:
                pass  # the result came with the cancellation: returned, the cancellation dropped
            await real_connect(self)
        finally:
            connecting.clear()

    monkeypatch.setattr(ImapClient, "connect", connect)
    online = asyncio.Event()
    app.subscribe(lambda e: online.set() if isinstance(e, SyncState) and e.state == "online" else None)
    stop = asyncio.Event()
    loop = asyncio.ensure_future(app.keep_synced("cab", stop, idle_timeout=540))
    try:
        await asyncio.wait_for(online.wait(), 60)  # synced: the next round (IDLE) connects now
        await asyncio.wait_for(connecting.wait(), 60)
        stop.set()  # the app quits as the round connects
        done, _ = await asyncio.wait({loop}, timeout=30)
        assert loop in done, "the background sync still running 30 s after its stop"
        loop.result()
    finally:
        if not loop.done():
            loop.cancel()
