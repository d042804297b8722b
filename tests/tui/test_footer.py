"""The keys line at the bottom: one widget drawing the focused widget's, its pane's and the app's keys; a click
on a key presses it, the pointer over a key shows what it does."""

from __future__ import annotations

import dataclasses
import re

from textual.widgets import Input

from core.config import Settings
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui import keymap
from tui.app import MissiveApp
from tui.i18n import t
from tui.widgets.footer import KeyFooter


def footer_of(app: MissiveApp) -> KeyFooter:
    return app.screen.query_one(KeyFooter)


def line(app: MissiveApp) -> str:
    return footer_of(app).render_line(0).text


def column_of(app: MissiveApp, key_display: str) -> int:
    return next(start for item, start, _end in footer_of(app).placed() if item.key_display == key_display)


async def test_the_keys_are_on_the_line_from_the_first_paint_and_follow_the_focus(
    mailroom: FakeMailroom,
) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        footer = footer_of(app)
        assert not footer.children  # one line drawn by the footer, no widget per key to lay out
        assert line(app).startswith(" c Écrire  r Répondre  / Chercher  F2-F5 Volets  F1 Aide")
        assert line(app).rstrip().endswith("▏Ctrl+p palette")
        await pilot.press("2")  # À classer: its document list has the focus
        await settle(app, pilot)
        assert " x Rejeter " in line(app)
        await pilot.press("slash")  # the search field has the focus: typed keys go there, x is not a key
        await settle(app, pilot)
        assert app.focused is not None and isinstance(app.focused, Input)
        assert " x Rejeter " not in line(app) and "F2-F5 Volets" in line(app)
        await pilot.press("escape")
        await settle(app, pilot)
        assert " x Rejeter " in line(app)


