"""The app keeps a real profile's account in sync in the background: status bar online, new mail appears."""

from __future__ import annotations

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
