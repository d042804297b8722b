"""À classer: documents waiting for a decision, the extracted identity beside each candidate patient.

| Key | Action |
| --- | --- |
| enter | file to the selected candidate (no candidate: find the patient) |
| tab | next candidate |
| p | find the patient by name, birth date or id, and file to them after a confirmation |
| n | says that patients are created in the practice software, and opens the search |
| x | reject (a file that could not be read: mark it dealt with) |
| u | undo the last filing or rejection (the document waits again) |

Only the keys that apply to the highlighted document are active (and shown in the footer).

A file that could not be read (the core's state ``unreadable``) waits among the others, marked ✗: the card says
what could not be read (the core's words) and what to do in place of the identities; it is filed by hand (p)
when the core allows it, or marked dealt with (x).

A document filed (automatically or by hand) from a letter whose signer turned out revoked afterwards (the core's
``signer_revoked``: "check") waits first, marked ✗ « signataire révoqué après classement »: the card says what was
filed where and what to check in the practice software (the core's words); x marks it checked (its file stays
where it is: the practice software imported it already).
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import replace
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from core.model import Identity, Patient, ReviewItem, folded, kind_label
from tui import keymap
from tui.facade import mailroom_of, missive_app
from tui.failures import ReportsFailures
from tui.i18n import core_text, t
from tui.messages import DocumentDecided, DocumentsLoaded
from tui.panes.reader import printable_content
from tui.widgets.keyed_list import KeyedList


def _norm(text: str) -> str:
    return " ".join(folded(text).split())


def _date(d: dt.date | None) -> str:
    return d.strftime("%d/%m/%Y") if d is not None else "—"


def _sex(sex: str) -> str:
    """M and F as written; the core's U (unknown) as a dash, as a missing INS."""
    return sex if sex in ("M", "F") else "—"


def traits(identity: Identity, patient: Patient | None) -> list[tuple[str, str, str, str]]:
    """(trait, label, document value, patient value) rows, in the order a doctor checks them; ``trait`` is the
    core's name for it (``MailroomAPI.differing_traits``)."""
    p = patient
    return [
        ("name", t("review.t_name"), identity.family_name, (p.used_name or p.birth_name) if p else ""),
        ("birth_name", t("review.t_birth_name"), identity.birth_name or identity.family_name,
         p.birth_name if p else ""),
        ("given", t("review.t_given"), " ".join(identity.given_names) or "—", " ".join(p.given_names) if p else ""),
        ("birth_date", t("review.t_birth_date"), _date(identity.birth_date), _date(p.birth_date) if p else ""),
        ("sex", t("review.t_sex"), _sex(identity.sex), _sex(p.sex) if p else ""),
        ("ins", t("review.t_ins"), identity.ins or identity.nir or "—", (p.ins or "—") if p else ""),
    ]  # fmt: skip


def differing_labels(identity: Identity, differs: frozenset[str]) -> list[str]:
    """The labels of the traits the core found different, in the screen's order."""
    return [label for trait, label, _, _ in traits(identity, None) if trait in differs]


def comparison(
    item: ReviewItem, patient: Patient | None, differs: frozenset[str] = frozenset(), width: int | None = None
) -> Content:
    """Traits side by side; a trait the core found different (``differs``) is marked ≠ and coloured (reads in
    black and white too). (Why a waiting document has no candidate is said in the candidates' list: the
    comparison's last line is cut at 80x24.) A document whose container names another patient shows that
    patient in a column of its own when ``width`` holds three columns, else on one line under the two (at
    60 columns three columns wrapped, unreadable)."""
    rows = traits(item.identity, patient)
    w = max(len(r[1]) for r in rows)
    vw = max([len(t("review.document"))] + [len(r[2]) for r in rows])
    parts: list[str | tuple[str, str]] = []
    envelope: list[str] = []
    if item.envelope is not None and width is not None:
        column = item.envelope_label or t("review.envelope")
        ew = max([len(column)] + [min(len(r[2]), 18) for r in traits(item.envelope, None)])
        pw = max([len(t("review.patient"))] + [len(r[3]) for r in rows])
        if 2 + w + 1 + min(vw, 18) + 2 + ew + 2 + pw > width:  # three columns do not fit: stacked
            return _stacked(item, patient, differs, width)
    if item.envelope is not None:
        # the container names another patient: its patient in a column of its own (the core's reason is the
        # box's title, ``compare_title``: every row stays visible at 80x24)
        envelope = [r[2][:18] for r in traits(item.envelope, None)]
        vw = min(vw, 18)
    column = item.envelope_label or t("review.envelope")  # the core says whose patient the column is
    ew = max([len(column)] + [len(v) for v in envelope]) if envelope else 0
    head_env = f"{column:<{ew}}  " if envelope else ""
    parts.append((f"  {'':<{w}} {t('review.document'):<{vw}}  {head_env}{t('review.patient')}\n", "bold"))
    for n, (trait, label, doc_value, pat_value) in enumerate(rows):
        differs_here = patient is not None and trait in differs
        env = f"{envelope[n]:<{ew}}  " if envelope else ""
        value = doc_value[:vw] if envelope else doc_value
        end = "\n" if n < len(rows) - 1 else ""  # no blank line under the last trait: a row of the screen
        line = f"{'≠' if differs_here else ' '} {label:<{w}} {value:<{vw}}  {env}{pat_value}{end}"
        parts.append((line, "$warning bold") if differs_here else line)
    return Content.assemble(*parts)


