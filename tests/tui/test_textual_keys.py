"""The binding chain asks no Unicode name of the keys bound in the app (tui.textual_keys): Textual's
``key_to_character`` looked "ENTER", "F1", "SLASH"... up in unicodedata's name database at every focus change,
and each failed lookup left pages of its tables (about 0.4 MB) in the app; "TAB" and "QUESTION MARK", found
through the same tables, left 0.38 MB of them at the painted inbox. The answers are Textual's own, and those
keys still do what they do: F1 (help), / (search), Échap, Entrée (open), F2-F5 (panes), tab, ?."""

from __future__ import annotations

from textual.keys import key_to_character

from tests.fresh import fresh_json
from tui.textual_keys import CHARACTERS, NOT_CHARACTERS


def test_the_names_answered_are_those_textual_itself_finds_no_character_for() -> None:
    assert {key: key_to_character(key) for key in NOT_CHARACTERS} == dict.fromkeys(NOT_CHARACTERS)


def test_the_characters_answered_are_those_textual_itself_finds() -> None:
    assert {key: key_to_character(key) for key in CHARACTERS} == CHARACTERS
    assert not NOT_CHARACTERS & CHARACTERS.keys()


def test_every_key_the_app_binds_is_answered_without_a_lookup() -> None:
    """Each key bound by missive's screens and widgets, and by the Textual widgets it uses, that Textual would
    look up (a name, no modifier) is one of the answered names: a new binding's name must be added here."""
    import importlib
    import inspect
    import pkgutil
    import sys

    from textual.dom import DOMNode

    import tui

    for info in pkgutil.walk_packages(tui.__path__, "tui."):
        importlib.import_module(info.name)
    classes = {
        value
        for name, module in list(sys.modules.items())
        if name.startswith(("tui.", "textual.")) and module is not None
        for value in vars(module).values()
        if inspect.isclass(value) and issubclass(value, DOMNode)
    }
    bound = {key for cls in classes for key in cls._merge_bindings().key_to_bindings}
    looked_up = {key for key in bound if "+" not in key and len(key) > 1}
    assert {"tab", "question_mark", "enter", "f1"} <= looked_up
    assert sorted(looked_up - NOT_CHARACTERS - CHARACTERS.keys()) == []


KEYS = """
import asyncio, json, sys, unicodedata
asked = set()
textual_lookup = unicodedata.lookup

def lookup(name):
    if sys._getframe(1).f_code.co_name == "key_to_character":  # the binding chain's (not the pilot's)
        asked.add(name)
    return textual_lookup(name)

unicodedata.lookup = lookup
from textual.widgets import ContentSwitcher, Input, Static
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tui.app import MissiveApp
from tests.tui.test_flows import text_of
from tui.widgets.message_list import MessageList

async def main():
    out = {}
    app = MissiveApp(mailroom=FakeMailroom())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("f1")
        await settle(app, pilot)
        out["f1"] = type(app.screen).__name__
        await pilot.press("escape")
        await settle(app, pilot)
        out["escape"] = type(app.screen).__name__
        await pilot.press("slash", *"durand")
        await settle(app, pilot)
        out["slash"] = [app.screen.query_one("#inbox-search", Input).has_focus,
                        [s.id for s in app.screen.query_one(MessageList).rows]]
        await pilot.press("escape")
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        out["search_left"] = [len(msg_list.rows), msg_list.has_focus, msg_list.current.id]
        await pilot.press("enter")
        await settle(app, pilot)
        out["enter"] = "certificat valide" in text_of(app, "#reader-signature")
        panes = []
        for key in ("f5", "f3", "f4", "f2"):
            await pilot.press(key)
            await settle(app, pilot)
            panes.append(str(app.screen.query_one(ContentSwitcher).current))
        out["panes"] = panes
        await pilot.press("question_mark")
        await settle(app, pilot)
        out["question_mark"] = type(app.screen).__name__
        await pilot.press("escape")
        await settle(app, pilot)
    out["lookups"] = sorted(asked)
    print(json.dumps(out))

asyncio.run(main())
"""


def test_the_keys_work_and_no_key_name_is_looked_up() -> None:
    out = fresh_json(KEYS)
    assert out["f1"] == "HelpScreen" and out["escape"] != "HelpScreen"
    assert out["slash"] == [True, ["m-letter"]]
    assert out["search_left"] == [2, True, "m-lab"]
    assert out["enter"] is True
    assert out["panes"] == ["directory", "review", "compose", "inbox"]
    assert out["question_mark"] == "HelpScreen"
    # without tui.textual_keys: ENTER, F1, F12, F2-F6, SLASH...; TAB, QUESTION MARK
    assert out["lookups"] == []


def test_a_textual_without_the_function_is_left_as_it_is(monkeypatch) -> None:
    import textual.screen

    from tui import textual_keys

    monkeypatch.delattr(textual.screen, "key_to_character")
    textual_keys.install()  # nothing to answer for: no error, nothing added
    assert not hasattr(textual.screen, "key_to_character")
