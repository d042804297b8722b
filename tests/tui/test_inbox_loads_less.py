"""Réception loads what its first screen uses: À classer's pane (tui.panes.review), the folder chooser
(tui.panes.move) and the confirmation (tui.panes.confirm) are imported when first asked for, not with the inbox.
In a fresh interpreter: what the app imported at its inbox, then each feature still there when asked for."""

from __future__ import annotations

from tests.fresh import fresh_json

LATER = ("tui.panes.review", "tui.panes.move", "tui.panes.confirm")

START = """
import asyncio, json, sys
from textual.widgets import OptionList
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp

LATER = sys.argv[1].split(",")
loaded = lambda: [m for m in LATER if m in sys.modules]

async def main():
    out = {}
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        out["at_inbox"] = loaded()
        folders = app.screen.query_one("#folders", OptionList)
        await pilot.press("f6", "j")  # the folders' list still moves with j
        await settle(app, pilot)
        out["folders_j"] = [folders.has_focus, folders.highlighted]
        await pilot.press("f6")
        await settle(app, pilot)
        await pilot.press("m")
        await settle(app, pilot)
        out["m"] = [type(app.screen).__name__, [str(o.prompt) for o in app.screen.query_one(OptionList).options]]
        await pilot.press("escape")
        await settle(app, pilot)
        out["after_m"] = loaded()
        await pilot.press("2")
        await settle(app, pilot)
        out["review"] = [bool(app.screen.query("ReviewPane")), loaded()]
    print(json.dumps(out))

asyncio.run(main())
"""


def test_the_inbox_loads_the_chooser_the_confirmation_and_a_classer_when_asked_for() -> None:
    out = fresh_json(START, ",".join(LATER))
    assert out["at_inbox"] == []
    assert out["folders_j"] == [True, 1]
    assert out["m"] == ["FolderChooser", ["Archives", "Envoyés", "Corbeille"]]
    assert out["after_m"] == ["tui.panes.move"]
    assert out["review"] == [True, ["tui.panes.review", "tui.panes.move"]]
