"""The ``missive`` command line's entry point: ``main``.

``missive sync`` while ``missive daemon`` runs is answered first (tui.daemonsync), before the parser, the
commands and the core are loaded: what such a sync costs is little more than the interpreter's start. With no
daemon, that plain sync runs its handler without building a parser (tui.clirun.run_plain_sync: same lines, same
exit codes). A plain ``missive`` or ``missive tui`` opens the app the same way (tui.clirun.run_plain_tui). Every
other command goes to tui.cliparse (argparse front end, thin client of ``core``).
Errors become one line on stderr: exit 2 for bad input or usage, 1 for a failed operation.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing
if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    as_program = argv is None  # the console script: this process's environment is missive's own
    words = list(sys.argv[1:] if argv is None else argv)
    from tui.daemonsync import answer, plain_sync

    if as_program and plain_sync(words) is not None:
        # A sync's start-up makes objects that all stay (modules, classes, functions): the cyclic collector
        # would walk them again and again for nothing. Paused until the profile is open, then they are frozen
        # out of its way (tui.commands.syncrun.sync_cmd): 3% of a no-change resync's instructions.
        import gc

        gc.disable()

    answered = answer(words)
    if answered is not None:
        return answered
    options = plain_sync(words)
    if options is not None:  # no daemon answered: the same sync, without building a parser (tui.clirun)
        if as_program:  # its key derives while the sync's modules load: begun before them, as for `missive tui`
            _begin_key(options.get("profile"))
        from tui.clirun import run_plain_sync

        code = run_plain_sync(options, as_program)
        if as_program:
            _leave(code)
        return code
    from tui.daemonsync import plain_command

    app_options = plain_command(words, "tui", TUI_OPTIONS, implied=True)
    if app_options is not None:  # a plain `missive [tui]`: the app without argparse nor a parser (tui.clirun)
        if as_program:  # its key derives while the interface loads (core.store.kdf)
            one_malloc_arena()  # before any thread
            _begin_key(app_options.get("profile"))
        from tui.clirun import run_plain_tui

        return run_plain_tui(app_options, as_program)
    from tui.cliparse import command_name, run

    code = run(words, as_program)
    if as_program and command_name(words) == "sync":
        _leave(code)
    return code


def _leave(code: int) -> None:
    """End a finished `missive sync` here, without tearing the interpreter down (freeing every module and
    object one by one, some 45 M instructions: a tenth of a standalone resync), when no other thread is left.
    What an exit does that matters is done first: the atexit handlers (the log's flush and close) and the
    output's flush. Anything else still running, and the process ends the usual way."""
    import threading

    if threading.active_count() > 1:
        return
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`missive sync | head -0`), a closed stream
            pass
    os._exit(code)


M_ARENA_MAX = -8  # glibc's mallopt parameter (malloc.h)


def one_malloc_arena() -> None:
    """The app's threads share glibc's main malloc arena (``mallopt(M_ARENA_MAX, 1)``, set before any thread
    starts) instead of each making its own: the key derivation's, the preload's, Textual's input and output
    threads and its workers' executor each kept an arena whose free parts no other thread reused (about
    0.5 MB at the 10k inbox). Python's small objects are not in those arenas, and the threads take turns on the
    interpreter lock anyway. Called through cffi's backend, which the vault's cryptography loads in any case
    (ctypes would add its own 0.2 MB). Nothing where the C library has no mallopt (not glibc)."""
    try:
        import importlib

        backend = importlib.import_module("_cffi_backend")  # no type stubs

        c_int = backend.new_primitive_type("int")
        kind = backend.new_function_type((c_int, c_int), c_int, False)
        mallopt = backend.load_library(None).load_function(kind, "mallopt")
    except Exception:  # noqa: BLE001 - no cffi backend or no mallopt: the C library's own arenas
        return
    mallopt(M_ARENA_MAX, 1)


def _derive_ahead(words: list[str]) -> None:
    """``missive [tui]`` with ``MISSIVE_PASSPHRASE``: the profile's key derivation begins now, in a thread, before
    the parser, the core and the interface are loaded (core.store.kdf); the profile's opening takes the key,
    only if it was derived from exactly its passphrase, salt and parameters. Anything but a plain ``missive
    tui`` (help, an abbreviated option, another command) begins nothing."""
    from tui.daemonsync import plain_command

    options = plain_command(words, "tui", TUI_OPTIONS, implied=True)
    if options is not None:
        _begin_key(options.get("profile"))


def _begin_key(profile: str | None) -> None:
    """Begin deriving the key of the profile (``--profile``, else the default one) from ``MISSIVE_PASSPHRASE``,
    in a thread (core.store.kdf); nothing without a passphrase given. The opening takes that key only if it was
    derived from exactly its passphrase, salt and parameters."""
    import os

    passphrase = os.environ.get("MISSIVE_PASSPHRASE")
    if passphrase is None:
        return
    from core.config import derive_key_ahead, profile_folder

    derive_key_ahead(profile_folder(profile), passphrase)


# what a plain ``missive tui`` may say (the global options, written in full)
TUI_OPTIONS = {"--profile": "profile", "--lang": "lang", "--theme": "theme"}


def __getattr__(name: str) -> object:
    """The parser's names (``UsageError``, ``Context``, ``build_parser``...) where they were before the entry
    point was split from them."""
    if name.startswith("__"):  # the import system's questions (``__path__``...): not the parser's names
        raise AttributeError(name)
    from tui import cliparse

    return getattr(cliparse, name)


if __name__ == "__main__":
    raise SystemExit(main())
