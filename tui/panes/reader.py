"""The reader: headers, S/MIME status in words, lab results with abnormal values marked, text, attachments."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from rich._wrap import divide_line
from rich.cells import cell_len, set_cell_size
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Offset, Size
from textual.selection import Selection
from textual.strip import Strip
from textual.visual import Visual, VisualType
from textual.widgets import Static

try:  # textual 8.x's cache of a widget's drawn lines (see WrappedText._render_content)
    from textual.widget import _RenderCache
except ImportError:  # another release moved it: the whole text is drawn, as Textual draws it
    _RenderCache = None  # type: ignore[assignment,misc]

from core.model import ClinicalDocument, Identity, MessageView, ReviewItem, local_time, printable
from tui import keymap
from tui.i18n import t
from tui.results import flag_symbol

if TYPE_CHECKING:
    from tui.panes.inbox import InboxPane


def signature_line(view: MessageView) -> tuple[str, str]:
    """(words, css class) for the S/MIME status."""
    sig = view.signature
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
        how = t("reader.filed_auto") if filing.decision == "auto" else t("reader.filed_by_hand")
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


class WrappedText(Static):
    """A letter's text, wrapped once for each width it is shown at.

    Textual wraps a Static's text twice in each layout that changes it (once to measure its height, once to
    draw it) and again in each layout where the reader's scrollbar comes or goes; for a letter that was half
    the frame of an open. Here the text is wrapped as Textual wraps it (the same line breaks: rich's
    ``divide_line``, folding words longer than the line, spaces at a break dropped), kept for that width,
    and handed to Textual as lines that need no wrapping. What is drawn is the same; a selection copies the
    letter's own text (no line break where the screen wrapped it)."""

    DEFAULT_CSS = "WrappedText { text-wrap: nowrap; text-overflow: fold; }"

    def __init__(self, content: VisualType = "", **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._text = content if isinstance(content, Content) else Content(str(content))
        self._wraps: dict[int, tuple[Content, tuple[tuple[int, int, int], ...]]] = {}

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        self._text = content if isinstance(content, Content) else Content(str(content))
        self._wraps.clear()
        super().update(self._text, layout=layout)

    def wrapped(self, width: int) -> tuple[Content, tuple[tuple[int, int, int], ...]]:
        """The text's lines at ``width`` and, for each, where it comes from: (line of the text, first
        character, characters taken from it)."""
        if (found := self._wraps.get(width)) is not None:
            return found
        if not self._text.spans:  # a letter's text: the same lines, cut as strings (a 150,000-line letter took
            found = _wrap_plain(self._text.plain, width)  # 47 s as one Content per line, 1 s as strings)
        else:
            found = self._wrap_content(width)
        if len(self._wraps) >= 4:  # a resize: the widths seen before are not needed again
            self._wraps.clear()
        self._wraps[width] = found
        return found

    def _wrap_content(self, width: int) -> tuple[Content, tuple[tuple[int, int, int], ...]]:
        lines: list[Content] = []
        origins: list[tuple[int, int, int]] = []
        for y, line in enumerate(self._text.split("\n", allow_blank=True)):
            line = line.expand_tabs(8)
            offsets = divide_line(line.plain, width, fold=True)
            pieces = line.divide(offsets)
            for index, (start, piece) in enumerate(zip([0, *offsets], pieces, strict=True)):
                taken = len(piece)
                if index < len(pieces) - 1:
                    piece = piece.rstrip()
                lines.append(piece.truncate(width).rstrip_end(width))
                origins.append((y, start, taken))
        return Content("\n").join(lines), tuple(origins)

    def render(self) -> Content:
        width = self.size.width
        return self.wrapped(width)[0] if width > 0 else self._text

    def _render_content(self) -> None:
        """Textual draws every line of the text whenever it changed (a letter's 5,000 lines for its first screen);
        here the lines are drawn from the top as far as they are shown (_LinesOnDemand), by Textual's own drawing
        (tests/tui/test_reader_wrap.py compares them with the whole text's, strip for strip). A selection being
        made, or a text aligned otherwise than at the top left, is drawn whole by Textual."""
        width, height = self.size
        visual = self._render() if width > 0 else None
        if (
            _RenderCache is None
            or not isinstance(visual, Content)
            or self.text_selection is not None
            or tuple(self.styles.content_align) != ("left", "top")
        ):
            super()._render_content()
            return
        count = min(height, visual.plain.count("\n") + 1)
        self._render_cache = _RenderCache(self.size, _LinesOnDemand(self, visual, count, width))  # type: ignore[arg-type]
        self._dirty_regions.clear()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.wrapped(width)[1]) if width > 0 else 0

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        width = self.size.width
        if width <= 0 or not self._text:
            return super().get_selection(selection)
        origins = self.wrapped(width)[1]

        def in_text(at: Offset | None) -> Offset | None:
            if at is None:
                return None
            y, start, taken = origins[max(0, min(at.y, len(origins) - 1))]
            return Offset(start + max(0, min(at.x, taken)), y)

        return Selection(in_text(selection.start), in_text(selection.end)).extract(self._text.plain), "\n"


