"""The status bar's progress bar (Textual's ProgressBar, its clock and its ETA) is loaded by a sync's first
progress, not at start: an app at its inbox, in a fresh interpreter, has not imported it; a progress shows it."""

from __future__ import annotations

from tests.fresh import fresh_json

BAR = ("textual.widgets._progress_bar", "textual.eta", "textual.clock")

START = """
import asyncio, json, sys
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tui.widgets.status_bar import StatusBar

BAR = sys.argv[1].split(",")

async def main():
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        at_inbox = [m for m in BAR if m in sys.modules]
        status = app.screen.query_one(StatusBar)
        status.set_progress(3, 10)
        await pilot.pause()
        await pilot.pause()
        bar = status.query_one("#status-progress")
        shown = [type(bar).__name__, bar.progress, bar.total]
        status.set_progress(10, 10)
        await pilot.pause()
        gone = not status.query("#status-progress")
        print(json.dumps({"at_inbox": at_inbox, "shown": shown, "gone": gone}))

asyncio.run(main())
"""


def test_the_progress_bar_is_loaded_by_a_sync_progress_not_at_start() -> None:
    result = fresh_json(START, ",".join(BAR))
    assert result["at_inbox"] == []
    assert result["shown"] == ["ProgressBar", 3, 10]
    assert result["gone"] is True
