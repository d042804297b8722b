"""Filing safety in À classer: a question before filing to a patient whose traits differ (the core's comparison)
and before rejecting, the patient search starting from the document's name, the reason when nobody is proposed,
and the order a backlog is worked in."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

from textual.widgets import Input, OptionList, Static

from core.clinical.matching import differing_traits, why_no_candidate
from core.model import Candidate, Identity, Patient
from tests.tui.conftest import settle
from tests.tui.fakes import FakeEntry, FakeMailroom
from tests.tui.test_flows import open_review_at, text_of
from tui.app import MissiveApp

JEANNE = Identity(family_name="DUPONT", given_names=("Jeanne",), birth_date=dt.date(1956, 3, 14), sex="F")


def question(app: MissiveApp) -> str:
    return str(app.screen.query_one("#confirm-question", Static).render())


async def _patient_search(app: MissiveApp, pilot) -> None:
    """The app started, À classer shown, its patient search opened (p) on the first waiting document."""
    await settle(app, pilot)
    await pilot.press("2")
    await settle(app, pilot)
    await pilot.press("p")
    await settle(app, pilot)


def test_the_core_says_which_traits_differ() -> None:
    same = Patient("p-1", "DUPONT", "", ("Jeanne",), dt.date(1956, 3, 14), "F")
    assert differing_traits(JEANNE, same) == frozenset()
    assert differing_traits(replace(JEANNE, family_name="Du Pont"), same) == frozenset()  # particle/spaces only
    other = Patient("p-2", "DUPOND", "", ("Jeannine",), dt.date(1956, 3, 14), "F")
    assert differing_traits(JEANNE, other) == {"name", "birth_name", "given"}
    older = Patient("p-4", "DUPONT", "", ("Jeanne",), dt.date(1965, 3, 14), "M", ins="256037512345678")
    assert differing_traits(replace(JEANNE, ins="256037512345699"), older) == {"birth_date", "sex", "ins"}
    assert differing_traits(Identity(), same) == frozenset()  # nothing known: nothing said to differ


def test_the_core_says_why_nobody_is_proposed() -> None:
    assert "liste des patients est vide" in str(why_no_candidate(JEANNE, 0))
    assert "illisible" in str(why_no_candidate(Identity(), 3))
    assert "aucun patient né le 14/03/1956" in str(why_no_candidate(JEANNE, 3))
    assert "aucun patient de ce nom" in str(why_no_candidate(replace(JEANNE, birth_date=None), 3))


def test_a_backlog_is_worked_from_its_oldest_document_critical_first() -> None:
    from core.mailroom import _backlog_order

    def doc(name: str, day: int | None, critical: int = 0) -> SimpleNamespace:
        when = dt.datetime(2025, 6, day, tzinfo=dt.UTC) if day else None
        return SimpleNamespace(name=name, date=when, critical=critical, added=name)

    queue = [doc("new", 20), doc("undated", None), doc("old", 2), doc("critical", 25, critical=1)]
    assert [d.name for d in sorted(queue, key=_backlog_order)] == ["critical", "old", "new", "undated"]


async def test_filing_to_a_candidate_whose_traits_differ_asks_first(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        compare = text_of(app, "#review-compare")  # the first candidate, DUPOND Jeannine
        marked = [line for line in compare.splitlines() if line.startswith("≠")]
        assert len(marked) == 3 and not any("naissance" in line.lower() and "/" in line for line in marked)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Des traits diffèrent" in question(app) and "Prénoms" in question(app)
        await pilot.press("n")  # no: nothing filed
        await settle(app, pilot)
        assert mailroom.documents.decisions == []
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-2")]


async def test_enter_pressed_twice_never_says_yes_to_a_differing_trait(mailroom: FakeMailroom) -> None:
    """The Entrée that files, pressed twice in a hurry or typed ahead, must not answer "file it anyway": only o
    does; the keys line says so."""
    from tui.panes.confirm import ConfirmScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("enter", "enter", "enter")  # one read of the terminal: file, then two more Entrée
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and "Des traits diffèrent" in question(app)
        assert "Entrée ne répond pas" in str(app.screen.query_one("#confirm-keys", Static).render())
        assert mailroom.documents.decisions == []
        await pilot.press("o")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-2")]


async def test_enter_never_says_yes_to_a_rejection(mailroom: FakeMailroom) -> None:
    from tui.panes.confirm import ConfirmScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("x", "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and mailroom.documents.decisions == []
        await pilot.press("escape")
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmScreen) and mailroom.documents.decisions == []


async def test_filing_to_the_matching_candidate_asks_nothing(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("tab", "enter")  # DUPONT Jeanne: every trait agrees
        await settle(app, pilot)
        assert not app.screen.query("#confirm-question")
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-1")]


async def test_rejecting_asks_first(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert "Rejeter ce document" in question(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert mailroom.documents.decisions == []
        await pilot.press("x", "o")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("reject", "d-ambiguous", None)]


async def test_the_patient_search_starts_from_the_documents_name(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _patient_search(app, pilot)
        query = app.screen.query_one("#patient-query", Input)
        assert query.value == "DUPONT" and query.has_focus
        results = app.screen.query_one("#patient-results", OptionList)
        assert results.option_count == 1 and "DUPONT Jeanne" in str(results.get_option_at_index(0).prompt)
        await pilot.press(*"leroy")  # typing replaces the name (selected)
        await settle(app, pilot)
        assert query.value == "leroy"


async def test_a_document_without_candidate_says_why(mailroom: FakeMailroom) -> None:
    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-letter")
        await settle(app, pilot)
        # on the 80x24 screen itself (the identity panel's last line is cut at that height: the reason was there)
        shown = " ".join(
            " ".join("".join(seg.text for seg in strip).split()) for strip in app.screen._compositor.render_strips()
        )
        assert "aucun candidat : l'identité du patient est illisible" in shown, shown


async def test_a_classer_lists_the_oldest_waiting_document_first(mailroom: FakeMailroom) -> None:
    entry = mailroom.documents.entries["d-ambiguous"]
    older = replace(entry.document, date=dt.datetime(2024, 1, 5, tzinfo=dt.UTC), title="Ancien bilan")
    mailroom.documents.entries["d-older"] = FakeEntry("d-older", older, entry.candidates, "review", "waiting")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        docs = app.screen.query_one("#review-docs", OptionList)
        assert [docs.get_option_at_index(i).id for i in range(2)] == ["d-older", "d-ambiguous"]


async def test_u_right_after_a_rejection_takes_it_back_though_the_highlight_moved_on(mailroom: FakeMailroom) -> None:
    """x moves the highlight on to the next waiting document; u then undoes that rejection (the secretary's
    'oops'), not nothing (u did nothing on a waiting document: the rejected one had to be found among the
    hundreds already classed)."""
    mailroom.documents.add_unread_letter()  # a second waiting document for the highlight to move on to
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        docs = app.screen.query_one("#review-docs", OptionList)
        first = docs.get_option_at_index(docs.highlighted or 0).id
        await pilot.press("x", "o")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("reject", first, None)]
        assert docs.get_option_at_index(docs.highlighted or 0).id != first  # moved on
        await pilot.press("u")
        await settle(app, pilot)
        assert mailroom.documents.decisions[-1] == ("undo", first, None)
        assert docs.get_option_at_index(docs.highlighted or 0).id == first  # back on it, waiting again
        toasts = [n.message for n in app._notifications]
        assert toasts[-1] == "Rejet annulé : le document attend une décision"  # not 'Classement annulé'
        assert not any("Classement annulé" in m for m in toasts)


async def test_an_unknown_sex_is_a_dash_not_the_letter_u(mailroom: FakeMailroom) -> None:
    """The core's 'U' (unknown) was shown as is on the French screen ('Sexe  U'): a dash, as for a missing
    INS; M and F stay as written."""
    mailroom.documents.add_unread_letter()  # no identity read: sex unknown
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-letter")
        assert sex_row(app) == ["—"]
        await open_review_at(app, pilot, "d-ambiguous")
        assert sex_row(app) == ["—", "F"]  # the document says nothing of it; the patient F


def sex_row(app: MissiveApp) -> list[str]:
    """The values on the comparison's Sexe line (the document's, then the patient's)."""
    [line] = [line for line in text_of(app, "#review-compare").splitlines() if "Sexe" in line]
    return line.split("Sexe", 1)[1].split()


