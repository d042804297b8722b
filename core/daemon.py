"""``missive daemon``: keep every account in IDLE, send the outbox, run periodic tasks, notify the phone.

``run_daemon(mailroom, stop_event)`` runs until ``stop_event`` is set (SIGTERM/SIGINT through
``install_stop_handlers``; on Windows the CLI turns Ctrl+C into the same event). What it needs from the façade:

- ``mailroom.account_names()`` (or ``mailroom.accounts.names()`` / ``.list()``): the accounts to watch;
- ``await mailroom.idle(name)``: one round of waiting for news on an account (IDLE with its own timeout,
  then an incremental sync), returning the number of new messages;
- ``await mailroom.flush_outbox()`` (else ``core.mail.send.flush_outbox`` on ``mailroom.outbox``);
- ``mailroom.emit(event)`` (a ``core.events`` dataclass) for the UI, optional.

A failing account or task is logged (ids and counts only) and retried with a backoff; it never stops the
others. Notifications carry a count only (``core.notify``); a count the phone service did not take is said
again with the next one, or within a minute once the service answers (``Notifier.retry``).

While it runs, the daemon listens on the profile's control socket (``core.agent``): ``missive sync`` asks it
to sync now rather than unlocking the profile a second time. The socket offers that one verb and answers
with counts only; the profile key never leaves this process (see ``core.agent`` for why).

One daemon per profile (``only_daemon``: a lock held for its whole life): a second one started by mistake
(a service and a terminal, two terminals) would scan the watched folder beside the first, so a report could
leave twice, and ring the doctor's phone twice for each letter. It stops at once with one line instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from core.auth import LoginRequired
from core.errors import MissiveError
from core.events import MailroomEvent, NewMail, TaskTrouble
from core.text import T

log = logging.getLogger("missive.daemon")

Task = Callable[[], Awaitable[None]]

FLUSH_EVERY = 60.0  # seconds between two outbox flushes
TASKS_EVERY = 10.0  # seconds between two runs of the periodic tasks (filing, watched folder)
RETRY_FIRST = 5.0  # an account that fails is retried after 5 s, 10 s, 20 s... up to RETRY_MAX
RETRY_MAX = 300.0
LOGIN_RETRY = 3600.0  # after a denied or unanswered PSC approval
LOCK_NAME = "daemon.lock"  # in the profile folder: held by the running daemon (``only_daemon``)
NOTIFY_QUIET = 30.0  # seconds between two pushes to the phone: a burst of letters rings it once, then once more
NOTIFY_EVERY = 5.0  # seconds between two looks at what the phone was not told yet (held, or refused)


class _Pushes:
    """At most one push to the phone every ``quiet`` seconds. A lab's morning batch arrives over a few IDLE
    rounds: each round pushed its own count (seen: 300 letters rang the phone 7 times in one second). The
    first push goes at once; what comes within ``quiet`` seconds is held and said together by ``flush``
    (the daemon's notifications loop, every few seconds). Counts only, as ever."""

    def __init__(self, notifier: Any, quiet: float, retry_every: float = FLUSH_EVERY) -> None:
        self.notifier = notifier
        self.quiet = quiet
        self.retry_every = retry_every  # a service that refused is asked again this often (one log line each)
        self.held = 0
        self.held_urgent = 0
        self._last: float | None = None
        self._retried = 0.0

    async def new_mail(self, count: int, urgent: int = 0) -> None:
        self.held += max(0, int(count))
        self.held_urgent += max(0, int(urgent))
        await self.flush()

    async def flush(self) -> None:
        import time

        now = time.monotonic()
        if self.held <= 0 or (self._last is not None and now - self._last < self.quiet):
            return
        count, urgent = self.held, self.held_urgent
        self.held = self.held_urgent = 0
        self._last = now
        await self.notifier.new_mail(count, urgent)

    async def tick(self) -> None:
        """What was held goes once the quiet time is over; what the service refused, once it answers."""
        import time

        await self.flush()
        retry = getattr(self.notifier, "retry", None)
        now = time.monotonic()
        if retry is not None and now - self._retried >= self.retry_every:
            self._retried = now
            await retry()


@contextlib.contextmanager
def only_daemon(profile_dir: Path) -> Iterator[None]:
    """Hold the profile's daemon lock while the block runs; ``MissiveError`` ('daemon.already-running') at
    once when another daemon of this profile holds it. The kernel drops the lock with its process (a daemon
    killed leaves nothing to clean up); the file stays, empty, 0600."""
    import os

    from core.store.atomic import private_dir, private_open

    private_dir(profile_dir)
    path = profile_dir / LOCK_NAME
    fd = private_open(path, os.O_RDWR | os.O_CREAT)
    try:
        try:
            if sys.platform == "win32":
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            log.warning("another daemon runs on this profile: this one stops")
            raise MissiveError(T("daemon.already-running", profile=str(profile_dir))) from None
        yield
    finally:
        os.close(fd)  # releases the lock


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
    notify_quiet: float = NOTIFY_QUIET,
) -> None:
    """Run until ``stop_event`` is set, then cancel every loop and return (no task left behind)."""
    if notifier is None:
        from core.notify import Notifier

        notifier = Notifier.from_settings(mailroom.settings.notifications)
    pushes = _Pushes(notifier, notify_quiet, flush_every)
    names = _account_names(mailroom)
    log.info("daemon started: %d accounts, %d periodic tasks", len(names), len(tasks))
    control = await _open_control(mailroom, pushes)
    loops = [asyncio.create_task(_watch(mailroom, name, pushes, stop_event)) for name in names]
    loops.append(asyncio.create_task(_every(flush_every, lambda: _flush(mailroom), "outbox", stop_event)))
    # held pushes go after the quiet time; one the phone service did not take, once it answers
    every = min(flush_every, NOTIFY_EVERY)
    loops.append(asyncio.create_task(_every(every, pushes.tick, "notifications", stop_event)))

    def trouble(what: str, reason: str) -> None:
        _emit(mailroom, TaskTrouble(what, reason))

    for number, task in enumerate(tasks, 1):
        what = getattr(task, "__name__", "") or f"task {number}"
        loops.append(asyncio.create_task(_every(tasks_every, task, what, stop_event, trouble)))
    try:
        await stop_event.wait()
    finally:
        for loop_task in loops:
            loop_task.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        if control is not None:
            await control()
        log.info("daemon stopped")


