"""The app says in its log when start-up is over: its first screen settled after its own paint (the frames that
follow it drawn, the status bar's counts read, nothing waiting). bench.startup opens a letter from then on: sent at
the paint itself, its Entrée met start-up's last frames (the list's scrollbar, a full repaint), or under load a
screen not composed yet, and the open it timed was start-up's as much as the letter's."""

from __future__ import annotations

import asyncio
import logging

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp


class _Said(logging.Handler):
    """The app's start-up lines, each with whether the screen had settled when it was said."""

    def __init__(self, app: MissiveApp) -> None:
        super().__init__()
        self.app = app
        self.lines: list[tuple[str, bool]] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("start-up"):
            self.lines.append((message, self.app._settled()))


async def test_start_up_is_said_over_once_the_first_screen_has_settled(mailroom: FakeMailroom, monkeypatch) -> None:
    import tui.app

    monkeypatch.setattr(tui.app, "_SETTLE_TRIES", 3000)  # a loaded machine settles late, not never (60 s)
    app = MissiveApp(mailroom=mailroom)
    said = _Said(app)
    logger = logging.getLogger("missive.tui")
    logger.addHandler(said)
    level = logger.level
    logger.setLevel(logging.INFO)
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            loop = asyncio.get_running_loop()
            end = loop.time() + 90.0  # only turns "never said" into a failure
            while not any(m.startswith("start-up over") for m, _ in said.lines) and loop.time() < end:
                await asyncio.sleep(0.02)  # not pilot.pause: its own callbacks kept the app's queue busy
            await settle(app, pilot)
    finally:
        logger.removeHandler(said)
        logger.setLevel(level)
    messages = [m for m, _ in said.lines]
    assert [m.split(":")[0] for m in messages] == ["start-up to painted inbox", "start-up over"], messages
    over, settled = said.lines[1]
    assert settled and over.endswith("(screen settled)"), said.lines
