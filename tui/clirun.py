"""What runs a ``missive`` command once its words are read: the handler's ``Context`` (profile, passphrase,
output), the wrappers every command runs inside (libraries' warnings and log records, errors in threads, to
the profile's log), the one line a failure prints, and ``run_plain_sync``: a plain ``missive sync`` that no
daemon answered, run without building a parser (tui.cli).

Nothing here loads argparse: tui.cliparse reads the other commands' words and calls ``execute``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import sys
from pathlib import Path

from core.errors import BadInput, MissiveError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing
if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence
    from typing import Any, TextIO

    from core.mailroom import CommandsAPI


class Context:
    """What a command handler needs: the profile location, the passphrase, the output."""

    def __init__(self, args: Any, *, take_secrets: bool = False) -> None:
        self.args = args
        self._mailroom: CommandsAPI | None = None
        # Run as a program, missive takes its secrets out of its environment once read: no process it starts
        # later inherits them. Called in-process (tests, embedding), the caller's environment is theirs.
        self._taken: dict[str, str] = {}
        if take_secrets:
            from core.config import take_secrets as take

            self._taken = take()

    def env(self, name: str) -> str | None:
        """A secret given in the environment (``MISSIVE_PASSPHRASE``...), or None."""
        return self._taken[name] if name in self._taken else os.environ.get(name)

    @property
    def profile_dir(self) -> Path:
        from core.config import default_profile_dir

        given = getattr(self.args, "profile", None)
        return Path(given).expanduser() if given else default_profile_dir()

    def passphrase(self, prompt: str | None = None, confirm: bool = False) -> str:
        """MISSIVE_PASSPHRASE when set, else asked on the terminal (never echoed)."""
        from tui.i18n import t

        env = self.env("MISSIVE_PASSPHRASE")
        if env is not None:
            return env
        if not sys.stdin.isatty():
            raise BadInput(t("cli.passphrase.none"))
        import getpass

        first = getpass.getpass(prompt or t("cli.passphrase.prompt"))
        if confirm and getpass.getpass(t("cli.passphrase.confirm")) != first:
            raise BadInput(t("cli.passphrase.differ"))
        return first

    def secret(self, env_name: str, prompt: str) -> str:
        """A secret from ``env_name`` or asked on the terminal."""
        from tui.i18n import t

        env = self.env(env_name)
        if env is not None:
            return env
        if not sys.stdin.isatty():
            raise BadInput(t("cli.secret.none", name=env_name))
        import getpass

        return getpass.getpass(prompt)

    def mailroom(self, ahead: Sequence[str] = (), opened: Any = None) -> CommandsAPI:
        """Open (once) the profile's façade with the passphrase; the core's modules ``ahead`` (a command's own,
        as ``SYNC_MODULES``) are imported while the key derives. ``opened``: the profile a no-change sync's check
        unlocked and handed over (``core.config.resync_if_unchanged``), taken as it is."""
        if self._mailroom is None:
            from core.config import missing_profile_message
            from core.errors import NotFound
            from core.mailroom import Mailroom, profile_exists

            if opened is not None:
                self._mailroom = Mailroom.adopt(opened, ahead)
            elif not profile_exists(self.profile_dir):
                raise NotFound(missing_profile_message(self.profile_dir))  # before asking a passphrase
            else:
                self._mailroom = Mailroom.open(self.profile_dir, self.passphrase(), ahead)
            if not getattr(self.args, "lang", None):  # no --lang: the profile's language setting
                from tui.i18n import set_language

                set_language(self._mailroom.settings.language)
        return self._mailroom

    def close(self) -> None:
        if self._mailroom is not None:
            self._mailroom.close()
            self._mailroom = None

    @staticmethod
    def print_json(obj: Any) -> None:
        import json

        # json escapes C0 controls only: DEL, the C1 controls (U+009B is CSI) and the bidi controls of a
        # letter's subject or a file name reached the terminal as they were. Escaped as \uXXXX, the line is
        # the same JSON (a program reading it gets the same text) and writes no terminal command.
        from core.model import TERMINAL_COMMANDS

        text = json.dumps(obj, ensure_ascii=False, default=str)
        sys.stdout.write(TERMINAL_COMMANDS.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n")


def execute(handler: Callable[[Any, Context], int | None], args: Any, as_program: bool = False) -> int:
    """Run a command's ``handler(args, ctx)``: its exit code, or its failure said on one line (``failed``).
    Libraries' log records and errors in threads go to the profile's log meanwhile; the profile is closed after.
    ``as_program``: the console script, whose environment is missive's own (its secrets are taken out)."""
    ctx: Context | None = None
    try:
        ctx = Context(args, take_secrets=as_program)
        with _library_logs_to_profile():
            return int(handler(args, ctx) or 0)
    except (Exception, KeyboardInterrupt) as exc:
        return failed(exc)
    finally:
        if ctx is not None:
            try:
                ctx.close()
            except MissiveError:
                pass


class PlainArgs:
    """The words of a plain ``missive sync`` or ``missive tui`` as the parser would give them (``args.profile``,
    ``.account``...)."""

    def __init__(self, command: str, options: dict[str, str]) -> None:
        self.command = command
        self.profile = options.get("profile")
        self.lang = options.get("lang")
        self.theme = options.get("theme")
        self.account = options.get("account")


