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
    from core.config import profile_exists, resync_if_unchanged

    checked = None
    if profile_exists(ctx.profile_dir):  # else the façade's opening says how to make one
        # unlocked, and each account's server asked whether anything changed, without the sync's machinery: a
        # sync with nothing to do ends here; otherwise the profile (its key) goes on to the full sync
        checked = resync_if_unchanged(ctx.profile_dir, ctx.passphrase(), args.account)
        if checked.reports is not None:
            _collect_again()
            if not getattr(args, "lang", None):  # no --lang: the profile's language setting
                from tui.i18n import set_language

                set_language(checked.profile.settings.language)
            print_reports(checked.reports)
            return 0
    from core.mailroom import SYNC_MODULES, sync_report_json

    # the sync engine imported while the key derives (or now, after a check that handed the profile over)
    mr = ctx.mailroom(ahead=SYNC_MODULES, opened=checked)
    _collect_again()

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


def _collect_again() -> None:
    """The cyclic collector, paused by tui.cli.main while the modules loaded, works again; what start-up made
    stays for the process's life and is frozen out of its way (never walked again)."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()  # the sync's own work is collected as always
