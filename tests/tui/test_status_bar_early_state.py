"""A sync's account state may reach the status bar before its line's children exist (a loaded machine: the
installed app started headless ended on "erreur interne (NoMatches): No nodes match '#status-accounts'" in a CI
run of tests/test_wheel.py). The state is kept and painted once the line is there; nothing fails."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from tui.i18n import t
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
