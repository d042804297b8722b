"""A hard crash during a first sync leaves letters stored that the folder state does not name yet (it is
saved every few batches or 2 s): the next sync fetches them again. A flag the doctor set on one of them in
that window (read, flagged, filed: kept here until the server has it) is a local intent: the letter fetched
again keeps it and the sync pushes it, instead of the server's copy overwriting it. Against the suite's
Dovecot."""

from __future__ import annotations

import pytest

from core.mail.imap import ImapClient
from core.mail.messages import MessageStore
from core.mail.sync import SyncEngine
from tests.mail.helpers import MemoryProfile, imap_account, letter

pytestmark = pytest.mark.servers


async def test_a_flag_set_in_the_crash_window_survives_the_fetch_again_and_goes_up(mail_servers) -> None:
    user = mail_servers.add_user("crashwindow")
    for subject in ("A", "B", "C"):
        mail_servers.deliver(user, letter(subject))
    store = MessageStore(MemoryProfile())
    engine = SyncEngine(store, backoff=0.2)
    account = imap_account(mail_servers, user)
    await engine.sync(account)
    b, c = (next(m for m in store.list() if m.subject == s) for s in ("B", "C"))

    # the folder state as a SIGKILL left it: A named, B and C stored but not yet named, the fetch unfinished
    state = store.folder_state(account.name, "INBOX")
    for uid in (b.uid, c.uid):
        state.known().pop(uid, None)
    state.uidnext, state.exists, state.highestmodseq = 0, 0, None
    store.save_state(state)
    # in that window the doctor flagged B and read C (the server could not be told: kept for the push)
    store.add_flags(b.id, "\\Flagged")
    store.add_flags(c.id, "\\Seen", "$Filed")

    report = await engine.sync(account)
    assert report.new == 2  # fetched again, under the same ids
    assert "\\Flagged" in store.get(b.id).flags  # was the server's copy: no flag
    assert {"\\Seen", "$Filed"} <= set(store.get(c.id).flags) and store.get(c.id).filed
    async with ImapClient(account) as imap:
        await imap.select("INBOX")
        server = await imap.flags(await imap.uids())
    assert "\\Flagged" in server[b.uid] and {"\\Seen", "$Filed"} <= set(server[c.uid])
    after = store.folder_state(account.name, "INBOX")
    assert not after.pending and set(after.known()[b.uid]) >= {"\\Flagged"}
    assert (await engine.sync(account)).flags_out == 0  # nothing left to send again


async def test_a_pending_flag_of_a_letter_expunged_meanwhile_is_dropped(mail_servers) -> None:
    """The same window, but the letter was expunged on the server before the next sync: nothing to push, no
    error, nothing left pending."""
    user = mail_servers.add_user("crashgone")
    for subject in ("A", "B"):
        mail_servers.deliver(user, letter(subject))
    store = MessageStore(MemoryProfile())
    engine = SyncEngine(store, backoff=0.2)
    account = imap_account(mail_servers, user)
    await engine.sync(account)
    b = next(m for m in store.list() if m.subject == "B")
    state = store.folder_state(account.name, "INBOX")
    state.known().pop(b.uid, None)
    state.uidnext, state.exists, state.highestmodseq = 0, 0, None
    store.save_state(state)
    store.add_flags(b.id, "\\Flagged")
    async with ImapClient(account) as imap:
        await imap.select("INBOX")
        await imap.expunge_uid(b.uid)

    await engine.sync(account)
    assert not store.folder_state(account.name, "INBOX").pending
    assert (await engine.sync(account)).flags_out == 0


async def test_a_letter_read_while_the_first_sync_goes_on_is_read_on_the_server_too(mail_servers) -> None:
    """The doctor opens the first letter while the rest of a first sync is still coming (the app lists
    letters as they are stored): its \\Seen was kept only here. The sync held its own copy of the folder
    state and saved it over the one set_flags had just saved, so the flag was never sent: other desks and
    the webmail showed the letter unread, for good."""
    user = mail_servers.add_user("readduringsync")
    for i in range(250):  # three FETCH batches of 100
        mail_servers.deliver(user, letter(f"L{i:03d}"))
    store = MessageStore(MemoryProfile())
    opened: dict[str, int | str] = {}

    def hook(raw: bytes) -> dict:
        if b"Subject: L220" in raw and not opened:  # the first batches are stored by now
            first = next(m for m in store.list() if m.subject == "L000")
            store.add_flags(first.id, "\\Seen")  # what opening it does (Mailroom.mark_seen)
            opened.update(id=first.id, uid=first.uid)
        return {}

    engine = SyncEngine(store, backoff=0.2, on_new_message=hook)
    account = imap_account(mail_servers, user)
    report = await engine.sync(account)
    assert report.new == 250 and opened
    assert "\\Seen" in store.get(str(opened["id"])).flags
    async with ImapClient(account) as imap:
        await imap.select("INBOX")
        server = await imap.flags([int(opened["uid"])])
    assert "\\Seen" in server[int(opened["uid"])]
    assert not store.folder_state(account.name, "INBOX").pending
