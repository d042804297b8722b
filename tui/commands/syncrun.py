"""``missive sync``'s handler, apart from the other mail commands (tui.commands.mail registers it): a plain
sync that no daemon answered runs it without the parser (tui.clirun.run_plain_sync), and loads only this."""

from __future__ import annotations

import sys
from typing import Any

from tui.daemonsync import print_reports


def sync_cmd(args: Any, ctx: Any) -> int:
    """``missive sync [--account NAME]``: each account's counts, one line each."""
    from core.config import ask_daemon_sync

    # a running `missive daemon` holds the profile unlocked: it syncs, this process neither imports the
    # façade and the mail stack nor derives the key again (core.agent says why a socket, not a shared key)
    answered = ask_daemon_sync(ctx.profile_dir, args.account)
    if answered is not None:
        print_reports(answered)
        return 0
    from core.mailroom import SYNC_MODULES, sync_report_json

    mr = ctx.mailroom(ahead=SYNC_MODULES)  # the sync engine imported while the key derives
    import gc

    if not gc.isenabled():  # paused by tui.cli.main while the modules loaded
        gc.freeze()  # what start-up made stays for the process's life: never walked again
        gc.enable()  # the sync's own work is collected as always

    def progress(p: Any) -> None:
        if sys.stderr.isatty():
            sys.stderr.write(f"\r{p.account} {p.folder}: {p.done}/{p.total}")
            sys.stderr.flush()

    import asyncio  # here, not at the top: `missive sync --help` and the other commands do without it

    reports = asyncio.run(mr.sync(args.account, progress=progress))
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    print_reports([sync_report_json(r) for r in reports])
    return 0
