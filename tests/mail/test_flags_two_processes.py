"""The app and `missive daemon` on one profile: a letter read in the app while the daemon syncs reaches the server.

Each process keeps the folder's sync state in memory during a round and saves it at the end. A letter opened in
the app (read here, the server told at the next sync: ``state.pending``) while the daemon's round ran was
dropped from that state by the daemon's save: read here for good, unread on the server for ever, so the
secretary's desk (and the webmail) kept it unread. Two ``Mailroom`` objects on one profile stand for the two
processes (each has its own caches); real Dovecot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from core.mailroom import Mailroom
from tests.mail.helpers import letter
from tests.mail.test_mailops_servers import PASS, _id, _mailroom, _server

pytestmark = pytest.mark.servers


async def test_a_letter_read_in_the_app_during_the_daemons_sync_is_read_on_the_server(
    tmp_path: Path, mail_servers
) -> None:
    daemon, user = await _mailroom(tmp_path, mail_servers, "Avis du cardiologue", "Compte rendu")
    app = Mailroom.open(tmp_path / "profile", PASS)  # the app: the same profile, another process
    first, second = _id(app, "Avis du cardiologue"), _id(app, "Compte rendu")
    mail_servers.deliver(user, letter("Nouveau"))  # the daemon's next round has a letter to fetch
    hook = daemon.on_new_message
    opened: list[str] = []

    def meanwhile(raw: bytes, store_id: str | None = None) -> dict[str, Any]:
        if not opened:  # the doctor opens two letters while the daemon reads the new one
            app.mark_seen(first)
            app.mark_seen(second)
            opened.append(first)
        return hook(raw, store_id)

    daemon.on_new_message = meanwhile  # type: ignore[method-assign]
    await daemon.sync("cab")
    assert opened
    assert not app.messages.get(first).unread  # read here, as the doctor saw it

    await daemon.sync("cab")  # the daemon's next round tells the server
    server = await _server(mail_servers, user, "INBOX")
    assert "\\Seen" in server["Avis du cardiologue"] and "\\Seen" in server["Compte rendu"]
    assert server["Nouveau"] == ()


async def test_a_letter_read_in_the_app_is_read_on_the_server_within_seconds(
    tmp_path: Path, mail_servers
) -> None:
    """Opening a letter marked it read here only; the server heard of it at the next sync, and the app's
    background sync waits for news in IDLE for up to 9 minutes: the secretary's desk showed the letter the doctor
    had read as unread all that time. The letter read now ends the wait; a sync tells the server."""
    import asyncio
    import threading

    from core.events import SyncState

    app, user = await _mailroom(tmp_path, mail_servers, "Avis du cardiologue", "Compte rendu")
    online = threading.Event()
    app.subscribe(lambda e: online.set() if isinstance(e, SyncState) and e.state == "online" else None)
    stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []

    def background() -> None:  # the app's sync thread: its own event loop, as tui.app runs it
        async def main() -> None:
            stop.append((asyncio.get_running_loop(), asyncio.Event()))
            await app.keep_synced("cab", stop[0][1], idle_timeout=540)

        asyncio.run(main())

    thread = threading.Thread(target=background)
    thread.start()
    try:
        assert await asyncio.to_thread(online.wait, 60)
        await asyncio.sleep(1)  # in IDLE now, waiting for news that will not come
        app.mark_seen(_id(app, "Avis du cardiologue"))  # the doctor opens it (tui: InboxPane.open_message)
        for _ in range(300):
            server = await _server(mail_servers, user, "INBOX")
            if "\\Seen" in server["Avis du cardiologue"]:
                break
            await asyncio.sleep(0.1)
        assert "\\Seen" in server["Avis du cardiologue"]  # long before the IDLE round's 540 s
        assert server["Compte rendu"] == ()
    finally:
        loop, event = stop[0]
        loop.call_soon_threadsafe(event.set)
        await asyncio.to_thread(thread.join, 30)
    assert not thread.is_alive()
