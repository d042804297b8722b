"""An app left alone at the inbox uses no CPU: nothing wakes it up on a timer (no polling, no clock, no
progress bar ticking), and what must happen later (the idle lock) is one timer set for when it is due."""

from __future__ import annotations

import dataclasses
import gc

from textual.timer import Timer
from textual.widgets import ProgressBar

from core.config import Settings
from core.model import Progress
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom, opener_for
from tui.app import MissiveApp
from tui.messages import MailroomEventReceived
from tui.panes.lock import LockScreen


def live_timers(app: MissiveApp) -> list[Timer]:
    """Timers that will fire (running, not paused), on the app and every node of every screen."""
    nodes = [app, *app.screen_stack, *(n for s in app.screen_stack for n in s.walk_children(with_self=False))]
    found = []
    for node in nodes:
        for timer in list(node._timers):
            if timer._task is not None and not timer._task.done() and timer._active.is_set():
                found.append(timer)
    return found


def wakes_within(app: MissiveApp, seconds: float) -> list[str]:
    """The timers that would wake the app within ``seconds``: repeating ones, or one-shots due sooner."""
    return [
        f"{timer.name} ({timer._interval} s, target {timer._target_repr})"
        for timer in live_timers(app)
        if timer._repeat != 0 or timer._interval < seconds  # set_timer: repeat 0 (once); set_interval: None
    ]


async def test_an_idle_inbox_has_no_timer_that_wakes_it(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom, settings=dataclasses.replace(Settings(), idle_lock_minutes=10))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.pause(0.3)
        assert app.main is not None and app.screen is app.main
        assert wakes_within(app, 60) == []
        # the idle lock is still there: one timer, due when the idle time has passed
        assert [t._interval for t in live_timers(app)] == [600]


async def test_the_progress_bar_exists_only_while_a_sync_reports_progress(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not app.screen.query(ProgressBar)
        app.post_message(MailroomEventReceived(Progress("cabinet", 3, 10)))
        await settle(app, pilot)
        bar = app.screen.query_one(ProgressBar)
        assert (bar.progress, bar.total) == (3, 10)
        app.post_message(MailroomEventReceived(Progress("cabinet", 7, 10)))
        await settle(app, pilot)
        assert app.screen.query_one(ProgressBar).progress == 7
        app.post_message(MailroomEventReceived(Progress("cabinet", 10, 10)))
        await settle(app, pilot)
        assert not app.screen.query(ProgressBar)
        assert wakes_within(app, 60) == []


async def test_the_idle_lock_looks_again_when_a_key_came_in_between(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom, settings=dataclasses.replace(Settings(), idle_lock_minutes=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app._last_activity -= 50  # a key 50 s ago: 10 s left
        app._check_idle()
        await pilot.pause()
        assert not isinstance(app.screen, LockScreen)
        soonest = min(t._interval for t in live_timers(app))
        assert 5 < soonest <= 10  # looks again when the 10 s left have passed (not in 60 s, not polling)
        app._last_activity -= 11
        app._check_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)


async def test_start_up_objects_are_kept_out_of_full_collections(mailroom: FakeMailroom) -> None:
    """The objects start-up built are frozen once the inbox is painted (a full collection no longer walks
    them in the middle of a key), and the collector, off while the app starts, is on again."""
    gc.unfreeze()
    gc.disable()  # as `missive tui` leaves it while the app starts
    try:
        app = MissiveApp(mailroom=mailroom)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert app._painted
            assert gc.isenabled()
            assert gc.get_freeze_count() > 0
    finally:
        gc.enable()
        gc.unfreeze()


class _Thrown:
    """An object start-up throws away in a cycle (as Textual's first styles and layouts are)."""

    def __init__(self) -> None:
        self.me = self


async def test_what_start_up_threw_away_in_cycles_is_collected_not_frozen(mailroom: FakeMailroom) -> None:
    """The collector is off while the app starts: the cycles start-up leaves behind (6,400 objects, 0.85 MB
    at the bench's inbox) are collected once the app is quiet after the paint, never kept for the app's life;
    not at the paint itself (a full pass there held up the letter opened at once: bench.startup's open)."""
    import asyncio
    import weakref

    gc.unfreeze()
    gc.disable()  # as `missive tui` leaves it while the app starts
    try:
        thrown = weakref.ref(_Thrown())
        assert thrown() is not None  # in a cycle: only the collector frees it
        app = MissiveApp(mailroom=mailroom)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert app._painted and gc.get_freeze_count() > 0
            loop = asyncio.get_running_loop()
            end = loop.time() + 30.0  # only turns "never collected" into a failure
            while thrown() is not None and loop.time() < end:
                await pilot.pause(0.05)
            assert thrown() is None
            assert app._garbage_timer is None and gc.get_freeze_count() > 0  # once, and the rest frozen again
            assert wakes_within(app, 60) == []
    finally:
        gc.enable()
        gc.unfreeze()


async def test_the_collector_is_on_again_when_the_unlock_screen_waits(
    mailroom: FakeMailroom, tmp_path
) -> None:
    gc.disable()
    try:
        app = MissiveApp(tmp_path, opener=opener_for(mailroom))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert isinstance(app.screen, LockScreen)
            assert gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()
