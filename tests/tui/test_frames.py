"""A message opened is drawn as soon as the screen has taken its changes, not at the next tick of Textual's
60 Hz frame clock (an idle screen stays idle all the same: tests/tui/test_idle.py)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MainScreen, MissiveApp


def stop_the_clock(app: MissiveApp) -> list[Any]:
    """The screen's frame clock never ticks again; the frames the app still draws are recorded."""
    screen = app.screen
    assert isinstance(screen, MainScreen)
    screen._update_timer.pause()
    screen._update_timer.resume = lambda: None  # type: ignore[method-assign]
    drawn: list[Any] = []
    display = app._display

    def recorded(target: Any, update: Any) -> None:
        drawn.append(update)
        display(target, update)

    app._display = recorded  # type: ignore[method-assign]
    return drawn


def headers_height(app: MissiveApp) -> int:
    """The reader's header lines as laid out on screen (one line, "no message open", before any)."""
    from tui.panes.reader import Reader

    return len(app.screen.query_one(Reader).section_text("headers").split("\n"))


async def test_an_opened_message_is_drawn_without_waiting_for_the_frame_clock(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert headers_height(app) == 1  # nothing open yet
        drawn = stop_the_clock(app)
        await pilot.press("enter")  # (not pilot.pause: it draws a frame itself)
        await app.workers.wait_for_complete()  # the message read
        deadline = asyncio.get_running_loop().time() + 10
        while headers_height(app) < 4:  # laid out with the message's From, To, Date and Subject
            assert asyncio.get_running_loop().time() < deadline, "the opened message waited for the frame clock"
            await asyncio.sleep(0.02)
        assert drawn  # and written to the terminal


async def test_the_empty_screen_below_the_main_screen_never_repaints_it_whole(mailroom: FakeMailroom) -> None:
    """Textual counted its empty default screen, under the opaque main screen, as showing through: it did a layout
    of its own at each resize (and after the first paint), and each one redrew the whole main screen, a whole
    frame drawn while the doctor opened the first letter. The main screen now repaints only what changed."""
    from textual import events

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen)
        below = app.screen_stack[0]
        assert below.id == "_default"
        full: list[bool] = []
        render_full = main._compositor.render_full_update

        def counted(*args: Any, **kwargs: Any) -> Any:
            full.append(True)
            return render_full(*args, **kwargs)

        main._compositor.render_full_update = counted  # type: ignore[method-assign]
        # what the terminal's size report does after the first paint: the main screen and those it lists under it
        # take the size again
        main.post_message(events.Resize(main.size, main.size))
        await settle(app, pilot)
        assert not full, "the main screen was repainted whole for the empty screen under it"
        assert not below.is_current
        assert app._background_screens == []


async def test_a_dialog_still_shows_the_screen_under_it(mailroom: FakeMailroom) -> None:
    """The screens under a dialog with a translucent background are still drawn through it."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        main = app.screen
        await pilot.press("question_mark")
        await settle(app, pilot)
        assert app.screen is not main
        assert app.screen.styles.background.a < 1  # the help, over the dimmed main screen
        assert main in app._background_screens
