"""ctrl+l (or F12) locks from wherever the doctor is: over the help, a question, the patient search, the
folder chooser or the command palette too. Those are Textual modal screens, which leave out the app's own keys:
ctrl+l did nothing there, and the patients' names behind stayed on screen for whoever came by."""

from __future__ import annotations

import pytest
from textual.command import CommandPalette

from tests.tui.conftest import settle
from tests.tui.fakes import PASSPHRASE, FakeMailroom, opener_for
from tui.app import MainScreen, MissiveApp
from tui.panes.confirm import ConfirmScreen
from tui.panes.help import HelpScreen
from tui.panes.lock import LockScreen
from tui.panes.move import FolderChooser
from tui.panes.patient_search import PatientSearchScreen

OVER = {
    "help": (("f1",), HelpScreen),
    "question": (("2", "x"), ConfirmScreen),
    "patient search": (("2", "p"), PatientSearchScreen),
    "folder chooser": (("m",), FolderChooser),
    "command palette": (("ctrl+p",), CommandPalette),
}


@pytest.mark.parametrize(("over", "key"), [*((over, "ctrl+l") for over in OVER), ("help", "f12")])
async def test_the_lock_key_locks_over_any_screen(mailroom: FakeMailroom, over: str, key: str) -> None:
    keys, screen = OVER[over]
    app = MissiveApp("/nonexistent", opener=opener_for(mailroom))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        await pilot.press(*keys)
        await settle(app, pilot)
        assert isinstance(app.screen, screen), app.screen
        await pilot.press(key)
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen), f"{key} over the {over}: still {app.screen}"
        assert not any(isinstance(s, screen) for s in app.screen_stack)  # nothing left behind the lock
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_entree_typed_before_the_terminal_was_set_unlocks(mailroom: FakeMailroom) -> None:
    """gp8, on the installed app: the passphrase and Entrée typed as `missive` starts, before the splash set
    the terminal, reach the app as the passphrase then a line feed (the terminal, still holding keys for a
    line, made the carriage return one): ctrl+j, not Entrée. It was lost: the field stayed filled, nothing
    checked, the doctor waiting. A line feed in the passphrase field submits it; in an empty field nothing."""
    app = MissiveApp("/nonexistent", opener=opener_for(mailroom))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press("ctrl+j")  # nothing typed yet: nothing to check
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PASSPHRASE, "ctrl+j")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen), app.screen
