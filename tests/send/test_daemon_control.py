"""`missive sync` asks a running `missive daemon` (its control socket) instead of unlocking the profile again."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from core import agent
from tests.mail.helpers import letter

ROOT = Path(__file__).resolve().parents[2]
PASSPHRASE = "correct horse battery staple"


def _missive(profile: Path, *args: str, passphrase: bool = True, **kw):
    env = dict(os.environ, MISSIVE_KDF="floor", PYTHONPATH=str(ROOT))
    env.pop("MISSIVE_PASSPHRASE", None)
    if passphrase:
        env["MISSIVE_PASSPHRASE"] = PASSPHRASE
    return [sys.executable, "-m", "tui.cli", "--profile", str(profile), *args], env


def _run(profile: Path, *args: str, passphrase: bool = True, extra_env: dict[str, str] | None = None):
    cmd, env = _missive(profile, *args, passphrase=passphrase)
    env.update(extra_env or {})
    return subprocess.run(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, capture_output=True, text=True)


def _ask(path: Path, line: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(20)
        sock.connect(str(path))
        sock.sendall(line)
        return json.loads(agent._read_line(sock, 1 << 20))


@pytest.mark.servers
@pytest.mark.skipif(sys.platform == "win32", reason="no Unix socket on Windows: missive sync unlocks itself")
def test_sync_goes_through_the_running_daemon_without_the_passphrase(mail_servers) -> None:
    folder = Path(tempfile.mkdtemp(prefix="mctl-", dir="/tmp"))  # short: a socket path holds ~100 bytes
    profile = folder / "p"
    daemon = None
    try:
        user = mail_servers.add_user("ctl")
        mail_servers.deliver(user, letter("Compte rendu", body="Tension normale.\n"))
        assert _run(profile, "init").returncode == 0
        added = _run(
            profile, "account", "add", "cabinet", "--email", user,
            "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
            "--user", user, "--ca-file", str(mail_servers.ca_file),
            extra_env={"MISSIVE_ACCOUNT_PASSWORD": mail_servers.password},
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        # without a daemon, a sync with no passphrase (and no terminal) cannot unlock the profile
        alone = _run(profile, "sync", passphrase=False)
        assert alone.returncode == 2 and "MISSIVE_PASSPHRASE" in alone.stderr

        cmd, env = _missive(profile, "daemon")
        daemon = subprocess.Popen(cmd, env=env, cwd=ROOT, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE)
        sock = profile / agent.SOCKET_NAME
        for _ in range(400):
            if sock.exists():
                break
            time.sleep(0.05)
        assert stat.S_ISSOCK(sock.stat().st_mode) and stat.S_IMODE(sock.stat().st_mode) == 0o600

        done = _run(profile, "sync", passphrase=False)  # no passphrase: only the daemon can have done it
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith("cabinet: ") and "nouveaux" in done.stdout
        # the daemon's error comes back as the core's own line, with its exit code
        unknown = _run(profile, "sync", "--account", "inconnu", passphrase=False)
        assert unknown.returncode == 1 and unknown.stderr.count("\n") == 1 and "inconnu" in unknown.stderr
        # in English too, the options anywhere as for every command
        english = _run(profile, "--lang", "en", "sync", "--account=cabinet", passphrase=False)
        assert english.returncode == 0 and english.stdout.startswith("cabinet: ") and " new," in english.stdout
        unknown = _run(profile, "sync", "--lang", "en", "--account", "inconnu", passphrase=False)
        assert unknown.returncode == 1 and unknown.stderr.startswith("missive : no account named inconnu")
        # answered before the command line's parser, the façade and the settings are loaded
        cmd, env = _missive(profile, passphrase=False)
        probe = (
            "import sys; from tui.cli import main; code = main(sys.argv[1:]); "
            "print(code, sorted({'argparse', 'core.mailroom', 'core.settings', 'logging'} & set(sys.modules)))"
        )
        light = subprocess.run(
            [sys.executable, "-c", probe, *cmd[3:], "sync"], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert light.stdout.splitlines()[-1] == "0 []", light.stdout + light.stderr
        # one verb only; anything else is refused, and the answer carries counts only
        refused = _ask(sock, b'{"op": "read", "id": "x"}\n')
        assert refused["ok"] is False and refused["error"]["code"] == "agent.requete-invalide"
        answer = _ask(sock, b'{"op": "sync", "account": "cabinet"}\n')
        assert answer["ok"] is True
        assert set(answer["reports"][0]) == {"account", "new", "flags_in", "flags_out", "expunged", "undelivered"}

        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=30)
        assert not sock.exists()  # stopping the daemon ends the access
        listed = _run(profile, "messages", "list", "--json")
        assert [json.loads(line)["subject"] for line in listed.stdout.splitlines()] == ["Compte rendu"]
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="Unix sockets only")
def test_the_daemon_knows_who_is_asking() -> None:
    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert agent.peer_uid(left) == os.getuid()


def test_no_daemon_means_the_ordinary_path() -> None:
    folder = Path(tempfile.mkdtemp(prefix="mv-", dir="/tmp"))  # short: pytest's tmp_path may be too long for a socket
    try:
        assert agent.socket_path(folder) is not None
        assert agent.ask_sync(folder) is None  # no socket at all
        stale = folder / agent.SOCKET_NAME
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.bind(str(stale))  # bound, never listening: what a killed daemon leaves
        assert agent.ask_sync(folder) is None
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert agent.socket_path(Path("/" + "x" * 120)) is None  # too long for sockaddr_un: no socket


def test_a_deeply_nested_request_is_refused_like_any_malformed_one() -> None:
    """A request line of nested brackets (within the 4 KB bound) made json raise RecursionError out of the
    request's handler: no answer at all (the asker then unlocked the profile itself) and an unhandled error
    in the daemon's log, where any other malformed line gets the 'requête invalide' answer."""
    import asyncio

    from core.daemon import _control_request

    class Nobody:
        async def sync(self, account=None):  # never reached
            raise AssertionError("a malformed request must not sync")

    async def ask(line: bytes) -> dict | None:
        reader = asyncio.StreamReader(limit=agent.MAX_REQUEST)
        reader.feed_data(line)
        reader.feed_eof()
        return await _control_request(Nobody(), None, reader, asyncio.Lock())

    for line in (b"[" * 4000 + b"\n", b'{"op": "sync", "account": ' + b"[" * 3000 + b"}\n", b"{oops\n"):
        answer = asyncio.run(ask(line))
        assert answer is not None and answer["ok"] is False
        assert answer["error"]["code"] == "agent.requete-invalide"


