"""A passphrase given to the app (MISSIVE_PASSPHRASE, the demo) is checked behind the unlock screen, painted at
once with 'Vérification…'; when it is refused, the same screen asks for the passphrase."""

from __future__ import annotations

import threading

from textual.widgets import Input, Static

from tests.tui.conftest import settle
from tests.tui.fakes import PASSPHRASE, FakeMailroom, opener_for
from tui.app import MainScreen, MissiveApp
from tui.opening import Opening
from tui.panes.lock import LockScreen
from tui.widgets.message_list import MessageList


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


async def test_the_inbox_is_composed_behind_the_unlock_screen_and_shown_once_open(
    mailroom: FakeMailroom, tmp_path
) -> None:
    """While the passphrase is typed, the inbox's screen is composed behind the unlock screen; nothing of the
    mail is read (no profile is open) and no action reaches it; once unlocked it is shown with its list."""
    app = MissiveApp(tmp_path, opener=opener_for(mailroom))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        behind = [s for s in app.screen_stack if isinstance(s, MainScreen)]
        assert len(behind) == 1 and behind[0].query("#message-list")  # composed
        assert not behind[0].query_one(MessageList).rows  # nothing read
        await pilot.press("ctrl+p", "f1")  # neither the palette nor the help behind the lock
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert app.screen is behind[0]
        assert [s for s in app.screen_stack if isinstance(s, LockScreen)] == []
        assert len(app.screen.query_one(MessageList).rows) == len(mailroom.summaries("INBOX"))
        assert app._painted and not app.locked


async def test_a_profile_opened_while_the_app_loaded_goes_straight_to_the_inbox(
    mailroom: FakeMailroom, tmp_path
) -> None:
    """MISSIVE_PASSPHRASE: the profile was opened in a thread (tui.opening) while the app loaded; opened
    already when the app starts, the inbox comes at once, with the list read ahead."""
    opening = Opening(tmp_path, PASSPHRASE, opener=opener_for(mailroom))
    opening._done.wait(10)
    pushed: list[str] = []
    app = MissiveApp(tmp_path, opening=opening)
    push = app.push_screen

    def recording(screen, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        pushed.append(type(screen).__name__)
        return push(screen, *args, **kwargs)

    app.push_screen = recording  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert pushed == ["MainScreen"]  # the unlock screen never came
        assert len(app.screen.query_one(MessageList).rows) == len(mailroom.summaries("INBOX"))
        assert mailroom.prepared  # what a first read needs, prepared after the unlock


async def test_a_profile_still_being_opened_is_checked_behind_the_unlock_screen(
    mailroom: FakeMailroom, tmp_path
) -> None:
    derived = threading.Event()
    opener = opener_for(mailroom)

    def slow_open(folder, passphrase):  # noqa: ANN001, ANN202
        derived.wait(30)
        return opener(folder, passphrase)

    app = MissiveApp(tmp_path, opening=Opening(tmp_path, PASSPHRASE, opener=slow_open))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, LockScreen)
        assert "Vérification" in str(screen.query_one("#lock-error", Static).render())
        derived.set()
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert len(app.screen.query_one(MessageList).rows) == len(mailroom.summaries("INBOX"))


async def test_a_profile_refused_while_the_app_loaded_asks_for_the_passphrase(
    mailroom: FakeMailroom, tmp_path
) -> None:
    opening = Opening(tmp_path, "pas la bonne", opener=opener_for(mailroom))
    app = MissiveApp(tmp_path, opening=opening, opener=opener_for(mailroom))  # the passphrase typed then
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LockScreen)
        assert "refusée" in str(screen.query_one("#lock-error", Static).render())
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        app._last_activity -= 11 * 60
        app._check_idle()  # the idle lock still locks
        await pilot.pause()
        assert isinstance(app.screen, LockScreen) and app.locked
