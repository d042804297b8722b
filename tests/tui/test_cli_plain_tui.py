"""A plain ``missive`` / ``missive tui`` (global options written in full, each with its value) opens the app
without argparse (tui.clirun.run_plain_tui, as a plain ``missive sync`` runs): argparse, gettext and the
parser's classes (about 0.4 MB) no longer stay in the app. Its arguments are argparse's own; anything else (an
abbreviation, an unknown option or language, --help, an extra word) is still read, and refused, by the parser
in the same words."""

from __future__ import annotations

import pytest

from tests.fresh import fresh_json
from tui.cli import TUI_OPTIONS
from tui.cliparse import build_parser
from tui.clirun import PlainArgs
from tui.daemonsync import plain_command

SAME = [
    [],
    ["tui"],
    ["--profile", "/p"],
    ["--profile", "/p", "tui"],
    ["tui", "--profile", "/p"],
    ["--profile=/p", "tui", "--theme", "light"],
    ["--lang", "en", "tui", "--lang", "fr"],
    ["--theme", "dark", "tui", "--theme", "light"],
    ["--lang=en", "--theme=ansi16"],
]
PARSER_S = [
    ["--prof", "/p", "tui"],
    ["--lang", "de", "tui"],
    ["--profile", "", "tui"],
    ["--profile", "-x", "tui"],
    ["tui", "extra"],
    ["tui", "--help"],
    ["--help"],
    ["--version"],
    ["--profile"],
    ["tui", "tui"],
    ["tui", "--", "x"],
    ["sync"],
]


def _plain(words: list[str]) -> dict[str, object] | None:
    options = plain_command(words, "tui", TUI_OPTIONS, implied=True)
    if options is None:
        return None
    return {
        name: getattr(PlainArgs("tui", options), name) for name in ("command", "profile", "lang", "theme")
    }


@pytest.mark.parametrize("words", SAME, ids=" ".join)
def test_a_plain_tui_gets_what_argparse_gives(words: list[str]) -> None:
    parsed = vars(build_parser("tui").parse_args([*words, "tui"] if "tui" not in words else words))
    from tui.commands.profile import cmd_tui

    assert parsed.pop("func") is cmd_tui
    assert _plain(words) == parsed


@pytest.mark.parametrize("words", PARSER_S, ids=" ".join)
def test_anything_else_is_the_parsers(words: list[str]) -> None:
    assert _plain(words) is None


RUN = """
import contextlib, io, json, sys
from tui.cli import main
out = {}
for name, words in (("plain", ["--profile", sys.argv[1]]), ("parsed", ["--prof", sys.argv[1], "tui"]),
                    ("refused", ["tui", "--bogus"])):
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(words)
    out[name] = [code, err.getvalue(), "argparse" in sys.modules, "tui.cliparse" in sys.modules]
print(json.dumps(out))
"""


def test_a_plain_tui_says_what_the_parsed_one_says_without_argparse(tmp_path) -> None:
    out = fresh_json(RUN, str(tmp_path / "none"))
    code, said, *loaded = out["plain"]
    assert code == 1 and "aucun profil dans" in said and str(tmp_path / "none") in said  # not a terminal
    assert loaded == [False, False]
    assert out["parsed"] == [code, said, True, True]  # the abbreviation: argparse's reading, the same line
    assert out["refused"][0] == 2 and "arguments non reconnus : --bogus" in out["refused"][1]
