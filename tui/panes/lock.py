"""Déverrouillage: the passphrase prompt at start and after the idle lock. Hides everything behind it."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from core.errors import MissiveError
from tui.facade import missive_app
from tui.failures import ReportsFailures
from tui.i18n import t
from tui.messages import Unlocked, UnlockFailed


class LockScreen(ReportsFailures, Screen[None]):
    """Asks the passphrase; the key derivation runs in a worker so the screen never freezes."""

    # Entrée typed before missive set the terminal (the passphrase typed as the command starts, before the
    # splash: the terminal still held keys for a line) reaches it as a line feed, ctrl+j, not Entrée: it was
    # lost and the doctor waited before a filled field. A line feed is never part of a passphrase: it submits.
    BINDINGS = [Binding("ctrl+j", "submit_passphrase", show=False)]

    def __init__(self, relock: bool = False, idle: bool = True, checking: bool = False) -> None:
        super().__init__()
        self.relock = relock
        self.idle = idle  # locked by the idle timer (else by ctrl+l / F12)
        self.checking = checking  # a passphrase given to the app (MISSIVE_PASSPHRASE, demo) is being checked

    def compose(self) -> ComposeResult:
        with Center(), Vertical(id="lock-box") as box:
            box.border_title = t("lock.title")
            prompt = ("lock.relocked" if self.idle else "lock.locked") if self.relock else "lock.prompt"
            yield Label(t(prompt), id="lock-prompt")
            yield Input(
                password=True, id="lock-passphrase", placeholder=t("lock.placeholder"), disabled=self.checking
            )
            yield Static(t("lock.checking") if self.checking else "", id="lock-error")

    def on_mount(self) -> None:
        if not self.checking:
            self.query_one("#lock-passphrase").focus()
            missive_app(self).startup_done()  # waiting for the doctor now

    @on(Input.Submitted, "#lock-passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        if not event.value:
            return
        event.input.disabled = True
        self.query_one("#lock-error", Static).update(t("lock.checking"))
        # the keys typed after Entrée wait while the passphrase is checked: for the inbox once it shows (the app
        # releases them then), thrown away if it is refused (never into this field)
        missive_app(self).hold_keys("unlock", self.try_unlock(event.value))
        event.input.value = ""

    async def action_submit_passphrase(self) -> None:
        box = self.query_one("#lock-passphrase", Input)
        if not box.disabled and box.has_focus:
            await box.action_submit()

    @work(thread=True, exclusive=True, group="unlock", exit_on_error=False)
    def try_unlock(self, passphrase: str) -> None:
        try:
            mailroom = missive_app(self).open_profile(passphrase)
        except MissiveError as exc:
            self.post_message(UnlockFailed(str(exc)))
            return
        self.post_message(Unlocked(mailroom))
        missive_app(self).prepare_reading(mailroom)

    def on_unlock_failed(self, message: UnlockFailed) -> None:
        message.stop()  # answered here: the app has nothing more to do
        missive_app(self).drop_keys("unlock")  # typed for the inbox: none of them goes into the passphrase field
        self.checking = False
        missive_app(self).startup_done()
        self.query_one("#lock-error", Static).update(t("lock.wrong"))
        box = self.query_one("#lock-passphrase", Input)
        box.disabled = False
        box.focus()
