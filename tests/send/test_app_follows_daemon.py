"""The app follows a running `missive daemon` instead of syncing the same account a second time.

The app (the façade's background sync, ``Mailroom.keep_synced``, as tui.app runs it: its own thread and event
loop) and a real `missive daemon` process on one profile, against the suite's Dovecot: while the daemon runs,
the pair logs in once (the daemon's kept connection), a letter delivered appears in the app, a letter read in
the app reaches the server's \\Seen through the daemon's round; the daemon killed (SIGKILL), the app syncs by
itself and new mail still arrives. A daemon starting while the app syncs takes over (the app's IDLE ends).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from core import agent
from core.events import NewMail, SyncState
from core.mailroom import Mailroom
from tests.mail.helpers import letter
from tests.mail.test_mailops_servers import _server

pytestmark = [
    pytest.mark.servers,
    pytest.mark.skipif(sys.platform == "win32", reason="no control socket on Windows"),
]

ROOT = Path(__file__).resolve().parents[2]
PASS = "correct horse battery staple"


def _missive(profile: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, MISSIVE_KDF="floor", PYTHONPATH=str(ROOT), MISSIVE_PASSPHRASE=PASS, **extra)
    cmd = [sys.executable, "-m", "tui.cli", "--profile", str(profile), *args]
    return subprocess.run(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def _start_daemon(profile: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, MISSIVE_KDF="floor", PYTHONPATH=str(ROOT), MISSIVE_PASSPHRASE=PASS)
    cmd = [sys.executable, "-m", "tui.cli", "--profile", str(profile), "daemon"]
    return subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait(condition: Callable[[], Any], seconds: float, what: str) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = condition()
        if found:
            return found
        assert time.monotonic() < deadline, f"{what}: not within {seconds} s"
        time.sleep(0.05)


class _App:
    """The app's background sync of one account, in its own thread and event loop (as tui.app runs it)."""

    def __init__(self, mailroom: Mailroom, account: str) -> None:
        self.mailroom = mailroom
        self.events: list[Any] = []
        self._lock = threading.Lock()
        mailroom.subscribe(self._heard)
        self._stop: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self.thread = threading.Thread(target=self._run, args=(account,), daemon=True)
        self.thread.start()

    def _heard(self, event: Any) -> None:
        with self._lock:
            self.events.append(event)

    def _run(self, account: str) -> None:
        async def main() -> None:
            self._stop.append((asyncio.get_running_loop(), asyncio.Event()))
            await self.mailroom.keep_synced(account, self._stop[0][1], idle_timeout=540)

        asyncio.run(main())

    def seen(self, kind: type, **fields: Any) -> list[Any]:
        with self._lock:
            return [
                e for e in self.events if isinstance(e, kind) and all(getattr(e, k) == v for k, v in fields.items())
            ]

    def states(self) -> list[str]:
        return [e.state for e in self.seen(SyncState)]

    def state(self) -> str:
        states = self.states()
        return states[-1] if states else ""

    def stop(self) -> None:
        if self._stop:
            loop, event = self._stop[0]
            loop.call_soon_threadsafe(event.set)
        self.thread.join(30)
        assert not self.thread.is_alive()


