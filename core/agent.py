"""The running daemon's control socket: ``missive sync`` asks it to sync instead of unlocking the profile again.

A sync started from cron, a script or a second terminal would otherwise pay, every time, the interpreter's
imports and the Argon2id derivation of the profile key (about 0.17 s and 64 MiB at the default cost on a
2-core PC) -- for a mailbox the daemon already holds unlocked. While ``missive daemon`` runs it listens on
``daemon.sock`` in the profile folder; ``missive sync`` tries it first and falls back to the ordinary path
(passphrase, key derivation) when nothing answers.

Security (why a socket offering one verb, not the key kept in the kernel keyring or on disk):
- The derived key never leaves the daemon's memory. The socket offers a single capability, "sync now
  (all accounts, or one by name)", and answers with counts only (new, flags received and sent, removed):
  no message, no header, no health data, no key. A process that reaches it can make the daemon do what its
  IDLE loop does anyway, nothing more.
- A key in the kernel keyring (or a cached key file) would hand the whole profile -- every letter, result and
  backup made with that key -- to any process of the user able to read it, for as long as it stays there,
  and a key copied once stays valid forever. With the socket, stopping the daemon ends the access.
- Reaching the socket: it lives in the profile folder (0700), is made 0600, and the daemon checks the peer's
  user id (SO_PEERCRED) against its own before reading a request. Only the user who owns the profile -- who
  could run the daemon's own sync anyway -- gets an answer. Unix only (no such socket on Windows: there
  ``missive sync`` always takes the ordinary path).
- The request is a short JSON line, read with a size bound and a timeout; anything else is refused.

Following (protocol ``FOLLOW_VERSION``): the app (``missive tui``) on a profile whose daemon runs does not open
IMAP sessions of its own. It asks ``{"op": "follow", "v": 1}``; the daemon answers ``{"ok": true, "v": 1}`` and
keeps the connection open, writing one line per piece of news it stored (``{"event": "synced", "account": ...,
"new": 3, ...}``: an account's round, counts only; documents queued or filed, letters sent: counts only), and
the app reads the store (the same encrypted files) again. The connection closing (the daemon stopped, or was
killed: the kernel closes its sockets) tells the app to sync by itself again. A daemon that does not know the
verb answers 'requête invalide' and the app syncs by itself, as before. What crosses the socket stays counts
and account names: the daemon's sync of the letters is what the app reads, from the profile, with its own key.
"""

from __future__ import annotations

import json
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing: the asking side loads almost nothing
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

SOCKET_NAME = "daemon.sock"
MAX_REQUEST = 4096  # bytes of one request line
MAX_PATH = 100  # bytes: sockaddr_un's sun_path holds 104-108 on the systems missive runs on
CONNECT_TIMEOUT = 2.0  # seconds to reach a daemon; the sync itself may take as long as it takes
REQUEST_TIMEOUT = 10.0  # seconds the daemon waits for a request line once connected
FOLLOW_VERSION = 1  # the "follow" verb's protocol: the daemon writes its news to the app (see above)
MAX_EVENT = 4096  # bytes of one line of news


def socket_path(profile_dir: str | os.PathLike[str]) -> Path | None:
    """Where the daemon of ``profile_dir`` listens, or None when a socket cannot be used there."""
    from pathlib import Path

    path = _socket_file(profile_dir)
    return None if path is None else Path(path)


def _socket_file(profile_dir: str | os.PathLike[str]) -> str | None:
    import socket

    if sys.platform == "win32" or not hasattr(socket, "AF_UNIX"):
        return None
    path = os.path.join(os.fspath(profile_dir), SOCKET_NAME)
    return path if len(os.fsencode(path)) <= MAX_PATH else None


