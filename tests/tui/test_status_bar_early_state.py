"""A sync's news may reach the app before its main screen, or the status bar's line, is composed (a loaded
machine: the installed app started headless ended on "erreur interne (NoMatches): No nodes match
'#status-accounts'" in a CI run of tests/test_wheel.py, and "No nodes match 'StatusBar' on MainScreen()" in a
loop of starts). The news are kept and told once the screen is there; nothing fails, nothing is lost."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from core.model import Progress, SyncState
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MainScreen, MissiveApp
from tui.facade import missive_app
from tui.i18n import t
from tui.messages import MailroomEventReceived
from tui.widgets.status_bar import StatusBar


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("host")


async def test_a_state_told_before_the_bar_is_composed_is_painted_once_it_is() -> None:
    app = _Host()
    async with app.run_test(size=(80, 24)) as pilot:
        bar = StatusBar()
        bar.set_account("cabinet", "online")  # not mounted yet: no children to update
        bar.set_account("labo", "offline", "08:12")
        bar.keep_accounts({"cabinet"})
        await app.mount(bar)
        await pilot.pause()
        await pilot.pause()
        text = str(bar.query_one("#status-accounts", Static).render())
        assert text == f"cabinet: {t('status.online', since='')}"
        bar.set_account("cabinet", "syncing")  # mounted: painted at once, as before
        await pilot.pause()
        assert str(bar.query_one("#status-accounts", Static).render()) == f"cabinet: {t('status.syncing', since='')}"


async def test_the_engines_news_before_the_main_screen_is_composed_are_told_once_it_is(
    mailroom: FakeMailroom, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sync's news reaching the app while its main screen is being composed: kept (no NoMatches, no loss),
    then told: the account's state shows in the status bar."""
    composed = MainScreen.compose

    def compose_with_news(self: MainScreen) -> ComposeResult:
        app = missive_app(self)
        app.on_mailroom_event_received(MailroomEventReceived(SyncState("cabinet", "offline", "07:58")))
        app.on_mailroom_event_received(MailroomEventReceived(Progress("cabinet", 1, 10)))
        app.on_mailroom_event_received(MailroomEventReceived(Progress("cabinet", 10, 10)))  # the last one wins
        yield from composed(self)

    monkeypatch.setattr(MainScreen, "compose", compose_with_news)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        status = app.screen.query_one(StatusBar)
        text = str(status.query_one("#status-accounts", Static).render())
        assert text == f"cabinet: {t('status.offline', since=' (07:58)')}"
        assert not status.query("#status-progress")  # 10 of 10: no bar
        assert app._early_events == []


async def test_news_coming_as_the_screens_parts_are_taken_down_fail_nothing(mailroom: FakeMailroom) -> None:
    """The app ending: its main screen still mounted while its parts are removed, a sync's last news arrives
    (the CI's failure at c360dad: 'No nodes match StatusBar on MainScreen()'). Nothing fails; the news is kept."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        main = app.screen
        assert isinstance(main, MainScreen) and main.is_mounted
        await main.query_one(StatusBar).remove()
        app.on_mailroom_event_received(MailroomEventReceived(SyncState("cabinet", "online", "08:00")))
        await pilot.pause()
        assert app._early_events == [SyncState("cabinet", "online", "08:00")]
        assert app.return_code is None  # no internal error ended it
