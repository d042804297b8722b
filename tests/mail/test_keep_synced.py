"""The background sync the TUI runs: states, new mail seen within seconds, offline and back, prompt stop."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest

from core.events import NewMail, Progress, SyncState
from core.mail.account import Account
from core.mailroom import Mailroom

PASS = "correct horse battery staple"


def mail(number: int) -> bytes:
    return (
        f"From: labo@labo.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: n{number}\r\n"
        f"Message-ID: <k{number}@labo.mssante.fr>\r\n\r\ncorps\r\n"
    ).encode()


async def wait_for(events: list, predicate, timeout: float = 15.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = [e for e in events if predicate(e)]
        if found:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"no such event within {timeout} s: {events}")


def _local_account(tmp_path: Path) -> tuple[Path, Mailroom]:
    """A profile with one Maildir account, "local"; the lab a correspondent (else: Quarantaine, no news)."""
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(settings.read_text("utf-8").replace("allow = []", 'allow = ["labo.mssante.fr"]', 1))
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="local", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    return root, mr


async def test_sync_then_new_mail_then_offline_then_back(tmp_path: Path, monkeypatch) -> None:
    import core.mailroom

    monkeypatch.setattr(core.mailroom, "RETRY_FIRST", 0.2)
    root, mr = _local_account(tmp_path)
    (root / "new" / "1.a").write_bytes(mail(1))
    events: list = []
    mr.subscribe(events.append)
    stop = asyncio.Event()
    runner = asyncio.create_task(mr.keep_synced("local", stop, idle_timeout=30))

    await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "online")
    assert [e.state for e in events if isinstance(e, SyncState)][:2] == ["syncing", "online"]
    assert any(isinstance(e, Progress) for e in events)
    assert [m.subject for m in mr.messages.list()] == ["n1"]

    events.clear()
    (root / "new" / "2.b").write_bytes(mail(2))
    [arrived] = await wait_for(events, lambda e: isinstance(e, NewMail) and e.account == "local")
    assert arrived == NewMail("local", 1)  # a count, never a subject
    assert sorted(m.subject for m in mr.messages.list()) == ["n1", "n2"]

    # the mailbox goes away: offline once, with the time of the last sync; the cached view stays
    moved = tmp_path / "elsewhere"
    shutil.move(root, moved)
    [offline] = await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "offline")
    assert offline.since and "Maildir" in offline.reason
    assert len(mr.messages.list()) == 2
    events.clear()
    shutil.move(moved, root)
    await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "online")

    stop.set()
    await asyncio.wait_for(runner, 5)  # stops promptly, even in the middle of a wait for news


async def test_retries_while_offline_say_it_once(tmp_path: Path, monkeypatch) -> None:
    """Each retry said 'synchronisation…' then 'offline' again: the app toasted the same failure every 5, 10,
    20 s… up to every 5 minutes all day. Offline is said once (again only if the reason changes), and the status
    stays offline through the retries until a sync succeeds."""
    import core.mailroom

    monkeypatch.setattr(core.mailroom, "RETRY_FIRST", 0.05)
    monkeypatch.setattr(core.mailroom, "RETRY_MAX", 0.1)
    mr = Mailroom.create(tmp_path / "profile", PASS)
    root = tmp_path / "Maildir"
    mr.accounts.add(Account(name="local", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    attempts: list[str] = []
    real_sync = mr.sync

    async def counted(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        attempts.append("sync")
        return await real_sync(*args, **kwargs)

    monkeypatch.setattr(mr, "sync", counted)
    events: list = []
    mr.subscribe(events.append)
    stop = asyncio.Event()
    runner = asyncio.create_task(mr.keep_synced("local", stop, idle_timeout=30))
    await wait_for(attempts, lambda _: len(attempts) >= 5)  # four retries after the first failure
    states = [(e.state, e.reason) for e in events if isinstance(e, SyncState)]
    assert [s for s, _ in states] == ["syncing", "offline"], states
    assert not states[1][1].startswith("Réseau")
    for sub in ("cur", "new", "tmp"):  # the folder appears (mbsync ran): online again
        (root / sub).mkdir(parents=True)
    await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "online")
    assert [e.state for e in events if isinstance(e, SyncState)][-1] == "online"
    stop.set()
    await asyncio.wait_for(runner, 5)


@pytest.mark.servers
async def test_an_imap_account_removed_during_its_idle_round_ends_it_at_once(tmp_path: Path, mail_servers) -> None:
    """Against the suite's Dovecot: the account waits in IDLE (a 540 s round); `missive account remove` in
    another process ends the round and the loop ('removed'), the IDLE connection given up, long before the
    round's end."""
    import os
    import sys

    from tests.mail.helpers import imap_account

    user = mail_servers.add_user("idle-removed")
    mail_servers.deliver(user, mail(1))
    mr = Mailroom.create(tmp_path / "profile", PASS)
    account = imap_account(mail_servers, user)
    mr.accounts.add(account)
    events: list = []
    mr.subscribe(events.append)
    stop = asyncio.Event()
    runner = asyncio.create_task(mr.keep_synced(account.name, stop, idle_timeout=540))
    await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "online", 60)
    await asyncio.sleep(0.5)  # into its IDLE round
    cli = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tui.cli", "--profile", str(tmp_path / "profile"), "account", "remove", account.name,
        env={**os.environ, "MISSIVE_PASSPHRASE": PASS},
        cwd=Path(__file__).resolve().parents[2],
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    assert await cli.wait() == 0
    [removed] = await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "removed", 60)
    assert removed.reason.startswith(f"compte {account.name} retiré du profil")
    await asyncio.wait_for(runner, 30)  # the loop is over, not waiting for the round's end
    assert not stop.is_set()


