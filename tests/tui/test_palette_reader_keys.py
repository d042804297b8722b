"""The palette (ctrl+p) lists the full-screen reader's keys; choosing one acted on a pane called "reader",
which is not a pane but the reader inside Réception: Textual's NoMatches, an internal error, the app gone
(outbox8's finding). They are now offered while the reader shows a letter, and act on it."""

from __future__ import annotations

import logging

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.panes.inbox import InboxPane
from tui.widgets.message_list import MessageList


async def offered(app: MissiveApp, pilot, words: str) -> list[str]:
    await pilot.press("ctrl+p")
    await settle(app, pilot)
    for ch in words:
        await pilot.press("space" if ch == " " else ch)
    await settle(app, pilot)
    return [str(o.prompt).split("\n")[0] for o in app.screen.query("OptionList").first().options]


async def choose(app: MissiveApp, pilot, words: str) -> None:
    assert words in await offered(app, pilot, words)
    await pilot.press("enter")
    await settle(app, pilot)


async def test_the_readers_keys_are_offered_while_it_shows_a_letter_and_act_on_it(caplog) -> None:
    caplog.set_level(logging.ERROR, logger="missive")
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        inbox = app.screen.query_one(InboxPane)
        messages = app.screen.query_one(MessageList)

        # the list alone: no letter to page through or leave, so not offered
        assert "Message suivant" not in await offered(app, pilot, "Message suivant")
        await pilot.press("escape")
        await settle(app, pilot)

        await pilot.press("v")  # the first letter over the whole screen
        await settle(app, pilot)
        assert inbox.mode == "full"
        await choose(app, pilot, "Message suivant")
        assert inbox.mode == "full" and messages.cursor == 1
        await choose(app, pilot, "Page suivante")
        await choose(app, pilot, "Retour à la liste")
        assert inbox.mode == "list" and messages.cursor == 1
        assert app.is_running
        assert not [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
        await pilot.press("ctrl+q")
