"""À classer at 80x24, a clinical file the reader refused (the core's state ``unreadable``): listed among the
documents waiting (✗, its file's name), counted in the status bar, its card saying what could not be read (the
core's words) and what to do; x marks it dealt with after a yes (through the façade's ``mark_dealt_with``), u
takes that back; p files it by hand to a patient found by search."""

from __future__ import annotations

from textual.widgets import OptionList, Static

from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import open_review_at, text_of, until
from tui.app import MissiveApp
from tui.panes.confirm import ConfirmScreen
from tui.panes.patient_search import PatientSearchScreen
from tui.panes.review import ReviewPane


async def test_an_unreadable_file_is_shown_counted_and_dealt_with(mailroom: FakeMailroom) -> None:
    mailroom.documents.add_unreadable()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-unreadable")
        assert "À classer : 2" in text_of(app, "#status-counts")  # the ambiguous result and the unreadable file
        docs = app.screen.query_one("#review-docs", OptionList)
        assert docs.highlighted == 0  # right after the critical results: before the ambiguous one
        row = str(docs.get_option_at_index(0).prompt)
        assert row.startswith("✗ ") and "res.hpr — fichier illisible : à voir" in row
        compare = app.screen.query_one("#review-compare", Static)
        assert "fichier HL7 v2 reçu mais illisible : le fichier HL7 contient une ligne" in str(compare.render())
        assert "Fichier reçu que missive ne sait pas lire" in str(compare.border_title)
        candidates = app.screen.query_one("#review-candidates", OptionList)
        todo = [str(candidates.get_option_at_index(n).prompt) for n in range(candidates.option_count)]
        assert "Ouvrez la lettre" in todo[0] and "demandez à l'expéditeur" in todo[0] and "res.hpr" in todo[0]
        # another file glued on (it may be another patient's): x only, p does nothing
        assert "ne peut pas être classé tel quel" in todo[1] and "x : le marquer traité" in todo[1]
        await pilot.press("p")
        await settle(app, pilot)
        assert not isinstance(app.screen, PatientSearchScreen)

        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and "Marquer traité" in app.screen.question
        await pilot.press("o")
        await settle(app, pilot)
        assert mailroom.documents.entries["d-unreadable"].state == "dealt"
        assert ("dealt", "d-unreadable", None) in mailroom.documents.decisions
        assert "À classer : 1" in text_of(app, "#status-counts")
        assert "d-unreadable" not in [docs.get_option_at_index(n).id for n in range(docs.option_count)]

        await pilot.press("u")  # taken back: in front of a person again
        await settle(app, pilot)
        assert mailroom.documents.entries["d-unreadable"].state == "unreadable"
        assert "À classer : 2" in text_of(app, "#status-counts")
        assert any(n.message == "Fichier illisible remis à classer" for n in app._notifications)

        # a file refused for another reason (its MSH not first): filed by hand, to a patient found by search
        mailroom.documents.entries["d-unreadable"].unreadable = "clinical.hl7v2.msh-pas-en-tete"
        app.screen.query_one("#review", ReviewPane).reload()
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-unreadable")
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        results = app.screen.query_one("#patient-results", OptionList)
        await pilot.press(*"02/11/1948")  # by birth date
        await until(pilot, lambda: results.option_count == 1, "one patient born that day")
        await pilot.press("enter", "enter")  # to the results, then choose: the traits, and a question
        await pilot.pause()
        assert mailroom.documents.entries["d-unreadable"].state == "unreadable"  # nothing before the yes
        await pilot.press("enter")
        await settle(app, pilot)
        assert mailroom.documents.entries["d-unreadable"].state == "filed"
        assert ("file", "d-unreadable", "p-3") in mailroom.documents.decisions


async def test_the_keys_line_says_what_x_does_to_the_selected_document(mailroom: FakeMailroom) -> None:
    """x's word on the keys line follows the document: "Marquer traité" on a file that could not be read (the
    core's ``set_aside``: what the card and the question say), "Rejeter" on the next one; nothing cut at 80x24."""
    from tui.widgets.footer import KeyFooter

    mailroom.documents.add_unreadable()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-unreadable")
        footer = app.screen.query_one(KeyFooter)

        def x_word() -> str:
            placed = {item.key_display: (item, start, end) for item, start, end in footer.placed()}
            item, start, end = placed["x"]
            _palette, palette_x, _ = placed["Ctrl+p"]
            assert end < palette_x and end - start == sum(map(len, item.cells_for(footer.compact)))  # not cut
            return str(item.description)

        assert x_word() == "Marquer traité"
        assert " x Marquer traité " in footer.render_line(0).text and "Rejeter" not in footer.render_line(0).text
        await pilot.press("down")  # the ambiguous result: x rejects it
        await settle(app, pilot)
        assert app.screen.query_one("#review-docs", OptionList).get_option_at_index(1).id != "d-unreadable"
        assert x_word() == "Rejeter"
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen) and "Marquer traité" not in app.screen.question
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.press("up")  # back on the unreadable file: its word again
        await settle(app, pilot)
        assert x_word() == "Marquer traité"
