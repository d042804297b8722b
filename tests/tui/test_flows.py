"""Pilot tests of each flow a doctor goes through, driven by the keyboard only."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from core.config import Settings
from core.events import SendFailed, SyncState
from tests.tui.conftest import settle
from tests.tui.fakes import PASSPHRASE, FakeMailroom, opener_for
from tui.app import MainScreen, MissiveApp
from tui.panes.lock import LockScreen
from tui.widgets.message_list import MessageList


def text_of(app: MissiveApp, selector: str) -> str:
    if selector.startswith("#reader-"):  # the reader's parts are lines of one widget: #reader-headers, -body...
        from tui.panes.reader import Reader

        return app.screen.query_one(Reader).section_text(selector.removeprefix("#reader-"))
    return str(app.screen.query_one(selector, Static).render())


async def until(pilot, reached: Callable[[], bool], what: str, deadline: float = 20.0) -> None:
    """Let the app run until ``reached()`` (a debounce timer fired, a worker answered); a generous deadline
    only turns a hang into a failure that says what never happened."""
    loop = asyncio.get_running_loop()
    end = loop.time() + deadline
    while not reached():
        if loop.time() > end:
            raise AssertionError(f"never reached: {what}")
        await pilot.pause(0.05)


async def test_read_a_verified_lab_result(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.has_focus
        assert msg_list.current.id == "m-lab"  # newest first
        await pilot.press("enter")
        await settle(app, pilot)
        assert "certificat valide" in text_of(app, "#reader-signature")
        assert "biologie@labo-test.mssante.fr" in text_of(app, "#reader-signature")
        results = text_of(app, "#reader-documents")
        potassium = next(line for line in results.splitlines() if "Potassium" in line)
        sodium = next(line for line in results.splitlines() if "Sodium" in line)
        assert potassium.startswith("↑")  # abnormal: a symbol, not only a colour
        assert not sodium.strip().startswith(("↑", "↓", "!"))
        assert "2 anormaux ·" in results and "anormal(aux)" not in results  # French plural, not '(aux)'
        assert "m-lab" in mailroom.messages.seen  # opening marks it read
        # whose result it is: the identity as the document states it, and where the queue filed it
        said = " ".join(results.split())
        assert "Patient (selon le document) : DUPONT Jeanne · né(e) le 14/03/1956" in said
        assert "Classé pour DUPONT Jeanne (n° p-1) le 02/06/2025" in said and "(automatiquement)" in said


async def test_list_markers_and_search(mailroom: FakeMailroom) -> None:
    from tui.widgets.message_list import markers

    lab = mailroom.messages.items["m-lab"]
    assert markers(lab) == "●✓ +! "
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("slash", *"durand")
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert [s.id for s in msg_list.rows] == ["m-letter"]
        await pilot.press("escape")
        assert len(msg_list.rows) == 2  # the third, from outside the trust space, is in Quarantaine


async def test_search_by_patient_name_blind_to_accents_and_says_when_nothing_is_found(
    mailroom: FakeMailroom,
) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        await pilot.press("slash", *"resultats")  # "Résultats" without its accent
        await settle(app, pilot)
        assert [s.id for s in msg_list.rows] == ["m-lab"]
        app.screen.query_one("#inbox-search", Input).value = ""
        await pilot.press(*"jeanne")  # the patient the colleague's letter brought a document about
        await settle(app, pilot)
        assert [s.id for s in msg_list.rows] == ["m-lab", "m-letter"]
        app.screen.query_one("#inbox-search", Input).value = "zorglub"
        await settle(app, pilot)
        assert msg_list.rows == [] or len(msg_list.rows) == 0
        assert msg_list.border_subtitle == "aucun résultat pour « zorglub »"


async def test_file_an_ambiguous_result_to_the_right_patient(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        compare = text_of(app, "#review-compare")
        assert "≠" in compare and "DUPOND" in compare  # first candidate differs by its name
        await pilot.press("tab")  # next candidate: DUPONT Jeanne, the right one
        await pilot.pause()
        compare = text_of(app, "#review-compare")
        assert "DUPOND" not in compare
        await pilot.press("enter")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-1")]
        assert "0 à classer" in str(app.screen.query_one("#review-docs").border_subtitle)


async def test_undo_an_automatic_filing(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("down", "u")
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("undo", "d-auto", None)]


async def test_after_undo_the_highlight_stays_on_that_document_and_hand_filing_is_not_auto(
    mailroom: FakeMailroom,
) -> None:
    """A second u never undoes someone else's filing; a filing by hand is not labelled "auto"."""
    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        await pilot.press("tab", "enter")  # d-ambiguous filed by hand to DUPONT Jeanne
        await settle(app, pilot)
        pane = app.screen.query_one("#review")
        assert pane.current.id == "d-letter"  # on to the next waiting document
        docs = app.screen.query_one("#review-docs", OptionList)
        labels = {docs.get_option_at_index(i).id: str(docs.get_option_at_index(i).prompt)
                  for i in range(docs.option_count)}  # fmt: skip
        assert "classé à la main" in labels["d-ambiguous"] and "auto" not in labels["d-ambiguous"]
        assert "(auto" in labels["d-auto"]
        await pilot.press("j", "j")  # j/k move in À classer too
        assert pane.current.id == "d-auto"
        await pilot.press("k", "j", "u")
        await settle(app, pilot)
        assert pane.current.id == "d-auto"  # it waits again, and the highlight is still on it
        await pilot.press("u")  # nothing to undo on a waiting document: nobody else's filing undone
        await settle(app, pilot)
        assert mailroom.documents.decisions == [("file", "d-ambiguous", "p-1"), ("undo", "d-auto", None)]