def test_the_patient_search_line_leaves_an_unknown_sex_out() -> None:
    """The search's rows and its confirmation question ended 'né … U — P123' for a patient of unknown sex."""
    from tui.panes.patient_search import patient_line

    known = Patient("p-1", "DUPONT", "", ("Jeanne",), dt.date(1956, 3, 14), "F")
    assert patient_line(known) == "DUPONT Jeanne — 14/03/1956 F — p-1"
    assert patient_line(replace(known, sex="U")) == "DUPONT Jeanne — 14/03/1956 — p-1"


def test_the_matcher_marks_a_candidate_another_record_may_be() -> None:
    """Two records with the very same traits (a true homonym, or a duplicate): the matcher proposes both and
    says of each that another record shares its traits; a lone record has no rival."""
    from core.clinical.matching import PatientIndex

    jeanne = Patient("p-1", "DUPONT", "", ("Jeanne",), dt.date(1956, 3, 14), "F")
    twin = replace(jeanne, id="p-9")
    result = PatientIndex([jeanne, twin]).match(JEANNE)
    assert result.decision == "review"
    assert {c.patient_id for c in result.candidates} == {"p-1", "p-9"}
    assert all(c.rival == "homonyme : un autre dossier partage ces traits" for c in result.candidates)
    alone = PatientIndex([jeanne]).match(JEANNE)
    assert all(not c.rival for c in alone.candidates)


