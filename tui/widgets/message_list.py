"""A message list that renders only the rows on screen (Line API), with an LRU cache of rendered rows.

A DataTable measures every cell of every row when mounted: seconds at 50,000 messages (shared/STACK.md).
Here a row is formatted the first time it scrolls into view and kept in a bounded cache.

| Key | Action |
| --- | --- |
| up/down, k/j | move the cursor |
| pageup/pagedown, home/end | jump |
| enter | open the message (``MessageList.Selected``) |
"""

from __future__ import annotations

import datetime as dt
from collections import OrderedDict
from collections.abc import Collection
from typing import TYPE_CHECKING, cast

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.model import MessageSummary, local_time, matches, printable, query_terms, searchable
from tui.i18n import t

if TYPE_CHECKING:
    from core.mailroom import SummaryRows

    # the façade's lazy rows, or a plain list (a filtered view of them, the tests' own)
    Rows = SummaryRows | list[MessageSummary]

# rendered rows kept for scrolling back: three screens of the list. It kept 512 rows (about 3 KB each), some
# 1.5 MB once the mouse wheel had gone through a long folder, for rows that are redrawn in microseconds.
CACHE_SCREENS, CACHE_MIN_ROWS = 3, 32
MARKERS_WIDTH = 6
DATE_WIDTH = 8
STATUS_WIDTH = 18
PATIENT_WIDTH = 20  # the filed patient's column ("» NOM Prénom")...
PATIENT_MIN_WIDTH = 72  # ...shown only in a list this wide (a terminal of 90 columns): never at 80x24


# the core's verdict on a signature (SignatureStatus.verdict), one cell each: "~" is a signature that holds
# whose certificate's revocation could not be checked (no current CRL of its authority): not "✓", which says
# it was, and not in the warning colour either, which would flag every letter of a profile with no CRL
SIGNATURE_MARKS = {"good": "✓", "unchecked": "~", "bad": "✗"}


def markers(summary: MessageSummary) -> str:
    """Six one-cell markers: flagged or unread (an unread row is also bold), signature, encrypted, attachment,
    abnormal or critical, filed (see help legend)."""
    if summary.signature is not None:
        sig = SIGNATURE_MARKS[summary.signature.verdict]
    else:
        sig = "s" if summary.signed else " "
    return "".join(
        (
            "⚑" if summary.flagged else "●" if summary.unread else " ",
            sig,
            "■" if summary.encrypted else " ",
            "+" if summary.has_attachments else " ",
            "‼" if summary.critical else "!" if summary.abnormal else " ",
            "»" if summary.filed else " ",
        )
    )


def short_date(when: dt.datetime | None, today: dt.date) -> str:
    when = local_time(when)
    if when is None:
        return ""
    return when.strftime("%H:%M") if when.date() == today else when.strftime("%d/%m/%y")


def _fit(text: str, width: int) -> str:
    text = " ".join(text.split())
    if len(text) > width:
        return text[: max(0, width - 1)] + "…"
    return text.ljust(width)


def _position(rows: Rows, message_id: str) -> int:
    if not isinstance(rows, list):  # the façade's rows find it without decoding every summary
        return rows.index_of(message_id) or 0
    return next((i for i, s in enumerate(rows) if s.id == message_id), 0)


