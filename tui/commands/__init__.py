"""Subcommands of the ``missive`` CLI, one module per domain.

Each module defines ``register(sub, common)`` which adds its parsers to ``sub`` (an argparse
subparsers object, ``common`` being the parent parser holding the global options) and sets
``func=handler`` on each; a handler is ``handler(args, ctx) -> int`` where ``ctx`` is a
``tui.cli.Context``. Handlers contain no business logic: they call core and print.
"""

MODULES = [
    "tui.commands.profile",
    "tui.commands.clinical",
    "tui.commands.patients",
    "tui.commands.secure",
    "tui.commands.mail",
    "tui.commands.send",
    "tui.commands.directory",
    "tui.commands.filing",
]
