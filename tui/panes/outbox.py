"""À envoyer (F7, or a click on the status bar's count): every letter of the outbox, what became of it and what to do.

Each letter: to whom, its subject, when it was put in the outbox, its state (en attente, en échec, envoi en
cours, peut-être arrivée), the attempts, the last failure and when it goes again, all in the core's words
(``MailroomAPI.outbox_letters``). The screen only asks the core and says what it answered.

| Key | Action |
| --- | --- |
| enter | read the letter as it will leave (read-only) |
| e | send it now (a failed one too: the cause was fixed; one that may have arrived after a question) |
| E | send every letter now (but one that may have arrived: one by one, asked) |
| b | withdraw it into Brouillons (after a question): it will not leave; Entrée there takes it up again |
| escape, q | back |
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.screen import ModalScreen, Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from core.model import MessageView, OutgoingLetter, local_time
from tui import keymap
from tui.facade import mailroom_of, missive_app
from tui.failures import ReportsFailures
from tui.i18n import t
from tui.messages import DraftsChanged
from tui.widgets.footer import KeyFooter

MARKS = {"waiting": "·", "sending": "→", "failed": "✗", "doubt": "?", "accepted": "✓"}
STYLES = {"failed": "$error bold", "doubt": "$warning bold", "sending": "$success", "accepted": "$success"}
RELOAD_EVERY = 10.0  # seconds: another process (the daemon) may send a letter while the screen is up


def _when(letter: OutgoingLetter) -> str:
    queued = local_time(letter.queued)
    return queued.strftime("%d/%m %H:%M") if queued else ""


def letter_lines(letter: OutgoingLetter, width: int) -> Content:
    """Two lines: the state, to whom and what; then when queued, attempts and when it goes again."""
    mark = MARKS.get(letter.state, "·")
    state = f"{mark} {letter.state_label:<12}"
    who = letter.recipients[0] if letter.recipients else ""
    if len(letter.recipients) > 1:
        who += f" +{len(letter.recipients) - 1}"
    first = f"{who} · {letter.subject or t('outbox.no_subject')}"
    room = max(width - len(state) - 3, 10)
    if len(first) > room:
        first = first[: room - 1] + "…"
    second = "   " + t("outbox.queued_line", when=_when(letter), attempts=letter.attempts, note=letter.next_note)
    if len(second) > width:
        second = second[: width - 1] + "…"
    return Content.assemble((state, STYLES.get(letter.state, "bold")), "  ", first, "\n", (second, "$text-muted"))


def letter_detail(letter: OutgoingLetter) -> Content:
    """Below the list, the highlighted letter whole: every recipient, and the last failure in the core's words."""
    parts: list[str | tuple[str, str]] = [
        (f"{t('outbox.to')} ", "bold"), ", ".join(letter.recipients), "\n",
        (f"{t('outbox.state')} ", "bold"), (letter.state_label, STYLES.get(letter.state, "")),
        f" — {letter.next_note}",
    ]  # fmt: skip
    if letter.reason:
        parts += ["\n", (f"{t('outbox.reason')} ", "bold"), letter.reason]
    return Content.assemble(*parts)


