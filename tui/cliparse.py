"""The ``missive`` command line's parser and runner (``tui.cli.main`` calls ``run``): argparse front end,
thin client of ``core``.

Errors become one line on stderr: exit 2 for bad input or usage, 1 for a failed operation.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from core import __version__
from core.errors import BadInput
from tui.clirun import Context as Context  # where handlers and tests found it (tui.cli gives it too)
from tui.clirun import _warnings_to_log, execute
from tui.clirun import failed as failed


class UsageError(BadInput):
    """A command-line usage mistake."""


def _help_text(text: Any) -> Any:
    """A help text of the command line in the interface's language (the French text is the key)."""
    from tui.i18n import help_text

    return help_text(text) if isinstance(text, str) else text


class _Formatter(argparse.HelpFormatter):
    """argparse's help layout with its own words ("usage:") in the interface's language, its width found as
    shutil.get_terminal_size finds it but without importing shutil (and the compression modules it loads):
    argparse makes a formatter for every option it checks, so every command paid for it, help or not."""

    def __init__(
        self, prog: str, indent_increment: int = 2, max_help_position: int = 24, width: int | None = None
    ) -> None:
        if width is None:
            width = _columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, _help_text("utilisation : ") if prefix is None else prefix)


def _columns() -> int:
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing a usage block and exiting, with its help in the interface's
    language (French by default), argparse's own words ("usage", "positional arguments", "options") included."""

    def __init__(self, *args: Any, add_help: bool = True, **kwargs: Any) -> None:
        for key in ("description", "epilog"):
            if key in kwargs:
                kwargs[key] = _help_text(kwargs[key])
        kwargs["add_help"] = False  # ours, below, with its text in the interface's language
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        # argparse adds ":" to a heading; French puts a space before it
        self._positionals.title = _help_text("arguments ")
        self._optionals.title = _help_text("options ")
        if add_help:
            self.add_argument("-h", "--help", action="help", help="afficher cette aide et quitter")

    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        if "help" in kwargs:
            kwargs["help"] = _help_text(kwargs["help"])
        return super().add_argument(*args, **kwargs)

    def add_subparsers(self, **kwargs: Any) -> Any:
        action = super().add_subparsers(**kwargs)
        add_parser = action.add_parser

        def translated(name: str, **options: Any) -> Any:
            if "help" in options:
                options["help"] = _help_text(options["help"])
            return add_parser(name, **options)

        action.add_parser = translated  # type: ignore[method-assign]  # sub-commands' help translated too
        return action

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        found, extras = super().parse_known_args(args, namespace)
        if extras and not hasattr(found, "_extras_prog"):
            # the innermost command that did not know them: its --help lists what it takes
            found._extras_prog = self.prog
        return found, extras

    def parse_args(self, args: Any = None, namespace: Any = None) -> Any:
        found, extras = self.parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}", getattr(found, "_extras_prog", None))
        return found

    def error(self, message: str, prog: str | None = None) -> NoReturn:
        from tui.i18n import language, t

        prog = prog or self.prog
        said = message if language() == "en" else _french_usage(message)
        guess = _closest_choice(message)
        if guess:
            said += t("cli.usage.did_you_mean", guess=guess)
        raise UsageError(t("cli.usage.see_help", said=said, prog=prog))


def _closest_choice(message: str) -> str | None:
    """For a mistyped command or value ("mesages"), the one it most likely meant among the choices."""
    import difflib
    import re

    found = re.search(r"invalid choice: '([^']*)' \(choose from (.+)\)", message)
    if not found:
        return None
    choices = re.findall(r"'([^']*)'", found.group(2))
    close = difflib.get_close_matches(found.group(1), choices, n=1, cutoff=0.6)
    return close[0] if close else None


# argparse words its errors in English; these are the ones a missive command can produce.
_ARGPARSE_ERRORS = (
    (r"the following arguments are required: (.+)", r"arguments obligatoires manquants : \1"),
    (r"unrecognized arguments: (.+)", r"arguments non reconnus : \1"),
    (r"one of the arguments (.+) is required", r"l'un des arguments \1 est obligatoire"),
    (r"ambiguous option: (\S+) could match (.+)", r"option ambiguë : \1 peut désigner \2"),
    (r"invalid choice: (.+) \(choose from (.+)\)", r"choix invalide : \1 (choix possibles : \2)"),
    (r"invalid (\w+) value: (.+)", r"valeur invalide (\1 attendu) : \2"),
    (r"expected one argument", "une valeur attendue"),
    (r"expected at least one argument", "au moins une valeur attendue"),
    (r"expected at most one argument", "au plus une valeur attendue"),
    (r"expected (\d+) arguments?", r"\1 valeurs attendues"),
    (r"not allowed with argument (.+)", r"incompatible avec l'argument \1"),
    (r"ignored explicit argument (.+)", r"valeur ignorée : \1"),
)


def _french_usage(message: str) -> str:
    """argparse's English error in French; a message of ours (already French) is kept."""
    import re

    found = re.fullmatch(r"argument (\S+): (.*)", message)
    prefix, text = (f"argument {found.group(1)} : ", found.group(2)) if found else ("", message)
    for pattern, french in _ARGPARSE_ERRORS:
        if re.fullmatch(pattern, text):
            return prefix + re.sub(pattern, french, text)
    return prefix + text


