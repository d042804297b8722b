"""The reader: headers, S/MIME status in words, lab results with abnormal values marked, text, attachments."""

from __future__ import annotations

import re
from bisect import bisect_right
from typing import TYPE_CHECKING, Any

from rich._wrap import divide_line
from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.content import Content
from textual.geometry import Offset, Size
from textual.scroll_view import ScrollView
from textual.scrollbar import ScrollBarRender
from textual.selection import Selection
from textual.strip import Strip
from textual.style import Style as VisualStyle

from core.model import ClinicalDocument, Identity, MessageView, ReviewItem, local_time, printable
from tui import keymap
from tui.i18n import t
from tui.results import flag_symbol

if TYPE_CHECKING:
    from tui.panes.inbox import InboxPane


def encryption_words(view: MessageView) -> str:
    """What the signature line adds for an encrypted letter: ' · chiffré' (and an outdated cipher's note), or
    why it cannot be read. A letter not decrypted for another reason than a missing key (a cipher missive lacks,
    a password-encrypted letter) has its reason, the core's words, as its text below: the line no longer sends
    the doctor to import a key that changes nothing."""
    if not view.encrypted:
        return ""
    if not view.decrypted:
        return " · " + (t("reader.unreadable") if view.problem else t("reader.not_decrypted"))
    return " · " + t("reader.encrypted") + (f" ({view.cipher_note})" if view.cipher_note else "")


def signature_line(view: MessageView) -> tuple[str, str]:
    """(words, css class) for the S/MIME status: one line, or for a letter with several signers a line for the
    letter (valid only when every signer is: the core's verdict) and one per signer in the core's words."""
    sig = view.signature
    if sig is not None and len(view.signers) > 1:
        lines = [t("reader.sig_several_ok" if sig.valid else "reader.sig_several_bad", count=len(view.signers))]
        for n, each in enumerate(view.signers, 1):
            who = each.signer or each.subject or t("reader.signer_unknown")
            if each.valid and each.reason:
                lines.append(t("reader.signer_ok_note", n=n, signer=who, reason=each.reason_text()))
            elif each.valid:
                lines.append(t("reader.signer_ok", n=n, signer=who))
            else:
                reason = each.reason_text() or t("reader.unknown")
                lines.append(t("reader.signer_bad", n=n, signer=who, reason=reason))
        return "\n".join(lines), "sig-ok" if sig.valid else "sig-bad"
    if sig is not None and sig.valid and sig.reason:  # valid, with a note: its revocation was not checked
        return t("reader.sig_ok_note", signer=sig.signer or sig.subject, reason=sig.reason_text()), "sig-ok"
    if sig is not None and sig.valid:
        return t("reader.sig_ok", signer=sig.signer or sig.subject), "sig-ok"
    if sig is not None:
        return t(
            "reader.sig_bad", signer=sig.signer or "?", reason=sig.reason_text() or t("reader.unknown")
        ), "sig-bad"
    if view.signed:
        return t("reader.sig_unchecked"), "sig-bad"
    return t("reader.unsigned"), "sig-none"


def results_table(doc: ClinicalDocument) -> Content:
    """A fixed-width table; abnormal lines in the theme's error colour with an arrow."""
    label_w = max([len(t("reader.col_test"))] + [len(o.label or o.code) for o in doc.observations])
    label_w = min(label_w, 34)
    value_w = max([len(t("reader.col_value"))] + [len(o.value) + len(o.shown_unit) + 1 for o in doc.observations])
    value_w = min(value_w, 18)
    header = (
        f"   {t('reader.col_test'):<{label_w}} {t('reader.col_value'):<{value_w}} {t('reader.col_range')}"
    )
    parts: list[str | tuple[str, str]] = [(header + "\n", "bold")]
    # two tests whose names are cut to the same words ('Erythrocyte mean corpuscular hemog' for the MCH and
    # the MCHC of NIST's blood count) would read as one: each of those is named whole under its line
    full: dict[str, set[str]] = {}
    for obs in doc.observations:
        full.setdefault((obs.label or obs.code)[:label_w], set()).add(obs.label or obs.code)
    for obs in doc.observations:
        name = obs.label or obs.code
        label = name[:label_w]
        ambiguous = len(full[label]) > 1 and name != label
        said = f"{obs.value} {obs.shown_unit}".strip()
        # a text result longer than the column (a culture, a morphology, a report sent line by line) is
        # written whole under its line: cut to the column it read 'Many spherocytes p'
        whole = len(said) > value_w or "\n" in said
        value = "" if whole else said
        ref = obs.reference
        symbol = flag_symbol(obs)
        line = f"{symbol:<2} {label:<{label_w}} {value:<{value_w}} {ref}"
        if obs.value2:
            second = f"{obs.value2} {obs.shown_unit2}".strip()
            bounds = f" ({obs.reference2})" if obs.reference2 else ""
            line += f"  = {second}{bounds}"
        if obs.susceptibility:
            line += f"  {obs.susceptibility}"
        if obs.status_words:
            line += f"  [{obs.status_words}]"
        # a comment of several lines (NTE after NTE) keeps its later lines under the result, indented: at the
        # margin 'No Antibodies Detected' read as one more test
        first, *more = obs.comment.splitlines() or [""]
        if first:
            line += f"  {first}"
        below = [f"({name})"] if ambiguous else []
        below += said.splitlines() if whole else []
        below += more
        line += "".join(f"\n     {text.strip()}" for text in below if text.strip())
        parts.append((line + "\n", "$error bold") if obs.abnormal else line + "\n")
    return Content.assemble(*parts)