async def _open_control(mailroom: Any, notifier: Any) -> Callable[[], Awaitable[None]] | None:
    """Listen on the profile's control socket (``core.agent``); returns what closes it, or None when the
    profile has no place for one (Windows, a path too long) or another daemon already serves it."""
    import os

    from core import agent

    profile = getattr(mailroom, "profile", None)
    path = agent.socket_path(profile.path) if profile is not None else None
    if path is None:
        return None
    if path.exists() or path.is_symlink():
        if agent.answers(path):
            log.warning("control socket: another daemon serves this profile; this one has none")
            return None
        path.unlink()  # left by a daemon that stopped without removing it
    busy = asyncio.Lock()  # one sync asked through the socket at a time
    followers = _Followers(asyncio.get_running_loop())
    subscribe = getattr(mailroom, "subscribe", None)
    if subscribe is not None:
        subscribe(followers.tell)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            if agent.peer_uid(writer.get_extra_info("socket")) != os.getuid():
                log.warning("control socket: a process of another user was refused")
                return
            reply = await _control_request(mailroom, notifier, reader, busy)
            if reply is not None:
                writer.write(agent.encode(reply))
                await writer.drain()
                if reply.get("follow"):
                    await followers.serve(reader, writer)
        except (TimeoutError, OSError):
            pass  # the asker went away
        finally:
            writer.close()

    old_mask = os.umask(0o077)
    try:
        server = await asyncio.start_unix_server(handle, path=str(path), limit=agent.MAX_REQUEST)
    except OSError as exc:
        log.warning("control socket unavailable (%s); missive sync will unlock the profile itself", exc.errno)
        return None
    finally:
        os.umask(old_mask)
    os.chmod(path, 0o600)
    log.info("control socket open")

    async def close() -> None:
        server.close()
        with contextlib.suppress(OSError):
            path.unlink()
        await followers.close()  # the apps that followed this daemon sync by themselves from now on

    return close