def run_plain_sync(options: dict[str, str], as_program: bool = False) -> int:
    """``missive sync`` with only ``--profile``, ``--account``, ``--lang``, ``--theme`` (``options``, as
    tui.daemonsync.plain_sync reads them) when no daemon answered: the same handler, context, wrappers, lines
    and exit codes as through the parser, without argparse and the parser's build (some 8 ms of a standalone
    resync). Help, abbreviations and mistakes never come here: they are the parser's."""
    from tui.i18n import set_language

    set_language(options.get("lang"))
    from tui.commands.syncrun import sync_cmd

    with _warnings_to_log():
        return execute(sync_cmd, PlainArgs("sync", options), as_program)


def run_plain_tui(options: dict[str, str], as_program: bool = False) -> int:
    """A plain ``missive`` or ``missive tui`` (``--profile``, ``--lang``, ``--theme`` written in full, each with
    its value: ``options`` as tui.daemonsync.plain_command reads them): the app through the same handler,
    context, wrappers, lines and exit codes as through the parser, without argparse (argparse, gettext and the
    parser's classes, some 0.4 MB that stayed in the app). Help, abbreviations and mistakes are the parser's."""
    from tui.i18n import set_language

    set_language(options.get("lang"))
    from tui.commands.profile import cmd_tui

    with _warnings_to_log():
        return execute(cmd_tui, PlainArgs("tui", options), as_program)


# the system's refusals to write that say what to do, not a bug: read-only file system, disk full, quota
_CANNOT_WRITE = frozenset(getattr(errno, name) for name in ("EROFS", "ENOSPC", "EDQUOT") if hasattr(errno, name))


def failed(exc: BaseException) -> int:
    """Say a command's failure on one line of stderr; its exit code. A core error says its own line; a bug
    says its type and where its trace is logged (``MISSIVE_DEBUG=1``: raised as it is)."""
    if isinstance(exc, MissiveError):
        sys.stderr.write(f"missive : {_one_line(str(exc))}\n")
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        from tui.i18n import t

        sys.stderr.write(f"missive : {t('cli.interrupted')}\n")
        return 130
    if isinstance(exc, BrokenPipeError):
        return 0
    if isinstance(exc, PermissionError):  # a profile file another user made (sudo), a folder chmod-ed: no bug
        from tui.i18n import t

        where = exc.filename or ""
        sys.stderr.write(f"missive : {t('cli.denied', path=where)}\n")
        return 1
    if isinstance(exc, OSError) and exc.errno in _CANNOT_WRITE:  # a disk mounted read-only, or full: no bug
        from core.errors import os_reason
        from tui.i18n import t

        where = exc.filename or ""
        sys.stderr.write(f"missive : {t('cli.cannot_write', path=where, reason=os_reason(exc))}\n")
        return 1
    if os.environ.get("MISSIVE_DEBUG") == "1" or not isinstance(exc, Exception):
        raise exc
    import logging

    from core.config import log_bug, where_logged

    log_bug(logging.getLogger("missive.cli"), exc)
    from tui.i18n import t

    sys.stderr.write(f"missive : {t('cli.internal_error', name=type(exc).__name__, where=where_logged())}\n")
    return 1


@contextlib.contextmanager
def _library_logs_to_profile() -> Iterator[None]:
    """While a command runs, libraries' log records, errors in threads (the app's background sync) and errors
    Python can only ignore ("Exception ignored in ...", at garbage collection) go to the profile's log as their
    type and places, never to the terminal."""
    import logging
    import threading

    from core.config import LibraryRecords, log_bug

    logger = logging.getLogger("missive.cli")
    handler = LibraryRecords()
    saved = threading.excepthook, sys.unraisablehook

    def thread_failed(failure: Any) -> None:
        if failure.exc_type is SystemExit or failure.exc_value is None:
            return
        thread = getattr(failure.thread, "name", "")
        if thread == "textual-output" and isinstance(failure.exc_value, OSError):
            # the screen's writer found the terminal gone (SIGHUP: an SSH link cut, the window closed), as the
            # app saves the letter and ends: no bug
            logger.info("the terminal went away (%s)", type(failure.exc_value).__name__)
            return
        log_bug(logger, failure.exc_value)

    def unraisable(failure: Any) -> None:
        if failure.exc_value is not None:
            log_bug(logger, failure.exc_value)

    logging.root.addHandler(handler)
    threading.excepthook, sys.unraisablehook = thread_failed, unraisable
    try:
        yield
    finally:
        logging.root.removeHandler(handler)
        threading.excepthook, sys.unraisablehook = saved


class _warnings_to_log:  # noqa: N801 - used as a context manager, named like one
    """Python warnings (libraries' UserWarning, DeprecationWarning...) go to the profile's log, never to the
    terminal: their category and origin module, counted; not their text, which may quote data."""

    def __enter__(self) -> None:
        import warnings

        self._saved = warnings.showwarning
        self.counts: dict[tuple[str, str], int] = {}
        warnings.showwarning = self._show

    def _show(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        key = (category.__name__, Path(filename).stem)
        self.counts[key] = self.counts.get(key, 0) + 1
        self._flush()

    def _flush(self) -> None:
        logging = sys.modules.get("logging")  # not imported (--help): no log to write to, nothing to import
        if logging is None or not self.counts or not logging.getLogger("missive").handlers:
            return  # no profile log yet: kept until there is one
        logger = logging.getLogger("missive.warnings")
        for (category, origin), count in sorted(self.counts.items()):
            logger.info("python warning %s from %s (%d)", category, origin, count)
        self.counts.clear()

    def __exit__(self, *exc: object) -> None:
        import warnings

        self._flush()
        warnings.showwarning = self._saved


def _one_line(text: str) -> str:
    """An error on one line, without a terminal control character: a core error may quote a server's words."""
    from core.model import printable

    return " ".join(printable(text, one_line=True).split()) or "erreur inconnue"
