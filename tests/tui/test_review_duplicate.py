"""À classer at 80x24, a document received a second time (the same file in another letter): listed among the
decided ones as a duplicate of the first, the core's words saying where that one stands; no key decides on it."""

from __future__ import annotations

from textual.widgets import OptionList

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import open_review_at
from tui.app import MissiveApp
from tui.panes.review import ReviewPane


async def test_a_duplicate_is_shown_as_such_and_nothing_decides_on_it(mailroom: FakeMailroom) -> None:
    mailroom.documents.add_duplicate()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-copy")
        docs = app.screen.query_one("#review-docs", OptionList)
        row = str(docs.get_option_at_index(docs.highlighted).prompt)
        assert row.startswith("= ") and "doublon de d-ambiguous" in row
        assert "1 doublons" in str(docs.border_subtitle) and "1 à classer" in str(docs.border_subtitle)
        candidates = app.screen.query_one("#review-candidates", OptionList)
        shown = [str(candidates.get_option_at_index(n).prompt) for n in range(candidates.option_count)]
        assert shown == ["doublon du document d-ambiguous (en attente de classement)"]
        for key in ("enter", "x", "u", "p"):  # file, reject, undo, find a patient: none applies to a copy
            await pilot.press(key)
            await settle(app, pilot)
        assert mailroom.documents.decisions == []
        assert mailroom.documents.entries["d-copy"].state == "duplicate"
        pane = app.screen.query_one(ReviewPane)
        assert not any(pane.check_action(a, ()) for a in ("undo", "file_document", "reject", "find_patient"))


async def test_a_decided_documents_candidates_box_does_not_offer_the_keys_of_a_waiting_one(
    mailroom: FakeMailroom,
) -> None:
    """A filed document showed « Patients candidats (Tab : suivant, Entrée : classer, p : autre patient) » over
    an empty box, where none of those keys does anything: the title says u undoes the filing, and a copy that
    nothing decides on."""
    mailroom.documents.add_duplicate()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-auto")
        candidates = app.screen.query_one("#review-candidates", OptionList)
        assert str(candidates.border_title) == "Classé (u : annuler le classement)"
        await open_review_at(app, pilot, "d-copy")
        assert str(candidates.border_title) == "Doublon : rien à décider ici"
        await open_review_at(app, pilot, "d-ambiguous")
        assert str(candidates.border_title).startswith("Patients candidats (Tab : suivant")


async def test_enter_on_a_filed_document_says_what_it_is_and_what_can_be_done(mailroom: FakeMailroom) -> None:
    """Entrée on a document already filed said nothing: it says, in the core's words, how, when, for whom and
    under which file name it was filed, and that u undoes the filing; the same words stand in its box. A copy
    says which document stands for it. Nothing is decided by it."""
    mailroom.documents.add_duplicate()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-auto")
        note = "pour le patient p-1 : fichier d-auto.hpr du dossier d'import"
        candidates = app.screen.query_one("#review-candidates", OptionList)
        shown = [str(candidates.get_option_at_index(n).prompt) for n in range(candidates.option_count)]
        assert any(s.startswith("classé automatiquement le 02/06/2025") and note in s for s in shown)
        before = len(app._notifications)
        await pilot.press("enter")
        await settle(app, pilot)
        said = [str(n.message) for n in list(app._notifications)[before:]]
        assert any(note in s and "u : annuler le classement" in s for s in said), said
        await open_review_at(app, pilot, "d-copy")
        await pilot.press("enter")
        await settle(app, pilot)
        assert any("doublon du document d-ambiguous" in str(n.message) for n in app._notifications)
        assert mailroom.documents.decisions == []
