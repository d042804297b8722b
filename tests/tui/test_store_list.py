"""The inbox over the real encrypted store: the list paints from the list index and formats only the rows on
screen; reading a message, searching and jumping work on that lazy list."""

from __future__ import annotations

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import pytest

from core.mail.messages import FolderState, MessageStore, _Decoded
from core.mailroom import Mailroom
from core.store.profile import Profile
from tests.tui.conftest import settle
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

PASS = "correct horse battery staple"
COUNT = 3000
BASE = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def _raw(subject: str) -> bytes:
    msg = EmailMessage()
    msg["From"] = "labo@labo.mssante.fr"
    msg["To"] = "dr@cabinet.mssante.fr"
    msg["Subject"] = subject
    msg.set_content("Bonjour,\n\nrésultats normaux.\n")
    return msg.as_bytes()


@pytest.fixture
def store_mailroom(tmp_path: Path) -> Mailroom:
    profile = Profile.create(tmp_path / "p", PASS)
    mailroom = Mailroom(profile)
    docs = {
        f"{i:032x}": {
            "account": "cabinet", "folder": "INBOX", "uid": i, "size": 900, "flags": ["\\Seen"],
            "blob": "0" * 32, "message_id": f"<{i}@x>", "from": f"confrere{i % 40}@chu.mssante.fr",
            "to": [], "subject": f"Compte rendu {i}", "date": (BASE + dt.timedelta(minutes=i)).isoformat(),
        }
        for i in range(COUNT)
    }  # fmt: skip
    mailroom.messages.docs.put_many(docs)
    state = FolderState("cabinet", "INBOX", uidvalidity=1)
    newest = (BASE + dt.timedelta(days=30)).isoformat()
    mailroom.messages.store_new(
        state, [(1, [], _raw("Kaliémie du jour"), {"subject": "Kaliémie du jour", "date": newest})]
    )
    return mailroom


@pytest.fixture
def decoded_rows(monkeypatch) -> list[int]:
    """Counts the summaries decoded from the index (one by one, or in a walk over the list)."""
    count: list[int] = []
    real_summary, real_walk = _Decoded.summary, _Decoded.walk

    def summary(self, p):  # noqa: ANN001, ANN202
        count.append(1)
        return real_summary(self, p)

    def walk(self, positions):  # noqa: ANN001, ANN202
        for s in real_walk(self, positions):
            count.append(1)
            yield s

    monkeypatch.setattr(_Decoded, "summary", summary)
    monkeypatch.setattr(_Decoded, "walk", walk)
    return count


async def test_a_long_list_formats_only_the_rows_on_screen(store_mailroom, decoded_rows) -> None:
    from textual.app import App, ComposeResult

    class ListApp(App[None]):
        def compose(self) -> ComposeResult:
            yield MessageList()

    rows = store_mailroom.messages.rows()
    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        msg_list = app.query_one(MessageList)
        msg_list.set_messages(rows)
        msg_list.focus()
        await pilot.pause()
        assert msg_list.current.subject == "Kaliémie du jour"
        assert 0 < len(decoded_rows) < 100  # the visible rows and the cursor's, not 3,001
        decoded_rows.clear()
        await pilot.press("end")
        await pilot.pause()
        assert msg_list.current.subject == "Compte rendu 0"
        assert 0 < len(decoded_rows) < 100
        await pilot.press("home", "down", "down")
        msg_list.filter("rendu 299")  # "Compte rendu 299", then 2990 to 2999
        await pilot.pause()
        assert [s.subject for s in msg_list.rows][:2] == ["Compte rendu 2999", "Compte rendu 2998"]
        assert len(msg_list.rows) == 11


async def test_the_inbox_opens_a_message_of_a_real_store_and_marks_it_read(store_mailroom) -> None:
    app = MissiveApp(mailroom=store_mailroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert len(msg_list.rows) == COUNT + 1
        assert msg_list.border_subtitle == f"{COUNT + 1} messages, 1 non lu"
        assert msg_list.current.subject == "Kaliémie du jour" and msg_list.current.unread
        await pilot.press("enter")
        await settle(app, pilot)
        assert not msg_list.current.unread  # shown read at once
        assert msg_list.rows.unread == 0
        stored = store_mailroom.messages.rows()  # and kept: the next read of the index agrees
        assert not stored[0].unread and stored.unread == 0
        await pilot.press("slash", *"kaliémie")
        await settle(app, pilot)
        assert [s.subject for s in msg_list.rows] == ["Kaliémie du jour"]


async def test_unlocking_reads_the_inbox_list_once(tmp_path: Path, monkeypatch) -> None:
    """At start-up the inbox list is read once (at unlock, then handed to the inbox), not twice."""

    profile = Profile.create(tmp_path / "p", PASS)
    docs = {
        f"{i:032x}": {"account": "a", "folder": "INBOX" if i % 4 else "Envoyés", "uid": i, "subject": f"s{i}",
                      "from": "x@y.fr", "date": (BASE + dt.timedelta(hours=i)).isoformat(), "flags": []}
        for i in range(200)
    }  # fmt: skip
    MessageStore(profile).docs.put_many(docs)
    reads: list[int] = []
    real = Mailroom.summaries
    monkeypatch.setattr(Mailroom, "summaries", lambda self, folder=None: reads.append(1) or real(self, folder))
    app = MissiveApp(profile.path, passphrase=PASS, settings=profile.settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert len(msg_list.rows) == 150 and msg_list.current.subject == "s199"  # Réception: INBOX only
        assert msg_list.border_subtitle == "150 messages, 150 non lus"
        folders = app.screen.query_one("#folders")
        assert [o.id for o in folders.options] == ["INBOX", "Envoyés"]
        assert len(reads) == 1


async def test_a_damaged_shard_does_not_pass_for_a_wrong_passphrase(tmp_path: Path) -> None:
    """Reading the list ahead at unlock fails on a damaged file: the profile opens all the same."""
    from tui.panes.lock import LockScreen

    profile = Profile.create(tmp_path / "p", PASS)
    MessageStore(profile).docs.put_many(
        {f"{i:032x}": {"folder": "INBOX", "subject": f"s{i}"} for i in range(50)}
    )
    shard = next((profile.path / "db" / "messages").glob("g*.mdb"))
    shard.write_bytes(shard.read_bytes()[:-3] + b"xyz")
    app = MissiveApp(profile.path, passphrase=PASS, settings=profile.settings)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.mailroom is not None and app.screen is app.main  # unlocked, main screen up
        assert not any(isinstance(s, LockScreen) for s in app.screen_stack)
