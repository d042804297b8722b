"""Keys typed right after Entrée at the unlock screen, while the passphrase is being checked (the key derivation
takes a few tenths of a second), are held and reach the inbox once it shows: "passphrase, Entrée, j Entrée" typed
at once opens the second message. When the passphrase is refused they are thrown away: never in the passphrase field.
The key derivation is held by the test until the keys are typed (a slow machine), nothing is timed."""

from __future__ import annotations

import threading

import pytest
from textual import events
from textual.widgets import Input, Static

from tests.tui.conftest import settle
from tests.tui.fakes import PASSPHRASE, FakeMailroom, opener_for
from tests.tui.test_flows import text_of
from tui.app import MainScreen, MissiveApp
from tui.panes.lock import LockScreen
from tui.widgets.message_list import MessageList


def burst(app: MissiveApp, *keys: str) -> None:
    """Queue keys all at once, as one read of the terminal brings them."""
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))


class Gate:
    """An opener whose key derivation waits until the test opens the gate."""

    def __init__(self, mailroom: FakeMailroom) -> None:
        self.open = threading.Event()
        self.started = threading.Event()
        self._opener = opener_for(mailroom)

    def __call__(self, folder, passphrase):  # noqa: ANN001, ANN204
        self.started.set()
        self.open.wait(30)
        return self._opener(folder, passphrase)


async def type_while_checked(app: MissiveApp, pilot, gate: Gate, passphrase: str, *after: str) -> None:
    gate.open.clear()
    gate.started.clear()
    burst(app, *passphrase, "enter", *after)
    for _ in range(200):  # until the derivation runs and every key typed after Entrée has been looked at
        await pilot.pause(0.01)
        if gate.started.is_set():
            break
    assert gate.started.is_set()
    for _ in range(10):
        await pilot.pause(0.01)
    gate.open.set()
    await settle(app, pilot)


async def test_keys_typed_after_entree_reach_the_inbox(tmp_path) -> None:
    mailroom = FakeMailroom()
    gate = Gate(mailroom)
    app = MissiveApp(tmp_path, opener=gate)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await type_while_checked(app, pilot, gate, PASSPHRASE, "j", "enter")
        assert isinstance(app.screen, MainScreen)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.cursor == 1
        second = msg_list.rows[1]
        assert second.subject in text_of(app, "#reader-headers")  # Entrée opened the second message


async def test_keys_typed_after_a_refused_passphrase_are_thrown_away(tmp_path) -> None:
    mailroom = FakeMailroom()
    gate = Gate(mailroom)
    app = MissiveApp(tmp_path, opener=gate)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await type_while_checked(app, pilot, gate, "pas la bonne", *"jj", "enter")
        screen = app.screen
        assert isinstance(screen, LockScreen)
        assert "refusée" in str(screen.query_one("#lock-error", Static).render())
        box = screen.query_one("#lock-passphrase", Input)
        assert box.value == "" and not box.disabled and box.has_focus
        assert not app.keys_typed_ahead()
        # the right passphrase then works as typed: nothing left over in the field
        await type_while_checked(app, pilot, gate, PASSPHRASE, "j")
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(MessageList).cursor == 1


async def test_keys_typed_after_entree_at_a_lock_reach_the_inbox(tmp_path) -> None:
    mailroom = FakeMailroom()
    gate = Gate(mailroom)
    gate.open.set()
    app = MissiveApp(tmp_path, opener=gate)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        assert isinstance(app.screen, LockScreen)
        await type_while_checked(app, pilot, gate, "pas la bonne", "j", "j")
        assert isinstance(app.screen, LockScreen)
        assert app.screen.query_one("#lock-passphrase", Input).value == ""
        await type_while_checked(app, pilot, gate, PASSPHRASE, "j", "enter")
        assert isinstance(app.screen, MainScreen)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.cursor == 1
        assert msg_list.rows[1].subject in text_of(app, "#reader-headers")


def _given(kind: str, tmp_path, gate: Gate, passphrase: str) -> MissiveApp:
    """The app started with a passphrase given to it: MISSIVE_PASSPHRASE or the demo's (``missive tui``/``demo``
    derive the key in a thread from before the app loads: ``opening``; a passphrase handed to the app: the same
    check in the app's own worker)."""
    if kind == "opening":
        from tui.opening import Opening

        return MissiveApp(tmp_path, opening=Opening(tmp_path, passphrase, opener=gate), opener=gate)
    return MissiveApp(tmp_path, passphrase=passphrase, opener=gate)


async def _checking(app: MissiveApp, pilot, gate: Gate) -> None:
    for _ in range(500):
        await pilot.pause(0.01)
        if gate.started.is_set() and isinstance(app.screen, LockScreen):
            break
    assert gate.started.is_set() and isinstance(app.screen, LockScreen)
    assert app.screen.checking  # "Vérification…": the key is being derived


@pytest.mark.parametrize("kind", ["opening", "passphrase"])
async def test_keys_typed_while_a_given_passphrase_is_checked_reach_the_inbox(tmp_path, kind: str) -> None:
    """`missive demo`, then "j Entrée" at once while the unlock screen says 'Vérification…': the second message
    opens, as when the passphrase is typed (the keys were dropped by the disabled passphrase field)."""
    mailroom = FakeMailroom()
    gate = Gate(mailroom)
    app = _given(kind, tmp_path, gate, PASSPHRASE)
    async with app.run_test(size=(80, 24)) as pilot:
        await _checking(app, pilot, gate)
        burst(app, "j", "enter")
        for _ in range(10):
            await pilot.pause(0.01)
        gate.open.set()
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.cursor == 1
        assert msg_list.rows[1].subject in text_of(app, "#reader-headers")


@pytest.mark.parametrize("kind", ["opening", "passphrase"])
async def test_keys_typed_while_a_given_passphrase_is_refused_are_thrown_away(tmp_path, kind: str) -> None:
    mailroom = FakeMailroom()
    gate = Gate(mailroom)
    app = _given(kind, tmp_path, gate, "pas la bonne")
    async with app.run_test(size=(80, 24)) as pilot:
        await _checking(app, pilot, gate)
        burst(app, "j", "j", "enter")
        for _ in range(10):
            await pilot.pause(0.01)
        gate.open.set()
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, LockScreen)
        assert "refusée" in str(screen.query_one("#lock-error", Static).render())
        box = screen.query_one("#lock-passphrase", Input)
        assert box.value == "" and not box.disabled and box.has_focus
        assert not app.keys_typed_ahead()
        await type_while_checked(app, pilot, gate, PASSPHRASE, "j")
        assert isinstance(app.screen, MainScreen)
        assert app.screen.query_one(MessageList).cursor == 1
