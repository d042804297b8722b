"""Reading in the app goes through the façade over a real profile: each opening is audited, and an HTML-only
letter shows as readable text (no tags)."""

from __future__ import annotations

import getpass
from pathlib import Path

from core.mail.account import Account
from core.mailroom import Mailroom
from tests.tui.conftest import settle
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

PASS = "correct horse battery staple"
HTML_ONLY = (
    b"From: dr.durand@chu-test.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Compte rendu HTML\r\n"
    b"Message-ID: <html@chu-test.mssante.fr>\r\nDate: Fri, 30 May 2025 09:00:00 +0000\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/html; charset=utf-8\r\n\r\n"
    b"<html><head><style>p {color: red}</style></head><body><p>Cher confr&egrave;re,</p>"
    b"<ul><li>TA 12/8</li><li>Pouls 72</li></ul></body></html>\r\n"
)


async def test_opening_a_message_is_audited_and_html_shows_as_text(tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1.html").write_bytes(HTML_ONLY)
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8")
    mr = Mailroom.open(tmp_path / "profile", PASS)
    mr.accounts.add(Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(root)))
    await mr.sync()
    mr.accounts.remove("cabinet")  # synced once: no background sync while the test drives the app
    [message] = mr.messages.list()
    reads_before = [r for r in mr.audit.records() if r["action"] == "read"]
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one(MessageList).current.id == message.id
        await pilot.press("enter")
        await until(pilot, lambda: "TA 12/8" in text_of(app, "#reader-body"), "body")
        body = text_of(app, "#reader-body")
        assert "Cher confrère" in body and "Pouls 72" in body
        assert "<" not in body and "color" not in body  # no tags, no style sheet
        await pilot.press("ctrl+q")
    reads = [r for r in mr.audit.records() if r["action"] == "read"]
    # who read it (the computer's user: the secretary's session or the doctor's), and through the app
    who = getpass.getuser()
    assert reads_before == [] and [(r["object"], r["actor"], r["via"]) for r in reads] == [(message.id, who, "tui")]
