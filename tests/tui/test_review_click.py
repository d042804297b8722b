"""À classer: a click on a document shows it, it decides nothing. Textual's option list selects the row clicked,
as Entrée does, and Entrée there files the document to the highlighted candidate: a click to look at a result
asked to file it (a rival candidate), opened the patient search (none), or filed it outright (gp9 on the
installed wheel, clicks through tmux)."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MainScreen, MissiveApp


async def test_a_click_on_a_document_shows_it_and_decides_nothing(mailroom: FakeMailroom) -> None:
    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        docs = app.screen.query_one("#review-docs", OptionList)
        waiting = [docs.get_option_at_index(i).id for i in range(docs.option_count)][:2]
        assert set(waiting) == {"d-ambiguous", "d-letter"}
        for row in (1, 0):
            await pilot.click("#review-docs", offset=(20, 1 + row))  # under the list's top border
            await settle(app, pilot)
            assert isinstance(app.screen, MainScreen), app.screen  # no question, no patient search
            assert docs.highlighted == row
            assert mailroom.documents.decisions == []
        await pilot.press("enter")  # Entrée still decides: the ambiguous one asks first
        await settle(app, pilot)
        assert not isinstance(app.screen, MainScreen)