def _stacked(item: ReviewItem, patient: Patient | None, differs: frozenset[str], width: int) -> Content:
    """The document beside the candidate, and under them, on one line, the other patient its container names
    (cut to ``width``): what a narrow screen holds."""
    plain = replace(item, envelope=None)
    assert item.envelope is not None
    env = item.envelope
    born = _date(env.birth_date) if env.birth_date else ""
    who = " ".join(
        v for v in (env.family_name, " ".join(env.given_names), born, _sex(env.sex), env.ins or env.nir) if v
    )
    line = t("review.envelope_stacked", column=item.envelope_label or t("review.envelope"), who=who or "—")
    if len(line) + 2 > width:
        line = line[: max(0, width - 3)] + "…"
    return Content.assemble(comparison(plain, patient, differs), "\n", (f"  {line}", "$warning"))


def compare_title(item: ReviewItem) -> str:
    """The comparison's title: the core's reason when the document's container names another patient."""
    if item.signer_revoked == "check":
        return f"✗ {t('review.revoked_title')}"
    if item.unreadable:
        return f"✗ {t('review.unreadable_title')}"
    if item.conflict:
        return f"⚠ {item.conflict}"
    return f"⚠ {item.held}" if item.held else t("review.compare")


def unreadable_todo(item: ReviewItem) -> list[str]:
    """What to do with a file that could not be read (said where candidates would be): open the letter, ask
    again, then file it by hand (when the core allows it) or mark it dealt with."""
    todo = t("review.unreadable_todo_file" if item.hand_fileable else "review.unreadable_todo_nofile")
    return [t("review.unreadable_todo", file=item.attachment or "?"), todo]


