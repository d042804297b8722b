"""The ``missive`` command line's entry point: ``main``.

``missive sync`` while ``missive daemon`` runs is answered first (tui.daemonsync), before the parser, the
commands and the core are loaded: what such a sync costs is little more than the interpreter's start. Every
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
    from tui.daemonsync import answer

    answered = answer(words)
    if answered is not None:
        return answered
    from tui.cliparse import run

    return run(words, as_program)


def __getattr__(name: str) -> object:
    """The parser's names (``UsageError``, ``Context``, ``build_parser``...) where they were before the entry
    point was split from them."""
    if name.startswith("__"):  # the import system's questions (``__path__``...): not the parser's names
        raise AttributeError(name)
    from tui import cliparse

    return getattr(cliparse, name)


if __name__ == "__main__":
    raise SystemExit(main())
