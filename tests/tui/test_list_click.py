"""A click on a row of Réception's list opens that letter: the row clicked, counted inside the list's border, not
the one below it (gp9 on the installed wheel: a click on « HL7 » opened « Bilans du 05/01 », another patient's
results), and a click on the border opens nothing."""

from __future__ import annotations

import datetime as dt

from tests.tui.conftest import settle
from tests.tui.fakes import BASE, FakeMailroom, plain_message
from tui.app import MissiveApp
from tui.panes.inbox import InboxPane
from tui.panes.reader import Reader
from tui.widgets.message_list import MessageList


def _letters(count: int) -> FakeMailroom:
    mailroom = FakeMailroom()
    sender = "dr.lettre@chu-test.mssante.fr"
    for i in range(count):
        when = BASE - dt.timedelta(days=1 + i)
        subject = f"Lettre numéro {i:02d}"
        mailroom.messages.add(
            f"m-{i}", plain_message(sender, subject, when, "Bien à vous.\n"), sender, subject, when
        )
    return mailroom


async def test_a_click_on_a_row_opens_that_letter_not_the_next() -> None:
    app = MissiveApp(mailroom=_letters(30))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        reader = app.screen.query_one(Reader)
        pane = app.screen.query_one(InboxPane)
        assert not reader.display and msg_list.region.y >= 1  # the list's border row is its first
        for row in (0, 3):
            wanted = msg_list.rows[msg_list.scroll_offset.y + row]
            await pilot.click(MessageList, offset=(30, 1 + row))  # 1 + row: under the top border
            await settle(app, pilot)
            assert msg_list.current is not None and msg_list.current.id == wanted.id, (row, msg_list.cursor)
            assert reader.display and pane.view is not None and pane.view.summary.id == wanted.id
            assert f"Objet : {wanted.subject}" in reader.section_text("headers")
        # the last row on screen, once the list is shorter (a letter open below it): that letter, on screen
        last = msg_list.scrollable_content_region.height - 1
        wanted = msg_list.rows[msg_list.scroll_offset.y + last]
        await pilot.click(MessageList, offset=(30, 1 + last))
        await settle(app, pilot)
        assert msg_list.current is not None and msg_list.current.id == wanted.id
        assert pane.view is not None and pane.view.summary.id == wanted.id
        # the top border: no letter clicked, the one open stays
        await pilot.click(MessageList, offset=(30, 0))
        await settle(app, pilot)
        assert msg_list.current.id == wanted.id and pane.view.summary.id == wanted.id and pane.mode == "split"


async def test_a_click_on_a_pane_tab_shows_that_pane() -> None:
    """The tab line (« 1 Réception  2 À classer  3 Rédaction  4 Annuaire ») looked like tabs and a click on one
    did nothing (gp9 on the installed wheel): it shows that pane, as its key does, its field focused."""
    from textual.widgets import ContentSwitcher

    app = MissiveApp(mailroom=_letters(3))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        switcher = app.screen.query_one("#panes", ContentSwitcher)
        for pane, focused in (("review", "review-docs"), ("compose", "compose-to"), ("inbox", "message-list")):
            await pilot.click(f"#tab-{pane}")
            await settle(app, pilot)
            assert switcher.current == pane
            assert app.focused is not None and app.focused.id == focused, (pane, app.focused)
