"""Critical results in the app: a distinct marker in the list, first in À classer, a count in the status bar."""

from __future__ import annotations

import dataclasses

from textual.widgets import OptionList, Static

from tests.tui.conftest import settle
from tests.tui.fakes import FakeEntry, FakeMailroom
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList, markers
from tui.widgets.status_bar import StatusBar


def with_critical_result(mailroom: FakeMailroom) -> FakeMailroom:
    lab = mailroom.messages.items["m-lab"]
    mailroom.messages.items["m-lab"] = dataclasses.replace(lab, critical=True)
    docs = mailroom.documents
    doc = docs.entries["d-ambiguous"].document
    # the core's queue lists critical documents first; the fake hands them over in that order
    docs.entries = {
        "d-critical": FakeEntry("d-critical", doc, (), "review", "waiting", critical=1),
        **docs.entries,
    }
    return mailroom


async def test_critical_result_is_marked_first_and_counted(mailroom: FakeMailroom) -> None:
    with_critical_result(mailroom)
    assert markers(mailroom.messages.items["m-lab"]) == "●✓ +‼ "
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.screen.query_one(MessageList).current.critical
        counts = str(app.screen.query_one(StatusBar).query_one("#status-counts", Static).render())
        assert "‼ 1 urgent(s)" in counts
        await pilot.press("2")
        await settle(app, pilot)
        docs = app.screen.query_one("#review-docs", OptionList)
        first, second = (str(docs.get_option_at_index(i).prompt) for i in (0, 1))
        assert first.startswith("‼ ") and second.startswith("? ")