class MessageList(ScrollView, can_focus=True):
    """The list of one folder's messages, newest first, filtered by ``/`` search."""

    DEFAULT_CSS = """
    MessageList {
        overflow-x: hidden;  /* rows are cut to the width: a horizontal scrollbar only ate a row */
        background: $surface;
        color: $foreground;
        & > .message-list--cursor { background: $block-cursor-blurred-background; }
        &:focus > .message-list--cursor {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
            text-style: bold;
        }
        & > .message-list--unread { text-style: bold; }
        & > .message-list--abnormal { color: $error; }
        & > .message-list--critical { color: $error; text-style: bold reverse; }
        & > .message-list--bad { color: $warning; }
        &:ansi > .message-list--cursor { text-style: reverse; }
        &:ansi:focus > .message-list--cursor { text-style: reverse bold; }
    }
    """
    COMPONENT_CLASSES = {
        "message-list--cursor",
        "message-list--unread",
        "message-list--abnormal",
        "message-list--critical",
        "message-list--bad",
    }
    BINDINGS = [
        Binding("up,k", "cursor(-1)", show=False),
        Binding("down,j", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("enter", "select", show=False),
    ]

    cursor: reactive[int] = reactive(0, always_update=True, repaint=False)

    class Highlighted(Message):
        """The cursor moved onto a message."""

        def __init__(self, summary: MessageSummary) -> None:
            super().__init__()
            self.summary = summary

    class Selected(Message):
        """The user asked to open a message."""

        def __init__(self, summary: MessageSummary) -> None:
            super().__init__()
            self.summary = summary

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None):
        super().__init__(name=name, id=id, classes=classes)
        self._all: Rows = []
        self._rows: Rows = []
        self._query = ""
        self._query_ids: Collection[str] = ()
        self._cache: OrderedDict[tuple[int, int, bool, bool], Strip] = OrderedDict()
        self._today = dt.date.today()
        self._statuses: dict[str, str] = {}  # sent letters' receipts, by Message-ID
        self._labels: dict[str, str] = {}  # patient mailboxes -> the patient's name and INS, marked ◆
        self._filed: dict[str, str] = {}  # Message-ID -> the patient its documents were filed for
        self.own_letters = False  # a Sent folder: the column names the recipients, not ourselves
        self._sized: tuple[Size, Size, Size] | None = None  # what the scrollbar was last updated for

    # -- data ---------------------------------------------------------------------------------------------
    @property
    def rows(self) -> Rows:
        return self._rows

    @property
    def current(self) -> MessageSummary | None:
        return self._rows[self.cursor] if 0 <= self.cursor < len(self._rows) else None

    def set_messages(
        self,
        summaries: Rows,
        statuses: dict[str, str] | None = None,
        labels: dict[str, str] | None = None,
    ) -> None:
        keep = self.current.id if self.current else None
        self._statuses = dict(statuses or {})
        self._labels = dict(labels or {})
        self._all = summaries
        self._apply_filter()
        index = _position(self._rows, keep) if keep else 0
        self.cursor = min(index, max(0, len(self._rows) - 1))

    def set_filed(self, filed: dict[str, str]) -> None:
        """The patients messages' documents were filed for (the core's labels), for their column."""
        if filed == self._filed:  # read again after each load: unchanged, no row looks different
            return
        self._filed = dict(filed)
        self._cache.clear()
        self.refresh()

    def filter(self, query: str, message_ids: Collection[str] = ()) -> None:
        """Keep only messages whose sender or subject matches ``query`` (the core's rule: blind to case,
        accents and punctuation), or whose Message-ID is in ``message_ids`` (the patient named)."""
        self._query = query.strip()
        self._query_ids = message_ids
        self._apply_filter()
        self.cursor = 0

    def replace(self, summary: MessageSummary) -> None:
        """Update one message in place (e.g. it was read)."""
        for rows in (self._all, self._rows):
            if not isinstance(rows, list):  # the façade's rows (SummaryRows): replaced in place
                rows.replace(summary)
                continue
            for i, s in enumerate(rows):
                if s.id == summary.id:
                    rows[i] = summary
        self._cache.clear()
        self.refresh()

    def _apply_filter(self) -> None:
        q, ids = self._query, self._query_ids
        if type(self._all) is not list:  # the façade's rows (a SummaryList too): its own rule and tree marks
            self._rows = cast("SummaryRows", self._all).matching(q, ids)
        elif q:
            terms = query_terms(q)
            self._rows = [
                s for s in self._all
                if matches(terms, searchable(f"{s.sender} {s.subject}")) or s.message_id in ids
            ]  # fmt: skip
        else:
            self._rows = list(self._all)
        self._cache.clear()
        self.virtual_size = Size(self.size.width, len(self._rows))
        self.refresh()

    # -- cursor -------------------------------------------------------------------------------------------
    def watch_cursor(self, old: int, new: int) -> None:
        self._cache.clear()  # two rows change look; cheap to redo only what is visible
        self.scroll_to_cursor()
        self.refresh()
        if self.current is not None:
            self.post_message(self.Highlighted(self.current))

    def scroll_to_cursor(self) -> None:
        top = self.scroll_offset.y
        height = self.scrollable_content_region.height
        if height <= 0:  # hidden (Rédaction shown): a cursor moved now scrolled as if the list were one row
            return  # high, hiding the first message once shown; on_resize brings the cursor in sight then
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False)

    def _move(self, index: int) -> None:
        if self._rows:
            self.cursor = max(0, min(index, len(self._rows) - 1))

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, index: int) -> None:
        self._move(index if index >= 0 else len(self._rows) - 1)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event: events.Click) -> None:
        # the click's y counts from the widget's top, its border included: the row is that of the content region
        # (the border's row opened the letter below the one clicked, the last row's one not even on screen)
        offset = event.get_content_offset(self)
        if offset is None or self.scroll_offset.y + offset.y >= len(self._rows):
            return  # the border, the scrollbar, below the last letter: no letter was clicked
        self._move(self.scroll_offset.y + offset.y)
        self.action_select()

    def on_resize(self) -> None:
        # rows are cached by width too: a list made shorter (a message opened below it) renders nothing again
        self.virtual_size = Size(self.size.width, len(self._rows))
        self.call_after_refresh(self.scroll_to_cursor)  # shorter (a message opened below): the row stays seen

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """Textual's ScrollView compares the virtual size the screen's layout hands it (that of its children:
        it has none) with its own (one row per message): never equal, so every layout of the screen (a
        message opened below the list) redrew the list's scrollbar for nothing. The scrollbar is updated
        when the list's size, its container's or its rows' count changed, and only then."""
        sized = (size, container_size, self.virtual_size)
        if sized == self._sized:
            return False
        self._sized = sized
        return super()._size_updated(size, virtual_size, container_size, layout)

    def on_focus(self) -> None:
        self._cache.clear()
        self.refresh()

    on_blur = on_focus

    # -- rendering ----------------------------------------------------------------------------------------
    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        index = self.scroll_offset.y + y
        if index >= len(self._rows):
            return Strip.blank(width, self.rich_style)
        key = (index, width, index == self.cursor, self.has_focus)
        strip = self._cache.get(key)
        if strip is None:
            rows = self._rows  # the façade's rows mark replies in a conversation view ('' otherwise)
            mark = rows.thread_mark(index) if hasattr(rows, "thread_mark") else ""
            strip = self._render_row(self._rows[index], width, index == self.cursor, mark)
            self._cache[key] = strip
            while len(self._cache) > max(CACHE_SCREENS * self.size.height, CACHE_MIN_ROWS):
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return strip

    def _render_row(self, s: MessageSummary, width: int, is_cursor: bool, mark: str = "") -> Strip:
        """One row; ``mark``: its place in a conversation (core.mail.threads), drawn before the subject."""
        base: Style = self.rich_style
        if is_cursor:
            base = base + self.get_component_rich_style("message-list--cursor")
        if s.unread:
            base = base + self.get_component_rich_style("message-list--unread", partial=True)
        mark_style = base
        if s.critical:
            mark_style = base + self.get_component_rich_style("message-list--critical", partial=True)
        elif s.abnormal:
            mark_style = base + self.get_component_rich_style("message-list--abnormal", partial=True)
        elif s.signature is not None and s.signature.verdict == "bad":
            mark_style = base + self.get_component_rich_style("message-list--bad", partial=True)
        rest = max(0, width - MARKERS_WIDTH - DATE_WIDTH - 3)
        # a sent letter: to whom, and what became of it (the Envoyés list's status column)
        status = self._statuses.get(s.message_id) if self._statuses else None
        status_width = min(STATUS_WIDTH, rest // 4) if status is not None else 0
        rest -= status_width + (1 if status_width else 0)
        # whom its documents were filed for (the queue's decision), when the width allows
        patient_width = PATIENT_WIDTH if self._filed and width >= PATIENT_MIN_WIDTH else 0
        rest -= patient_width + (1 if patient_width else 0)
        sender_width = min(26, rest // 3)
        subject_width = max(0, rest - sender_width - 1)
        # a sent letter (in Envoyés, or with receipts): to whom
        own = self.own_letters or status is not None
        people = s.to if own else (s.sender,)
        if self._labels:  # a patient's mailbox: the patient's name and INS instead of the bare address
            people = tuple(self._labels.get(a.lower(), a) for a in people)
        who = ", ".join(people) or s.sender or (t("inbox.no_recipient") if own else "")
        if own and s.to:
            who = "→ " + who
        # a tree mark keeps its spaces (the indentation) and leaves the subject two thirds
        tree = mark[: subject_width * 2 // 3]
        columns = [
            short_date(s.date, self._today).rjust(DATE_WIDTH),
            _fit(who, sender_width),
        ]
        if patient_width:
            filed = self._filed.get(s.message_id)
            columns.append(_fit(f"» {filed}" if filed else "", patient_width))
        subject = s.subject
        if s.too_big:  # only its headers were downloaded (the core's limit): said before the subject
            subject = f"[{t('inbox.too_big', mb=max(1, round(s.size / (1 << 20))))}] {subject}"
        columns.append(tree + _fit(subject, subject_width - len(tree)))
        if status_width:
            columns.append(_fit(status or "", status_width))
        text = printable(" ".join(columns), one_line=True)  # a subject or a name holds no terminal command
        segments = [Segment(markers(s), mark_style), Segment(" ", base), Segment(text + " ", base)]
        return Strip(segments).adjust_cell_length(width, base)
