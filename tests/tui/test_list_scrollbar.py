"""The message list's scrollbar says how much of the folder is on screen: shown when the rows do not fit,
gone when they do (a search), its thumb where the cursor has taken the list, through message opening."""

from __future__ import annotations

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList


async def test_the_scrollbar_follows_the_rows_a_search_and_the_reader() -> None:
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=40))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        bar = msg_list.vertical_scrollbar
        rows = len(msg_list.rows)
        height = msg_list.scrollable_content_region.height
        assert rows > height and msg_list.show_vertical_scrollbar
        assert (bar.window_virtual_size, bar.window_size) == (rows, height)
        await pilot.press("enter")  # opened below the list: the list keeps its rows and its bar
        await settle(app, pilot)
        assert msg_list.show_vertical_scrollbar and bar.window_virtual_size == rows
        await pilot.press("end")  # the last row: the list scrolled to it, the thumb at the bottom
        await settle(app, pilot)
        assert msg_list.scroll_offset.y == rows - height and bar.position == rows - height
        await pilot.press("slash", *"numero 1")  # a search leaves fewer rows than fit (1, 10-19): no bar
        await settle(app, pilot)
        assert 0 < len(msg_list.rows) <= height
        assert not msg_list.show_vertical_scrollbar
        await pilot.press("escape")  # every row again: the bar is back, over all of them
        await settle(app, pilot)
        assert msg_list.show_vertical_scrollbar and bar.window_virtual_size == rows