@pytest.fixture
def profile(mail_servers) -> Iterator[tuple[Path, str]]:
    folder = Path(tempfile.mkdtemp(prefix="mfol-", dir="/tmp"))  # short: a socket path holds ~100 bytes
    try:
        profile = folder / "p"
        user = mail_servers.add_user("fol")
        mail_servers.deliver(user, letter("Compte rendu"))
        assert _missive(profile, "init").returncode == 0
        settings = profile / "profile.toml"  # the sender is a correspondent: news, not Quarantaine
        settings.write_text(settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "open"', 1), "utf-8")
        added = _missive(
            profile, "account", "add", "cab", "--email", user,
            "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
            "--user", user, "--ca-file", str(mail_servers.ca_file),
            MISSIVE_ACCOUNT_PASSWORD=mail_servers.password,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        yield profile, user
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _logins(mail_servers, user: str) -> int:
    return int(mail_servers.log().count(f"Login: user=<{user}>"))


def _settled_logins(mail_servers, user: str) -> int:
    """The logins so far, once the server's log has not grown for a second (Dovecot writes a login's line from
    another process: on a loaded machine the line of a login already done can come a moment later)."""
    count, since = _logins(mail_servers, user), time.monotonic()
    while time.monotonic() - since < 1.0:
        time.sleep(0.1)
        now = _logins(mail_servers, user)
        if now != count:
            count, since = now, time.monotonic()
    return count


def _ids(mailroom: Mailroom, subject: str) -> list[str]:
    return [m.id for m in mailroom.messages.list() if m.subject == subject]


def _server_flags(mail_servers, user: str) -> dict[str, tuple[str, ...]]:
    return asyncio.run(_server(mail_servers, user, "INBOX"))


def test_the_app_follows_the_daemon_then_takes_over_when_it_is_killed(profile, mail_servers) -> None:
    path, user = profile
    start = _logins(mail_servers, user)
    daemon = _start_daemon(path)
    app: _App | None = None
    try:
        _wait(lambda: agent.socket_stamp(path) and agent.answers(path / agent.SOCKET_NAME), 60, "daemon's socket")
        _wait(lambda: _logins(mail_servers, user) > start, 60, "the daemon's login")
        mailroom = Mailroom.open(path, PASS)
        app = _App(mailroom, "cab")
        _wait(lambda: "daemon" in app.states(), 60, "the app following the daemon")
        assert "syncing" not in app.states() and "online" not in app.states()  # never synced by itself
        _wait(lambda: _ids(mailroom, "Compte rendu"), 60, "the letter the daemon synced")  # its first round
        before = _settled_logins(mail_servers, user)

        mail_servers.deliver(user, letter("Nouveau résultat"))
        _wait(lambda: app.seen(NewMail, account="cab"), 60, "new mail said in the app")
        [new] = _wait(lambda: _ids(mailroom, "Nouveau résultat"), 60, "the new letter listed in the app")

        mailroom.mark_seen(new)  # the doctor opens it (tui: InboxPane.open_message)
        _wait(lambda: not mailroom.messages.folder_state("cab", "INBOX").pending, 60, "\\Seen sent by the daemon")
        # a move (archive): written here, done by the daemon's round, which this app asks for and waits
        [report] = _ids(mailroom, "Compte rendu")
        moved = asyncio.run(mailroom.archive_message(report))
        assert not moved.queued and mailroom.messages.get(moved.message_id).folder == moved.folder
        # one login for the pair: the daemon's, kept open (its log says why when another was opened)
        assert _logins(mail_servers, user) == before, (path / "missive.log").read_text("utf-8")
        assert "\\Seen" in _server_flags(mail_servers, user)["Nouveau résultat"]
        assert "Compte rendu" not in _server_flags(mail_servers, user)
        assert "Compte rendu" in asyncio.run(_server(mail_servers, user, moved.folder))
        assert app.state() == "daemon"

        daemon.send_signal(signal.SIGKILL)  # a crash: the socket stays, nothing answers it
        daemon.wait(30)
        _wait(lambda: app.state() == "online", 60, "the app syncing by itself")
        mail_servers.deliver(user, letter("Après le démon"))
        _wait(lambda: _ids(mailroom, "Après le démon"), 60, "new mail after the daemon")
    finally:
        if app is not None:
            app.stop()
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_a_daemon_started_while_the_app_syncs_takes_over(profile, mail_servers) -> None:
    path, user = profile
    mailroom = Mailroom.open(path, PASS)
    app = _App(mailroom, "cab")
    daemon: subprocess.Popen[bytes] | None = None
    try:
        _wait(lambda: app.state() == "online", 60, "the app syncing by itself")  # then in IDLE, its own session
        assert _ids(mailroom, "Compte rendu")
        time.sleep(0.5)
        start = _logins(mail_servers, user)
        daemon = _start_daemon(path)
        _wait(lambda: app.state() == "daemon", 60, "the app following the daemon")
        _wait(lambda: _logins(mail_servers, user) > start, 60, "the daemon's login")
        before = _settled_logins(mail_servers, user)
        mail_servers.deliver(user, letter("Arrivé au démon"))
        _wait(lambda: _ids(mailroom, "Arrivé au démon"), 60, "new mail through the daemon")
        _wait(lambda: app.seen(NewMail, account="cab"), 60, "new mail said in the app")
        # the app's IDLE round ended when the daemon came: no round of its own fetched the letter
        assert _logins(mail_servers, user) == before

        daemon.send_signal(signal.SIGTERM)  # stopped cleanly: the app takes over at once
        assert daemon.wait(30) == 0
        _wait(lambda: app.state() == "online", 60, "the app syncing by itself again")
        mail_servers.deliver(user, letter("Après l'arrêt"))
        _wait(lambda: _ids(mailroom, "Après l'arrêt"), 60, "new mail after the daemon stopped")
    finally:
        app.stop()
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()


def test_a_daemon_that_cannot_be_followed_leaves_the_app_syncing_by_itself(profile, mail_servers) -> None:
    """A daemon of an older missive answers 'requête invalide' to ``follow``: the app syncs by itself, as
    before, and does not ask that daemon again and again."""
    import json
    import socket

    path, user = profile
    asked: list[bytes] = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path / agent.SOCKET_NAME))
    server.listen(8)
    server.settimeout(0.2)
    done = threading.Event()

    def older_daemon() -> None:  # the reply of the daemon before the verb: one line, then the connection closed
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                asked.append(conn.recv(4096))
                refused = {"ok": False, "error": {"kind": "MissiveError", "code": "agent.requete-invalide"}}
                conn.sendall(json.dumps(refused).encode() + b"\n")

    thread = threading.Thread(target=older_daemon, daemon=True)
    thread.start()
    mailroom = Mailroom.open(path, PASS)
    app = _App(mailroom, "cab")
    try:
        _wait(lambda: app.state() == "online", 60, "the app syncing by itself")
        mail_servers.deliver(user, letter("Sans démon"))
        _wait(lambda: _ids(mailroom, "Sans démon"), 60, "new mail by the app's own sync")
        assert "daemon" not in app.states()
        assert 1 <= len(asked) <= 2 and all(b'"follow"' in line for line in asked)  # at the start, then once
    finally:
        app.stop()
        done.set()
        thread.join(5)
        server.close()
