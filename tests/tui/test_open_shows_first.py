"""A letter opened is shown before what reading it writes to the profile: its read flag (a new letter is unread)
and its words for the search were each a write (20-60 ms on a busy disk, measured on the bench's profiles) that
the letter waited for. They are written once it is on its way to the screen, and the folder list's count follows
the core's once the flag is stored."""

from __future__ import annotations

import asyncio
import threading

from textual.widgets import OptionList

from core.model import INBOX
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.panes.reader import Reader


class Held(FakeMailroom):
    """A façade whose writes after a read wait until the test lets them go."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.release = threading.Event()
        self.asked: list[str] = []

    def mark_seen(self, message_id: str) -> None:
        self.asked.append("seen")
        self.release.wait(60)
        super().mark_seen(message_id)

    def keep_read_words(self) -> None:
        self.asked.append("words")
        self.release.wait(60)
        super().keep_read_words()


def inbox_prompt(app: MissiveApp) -> str:
    folders = app.screen.query_one("#folders", OptionList)
    return str(folders.get_option(INBOX).prompt)


async def test_an_unread_letter_shows_before_its_flag_and_words_are_written() -> None:
    mailroom = Held()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        before = inbox_prompt(app)
        assert mailroom.messages.items["m-lab"].unread
        try:
            await pilot.press("enter")
            reader = app.screen.query_one(Reader)
            loop = asyncio.get_running_loop()
            end = loop.time() + 30.0  # only turns "never shown" into a failure
            while "Résultats DUPONT Jeanne" not in reader.section_text("headers") and loop.time() < end:
                await pilot.pause(0.05)
            assert "Résultats DUPONT Jeanne" in reader.section_text("headers"), "the letter waited for the writes"
            assert mailroom.messages.seen == [] and mailroom.read_words == {}  # not written yet
        finally:
            mailroom.release.set()
        await settle(app, pilot)
        assert mailroom.asked == ["seen", "words"]
        assert mailroom.messages.seen == ["m-lab"] and "<m-lab@test>" in mailroom.read_words
        assert inbox_prompt(app) != before  # the folder list's unread count, read from the core after the flag


class Refusing(FakeMailroom):
    """A profile that cannot store the read flag (a full disk, say)."""

    def mark_seen(self, message_id: str) -> None:
        from core.errors import StoreError

        raise StoreError("disque plein : le message n'a pas pu être marqué lu")


async def test_a_read_flag_that_cannot_be_stored_leaves_the_row_unread_and_keeps_the_words() -> None:
    """Shown before its flag is written, the letter's row said « lu » while the core kept it unread when the flag
    could not be stored, and its words for the search were not kept (sec9's review of 3b229f5). The row goes back to
    the core's, the failure is said, and the words are kept: the letter was read (and audited)."""
    from tui.widgets.message_list import MessageList

    mailroom = Refusing()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Résultats DUPONT Jeanne" in app.screen.query_one(Reader).section_text("headers")
        assert any("disque plein" in str(n.message) for n in app._notifications)
        rows = app.screen.query_one(MessageList)
        assert mailroom.messages.items["m-lab"].unread
        assert next(r for r in rows._rows if r.id == "m-lab").unread  # the list says what the core keeps
        assert "<m-lab@test>" in mailroom.read_words
