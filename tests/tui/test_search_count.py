"""The list's count line says what the list shows: a search closed (Échap) or erased gives the folder's count
back, never the search's "N trouvé(s)" under the whole list; a list reloaded during a search keeps the search's
count."""

from __future__ import annotations

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList


async def test_the_count_line_follows_the_search_closed_erased_and_reloaded() -> None:
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=40))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.border_subtitle == "42 messages, 1 non lu"
        await pilot.press("slash", *"durand")
        await settle(app, pilot)
        assert len(msg_list.rows) == 1 and msg_list.border_subtitle == "1 trouvé(s)"
        app.screen.query_one("#inbox").reload()  # a sync lands while the search is shown
        await settle(app, pilot)
        assert len(msg_list.rows) == 1 and msg_list.border_subtitle == "1 trouvé(s)"
        await pilot.press("escape")  # the search closed: the whole list, and its count
        await settle(app, pilot)
        assert len(msg_list.rows) == 42 and msg_list.border_subtitle == "42 messages, 1 non lu"
        await pilot.press("slash", *"durand")
        await settle(app, pilot)
        assert msg_list.border_subtitle == "1 trouvé(s)"
        await pilot.press(*["backspace"] * 6)  # erased: the whole list again, and its count
        await settle(app, pilot)
        assert len(msg_list.rows) == 42 and msg_list.border_subtitle == "42 messages, 1 non lu"
