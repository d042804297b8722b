"""The app keeps a real profile's account in sync in the background: status bar online, new mail appears."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.mail.account import Account
from core.mailroom import Mailroom
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

PASS = "correct horse battery staple"


def mail(number: int) -> bytes:
    return (
        f"From: labo@labo.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Message {number}\r\n"
        f"Message-ID: <live{number}@labo.mssante.fr>\r\nDate: Mon, 02 Mar 2026 10:0{number}:00 +0100\r\n\r\n"
        "corps\r\n"
    ).encode()


async def test_status_goes_online_and_new_mail_shows_up(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1.a").write_bytes(mail(1))
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8"
    )
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "en ligne" in text_of(app, "#status-accounts"), "account online")
        messages = app.screen.query_one(MessageList)
        await until(pilot, lambda: len(messages.rows) == 1, "the first sync listed")

        (root / "new" / "2.b").write_bytes(mail(2))
        await until(pilot, lambda: len(messages.rows) == 2, "the new message listed")
        assert any("nouveau" in str(n.message) for n in app._notifications)  # the toast, a count only
        assert not any("Message 2" in str(n.message) for n in app._notifications)

        # the mailbox goes away: offline, and the cached list stays on screen
        root.rename(tmp_path / "gone")
        await until(pilot, lambda: "hors ligne" in text_of(app, "#status-accounts"), "account offline", 30)
        assert len(messages.rows) == 2
        await pilot.press("ctrl+q")


async def test_with_the_daemon_running_the_app_says_so_and_shows_what_it_brings() -> None:
    """`missive daemon` on the profile: the status bar says the daemon syncs, a letter the daemon stores is
    listed, ctrl+r asks for a round (the daemon's); the daemon stopped, the app syncs by itself again."""
    import os
    import shutil
    import signal
    import subprocess
    import sys
    import tempfile

    from core import agent

    folder = Path(tempfile.mkdtemp(prefix="mtui-", dir="/tmp"))  # short: a socket path holds ~100 bytes
    daemon = None
    try:
        root = folder / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (root / sub).mkdir(parents=True)
        (root / "new" / "1.a").write_bytes(mail(1))
        Mailroom.create(folder / "p", PASS)
        settings = folder / "p" / "profile.toml"
        settings.write_text(
            settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8"
        )
        mr = Mailroom.open(folder / "p", PASS)
        mr.accounts.add(Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
        root_dir = Path(__file__).resolve().parents[2]
        env = dict(os.environ, MISSIVE_KDF="floor", PYTHONPATH=str(root_dir), MISSIVE_PASSPHRASE=PASS)
        daemon = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "--profile", str(folder / "p"), "daemon"],
            env=env, cwd=root_dir, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for _ in range(600):
            if agent.socket_stamp(folder / "p") and agent.answers(folder / "p" / agent.SOCKET_NAME):
                break
            await asyncio.sleep(0.05)
        app = MissiveApp(mailroom=mr)
        async with app.run_test(size=(80, 24)) as pilot:
            status = "#status-accounts"
            await until(pilot, lambda: "synchro par le démon" in text_of(app, status), "synced by the daemon", 120)
            messages = app.screen.query_one(MessageList)
            await until(pilot, lambda: len(messages.rows) == 1, "the daemon's first round listed", 120)

            (root / "new" / "2.b").write_bytes(mail(2))
            await until(pilot, lambda: len(messages.rows) == 2, "the letter the daemon stored listed", 120)
            await pilot.press("ctrl+r")
            await until(pilot, lambda: any("demandée" in str(n.message) for n in app._notifications), "asked", 60)

            daemon.send_signal(signal.SIGTERM)
            assert await asyncio.to_thread(daemon.wait, 60) == 0
            await until(pilot, lambda: "en ligne" in text_of(app, status), "synced by the app again", 120)
            (root / "new" / "3.c").write_bytes(mail(3))
            await until(pilot, lambda: len(messages.rows) == 3, "the app's own sync listed it", 120)
            await pilot.press("ctrl+q")
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        shutil.rmtree(folder, ignore_errors=True)
