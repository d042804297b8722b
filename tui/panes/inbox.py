"""Réception: folders, the virtualised message list and the reader.

Three layouts: the list alone over the whole height while no message is open (in a terminal of fewer than
36 rows; a taller one keeps the empty reader below a list of 14 rows or more); the list on top and the reader
below once one is (``enter``); the reader alone over the whole pane (``enter`` again on the open message, or
``v``), paged with space and ``-``/``b``, left with ``q`` or Échap back to the list on the same row.

| Key | Action |
| --- | --- |
| enter | open the message (again: the reader over the whole screen) |
| v | the reader over the whole screen |
| c / r / f | write, reply, forward |
| / | search the list |
| s / o | save the attachments / open the first with the system viewer |
| a | send the read receipt the open message asks for (the doctor's choice) |
| N / F | unread (or read again) / flag as important (or clear), here and on the server |
| d | to the Trash (in the Trash: for good, after a question) |
| m / A | move to a folder (chooser) / archive |
| u | put the last message moved, archived or deleted back (À classer's u undoes a filing: another pane) |
| q | quit |

Messages from outside the trust space (quarantined at sync) are listed only in the Quarantaine folder.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from core.config import child_environment
from core.errors import MessageGone, MissiveError
from core.model import (
    DRAFTS_FOLDER,
    INBOX,
    SORTS,
    FolderCount,
    MessageSummary,
    MessageView,
    file_name_to_write,
    folder_label,
    folder_parts,
    local_time,
    matches,
    printable,
    query_terms,
    reply_attribution,
)
from tui import attachments, keymap
from tui.facade import mailroom_of, missive_app
from tui.failures import ReportsFailures
from tui.frames import PromptFrames
from tui.i18n import t
from tui.messages import DraftReopened, LetterRequested, MessageOpened, MessagesLoaded
from tui.panes.reader import Reader
from tui.widgets.keyed_list import KeyedList
from tui.widgets.message_list import MessageList

log = logging.getLogger("missive.tui")
_Answer = TypeVar("_Answer")
TALL = 36  # terminal rows from which the reader stays below the list (14 rows of it) with no message open


class _SeenNotStored(Message):
    """The letter shown read could not be marked read in the profile: its row goes back to the core's (unread)."""

    def __init__(self, summary: MessageSummary) -> None:
        super().__init__()
        self.summary = summary


