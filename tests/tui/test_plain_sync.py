"""A plain `missive sync` that no daemon answers runs without building a parser (tui.clirun.run_plain_sync):
it must say exactly what the parser's path says, with the same exit code, for every option `missive sync
--help` lists (--account, --profile, --lang, --theme), a success as a failure; anything else is still the
parser's (help, abbreviations, mistakes)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mail.test_maildir_account import make_maildir
from tui import cli, cliparse

PASS = "correct horse battery staple"


@pytest.fixture
def synced(profile_dir: Path, tmp_path: Path, cli) -> Path:  # noqa: F811 - the conftest's `cli` runner
    """A profile with one Maildir account, "local", synced once (the next syncs find nothing new)."""
    root = tmp_path / "Maildir"
    make_maildir(root)
    assert cli("init")[0] == 0
    code, _out, err = cli("account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root))
    assert code == 0, err
    code, out, err = cli("sync")
    assert (code, err) == (0, "") and "local: 3 nouveaux" in out, (out, err)
    return profile_dir


def _exit_code(call, words: list[str]) -> int:  # type: ignore[no-untyped-def]
    try:
        return int(call(list(words)))
    except SystemExit as done:  # --help: argparse prints it and exits
        return int(done.code or 0)


def _both(words: list[str], capsys, monkeypatch) -> tuple[tuple[int, str, str], tuple[int, str, str], int]:
    """(code, stdout, stderr) through the parser, then through `missive`'s entry; and how many parsers the
    entry built."""
    from tui.i18n import set_language

    set_language(None)
    by_parser = _exit_code(cliparse.run, words)
    parser_said = (by_parser, *capsys.readouterr())
    built: list[str | None] = []
    real = cliparse.build_parser

    def counting(command: str | None = None):  # type: ignore[no-untyped-def]
        built.append(command)
        return real(command)

    monkeypatch.setattr(cliparse, "build_parser", counting)
    set_language(None)
    by_entry = _exit_code(cli.main, words)
    entry_said = (by_entry, *capsys.readouterr())
    monkeypatch.setattr(cliparse, "build_parser", real)
    set_language(None)
    return parser_said, entry_said, len(built)


@pytest.mark.parametrize(
    "words",
    [
        ["sync"],
        ["sync", "--account", "local"],
        ["sync", "--account=local", "--lang", "en"],
        ["--lang=en", "sync", "--theme", "light"],
        ["--theme", "ansi16", "sync"],
        ["sync", "--account", "nowhere"],  # no such account: the core's line, exit 2 or 1 as the parser's
        ["--lang", "en", "sync", "--account", "nowhere"],
    ],
)
def test_a_plain_sync_says_what_the_parsers_path_says(
    words: list[str], synced: Path, capsys, monkeypatch
) -> None:
    words = ["--profile", str(synced), *words]
    by_parser, by_entry, parsers = _both(words, capsys, monkeypatch)
    assert by_entry == by_parser
    assert parsers == 0  # and it built none
    assert by_entry[1] or by_entry[2]  # it did say something


def test_a_plain_sync_fails_as_the_parsers_path_does(
    synced: Path, tmp_path: Path, capsys, monkeypatch
) -> None:
    # no such profile: said before any passphrase is asked
    missing = ["--profile", str(tmp_path / "none"), "sync"]
    by_parser, by_entry, parsers = _both(missing, capsys, monkeypatch)
    assert by_entry == by_parser and by_entry[0] == 1 and "aucun profil" in by_entry[2] and parsers == 0
    # a wrong passphrase
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "not the passphrase")
    by_parser, by_entry, parsers = _both(["--profile", str(synced), "sync"], capsys, monkeypatch)
    assert by_entry == by_parser and by_entry[0] != 0 and by_entry[2].count("\n") == 1 and parsers == 0
    # no passphrase and no terminal to ask it on
    monkeypatch.delenv("MISSIVE_PASSPHRASE")
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    by_parser, by_entry, parsers = _both(["--profile", str(synced), "--lang", "en", "sync"], capsys, monkeypatch)
    assert by_entry == by_parser and by_entry[0] == 2 and by_entry[2].startswith("missive : ") and parsers == 0
    # a broken profile.toml
    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    (synced / "profile.toml").write_text('language = "de"\n', "utf-8")
    by_parser, by_entry, parsers = _both(["--profile", str(synced), "sync"], capsys, monkeypatch)
    assert by_entry == by_parser and by_entry[0] == 2 and "profile.toml" in by_entry[2] and parsers == 0


@pytest.mark.parametrize(
    "words",
    [
        ["sync", "--help"],
        ["sync", "-h"],
        ["sync", "--acc", "local"],  # an abbreviation: argparse's to expand
        ["sync", "--account"],
        ["sync", "--lang", "de"],
        ["sync", "--profile"],
        ["sync", "--theme="],
        ["sync", "extra"],
        ["--account", "local", "sync"],  # sync's own option before the command: argparse refuses it
        ["--account=local", "sync"],
        ["--lang", "de", "sync", "--lang", "en"],  # each language is checked, not only the last
    ],
)
def test_help_abbreviations_and_mistakes_are_still_the_parsers(
    words: list[str], synced: Path, capsys, monkeypatch
) -> None:
    words = ["--profile", str(synced), *words]
    by_parser, by_entry, parsers = _both(words, capsys, monkeypatch)
    assert by_entry == by_parser
    assert parsers == 1


def test_the_help_of_sync_lists_the_options_the_plain_path_takes(capsys) -> None:
    """If `missive sync` gains an option, the plain path must learn it (or leave it to the parser)."""
    from tui.daemonsync import OPTIONS

    assert _exit_code(cliparse.run, ["sync", "--help"]) == 0
    helped = capsys.readouterr().out
    listed = {word.rstrip(",") for word in helped.split() if word.startswith("--")}
    assert listed == {*OPTIONS, "--help"}
