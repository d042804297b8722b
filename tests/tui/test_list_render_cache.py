"""The message list keeps three screens of rendered rows for scrolling back, not 512: after the mouse wheel
has gone through 1,000 rows of a folder it held about 1.5 MB of them (3 KB a row at 120 columns)."""

from __future__ import annotations

import gc
import tracemalloc

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList


async def test_scrolling_through_a_long_folder_keeps_three_screens_of_rendered_rows() -> None:
    app = MissiveApp(mailroom=FakeMailroom(extra_messages=1200))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        height = msg_list.size.height
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            for y in range(0, 1000, 5):  # the wheel, five rows a notch: the cursor stays on the first row
                msg_list.scroll_to(y=y, animate=False)
                await pilot.pause()
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert msg_list.scroll_offset.y > 900 and msg_list.cursor == 0
        assert len(msg_list._cache) <= 3 * height
        assert grown < 1_300_000  # 2.3 MB with 512 rows kept, 0.9 MB now (the toolkit's own caches among it)
        # what is shown is right, scrolled back or not
        for y in (990, 500, 0):
            msg_list.scroll_to(y=y, animate=False)
            await pilot.pause()
            top = msg_list.scroll_offset.y
            assert msg_list.rows[top].subject in msg_list.render_line(0).text
            assert msg_list.rows[top + 3].subject in msg_list.render_line(3).text
