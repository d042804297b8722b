"""The app's parts on their own: catalogues, keymap, themes, the virtualised list at 50,000 rows."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import get_args

import pytest

from core.errors import ConfigError
from core.model import MessageSummary, Undone
from tui import keymap
from tui.app import MissiveApp, discover_themes, load_theme_file
from tui.i18n import catalogue

TUI = Path(__file__).resolve().parents[2] / "tui"


def test_every_ui_string_is_in_both_catalogues() -> None:
    used: set[str] = set()
    for path in TUI.rglob("*.py"):
        if "commands" in path.parts or path.name == "cli.py":
            continue
        used |= set(
            re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]*[a-z])["']""", path.read_text(encoding="utf-8"))
        )
    for spec in keymap.KEYS:
        used |= {f"key.{spec.id}", f"tip.{spec.id}", f"scope.{spec.scope}"}
        used |= {spec.footer} if spec.footer else set()
    fr, en = catalogue("fr"), catalogue("en")
    assert used, "no t() call found: the scan is broken"
    assert sorted(used - fr.keys()) == []
    assert sorted(used - en.keys()) == []
    assert fr.keys() == en.keys()


def test_every_binding_has_an_id_description_and_tooltip() -> None:
    ids = [spec.id for spec in keymap.KEYS]
    assert len(ids) == len(set(ids))
    for spec in keymap.KEYS:
        assert spec.description and spec.tooltip and spec.description != f"key.{spec.id}"


def test_remap_keeps_known_ids_and_reports_unknown_ones() -> None:
    known, unknown = keymap.check_remap({"compose.send": "f9", "typo.send": "f10"})
    assert known == {"compose.send": "f9"} and unknown == ["typo.send"]


def test_the_four_themes_load_and_a_users_theme_joins_them(tmp_path: Path) -> None:
    (tmp_path / "themes").mkdir()
    (tmp_path / "themes" / "sepia.toml").write_text(
        'primary = "#8B5A2B"\nbackground = "#F4ECD8"\ndark = false\n'
    )
    (tmp_path / "themes" / "broken.toml").write_text("primary = \n")
    themes, problems = discover_themes(tmp_path)
    names = {theme.name for theme in themes}
    assert {"dark", "light", "high-contrast", "ansi16", "sepia"} <= names
    assert len(problems) == 1 and "broken.toml" in problems[0]
    assert next(th for th in themes if th.name == "ansi16").ansi


def test_a_theme_with_unknown_fields_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "odd.toml"
    path.write_text('primary = "#000000"\ncolour = "red"\n')
    with pytest.raises(ConfigError, match="odd.toml"):
        load_theme_file(path)


def _summaries(count: int) -> list[MessageSummary]:
    base = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    return [
        MessageSummary(
            f"m{i}", "a", "INBOX", i, f"<{i}@x>", f"s{i}@x.fr", (), f"Objet {i}", base, flags=("\\Seen",)
        )
        for i in range(count)
    ]


async def test_a_50000_message_list_renders_only_what_is_visible() -> None:
    from textual.app import App, ComposeResult

    from tui.widgets.message_list import MessageList

    class ListApp(App[None]):
        def compose(self) -> ComposeResult:
            yield MessageList()

    app = ListApp()
    async with app.run_test(size=(80, 24)) as pilot:
        msg_list = app.query_one(MessageList)
        msg_list.set_messages(_summaries(50_000))
        msg_list.focus()
        await pilot.pause()
        assert len(msg_list._cache) <= 24  # rows formatted: the visible ones only
        await pilot.press("end")
        await pilot.pause()
        assert msg_list.current.id == "m49999"
        assert msg_list.scroll_offset.y > 49_000
        assert len(msg_list._cache) <= 24


async def test_an_unknown_theme_name_falls_back_to_dark_with_a_notice() -> None:
    from tests.tui.fakes import FakeMailroom

    app = MissiveApp(mailroom=FakeMailroom(), theme="no-such-theme")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "dark"
        assert any("no-such-theme" in n.message for n in app._notifications)


def test_strings_built_from_a_state_exist_in_both_catalogues() -> None:
    dynamic = [f"compose.state_{s}" for s in ("known", "unknown", "patient", "refused")]
    dynamic += [f"compose.fate_{a}_{b}" for a in ("encrypted", "clear") for b in ("signed", "unsigned")]
    dynamic += [f"review.done_{d}" for d in ("file", "reject")]
    dynamic += [f"review.done_undo_{u}" for u in get_args(Undone)]  # what an undo took back (the core's answer)
    dynamic += [f"status.{s}" for s in ("online", "syncing", "offline")]
    dynamic += [f"pane.{p}" for p in ("inbox", "review", "compose", "directory")]
    dynamic += [f"search.born_{sex}" for sex in ("F", "M", "u")]
    for lang in ("fr", "en"):
        assert [k for k in dynamic if k not in catalogue(lang)] == []


def test_no_two_bindings_of_one_scope_share_a_key_and_pane_keys_are_f_keys() -> None:
    """A pane key must not also send a letter (F5 used to): the keys of the app and of each pane are distinct,
    and every pane has an F-key, which text fields do not swallow."""

    def keys(scope: str) -> list[str]:
        return [k for spec in keymap.KEYS if spec.scope == scope for k in spec.key.split(",")]

    app_keys = keys("app")
    for scope in ("inbox", "review", "compose", "directory"):
        own = keys(scope)
        assert len(own) == len(set(own)), scope
        assert not set(own) & set(app_keys), scope
    for pane in ("inbox", "review", "compose", "directory"):
        assert any(k.startswith("f") and k[1:].isdigit() for k in keymap.BY_ID[f"app.{pane}"].key.split(","))