def test_what_a_following_app_is_told_is_counts_only() -> None:
    """The lines the daemon writes to an app that follows it (core.agent.news_json): each event's kind, counts
    and account name; a failure's words (the server's answer, which may name a recipient) never cross."""
    from core import events

    said = [
        events.Synced("cab", 2, 1),
        events.RoundNews("cab", 2, 1, 0, "2 nouveaux messages, 1 résultat classé"),
        events.NeedsReview(1, 3),
        events.DocumentFiled(1),
        events.NotDelivered(1),
        events.MarksRefreshed(4),
        events.Sent("entry-1"),
        events.SendFailed("entry-2", "550 5.1.1 <1234567890123@patient.mssante.fr>: adresse inconnue", 1),
    ]
    lines = [json.dumps(agent.news_json(e)) for e in said]
    assert "patient.mssante.fr" not in "".join(lines) and "entry-" not in "".join(lines)
    back = [agent.news_event(json.loads(line)) for line in lines]
    assert back[0] == said[0] and back[2:6] == said[2:6]
    assert (back[1].account, back[1].new, back[1].filed, back[1].review) == ("cab", 2, 1, 0)
    assert back[1].message  # the line made again in the app's language
    assert isinstance(back[6], events.Sent) and isinstance(back[7], events.SendFailed)
    assert "outbox" in back[7].reason and "patient" not in back[7].reason
    # filed results whose signer turned out revoked: counts cross, the line is made again in the app's language
    revoked = agent.news_event(json.loads(json.dumps(agent.news_json(events.RevokedFiled(2, 5, "x")))))
    assert isinstance(revoked, events.RevokedFiled) and (revoked.count, revoked.pending) == (2, 5)
    assert revoked.message.startswith("2 document(s) classé(s) d'après une lettre dont le signataire est révoqué")
    assert agent.news_json(events.Progress("cab", 1, 2)) is None  # what the app has no use for stays home
    for junk in ({"event": "synced"}, {"event": "synced", "account": "cab", "new": -3}, [], "x"):
        event = agent.news_event(junk)
        assert event is None or (event.new, event.changed) == (0, 0)
