"""The command line's entry: lazily loaded commands, global options anywhere, defaults, no profile, warnings."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import pytest

from tui import cli
from tui.commands import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"


def _loaded_after(code: str, env: dict[str, str] | None = None) -> set[str]:
    """The modules of missive a fresh interpreter has loaded after running ``code`` (printed as JSON)."""
    script = (
        "import io, json, sys, contextlib\n"
        "from tui.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        {code}\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in ('core', 'tui', 'textual'))))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", **(env or {})},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_help_lists_every_command_without_importing_one() -> None:
    loaded = _loaded_after("main(['--help'])")
    assert not {m for m in loaded if m.startswith("tui.commands.")}, loaded
    assert "textual" not in loaded


def test_one_commands_help_imports_only_its_module() -> None:
    loaded = _loaded_after("main(['sync', '--help'])")
    assert {m for m in loaded if m.startswith("tui.commands.")} == {"tui.commands.mail"}


def test_a_command_builds_only_its_own_parser_and_the_same_one() -> None:
    """`missive sync` built the parsers of account, messages and their actions too (each with the global
    options): a command's parser is built alone, and reads and helps as when its module registers them all."""
    for name, (module, _) in COMMANDS.items():
        alone = _subcommands(cli.build_parser(name))
        assert set(alone) == {name}, name
        full = cli._Parser(prog="missive")
        sub = full.add_subparsers(dest="command", parser_class=cli._CommandParser)
        importlib.import_module(module).register(sub, cli._Parser(add_help=False))
        assert alone[name].format_help() == sub.choices[name].format_help(), name
        inner = {k: p.format_help() for k, p in _subcommands(alone[name]).items()}
        assert inner == {k: p.format_help() for k, p in _subcommands(sub.choices[name]).items()}, name


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(found[0].choices) if found else {}


def test_a_sync_does_not_import_the_directory_search_nor_the_app(tmp_path: Path) -> None:
    env = {"MISSIVE_PASSPHRASE": PASS}
    profile = str(tmp_path / "p")
    subprocess.run(
        [sys.executable, "-m", "tui.cli", "--profile", profile, "init"],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", **env},
        check=True,
        capture_output=True,
    )
    loaded = _loaded_after(f"assert main(['--profile', {profile!r}, 'sync']) == 0", env)
    assert "core.mailroom" in loaded  # the command did run
    assert "core.directory.search" not in loaded
    assert not {m for m in loaded if m.startswith(("textual", "tui.app"))}


def test_the_help_of_missive_is_each_commands_own_help() -> None:
    """The list `missive --help` prints without importing the commands says what each command says of itself."""
    for name, (module, help_text) in COMMANDS.items():
        parser = cli._Parser(prog="missive")
        sub = parser.add_subparsers(dest="command", parser_class=cli._CommandParser)
        importlib.import_module(module).register(sub, cli._Parser(add_help=False))
        own = {a.dest: a.help for a in sub._choices_actions}
        assert own.get(name) == help_text, name
    # and every command a module registers is in the table (a forgotten one would be unreachable)
    for module in set(m for m, _ in COMMANDS.values()):
        parser = cli._Parser(prog="missive")
        sub = parser.add_subparsers(dest="command", parser_class=cli._CommandParser)
        importlib.import_module(module).register(sub, cli._Parser(add_help=False))
        assert set(sub.choices) <= set(COMMANDS), module


