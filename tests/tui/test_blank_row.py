"""A letter listed blank (no sender, subject nor date: its header was not read as it was stored, the import race
fixed in 72423d4) shows its row again once opened: the core reads it again from the letter (MessageView's
summary_repaired) and the list puts that row in place of the blank one, read or unread."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList


def _listed(app: MissiveApp) -> list[str]:
    msg_list = app.screen.query_one(MessageList)
    return ["".join(seg.text for seg in msg_list.render_line(y)) for y in range(len(msg_list.rows))]


@pytest.mark.parametrize("mid", ["m-letter", "m-lab"])  # read already, and unread
async def test_a_blank_row_shows_the_letter_once_it_is_opened(mid: str) -> None:
    mailroom = FakeMailroom()
    items = mailroom.messages.items
    subject = items[mid].subject
    items[mid] = replace(items[mid], sender="", subject="", date=None, message_id="", to=())  # stored blank
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        at = next(i for i, s in enumerate(msg_list.rows) if s.id == mid)
        assert not any(subject in line for line in _listed(app))
        msg_list.action_jump(at)
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        assert any(subject in line for line in _listed(app)), _listed(app)
        assert msg_list.rows[at].subject == subject and not msg_list.rows[at].unread