def ask_sync(profile_dir: str | os.PathLike[str], account: str | None = None) -> list[dict[str, Any]] | None:
    """Ask the daemon of ``profile_dir`` to sync now; each account's counts, or None when no daemon answers
    (the caller then syncs by itself). A refusal from the daemon (unknown account, failed sync) is raised as
    the error the daemon met (its code and parameters, so it is shown in the caller's language).

    The asking side is the whole of a `missive sync` while the daemon runs: it goes through the C socket
    module (``_socket``, what ``socket`` wraps) so that the interpreter loads neither ``socket``, its
    ``selectors`` and ``enum``, nor pathlib (about 10 ms of a 2-core PC together)."""
    if sys.platform == "win32":
        return None
    import _socket

    if not hasattr(_socket, "AF_UNIX"):
        return None
    path = os.path.join(os.fspath(profile_dir), SOCKET_NAME)
    if len(os.fsencode(path)) > MAX_PATH or not os.path.exists(path):
        return None
    sock = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        try:
            sock.connect(path)
        except OSError:
            return None  # a socket left by a daemon that stopped without removing it
        sock.settimeout(None)
        sock.sendall(json.dumps({"op": "sync", "account": account}).encode() + b"\n")
        answer = _read_line(sock, 1 << 20)
    except OSError:
        return None
    finally:
        sock.close()
    try:
        reply = json.loads(answer)
    except ValueError:
        return None
    if not isinstance(reply, dict):
        return None
    if not reply.get("ok"):
        raise refusal(reply.get("error"))
    reports = reply.get("reports")
    return [r for r in reports if isinstance(r, dict)] if isinstance(reports, list) else None


class NotFollowed(Exception):
    """The daemon answered, but not yes to ``follow`` (a daemon of an older missive): the app syncs by itself."""


async def open_follow(profile_dir: str | os.PathLike[str]) -> tuple[Any, Any] | None:
    """Ask the daemon of ``profile_dir`` to tell this process its news (``follow``): the open connection's
    (reader, writer) once the daemon said yes, else None when no daemon answers; ``NotFollowed`` when one
    answered no (too old for the verb). Either way the caller syncs by itself."""
    import asyncio

    path = _socket_file(profile_dir)
    if path is None or not os.path.exists(path):
        return None
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_unix_connection(path, limit=MAX_EVENT), CONNECT_TIMEOUT
        )
    except (OSError, TimeoutError):
        return None  # a socket left by a daemon that stopped without removing it
    try:
        writer.write(json.dumps({"op": "follow", "v": FOLLOW_VERSION}).encode() + b"\n")
        await writer.drain()
        line = await asyncio.wait_for(reader.readline(), REQUEST_TIMEOUT)
    except (OSError, TimeoutError, ValueError, asyncio.LimitOverrunError):
        writer.close()
        return None  # went away meanwhile
    try:
        reply = json.loads(line) if line else None
    except ValueError:
        reply = None
    if isinstance(reply, dict) and reply.get("ok") is True and reply.get("v") == FOLLOW_VERSION:
        return reader, writer
    writer.close()
    if not line:
        return None
    raise NotFollowed


def socket_stamp(profile_dir: str | os.PathLike[str]) -> tuple[int, int] | None:
    """(inode, modification time) of the profile's control socket, None without one: a new daemon makes a new
    socket, so a stamp already asked (a daemon too old to be followed) need not be asked again."""
    path = _socket_file(profile_dir)
    if path is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns)


def news_json(event: Any) -> dict[str, Any] | None:
    """What a follower is told of one of the daemon's events (``core.events``): its kind and counts (and the
    account's name), nothing else; None for the events a follower has no use for."""
    from core import events

    if isinstance(event, events.Synced):
        return {
            "event": "synced",
            "account": str(event.account),
            "new": int(event.new),
            "changed": int(event.changed),
        }
    if isinstance(event, events.RoundNews):
        account = None if event.account is None else str(event.account)
        return {
            "event": "round",
            "account": account,
            "new": int(event.new),
            "filed": int(event.filed),
            "review": int(event.review),
        }
    if isinstance(event, events.NeedsReview):
        return {"event": "review", "count": int(event.count), "pending": int(event.pending)}
    if isinstance(event, events.DocumentFiled):
        return {"event": "filed", "count": int(event.count)}
    if isinstance(event, events.NotDelivered):
        return {"event": "undelivered", "count": int(event.count)}
    if isinstance(event, events.MarksRefreshed):
        return {"event": "marks", "count": int(event.count)}
    if isinstance(event, events.RevokedFiled):
        return {"event": "revoked-filed", "count": int(event.count), "pending": int(event.pending)}
    if isinstance(event, events.Sent):
        return {"event": "sent"}
    if isinstance(event, events.SendFailed):  # its count only: the server's words stay in the daemon's log
        return {"event": "send-failed", "count": int(event.count)}
    return None