async def test_a_refresh_asked_while_the_news_are_stored_still_says_them(tmp_path: Path) -> None:
    """gp8, on the installed app: a letter arrived and ctrl+r was pressed (or a letter opened) as the IDLE round
    was storing it. The wake cancelled the whole round, its sync included: the letter was stored, its report
    lost, and the next sync found nothing new: no NewMail, so the inbox never listed it (nor the toast said it)
    until another letter came. The wake now ends the wait for news only, never the sync once begun."""
    from core.mail.sync import SyncEngine

    root, mr = _local_account(tmp_path)
    events: list = []
    mr.subscribe(events.append)
    stop = asyncio.Event()
    runner = asyncio.create_task(mr.keep_synced("local", stop, idle_timeout=30))
    try:
        await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "online")

        # the round's sync stores the letter, then the refresh key comes while it ends (the hook, the filing)
        real_sync = SyncEngine.sync
        stored, finish = asyncio.Event(), asyncio.Event()
        armed = [True]

        async def storing_then_slow(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            report = await real_sync(self, *args, **kwargs)
            if armed and report.new:
                armed.clear()
                stored.set()
                await finish.wait()
            return report

        SyncEngine.sync = storing_then_slow  # type: ignore[method-assign]
        try:
            events.clear()
            (root / "new" / "1.a").write_bytes(mail(1))
            await asyncio.wait_for(stored.wait(), 15)
            assert mr.sync_now() == 1  # ctrl+r, as the letter is being stored
            await asyncio.sleep(0.5)  # the wake goes through the loop before the round ends
            finish.set()
            [arrived] = await wait_for(events, lambda e: isinstance(e, NewMail) and e.account == "local")
            assert arrived == NewMail("local", 1)
        finally:
            SyncEngine.sync = real_sync  # type: ignore[method-assign]
        assert [m.subject for m in mr.messages.list()] == ["n1"]
    finally:
        stop.set()
        await asyncio.wait_for(runner, 10)


KEPT_WITHOUT_PSC = """
import asyncio, json, sys, tempfile
from pathlib import Path
from core.events import SyncState
from tests.mail.test_keep_synced import _local_account, mail, wait_for

async def main():
    with tempfile.TemporaryDirectory() as folder:
        root, mr = _local_account(Path(folder))
        (root / "new" / "1.a").write_bytes(mail(1))
        events = []
        mr.subscribe(events.append)
        stop = asyncio.Event()
        runner = asyncio.create_task(mr.keep_synced("local", stop, idle_timeout=30))
        await wait_for(events, lambda e: isinstance(e, SyncState) and e.state == "online")
        stop.set()
        await asyncio.wait_for(runner, 15)
        subjects = [m.subject for m in mr.messages.list()]
        mr.close()
    print(json.dumps({"subjects": subjects, "psc": "core.auth.psc" in sys.modules,
                      "urllib": "urllib.request" in sys.modules}))

asyncio.run(main())
"""


def test_an_account_that_does_not_log_in_with_pro_sante_connect_is_kept_without_its_client() -> None:
    """The background sync catches a PSC login's errors (core.auth) without importing the OpenID client
    (core.auth.psc: urllib.request, http.client, about 0.65 MB of the app) for an account that never uses it."""
    from tests.fresh import fresh_json

    out = fresh_json(KEPT_WITHOUT_PSC)
    assert out == {"subjects": ["n1"], "psc": False, "urllib": False}


def test_the_login_errors_are_the_clients_own() -> None:
    import core.auth
    from core.auth import psc

    assert psc.LoginRequired is core.auth.LoginRequired and psc.PscError is core.auth.PscError
    assert issubclass(core.auth.LoginRequired, core.auth.PscError) and core.auth.LoginRequired.permanent
