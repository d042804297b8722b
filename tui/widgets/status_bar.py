"""The status bar: connection state per account, outbox count, documents à classer."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widgets import Static

from tui.i18n import t


class StatusBar(Horizontal):
    """One line at the bottom; the cached view stays usable whatever the network does."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        background: $panel;
        color: $foreground;
        & > #status-accounts { width: 1fr; }
        & > #status-counts { width: auto; padding: 0 1; color: $text-accent; }
        & > ProgressBar { width: 20; }
        &:ansi { background: ansi_default; }
    }
    """

    outbox: reactive[int] = reactive(0)
    review: reactive[int] = reactive(0)
    critical: reactive[int] = reactive(0)

    def __init__(self) -> None:
        super().__init__()
        self._accounts: dict[str, str] = {}
        self._counts = ""

    def compose(self) -> ComposeResult:
        yield Static(t("status.no_account"), id="status-accounts")
        # the progress bar is mounted only while a sync reports progress: Textual's ProgressBar wakes the app
        # every second for as long as it exists, and an idle app uses no CPU
        yield Static("", id="status-counts")

    def on_mount(self) -> None:
        self.call_later(self._paint_counts)  # is_mounted is true only once Mount is handled: "À classer : 0" too
        self.call_later(self._paint_accounts)  # a state told before the line's children were there

    def watch_outbox(self) -> None:
        self._paint_counts()

    def watch_review(self) -> None:
        self._paint_counts()

    def watch_critical(self) -> None:
        self._paint_counts()

    def _paint_counts(self) -> None:
        if self.is_mounted:
            counts = t("status.counts", outbox=self.outbox, review=self.review)
            if self.outbox:  # letters wait: the key of À envoyer, where they are listed with what to do
                counts = t("status.counts_outbox", outbox=self.outbox, review=self.review)
            if self.critical:
                counts += "  " + t("status.critical", count=self.critical)
            if counts != self._counts:  # the same words again: no layout of the screen for nothing
                self._counts = counts
                self.query_one("#status-counts", Static).update(counts)

    async def on_click(self, event: events.Click) -> None:
        """A click on the counts: À envoyer (the outbox's letters), as F7."""
        if event.widget is not None and event.widget.id == "status-counts" and self.outbox:
            await self.app.run_action("app.outbox")

    def set_account(self, name: str, state: str, since: str = "") -> None:
        """``state``: online, syncing, offline (with the last sync time), daemon (``missive daemon`` syncs)."""
        label = (
            t(f"status.{state}", since=f" ({since})" if since else "")
            if state in ("online", "syncing", "offline", "daemon")
            else state
        )
        self._accounts[name] = label
        self._paint_accounts()

    def _paint_accounts(self) -> None:
        # A sync's first state may come while the bar is mounted but its children not yet (a loaded machine:
        # the installed app ended on "erreur interne (NoMatches)" in a CI run): kept, painted at mount.
        for line in self.query("#status-accounts").results(Static):
            line.update("  ".join(f"{n}: {s}" for n, s in self._accounts.items()) or t("status.no_account"))

    def accounts(self) -> list[str]:
        """The accounts shown, in their order."""
        return list(self._accounts)

    def keep_accounts(self, names: set[str]) -> None:
        """Forget the accounts no longer in the profile (removed since): their state is no longer true."""
        gone = [name for name in self._accounts if name not in names]
        for name in gone:
            del self._accounts[name]
        if gone:
            self._paint_accounts()

    def set_progress(self, done: int, total: int) -> None:
        bars = self.query("#status-progress")
        if not (0 < total and done < total):
            bars.remove()
            return
        # loaded by a sync's first progress, not at start (with its clock and ETA: some 80 KB in every app)
        from textual.widgets import ProgressBar

        if bars:
            bars.first(ProgressBar).update(total=total, progress=done)
        else:
            bar = ProgressBar(total=total, show_eta=False, show_percentage=False, id="status-progress")
            self.mount(bar, before="#status-counts")
            bar.call_after_refresh(bar.update, progress=done)  # once mounted
