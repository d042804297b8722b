"""``missive sync`` answered by a running ``missive daemon``, before the command line's machinery is loaded.

A plain ``missive sync`` (``--profile``, ``--account``, ``--lang``, ``--theme`` written in full, each with its
value) asks the daemon of the profile through its control socket (core.agent, reached through core.config)
and prints each account's counts from the catalogue: no argparse, no façade, no logging set-up, no key
derivation. Anything else (help, an abbreviated option, a mistake), or no daemon answering, goes to the
ordinary path (tui.cliparse), which says the same things the same way: a refusal of the daemon is the core's
own line in the chosen language, with the same exit code.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing
if TYPE_CHECKING:
    from collections.abc import Collection, Sequence
    from typing import Any

COMMAND = "sync"
OPTIONS = {"--profile": "profile", "--account": "account", "--lang": "lang", "--theme": "theme"}
AFTER = ("--account",)  # sync's own option: after the command only (the others are missive's, anywhere)
LANGUAGES = ("fr", "en")


def plain_sync(words: Sequence[str]) -> dict[str, str] | None:
    """The options of ``words`` when they are a plain ``missive sync``, else None (the parser's business)."""
    return plain_command(words, COMMAND, OPTIONS, after=AFTER)


def plain_command(
    words: Sequence[str],
    command: str,
    known: dict[str, str],
    implied: bool = False,
    after: Collection[str] = (),
) -> dict[str, str] | None:
    """The options of ``words`` when they are a plain ``missive <command>`` with the options ``known`` (flag:
    name), else None (the parser's business). ``implied``: the command may be left out (``missive`` alone is
    ``missive tui``). ``after``: the command's own options, which argparse takes only after it.

    As argparse reads them: the global options before or after the command, the last one given wins; a value
    that looks like an option, an empty one, an unknown language (any of those given) or anything else makes it
    the parser's."""
    options: dict[str, str] = {}
    named = False
    i = 0
    while i < len(words):
        word = words[i]
        if word == command and not named:
            named = True
            i += 1
            continue
        flag, equals, value = word.partition("=")
        if flag not in known or (flag in after and not named):
            return None
        if not equals:
            if i + 1 >= len(words):
                return None
            value = words[i + 1]
        i += 1 if equals else 2
        if not value or value.startswith("-") or (known[flag] == "lang" and value not in LANGUAGES):
            return None
        options[known[flag]] = value
    if not (named or implied) or options.get("lang", LANGUAGES[0]) not in LANGUAGES:
        return None
    return options


def answer(words: Sequence[str]) -> int | None:
    """The exit code of ``missive <words>`` when it is a plain sync the running daemon answered (its counts
    printed, or its refusal said); None when this is not such a sync or no daemon answers."""
    options = plain_sync(words)
    if options is None:
        return None
    try:
        from core.config import ask_daemon_sync, profile_folder

        reports = ask_daemon_sync(profile_folder(options.get("profile")), options.get("account"))
        if reports is None:
            return None  # no daemon: the ordinary path unlocks the profile itself
        from tui.i18n import set_language

        set_language(options.get("lang"))
        print_reports(reports)
        return 0
    except (Exception, KeyboardInterrupt) as exc:  # the daemon's refusal, an interruption: said as always
        from tui.i18n import set_language

        set_language(options.get("lang"))
        from tui.clirun import failed

        return failed(exc)


def print_reports(reports: list[dict[str, Any]]) -> None:
    """One line per account: its counts (new, flags received and sent, removed)."""
    from tui.i18n import t

    for r in reports:
        print(
            t(
                "cli.sync.report",
                account=r["account"],
                new=r["new"],
                flags_in=r["flags_in"],
                flags_out=r["flags_out"],
                expunged=r["expunged"],
            )
        )
        if r.get("undelivered"):  # a letter of hers never reached someone: said on its own line
            print(t("cli.sync.undelivered", account=r["account"], count=r["undelivered"]))
    sys.stdout.flush()