class _LinesOnDemand:
    """A text's lines as Textual draws them (``Visual.to_strips``), drawn from the top as far as they are asked
    for: the first FIRST_DRAWN lines at once (the screen a letter opens on), then twice as many each time a
    line further down is asked for (a scroll), which draws a letter read to its end about twice in all. A line
    is drawn with the ones above it, as part of the same text: the same strip as the whole text's."""

    def __init__(self, widget: WrappedText, visual: Content, count: int, width: int) -> None:
        self._widget = widget
        self._visual = visual
        self._count = count
        self._width = width
        self._style = widget.visual_style
        self._drawn: list[Strip] = []

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, y: int) -> Strip:
        if not 0 <= y < self._count:
            raise IndexError(y)  # beyond the text: Textual draws a blank line there
        if y >= len(self._drawn):
            lines = min(self._count, max(y + 1, 2 * len(self._drawn), FIRST_DRAWN))
            plain, end = self._visual.plain, -1
            for _ in range(lines):
                end = plain.find("\n", end + 1)
                if end < 0:
                    break
            part = self._visual if end < 0 else self._visual[:end]
            self._drawn = Visual.to_strips(self._widget, part, self._width, lines, self._style)
        return self._drawn[y]


FIRST_DRAWN = 100  # lines of a text drawn when its first line is: a screen and more


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


def _wrap_plain(text: str, width: int) -> tuple[Content, tuple[tuple[int, int, int], ...]]:
    """WrappedText.wrapped for a text without styles, line by line as strings: the same lines as Content's
    expand_tabs, divide, rstrip, truncate and rstrip_end give (tests/tui/test_reader_wrap.py compares them),
    one Content made at the end."""
    lines: list[str] = []
    origins: list[tuple[int, int, int]] = []
    for y, line in enumerate(text.split("\n")):
        if "\t" in line:
            line = line.expandtabs(8)
        offsets = divide_line(line, width, fold=True)
        last = len(offsets)
        for index, (start, end) in enumerate(zip([0, *offsets], [*offsets, len(line)], strict=True)):
            piece = line[start:end]
            taken = len(piece)
            if index < last:
                piece = piece.rstrip()
            if cell_len(piece) > width:
                piece = set_cell_size(piece, width)
            if len(piece) > width and (space := _TRAILING_SPACE.search(piece)) is not None:
                piece = piece[: len(piece) - min(len(space.group(0)), len(piece) - width)]
            lines.append(piece)
            origins.append((y, start, taken))
    return Content("\n".join(lines)), tuple(origins)


class Reader(VerticalScroll, can_focus=True):
    """Shows one opened message; bodies are decoded in a worker before they get here.

    Over the whole screen (class ``-full``, set by Réception): space pages down, ``-``/``b`` up, ``q``/Échap
    goes back to the list. Below the list these keys keep their Réception meaning (``q`` quits)."""

    BINDINGS = keymap.bindings("reader")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keymap.localise(self)

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

    def compose(self) -> ComposeResult:
        yield Static(t("reader.empty"), id="reader-headers")
        yield Static(t("reader.outside_trust"), id="reader-trust")
        yield Static("", id="reader-signature")
        yield Static("", id="reader-documents")
        yield WrappedText("", id="reader-body")
        yield Static("", id="reader-attachments")

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
        self.query_one("#reader-headers", Static).update(printable_content(headers))
        self.query_one("#reader-trust").display = view.outside_trust
        words, cls = signature_line(view)
        if view.encrypted:
            words += " · " + (t("reader.encrypted") if view.decrypted else t("reader.not_decrypted"))
            if view.decrypted and view.cipher_note:
                words += f" ({view.cipher_note})"
        if view.receipt_request:  # the sender asks a read receipt: the doctor decides (key a)
            words += "\n" + t("reader.receipt_asked", address=view.receipt_request)
        if view.receipts:  # a sent letter: what became of it, per recipient
            words += "\n" + "\n".join(f"{t('reader.receipt')} {line}" for line in view.receipts)
        sig = self.query_one("#reader-signature", Static)
        sig.update(printable_content(Content(words)))
        sig.set_classes(cls)
        docs = self.query_one("#reader-documents", Static)
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
        docs.update(printable_content(Content("\n").join(blocks)) if blocks else "")
        docs.display = bool(blocks)
        body = view.body if view.decrypted else (view.problem or t("reader.not_decrypted"))
        self.query_one("#reader-body", Static).update(Content(screenful(body.rstrip())))
        atts = self.query_one("#reader-attachments", Static)
        lines = []
        if view.attachments:
            lines = [t("reader.attachments", count=len(view.attachments))] + [
                f"  + {a.filename} ({a.content_type}, {len(a.data) // 1024 + 1} Ko)" for a in view.attachments
            ]
        lines += [f"  ! {note}" for note in view.notes]  # what could not be read (the core's words)
        atts.update(printable_content(Content("\n".join(lines))) if lines else "")
        atts.display = bool(lines)
        self.scroll_home(animate=False)

    def clear(self, text: str) -> None:
        self.query_one("#reader-headers", Static).update(text)
        self.query_one("#reader-trust").display = False
        for wid in ("#reader-signature", "#reader-documents", "#reader-body", "#reader-attachments"):
            self.query_one(wid, Static).update("")