async def test_a_click_on_a_key_presses_it(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        search = app.screen.query_one("#inbox-search", Input)
        assert not search.display
        await pilot.click(KeyFooter, offset=(column_of(app, "/") + 1, 0))
        await settle(app, pilot)
        assert search.display and search.has_focus  # as if / had been typed
        await pilot.press("escape")
        await settle(app, pilot)
        await pilot.click(KeyFooter, offset=(column_of(app, "F1") + 2, 0))
        await settle(app, pilot)
        from tui.panes.help import HelpScreen

        assert isinstance(app.screen, HelpScreen)


async def test_the_key_under_the_pointer_says_what_it_does(mailroom: FakeMailroom) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        footer = footer_of(app)
        before = footer.render_line(0)
        await pilot.hover(KeyFooter, offset=(column_of(app, "c") + 1, 0))
        await pilot.pause()
        assert footer.tooltip == t("tip.inbox.compose")
        hovered = footer.render_line(0)
        assert hovered.text == before.text and list(hovered) != list(before)  # highlighted, same words
        await pilot.hover(KeyFooter, offset=(60, 0))  # the blank between the keys and the palette's
        await pilot.pause()
        assert footer.tooltip is None
        assert list(footer.render_line(0)) == list(before)


async def test_the_line_says_the_keys_in_the_language_chosen_and_as_the_user_remapped_them() -> None:
    settings = dataclasses.replace(Settings(), keys={"inbox.reply": "f9"})
    app = MissiveApp(mailroom=FakeMailroom(), lang="en", settings=settings)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert line(app).startswith(" c Write ") and " F9 Reply " in line(app) and " / Search " in line(app)
        assert "Écrire" not in line(app) and " r " not in line(app)


# Textual's names, which the line showed on the French screen: esc, enter, ^s (caret for ctrl), space, tab
TEXTUAL_NAMES = re.compile(r"\^|\b(esc|escape|enter|space|tab|ctrl)\b")


async def test_the_line_names_keys_as_the_keyboard_says_them_as_the_help_screen_does() -> None:
    for lang, escape, ctrl in (("fr", "Échap", "Ctrl+s"), ("en", "Esc", "Ctrl+s")):
        app = MissiveApp(mailroom=FakeMailroom(), lang=lang)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            seen = []
            for key in ("f3", "f4", "f5", "f2"):
                await pilot.press(key)
                await settle(app, pilot)
                text = line(app)
                seen.append(text)
                assert not TEXTUAL_NAMES.search(text), (lang, text)
                assert len(text) == 80 and text.rstrip().endswith("Ctrl+p palette"), (lang, text)
            compose = seen[1]
            assert f" {ctrl} " in compose and f" {escape} " in compose, (lang, compose)
            assert " F1 " in compose  # nothing pushed out at 80 columns by the longer names
            # the same names as the help screen's, from the one routine
            assert keymap.key_names("ctrl+s,escape") == f"{ctrl}, {escape}"


async def test_function_keys_are_written_as_on_the_keyboard_in_the_line_the_help_and_the_palette() -> None:
    """'F1 Aide', not 'f1 Aide': the line, the help screen and Textual's own widgets (App.get_key_display)
    name a function key as its key cap does, in both languages; the user's remap too."""
    assert (keymap.key_name("f1"), keymap.key_name("f12"), keymap.key_name("ctrl+f5")) == (
        "F1",
        "F12",
        "Ctrl+F5",
    )
    assert keymap.key_names("f1,question_mark") == "F1, ?"
    settings = dataclasses.replace(Settings(), keys={"inbox.reply": "f9"})
    for lang in ("fr", "en"):
        app = MissiveApp(mailroom=FakeMailroom(), lang=lang, settings=settings)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            assert " F2-F5 " in line(app) and " F1 " in line(app) and " F9 " in line(app)
            assert not re.search(r"\bf\d", line(app)), line(app)
            help_binding = next(b for b in app._bindings.key_to_bindings["f1"] if b.id == "app.help")
            assert app.get_key_display(help_binding) == "F1"
            lock = next(b for b in app._bindings.key_to_bindings["ctrl+l"] if b.id == "app.lock")
            assert app.get_key_display(lock) == "Ctrl+l"  # not Textual's '^l'


async def test_the_to_fields_placeholder_names_both_keys_that_complete() -> None:
    """→ and Tab both take the suggested address (Tab moves on to Cc after it): the placeholder says both."""
    for lang, words in (("fr", "(→ ou Tab pour compléter)"), ("en", "(→ or Tab to complete)")):
        app = MissiveApp(mailroom=FakeMailroom(), lang=lang)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("f4")
            await settle(app, pilot)
            assert words in str(app.screen.query_one("#compose-to", Input).placeholder)


async def test_under_a_dialog_the_line_shows_the_dialogs_keys_not_the_panes(mailroom: FakeMailroom) -> None:
    """The help, a question, the patient search take the keys: the line says theirs (Échap Fermer, o Oui, n Non),
    not the pane's beneath (c Écrire, x Rejeter…), which do nothing there; the pane's come back after."""
    from tui.panes.confirm import ConfirmScreen
    from tui.panes.help import HelpScreen
    from tui.panes.patient_search import PatientSearchScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        main = app.screen
        footer = main.query_one(KeyFooter)
        await pilot.press("f1")
        await settle(app, pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = footer.render_line(0).text
        assert shown.startswith(" Échap Fermer") and "c Écrire" not in shown, shown
        await pilot.press("escape")
        await settle(app, pilot)
        assert footer.render_line(0).text.startswith(" c Écrire")
        await pilot.press("2")  # À classer, then x: 'Rejeter ce document ?'
        await settle(app, pilot)
        await pilot.press("x")
        await settle(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        shown = footer.render_line(0).text
        assert shown.startswith(" o Oui  n Non") and "x Rejeter" not in shown, shown
        await pilot.press("n")
        await settle(app, pilot)
        assert " x Rejeter " in footer.render_line(0).text
        await pilot.press("p")  # the patient search: its field takes the letters, Échap goes back
        await settle(app, pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        shown = footer.render_line(0).text
        assert " Échap Retour" in shown and "x Rejeter" not in shown, shown


async def test_the_command_palettes_key_is_said_in_the_interfaces_language(mailroom: FakeMailroom) -> None:
    """Textual's palette describes its Échap in English ("Exit the command palette"): the keys line under it
    read "Échap Exit the command palette" in the French interface."""
    from tui.widgets.palette import Palette

    for lang, words in (("fr", "Échap Fermer la palette"), ("en", "Esc Close the palette")):
        app = MissiveApp(mailroom=FakeMailroom(), lang=lang)
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            await pilot.press("ctrl+p")
            await settle(app, pilot)
            assert isinstance(app.screen, Palette)
            shown = app.screen_stack[-2].query_one(KeyFooter).render_line(0).text
            assert words in shown and "Exit" not in shown, shown


async def test_the_patient_search_and_the_attachment_path_say_entree_and_echap(mailroom: FakeMailroom) -> None:
    """The patient search's field and list, and the composer's attachment path, showed no Entrée on the keys
    line (and the path only the pane's « Échap Retour », though Échap there gives up the file): Entrée chooses,
    then files once a patient is chosen; in the path Entrée attaches, Tab completes, Échap cancels."""
    from tui.panes.patient_search import PatientSearchScreen

    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(100, 30)) as pilot:  # the search dialog leaves the keys line visible
        await settle(app, pilot)
        footer = app.screen.query_one(KeyFooter)
        await pilot.press("2", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, PatientSearchScreen)
        assert footer.render_line(0).text.startswith(" Entrée Choisir  Échap Retour"), footer.render_line(0).text
        await pilot.press("enter")  # to the list
        await settle(app, pilot)
        assert footer.render_line(0).text.startswith(" Entrée Choisir  Échap Retour")
        await pilot.press("enter")  # a patient chosen: the next Entrée files
        await settle(app, pilot)
        assert footer.render_line(0).text.startswith(" Entrée Classer  Échap Retour")
        await pilot.press("escape")  # the choice undone
        await settle(app, pilot)
        assert footer.render_line(0).text.startswith(" Entrée Choisir  Échap Retour")
        await pilot.press("escape", "escape")
        await settle(app, pilot)
        await pilot.press("f4", "ctrl+o")
        await settle(app, pilot)
        path = app.screen.query_one("#compose-attach-path", Input)
        assert path.has_focus
        shown = footer.render_line(0).text
        assert " ".join(shown.split()).startswith("Entrée Joindre Tab Compléter Échap Annuler Ctrl+s Envoyer F2-F5 Volets F1 Aide")
        assert "Ctrl+o" not in shown  # the key that opened the path: nothing more to do with it here
        path.value = "/tmp"
        await pilot.press("escape")  # gives up the file, back in the letter: nothing attached
        await settle(app, pilot)
        assert not path.display and path.value == "" and app.screen.query_one("#compose-body").has_focus
