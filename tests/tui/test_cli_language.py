"""The command line speaks one language: French by default, English with ``--lang en``, in every help text
(argparse's own words included) and in its one-line errors, for every command and sub-command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Every command's and sub-command's --help, printed by the CLI in a fresh interpreter.
_ALL_HELP = r"""
import argparse, contextlib, io, json, sys
from tui import cliparse
from tui.cli import main
from tui.commands import COMMANDS
lang = sys.argv[1]
out = {}
def walk(words):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            main([*words, "--help", "--lang", lang])
        except SystemExit:
            pass
    out[" ".join(words) or "missive"] = buf.getvalue()
    if not words:
        return
    parser = cliparse.build_parser(words[0])
    for word in words:
        parser = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[word]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name in action.choices:
                walk([*words, name])
walk([])
for command in COMMANDS:
    walk([command])
print(json.dumps(out, ensure_ascii=False))
"""


def _all_help(lang: str) -> dict[str, str]:
    done = subprocess.run(
        [sys.executable, "-c", _ALL_HELP, lang],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor"},
        capture_output=True,
        text=True,
        check=True,
    )
    helps: dict[str, str] = json.loads(done.stdout)
    assert len(helps) > 40 and all(helps.values())  # every command and its sub-commands, each with a help
    return helps


def test_french_help_has_no_english_word_of_argparse_left() -> None:
    for command, text in _all_help("fr").items():
        assert text.startswith("utilisation : missive"), command
        for english in ("usage:", "positional arguments", "options:", "optional arguments", "show this help"):
            assert english not in text, (command, english)


def test_english_help_has_no_french_word_of_argparse_left() -> None:
    for command, text in _all_help("en").items():
        assert text.startswith("usage: missive"), command
        for french in ("utilisation", "arguments :", "options :", "afficher cette aide"):
            assert french not in text, (command, french)


def test_the_installed_command_says_its_help_in_french() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "tui.cli", "sync", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("utilisation : missive sync")
    assert "options :\n" in done.stdout and "usage" not in done.stdout


def test_the_presets_list_is_in_the_language_asked() -> None:
    def presets(*lang: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", *lang, "filing", "presets"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    assert presets().splitlines()[0].startswith("generic              Générique (dossier d'import HPRIM)")
    english = presets("--lang", "en")
    assert english.splitlines()[0].startswith("generic              Generic (HPRIM import folder)")
    assert "Générique" not in english and "dossier" not in english


def test_every_option_and_argument_says_what_it_is_in_both_languages() -> None:
    """`missive account add --help` listed --email, --imap, --smtp... with nothing beside them."""
    import argparse

    from tui import cliparse
    from tui.commands import COMMANDS
    from tui.i18n import help_text, set_language

    def walk(parser: argparse.ArgumentParser, where: str) -> list[str]:
        bare = []
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    bare += walk(sub, f"{where} {name}")
            elif not action.help:
                bare.append(f"{where} {'/'.join(action.option_strings) or action.dest}")
        return bare

    bare: list[str] = []
    for command in COMMANDS:
        parser = cliparse.build_parser(command)
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        bare += walk(sub.choices[command], command)
    assert bare == []
    set_language("en")
    try:
        assert help_text("adresse MSSanté de la boîte") == "the mailbox's MSSanté address"
    finally:
        set_language(None)
    english = _all_help("en")["account add"]
    assert "--email EMAIL         the mailbox's MSSanté address" in english