class ReviewPane(ReportsFailures, Vertical):
    """À classer (key 2)."""

    BINDINGS = keymap.bindings("review")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        keymap.localise(self)
        self.pending: list[ReviewItem] = []
        self.filed: list[ReviewItem] = []
        self._pending_ids: set[str] = set()
        self._acted_on: str | None = None  # the document the last decision was about: keeps the highlight
        self._last_decided: str | None = None  # the last document filed or rejected here: u on a waiting one
        self._query = ""

    def compose(self) -> ComposeResult:
        # Set up here, not in on_mount: a quit during the mount leaves no children to query (a traceback).
        notice = Static("", id="review-notice")
        notice.display = False
        yield notice
        search = Input(placeholder=t("review.search_placeholder"), id="review-search")
        search.display = False
        yield search
        docs = KeyedList(id="review-docs")
        docs.select_on_click = False  # Entrée files: a click only shows the document
        docs.border_title = t("pane.review")
        yield docs
        yield Static(t("review.empty"), id="review-empty")
        with Vertical(id="review-detail"):
            compare = Static("", id="review-compare")
            compare.border_title = t("review.compare")
            yield compare
            candidates = OptionList(id="review-candidates")
            candidates.border_title = t("review.candidates")
            candidates.can_focus = False  # tab moves between candidates; focus stays on the documents
            yield candidates

    def on_mount(self) -> None:
        self.reload()

    def reload(self) -> None:
        """Read the documents again. While À classer is on screen the keys typed meanwhile wait for the list (2
        then j x typed at once: j and x found no document yet); a hidden pane holds no key."""
        reading = self._read_documents()
        if self.display:
            missive_app(self).hold_keys("review", reading)
        else:
            missive_app(self).release_keys("review")

    @work(thread=True, exclusive=True, group="review", exit_on_error=False)
    def _read_documents(self) -> None:
        mailroom = mailroom_of(self)
        pending, filed = mailroom.review_items()
        self.post_message(DocumentsLoaded(pending, filed, mailroom.filing_notice()))

    def on_documents_loaded(self, message: DocumentsLoaded) -> None:
        self.pending, self.filed = message.pending, message.filed
        # no import folder: nothing is filed, automatically or by hand; said above the documents, with how to
        # set it (the core's words), before Entrée is pressed
        notice = self.query_one("#review-notice", Static)
        notice.update(Content.styled(f"⚠ {message.notice}", "$warning bold") if message.notice else "")
        notice.display = bool(message.notice)
        self._fit_notice()
        # what waits is what the adapter lists as pending, whatever word the queue uses for its state
        self._pending_ids = {item.id for item in self.pending}
        self._fill()
        app = missive_app(self)
        app.set_review_count(len(self.pending), sum(1 for i in self.pending if i.critical))
        app.release_keys("review")  # the list and its highlight are there: the keys typed ahead act on them

    def on_resize(self) -> None:
        self._fit_notice()
        # the comparison's columns and the candidates' reasons are laid out for the width: again at a new one
        item = self.current if self.query_one("#review-docs", OptionList).option_count else None
        if item is not None:
            candidates = self.query_one("#review-candidates", OptionList)
            kept = candidates.highlighted
            self._show(item)
            if kept is not None and kept < candidates.option_count and item.candidates and self.is_pending(item):
                candidates.highlighted = kept

    def _fit_notice(self) -> None:
        """The notice takes the rows the list (2 documents) and the comparison with a candidate leave: one at
        60x20 (cut with an ellipsis: what to set comes first), up to three at 80x24."""
        notice = self.query_one("#review-notice", Static)
        rows = max(1, min(3, self.size.height - 16))
        notice.styles.max_height = rows
        notice.styles.text_wrap = "nowrap" if rows == 1 else "wrap"
        notice.styles.text_overflow = "ellipsis" if rows == 1 else "fold"

    def is_pending(self, item: ReviewItem) -> bool:
        return item.id in self._pending_ids

    def _visible(self) -> list[ReviewItem]:
        items = self.pending + self.filed
        if not self._query:
            return items
        q = _norm(self._query)
        return [
            i
            for i in items
            if q in _norm(f"{i.identity.family_name} {' '.join(i.identity.given_names)} {i.title}")
        ]

    def _fill(self) -> None:
        docs = self.query_one("#review-docs", OptionList)
        # the highlight stays on the document it was on (after u it moved between the lists), else the first
        # visible one: never an index that now points at another document, or a row the search hides
        keep = self._acted_on or (
            docs.get_option_at_index(docs.highlighted).id
            if docs.highlighted is not None and docs.option_count
            else None
        )
        self._acted_on = None
        docs.clear_options()
        items = self._visible()
        for item in items:
            ident = item.identity
            if ident.family_name or ident.given_names or ident.birth_date:
                who = f"{ident.family_name} {' '.join(ident.given_names)} {_date(ident.birth_date)}"
            else:
                who = t("review.no_identity")
            when = item.date.strftime("%d/%m") if item.date else "     "
            if self.is_pending(item) and item.signer_revoked == "check":  # filed, then its signer found revoked
                label = f"✗ {when} {t('review.revoked_row')} — {who}"  # what it is first: the name is cut at 80
            elif self.is_pending(item) and item.unreadable:  # nothing read: its file's name, and that it is unreadable
                label = f"✗ {when} {item.attachment or '?'} — {t('review.unreadable_row')}"
            elif self.is_pending(item):
                kind = f"[{kind_label(item.kind)}] " if item.kind else ""
                label = f"{'‼' if item.critical else '?'} {when} {who} — {kind}{item.title}"
            elif item.state == "duplicate":  # the same file as another document: that one stands for it
                label = f"= {when} {who} — {t('review.duplicate', original=item.duplicate_of or '?')}"
            else:
                p = item.patient
                target = f"{p.used_name or p.birth_name} {' '.join(p.given_names)}" if p else "?"
                how = "review.auto_filed" if item.filed_automatically else "review.hand_filed"
                label = f"» {when} {who} — {t(how, patient=target)}"
            docs.add_option(Option(printable_content(Content(label)), id=item.id))
        empty = not items
        self.query_one("#review-empty").display = empty
        self.query_one("#review-detail").display = not empty
        docs.display = not empty
        copies = sum(1 for i in self.filed if i.state == "duplicate")
        counted = {"pending": len(self.pending), "filed": len(self.filed) - copies}
        docs.border_subtitle = t("review.count_copies", **counted, copies=copies) if copies else t("review.count", **counted)
        if items:
            ids = [item.id for item in items]
            docs.highlighted = ids.index(keep) if keep in ids else 0
            self._show(items[docs.highlighted])
        self.refresh_bindings()

    @property
    def current(self) -> ReviewItem | None:
        docs = self.query_one("#review-docs", OptionList)
        items = self._visible()
        index = docs.highlighted
        return items[index] if index is not None and 0 <= index < len(items) else None

    def _show(self, item: ReviewItem) -> None:
        # x's word on the keys line: what the core says setting this document aside does (rejected, or dealt with)
        check = self.is_pending(item) and item.signer_revoked == "check"  # filed, then its signer found revoked
        keymap.relabel(self, "review.reject", "review.checked" if check else f"review.{item.set_aside}")
        candidates = self.query_one("#review-candidates", OptionList)
        candidates.clear_options()
        candidates.border_title = t("review.revoked_todo" if check else "review.candidates")
        if check:
            # filed from a letter whose signer turned out revoked: what was filed where, what to check (the core's
            # words, where a candidate would be); the document beside the patient it was filed to
            candidates.add_option(Option(Content.styled(item.revoked_note, "$warning bold"), disabled=True))
            self._render_compare(item, item.patient)
            return
        if not self.is_pending(item):
            # decided: the title says what still applies (u undoes a filing; nothing decides on a copy), not the
            # keys of a document waiting (Tab, Entrée, p did nothing here)
            candidates.border_title = t("review.filed_title" if item.state == "filed" else "review.copy_title")
            # filed: how, when, for whom, under which file name; a duplicate: the document that stands for it and
            # where it is; a new version of a result: what it is to the earlier one (the core's words, where a
            # candidate would be)
            for note in (item.filed_note, item.duplicate_note, item.version_note):
                if note:
                    candidates.add_option(Option(Content.styled(note, "$warning bold"), disabled=True))
            self._render_compare(item, item.patient)
            return
        if item.unreadable:  # nothing was read: what to do, where a candidate would be
            for line in unreadable_todo(item):
                candidates.add_option(Option(Content.styled(line, "$warning bold"), disabled=True))
        room = candidates.scrollable_content_region.width or max(20, self.size.width - 3)
        for cand, patient in item.candidates:
            name = (
                f"{patient.used_name or patient.birth_name} {' '.join(patient.given_names)}"
                if patient
                else cand.patient_id
            )
            # the reasons under the name, every line of them indented (they wrapped back to column 1 at 80)
            reasons = textwrap.wrap(", ".join(core_text(r) for r in cand.reasons), max(10, room - 5)) or [""]
            indented = "\n".join(f"     {line}" for line in reasons)
            candidates.add_option(
                # the practice's id beside the name: two homonyms are told apart before Enter files
                Option(
                    Content(f"{cand.score:4.0%} {name} · {t('review.patient_id', id=cand.patient_id)}\n{indented}"),
                    id=cand.patient_id,
                )
            )
        if item.candidates:
            candidates.highlighted = 0
        elif item.no_candidate and not item.unreadable:  # why nobody is proposed, in the core's words, where a candidate would be
            candidates.add_option(Option(Content.styled(item.no_candidate, "$warning bold"), disabled=True))
        self._compare()

    def _compare(self) -> None:
        item = self.current
        if item is None:
            return
        self._render_compare(item, self._selected_patient(item))

    def _render_compare(self, item: ReviewItem, patient: Patient | None) -> None:
        compare = self.query_one("#review-compare", Static)
        compare.border_title = compare_title(item)
        compare.border_subtitle = item.version_note  # a new version of a result: what it is to the earlier one
        if item.unreadable and self.is_pending(item):  # no identity was read: what could not be (the core's words)
            compare.update(printable_content(Content.styled(item.unreadable_note, "$warning bold")))
            return
        width = compare.content_size.width or max(20, self.size.width - 4)  # inside the border and the padding
        shown = comparison(item, patient, self._differs(item, patient), width)
        compare.update(printable_content(shown))
        # the container's patient stacked under the two columns takes a row more: the list gives it, so that the
        # first candidate's line stays on screen at 60x20 (the comparison's 7 rows and borders, a candidate's 3)
        rows = len(shown.plain.rstrip("\n").splitlines())
        self.query_one("#review-detail").styles.min_height = max(12, min(rows + 5, 13))

    def _differs(self, item: ReviewItem, patient: Patient | None) -> frozenset[str]:
        """The core's comparison of the document's patient with ``patient`` (pure computation, no disk)."""
        return mailroom_of(self).differing_traits(item.identity, patient) if patient is not None else frozenset()

    def _selected_patient(self, item: ReviewItem) -> Patient | None:
        index = self.query_one("#review-candidates", OptionList).highlighted
        if index is None or not (0 <= index < len(item.candidates)):
            return None
        return item.candidates[index][1]

    @on(OptionList.OptionHighlighted, "#review-docs")
    def _doc_highlighted(self) -> None:
        if self.current is not None:
            self._show(self.current)
        self.refresh_bindings()  # the footer shows the keys that apply to this document

    @on(OptionList.OptionHighlighted, "#review-candidates")
    def _candidate_highlighted(self) -> None:
        self._compare()

    @on(OptionList.OptionSelected, "#review-docs")
    def _doc_selected(self) -> None:
        self.action_file_document()

    # -- decisions ----------------------------------------------------------------------------------------
    WAITING_ONLY = frozenset({"file_document", "find_patient", "new_patient", "reject", "next_candidate"})

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in self.WAITING_ONLY and action != "undo":
            return True
        try:
            item = self.current
        except NoMatches:  # not composed yet
            return False
        if item is None:
            return False
        if action == "undo" and self.is_pending(item):  # the highlight moved on: u takes back the last decision
            return self._undoable() is not None
        if action in self.WAITING_ONLY:
            if item.signer_revoked == "check" and self.is_pending(item):
                return action == "reject"  # filed already: x marks it checked, nothing else applies
            if item.unreadable and not item.hand_fileable and action != "reject":
                return False  # the core says this file must not reach the practice software: x only
            return self.is_pending(item)
        return not self.is_pending(item) and item.state != "duplicate"  # a duplicate's original is decided on

    def _undoable(self) -> str | None:
        """The document filed or rejected last in this pane, while it is still decided (not waiting again)."""
        last = self._last_decided
        return None if last is None or last in self._pending_ids else last

    def action_next_candidate(self) -> None:
        candidates = self.query_one("#review-candidates", OptionList)
        if candidates.option_count:
            candidates.highlighted = ((candidates.highlighted or 0) + 1) % candidates.option_count

    def action_file_document(self) -> None:
        item = self.current
        if item is not None and not self.is_pending(item):
            self._say_decided(item)
            return
        if item is None:
            return
        index = self.query_one("#review-candidates", OptionList).highlighted
        if index is None or not item.candidates:
            self.action_find_patient()  # nobody to propose: the doctor names the patient
            return
        candidate, patient = item.candidates[index]
        differs = self._differs(item, patient)
        if not differs and not candidate.rival:
            self.decide(item.id, "file", candidate.patient_id)
            return
        # a trait differs, or another record may be this same person (the core's words): filed only after a yes
        from tui.panes.confirm import ConfirmScreen

        if differs:
            question = t("confirm.file_differs", traits=", ".join(differing_labels(item.identity, differs)))
        else:
            question = t("confirm.file_rival", id=candidate.patient_id)
        if candidate.rival:  # what the document cannot tell apart, said before the question
            question = t("confirm.rival", reason=core_text(candidate.rival)) + "\n" + question

        def answered(yes: bool | None) -> None:
            if yes:
                self.decide(item.id, "file", candidate.patient_id)

        self.app.push_screen(ConfirmScreen(question, deliberate=True), answered)

    def _say_decided(self, item: ReviewItem) -> None:
        """Entrée on a document already decided: what it is (the core's words: filed how, when, for whom, where;
        the copy of which document) and what can be done here (u undoes a filing). On screen only."""
        if item.state == "duplicate":
            said = item.duplicate_note or t("review.copy_title")
        else:
            said = f"{item.filed_note}\n{t('review.filed_title')}" if item.filed_note else t("review.filed_title")
        self.notify(said, timeout=10)

    def action_find_patient(self) -> None:
        """Search the practice's patients; the one chosen and confirmed gets the document, as with enter."""
        item = self.current
        if item is None or not self.is_pending(item):
            return
        from tui.panes.patient_search import PatientSearchScreen

        def chosen(patient_id: str | None) -> None:
            if patient_id:
                self.decide(item.id, "file", patient_id)

        self.app.push_screen(PatientSearchScreen(item), chosen)

    def action_new_patient(self) -> None:
        """missive cannot create a patient in the practice software (which owns them): say so, offer the search."""
        if self.current is not None and self.is_pending(self.current):
            self.notify(t("review.new_in_software"), timeout=10)
            self.action_find_patient()

    def action_reject(self) -> None:
        """x: the document is set aside (never filed), after a yes."""
        item = self.current
        if item is None or not self.is_pending(item):
            return
        from tui.panes.confirm import ConfirmScreen

        # the core's word: rejected, or (a file that could not be read) dealt with; filed from a revoked signer's
        # letter: checked (still filed)
        decision: str = "checked" if item.signer_revoked == "check" else item.set_aside

        def answered(yes: bool | None) -> None:
            if yes:
                self.decide(item.id, decision, None)

        if decision == "checked":
            question = t("confirm.revoked_checked", id=item.patient_id or "?")
        elif decision == "dealt":
            question = t("confirm.dealt", file=item.attachment or "?")
        else:
            question = t("confirm.reject", title=item.title or "—")
        self.app.push_screen(ConfirmScreen(question, deliberate=True), answered)

    def action_undo(self) -> None:
        if self.current is not None and not self.is_pending(self.current):
            self.decide(self.current.id, "undo", None)
        elif (last := self._undoable()) is not None:  # x or Entrée moved the highlight on: undo that one
            self.decide(last, "undo", None)

    def decide(self, doc_id: str, decision: str, patient_id: str | None) -> None:
        """File, reject or undo; the keys typed after it wait for the list read again (x o then x: the next
        waiting document, not the one just set aside)."""
        missive_app(self).hold_keys("review", self._decide(doc_id, decision, patient_id))

    @work(thread=True, group="review-decide", exit_on_error=False)
    def _decide(self, doc_id: str, decision: str, patient_id: str | None) -> None:
        mailroom = mailroom_of(self)
        undone = None
        if decision == "file" and patient_id is not None:
            mailroom.file_document(doc_id, patient_id, actor="tui")
        elif decision == "reject":
            mailroom.reject_document(doc_id, actor="tui")
        elif decision in ("dealt", "checked"):  # checked: filed from a revoked signer's letter, seen to
            mailroom.mark_dealt_with(doc_id, actor="tui")
        else:
            undone = mailroom.undo_filing(doc_id, actor="tui").undone
        self.post_message(DocumentDecided(doc_id, decision, undone))

    def on_document_decided(self, message: DocumentDecided) -> None:
        if message.decision == "undo":  # in the core's words: a filing, a rejection or a correction taken back
            self.notify(t(f"review.done_undo_{message.undone or 'filing'}"))
        else:
            self.notify(t(f"review.done_{message.decision}"))
        if message.decision == "undo":  # back among the waiting ones: the highlight follows it
            self._acted_on = message.doc_id
            self._last_decided = None
        else:
            self._last_decided = message.doc_id  # filed or rejected: on to the next waiting document (else the one before it)
            waiting = [item.id for item in self._visible() if self.is_pending(item)]
            if message.doc_id in waiting:
                at = waiting.index(message.doc_id)
                rest = waiting[at + 1 :] or waiting[:at][-1:]
                self._acted_on = rest[0] if rest else None
            if message.decision == "checked":
                self._last_decided = None  # u must not take the file out of the import folder on its own
        self.reload()

    # -- search -------------------------------------------------------------------------------------------
    def action_search(self) -> None:
        search = self.query_one("#review-search", Input)
        search.display = True
        search.focus()

    @on(Input.Changed, "#review-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._query = event.value
        self._fill()

    @on(Input.Submitted, "#review-search")
    def _search_done(self) -> None:
        self.query_one("#review-docs").focus()

    def key_escape(self) -> None:
        """Escape closes the documents' filter; without one, leads back to Réception (as in Rédaction and the
        Annuaire: it did nothing here)."""
        search = self.query_one("#review-search", Input)
        if search.display:
            search.value = ""
            search.display = False
            self.query_one("#review-docs").focus()
        else:
            missive_app(self).action_show_pane("inbox")