# Options every command accepts, before or after its name (``missive --theme light tui`` or
# ``missive tui --theme light``): (flags, argparse keywords, takes a value).
GLOBAL_OPTIONS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--profile", {"metavar": "DIR", "help": "dossier du profil (défaut : dossier utilisateur)"}),
    ("--lang", {"choices": ["fr", "en"], "help": "langue de l'interface"}),
    ("--theme", {"help": "thème de l'interface (dark, light, high-contrast, ansi16, ...)"}),
)
DEFAULT_COMMAND = "tui"


def _add_global_options(parser: argparse.ArgumentParser, *, after_command: bool) -> None:
    for flag, kwargs in GLOBAL_OPTIONS:
        # After the command a missing option leaves the value given before it (or None) untouched.
        extra: dict[str, Any] = {"default": argparse.SUPPRESS} if after_command else {}
        parser.add_argument(flag, **kwargs, **extra)


class _CommandParser(_Parser):
    """The parser of a command or sub-command: it accepts the global options too."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _add_global_options(self, after_command=True)


def _language_first(argv: Sequence[str]) -> None:
    """Set the language from ``--lang`` before the parser is built (French otherwise)."""
    from tui.i18n import set_language

    lang = None
    for i, word in enumerate(argv):
        if word == "--":
            break
        if word == "--lang" and i + 1 < len(argv):
            lang = argv[i + 1]
        elif word.startswith("--lang="):
            lang = word.split("=", 1)[1]
    set_language(lang)


def command_name(argv: Sequence[str]) -> str | None:
    """The command word of ``argv`` (the first word that is neither an option nor an option's value)."""
    valued = [flag for flag, kwargs in GLOBAL_OPTIONS if kwargs.get("action") is None]
    skip = False
    for word in argv:
        if skip:
            skip = False
            continue
        if word == "--":
            return None
        if word.startswith("-"):
            if "=" not in word and word.startswith("--"):
                matches = [flag for flag in valued if flag.startswith(word)]
                skip = len(matches) == 1
            continue
        return word
    return None


def _ends_wanting_value(argv: Sequence[str]) -> bool:
    """Whether the last word is a global option still waiting for its value (`missive --profile`): the app's
    command appended there would be taken as that value, and the user told a sub-command is missing."""
    if not argv or not argv[-1].startswith("--") or "=" in argv[-1]:
        return False
    valued = [flag for flag, kwargs in GLOBAL_OPTIONS if kwargs.get("action") is None]
    return len([flag for flag in valued if flag.startswith(argv[-1])]) == 1


class _Unbuilt:
    """What a module's ``register`` gets for a parser of a command that does not run: it takes every call
    (``add_argument``, ``add_subparsers``, ``add_parser``, ``set_defaults``...) and builds nothing."""

    def __getattr__(self, name: str) -> Any:
        return self._nothing

    def _nothing(self, *args: Any, **kwargs: Any) -> _Unbuilt:
        return self


class _OneCommand:
    """The subparsers handed to a module's ``register`` when ``command`` runs: its parser is built, the
    module's other commands are not (each parser with the global options costs about 0.3 ms: `missive sync`
    built the 17 parsers of account, sync and messages)."""

    def __init__(self, sub: Any, command: str) -> None:
        self._sub = sub
        self._command = command

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        return self._sub.add_parser(name, **kwargs) if name == self._command else _Unbuilt()


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for ``command`` (its module only is imported) or, without one, the list of commands."""
    from tui.commands import COMMANDS

    common = _Parser(add_help=False)
    parser = _Parser(
        prog="missive",
        description="missive — messagerie sécurisée de santé au terminal (MSSanté, S/MIME, HPRIM, HL7, CDA).",
        epilog=f"Sans commande, missive ouvre l'interface (missive {DEFAULT_COMMAND}).",
    )
    parser.add_argument(
        "--version", action="version", version=f"missive {__version__}", help="afficher la version et quitter"
    )
    _add_global_options(parser, after_command=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)
    if command in COMMANDS:
        importlib.import_module(COMMANDS[command][0]).register(_OneCommand(sub, command), common)
    else:
        for name, (_, help_text) in COMMANDS.items():
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def run(argv: Sequence[str], as_program: bool = False) -> int:
    """Run the command ``argv`` (``as_program``: the console script, whose environment is missive's own)."""
    argv = list(argv)
    with _warnings_to_log():
        try:
            _language_first(argv)  # help and usage errors are printed while parsing
            command = command_name(argv)
            if command is None and not {"-h", "--help", "--version"} & set(argv) and not _ends_wanting_value(argv):
                argv.append(DEFAULT_COMMAND)  # `missive` alone opens the app, as --help says
                command = DEFAULT_COMMAND
            parser = build_parser(command)
            args = parser.parse_args(argv)
            from tui.i18n import set_language

            set_language(getattr(args, "lang", None))  # French unless asked; the profile's setting once open
            if not getattr(args, "func", None):
                from tui.i18n import t

                raise UsageError(t("cli.usage.missing_subcommand", command=args.command))
        except (Exception, KeyboardInterrupt) as exc:
            return failed(exc)
        return execute(args.func, args, as_program)
