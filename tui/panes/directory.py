"""Annuaire: search the practitioner directory; enter starts a letter to the selected address.

| Key | Action |
| --- | --- |
| / | search |
| enter | in the search: write to the only address found, or go to the results; in the results: write |
| down | in the search: go to the results |
| escape | in the search: to the results, or back to Réception when there are none; in the results: back |
"""

from __future__ import annotations

from typing import Any

from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from core.model import DirectoryEntry
from tui import keymap
from tui.facade import mailroom_of, missive_app
from tui.failures import ReportsFailures
from tui.i18n import t
from tui.messages import DirectoryFound, LetterRequested


class DirectoryPane(ReportsFailures, Vertical):
    """Annuaire (key 4)."""

    BINDINGS = keymap.bindings("directory")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keymap.localise(self)
        self.addresses: list[tuple[str, DirectoryEntry]] = []
        self._shown = ""  # the query whose results are on screen
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        # Set up here, not in on_mount: a quit during the mount leaves no children to query (a traceback).
        yield Input(placeholder=t("directory.placeholder"), id="directory-search")
        results = OptionList(id="directory-results")
        results.border_title = t("pane.directory")
        results.display = False
        yield results
        yield Static(t("directory.hint"), id="directory-empty")
        age = Static("", id="directory-age")
        age.display = False
        yield age

    def on_mount(self) -> None:
        self._read_age()

    @work(thread=True, group="directory-age", exit_on_error=False)
    def _read_age(self) -> None:
        line = mailroom_of(self).directory_age()
        if line:
            self.app.call_from_thread(self._show_age, line)

    def _show_age(self, line: str) -> None:
        for age in self.query("#directory-age").results(Static):
            age.update(line)
            age.display = True

    def focus_search(self) -> None:
        self.query("#directory-search").focus()  # nothing to focus when the app is quitting

    def action_search(self) -> None:
        self.focus_search()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave_search":  # escape answers (and shows in the footer) in the search box and the results
            return any(w.has_focus for w in self.query("#directory-search, #directory-results"))
        return True

    def action_leave_search(self) -> None:
        """Escape in the search box: a text field keeps 1-4, so leave it for the results or Réception; in the
        results: back to Réception (it did nothing there, the footer no longer offering it)."""
        results = self.query_one("#directory-results", OptionList)
        if not results.has_focus and results.display and results.option_count:
            results.focus()
        else:
            missive_app(self).action_show_pane("inbox")

    def key_down(self, event: events.Key) -> None:
        """↓ in the search box goes to the results, on the first (Entrée then writes to it)."""
        results = self.query_one("#directory-results", OptionList)
        if self.query_one("#directory-search").has_focus and results.display and results.option_count:
            event.stop()
            event.prevent_default()
            results.focus()

    @on(Input.Changed, "#directory-search")
    def _changed(self, event: Input.Changed) -> None:
        if event.value.startswith("/"):
            # « / » is the pane's search key, but the field has the focus when the pane opens: typed as
            # Réception's « / » is, it went into the field (« /lhote »). No name, town or specialty starts so.
            event.input.value = event.value.lstrip("/")
            return
        if self._timer is not None:
            self._timer.stop()
        query = event.value
        self._timer = self.set_timer(0.25, lambda: self.search(query))

    @on(Input.Submitted, "#directory-search")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value == self._shown and len(self.addresses) == 1:
            self.post_message(LetterRequested((self.addresses[0][0],)))  # one answer: nothing to choose
            return
        self.search(event.value)
        self.query_one("#directory-results").focus()

    @work(thread=True, exclusive=True, group="directory", exit_on_error=False)
    def search(self, query: str) -> None:
        entries = mailroom_of(self).directory_search(query)
        self.post_message(DirectoryFound(query, entries))

    def on_directory_found(self, message: DirectoryFound) -> None:
        results = self.query_one("#directory-results", OptionList)
        results.clear_options()
        self._shown = message.query
        self.addresses = [(addr, e) for e in message.entries for addr in e.mssante]
        for addr, e in self.addresses:
            who = f"{e.family_name} {e.given_name}".strip()
            what = " · ".join(x for x in (e.specialty or e.profession, e.city) if x)
            results.add_option(Option(Content(f"{who} — {what}\n  {addr}")))
        found = bool(self.addresses)
        results.display = found
        empty = self.query_one("#directory-empty", Static)
        empty.display = not found
        if message.query.strip() and not found:
            empty.update(t("directory.none"))
        results.border_subtitle = t("directory.count", count=len(self.addresses))
        if found:
            results.highlighted = 0

    @on(OptionList.OptionSelected, "#directory-results")
    def _selected(self) -> None:
        self.action_letter()

    def action_letter(self) -> None:
        index = self.query_one("#directory-results", OptionList).highlighted
        if index is not None and 0 <= index < len(self.addresses):
            self.post_message(LetterRequested((self.addresses[index][0],)))