async def _control_request(
    mailroom: Any, notifier: Any, reader: asyncio.StreamReader, busy: asyncio.Lock
) -> dict[str, Any] | None:
    """Read one request from the socket, run it, and say how it went (counts only, or the error); None when
    the asker sent nothing (another daemon checking whether this one is alive)."""
    import json

    from core import agent

    try:
        line = await asyncio.wait_for(reader.readline(), agent.REQUEST_TIMEOUT)
        if not line:
            return None
        request = json.loads(line)
    except (ValueError, RecursionError, asyncio.LimitOverrunError):  # RecursionError: brackets nested deep
        request = None
    if isinstance(request, dict) and request.get("op") == "follow" and request.get("v") == agent.FOLLOW_VERSION:
        log.info("control socket: an app follows this daemon")
        return {"ok": True, "v": agent.FOLLOW_VERSION, "follow": True}
    account = request.get("account") if isinstance(request, dict) else None
    if not isinstance(request, dict) or request.get("op") != "sync" or not isinstance(account, str | None):
        log.warning("control socket: a malformed request was refused")
        return {"ok": False, "error": agent.error_json(MissiveError(T("agent.requete-invalide")))}
    try:
        async with busy:
            reports = list(await mailroom.sync(account=account))
    except MissiveError as exc:
        log.warning("control socket: sync failed (%s)", type(exc).__name__)
        return {"ok": False, "error": agent.error_json(exc)}
    except Exception as exc:  # noqa: BLE001 - a failed sync is told to the asker, the daemon goes on
        log.warning("control socket: sync failed (%s)", type(exc).__name__)
        return {"ok": False, "error": agent.error_json(MissiveError(T("agent.echec")))}
    news = sum(max(0, int(r.new) - int(getattr(r, "own", 0))) for r in reports)
    if news:
        log.info("control socket: %d new messages", news)
        urgent = int(getattr(mailroom, "new_critical", 0) or 0)
        if urgent:
            mailroom.new_critical = 0
        with contextlib.suppress(Exception):
            await notifier.new_mail(news, urgent)
    return {"ok": True, "reports": [agent.report_json(r) for r in reports]}


class _Followers:
    """The apps that follow this daemon (``core.agent``'s ``follow``): each is written a line of news (counts
    only, ``agent.news_json``) for each event of the façade that changes what the app shows."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.queues: set[asyncio.Queue[dict[str, Any] | None]] = set()
        self.serving: set[asyncio.Task[Any]] = set()
        self.closed = False

    def tell(self, event: Any) -> None:
        """A façade event (maybe from another thread): to every follower, in the daemon's loop."""
        from core import agent

        news = agent.news_json(event)
        if news is None or self.closed:
            return
        with contextlib.suppress(RuntimeError):  # the loop has ended: the daemon is stopping
            self.loop.call_soon_threadsafe(self._put, news)

    def _put(self, news: dict[str, Any] | None) -> None:
        for queue in self.queues:
            queue.put_nowait(news)

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Write the news to one follower until it goes away (or the daemon stops)."""
        from core import agent

        if self.closed:
            return
        queue: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self.queues.add(queue)
        task = asyncio.current_task()
        if task is not None:
            self.serving.add(task)
        gone = asyncio.ensure_future(reader.read(1))  # the follower writes nothing more: EOF when it leaves
        try:
            while True:
                news = asyncio.ensure_future(queue.get())
                done, _ = await asyncio.wait({news, gone}, return_when=asyncio.FIRST_COMPLETED)
                if news not in done:
                    news.cancel()
                    return
                line = news.result()
                if line is None:
                    return
                writer.write(agent.encode(line))
                await writer.drain()
        finally:
            gone.cancel()
            self.queues.discard(queue)
            if task is not None:
                self.serving.discard(task)

    async def close(self) -> None:
        """The daemon stops: each follower's connection is closed (it then syncs by itself)."""
        self.closed = True
        self._put(None)
        if self.serving:
            await asyncio.wait(set(self.serving), timeout=2.0)


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
            with contextlib.suppress(Exception):
                if name not in _account_names(mailroom):  # removed from the profile: no longer watched
                    log.info("account %s no longer in the profile: no longer watched", name)
                    return
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


async def _every(
    period: float,
    job: Task,
    what: str,
    stop: asyncio.Event,
    trouble: Callable[[str, str], None] | None = None,
) -> None:
    """Run ``job`` now and then every ``period`` seconds; a failure never stops the loop. It is logged, and
    told to ``trouble`` (the core's French line: the watched folder missing...), once: again only when the
    reason changes (a scan every 10 s wrote the same warning 8,640 times a day, and said nothing on screen);
    the end of a run of failures is logged too."""
    failures = 0
    said = ""
    while not stop.is_set():
        try:
            await job()
            if failures:
                log.info("%s works again after %d failures", what, failures)
            failures, said = 0, ""
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - a periodic task's trouble must not stop the daemon
            failures += 1
            kind = type(exc).__name__
            reason = str(exc) if isinstance(exc, MissiveError) else str(T("daemon.task-failed", kind=kind))
            if reason != said:
                log.warning("%s failed (%s), %d times in a row", what, kind, failures)
                said = reason
                if trouble is not None:
                    trouble(what, reason)
        await _sleep(period, stop)


async def _sleep(seconds: float, stop: asyncio.Event) -> None:
    """Sleep, but wake at once when the daemon is asked to stop."""
    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)


def _emit(mailroom: Any, event: MailroomEvent) -> None:
    emit = getattr(mailroom, "emit", None)
    if emit is not None:
        emit(event)
