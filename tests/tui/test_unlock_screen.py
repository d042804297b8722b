"""A passphrase given to the app (MISSIVE_PASSPHRASE, the demo) is checked behind the unlock screen, painted at
once with 'Vérification…'; when it is refused, the same screen asks for the passphrase."""

from __future__ import annotations

import threading

from textual.widgets import Input, Static

from tests.tui.conftest import settle
from tests.tui.fakes import PASSPHRASE, FakeMailroom, opener_for
from tui.app import MainScreen, MissiveApp
from tui.panes.lock import LockScreen


async def test_a_given_passphrase_is_checked_behind_the_unlock_screen(
    mailroom: FakeMailroom, tmp_path
) -> None:
    derived = threading.Event()  # the key derivation, held until the test has looked at the screen
    opener = opener_for(mailroom)

    def slow_open(folder, passphrase):  # noqa: ANN001, ANN202
        derived.wait(30)
        return opener(folder, passphrase)

    app = MissiveApp(tmp_path, passphrase=PASSPHRASE, opener=slow_open)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LockScreen)
        assert "Vérification" in str(screen.query_one("#lock-error", Static).render())
        assert screen.query_one("#lock-passphrase", Input).disabled  # nothing to type: it is being checked
        derived.set()
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert not any(isinstance(s, LockScreen) for s in app.screen_stack)


async def test_a_refused_given_passphrase_asks_for_it(mailroom: FakeMailroom, tmp_path) -> None:
    app = MissiveApp(tmp_path, passphrase="pas la bonne", opener=opener_for(mailroom))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LockScreen)
        assert [s for s in app.screen_stack if isinstance(s, LockScreen)] == [screen]  # one, not two
        assert "refusée" in str(screen.query_one("#lock-error", Static).render())
        box = screen.query_one("#lock-passphrase", Input)
        assert not box.disabled and box.has_focus
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_ctrl_c_at_the_unlock_screen_says_how_to_quit(mailroom: FakeMailroom, tmp_path) -> None:
    """ctrl+c never quits missive once its screen is up (it copies in a field: see the list's line); at the
    unlock screen, first or after a lock, it said nothing: it says ctrl+q, and ctrl+q quits from there."""
    app = MissiveApp(tmp_path, opener=opener_for(mailroom))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert [n.message for n in app._notifications] == [
            "ctrl+c ne quitte pas missive (il copie dans un champ) : ctrl+q pour quitter"
        ]
        assert isinstance(app.screen, LockScreen) and app.is_running
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        app.clear_notifications()
        await pilot.press("ctrl+l")  # locked on request: the same screen, the same answer
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert any("ctrl+q pour quitter" in n.message for n in app._notifications)
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not app.is_running