def identity_line(identity: Identity) -> str:
    """The patient as the document names them: name, given names, birth date, sex, INS."""
    name = " ".join(x for x in (identity.family_name, *identity.given_names) if x) or t("review.no_identity")
    if identity.birth_name and identity.birth_name != identity.family_name:  # a used name: the birth name too
        name += t("reader.birth_name", name=identity.birth_name)
    parts = [name]
    if identity.birth_date is not None:
        parts.append(t("reader.born", date=identity.birth_date.strftime("%d/%m/%Y")))
    if identity.sex in ("M", "F"):  # as the review's Sexe row: an unknown sex is left unsaid
        parts.append(t("reader.male" if identity.sex == "M" else "reader.female"))
    if identity.ins or identity.nir:
        parts.append(f"INS {identity.ins or identity.nir}")
    return " · ".join(parts)


def filing_line(filing: ReviewItem) -> tuple[str, str]:
    """The queue's decision on one document, in words, with its style."""
    if filing.state == "filed":
        p = filing.patient
        who = (
            f"{p.used_name or p.birth_name} {' '.join(p.given_names)} ({t('review.patient_id', id=p.id)})"
            if p
            else "?"
        )
        when = filing.filed_at.astimezone().strftime("%d/%m/%Y %H:%M") if filing.filed_at else "—"
        how = t("reader.filed_auto") if filing.filed_automatically else t("reader.filed_by_hand")
        return t("reader.filed", patient=who, when=when, how=how), "$success"
    if filing.state == "rejected":
        return t("reader.rejected"), "$text-muted"
    if filing.state == "duplicate":  # the same file came in another letter: that document stands for it
        return t("reader.duplicate", note=filing.duplicate_note), "$text-muted"
    if filing.state == "unreadable":  # the reader refused it: what could not be read (the core's words)
        return t("reader.unreadable", note=filing.unreadable_note), "$warning bold"
    if filing.state == "dealt":
        return t("reader.dealt"), "$text-muted"
    return t("reader.waiting"), "$warning bold"


def whose(doc: ClinicalDocument, filing: ReviewItem | None) -> Content:
    parts: list[str | tuple[str, str]] = [
        (t("reader.patient") + " ", "bold"),
        identity_line(doc.identity),
        "\n",
    ]
    if filing is not None:
        parts.append(filing_line(filing))
        parts.append("\n")
        if filing.revoked_note:  # filed, then its letter's signer found revoked: what to check (the core's words)
            parts.append((f"✗ {t('review.revoked_title')} : {filing.revoked_note}", "$error bold"))
            parts.append("\n")
        elif filing.signer_revoked == "checked":
            parts.append((t("reader.revoked_checked"), "$text-muted"))
            parts.append("\n")
        if filing.version_note:  # a new version of a result: what it is to the earlier one (the core's words)
            parts.append((f"↻ {filing.version_note}", "$warning"))
            parts.append("\n")
        if filing.conflict and filing.envelope is not None:
            # its container names another patient: the core's reason, and that patient
            parts.append((f"⚠ {filing.conflict} — {identity_line(filing.envelope)}", "$warning bold"))
            parts.append("\n")
    return Content.assemble(*parts)


def _person(view: MessageView, address: str) -> str:
    """A patient's mailbox as the patient's name and INS (the address kept beside it), else the address."""
    label = view.people.get(address)
    return f"{label} <{address}>" if label else address


