"""Chercher le patient (p in À classer): file a document whose identity was not read, or whose candidates are
all wrong, to a patient found by name, birth date or id among the practice's patients.

| Key | Action |
| --- | --- |
| (type) | search: name(s), birth date (14/03/1956, 1956, 14/03), patient id or INS |
| down, enter | from the search to the results |
| enter | on a patient: show their traits beside the document's; enter again files to them |
| escape | back one step (confirmation, results, then closes without filing) |

missive does not create patients: the practice software owns them (its CSV export is imported with
``missive patients import``), so a patient missing here is created there first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from core.model import Patient, ReviewItem, folded, matches, searchable
from tui import keymap
from tui.facade import mailroom_of
from tui.failures import ReportsFailures
from tui.i18n import t

MAX_SHOWN = 50
_DATE_LIKE = re.compile(r"^[\d/.-]+$")


def _norm(text: str) -> str:
    return folded(text)


@dataclass(frozen=True)
class _Entry:
    patient: Patient
    order: str  # as the list shows them: used name (else birth name), given names
    words: str  # every name, in the core's searchable form (core.clinical.search)
    dates: tuple[str, ...]  # the birth date as people type it: 14/03/1956, 14.03.1956, 1956-03-14, 14031956
    ids: tuple[str, ...]  # patient id and INS, folded


def _entry(p: Patient) -> _Entry:
    names = " ".join((p.birth_name, p.used_name, *p.given_names))
    words = searchable(names)
    d = p.birth_date
    dates = (f"{d:%d/%m/%Y}", f"{d:%d.%m.%Y}", f"{d:%d-%m-%Y}", d.isoformat(), f"{d:%d%m%Y}") if d else ()
    order = _norm(" ".join((p.used_name or p.birth_name, *p.given_names)))
    return _Entry(p, order, words, dates, tuple(_norm(x) for x in (p.id, p.ins or "") if x))


class PatientFinder:
    """The practice's patients, searchable by name words, birth date, id or INS (every term must match)."""

    def __init__(self, patients: Iterable[Patient]) -> None:
        self._entries = [_entry(p) for p in patients]

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, text: str, limit: int = MAX_SHOWN) -> list[Patient]:
        terms = _norm(text).split()
        if not terms:
            return []
        found: list[tuple[int, str, Patient]] = []
        for e in self._entries:
            if all(_term_matches(term, e) for term in terms):
                exact_id = any(term in e.ids for term in terms)
                found.append((0 if exact_id else 1, e.order, e.patient))
        found.sort(key=lambda f: (f[0], f[1]))
        return [p for _, _, p in found[:limit]]


def _term_matches(term: str, e: _Entry) -> bool:
    if any(i.startswith(term) for i in e.ids):
        return True
    if _DATE_LIKE.match(term):  # a whole date, its start (14/03), or a year (1956, by the ISO form)
        return any(d.startswith(term) for d in e.dates)
    # the core's rule: "dupont-martin", "lhote", "le goff" as typed, accents and case aside
    return matches(term, e.words)


def patient_line(p: Patient) -> str:
    """One line naming a patient: used name, given names, (birth name), birth date, sex, id."""
    who = " ".join((p.used_name or p.birth_name, *p.given_names))
    if p.used_name and p.birth_name and p.used_name != p.birth_name:
        who += f" ({t('search.born_' + (p.sex if p.sex in ('F', 'M') else 'u'), name=p.birth_name)})"
    born = p.birth_date.strftime("%d/%m/%Y") if isinstance(p.birth_date, dt.date) else "—"
    if p.sex in ("F", "M"):  # an unknown sex is left out (the core's code U is no word on screen)
        born += f" {p.sex}"
    return f"{who} — {born} — {p.id}"


