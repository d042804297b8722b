"""À classer with no ``[filing] folder``: every result waits, and the pane says so above its documents (the core's
words, with the setting to set), before Entrée is pressed. It said so only in a toast once Entrée was pressed."""

from __future__ import annotations

import pytest
from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import open_review_at, text_of
from tests.tui.test_review_sizes import ROWS
from tui.app import MissiveApp


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_with_no_import_folder_the_pane_says_nothing_is_filed_and_what_to_set(
    mailroom: FakeMailroom, size: tuple[int, int]
) -> None:
    mailroom.filing_folder = ""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        notice = app.screen.query_one("#review-notice")
        assert notice.display and notice.region.height >= 1
        said = text_of(app, "#review-notice")
        assert said.startswith("⚠ " + mailroom.filing_notice()[:40])  # the core's words, what to set first
        assert "[filing] folder" in said
        if size == (80, 24):  # room for all of it: the suggested folder too
            assert "~/HPRIM/import" in said and notice.region.height == 2
        # the documents, every trait of the comparison and a candidate stay on screen
        docs = app.screen.query_one("#review-docs", OptionList)
        assert docs.region.y >= notice.region.bottom and docs.size.height >= 2
        lines = text_of(app, "#review-compare")
        assert [row for row in ROWS if row in lines] == list(ROWS)
        candidates = app.screen.query_one("#review-candidates", OptionList)
        assert candidates.size.height >= 1 and candidates.region.bottom <= app.screen.size.height - 2


async def test_with_an_import_folder_nothing_is_said_above_the_documents(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        assert not app.screen.query_one("#review-notice").display
