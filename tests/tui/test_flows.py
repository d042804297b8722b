"""Pilot tests of each flow a doctor goes through, driven by the keyboard only."""

from __future__ import annotations

import dataclasses

from textual.widgets import Input, Static, TextArea

from core.config import Settings
from tests.tui.conftest import settle
from tests.tui.fakes import PASSPHRASE, FakeMailroom, opener_for
from tui.app import MainScreen, MissiveApp
from tui.panes.lock import LockScreen
from tui.widgets.message_list import MessageList


def text_of(app: MissiveApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


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
        assert "2 anormal" in results
        assert "m-lab" in mailroom.messages.seen  # opening marks it read


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
        assert len(msg_list.rows) == 3


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
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert "chiffré" in text_of(app, "#compose-recipients")
        assert app.screen.focused is app.screen.query_one("#compose-subject")
        await pilot.press(*"Avis", "tab")
        await pilot.press(*"Chere consoeur")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert len(mailroom.sent) == 1
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
        await pilot.pause(0.4)
        await settle(app, pilot)
        assert "refusé" in text_of(app, "#compose-recipients")
        await pilot.press("f5")
        await settle(app, pilot)
        assert mailroom.sent == []


async def test_address_completion_from_the_directory(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")
        await pilot.pause()
        await pilot.press(*"paul")
        await settle(app, pilot)
        await pilot.pause(0.2)
        await pilot.press("right")  # accept the suggestion
        assert app.screen.query_one("#compose-to", Input).value == "paul.martinez@clinique.mssante.fr"


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
        assert "> Votre patiente va bien." in app.screen.query_one("#compose-body", TextArea).text


async def test_drafts_are_saved_as_you_type(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("3")
        await pilot.pause()
        await pilot.press("tab", "tab", *"Brouillon")
        await pilot.pause(1.3)
        await settle(app, pilot)
        saved = [doc for _, doc in mailroom.drafts.collection.items()]
        assert [d["subject"] for d in saved] == ["Brouillon"]


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


async def test_remapped_key_from_settings(mailroom: FakeMailroom) -> None:
    settings = dataclasses.replace(Settings(), keys={"inbox.reply": "f9", "no.such": "x"})
    app = MissiveApp(mailroom=mailroom, settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f9")
        await settle(app, pilot)
        assert app.screen.query_one("#compose-to", Input).value == "biologie@labo-test.mssante.fr"
        assert any("no.such" in n.message for n in app._notifications)


async def test_help_lists_every_binding(mailroom: FakeMailroom) -> None:
    from tui import keymap

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await pilot.pause()
        text = str(app.screen.query_one("#help-body Static", Static).render())
        for spec in keymap.KEYS:
            assert spec.description in text
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_missing_services_show_empty_states() -> None:
    class Bare:
        settings = Settings()

    app = MissiveApp(mailroom=Bare())
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
        mailroom.emit("sync-state", account="cabinet", state="offline", since="09:30")
        mailroom.emit("send-failed", reason="serveur injoignable")
        await settle(app, pilot)
        status = str(app.screen.query_one(StatusBar).query_one("#status-accounts", Static).render())
        assert "hors ligne (09:30)" in status
        assert any("serveur injoignable" in n.message for n in app._notifications)
        assert app.screen.query_one(MessageList).rows  # the cached view stays
