"""``missive daemon``: keep every account in IDLE, send the outbox, run periodic tasks, notify the phone.

``run_daemon(mailroom, stop_event)`` runs until ``stop_event`` is set (SIGTERM/SIGINT through
``install_stop_handlers``; on Windows the CLI turns Ctrl+C into the same event). What it needs from the façade:

- ``mailroom.account_names()`` (or ``mailroom.accounts.names()`` / ``.list()``): the accounts to watch;
- ``await mailroom.idle(name)``: one round of waiting for news on an account (IDLE with its own timeout,
  then an incremental sync), returning the number of new messages;
- ``await mailroom.flush_outbox()`` (else ``core.mail.send.flush_outbox`` on ``mailroom.outbox``);
- ``mailroom.emit(event)`` (a ``core.events`` dataclass) for the UI, optional.

A failing account or task is logged (ids and counts only) and retried with a backoff; it never stops the
others. Notifications carry a count only (``core.notify``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from core.auth.psc import LoginRequired
from core.errors import MissiveError
from core.events import MailroomEvent, NewMail
from core.text import T

log = logging.getLogger("missive.daemon")

Task = Callable[[], Awaitable[None]]

FLUSH_EVERY = 60.0  # seconds between two outbox flushes
TASKS_EVERY = 10.0  # seconds between two runs of the periodic tasks (filing, watched folder)
RETRY_FIRST = 5.0  # an account that fails is retried after 5 s, 10 s, 20 s... up to RETRY_MAX
RETRY_MAX = 300.0
LOGIN_RETRY = 3600.0  # after a denied or unanswered PSC approval


def install_stop_handlers(stop_event: asyncio.Event) -> Callable[[], None]:
    """Make SIGTERM and SIGINT set ``stop_event``; returns a function that removes the handlers."""
    loop = asyncio.get_running_loop()
    installed: list[int] = []
    if sys.platform != "win32":  # Windows has no loop signal handlers: Ctrl+C raises KeyboardInterrupt
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop_event.set)
            installed.append(sig)

    def remove() -> None:
        for sig in installed:
            loop.remove_signal_handler(sig)

    return remove


async def run_daemon(
    mailroom: Any,
    stop_event: asyncio.Event,
    *,
    tasks: Sequence[Task] = (),
    notifier: Any = None,
    flush_every: float = FLUSH_EVERY,
    tasks_every: float = TASKS_EVERY,
) -> None:
    """Run until ``stop_event`` is set, then cancel every loop and return (no task left behind)."""
    if notifier is None:
        from core.notify import Notifier

        notifier = Notifier.from_settings(mailroom.settings.notifications)
    names = _account_names(mailroom)
    log.info("daemon started: %d accounts, %d periodic tasks", len(names), len(tasks))
    loops = [asyncio.create_task(_watch(mailroom, name, notifier, stop_event)) for name in names]
    loops.append(asyncio.create_task(_every(flush_every, lambda: _flush(mailroom), "outbox", stop_event)))
    for number, task in enumerate(tasks, 1):
        loops.append(asyncio.create_task(_every(tasks_every, task, f"task {number}", stop_event)))
    try:
        await stop_event.wait()
    finally:
        for loop_task in loops:
            loop_task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        log.info("daemon stopped")


def _account_names(mailroom: Any) -> list[str]:
    if hasattr(mailroom, "account_names"):
        return list(mailroom.account_names())
    accounts = mailroom.accounts
    for method in ("names", "list"):
        if hasattr(accounts, method):
            return [a if isinstance(a, str) else a.name for a in getattr(accounts, method)()]
    raise MissiveError(T("daemon.impossible-lister-comptes-profil"))


async def _watch(mailroom: Any, name: str, notifier: Any, stop: asyncio.Event) -> None:
    """Wait for news on one account forever; notify on new mail; back off when the server is away."""
    delay = RETRY_FIRST
    failures = 0
    while not stop.is_set():
        try:
            count = int(await mailroom.idle(name) or 0)
        except asyncio.CancelledError:
            raise
        except LoginRequired:
            # The refresh token is gone: one CIBA request to the phone; if it is refused or unanswered, the
            # next one waits an hour (every request rings the doctor's phone).
            log.warning("account %s: Pro Santé Connect login required", name)
            relogin = getattr(mailroom, "_login_again", None)
            if relogin is None or not await relogin(name, stop):
                await _sleep(LOGIN_RETRY, stop)
            continue
        except Exception as exc:  # noqa: BLE001 - one account's trouble must not stop the daemon
            failures += 1
            kind = "transport" if isinstance(exc, MissiveError) else type(exc).__name__
            log.warning(
                "account %s: idle failed (%s), failure %d, retry in %.0f s", name, kind, failures, delay
            )
            await _sleep(delay, stop)
            delay = min(delay * 2, RETRY_MAX)
            continue
        delay = RETRY_FIRST
        if count > 0:
            log.info("account %s: %d new messages", name, count)
            _emit(mailroom, NewMail(name, count))
            urgent = int(getattr(mailroom, "new_critical", 0) or 0)
            if urgent:
                mailroom.new_critical = 0
            await notifier.new_mail(count, urgent)


async def _flush(mailroom: Any) -> None:
    if hasattr(mailroom, "flush_outbox"):
        report = await mailroom.flush_outbox()
    else:
        from core.mail.send import flush_outbox

        report = await flush_outbox(mailroom.outbox, mailroom.accounts.get)
    if report is not None and (report.sent or report.failed or report.queued):
        log.info("outbox: %d sent, %d waiting, %d failed", report.sent, report.queued, report.failed)


async def _every(period: float, job: Task, what: str, stop: asyncio.Event) -> None:
    """Run ``job`` now and then every ``period`` seconds; a failure is logged and the loop goes on."""
    failures = 0
    while not stop.is_set():
        try:
            await job()
            failures = 0
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a periodic task's trouble must not stop the daemon
            failures += 1
            log.warning("%s failed (%s), %d times in a row", what, type(exc).__name__, failures)
        await _sleep(period, stop)


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, but wake at once when the daemon is asked to stop."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _emit(mailroom: Any, event: MailroomEvent) -> None:
    emit = getattr(mailroom, "emit", None)
    if emit is not None:
        emit(event)
