"""The ``missive`` command line: argparse front end, thin client of ``core``.

Errors become one line on stderr: exit 2 for bad input or usage, 1 for a failed operation.
"""

from __future__ import annotations

import argparse
import getpass
import importlib
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from core import __version__
from core.errors import BadInput, MissiveError


class UsageError(BadInput):
    """A command-line usage mistake."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of printing a usage block and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{_french_usage(message)} (voir : {self.prog} --help)")


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


class Context:
    """What a command handler needs: the profile location, the passphrase, the output."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._mailroom: Any = None

    @property
    def profile_dir(self) -> Path:
        from core.config import default_profile_dir

        given = getattr(self.args, "profile", None)
        return Path(given).expanduser() if given else default_profile_dir()

    def passphrase(self, prompt: str = "Phrase de passe : ", confirm: bool = False) -> str:
        """MISSIVE_PASSPHRASE when set, else asked on the terminal (never echoed)."""
        env = os.environ.get("MISSIVE_PASSPHRASE")
        if env is not None:
            return env
        if not sys.stdin.isatty():
            raise BadInput(
                "aucune phrase de passe : définissez MISSIVE_PASSPHRASE ou lancez missive dans un terminal"
            )
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("Confirmez : ") != first:
            raise BadInput("les deux phrases de passe diffèrent : recommencez")
        return first

    def secret(self, env_name: str, prompt: str) -> str:
        """A secret from ``env_name`` or asked on the terminal."""
        env = os.environ.get(env_name)
        if env is not None:
            return env
        if not sys.stdin.isatty():
            raise BadInput(f"aucun secret donné : définissez {env_name} ou lancez missive dans un terminal")
        return getpass.getpass(prompt)

    def mailroom(self) -> Any:
        """Open (once) the profile's façade with the passphrase."""
        if self._mailroom is None:
            from core.mailroom import Mailroom

            self._mailroom = Mailroom.open(self.profile_dir, self.passphrase())
        return self._mailroom

    def close(self) -> None:
        if self._mailroom is not None:
            self._mailroom.close()
            self._mailroom = None

    @staticmethod
    def print_json(obj: Any) -> None:
        sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")


def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    parser = _Parser(
        prog="missive",
        description="missive — messagerie sécurisée de santé au terminal (MSSanté, S/MIME, HPRIM, HL7, CDA).",
    )
    parser.add_argument("--version", action="version", version=f"missive {__version__}")
    parser.add_argument("--profile", metavar="DIR", help="dossier du profil (défaut : dossier utilisateur)")
    parser.add_argument("--lang", choices=["fr", "en"], help="langue de l'interface")
    parser.add_argument("--theme", help="thème de l'interface (dark, light, high-contrast, ansi16, ...)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    from tui.commands import MODULES

    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:
                continue  # a domain not built yet
            raise
        module.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    ctx: Context | None = None
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "func", None):
            if args.command is None:
                parser.print_help()
                return 0
            raise UsageError(
                f"missive {args.command} : sous-commande manquante (voir : missive {args.command} --help)"
            )
        ctx = Context(args)
        return int(args.func(args, ctx) or 0)
    except MissiveError as exc:
        sys.stderr.write(f"missive : {_one_line(str(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("missive : interrompu\n")
        return 130
    except BrokenPipeError:
        return 0
    finally:
        if ctx is not None:
            try:
                ctx.close()
            except MissiveError:
                pass


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "erreur inconnue"


if __name__ == "__main__":
    raise SystemExit(main())