async def test_a_search_never_leaves_the_highlight_on_a_hidden_document(mailroom: FakeMailroom) -> None:
    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        pane = app.screen.query_one("#review")
        await pilot.press("down", "down")
        assert pane.current.id == "d-auto"
        await pilot.press("slash", *"courrier")
        await settle(app, pilot)
        assert pane.current.id == "d-letter"  # the only one shown
        await pilot.press("backspace", "backspace", "backspace", "backspace", "backspace", "backspace")
        await pilot.press("backspace", "backspace")
        await settle(app, pilot)
        assert pane.current.id == "d-letter"  # still on the document the doctor was looking at


async def test_write_and_send_a_letter_to_a_colleague_found_in_annuaire(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await pilot.pause()
        await pilot.press(*"cardio", "enter")
        await settle(app, pilot)
        await pilot.press("enter")
        await settle(app, pilot)
        to = app.screen.query_one("#compose-to", Input)
        assert to.value == "claire.martin@chu-test.mssante.fr"
        await until(
            pilot, lambda: "La lettre partira chiffrée" in text_of(app, "#compose-recipients"), "the check"
        )
        assert app.screen.focused is app.screen.query_one("#compose-subject")
        await pilot.press(*"Avis", "tab")
        await pilot.press(*"Chere consoeur")
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the letter handed to send")
        await settle(app, pilot)
        draft = mailroom.sent[0]
        assert draft.to == ("claire.martin@chu-test.mssante.fr",)
        assert draft.subject == "Avis" and draft.body.startswith("Chere consoeur")
        assert app.screen.query_one("#compose-to", Input).value == ""  # a fresh letter after sending


async def test_refused_recipient_blocks_sending(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*"someone@gmail.test")
        # the check of the whole address (one made on the way, "someone@gmail.", refuses as well)
        await until(
            pilot, lambda: "someone@gmail.test est" in text_of(app, "#compose-recipients"), "the check", 30
        )
        said = " ".join(text_of(app, "#compose-recipients").split())
        assert "La lettre ne partira pas : someone@gmail.test est hors de l'espace de confiance" in said  # once
        await pilot.press("f9")  # send (F5 is Annuaire)
        await settle(app, pilot)
        assert any("hors de l'espace de confiance" in n.message for n in app._notifications)
        assert mailroom.sent == []


async def test_one_unknown_certificate_sends_the_whole_letter_in_clear_and_the_composer_says_so(
    mailroom: FakeMailroom,
) -> None:
    """The indicator is the core's decision for the whole letter, not a mark per recipient."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        app.screen.query_one(
            "#compose-to", Input
        ).value = "claire.martin@chu-test.mssante.fr, paul.martinez@clinique.mssante.fr"
        await until(pilot, lambda: "partira" in text_of(app, "#compose-recipients"), "the check")
        said = " ".join(text_of(app, "#compose-recipients").split())
        assert "La lettre partira en clair" in said
        assert ": certificat inconnu pour paul.martinez@clinique.mssante.fr" in said
        assert "chiffré" not in said.replace("chiffrement", "")
        assert "claire.martin@chu-test.mssante.fr (certificat connu)" in said
        app.screen.query_one("#compose-to", Input).value = "claire.martin@chu-test.mssante.fr"
        await until(pilot, lambda: "chiffrée" in text_of(app, "#compose-recipients"), "the second check")
        assert "non signée" in text_of(app, "#compose-recipients")  # this profile has no key of its own


async def test_address_completion_from_the_directory(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"paul")
        to = app.screen.query_one("#compose-to", Input)
        await until(pilot, lambda: bool(to._suggestion), "the address suggested")
        await pilot.press("right")  # accept the suggestion
        assert to.value == "paul.martinez@clinique.mssante.fr"


async def test_reply_prefills_the_letter(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "enter")
        await settle(app, pilot)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "dr.durand@chu-test.mssante.fr"
        assert app.screen.query_one("#compose-subject", Input).value == "Re: Compte rendu de consultation"
        body = app.screen.query_one("#compose-body", TextArea).text
        assert "> Votre patiente va bien." in body
        # the attribution line above the quote: the original's date and sender, in French
        attribution = "Le 1er juin 2025 à 09:30, dr.durand@chu-test.mssante.fr a écrit :\n> Cher confrère,"
        assert attribution in body


async def test_drafts_are_saved_as_you_type(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("tab", "tab", *"Brouillon")

        def saved() -> list[str]:
            return [saved.draft.subject for saved in mailroom.drafts()]

        await until(pilot, lambda: saved() == ["Brouillon"], "the draft saved after a pause in typing")


async def test_unlock_with_the_passphrase_then_lock_and_unlock_again() -> None:
    mailroom = FakeMailroom()
    app = MissiveApp("/nonexistent", opener=opener_for(mailroom))
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*"wrong", "enter")
        await settle(app, pilot)
        assert "refusée" in text_of(app, "#lock-error")
        assert isinstance(app.screen, LockScreen)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        await pilot.press("2")  # nothing behind the lock answers
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)
        assert app.screen.query_one("#lock-passphrase", Input).value == "2"
        await pilot.press("backspace", *PASSPHRASE, "enter")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)


async def test_idle_time_locks_the_app(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom, settings=dataclasses.replace(Settings(), idle_lock_minutes=1))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app._last_activity -= 61  # a minute without a key
        app._check_idle()
        await pilot.pause()
        assert isinstance(app.screen, LockScreen)


async def test_english_changes_titles_and_key_labels(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom, lang="en")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        tabs = " ".join(str(w.render()) for w in app.screen.query(".tab"))
        assert "Inbox" in tabs and "Directory" in tabs and "Réception" not in tabs
        labels = {b.binding.description for b in app.screen.active_bindings.values()}
        assert "Reply" in labels and "Répondre" not in labels


async def test_english_names_the_kind_of_a_document_to_file(mailroom: FakeMailroom) -> None:
    """To file's list said "[biologie]" in English: the kinds are the core's codes (French words), said through
    the catalogues."""
    from textual.widgets import OptionList

    app = MissiveApp(mailroom=mailroom, lang="en")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        listed = app.screen.query_one("#review-docs", OptionList)
        lines = [str(listed.get_option_at_index(i).prompt) for i in range(listed.option_count)]
        assert any("[biology]" in line for line in lines), lines
        assert not any("[biologie]" in line for line in lines)
        await pilot.press("1", "enter")  # the lab result, filed: "(no. p-1)", not the French "n°"
        await settle(app, pilot)
        said = " ".join(text_of(app, "#reader-documents").split())
        assert "Filed for DUPONT Jeanne (no. p-1)" in said, said


async def test_remapped_key_from_settings(mailroom: FakeMailroom) -> None:
    settings = dataclasses.replace(Settings(), keys={"inbox.reply": "f9", "no.such": "x"})
    app = MissiveApp(mailroom=mailroom, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f9")
        # the reply is filled once its letter is read (a worker): waited for, not assumed after one settle
        await until(
            pilot,
            lambda: bool(app.screen.query("#compose-to"))
            and app.screen.query_one("#compose-to", Input).value == "biologie@labo-test.mssante.fr",
            "the reply's recipient",
            30,
        )
        assert any("no.such" in n.message for n in app._notifications)


async def test_help_lists_every_binding(mailroom: FakeMailroom) -> None:
    from tui import keymap

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = "\n".join(str(w.render()) for w in app.screen.query("#help-body Static").results(Static))
        for spec in keymap.KEYS:
            assert spec.description in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_help_names_keys_in_french_and_wraps_under_the_description(mailroom: FakeMailroom) -> None:
    """At 80x24 the help said 'enter', 'esc', 'space', 'minus' and 'tab' on a French screen, wrapped the
    descriptions to the first column, and told that u in À classer undoes 'un classement automatique' (it
    undoes the last filing or rejection)."""
    from tui import keymap

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        keys = list(app.screen.query(".help-key").results(Static))
        whats = list(app.screen.query(".help-what").results(Static))
        assert len(keys) == len(whats) == len(keymap.KEYS)
        rows = zip(keymap.KEYS, keys, whats, strict=True)
        shown = {spec.id: (str(k.render()), str(w.render())) for spec, k, w in rows}
        assert shown["review.file"][0] == "Entrée" and shown["reader.back"][0] == "q, Échap"
        assert shown["reader.page_down"][0] == "Espace" and shown["reader.page_up"][0] == "-, b"
        assert shown["review.next"][0] == "Tab" and shown["app.help"][0] == "F1, ?"
        for english in ("enter", "escape", "esc", "space", "minus", "tab"):
            assert all(english not in key.split(", ") for key, _ in shown.values()), english
        assert "classement ou rejet" in shown["review.undo"][1] and "automatique" not in shown["review.undo"][1]
        assert "illisible : le marquer traité" in shown["review.reject"][1]  # x on a file that could not be read
        # every description starts in the same column, and its wrapped lines stay under it
        assert len({w.region.x for w in whats}) == 1 and whats[0].region.x > 16
        assert all(w.region.right <= 80 for w in whats)
        assert any(w.region.height > 1 for w in whats)  # some wrap at 80 columns: under the description


async def test_an_empty_profile_shows_empty_states(tmp_path) -> None:
    from core.mailroom import Mailroom

    app = MissiveApp(mailroom=Mailroom.create(tmp_path / "p", PASSPHRASE))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert "Aucun message" in text_of(app, "#inbox-empty")
        await pilot.press("2")
        await settle(app, pilot)
        assert "Aucun document" in text_of(app, "#review-empty")


async def test_engine_events_reach_the_status_bar_and_toasts(mailroom: FakeMailroom) -> None:
    from tui.widgets.status_bar import StatusBar

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        mailroom.emit(SyncState("cabinet", "offline", since="09:30"))
        mailroom.emit(SendFailed("e-1", "serveur injoignable"))
        await settle(app, pilot)
        status = str(app.screen.query_one(StatusBar).query_one("#status-accounts", Static).render())
        assert "hors ligne (09:30)" in status
        assert any("serveur injoignable" in n.message for n in app._notifications)
        assert app.screen.query_one(MessageList).rows  # the cached view stays


# -- leaving text fields (issue 6) ------------------------------------------------------------------------
def shown_pane(app: MissiveApp) -> str:
    from textual.widgets import ContentSwitcher

    return str(app.screen.query_one(ContentSwitcher).current)


async def test_f2_to_f5_switch_panes_from_inside_text_fields(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        to = app.screen.query_one("#compose-to", Input)
        assert to.has_focus
        await pilot.press(*"1234")  # in a text field the digits are text
        assert to.value == "1234" and shown_pane(app) == "compose"
        await pilot.press("f5")
        await settle(app, pilot)
        search = app.screen.query_one("#directory-search", Input)
        assert shown_pane(app) == "directory" and search.has_focus
        await pilot.press("slash")  # the pane's search key, as Réception's: not typed into the field
        await pilot.press(*"cardio")
        await settle(app, pilot)
        assert search.value == "cardio"
        await pilot.press("f3")
        await settle(app, pilot)
        assert search.value == "cardio" and shown_pane(app) == "review"
        await pilot.press("f4")
        await settle(app, pilot)
        assert shown_pane(app) == "compose" and to.value == "1234"  # the letter is where it was left
        await pilot.press("f2")
        await settle(app, pilot)
        assert shown_pane(app) == "inbox" and app.screen.query_one(MessageList).has_focus


async def test_escape_leaves_the_composer_and_the_draft_is_kept(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("tab", "tab", *"Avis", "tab", *"Chère consœur")
        assert app.screen.query_one("#compose-body", TextArea).has_focus
        await pilot.press("escape")  # asks nothing: the draft is saved at once, encrypted
        await settle(app, pilot)
        assert shown_pane(app) == "inbox" and app.screen.query_one(MessageList).has_focus
        saved = [d.draft for d in mailroom.drafts()]
        assert [(d.subject, d.body) for d in saved] == [("Avis", "Chère consœur")]
        await pilot.press("3")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Avis"


async def test_escape_in_the_attachment_path_closes_only_the_path(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("ctrl+o", *"/tmp/x")
        path = app.screen.query_one("#compose-attach-path", Input)
        assert path.has_focus and path.display
        await pilot.press("escape")
        await pilot.pause()
        assert shown_pane(app) == "compose" and not path.display and path.value == ""
        assert app.screen.query_one("#compose-body", TextArea).has_focus


async def test_escape_in_the_annuaire_search_goes_to_the_results_or_back(mailroom: FakeMailroom) -> None:
    from tui.widgets.footer import KeyFooter

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        results = app.screen.query_one("#directory-results", OptionList)
        await pilot.press(*"martin")
        await until(pilot, lambda: results.option_count == 2, "the two MARTIN* found")
        await pilot.press("escape")
        await pilot.pause()
        assert results.has_focus
        assert "Échap" in str(app.screen.query_one(KeyFooter).render_line(0).text)  # the keys line offers it
        await pilot.press("escape")  # in the results: back to Réception (it did nothing there)
        await settle(app, pilot)
        assert shown_pane(app) == "inbox"
        await pilot.press("4")
        await settle(app, pilot)
        await pilot.press("slash", "ctrl+a", *"personne")
        await until(pilot, lambda: not results.display, "nobody found")
        await pilot.press("escape")  # no results to go to: back to Réception
        await settle(app, pilot)
        assert shown_pane(app) == "inbox"


async def test_escape_in_a_classer_closes_the_filter_then_leads_back(mailroom: FakeMailroom) -> None:
    """Escape always leads back: in À classer it closed the documents' filter, and without one did nothing."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await settle(app, pilot)
        search = app.screen.query_one("#review-search", Input)
        await pilot.press("slash", *"dup")
        await settle(app, pilot)
        assert search.display and search.has_focus
        await pilot.press("escape")  # the filter first
        await settle(app, pilot)
        assert shown_pane(app) == "review" and not search.display
        assert app.screen.query_one("#review-docs", OptionList).has_focus
        await pilot.press("escape")  # then back
        await settle(app, pilot)
        assert shown_pane(app) == "inbox"


async def test_down_in_the_annuaire_search_goes_to_the_results_and_entree_writes(mailroom: FakeMailroom) -> None:
    """As in the patient search: "martin ↓ Entrée" writes to the first address found (↓ did nothing, so Entrée
    only went to the results and a second Entrée was needed)."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await settle(app, pilot)
        results = app.screen.query_one("#directory-results", OptionList)
        await pilot.press(*"martin")
        await until(pilot, lambda: results.option_count == 2, "the two MARTIN* found")
        await pilot.press("down")
        await pilot.pause()
        assert results.has_focus and results.highlighted == 0
        await pilot.press("enter")
        await settle(app, pilot)
        assert shown_pane(app) == "compose"
        assert app.screen.query_one("#compose-to", Input).value.startswith("claire.martin@chu-test.mssante.fr")


async def test_the_footer_shows_the_pane_keys_in_every_pane_at_80_columns(mailroom: FakeMailroom) -> None:
    from tui.widgets.footer import KeyFooter

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        for key, pane, own in (("f3", "review", "x"), ("f4", "compose", "Échap"), ("f5", "directory", "Échap"),
                               ("f2", "inbox", "c")):  # fmt: skip
            await pilot.press(key)
            await settle(app, pilot)
            assert shown_pane(app) == pane
            footer = app.screen.query_one(KeyFooter)
            placed = {item.key_display: (item, start, end) for item, start, end in footer.placed()}
            assert "F2-F5" in placed and placed["F2-F5"][0].description == "Volets"
            assert "F1" in placed and own in placed, (pane, sorted(placed))
            _palette, palette_x, _ = placed.pop("Ctrl+p")  # on the right: the other keys must end before it
            for item, start, end in placed.values():  # nothing cut or pushed out of sight at 80 columns
                assert end - start == sum(map(len, item.cells_for(footer.compact))), (pane, item.key_display)
                assert end < palette_x, (pane, item.key_display, start, end)
            line = footer.render_line(0).text
            assert f"{own} " in line and "F2-F5 Volets" in line and line.rstrip().endswith("Ctrl+p palette")


# -- filing by hand (issue 6) -----------------------------------------------------------------------------
async def open_review_at(app: MissiveApp, pilot, doc_id: str) -> None:
    await pilot.press("2")
    await settle(app, pilot)
    docs = app.screen.query_one("#review-docs", OptionList)
    while docs.get_option_at_index(docs.highlighted or 0).id != doc_id:
        await pilot.press("down")
    await pilot.pause()


async def test_an_unread_letter_is_filed_to_a_patient_found_by_search(mailroom: FakeMailroom) -> None:
    from tui.panes.patient_search import PatientSearchScreen

    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-letter")
        docs = app.screen.query_one("#review-docs", OptionList)
        assert "(identité non lue)" in str(docs.get_option_at_index(docs.highlighted).prompt)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        assert "(identité non lue)" in text_of(app, "#patient-document")
        results = app.screen.query_one("#patient-results", OptionList)
        await pilot.press(*"02/11/1948")  # by birth date
        await until(pilot, lambda: results.option_count == 1, "one patient born that day")
        await pilot.press("enter", "enter")  # to the results, then choose: the traits, and a question
        await pilot.pause()
        compare = text_of(app, "#patient-compare")
        assert "MARTIN" in compare and "02/11/1948" in compare and "Louise Élise" in compare
        confirm = text_of(app, "#patient-confirm")
        assert "LEROY" in confirm and "Entrée : oui" in confirm
        assert mailroom.documents.decisions == []  # nothing filed before the confirmation
        await pilot.press("enter")
        await settle(app, pilot)
        assert not isinstance(app.screen, PatientSearchScreen)
        assert mailroom.documents.decisions == [("file", "d-letter", "p-3")]
        assert any(n.message == "Document classé" for n in app._notifications)


async def test_down_from_the_patient_search_lands_on_the_first_patient_found(mailroom: FakeMailroom) -> None:
    """"dupon jean ↓": the first patient found is highlighted (it was the second: ↓ moved the focus, then the
    highlight), so "↓ Entrée" asks about the patient listed first."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        await pilot.press("p")
        await settle(app, pilot)
        results = app.screen.query_one("#patient-results", OptionList)
        await pilot.press(*"dupon jean")
        await until(pilot, lambda: results.option_count == 2, "the two DUPON* Jean*")
        await pilot.press("down")
        await pilot.pause()
        assert results.has_focus and results.highlighted == 0


async def test_escape_backs_out_of_the_patient_search_without_filing(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        await pilot.press("p")  # every candidate is wrong: find someone else
        await settle(app, pilot)
        results = app.screen.query_one("#patient-results", OptionList)
        await pilot.press(*"dupon jean")  # every word must match: DUPONT Jeanne and DUPOND Jeannine
        await until(pilot, lambda: results.option_count == 2, "the two DUPON* Jean*")
        await pilot.press("down", "enter")
        await pilot.pause()
        assert "Entrée : oui" in text_of(app, "#patient-confirm")
        await pilot.press("down")  # another patient: the question goes
        await pilot.pause()
        assert text_of(app, "#patient-confirm") == ""
        await pilot.press("enter", "escape")  # asked, then no
        await pilot.pause()
        assert text_of(app, "#patient-confirm") == "" and results.has_focus
        await pilot.press("escape", "escape")  # to the search field, then closed
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen)
        assert mailroom.documents.decisions == []


async def test_enter_on_a_document_without_candidates_opens_the_search(mailroom: FakeMailroom) -> None:
    from tui.panes.patient_search import PatientSearchScreen

    mailroom.documents.add_unread_letter()
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-letter")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        assert mailroom.documents.decisions == []


async def test_new_patient_says_the_practice_software_creates_them_and_opens_the_search(
    mailroom: FakeMailroom,
) -> None:
    from tui.panes.patient_search import PatientSearchScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-ambiguous")
        await pilot.press("n")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        said = [n.message for n in app._notifications if "logiciel métier" in n.message]
        assert len(said) == 1 and "\n" not in said[0]
        assert mailroom.documents.decisions == []


async def test_review_keys_follow_the_highlighted_document(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await open_review_at(app, pilot, "d-auto")  # filed automatically: only undo applies
        await pilot.press("p", "x", "n")
        await settle(app, pilot)
        assert isinstance(app.screen, MainScreen) and mailroom.documents.decisions == []
        shown = {b.binding.action for b in app.screen.active_bindings.values() if b.enabled}
        assert "undo" in shown and "reject" not in shown and "find_patient" not in shown


# -- quarantine (issue 6) ---------------------------------------------------------------------------------
async def test_mail_from_outside_the_trust_space_waits_in_quarantine(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert "m-outsider" not in [s.id for s in msg_list.rows]
        folders = app.screen.query_one("#folders", OptionList)
        labels = [str(folders.get_option_at_index(i).prompt) for i in range(folders.option_count)]
        # the well-known folders in French, with their unread/total counts
        assert [label.split() for label in labels] == [
            ["Réception", "1/2"],
            ["Envoyés", "0/0"],
            ["Quarantaine", "1/1"],
        ]
        await pilot.press("f6", "end", "enter")
        await settle(app, pilot)
        assert [s.id for s in msg_list.rows] == ["m-outsider"]
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Hors espace de confiance" in text_of(app, "#reader-trust")
        await pilot.press("f6", "home", "enter")
        await settle(app, pilot)
        assert [s.id for s in msg_list.rows] == ["m-lab", "m-letter"]


async def test_quarantine_over_the_real_store_and_its_list_index(tmp_path) -> None:
    """The list index carries the quarantine mark: the folders and lists come from it, nothing decoded."""
    from core.mailroom import Mailroom
    from core.store.profile import Profile

    profile = Profile.create(tmp_path / "p", PASSPHRASE)
    docs = {
        f"{i:032x}": {"account": "a", "folder": folder, "uid": i, "subject": f"s{i}", "from": sender,
                      "date": f"2026-01-0{i}T09:00:00+00:00", "flags": ["\\Seen"], **extra}
        for i, folder, sender, extra in (
            (1, "INBOX", "labo@labo.mssante.fr", {}),
            (2, "INBOX", "inconnu@gmail.test", {"trust": "quarantine"}),
            (3, "Envoyés", "dr@cabinet.mssante.fr", {}),
            (4, "INBOX", "autre@exemple.test", {"trust": "quarantine"}),
        )
    }  # fmt: skip
    mailroom = Mailroom(profile)
    mailroom.messages.docs.put_many(docs)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert [s.subject for s in msg_list.rows] == ["s1"]  # Réception: INBOX, the quarantine apart
        folders = app.screen.query_one("#folders", OptionList)
        assert [o.id for o in folders.options] == ["INBOX", "Envoyés", "\\Quarantine"]
        await pilot.press("f6", "end", "enter")
        await settle(app, pilot)
        assert [s.subject for s in msg_list.rows] == ["s4", "s2"]
        assert msg_list.border_subtitle == "2 messages, 0 non lu"
        await pilot.press("f6", "home", "enter")
        await settle(app, pilot)
        assert [s.subject for s in msg_list.rows] == ["s1"]
    assert len(mailroom.messages.list()) == 4  # set apart, never deleted


async def test_reception_lists_the_inbox_only_and_sent_letters_name_their_recipients(
    mailroom: FakeMailroom,
) -> None:
    """Own letters synced into Sent never show in Réception; Envoyés lists them by recipient, and r on one
    writes to its recipients again, not to ourselves."""
    import datetime as dt

    from core.model import MessageSummary
    from tests.tui.fakes import BASE, DOCTOR, plain_message

    mailroom.messages.items["m-sent"] = MessageSummary(
        "m-sent", "cabinet", "Sent", 1, "<sent@test>", DOCTOR, ("claire.martin@chu-test.mssante.fr",),
        "Avis cardiologique", dt.datetime(2025, 6, 3, tzinfo=dt.UTC), flags=("\\Seen",),
    )  # fmt: skip
    mailroom.messages.raw["m-sent"] = plain_message(DOCTOR, "Avis cardiologique", BASE, "Chère consœur,\n")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert "m-sent" not in [s.id for s in msg_list.rows]  # the newest, but not in Réception
        assert msg_list.border_title == "Réception"
        await pilot.press("f6", "down", "enter")
        await settle(app, pilot)
        assert [s.id for s in msg_list.rows] == ["m-sent"] and msg_list.border_title == "Envoyés"
        assert "→ claire.mart" in "".join(seg.text for seg in msg_list.render_line(0)._segments)
        await pilot.press("r")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "claire.martin@chu-test.mssante.fr"


def drafts_of(mailroom: FakeMailroom) -> list[str]:
    return [saved.draft.subject for saved in mailroom.drafts()]


async def test_no_unsent_letter_is_lost_without_a_question(mailroom: FakeMailroom) -> None:
    """q, ctrl+q, c/r/f and F8 ask before a letter being written goes; its draft is saved first."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press(*"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "escape")
        await settle(app, pilot)
        await pilot.press("c")  # a new letter while this one is not sent
        await settle(app, pilot)
        assert "Une lettre est en cours" in str(app.screen.query_one("#confirm-question", Static).render())
        assert drafts_of(mailroom) == ["Avis"]  # saved before the question
        await pilot.press("n")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Avis"  # kept on screen
        await pilot.press("f8")  # discard: asked too
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == "Avis"
        await pilot.press("f2", "q")  # quit from Réception
        await settle(app, pilot)
        assert "pas envoyée" in str(app.screen.query_one("#confirm-question", Static).render())
        await pilot.press("n")
        await settle(app, pilot)
        assert app.is_running and app.return_code is None
        await pilot.press("ctrl+q", "o")
        await settle(app, pilot)
    assert app.return_code == 0
    assert drafts_of(mailroom) == ["Avis"]  # still there for next time


async def test_discarding_a_letter_asks_then_deletes_its_draft(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("tab", "tab", *"Brouillon")
        await until(pilot, lambda: drafts_of(mailroom) == ["Brouillon"], "the draft saved")
        await pilot.press("f8")
        await settle(app, pilot)
        # deleted for good: an Entrée (typed in the letter after a stray F8) does not say yes, only o does
        await pilot.press("enter")
        await settle(app, pilot)
        assert "définitivement" in str(app.screen.query_one("#confirm-question", Static).render())
        assert drafts_of(mailroom) == ["Brouillon"]
        await pilot.press("o")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-subject", Input).value == ""
        assert drafts_of(mailroom) == []
        # F8 again on the empty letter (or Abandonner from the palette) did nothing at all: now it says why
        await pilot.press("f8")
        await settle(app, pilot)
        assert any("rien à abandonner" in str(n.message) for n in app._notifications)


async def test_ctrl_c_and_the_palette_speak_french(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert any("ctrl+q pour quitter" in n.message for n in app._notifications)
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        assert app.screen.query_one(Input).placeholder == "Chercher une commande…"
        await pilot.press(*"zzzzqqq")
        await pilot.pause(1.0)
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("Aucune commande trouvée" in text for text in shown), shown


async def test_the_palette_lists_only_missive_s_commands_in_french(mailroom: FakeMailroom) -> None:
    """Textual's own commands were listed in English ('Theme', 'Quit', 'Keys', 'Maximize', 'Screenshot'), and
    'Screenshot' wrote the screen (patients' names, results) in clear to a file: only missive's commands, in
    the interface's language; the theme chooser is there in French."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for english in ("Theme", "Quit", "Keys", "Maximize", "Minimize", "Screenshot"):
            assert english not in titles, titles
        assert "Thème" in titles and "Quitter" in titles
        await pilot.press("ctrl+p")
        await settle(app, pilot)
        await pilot.press(*"Thème")
        await pilot.pause(1.0)
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen.query_one(Input).placeholder == "Chercher un thème…"


async def test_reply_forward_and_reply_all_act_on_the_highlighted_message(mailroom: FakeMailroom) -> None:
    """r/g/f on a highlighted message the reader does not show quote that message; the reader shows Cc; a
    forward keeps the attachments and the original headers; a reply to all leaves our own address out."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the lab result in the reader
        await settle(app, pilot)
        await pilot.press("down", "r")  # the colleague's letter, highlighted but not opened
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "dr.durand@chu-test.mssante.fr"
        assert "> Votre patiente va bien." in app.screen.query_one("#compose-body", TextArea).text
        await pilot.press("escape", "g")  # reply to all: the other Cc, not ourselves
        await settle(app, pilot)
        await pilot.press("o")  # the letter begun by r is replaced (its draft kept)
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "dr.durand@chu-test.mssante.fr"
        assert app.screen.query_one("#compose-cc", Input).value == "secretariat@chu-test.mssante.fr"
        await pilot.press("escape", "enter")
        await settle(app, pilot)
        assert "Cc : secretariat@chu-test.mssante.fr" in text_of(app, "#reader-headers")
        await pilot.press("up", "f", "o")  # forward the lab result
        await settle(app, pilot)
        pane = app.screen.query_one("#compose")
        assert [a.filename for a in pane.attachments] == ["res.hpr"]
        body = app.screen.query_one("#compose-body", TextArea).text
        assert "De : biologie@labo-test.mssante.fr" in body and "Objet : Résultats DUPONT Jeanne" in body
        assert app.screen.query_one("#compose-subject", Input).value == "Tr: Résultats DUPONT Jeanne"


async def test_small_truths_of_the_inbox(mailroom: FakeMailroom) -> None:
    """The unread count follows a reading; "1 message"; no horizontal scrollbar eats a list row at 80x24;
    a manual lock
    does not say "après inactivité"; the status bar forgets an account removed from the profile."""
    from tui.widgets.status_bar import StatusBar

    app = MissiveApp(mailroom=FakeMailroom(extra_messages=40))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert not msg_list.show_horizontal_scrollbar
        assert msg_list.border_subtitle == "42 messages, 1 non lu"
        await pilot.press("enter")
        await settle(app, pilot)
        assert msg_list.border_subtitle == "42 messages, 0 non lu"
        await pilot.press("slash", *"durand")
        await settle(app, pilot)
        assert msg_list.border_subtitle == "1 trouvé(s)"
        status = app.screen.query_one(StatusBar)
        status.set_account("ancien", "online")
        status.keep_accounts(set())  # what the counts do once the profile lists no such account
        assert "ancien" not in str(status.query_one("#status-accounts", Static).render())
        await pilot.press("ctrl+l")
        await settle(app, pilot)
        prompt = str(app.screen.query_one("#lock-prompt").render())
        assert "inactivité" not in prompt and "Verrouillé" in prompt


async def test_after_sending_the_list_is_back_and_keys_act_on_it(mailroom: FakeMailroom) -> None:
    """A reply sent with ctrl+s left the doctor in an empty letter, its À field focused: '1' pressed to go
    back to Réception was typed there (and kept as a draft). After a letter leaves, Réception is shown, as
    Échap does from a letter; the composer waits with a fresh letter."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "r")
        await settle(app, pilot)
        await pilot.press(*"Merci.", "ctrl+s")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the reply handed to send")
        await settle(app, pilot)
        assert isinstance(app.focused, MessageList), app.focused
        await pilot.press("1", "k")  # up from the letter answered, in the list
        await settle(app, pilot)
        assert drafts_of(mailroom) == []
        assert app.screen.query_one("#compose-to", Input).value == ""  # a fresh letter waits
        assert app.screen.query_one(MessageList).cursor == 0


async def test_a_reply_left_untouched_leaves_no_draft_and_asks_nothing(mailroom: FakeMailroom) -> None:
    """r then Échap, nothing typed: 'Re: …' was kept in Brouillons (the fields filled by the reply counted as
    typing), and quitting asked about 'une lettre pas envoyée'. Nothing was written: nothing is kept, nothing
    asked (as neomutt drops an unmodified message); once a word is typed, it is a draft as before."""
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("down", "r")
        await settle(app, pilot)
        await pilot.pause(1.5)  # past the typing pause that writes a draft
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert drafts_of(mailroom) == []
        assert app.unsent_letter() is None
        await pilot.press("r")  # again, and a word typed: that is a letter being written
        await settle(app, pilot)
        await pilot.press(*"Merci")
        await until(pilot, lambda: drafts_of(mailroom) == ["Re: Compte rendu de consultation"], "the draft")
        await pilot.press(*["backspace"] * 5)  # erased back to the reply as it came: no draft left
        await until(pilot, lambda: drafts_of(mailroom) == [], "the draft gone")
        await pilot.press("ctrl+q")
        await settle(app, pilot)
    assert app.return_code == 0  # no question: nothing typed would be lost


async def test_another_folder_closes_the_message_open_below_the_list(mailroom: FakeMailroom) -> None:
    """The reader kept showing a Réception message under the list of another folder (Envoyés, Brouillons):
    which message was open was not the list's."""
    from tui.panes.inbox import InboxPane
    from tui.panes.reader import Reader

    mailroom.messages.items["m-letter"] = dataclasses.replace(mailroom.messages.items["m-letter"], folder="Sent")
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("enter")  # the lab result, below the list
        await settle(app, pilot)
        pane = app.screen.query_one(InboxPane)
        assert pane.view is not None and app.screen.query_one(Reader).display
        await pilot.press("f6")
        folders = app.screen.query_one("#folders", OptionList)
        folders.highlighted = [o.id for o in folders.options].index("Sent")
        await pilot.press("enter")
        await settle(app, pilot)
        assert pane.view is None and not app.screen.query_one(Reader).display and pane.mode == "list"
        assert [s.id for s in app.screen.query_one(MessageList).rows] == ["m-letter"]


async def test_a_message_come_while_the_list_was_hidden_is_in_sight_when_it_comes_back() -> None:
    """A tester saw Réception come back from a send scrolled one row down, its first message hidden: a letter
    come in while Rédaction was shown moved the cursor one row down (it follows the message it was on), and
    the hidden list, with no height, scrolled to it as if it were one row high. Back in Réception the list
    starts at its first row, the new message, the cursor still on the message it was on."""
    from tui.panes.inbox import InboxPane

    mailroom = FakeMailroom(extra_messages=40)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        was_on = msg_list.current
        assert msg_list.cursor == 0 and was_on is not None
        await pilot.press("c")
        await settle(app, pilot)
        assert not msg_list.is_on_screen
        first = dataclasses.replace(
            was_on, id="m-new", uid=999, subject="Arrivé pendant la lettre", date=was_on.date + dt.timedelta(hours=1)
        )
        mailroom.messages.items["m-new"] = first
        app.screen.query_one(InboxPane).reload()  # as a sync does
        await until(pilot, lambda: len(msg_list.rows) == 43, "the new message listed")
        await settle(app, pilot)
        await pilot.press("escape")
        await settle(app, pilot)
        assert msg_list.is_on_screen and msg_list.current is not None
        assert msg_list.cursor == 1 and msg_list.current.id == was_on.id
        assert msg_list.scroll_offset.y == 0, msg_list.scroll_offset  # the new message in sight



async def _send_letter_to_colleague(pilot: Pilot[object]) -> None:
    """In the composer: a letter « Avis » to Claire Martin, sent with ctrl+s."""
    await pilot.press(*"claire.martin@chu-test.mssante.fr", "tab", "tab", *"Avis", "tab", *"Chere consoeur")
    await pilot.press("ctrl+s")


async def test_a_letter_the_server_did_not_take_is_not_queued_twice(mailroom: FakeMailroom) -> None:
    """The submission server down: ctrl+s puts the letter in the outbox (it leaves by itself later) and said
    so, but the composer kept the letter, so a second ctrl+s queued a second copy: the colleague got it twice
    once the server was back. Now the composer starts a fresh letter, and the failure is said once."""
    mailroom.smtp_down = True
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await _send_letter_to_colleague(pilot)
        await until(pilot, lambda: len(mailroom.outbox) == 1, "the letter in the outbox")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == ""  # a fresh letter: nothing left to send
        assert mailroom.drafts() == []  # nor a draft of it
        said = [n.message for n in app._notifications if "boîte d'envoi" in n.message]
        assert len(said) == 1 and "gardée dans la boîte d'envoi" in said[0], said
        await pilot.press("3", "ctrl+s")
        await settle(app, pilot)
        assert len(mailroom.outbox) == 1 and mailroom.sent == []


async def test_a_letter_refused_for_good_stays_in_the_composer_and_not_in_the_outbox(
    mailroom: FakeMailroom,
) -> None:
    """Refused for good (5xx), the letter stays in the composer to be corrected, kept as a draft and not as an
    outbox entry a flush would send besides the corrected letter; the corrected one leaves once."""
    mailroom.refused = ("claire.martin@chu-test.mssante.fr",)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await _send_letter_to_colleague(pilot)
        await until(pilot, lambda: any("fenêtre de rédaction" in n.message for n in app._notifications), "said")
        await settle(app, pilot)
        to = app.screen.query_one("#compose-to", Input)
        assert to.value == "claire.martin@chu-test.mssante.fr"  # still here, to be corrected
        assert [d.draft.subject for d in mailroom.drafts()] == ["Avis"] and mailroom.outbox == []
        to.value = "jean.dupont@chu-test.mssante.fr"
        await pilot.press("ctrl+s")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the corrected letter sent")
        await settle(app, pilot)
        assert mailroom.sent[0].to == ("jean.dupont@chu-test.mssante.fr",) and mailroom.outbox == []
        assert mailroom.drafts() == []


async def test_a_letter_waiting_in_the_outbox_leaves_once_the_server_is_back(
    mailroom: FakeMailroom, monkeypatch
) -> None:
    """'elle sera renvoyée automatiquement', the app said, but only `missive daemon` sent the outbox again: a
    doctor who uses the app alone had her letter wait there for good. The app now looks at the outbox as the
    daemon does; the letter leaves once, and the status bar's count goes back to 0."""
    import tui.app
    from tui.widgets.status_bar import StatusBar

    monkeypatch.setattr(tui.app, "OUTBOX_EVERY", 0.05)
    mailroom.accounts = ["cabinet"]
    mailroom.smtp_down = True
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:  # no settle(): the account's sync never ends
        await until(pilot, lambda: mailroom.synced == ["cabinet"], "the account kept in sync")
        await pilot.press("3")
        await until(pilot, lambda: app.screen.query("#compose-to") and app.screen.focused is not None
                    and app.screen.focused.id == "compose-to", "the composer")
        await _send_letter_to_colleague(pilot)
        await until(pilot, lambda: len(mailroom.outbox) == 1, "the letter in the outbox")
        await asyncio.sleep(0.3)  # a few rounds with the server still down: it waits
        assert len(mailroom.outbox) == 1 and mailroom.sent == []
        mailroom.smtp_down = False
        await until(pilot, lambda: len(mailroom.sent) == 1, "the letter sent once the server is back")
        bar = app.screen.query_one(StatusBar)
        await until(pilot, lambda: "Envoi : 0" in str(bar.query_one("#status-counts", Static).render()), "count")
        await asyncio.sleep(0.3)
        assert len(mailroom.sent) == 1 and mailroom.outbox == []


async def test_ctrl_r_sends_the_outbox_now(mailroom: FakeMailroom) -> None:
    """The network back after a morning offline, the doctor presses ctrl+r: the letter waiting in the outbox
    leaves now. It waited for the outbox's next try, spaced out up to an hour after failed ones, and the app had no
    other way to send it (only `missive outbox flush` at a terminal). (The core brings its next try forward:
    tests/send/test_outbox.py::test_send_now_brings_the_next_try_forward_never_a_failed_letter.)"""
    mailroom.smtp_down = True
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await settle(app, pilot)
        await _send_letter_to_colleague(pilot)
        await until(pilot, lambda: len(mailroom.outbox) == 1, "the letter in the outbox")
        await settle(app, pilot)
        assert mailroom.sent == [] and mailroom.flushes == []
        mailroom.smtp_down = False
        await pilot.press("ctrl+r")
        await until(pilot, lambda: len(mailroom.sent) == 1, "the letter sent on ctrl+r")
        await settle(app, pilot)
        assert mailroom.outbox == [] and mailroom.flushes == ["now", False]
        await pilot.press("ctrl+r")  # nothing waits: nothing is tried
        await settle(app, pilot)
        assert mailroom.flushes == ["now", False] and len(mailroom.sent) == 1


async def test_the_help_says_how_to_close_it(mailroom: FakeMailroom) -> None:
    """The help's own frame says which keys close it (the keys line under it says 'Échap Fermer' too:
    tests/tui/test_footer.py)."""
    from tui.panes.help import HelpScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        assert str(app.screen.query_one("#help-body").border_subtitle) == "Échap, q, F1 : fermer l'aide"
        await pilot.press("q")
        await settle(app, pilot)
        assert not isinstance(app.screen, HelpScreen)