class InboxPane(ReportsFailures, Vertical):
    """Réception (key 1)."""

    BINDINGS = keymap.bindings("inbox")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keymap.localise(self)
        self.folder: str | None = INBOX
        self.view: MessageView | None = None
        self.loaded = False
        self.stale = False  # a draft changed while the pane was hidden: reload when shown
        self._unread = 0
        self._listed: str | None = INBOX  # the folder whose messages the list shows
        self._patients_in: dict[str, str] = {}  # Message-ID -> patient names (core.clinical.search form)
        self._words_in: dict[str, str] = {}  # Message-ID -> words of a letter already opened (same form)
        # each folder's order (t cycles date, sender, subject: the store sorts) and conversations (T), kept for
        # the session: t or T in Réception leave Envoyés, Corbeille and Brouillons as they were
        self._views: dict[str | None, tuple[str, bool]] = {}
        self.mode = "list"  # list (no message open) | split (list and reader) | full (the reader alone)
        self._empty = False
        self._searching = False
        self._full_for: str | None = None  # v on a message not open yet: full screen once it is
        self._keep_row: int | None = None  # where the cursor stays after a message left the list

    def compose(self) -> ComposeResult:
        # Set up here, not in on_mount: a quit during the mount leaves no children to query (a traceback).
        folders = KeyedList(id="folders")
        folders.border_title = t("inbox.folders")
        search = Input(placeholder=t("inbox.search_placeholder"), id="inbox-search")
        search.display = False
        messages = MessageList(id="message-list")
        messages.border_title = t("pane.inbox")
        reader = Reader(id="reader")
        reader.border_title = t("reader.title")
        reader.display = False  # until a message is open: the list takes the height (see _arrange)
        with Horizontal(id="inbox-main"):
            yield folders
            with Vertical(id="inbox-right"):
                yield search
                yield messages
                yield Static(t("inbox.empty"), id="inbox-empty")
                yield reader

    def on_mount(self) -> None:
        if missive_app(self).mailroom is not None:  # else behind the unlock screen: read at the unlock
            self.reload()

    def on_resize(self) -> None:
        self._arrange()

    # -- loading ------------------------------------------------------------------------------------------
    def reload(self) -> None:
        self.stale = False
        self.load_messages(self.folder)

    def drafts_changed(self) -> None:
        """A draft was saved, thrown away or sent: Brouillons appears, changes or goes; reloaded now when on
        screen, else the next time the pane is shown (the composer saves while the doctor types)."""
        if self.display and self.is_on_screen:
            self.reload()
        else:
            self.stale = True

    def reload_if_stale(self) -> None:
        if self.stale:
            self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # Textual runs this, then ReportsFailures' handler (each class of the MRO) unless the default is prevented
        if event.state == WorkerState.ERROR and event.worker.group == "inbox-list" and not self.loaded:
            missive_app(self).inbox_loaded()  # the first list could not be read: shown all the same
        if event.state == WorkerState.ERROR and isinstance(event.worker.error, MessageGone):
            event.prevent_default()  # said here, not again as a failure
            event.stop()
            self._gone(event.worker.error)

    def _gone(self, exc: MessageGone) -> None:
        """The message acted on left this folder meanwhile (another missive on the profile, the daemon, a
        sync): say so in the list's words and read the list again, the stale row goes."""
        self.notify(t("inbox.gone"), severity="warning", timeout=8)
        log.info("inbox: message gone meanwhile (%s)", type(exc).__name__)
        self.reload()

    @work(thread=True, exclusive=True, group="inbox-list", exit_on_error=False)
    def load_messages(self, folder: str | None) -> None:
        mailroom = mailroom_of(self)
        summaries = missive_app(self).summaries(folder)
        sort, threads = self.view_of(folder)
        if sort != "date":
            summaries = summaries.sorted_by(sort)
        if threads:
            summaries = summaries.threaded()
        folders = mailroom.folders()
        statuses = mailroom.receipt_statuses()
        labels = mailroom.patient_labels()
        counts = mailroom.folder_counts()
        sent = folder is not None and mailroom.sent_folder(folder)
        self.post_message(MessagesLoaded(folder, folders, summaries, statuses, labels, counts, sent))

    @work(thread=True, exclusive=True, group="inbox-counts", exit_on_error=False)
    def load_folder_counts(self) -> None:
        counts = mailroom_of(self).folder_counts()
        self.app.call_from_thread(self._show_counts, counts)

    def _show_counts(self, counts: dict[str, FolderCount]) -> None:
        folders = self.query_one("#folders", OptionList)
        several = _several_accounts([o.id for o in folders.options if o.id is not None])
        for option in folders.options:
            if option.id is not None and option.id in counts:
                folders.replace_option_prompt(option.id, _prompt_of(option.id, counts[option.id], several))

    def on_messages_loaded(self, message: MessagesLoaded) -> None:
        if message.folder == DRAFTS_FOLDER and message.folder not in message.folders and self.loaded:
            # the last draft was sent or thrown away: Brouillons is gone, back to Réception
            self.folder = INBOX
            self.reload()
            return
        folders = self.query_one("#folders", OptionList)
        several = _several_accounts(message.folders)
        if [o.id for o in folders.options if o.id is not None] != message.folders:
            folders.clear_options()
            folders.add_options(_folder_options(message.folders, message.counts))
            if message.folder in message.folders:
                folders.highlighted = folders.get_option_index(message.folder)
        else:
            for name in message.folders:
                folders.replace_option_prompt(name, _prompt_of(name, message.counts.get(name), several))
        msg_list = self.query_one(MessageList)
        msg_list.border_title = Content(self._title(message.folder))  # a folder's name is text, not markup
        # Envoyés and Brouillons: the column names the recipients
        msg_list.own_letters = message.folder == DRAFTS_FOLDER or message.sent
        msg_list.set_messages(message.summaries, message.statuses, message.labels)
        if self._keep_row is not None:  # the message acted on left the list: the cursor stays at its row
            msg_list.cursor = min(self._keep_row, max(0, len(msg_list.rows) - 1))
            self._keep_row = None
        empty = not message.summaries
        self._empty = empty
        self._arrange()
        self._unread = message.summaries.unread  # the store's rows count without decoding
        self._listed = message.folder
        self._paint_count()
        self.call_after_refresh(self.load_filed_patients)  # the list first: the column comes after
        if not self.loaded:
            self.loaded = True
            (msg_list if not empty else self.query_one("#folders")).focus()
            missive_app(self).inbox_loaded()  # shown now; inbox_painted once the list is on screen

    def _title(self, folder: str | None) -> str:
        """The folder, then the order when it is not by date, and the conversations, as the title says them."""
        parts = [_folder_label(folder) if folder else t("pane.inbox")]
        account = folder_parts(folder)[0] if folder else None
        if account is not None:
            parts.insert(0, account)  # two accounts: whose folder this is
        sort, threads = self.view_of(folder)
        if sort != "date":
            parts.append(t(f"inbox.sort_{sort}"))
        if threads:
            parts.append(t("inbox.conversations"))
        return " · ".join(parts)

    def view_of(self, folder: str | None) -> tuple[str, bool]:
        """A folder's order and whether it is by conversation: by date and flat until t or T there."""
        return self._views.get(folder, ("date", False))

    def action_sort(self) -> None:
        """t: this folder's next order (date, sender, subject), read from the store; the highlight stays."""
        sort, threads = self.view_of(self.folder)
        sort = SORTS[(SORTS.index(sort) + 1) % len(SORTS)] if sort in SORTS else SORTS[0]
        self._views[self.folder] = (sort, threads)
        self.reload()

    def action_threads(self) -> None:
        """T: this folder by conversation, or flat again."""
        sort, threads = self.view_of(self.folder)
        self._views[self.folder] = (sort, not threads)
        self.reload()

    @work(thread=True, exclusive=True, group="inbox-filed", exit_on_error=False)
    def load_filed_patients(self) -> None:
        """Whom each message's documents were filed for (the queue's decisions), for the list's column."""
        filed = mailroom_of(self).filed_patients()
        self.app.call_from_thread(self._filed_loaded, filed)

    def _filed_loaded(self, filed: dict[str, str]) -> None:
        self.query_one(MessageList).set_filed(filed)

    @on(OptionList.OptionSelected, "#folders")
    def _folder_chosen(self, event: OptionList.OptionSelected) -> None:
        if event.option.id != self.folder and self.view is not None:  # the open message is not in that list
            self.view = None
            self.query_one(Reader).clear("")
            self.mode = "list"
            self._arrange()
        self.folder = event.option.id
        self.reload()
        self.query_one(MessageList).focus()

    # -- reading ------------------------------------------------------------------------------------------
    @on(MessageList.Selected)
    def _selected(self, event: MessageList.Selected) -> None:
        self._open(event.summary)

    def action_open_message(self) -> None:
        current = self.query_one(MessageList).current
        if current is not None:
            self._open(current)

    def _open(self, summary: MessageSummary) -> None:
        """Enter: the message in the reader below the list; Enter again on the open message: full screen."""
        if self.view is not None and self.view.summary.id == summary.id and self.mode == "split":
            self._set_mode("full")
            return
        self._full_for = None
        reading = self.open_message(summary)
        if summary.folder == DRAFTS_FOLDER:  # the composer goes on with it: the keys typed after Entrée are its
            missive_app(self).hold_keys("letter", reading)

    def action_full_view(self) -> None:
        """v: the highlighted message over the whole screen (opened first when the reader shows another)."""
        current = self.query_one(MessageList).current
        if current is None:
            return
        if self.view is not None and self.view.summary.id == current.id:
            self._set_mode("full")
            return
        self._full_for = current.id
        reading = self.open_message(current)
        if current.folder == DRAFTS_FOLDER:
            missive_app(self).hold_keys("letter", reading)

    def step_full_view(self, step: int) -> None:
        """j/k in the full-screen reader: the list's next or previous message, shown full screen."""
        msg_list = self.query_one(MessageList)
        target = msg_list.cursor + step
        if not 0 <= target < len(msg_list.rows):
            return
        msg_list.cursor = target
        self.action_full_view()

    async def action_close_or_quit(self) -> None:
        """q: with a message open below the list, back to the list alone (as in the full-screen reader, and as
        neomutt's pager); in the list, quit (after the question when a letter is not sent)."""
        if self.mode != "list":
            self._set_mode("list")
            return
        await missive_app(self).action_quit()

    def focus_shown(self) -> None:
        """The pane shown again (back from Rédaction, À classer…): the focus to what is on screen, the reader
        when it fills the screen. The list had it, hidden: space, j/k and the arrows moved its cursor unseen
        and d, m or A acted on the row it came to, not on the letter on screen."""
        target = (
            self.query_one(Reader)
            if self.mode == "full"
            else self.query_one("#folders")
            if self._empty
            else self.query_one(MessageList)
        )
        target.focus()

    def leave_full_view(self) -> None:
        """q or Échap in the full-screen reader: back to the list, on the same row."""
        self._set_mode("list")

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self._arrange()
        # focus() repaints the widget even when it has the focus already: opening a message from the list
        # would redraw every row of it for nothing (measured: a fifth of the open's render)
        target = (
            self.query_one(Reader) if mode == "full" else None if self._empty else self.query_one(MessageList)
        )
        if target is not None and not target.has_focus:
            target.focus()

    def _arrange(self) -> None:
        """Show what the mode asks: the list alone, the list over the reader, or the reader alone."""
        full = self.mode == "full"
        msg_list = self.query_one(MessageList)
        self.query_one("#folders").display = not full
        self.query_one("#inbox-search").display = self._searching and not full
        msg_list.display = not full and not self._empty
        self.query_one("#inbox-empty").display = not full and self._empty
        reader = self.query_one(Reader)
        # a tall terminal keeps the reader below a list of 14 rows or more even before a message is open:
        # opening one then changes no layout (the short terminal's list needs the height more)
        tall = self.app.size.height >= TALL
        reader.display = self.mode != "list" or tall
        msg_list.set_class(self.mode == "split" or (tall and not full), "-split")
        reader.set_class(full, "-full")
        if not reader.display and reader.has_focus:
            (msg_list if not self._empty else self.query_one("#folders")).focus()

    @work(thread=True, exclusive=True, group="reader", exit_on_error=False)
    def open_message(self, summary: MessageSummary) -> None:
        mailroom = mailroom_of(self)
        if summary.folder == DRAFTS_FOLDER:  # a draft: the composer goes on with it (text, recipients, files)
            self.post_message(DraftReopened(mailroom.draft(summary.id)))
            return
        view = mailroom.read_message(summary.id, actor="tui", words_later=True)
        self.post_message(MessageOpened(view))
        # then what reading it changes in the profile, each a write (20-60 ms on a busy disk) the letter used to
        # wait for: read on the server at the next sync, and its words for the search
        try:
            if summary.unread:
                try:
                    mailroom.mark_seen(summary.id)
                except Exception:
                    # said as before (ReportsFailures: a French line, a log line); the row shown read goes back
                    # to what the core keeps, after MessageOpened (the same queue)
                    self.post_message(_SeenNotStored(summary))
                    raise
                with contextlib.suppress(RuntimeError):  # the app ended meanwhile
                    self.app.call_from_thread(self.load_folder_counts)  # the folder list's count, now the core's
        finally:
            mailroom.keep_read_words()  # read and audited whatever became of its flag: its words are searchable

    @on(_SeenNotStored)
    def _unread_again(self, message: _SeenNotStored) -> None:
        self.query_one(MessageList).replace(message.summary)
        self._unread += 1
        self._paint_count()

    def on_message_opened(self, message: MessageOpened) -> None:
        self.view = message.view
        missive_app(self).audit_in_step()  # read, so audited: a line about a broken audit log is no longer true
        self.query_one(Reader).show(message.view)
        full = self._full_for == message.view.summary.id
        self._full_for = None
        if full or self.mode == "full":
            self._set_mode("full")
        elif self.mode != "split":
            self._set_mode("split")
        summary = message.view.summary
        if message.view.summary_repaired and not summary.unread:  # a blank row, read again by the core
            self.query_one(MessageList).replace(summary)
        if summary.unread:
            msg_list = self.query_one(MessageList)
            msg_list.replace(MessageSummary(**{**summary.__dict__, "flags": (*summary.flags, "\\Seen")}))
            self._unread = max(0, self._unread - 1)  # read now: the count says so at once
            self._paint_count()  # the folder list's once the core has it (open_message)
        elif message.view.receipts:
            self.load_folder_counts()  # a sent letter or its report: a failure seen leaves Envoyés' count
        if isinstance(self.screen, PromptFrames):  # the doctor waits for this frame, not for the clock's tick
            self.screen.paint_soon()

    # -- search -------------------------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#inbox-search", Input)
        if self.mode == "full":
            self._set_mode("list")
        self._searching = True
        search.display = True
        search.focus()
        self.load_patient_names()

    @on(Input.Changed, "#inbox-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    def _filter(self, text: str) -> None:
        """Sender and subject, the patient named in the documents a message brought, and the text of the
        letters already opened."""
        terms = query_terms(text)
        ids: set[str] = set()
        if terms:
            for found in (self._patients_in, self._words_in):
                ids.update(mid for mid, form in found.items() if matches(terms, form))
        self.query_one(MessageList).filter(text, ids)
        self._paint_count()

    def _paint_count(self) -> None:
        """The list's count line says what the list shows: the search's finds while one is typed, else the
        folder's messages and unread (a search closed or erased gives that back; a reload during a search, a
        sync's, keeps the finds)."""
        msg_list = self.query_one(MessageList)
        search = self.query_one("#inbox-search", Input)
        text = search.value if search.display else ""
        count = len(msg_list.rows)
        if query_terms(text) and not count:
            msg_list.border_subtitle = Content(t("inbox.no_result", query=text.strip()))  # as typed, not markup
        elif query_terms(text):
            msg_list.border_subtitle = t("inbox.found", count=count)
        elif self._listed == DRAFTS_FOLDER:
            msg_list.border_subtitle = t("inbox.drafts_one" if count <= 1 else "inbox.drafts_many", count=count)
        else:
            msg_list.border_subtitle = count_line(count, self._unread)

    @work(thread=True, exclusive=True, group="inbox-patients", exit_on_error=False)
    def load_patient_names(self) -> None:
        """Message-ID -> the searchable names of the patients its documents are about, and the words of the
        letters already opened (read once per search)."""
        mailroom = mailroom_of(self)
        found = mailroom.patients_by_message()
        words = mailroom.read_words_by_message()
        self.app.call_from_thread(self._patient_names_loaded, found, words)

    def _patient_names_loaded(self, found: dict[str, str], words: dict[str, str] | None = None) -> None:
        self._patients_in = found
        self._words_in = words or {}
        search = self.query_one("#inbox-search", Input)
        if search.display and search.value.strip():
            self._filter(search.value)

    @on(Input.Submitted, "#inbox-search")
    def _search_done(self) -> None:
        self.query_one(MessageList).focus()

    def key_escape(self) -> None:
        """Échap: clears the search when one is shown, else closes the reader (the list takes the height)."""
        search = self.query_one("#inbox-search", Input)
        if search.display:
            search.value = ""
            search.display = False
            self._searching = False
            self.query_one(MessageList).filter("")
            self._paint_count()
            self.query_one(MessageList).focus()
        elif self.mode != "list":
            self._set_mode("list")

    def action_focus_folders(self) -> None:
        self.query_one("#folders").focus()

    # -- writing ------------------------------------------------------------------------------------------
    def action_compose(self) -> None:
        missive_app(self).hold_keys("letter")  # the keys typed after c are the letter's (ComposePane.ready)
        self.post_message(LetterRequested())

    def action_reply(self) -> None:
        self._write("reply")

    def action_reply_all(self) -> None:
        self._write("reply_all")

    def action_forward(self) -> None:
        self._write("forward")

    def _write(self, kind: str) -> None:
        # the keys typed after r wait while the message is read, then for the composer (ComposePane.ready)
        missive_app(self).hold_keys("letter", self.write_about(kind))

    @work(thread=True, exclusive=True, group="write-about", exit_on_error=False)
    def write_about(self, kind: str) -> None:
        """r, g and f act on the highlighted message: opened here if the reader shows another one."""
        s = self._target()
        if s is None:
            self.app.call_from_thread(missive_app(self).release_keys, "letter")  # no letter: the keys go on
            return
        if s.folder == DRAFTS_FOLDER:
            self.app.call_from_thread(self.notify, t("inbox.draft_enter"))
            self.app.call_from_thread(missive_app(self).release_keys, "letter")
            return
        view = self.view if self.view is not None and self.view.summary.id == s.id else None
        mailroom = mailroom_of(self)
        view = view or mailroom.read_message(s.id, actor="tui")
        own = mailroom.own_addresses() if kind == "reply_all" else frozenset()
        self.post_message(letter_about(kind, view, self.query_one(MessageList).own_letters, own))

    def _target(self) -> MessageSummary | None:
        return self.query_one(MessageList).current

    # -- read, flag, move, archive, delete, undo ----------------------------------------------------------
    def _acted_on(self) -> MessageSummary | None:
        if self.folder == DRAFTS_FOLDER:  # drafts live in the profile, not on the server
            self.notify(t("inbox.not_for_drafts"))
            return None
        s = self._target()
        if s is None:
            self.notify(t("inbox.no_message"))
        return s

    def action_toggle_unread(self) -> None:
        if (s := self._acted_on()) is not None:
            self.change_flag(s.id, "seen", s.unread)

    def action_toggle_flag(self) -> None:
        if (s := self._acted_on()) is not None:
            self.change_flag(s.id, "flagged", not s.flagged)

    @work(exclusive=True, group="inbox-flags", exit_on_error=False)
    async def change_flag(self, message_id: str, which: str, on: bool) -> None:
        mailroom = mailroom_of(self)
        if which == "seen":
            summary = await mailroom.set_seen(message_id, on)
            said = "inbox.marked_read" if on else "inbox.marked_unread"
        else:
            summary = await mailroom.set_flagged(message_id, on)
            said = "inbox.marked_flagged" if on else "inbox.marked_unflagged"
        msg_list = self.query_one(MessageList)
        msg_list.replace(summary)
        self.notify(t(said))
        self.reload()  # the counts of the list and of the folder

    def action_delete(self) -> None:
        s = self._acted_on()
        if s is None:
            return
        question = self._ask_core(lambda: mailroom_of(self).delete_question(s.id))
        if question is None:
            return
        if not question:
            self.move_message(s.id, "delete")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.move_message(s.id, "expunge")

        from tui.panes.confirm import ConfirmScreen  # loaded by a first deletion, not with Réception

        self.app.push_screen(ConfirmScreen(question, deliberate=True), answered)

    def action_archive(self) -> None:
        if (s := self._acted_on()) is not None:
            self.move_message(s.id, "archive")

    def action_move(self) -> None:
        s = self._acted_on()
        if s is None:
            return
        targets = self._ask_core(lambda: mailroom_of(self).move_targets(s.id))
        if targets is None:
            return

        def chosen(folder: str | None) -> None:
            if folder:
                self.move_message(s.id, "move", folder)

        from tui.panes.move import FolderChooser  # loaded by a first move, not with Réception

        self.app.push_screen(FolderChooser(targets, _folder_label), chosen)

    def _ask_core(self, ask: Callable[[], _Answer]) -> _Answer | None:
        """What the core says before a delete or a move (its question, the folders offered); None when it
        refused, said on screen (a message gone meanwhile: said, and the list read again)."""
        try:
            return ask()
        except MessageGone as exc:
            self._gone(exc)
        except MissiveError as exc:
            self._refused(exc)
        return None

    def _refused(self, exc: MissiveError) -> None:
        self.notify(" ".join(str(exc).split()), severity="error", timeout=8)
        log.info("inbox: action refused (%s)", type(exc).__name__)

    def action_undo_move(self) -> None:
        self.move_message("", "undo")

    @work(exclusive=True, group="inbox-move", exit_on_error=False)
    async def move_message(self, message_id: str, how: str, folder: str = "") -> None:
        """Delete, archive, move or undo, then the toast the result calls for and the list read again."""
        mailroom = mailroom_of(self)
        msg_list = self.query_one(MessageList)
        row = msg_list.cursor
        if how == "delete":
            result = await mailroom.delete_message(message_id, actor="tui")
        elif how == "expunge":
            result = await mailroom.delete_message(message_id, actor="tui", for_good=True)
        elif how == "archive":
            result = await mailroom.archive_message(message_id, actor="tui")
        elif how == "move":
            result = await mailroom.move_message(message_id, folder, actor="tui")
        else:
            result = await mailroom.undo_move(actor="tui")
        if result.expunged:
            done = t("inbox.expunged")
        elif how == "undo":
            done = t("inbox.moved_back", folder=_folder_label(result.folder))
        elif result.role == "trash":
            done = t("inbox.moved_trash")
        elif result.role == "archive":
            done = t("inbox.moved_archive", folder=_folder_label(result.folder))
        else:
            done = t("inbox.moved", folder=_folder_label(result.folder))
        if result.queued:
            done = t("inbox.queued", done=done)
        log.info(
            "inbox: %s of %s done%s", how, (message_id or result.message_id)[:12], " (queued)" * result.queued
        )
        self.notify(done, timeout=8)
        if self.view is not None and self.view.summary.id == message_id:
            self.view = None
            self.query_one(Reader).clear("")
            self._set_mode("list")  # the message shown left the folder: the list takes the height
        self._keep_row = row
        self.reload()

    # -- read receipts ------------------------------------------------------------------------------------
    def action_read_receipt(self) -> None:
        """Send the read receipt the open message asks for (only when it asks one)."""
        if self.view is None or not self.view.receipt_request:
            self.notify(t("reader.no_receipt_asked"))
            return
        self.send_read_receipt(self.view.summary.id)

    @work(exclusive=True, group="read-receipt", exit_on_error=False)
    async def send_read_receipt(self, message_id: str) -> None:
        try:
            delivery = await mailroom_of(self).answer_read_receipt(message_id, actor="tui")
        except MissiveError as exc:
            self.notify(str(exc), severity="error")
            return
        if self.view is not None and self.view.summary.id == message_id:
            self.view = replace(self.view, receipt_request="")
            self.query_one(Reader).show(self.view)
        sent = delivery.outcome == "sent"
        self.notify(t("reader.receipt_sent" if sent else "reader.receipt_queued"))

    # -- attachments --------------------------------------------------------------------------------------
    def action_save_attachments(self) -> None:
        if self.view is None or not self.view.attachments:
            self.notify(t("reader.no_attachment"))
            return
        self.save_attachments(self.view)

    @work(thread=True, group="attachments", exit_on_error=False)
    def save_attachments(self, view: MessageView) -> None:
        # pressing `s` is the doctor's choice to keep a clear copy: 0600 files, and the toast says where
        folder, _ = attachments.save([(att.filename, att.data) for att in view.attachments])
        self.app.call_from_thread(
            self.notify, t("reader.saved", count=len(view.attachments), folder=str(folder))
        )

    def action_open_attachment(self) -> None:
        view = self.view
        if view is None or not view.attachments:
            self.notify(t("reader.no_attachment"))
            return
        if len(view.attachments) == 1:
            self.open_attachment(view, 0)
            return

        def label(place: str) -> str:
            att = view.attachments[int(place)]  # the sender's words: no terminal command
            return printable(f"{att.filename} ({att.content_type}, {len(att.data) // 1024 + 1} Ko)", one_line=True)

        def chosen(place: str | None) -> None:
            if place is not None:
                self.open_attachment(view, int(place))

        from tui.panes.move import FolderChooser  # loaded by a first choice, not with Réception

        places = [str(i) for i in range(len(view.attachments))]
        self.app.push_screen(
            FolderChooser(places, label, title=t("reader.open_title"), keys=t("reader.open_keys"), width=76), chosen
        )

    @work(thread=True, group="attachments", exit_on_error=False)
    def open_attachment(self, view: MessageView, place: int = 0) -> None:
        att = view.attachments[place]
        # a clear copy in a private folder emptied when the app exits; the viewer never sees the passphrase
        opened = attachments.open_copy(att.filename, att.data, env=child_environment())
        if opened.runs:
            said = t("reader.open_runs", extension=file_name_to_write(att.filename).rpartition(".")[2])
            self.app.call_from_thread(self.notify, said, severity="error", timeout=10)
            return
        key = "reader.opened" if opened.viewer else "reader.opened_no_viewer"
        self.app.call_from_thread(self.notify, t(key, path=str(opened.path)))


def count_line(count: int, unread: int) -> str:
    """ "1 message, 1 non lu", "2 messages, 0 non lu"... (French plural: 0 and 1 are singular)."""
    messages = t("inbox.messages_one" if count <= 1 else "inbox.messages_many", count=count)
    return t("inbox.unread_one" if unread <= 1 else "inbox.unread_many", messages=messages, unread=unread)


def letter_about(kind: str, view: MessageView, own_letter: bool, own: frozenset[str]) -> LetterRequested:
    """The letter a reply, a reply to all or a forward starts with."""
    s = view.summary
    # the list's row holds the letter's words as they came: the composer shows them, so no terminal command
    # (an ESC in a subject answered went to the screen in the subject's field)
    original, sender = printable(s.subject, one_line=True), printable(s.sender, one_line=True)
    recipients = tuple(printable(a, one_line=True) for a in s.to)
    if kind == "forward":
        subject = original if original.lower().startswith(("tr:", "fwd:")) else f"Tr: {original}"
        when = local_time(s.date)
        date = when.strftime("%d/%m/%Y %H:%M") if when else ""
        head = [
            t("compose.forwarded"),
            f"{t('reader.from')} {sender}",
            f"{t('reader.date')} {date}",
            f"{t('reader.to')} {', '.join(recipients)}",
        ]
        if view.cc:
            head.append(f"{t('reader.cc')} {', '.join(view.cc)}")
        head.append(f"{t('reader.subject')} {original}")
        body = "\n\n" + "\n".join(head) + "\n\n" + view.body
        return LetterRequested((), subject, body, attachments=tuple(view.attachments), account=s.account)
    subject = original if original.lower().startswith("re:") else f"Re: {original}"
    # above the quote, the core's attribution line: the original's date and sender (in the letter only)
    said = reply_attribution(sender, s.date)
    quoted = "\n\n" + said + "\n" + "\n".join(f"> {line}" for line in view.body.splitlines()) if view.body else ""
    # in Envoyés, answering our own letter writes to its recipients again, not to ourselves
    to: tuple[str, ...] = recipients if own_letter else (sender,)
    cc: tuple[str, ...] = ()
    if kind == "reply_all":
        seen = {a.lower() for a in to} | {a.lower() for a in own}
        rest: list[str] = []
        for a in (*recipients, *view.cc):
            if a.lower() not in seen:  # each address once, in order
                seen.add(a.lower())
                rest.append(a)
        cc = tuple(rest)
    return LetterRequested(to, subject, quoted, in_reply_to=s.message_id, cc=cc, account=s.account)


FOLDER_WIDTH = 15  # inside the folder pane's border at 80 columns (tui/panes/main.tcss), a scrollbar kept


def folder_prompt(
    name: str, count: FolderCount | None, width: int = FOLDER_WIDTH, label: str | None = None
) -> str:
    """A folder and its counts (the core's): "Réception 1/2" when name, unread and total fit in ``width``;
    else the name whole with the unread count only ("Réception 22", nothing when none is unread); a name
    too long even for that is cut with "…" so the unread count still shows."""
    label = _folder_label(name) if label is None else label
    if count is None:
        return label
    if count.undelivered:  # Envoyés: letters not delivered the doctor has not opened yet, before any other count
        mark = t("inbox.folder_undelivered", count=count.undelivered)
        room = max(1, width - len(mark) - 1)
        label = label if len(label) <= room else label[: room - 1] + "…"
        return f"{label.ljust(room)} {mark}"
    both = t("inbox.folder_count", name=label, unread=count.unread, total=count.total)
    if len(both) <= width:
        return t("inbox.folder_count", name=label.ljust(width - len(both) + len(label)), unread=count.unread,
                 total=count.total)  # fmt: skip
    if not count.unread:
        return label if len(label) <= width else label[: width - 1] + "…"
    unread = t("inbox.folder_unread", name=label, unread=count.unread)
    room = len(label) + width - len(unread)  # what the name may take beside its unread count
    if room < len(label):
        label = label[: max(0, room - 1)] + "…"
    return t("inbox.folder_unread", name=label.ljust(max(room, len(label))), unread=count.unread)


def _several_accounts(keys: list[str]) -> bool:
    return any(folder_parts(k)[0] is not None for k in keys)


def _prompt_of(key: str, count: FolderCount | None, several: bool) -> str:
    """One folder's line: with several accounts, INBOX is every account's Réception and an account's folders
    are set in under its name."""
    label = t("inbox.all_inboxes") if several and key == INBOX else _folder_label(key)
    if folder_parts(key)[0] is not None:
        return "  " + folder_prompt(key, count, FOLDER_WIDTH - 2, label)
    return folder_prompt(key, count, label=label)


def _folder_options(keys: list[str], counts: dict[str, FolderCount]) -> list[Option]:
    """The folder list as the core gives it; with several accounts each one's folders under its name (a line
    that cannot be chosen)."""
    out: list[Option] = []
    current: str | None = None
    several = _several_accounts(keys)
    for key in keys:
        account, _name = folder_parts(key)
        if account is not None and account != current:
            out.append(Option(Content.styled(account, "bold $text-muted"), disabled=True))
            current = account
        # the server names its folders: their names are text, never markup ("Trash[/]" ended the app)
        out.append(Option(Content(_prompt_of(key, counts.get(key), several)), id=key))
    return out


def _folder_label(key: str) -> str:
    """A folder as the doctor reads it, in the interface's language: the core's label (``core.model.folder_label``,
    the same names the command line accepts)."""
    return folder_label(key)