def printable_content(content: Content) -> Content:
    """``content`` without a terminal control character (each one cell, U+FFFD; core.model.printable), its styles
    kept: a certificate's name, a document's text or results, a file name come from anyone."""
    plain = content.plain
    safe = printable(plain.replace("\r", " "))
    return content if safe == plain else Content(safe, list(content.spans))


MAX_LINES = 5000  # of a letter's text drawn in the reader: about 80 pages, under a second to lay out


def screenful(body: str) -> str:
    """The letter's text as the reader draws it: whole up to MAX_LINES lines, else those lines and one line
    saying how many are not shown and where the whole text is (a 150,000-line letter froze the app for a
    minute and took 1 GB to lay out every line)."""
    parts = body.split("\n", MAX_LINES)
    if len(parts) <= MAX_LINES:
        return body
    hidden = parts[-1].count("\n") + 1
    shown = "\n".join(parts[:MAX_LINES])
    return f"{shown}\n\n{t('reader.cut', shown=MAX_LINES, hidden=hidden, total=MAX_LINES + hidden)}"


_TRAILING_SPACE = re.compile(r"\s+$")


_Row = tuple[int, int, int, "str | Content"]  # a screen line: (line of the text, first character, characters, piece)

SECTIONS = ("headers", "trust", "signature", "documents", "body", "attachments")
SIG_STYLES = {"sig-ok": "$success bold", "sig-bad": "$error bold", "sig-none": "$text-muted"}  # as app.tcss's


class _FitsBar:
    """The scrollbar's column while the whole text fits: the reader's own background, nothing to click."""

    def __init__(self, style: RichStyle) -> None:
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        blank = Segment(" " * options.max_width, self.style)
        for _ in range(options.height or console.height):
            yield blank
            yield Segment.line()