class PatientSearchScreen(ReportsFailures, ModalScreen[str | None]):
    """Search the practice's patients; dismissed with the chosen patient's id once confirmed, or None."""

    BINDINGS = [Binding("escape", "back", show=False)]

    DEFAULT_CSS = """
    PatientSearchScreen { align: center middle; }
    #patient-box {
        width: 100; max-width: 100%; height: 100%; max-height: 30;
        border: round $primary; background: $surface; padding: 0 1;
    }
    #patient-document { height: auto; color: $text-muted; }
    #patient-query { border: none; height: 1; padding: 0 1; margin: 1 0 0 0; background: $boost; }
    #patient-query:focus { background: $primary 20%; }
    #patient-query:ansi:focus { text-style: underline; }
    #patient-results {
        height: 1fr; min-height: 3; border: round $primary-muted; text-wrap: nowrap; text-overflow: ellipsis;
    }
    #patient-results:focus { border: round $primary; }
    #patient-compare { height: auto; }
    #patient-confirm { height: auto; color: $warning; text-style: bold; }
    #patient-confirm:ansi { text-style: bold reverse; }
    #patient-hint { height: 1; color: $text-muted; }
    """

    def __init__(self, item: ReviewItem) -> None:
        super().__init__()
        keymap.show_in_footer(self, {"back": t("footer.back")})
        self.item = item
        self.finder: PatientFinder | None = None
        self.shown: list[Patient] = []
        self.chosen: Patient | None = None  # waiting for the second enter
        self._timer: Timer | None = None
        self._searched: str | None = None  # the text whose results are listed

    def compose(self) -> ComposeResult:
        with Vertical(id="patient-box") as box:
            box.border_title = t("search.title")
            yield Static(Content(self._document_line()), id="patient-document")
            # the document's name to start from (selected: typing replaces it)
            query = Input(self.item.identity.family_name, placeholder=t("search.placeholder"), id="patient-query")
            keymap.show_in_footer(query, {"submit": t("footer.choose")})  # the keys line: Entrée, Échap
            yield query
            results = OptionList(id="patient-results")
            keymap.show_in_footer(results, {"select": t("footer.choose")})
            results.border_subtitle = t("search.loading")
            yield results
            yield Static("", id="patient-compare")
            yield Static("", id="patient-confirm")
            yield Static(t("search.hint"), id="patient-hint")

    def _document_line(self) -> str:
        ident = self.item.identity
        if ident.family_name or ident.given_names or ident.birth_date:
            born = ident.birth_date.strftime("%d/%m/%Y") if ident.birth_date else "—"
            who = f"{ident.family_name} {' '.join(ident.given_names)} {born}"
        else:
            who = t("review.no_identity")
        return t("search.document", who=who, title=self.item.title or "—")

    def on_mount(self) -> None:
        self.query_one("#patient-query").focus()
        self.load_patients()

    @work(thread=True, exclusive=True, group="patient-search", exit_on_error=False)
    def load_patients(self) -> None:
        finder = PatientFinder(mailroom_of(self).list_patients())
        self.app.call_from_thread(self._loaded, finder)

    def _loaded(self, finder: PatientFinder) -> None:
        self.finder = finder
        self._search(self.query_one("#patient-query", Input).value)

    # -- searching ----------------------------------------------------------------------------------------
    @on(Input.Changed, "#patient-query")
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        text = event.value
        self._timer = self.set_timer(0.15, lambda: self._search(text))

    def _search(self, text: str) -> None:
        results = self.query_one("#patient-results", OptionList)
        if self.finder is None:
            return
        self._searched = text
        self.shown = self.finder.search(text)
        self._disarm()
        results.clear_options()
        results.add_options([Option(Content(patient_line(p)), id=p.id) for p in self.shown])
        if not len(self.finder):
            results.border_subtitle = t("search.no_patients")
        elif not text.strip():
            results.border_subtitle = t("search.count_all", count=len(self.finder))
        elif len(self.shown) == MAX_SHOWN:
            results.border_subtitle = t("search.count_more", count=MAX_SHOWN)
        else:
            results.border_subtitle = t("search.count", count=len(self.shown))
        if self.shown:
            results.highlighted = 0

    @on(Input.Submitted, "#patient-query")
    def _submitted(self, event: Input.Submitted) -> None:
        if self._timer is not None:
            self._timer.stop()
        if event.value != self._searched:  # listed already: keep the highlight where it is
            self._search(event.value)
        if self.shown:
            self.query_one("#patient-results").focus()

    def key_down(self, event: events.Key) -> None:
        if self.query_one("#patient-query").has_focus and self.shown:
            # on the first patient: the same ↓ must not also move the highlight once the list has the focus
            event.stop()
            event.prevent_default()
            self.query_one("#patient-results").focus()

    # -- choosing and confirming ----------------------------------------------------------------------------
    @on(OptionList.OptionHighlighted, "#patient-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if self.chosen is not None and self.chosen.id != event.option.id:
            self._disarm()
        patient = self._patient(event.option.id)
        if patient is not None:
            from tui.panes.review import comparison

            differs = mailroom_of(self).differing_traits(self.item.identity, patient)  # the core's comparison
            self.query_one("#patient-compare", Static).update(comparison(self.item, patient, differs))

    @on(OptionList.OptionSelected, "#patient-results")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        patient = self._patient(event.option.id)
        if patient is None:
            return
        if self.chosen is not None and self.chosen.id == patient.id:
            self._file_for(patient)  # the second enter, on the patient whose traits are on screen
            return
        self.chosen = patient
        self._enter_says("footer.file")  # the second Entrée files
        confirm = self.query_one("#patient-confirm", Static)
        confirm.update(Content(t("search.confirm", patient=patient_line(patient))))

    def _file_for(self, patient: Patient) -> None:
        """Filed for ``patient``; a trait that differs (the core's comparison) asks first, and only o answers, as
        in À classer: three Entrée (search, choose, confirm) or a double click filed a result for a namesake whose
        birth date or given names differ."""
        differs = mailroom_of(self).differing_traits(self.item.identity, patient)
        if not differs:
            self.dismiss(patient.id)
            return
        from tui.panes.confirm import ConfirmScreen
        from tui.panes.review import differing_labels

        def answered(yes: bool | None) -> None:
            if yes:
                self.dismiss(patient.id)
            else:
                self._disarm()

        question = t("confirm.file_differs", traits=", ".join(differing_labels(self.item.identity, differs)))
        self.app.push_screen(ConfirmScreen(question, deliberate=True), answered)

    def _patient(self, patient_id: str | None) -> Patient | None:
        return next((p for p in self.shown if p.id == patient_id), None)

    def _enter_says(self, key: str) -> None:
        results = self.query_one("#patient-results", OptionList)
        keymap.show_in_footer(results, {"select": t(key)})
        results.refresh_bindings()

    def _disarm(self) -> None:
        self.chosen = None
        self._enter_says("footer.choose")
        self.query_one("#patient-confirm", Static).update("")

    def action_back(self) -> None:
        if self.chosen is not None:
            self._disarm()
        elif self.query_one("#patient-results").has_focus:
            self.query_one("#patient-query").focus()
        else:
            self.dismiss(None)