def _patients() -> list:
    from core.model import Patient

    return [
        Patient("1001", "DUPONT", "", ("Jeanne",), dt.date(1956, 3, 14), "F", "256037512345671"),
        Patient("1002", "DUPOND", "", ("Jeannine",), dt.date(1956, 3, 14), "F"),
        Patient("1003", "LEROY", "MARTIN", ("Louise", "Élise"), dt.date(1948, 11, 2), "F"),
        Patient("2001", "N'GUYEN-LÉVÊQUE", "", ("Anh",), dt.date(1990, 1, 5), "M"),
        Patient("2002", "SANSDATE", "", ("Paul",), None, "M"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("dupon", ["1002", "1001"]),  # a name start; sorted by name
        ("DUPONT jeanne", ["1001"]),  # every word must match
        ("martin", ["1003"]),  # the used name
        ("leroy elise", ["1003"]),  # the birth name, a second given name without its accent
        ("14/03/1956", ["1002", "1001"]),
        ("1956-03-14", ["1002", "1001"]),
        ("14031956", ["1002", "1001"]),
        ("02/11", ["1003"]),  # a date's start
        ("1948", ["1003"]),  # a year
        ("1003", ["1003"]),  # an id, exact
        ("100", ["1002", "1001", "1003"]),  # an id's start
        ("2560375", ["1001"]),  # the INS
        ("leveque", ["2001"]),  # a composite name, accents folded
        ("n'guyen-leveque", ["2001"]),
        ("dupont 1948", []),
        ("", []),
    ],
)
def test_patient_search_by_name_birth_date_or_id(query: str, expected: list[str]) -> None:
    from tui.panes.patient_search import PatientFinder

    finder = PatientFinder(_patients())
    assert [p.id for p in finder.search(query)] == expected


def test_patient_search_puts_an_exact_id_first_and_stops_at_the_limit() -> None:
    from core.model import Patient
    from tui.panes.patient_search import PatientFinder

    many = [Patient(str(i), "MARTIN", "", ("Paul",), dt.date(1950, 1, 1), "M") for i in range(5, 200)]
    many.append(Patient("4", "ZORRO", "", ("Diego",), dt.date(1950, 1, 1), "M"))  # last by name
    finder = PatientFinder(many)
    assert len(finder.search("martin", limit=50)) == 50
    assert [p.id for p in finder.search("4")][:3] == ["4", "40", "41"]  # 40-49 start with 4: the id 4 first


def test_no_app_key_is_an_editing_key_of_a_text_field() -> None:
    """A key the app or a pane binds never also edits text in a field of that pane (F7 in the letter used
    to select it all, and the next key replaced it); the letter's body answers to neither F6 nor F7."""
    from textual.widgets import Input, TextArea

    from tui.panes.compose import LetterBody

    def keys_of(bindings) -> set[str]:  # noqa: ANN001
        out: set[str] = set()
        for b in bindings:
            out |= {k.strip() for k in (b.key if hasattr(b, "key") else b[0]).split(",")}
        return out

    # the fields each scope's keys can meet: app keys reach every field; the only text area is Rédaction's letter
    # body, which answers to neither F6 nor F7 (Textual's TextArea selects with them): F7 is then free for À
    # envoyer, which a text field's F7 does not open (tests/tui/test_tmux_compose.py: F7 in the letter keeps it)
    assert [c.__name__ for c in TextArea.__subclasses__() if c.__module__.startswith("tui.")] == ["LetterBody"]
    text_area, line = keys_of(LetterBody.BINDINGS), keys_of(Input.BINDINGS)
    fields = {"app": text_area | line, "compose": text_area | line}
    for spec in keymap.KEYS:
        clash = set(spec.key.split(",")) & fields.get(spec.scope, line)
        # enter and escape are the fields' own way out (Input.Submitted, leaving the field)
        assert not clash - {"enter", "escape", "up", "down", "pageup", "pagedown", "home", "end"}, spec.id
    assert not keys_of(LetterBody.BINDINGS) & {"f6", "f7"}
    assert keys_of(LetterBody.BINDINGS) >= {"ctrl+z", "shift+left", "backspace"}


def test_a_string_is_read_from_its_section_alone(monkeypatch) -> None:
    """The app never shows the command line's help (a third of the catalogue) nor the set-up assistant's:
    ``t`` keeps the sections it shows, with the same words as the whole catalogue."""
    import functools

    from tui import i18n

    monkeypatch.setattr(i18n, "_section", functools.cache(i18n._section.__wrapped__))
    monkeypatch.setattr(i18n, "catalogue", functools.cache(i18n.catalogue.__wrapped__))
    monkeypatch.setattr(i18n, "_current", "fr")
    assert i18n.t("inbox.absent-key") == "inbox.absent-key"
    assert i18n._section.cache_info().currsize == 1 and i18n.catalogue.cache_info().currsize == 0
    assert i18n.t("nowhere.key") == "nowhere.key"
    for lang in ("fr", "en"):
        monkeypatch.setattr(i18n, "_current", lang)
        for key, text in i18n.catalogue(lang).items():
            if "{" not in text:
                assert i18n.t(key) == text, key