class OutboxReader(ModalScreen[None]):
    """The letter as it will leave, read-only: the reader's own widget, closed with Échap or q."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "dismiss", show=False)]
    DEFAULT_CSS = """
    OutboxReader { align: center middle; }
    #outbox-reader { width: 100%; height: 100%; border: round $accent; background: $surface; }
    """

    def __init__(self, view: MessageView) -> None:
        super().__init__()
        self.view = view
        keymap.show_in_footer(self, {"dismiss": t("footer.back")})

    def compose(self) -> ComposeResult:
        from tui.panes.reader import Reader

        reader = Reader(id="outbox-reader")
        reader.attachment_keys = False  # read-only: s and o are Réception's
        reader.border_title = t("outbox.reader_title")
        reader.border_subtitle = t("outbox.reader_keys")
        yield reader
        yield KeyFooter()

    def on_mount(self) -> None:
        reader = self.query_one("#outbox-reader")
        reader.show(self.view)  # type: ignore[attr-defined]  # a Reader
        reader.focus()

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(None)


class OutboxScreen(ReportsFailures, Screen[None]):
    """À envoyer: the outbox's letters, the highlighted one whole below, its actions on the keys line."""

    BINDINGS = [
        *keymap.bindings("outbox"),
        Binding("j", "down", show=False),
        Binding("k", "up", show=False),
        # F2-F5 still go to the panes (the app's keys), but the keys line leaves "Volets" out for this screen's own
        Binding("f2,1", "app.show_pane('inbox')", show=False),
    ]
    DEFAULT_CSS = """
    OutboxScreen { layout: vertical; }
    #outbox-title { height: 1; text-style: bold; background: $panel; padding: 0 1; }
    #outbox-letters { height: 1fr; border: none; }
    #outbox-empty { height: auto; padding: 1 2; color: $text-muted; }
    #outbox-detail { height: auto; max-height: 7; border-top: solid $accent; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        keymap.localise(self)
        self.letters: list[OutgoingLetter] = []
        self._wanted: str | None = None  # the letter to keep highlighted across a reload

    def compose(self) -> ComposeResult:
        yield Static(t("outbox.title"), id="outbox-title", markup=False)
        with Vertical():
            yield OptionList(id="outbox-letters")
            yield Static(t("outbox.empty"), id="outbox-empty", markup=False)
        with VerticalScroll(id="outbox-detail"):
            yield Static("", id="outbox-reason", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#outbox-empty").display = False
        self.query_one(OptionList).focus()
        self.reload()
        self.set_interval(RELOAD_EVERY, self.reload)

    # -- reading the outbox ---------------------------------------------------------------------------------
    def reload(self) -> None:
        self.run_worker(self._read, thread=True, group="outbox-list", exclusive=True, exit_on_error=False)

    def _read(self) -> list[OutgoingLetter]:
        return mailroom_of(self).outbox_letters()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.SUCCESS and event.worker.group == "outbox-list":
            self._show(event.worker.result or [])
        elif event.state == WorkerState.SUCCESS and event.worker.group == "outbox-read":
            if isinstance(event.worker.result, MessageView) and self.is_current:
                self.app.push_screen(OutboxReader(event.worker.result))
        elif event.state == WorkerState.SUCCESS and event.worker.group == "outbox-act":
            said = event.worker.result
            if said:
                self.app.notify(said)
            missive_app(self).refresh_counts()
            self.reload()
        else:
            super().on_worker_state_changed(event)
            if event.state == WorkerState.ERROR:
                self.reload()

    def _show(self, letters: list[OutgoingLetter]) -> None:
        options = self.query_one(OptionList)
        current = self.selected()
        wanted = self._wanted or (current.id if current else None)
        self._wanted = None
        self.letters = letters
        width = max(self.size.width - 2, 20)
        options.clear_options()
        options.add_options([Option(letter_lines(letter, width), id=letter.id) for letter in letters])
        options.display = bool(letters)
        self.query_one("#outbox-empty").display = not letters
        count = len(letters)
        self.query_one("#outbox-title", Static).update(
            t("outbox.title_count", count=count) if count else t("outbox.title")
        )
        if letters:
            ids = [letter.id for letter in letters]
            options.highlighted = ids.index(wanted) if wanted in ids else 0
        self._paint_detail()
        self.refresh_bindings()  # the keys line offers what applies to the list now (none but Échap when empty)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("read", "send_one", "send_all", "withdraw") and not self.letters:
            return False  # nothing to read, send or withdraw: the keys line offers Échap only (gp8's finding)
        return True

    def selected(self) -> OutgoingLetter | None:
        options = self.query_one(OptionList)
        index = options.highlighted
        if index is None or not (0 <= index < len(self.letters)) or not options.display:
            return None
        return self.letters[index]

    @on(OptionList.OptionHighlighted)
    def _highlighted(self) -> None:
        self._paint_detail()

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        self.action_read()

    def _paint_detail(self) -> None:
        letter = self.selected()
        self.query_one("#outbox-reason", Static).update(letter_detail(letter) if letter else "")
        self.query_one("#outbox-detail").display = letter is not None

    # -- actions --------------------------------------------------------------------------------------------
    def action_down(self) -> None:
        self.query_one(OptionList).action_cursor_down()

    def action_up(self) -> None:
        self.query_one(OptionList).action_cursor_up()

    def action_back(self) -> None:
        self.dismiss(None)

    def action_read(self) -> None:
        letter = self.selected()
        if letter is None:
            self.app.bell()
            return

        def read() -> MessageView:
            return mailroom_of(self).outgoing_view(letter.id, actor="tui")

        self.run_worker(read, thread=True, group="outbox-read", exclusive=True, exit_on_error=False)

    def action_send_one(self) -> None:
        letter = self.selected()
        if letter is None:
            self.app.bell()
            return
        if not letter.can_resend:
            self.app.notify(t("outbox.busy"), severity="warning")
            return
        if letter.resend_question:
            from tui.panes.confirm import ConfirmScreen

            self.app.push_screen(
                ConfirmScreen(letter.resend_question, deliberate=True),
                lambda yes: self._send(letter.id) if yes else None,
            )
            return
        self._send(letter.id)

    def action_send_all(self) -> None:
        if not self.letters:
            self.app.bell()
            return
        self._send(None)

    def _send(self, entry_id: str | None) -> None:
        self.app.notify(t("outbox.sending"))

        def send() -> str:
            report = asyncio.run(mailroom_of(self).send_outgoing(entry_id))
            return t(
                "outbox.sent_report",
                sent=report.sent,
                waiting=report.queued + report.busy,
                failed=report.failed,
            )

        self.run_worker(send, thread=True, group="outbox-act", exclusive=True, exit_on_error=False)

    def action_withdraw(self) -> None:
        letter = self.selected()
        if letter is None:
            self.app.bell()
            return
        if not letter.can_withdraw:
            self.app.notify(t("outbox.cannot_withdraw"), severity="warning")
            return
        from tui.panes.confirm import ConfirmScreen

        self.app.push_screen(
            ConfirmScreen(t("outbox.withdraw_question", subject=letter.subject or t("outbox.no_subject"))),
            lambda yes: self._withdraw(letter.id) if yes else None,
        )

    def _withdraw(self, entry_id: str) -> None:
        def withdraw() -> str:
            mailroom_of(self).withdraw_outgoing(entry_id, actor="tui")
            self.app.post_message(DraftsChanged())
            return t("outbox.withdrawn")

        self.run_worker(withdraw, thread=True, group="outbox-act", exclusive=True, exit_on_error=False)