def test_an_unknown_command_is_one_french_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["frobnicate"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "choix invalide" in err


@pytest.fixture
def app_runs(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the app by a recorder of how it would have been started."""
    import tui.app

    calls: list[dict[str, Any]] = []

    def run_app(
        profile_dir: Path,
        passphrase: str | None = None,
        lang: Any = None,
        theme: Any = None,
        opening: Any = None,
    ) -> int:
        if opening is not None:  # MISSIVE_PASSPHRASE: the profile is being opened since before the app loaded
            mailroom, _inbox = opening.result()
            passphrase = f"opened {mailroom.profile_path}"
            mailroom.close()
        calls.append({"profile": Path(profile_dir), "passphrase": passphrase, "lang": lang, "theme": theme})
        return 0

    monkeypatch.setattr(tui.app, "run_app", run_app)
    return calls


def test_missive_alone_opens_the_app(profile, profile_dir: Path, app_runs, monkeypatch) -> None:
    monkeypatch.delenv("MISSIVE_PASSPHRASE", raising=False)
    assert cli.main(["--profile", str(profile_dir)]) == 0
    assert app_runs == [{"profile": profile_dir, "passphrase": None, "lang": None, "theme": None}]


def test_global_options_are_accepted_after_the_command(profile, profile_dir: Path, app_runs) -> None:
    assert cli.main(["tui", "--theme", "light", "--lang", "en", "--profile", str(profile_dir)]) == 0
    assert cli.main(["--theme", "ansi16", "--profile", str(profile_dir), "tui"]) == 0
    assert [(c["theme"], c["lang"]) for c in app_runs] == [("light", "en"), ("ansi16", None)]


def test_global_options_after_a_sub_command(profile_dir: Path, capsys) -> None:
    assert cli.main(["config", "path", "--profile", str(profile_dir)]) == 0
    assert capsys.readouterr().out.strip() == str(profile_dir)
    assert cli.main(["--profile", "/elsewhere", "config", "path", f"--profile={profile_dir}"]) == 0
    assert capsys.readouterr().out.strip() == str(profile_dir)  # the one after the command wins


def test_the_app_is_unlocked_by_missive_passphrase(profile, profile_dir: Path, app_runs, monkeypatch) -> None:
    """The profile is opened with it in a thread started before the app loads (tui.opening), which the app
    takes; the app itself is not given the passphrase."""
    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    assert cli.main(["--profile", str(profile_dir), "tui"]) == 0
    assert app_runs[0]["passphrase"] == f"opened {profile_dir}"


def test_a_wrong_missive_passphrase_reaches_the_app_refused(
    profile, profile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tui.app
    from core.errors import WrongPassphrase

    seen: list[str] = []

    def run_app(profile_dir: Path, opening: Any = None, **_: Any) -> int:
        try:
            opening.result()
        except WrongPassphrase as exc:  # the app says it on the unlock screen ('refusée') and asks
            seen.append(type(exc).__name__)
            assert exc.__cause__ is None and exc.__context__ is None  # no frame of the derivation kept
        return 0

    monkeypatch.setattr(tui.app, "run_app", run_app)
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "pas la bonne")
    assert cli.main(["--profile", str(profile_dir), "tui"]) == 0
    assert seen == ["WrongPassphrase"]


def test_the_app_run_as_a_program_is_unlocked_by_missive_passphrase(profile, profile_dir: Path) -> None:
    """As the console script runs it (the passphrase taken out of the environment before the command runs)."""
    script = (
        "import json, os, sys\n"
        "import tui.app\n"
        "seen = {}\n"
        "def run_app(profile_dir, passphrase=None, lang=None, theme=None, opening=None):\n"
        "    mailroom, _ = opening.result()\n"
        "    seen.update(passphrase=passphrase, opened=str(mailroom.profile_path),\n"
        "                left_in_env='MISSIVE_PASSPHRASE' in os.environ)\n"
        "    mailroom.close()\n"
        "    return 0\n"
        "tui.app.run_app = run_app\n"
        "from tui.cli import main\n"
        "sys.argv = ['missive', '--profile', sys.argv[1]]\n"
        "code = main()\n"
        "print(json.dumps(seen | {'code': code}))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(profile_dir)],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_PASSPHRASE": PASS},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout) == {
        "passphrase": None,
        "opened": str(profile_dir),
        "left_in_env": False,
        "code": 0,
    }


@pytest.fixture
def user_data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty per-user data folder (where the default profile and the demo live)."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "data" / "missive"


@pytest.mark.parametrize("command", [["tui"], [], ["messages", "list"], ["sync"], ["config", "check"]])
def test_without_a_profile_every_entry_names_the_demo(user_data: Path, app_runs, capsys, command) -> None:
    assert cli.main(command) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"aucun profil dans {user_data / 'profile'}" in err
    assert "l'assistant de configuration (« missive » dans un terminal) ou « missive init »" in err
    assert f"« missive demo » (elle sera dans {user_data / 'demo'})" in err
    assert app_runs == []


def test_leaving_the_assistant_before_it_made_a_profile_says_where_the_demo_is(
    user_data: Path, app_runs, capsys, monkeypatch
) -> None:
    """In a terminal a first start opens the set-up assistant; quitting it early leaves the way to the demo."""
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert cli.main([]) == 0
    assert len(app_runs) == 1  # the app (its assistant) did open
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"« missive demo » (elle sera dans {user_data / 'demo'})" in err


def test_once_the_demo_is_built_the_message_says_how_to_open_it(user_data: Path, capsys) -> None:
    (user_data / "demo").mkdir(parents=True)
    (user_data / "demo" / "vault.json").write_text("{}")
    assert cli.main(["tui"]) == 1
    assert (
        f"ouvrez la démonstration (dans {user_data / 'demo'}) avec « missive demo »"
        in capsys.readouterr().err
    )


def test_config_check_passes_only_with_a_profile(profile, profile_dir: Path, tmp_path: Path, cli_run) -> None:
    assert cli_run("--profile", str(profile_dir), "config", "check")[0] == 0
    code, _, err = cli_run("--profile", str(tmp_path / "none"), "config", "check")
    assert code == 1 and "aucun profil" in err


def test_config_check_names_a_theme_that_does_not_exist(profile, profile_dir: Path, cli_run) -> None:
    """theme = "nope" in profile.toml: the app fell back to the dark theme with a toast, and 'config check', the
    command to run after editing profile.toml, said OK."""
    settings = profile_dir / "profile.toml"
    text = settings.read_text("utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), 1) if row.startswith("theme"))
    settings.write_text(text.replace('theme = "dark"', 'theme = "nope"', 1), "utf-8")
    code, out, err = cli_run("--profile", str(profile_dir), "config", "check")
    assert code == 2 and not out and err.count("\n") == 1
    assert f"profile.toml ligne {line} : theme « nope » introuvable ; thèmes : ansi16, dark, high-contrast" in err
    for name in ("light", "nord"):  # missive's and Textual's own themes are themes
        settings.write_text(text.replace('theme = "dark"', f'theme = "{name}"', 1), "utf-8")
        assert cli_run("--profile", str(profile_dir), "config", "check")[0] == 0
    themes = profile_dir / "themes"
    themes.mkdir()
    (themes / "cabinet.toml").write_text('primary = "#004488"\n', "utf-8")  # a theme of the profile's own
    settings.write_text(text.replace('theme = "dark"', 'theme = "cabinet"', 1), "utf-8")
    assert cli_run("--profile", str(profile_dir), "config", "check")[0] == 0
    (themes / "abime.toml").write_text("primary = [\n", "utf-8")  # a theme file that does not read
    code, _, err = cli_run("--profile", str(profile_dir), "config", "check")
    assert code == 2 and "thème abime.toml illisible" in err


@pytest.fixture
def cli_run(capsys: pytest.CaptureFixture[str]):
    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


@pytest.fixture
def own_log():
    """The profile log opened by this test's profile (a process keeps the first profile's log otherwise)."""
    import logging

    root = logging.getLogger("missive")
    saved = root.handlers[:]
    root.handlers.clear()
    yield
    for handler in root.handlers:
        handler.close()
    root.handlers[:] = saved


def test_library_warnings_go_to_the_log_not_the_terminal(
    profile, profile_dir: Path, monkeypatch, cli_run, own_log
) -> None:
    import tui.commands.profile as commands

    def noisy(args: argparse.Namespace, ctx: Any) -> int:
        ctx.mailroom()  # the profile's log is open from here on
        warnings.warn("some library's remark about /home/patient-name", UserWarning, stacklevel=1)
        warnings.warn("deprecated", DeprecationWarning, stacklevel=1)
        print("ok")
        return 0

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    monkeypatch.setattr(commands, "cmd_config_path", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always")
        code, out, err = cli_run("--profile", str(profile_dir), "config", "path")
    assert (code, out, err) == (0, "ok\n", "")
    log = (profile_dir / "missive.log").read_text()
    assert "python warning UserWarning from test_cli_entry (1)" in log
    assert "python warning DeprecationWarning from test_cli_entry (1)" in log
    assert "patient-name" not in log


def test_a_bug_is_one_line_on_screen_and_its_place_in_the_log(
    profile, profile_dir: Path, monkeypatch, cli_run, own_log
) -> None:
    import tui.commands.profile as commands

    def broken(args: argparse.Namespace, ctx: Any) -> int:
        ctx.mailroom()
        raise KeyError("DUPONT Jean 01/02/1960")

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    monkeypatch.delenv("MISSIVE_DEBUG", raising=False)
    monkeypatch.setattr(commands, "cmd_config_path", broken)
    code, out, err = cli_run("--profile", str(profile_dir), "config", "path")
    assert code == 1 and err.count("\n") == 1
    assert "erreur interne (KeyError)" in err and "Traceback" not in err and "DUPONT" not in err
    log = (profile_dir / "missive.log").read_text()
    assert "internal error KeyError at test_cli_entry.py:" in log and "DUPONT" not in log


async def test_a_bug_in_the_app_leaves_one_line_and_no_traceback(capsys, monkeypatch, caplog) -> None:
    """Textual's report of a crash shows the values of local variables: a patient's name could be among them."""
    from tests.tui.conftest import settle
    from tests.tui.fakes import FakeMailroom
    from tui.app import MissiveApp

    monkeypatch.delenv("MISSIVE_DEBUG", raising=False)

    def boom() -> None:
        patient = "DUPONT Jean 01/02/1960"
        raise KeyError(patient)

    app = MissiveApp(mailroom=FakeMailroom())
    with pytest.raises(KeyError):
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            app.call_later(boom)
            await pilot.pause(0.2)
    err = capsys.readouterr().err
    assert "erreur interne (KeyError)" in err
    assert "DUPONT" not in err and "Traceback" not in err and "patient" not in err
    assert any("internal error KeyError at test_cli_entry.py:" in r.getMessage() for r in caplog.records)
    assert not any("DUPONT" in r.getMessage() for r in caplog.records)


def test_library_log_records_go_to_the_log_not_the_terminal(
    profile, profile_dir: Path, monkeypatch, cli_run, own_log
) -> None:
    """Without a handler, Python prints a library's warnings and errors (asyncio's tracebacks) on stderr."""
    import logging

    import tui.commands.profile as commands

    def noisy(args: argparse.Namespace, ctx: Any) -> int:
        ctx.mailroom()
        logging.getLogger("aioimaplib.aioimaplib").warning("server said: DUPONT Jean")
        try:
            raise ValueError("DUPONT Jean")
        except ValueError:
            logging.getLogger("asyncio").exception("Task exception was never retrieved")
        return 0

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    monkeypatch.setattr(commands, "cmd_config_path", noisy)
    code, out, err = cli_run("--profile", str(profile_dir), "config", "path")
    assert (code, err) == (0, "")
    log = (profile_dir / "missive.log").read_text()
    assert "aioimaplib.aioimaplib WARNING (test_cli_entry:" in log
    assert "asyncio ERROR: ValueError at test_cli_entry.py:" in log
    assert "DUPONT" not in log
    assert not [h for h in logging.root.handlers if type(h).__name__ == "LibraryRecords"]  # removed after


def test_an_error_in_a_thread_goes_to_the_log_not_the_terminal(
    profile, profile_dir: Path, monkeypatch, cli_run, own_log
) -> None:
    import threading

    import tui.commands.profile as commands

    def threaded(args: argparse.Namespace, ctx: Any) -> int:
        ctx.mailroom()

        def sync_in_background() -> None:
            raise OSError("DUPONT Jean")

        worker = threading.Thread(target=sync_in_background)
        worker.start()
        worker.join()
        return 0

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    monkeypatch.setattr(commands, "cmd_config_path", threaded)
    hook = threading.excepthook
    code, out, err = cli_run("--profile", str(profile_dir), "config", "path")
    assert (code, err) == (0, "")
    log = (profile_dir / "missive.log").read_text()
    assert "internal error OSError at test_cli_entry.py:" in log and "DUPONT" not in log
    assert threading.excepthook is hook  # given back after the command


@pytest.mark.parametrize(
    ("words", "options"),
    [
        (["sync"], {}),
        (["--profile", "/p", "sync", "--account", "cabinet"], {"profile": "/p", "account": "cabinet"}),
        (["--lang=en", "sync", "--theme", "light"], {"lang": "en", "theme": "light"}),
        (["--profile", "/a", "sync", "--profile=/b"], {"profile": "/b"}),  # the last one wins, as argparse
        (["--profile", "sync", "sync"], {"profile": "sync"}),
        (["sync", "--help"], None),
        (["sync", "--acc", "cabinet"], None),  # an abbreviation: argparse's to expand
        (["sync", "--account"], None),
        (["sync", "--account", "--lang"], None),
        (["sync", "--account="], None),
        (["sync", "--lang", "de"], None),
        (["sync", "sync"], None),
        (["messages", "list"], None),
        (["--profile", "/p"], None),
        (["sync", "--", "x"], None),
    ],
)
def test_only_a_plain_sync_is_answered_before_the_parser(words: list[str], options: dict[str, str] | None) -> None:
    """What the daemon's quick path takes; everything else is the parser's (help, usage errors in French)."""
    from tui.daemonsync import plain_sync

    assert plain_sync(words) == options


def test_a_sync_with_no_daemon_takes_the_ordinary_path(tmp_path: Path, capsys) -> None:
    assert cli.main(["--profile", str(tmp_path / "none"), "sync"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "aucun profil" in err