async def test_filing_to_one_of_two_homonyms_asks_first_and_names_the_record(mailroom: FakeMailroom) -> None:
    """The secretary's Entrée on the first of two records that share every trait filed the document to it,
    though the document cannot tell them apart (the demo's GARCIA Hervé Paul went to the wrong twin): it is a
    deliberate question naming the record, answered by o only."""
    from tui.panes.confirm import ConfirmScreen

    entry = mailroom.documents.entries["d-ambiguous"]
    homonym = ("nom identique", "prénom identique", "homonyme : un autre dossier partage ces traits")
    mailroom.patients.by_id["p-9"] = replace(mailroom.patients.by_id["p-1"], id="p-9")
    mailroom.documents.entries["d-ambiguous"] = replace(
        entry, candidates=(Candidate("p-1", 0.9, homonym), Candidate("p-9", 0.9, homonym))
    )
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        assert not [line for line in text_of(app, "#review-compare").splitlines() if line.startswith("≠")]
        await pilot.press("enter", "enter")  # the Entrée that files, pressed twice in a hurry
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen), "filed to one of two homonyms without a question"
        said = " ".join(question(app).split())
        assert "Un autre dossier du fichier patients pourrait être cette même personne" in said
        assert "logiciel métier" in said and "Classer pour le dossier n° p-1 ?" in said
        assert mailroom.documents.decisions == []
        await pilot.press("n")
        await settle(app, pilot)
        assert mailroom.documents.decisions == []
        await pilot.press("tab", "enter")  # the other record, after checking in the practice software
        await settle(app, pilot)
        assert "n° p-9" in question(app)
        await pilot.press("o")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-9")]


async def test_three_enter_in_the_patient_search_never_file_for_a_patient_whose_traits_differ(
    mailroom: FakeMailroom,
) -> None:
    """Search, choose, confirm: three Entrée (or a double click) in the patient search filed the result for a
    namesake whose given names or birth date differ, where À classer asks and only o answers (gp9)."""
    from tui.panes.confirm import ConfirmScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _patient_search(app, pilot)
        await pilot.press(*"dupond")
        await settle(app, pilot)
        await pilot.press("enter", "enter", "enter", "enter")  # in a hurry, or typed ahead
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and "Des traits diffèrent" in question(app)
        assert mailroom.documents.decisions == []
        await pilot.press("n")
        await settle(app, pilot)
        assert mailroom.documents.decisions == []
        await pilot.press("enter", "enter")  # chosen again, then confirmed
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-2")]


async def test_the_patient_search_files_for_a_patient_whose_traits_agree_after_two_enter(
    mailroom: FakeMailroom,
) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _patient_search(app, pilot)
        await pilot.press("enter", "enter", "enter")  # DUPONT Jeanne: every trait agrees
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-1")]