def news_event(data: Any) -> Any:
    """The ``core.events`` event a line of news (``news_json``) stands for, or None when it is not one."""
    from core import events

    if not isinstance(data, dict):
        return None

    def count(name: str) -> int:
        value = data.get(name)
        return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0

    kind = data.get("event")
    account = data.get("account")
    if kind == "synced" and isinstance(account, str):
        return events.Synced(account, count("new"), count("changed"))
    if kind == "round" and isinstance(account, str | None):
        from core.mailroom import round_news  # the line in this process's language

        new, filed, review = count("new"), count("filed"), count("review")
        return events.RoundNews(account, new, filed, review, round_news(new, filed, review))
    if kind == "review":
        return events.NeedsReview(count("count"), count("pending"))
    if kind == "filed":
        return events.DocumentFiled(count("count"))
    if kind == "undelivered":
        return events.NotDelivered(count("count"))
    if kind == "marks":
        return events.MarksRefreshed(count("count"))
    if kind == "revoked-filed":
        from core.mailroom import revoked_filed_line  # the line in this process's language

        return events.RevokedFiled(count("count"), count("pending"), revoked_filed_line(count("count")))
    if kind == "sent":
        return events.Sent("")
    if kind == "send-failed":
        from core.text import T

        failed = max(1, count("count"))
        line = T("agent.envoi-reste-un") if failed == 1 else T("agent.envoi-reste-plusieurs", count=failed)
        return events.SendFailed(None, str(line), failed)
    return None


def answers(path: Path) -> bool:
    """Does a process listen on the socket ``path``?"""
    import socket

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(CONNECT_TIMEOUT)
        sock.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        sock.close()


def encode(reply: dict[str, Any]) -> bytes:
    """One reply line."""
    return json.dumps(reply, ensure_ascii=False).encode() + b"\n"


def _read_line(sock: Any, limit: int) -> bytes:
    data = b""
    while b"\n" not in data and len(data) <= limit:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data.split(b"\n", 1)[0]


def error_json(exc: Any) -> dict[str, Any]:
    """A core error as the socket sends it: its class, code and parameters (rendered by the caller)."""
    text = exc.text.to_json()
    return {"kind": type(exc).__name__, "code": text["code"], "params": text["params"]}


def refusal(data: Any) -> Exception:
    """The error a daemon sent (``error_json``) as the core error to raise here."""
    from core import errors
    from core.text import Text

    data = data if isinstance(data, dict) else {}
    kind = getattr(errors, str(data.get("kind", "")), None)
    if not (isinstance(kind, type) and issubclass(kind, errors.MissiveError)):
        kind = errors.MissiveError
    params = data.get("params")
    return kind(Text(str(data.get("code") or "agent.echec"), params if isinstance(params, dict) else {}))


def peer_uid(sock: Any) -> int | None:
    """The user id of the process at the other end of the Unix socket ``sock``, or None when unknown."""
    import socket

    if hasattr(socket, "SO_PEERCRED"):  # Linux
        import struct

        try:
            raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        except OSError:
            return None
        return struct.unpack("3i", raw)[1]
    try:  # the BSDs and macOS
        return os.getpeereid(sock.fileno())[0]  # type: ignore[attr-defined]  # BSD and macOS only
    except (AttributeError, OSError):
        return None


def report_json(report: Any) -> dict[str, Any]:
    """What the socket says of one account's sync: its name and counts, nothing else."""
    return {
        "account": str(report.account),
        "new": int(report.new),
        "flags_in": int(report.flags_in),
        "flags_out": int(report.flags_out),
        "expunged": int(report.expunged),
        "undelivered": int(getattr(report, "undelivered", 0)),  # failure reports about our letters
    }