class Reader(ScrollView, can_focus=True):
    """Shows one opened message; bodies are decoded in a worker before they get here.

    One widget draws it all, line by line (Textual's Line API, as its Log): the headers, the signature's verdict,
    the documents, the letter and its attachments are lines of one text, wrapped as Textual wraps a Static's
    text (rich's ``divide_line``, words longer than the line folded, spaces at a break dropped), only as far down
    as the screen shows (a 5,000-line letter opens on its first screen's lines), kept for the width they were
    wrapped at, and drawn only for the lines on screen. The next message replaces the text in place: nothing
    is mounted or removed, and the reader keeps its size, so the screen is not laid out again.

    Over the whole screen (class ``-full``, set by Réception): space pages down, ``-``/``b`` up, ``q``/Échap
    goes back to the list. Below the list these keys keep their Réception meaning (``q`` quits).

    Its scrollbar's column is kept whether or not the text needs it (``overflow-y: scroll``), blank while the
    text fits: a letter that needs it once an empty reader or a short one was shown changes no layout, and the
    screen's other widgets are not cut again at a new column (Textual re-divides every line of every widget
    under the reader when a scrollbar comes: a third of a first open's frame)."""

    DEFAULT_CSS = "Reader { overflow-x: hidden; overflow-y: scroll; }"
    BINDINGS = keymap.bindings("reader")
    # the attachments' line offers s and o (Réception's keys); a reader without them (À envoyer's, read-only)
    # says the count alone: it offered keys that did nothing there
    attachment_keys = True

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keymap.localise(self)
        self._lines: list[str | Content] = []  # the text, line by line
        self._plains: list[str] = []  # the same without styles
        self._sections: dict[str, tuple[int, int]] = {}  # section -> (first line, line after it)
        self._width = 0  # the width the rows are wrapped at (0: not yet)
        self._laid_out_for = Size(0, 0)  # the size inside the border they were wrapped for
        self._rows: list[_Row] = []  # the screen lines of the text's first _done lines
        self._done = 0
        self._rest = 0  # screen lines the text's other lines are expected to take
        self._strips: dict[int, Strip] = {}
        self.drawn = 0  # screen lines drawn since the reader was made (tests/tui/test_reader_lines.py)
        self._set_text([(t("reader.empty"), 0)], {"headers": 0})

    def on_mount(self) -> None:
        # Textual's documented way to draw a widget's scrollbar otherwise (ScrollBar.renderer)
        setattr(self.vertical_scrollbar, "renderer", self._scrollbar)  # noqa: B010 - a ClassVar set per bar

    def _scrollbar(self, *, window_size: int = 0, **bar: Any) -> RenderableType:
        """Textual's scrollbar when there is something to scroll (it says 0 for ``window_size`` when the text
        fits), else the reader's background."""
        if window_size:
            return ScrollBarRender(window_size=window_size, **bar)
        return _FitsBar(RichStyle(bgcolor=self.rich_style.bgcolor))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("back", "page_down", "page_up", "next_message") and not self.has_class("-full"):
            return action in ("page_down", "page_up")  # they still scroll; q, Échap, j, k go on to Réception
        return True

    def _inbox(self) -> InboxPane | None:
        from tui.panes.inbox import InboxPane

        return next((p for p in self.ancestors_with_self if isinstance(p, InboxPane)), None)

    def action_back(self) -> None:
        if (pane := self._inbox()) is not None:
            pane.leave_full_view()

    def action_next_message(self, step: int) -> None:
        """j/k over the whole screen: the next or previous message of the list, opened full screen."""
        if (pane := self._inbox()) is not None:
            pane.step_full_view(step)

    def action_scroll_end(self) -> None:
        self._wrap_to(None)  # the last line is where the whole text's wrapping puts it
        self._sync_size()
        super().action_scroll_end()

    # the text

    def section_text(self, name: str) -> str:
        """The plain text of one part of the reader (SECTIONS), '' when it is not shown."""
        first, end = self._sections.get(name, (0, 0))
        return "\n".join(self._plains[first:end])

    def show(self, view: MessageView) -> None:
        when = local_time(view.date)
        date = when.strftime("%d/%m/%Y %H:%M") if when else ""
        cc = ((f"{t('reader.cc')} ", "bold"), ", ".join(view.cc), "\n") if view.cc else ()
        headers = Content.assemble(
            (f"{t('reader.from')} ", "bold"), _person(view, view.sender), "\n",
            (f"{t('reader.to')} ", "bold"), ", ".join(_person(view, a) for a in view.to), "\n",
            *cc,
            (f"{t('reader.date')} ", "bold"), date, "\n",
            (f"{t('reader.subject')} ", "bold"), view.subject,
        )  # fmt: skip
        parts: list[tuple[str | Content, int]] = [(printable_content(headers), 0)]
        names = {"headers": 0}
        if view.outside_trust:
            names["trust"] = len(parts)
            style = "$warning bold reverse" if self.app.native_ansi_color else "$warning bold"  # as :ansi
            parts.append((Content(t("reader.outside_trust")).stylize(style), 0))
        words, cls = signature_line(view)
        words += encryption_words(view)
        if view.receipt_request:  # the sender asks a read receipt: the doctor decides (key a)
            words += "\n" + t("reader.receipt_asked", address=view.receipt_request)
        if view.receipts:  # a sent letter: what became of it, per recipient
            words += "\n" + "\n".join(f"{t('reader.receipt')} {line}" for line in view.receipts)
        names["signature"] = len(parts)
        parts.append((printable_content(Content(words)).stylize(SIG_STYLES[cls]), 0))
        blocks: list[Content] = []
        for part in view.documents:
            doc = part.content
            title = doc.title or t("reader.results")
            abnormal = sum(o.abnormal for o in doc.observations)
            # the count first: it is what the doctor looks for, and it stays whole when the title wraps
            said = (  # '0 anormal(aux)' read as a typo: aucun anormal, 1 anormal, 3 anormaux
                t("reader.abnormal_many", count=abnormal)
                if abnormal > 1
                else t("reader.abnormal_one" if abnormal else "reader.abnormal_none")
            )
            count = (said, "$error bold" if abnormal else "bold")
            heading = (title, "bold underline")  # a letter has no results to count
            if part.kind_label:  # imaging, pathology, letter: said before the title
                heading = (f"{part.kind_label.capitalize()} · {title}", "bold underline")
            blocks.append(
                Content.assemble(count, " · ", heading, "\n")
                if doc.observations
                else Content.assemble(heading, "\n")
            )
            # whose result this is: the identity as the document states it, and the queue's decision
            blocks.append(whose(doc, part.queued))
            if doc.observations:
                blocks.append(results_table(doc))
            if doc.text:
                blocks.append(Content(doc.text.strip() + "\n"))
        if blocks:
            names["documents"] = len(parts)
            parts.append((printable_content(Content("\n").join(blocks)), 1))
        body = view.body if view.decrypted else (view.problem or t("reader.not_decrypted"))
        names["body"] = len(parts)
        parts.append((screenful(body.rstrip()), 1))
        lines = []
        if view.attachments:
            said = "reader.attachments" if self.attachment_keys else "reader.attachments_listed"
            lines = [t(said, count=len(view.attachments))] + [
                f"  + {a.filename} ({a.content_type}, {len(a.data) // 1024 + 1} Ko)" for a in view.attachments
            ]
        lines += [f"  ! {note}" for note in view.notes]  # what could not be read (the core's words)
        if lines:
            names["attachments"] = len(parts)
            parts.append((printable_content(Content("\n".join(lines))).stylize("$text-accent"), 1))
        self._set_text(parts, names)
        self.scroll_home(animate=False)

    def clear(self, text: str) -> None:
        self._set_text([(text, 0)], {"headers": 0})

    def _set_text(self, parts: list[tuple[str | Content, int]], names: dict[str, int]) -> None:
        """The reader's text: each part with the blank lines above it; a string is a letter's text (no styles)."""
        lines: list[str | Content] = []
        spans: list[tuple[int, int]] = []
        for text, gap in parts:
            lines.extend([""] * gap)
            first = len(lines)
            if isinstance(text, str):
                lines.extend(text.split("\n"))
            elif text.spans:
                lines.extend(text.split("\n", allow_blank=True))
            else:
                lines.extend(text.plain.split("\n"))
            spans.append((first, len(lines)))
        self._lines = lines
        self._plains = [line if isinstance(line, str) else line.plain for line in lines]
        self._sections = {name: spans[index] for name, index in names.items()}
        self._width = 0
        if self.is_mounted:
            self._lay_out()
            self.refresh()

    # wrapping

    def _lay_out(self) -> None:
        """Wraps the text's first screen for the width beside the scrollbar's column and sizes the scrollable
        area: the lines not yet wrapped counted as their length says (a short text is wrapped whole)."""
        inner_width, inner_height = self._laid_out_for = self.container_size
        if inner_width <= 0:
            return
        self._start_wrap(max(1, inner_width - self.styles.scrollbar_size_vertical))
        if self._rest <= 2 * inner_height:
            self._wrap_to(None)
        self._sync_size()

    def _start_wrap(self, width: int) -> None:
        self._width = width
        self._rows = []
        self._done = 0
        self._rest = sum(_expected_rows(plain, width) for plain in self._plains)
        self._strips.clear()

    def _wrap_to(self, row: int | None) -> None:
        """Wraps the text's lines until screen line ``row`` is known (None: all of them)."""
        rows, lines, width = self._rows, self._lines, self._width
        while self._done < len(lines) and (row is None or len(rows) <= row):
            line = lines[self._done]
            self._rest -= _expected_rows(self._plains[self._done], width)
            rows.extend((self._done, *piece) for piece in _wrap_line(line, width))
            self._done += 1

    def _sync_size(self) -> None:
        """The scrollable area as tall as the rows known and expected; the screen is not laid out again (the
        reader's own size does not change), only its scrollbar is updated."""
        size = Size(self._width, len(self._rows) + self._rest)
        if size != self.virtual_size:
            self.set_reactive(Reader.virtual_size, size)
            self._scroll_update(size)
            self.refresh()

    def _size_updated(self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True) -> bool:
        """A new size (the reader shown, over the whole screen or back below the list, a resized terminal): the text
        is wrapped again before its lines are drawn at that size, and the line read at the top stays at the top
        (the same words, not the same screen row: 120 rows down at 80 columns is further in the text than 120
        rows down at 120 columns)."""
        place = self._place_at_top()  # read before the new size clamps the offset to the old wrapping
        changed = super()._size_updated(size, virtual_size, container_size, layout)
        if self.container_size != self._laid_out_for:
            self._lay_out()
            if place is not None:
                self._show_at_top(*place)
        return changed

    def _place_at_top(self) -> tuple[int, int] | None:
        """Where the text is read: (line of the text, first character) of the screen line at the top, None at the
        text's start or before any wrapping."""
        top = self.scroll_offset.y
        if not self._width or top <= 0:
            return None
        self._wrap_to(top)
        if top >= len(self._rows):
            return None
        line, start, _taken, _piece = self._rows[top]
        return line, start

    def _show_at_top(self, line: int, start: int) -> None:
        """Scrolls, at once, so that the screen line holding character ``start`` of ``line`` is at the top."""
        while self._done <= line and self._done < len(self._lines):
            self._wrap_to(len(self._rows))  # one more line of the text
        row = bisect_right(self._rows, (line, start), key=lambda r: (r[0], r[1])) - 1
        self._sync_size()
        self.scroll_to(y=max(0, row), animate=False, immediate=True)

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def selection_updated(self, selection: Selection | None) -> None:
        self._strips.clear()
        self.refresh()

    # drawing

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        row = scroll_y + y
        if not self._width:
            self._lay_out()
        if (strip := self._strips.get(row)) is not None:
            return strip
        if row >= len(self._rows):
            before = len(self._rows) + self._rest
            self._wrap_to(row)
            if len(self._rows) + self._rest != before:
                self.call_after_refresh(self._sync_size)
        style = self.visual_style
        if row >= len(self._rows):
            return Strip.blank(self._width, style.rich_style)
        strip = self._draw(self._rows[row], style)
        self.drawn += 1
        if len(self._strips) > 1000:
            self._strips.clear()
        self._strips[row] = strip
        return strip

    def _draw(self, row: _Row, style: VisualStyle) -> Strip:
        """One screen line as Textual draws a Static's line: each span's style over the reader's, and each cell
        naming its place in the text (a mouse selection reads it)."""
        y, start, taken, piece = row
        content = Content(piece) if isinstance(piece, str) else piece
        selection = self.text_selection
        if selection is not None and (span := selection.get_span(y)) is not None:
            first, last = span
            if last == -1:
                last = start + taken
            first, last = max(first, start) - start, min(last, start + taken) - start
            if first < last:
                chosen = VisualStyle.from_styles(self.screen.get_component_styles("screen--selection"))
                content = content.stylize(chosen, first, last)
        segments = []
        x = start
        for text, text_style in content.render(style, end="", parse_style=self._get_style):
            segments.append(Segment(text, (style + text_style).rich_style_with_offset(x, y)))
            x += len(text)
        return Strip(segments, content.cell_length)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The text selected, as it is in the letter (no line break where the screen wrapped it)."""
        lines = self._plains
        if not lines or (selection.start is not None and selection.start.y >= len(lines)):
            return None
        start = selection.start or Offset(0, 0)
        end = selection.end or Offset(len(lines[-1]), len(lines) - 1)
        if end.y >= len(lines):
            end = Offset(len(lines[-1]), len(lines) - 1)
        if start.y == end.y:
            return lines[start.y][start.x : end.x], "\n"
        return "\n".join([lines[start.y][start.x :], *lines[start.y + 1 : end.y], lines[end.y][: end.x]]), "\n"


def _expected_rows(plain: str, width: int) -> int:
    """The screen lines a line of the text is expected to take at ``width`` by its length in characters (wrapping
    at words, or characters two cells wide, may take more): counted for each line of a letter, so cheap."""
    if "\t" in plain:
        plain = plain.expandtabs(8)
    return -(-len(plain) // width) or 1


def _wrap_line(line: str | Content, width: int) -> list[tuple[int, int, str | Content]]:
    """A line of the text wrapped at ``width`` as Textual wraps a Static's text: (first character, characters
    taken, what is shown) for each screen line."""
    if not isinstance(line, str):
        if "\t" not in line.plain and line.cell_length <= width:  # what the steps below give a line that fits
            return [(0, len(line), line)]
        line = line.expand_tabs(8)
        offsets = divide_line(line.plain, width, fold=True)
        pieces = line.divide(offsets)
        out: list[tuple[int, int, str | Content]] = []
        for index, (start, part) in enumerate(zip([0, *offsets], pieces, strict=True)):
            taken = len(part)
            if index < len(pieces) - 1:
                part = part.rstrip()
            out.append((start, taken, part.truncate(width).rstrip_end(width)))
        return out
    if "\t" in line:
        line = line.expandtabs(8)
    if cell_len(line) <= width:
        return [(0, len(line), line)]
    offsets = divide_line(line, width, fold=True)
    last = len(offsets)
    rows: list[tuple[int, int, str | Content]] = []
    for index, (start, end) in enumerate(zip([0, *offsets], [*offsets, len(line)], strict=True)):
        piece = line[start:end]
        taken = len(piece)
        if index < last:
            piece = piece.rstrip()
        if cell_len(piece) > width:
            piece = set_cell_size(piece, width)
        if len(piece) > width and (space := _TRAILING_SPACE.search(piece)) is not None:
            piece = piece[: len(piece) - min(len(space.group(0)), len(piece) - width)]
        rows.append((start, taken, piece))
    return rows
