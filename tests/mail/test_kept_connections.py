"""The daemon's IMAP connection kept between syncs (core.mail.sync.Connections), against the suite's Dovecot:
a sync on a kept connection sees every change made meanwhile by another session, the connection waiting in
IDLE is handed over to a sync and IDLE resumes on it, and a connection the server dropped is replaced."""

from __future__ import annotations

import asyncio
import contextlib

import pytest

from core.mail.accountlock import AccountLocks
from core.mail.imap import ImapClient
from core.mail.messages import MessageStore
from core.mail.sync import Connections, SyncEngine
from tests.mail.helpers import MemoryProfile, imap_account, letter

pytestmark = pytest.mark.servers


class _Opened:
    """A source factory that counts the connections it opens."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, account):
        self.count += 1
        return ImapClient(account)


async def _until(condition, seconds: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not reached in time"
        await asyncio.sleep(0.02)


async def test_a_kept_connection_sees_new_mail_flags_and_expunges_made_meanwhile(mail_servers) -> None:
    user = mail_servers.add_user("kept")
    for subject in ("garde", "efface", "marque"):
        mail_servers.deliver(user, letter(subject))
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    opened = _Opened()
    connections = Connections()
    engine = SyncEngine(store, source_factory=opened, connections=connections)
    try:
        assert (await engine.sync(account)).new == 3
        nothing = await engine.sync(account)  # on the kept connection, INBOX still selected on it
        assert (nothing.new, nothing.flags_in, nothing.expunged) == (0, 0, 0)
        by_subject = {m.subject: m for m in store.list()}
        async with ImapClient(account) as other:  # another desk: a flag (MODSEQ moves), an expunge
            await other.select("INBOX")
            await other.store_flags(by_subject["marque"].uid, add=["\\Flagged"])
            await other.store_flags(by_subject["efface"].uid, add=["\\Deleted"])
            await other._run("EXPUNGE", other._imap.expunge())
        mail_servers.deliver(user, letter("nouveau"))
        report = await engine.sync(account)
        assert (report.new, report.flags_in, report.expunged) == (1, 1, 1)
        assert sorted(m.subject for m in store.list()) == ["garde", "marque", "nouveau"]
        assert "\\Flagged" in store.get(by_subject["marque"].id).flags
        assert opened.count == 1  # one login for the three syncs
    finally:
        await connections.close()


async def test_the_connection_in_idle_is_handed_to_a_sync_and_idle_resumes(mail_servers) -> None:
    user = mail_servers.add_user("handover")
    mail_servers.deliver(user, letter("premier"))
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    opened = _Opened()
    connections = Connections()
    locks = AccountLocks()

    def engine() -> SyncEngine:  # as the façade makes one per call: the daemon's connections, the account's lock
        return SyncEngine(store, source_factory=opened, connections=connections, account_lock=locks.held)

    try:
        await engine().sync(account)
        idle = asyncio.create_task(engine().idle_once(account, timeout=60))
        await _until(lambda: user.split("@")[0] in connections._idling)
        asked = await asyncio.wait_for(engine().sync(account), 10)  # `missive sync` asked of the daemon
        assert asked.new == 0 and opened.count == 1  # on the connection that was in IDLE
        assert (await asyncio.wait_for(idle, 10)).new == 0  # its IDLE ended; nothing arrived
        # IDLE again on the same connection: a delivery still wakes it
        idle = asyncio.create_task(engine().idle_once(account, timeout=60))
        await _until(lambda: user.split("@")[0] in connections._idling)
        mail_servers.deliver(user, letter("urgent"))
        assert (await asyncio.wait_for(idle, 10)).new == 1
        assert sorted(m.subject for m in store.list()) == ["premier", "urgent"]
        assert opened.count == 1
    finally:
        await connections.close()


async def test_a_kept_connection_the_server_dropped_is_replaced(mail_servers) -> None:
    user = mail_servers.add_user("dropped")
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    opened = _Opened()
    connections = Connections()
    engine = SyncEngine(store, source_factory=opened, connections=connections)
    try:
        await engine.sync(account)
        kept = connections._free[account.name]
        kept._abort()  # the connection goes away while kept (a server restart, a NAT timeout)
        await asyncio.sleep(0.05)
        mail_servers.deliver(user, letter("après la coupure"))
        report = await engine.sync(account)
        assert report.new == 1 and report.reconnects == 0
        assert opened.count == 2
    finally:
        await connections.close()


async def test_one_listing_tells_which_folders_changed_and_the_selected_one_is_selected_again(mail_servers) -> None:
    """LIST-STATUS answers for every folder at once: a folder whose UIDNEXT, count or HIGHESTMODSEQ moved is
    synced, whichever it is; the folder still selected on the kept connection is selected again."""
    user = mail_servers.add_user("status")
    mail_servers.deliver(user, letter("dans la boîte"))
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    connections = Connections()
    engine = SyncEngine(store, connections=connections)
    try:
        await engine.sync(account)
        await engine.sync(account, folders=["INBOX"])  # INBOX is now the folder selected on the kept connection
        assert connections._free[account.name].selected.name == "INBOX"
        inbox = store.list("INBOX")[0]
        async with ImapClient(account) as other:  # another desk flags the letter and files a copy in Sent
            await other.select("INBOX")
            await other.store_flags(inbox.uid, add=["\\Flagged"])
            await other.append("Sent", letter("copie envoyée"))
        report = await engine.sync(account)
        assert (report.new, report.flags_in) == (1, 1)
        assert "\\Flagged" in store.get(inbox.id).flags
        assert [m.subject for m in store.list("Sent")] == ["copie envoyée"]
        nothing = await engine.sync(account)
        assert (nothing.new, nothing.flags_in, nothing.expunged) == (0, 0, 0)
        assert connections._free[account.name].selected.name != "INBOX"
        # a flag alone (INBOX not selected on the kept connection: only its HIGHESTMODSEQ tells), then a removal
        async with ImapClient(account) as other:
            await other.select("INBOX")
            await other.store_flags(inbox.uid, remove=["\\Flagged"], add=["\\Seen"])
        report = await engine.sync(account)
        assert (report.new, report.flags_in, report.expunged) == (0, 1, 0)
        assert "\\Flagged" not in store.get(inbox.id).flags
        async with ImapClient(account) as other:
            await other.select("INBOX")
            await other.store_flags(inbox.uid, add=["\\Deleted"])
            await other._run("EXPUNGE", other._imap.expunge())
        report = await engine.sync(account)
        assert (report.new, report.flags_in, report.expunged) == (0, 0, 1)
        assert store.list("INBOX") == []
    finally:
        await connections.close()


async def test_stopping_ends_the_idle_even_when_its_cancellation_is_lost(mail_servers) -> None:
    """The daemon stopping ends every IDLE through its wake event: an IDLE task whose cancellation Python's
    wait_for lost would otherwise wait for news (seen: a daemon 40 s to stop after a sync asked of it)."""
    user = mail_servers.add_user("stop")
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    connections = Connections()
    engine = SyncEngine(store, connections=connections)
    try:
        await engine.sync(account)
        idle = asyncio.create_task(engine.idle_once(account, timeout=300))
        await _until(lambda: account.name in connections._idling)
        connections.stop()  # no cancellation at all: the wake alone ends it
        assert (await asyncio.wait_for(idle, 20)).new == 0
        # and an IDLE started after the stop returns at once
        assert (await asyncio.wait_for(engine.idle_once(account, timeout=300), 20)).new == 0
    finally:
        await connections.close()


async def test_a_round_beside_a_sync_that_holds_the_connection_waits_for_it(mail_servers) -> None:
    """The daemon's IDLE round beginning while a sync asked of it (an app following the daemon, `missive sync`)
    holds the account's connection waited for nothing and logged in a second time (a second session on the
    server for each such sync). It now waits for the sync to give the connection back."""
    import threading

    user = mail_servers.add_user("busy")
    mail_servers.deliver(user, letter("retenu"))
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    opened = _Opened()
    connections = Connections()
    locks = AccountLocks()
    entered, gate = threading.Event(), threading.Event()

    def hook(raw: bytes) -> dict:  # the sync stays in its fetch (the store's thread) until the gate opens
        entered.set()
        gate.wait(20)
        return {}

    def engine() -> SyncEngine:
        return SyncEngine(
            store, on_new_message=hook, source_factory=opened, connections=connections, account_lock=locks.held
        )

    try:
        syncing = asyncio.create_task(engine().sync(account))
        assert await asyncio.to_thread(entered.wait, 20)
        idle = asyncio.create_task(engine().idle_once(account, timeout=60))
        await asyncio.sleep(0.5)
        assert opened.count == 1 and not idle.done()  # waiting for the connection, not logging in again
        gate.set()
        assert (await asyncio.wait_for(syncing, 20)).new == 1
        await _until(lambda: account.name in connections._idling)
        assert opened.count == 1  # the IDLE runs on the connection the sync gave back
        connections.stop()
        assert (await asyncio.wait_for(idle, 20)).new == 0
    finally:
        gate.set()
        await connections.close()


async def test_a_sync_beside_a_maildir_accounts_wait_for_news_does_not_wait_for_it(tmp_path, monkeypatch) -> None:
    """A Maildir account has no connection to hand over: a sync asked of the daemon while its wait for news runs
    reads the folder at once (it waited for a connection that would never be given back)."""
    from core.mail.account import Account
    from tests.mail.test_maildir_account import make_maildir

    monkeypatch.setattr(Connections, "BUSY_WAIT", 3600.0)
    root = tmp_path / "Maildir"
    make_maildir(root)
    account = Account(name="local", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root))
    store = MessageStore(MemoryProfile())
    connections = Connections()
    locks = AccountLocks()

    def engine() -> SyncEngine:
        return SyncEngine(store, connections=connections, account_lock=locks.held)

    try:
        await engine().sync(account)
        idle = asyncio.create_task(engine().idle_once(account, timeout=3600))
        await asyncio.sleep(0.5)  # waiting for news in the folder
        assert not idle.done()
        assert (await asyncio.wait_for(engine().sync(account), 60)).new == 0  # at once, not after the wait
        idle.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await idle
    finally:
        await connections.close()


async def test_a_sync_waiting_for_the_connection_gets_it_when_its_holder_goes_into_idle(
    mail_servers, monkeypatch
) -> None:
    """A sync asked of the daemon while its IDLE round holds the connection but has not begun its IDLE yet (it
    selects the folder) waits for it; the round going into IDLE then hands it over at once, rather than waiting
    for news with a sync waiting behind it (seen: 30 s, then a second login)."""
    monkeypatch.setattr(Connections, "BUSY_WAIT", 3600.0)
    user = mail_servers.add_user("holder")
    mail_servers.deliver(user, letter("premier"))
    account = imap_account(mail_servers, user)
    store = MessageStore(MemoryProfile())
    entered, gate = asyncio.Event(), asyncio.Event()
    held = [False]

    class SlowSelect(ImapClient):
        async def select(self, folder: str):  # the IDLE round's select waits for the gate, once
            if held[0]:
                held[0] = False
                entered.set()
                await gate.wait()
            return await super().select(folder)

    opened = _Opened()
    opened_with = lambda account: (setattr(opened, "count", opened.count + 1), SlowSelect(account))[1]  # noqa: E731
    connections = Connections()
    locks = AccountLocks()

    def engine() -> SyncEngine:
        return SyncEngine(store, source_factory=opened_with, connections=connections, account_lock=locks.held)

    try:
        await engine().sync(account)
        held[0] = True
        idle = asyncio.create_task(engine().idle_once(account, timeout=3600))
        await asyncio.wait_for(entered.wait(), 20)
        asked = asyncio.create_task(engine().sync(account))  # waits: the connection is held
        await asyncio.sleep(0.3)
        assert not asked.done()
        gate.set()  # the round goes on into IDLE: the waiting sync gets the connection now
        assert (await asyncio.wait_for(asked, 60)).new == 0
        assert opened.count == 1
        connections.stop()
        await asyncio.wait_for(idle, 20)
    finally:
        gate.set()
        await connections.close()
