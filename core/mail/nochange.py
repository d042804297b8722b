"""A ``missive sync`` that finds nothing new, told without the sync's machinery (asyncio, aioimaplib, the sync
engine, the façade and its services): what a standalone resync costs is then the profile's unlock and one
short IMAP exchange.

``resync`` unlocks the profile as the façade does (core.store.vault, the key derived ahead taken), reads what
the full sync would read before its first SELECT, and asks each account's server, over a blocking connection,
what the full sync asks first: LOGIN, one LIST-STATUS, LOGOUT. When every folder's status is the one stored
and nothing at all waits here, the sync has nothing to do: its counts (all zero) are returned, and nothing is
written but the log's unlock line, as the full sync writes it. On any doubt the opened profile is handed over
and the full sync runs on it (same key: no second derivation), from its first step:

- the profile was open to other users (the façade says so in its log), a filing folder is set and results wait
  to be filed (or a filing to be settled: ``DocumentQueue.auto_file_waiting``), letters' documents were held, stored analyses follow older rules, references are being read
  again (``REFS_MARK`` absent), an operation of the doctor's waits for the server (``mailops``);
- an account not on IMAP (a Maildir), one logging in with a bearer token (Pro Santé Connect, a token command),
  a user name or a password the LOGIN command cannot carry as the full client sends it;
- a STARTTLS server that does not offer STARTTLS, refuses it or sends anything in clear after its OK (nothing
  is sent in clear but CAPABILITY and STARTTLS);
- a server without LIST-STATUS and CONDSTORE, a greeting or an answer this reader does not expect, a literal
  larger than the full client accepts, a refused command, any connection or TLS failure, a timeout;
- a folder new, gone, with other roles, or whose UIDVALIDITY, UIDNEXT, EXISTS or HIGHESTMODSEQ moved, or with
  flags set here that wait to go up.

A failure is never said here: the full sync meets it again and says it in its own words (a certificate, a server
that does not answer), so every error line stays the one the full sync writes. A LOGIN the server refused is
handed over with the profile (``Checked.refused``): the full sync says its own line about that answer without
logging in again (core.mailroom, ``Mailroom.adopt``), so a wrong password is tried once, not twice. Security is
the full client's: the TLS context is core.mail.tls's (verified chain and host name, TLS 1.2 minimum, the
account's CA file and client certificate; an account on the system store looks its authority up in the store's
hashed folder rather than loading the whole store: ``look_context_for``, never trusting more), the password
goes only over that verified connection, as LOGIN.
"""

from __future__ import annotations

import re
import time

from core.mail.folderstate import (
    ANALYSIS_MARK,
    HELD_MARK,
    REFS_MARK,
    stored_folder_names,
    stored_roles,
    stored_state,
    unchanged,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing
if TYPE_CHECKING:
    import socket
    import ssl
    from pathlib import Path
    from typing import Any, BinaryIO

    from core.mail.account import Account
    from core.store.profile import Profile

TIMEOUT = 30.0  # seconds each answer may take once connected (the full client's wait)
# seconds the connection, TLS handshake and greeting may take here: a server that does not answer is then met
# again by the full sync with its own 30 s wait, so this look costs at most that much more, not another 30 s
CONNECT_WAIT = 8.0
LOGOUT_WAIT = 5.0  # the full client waits as long for LOGOUT's answer
# what the full client (aioimaplib) sends unquoted as LOGIN's user name: an IMAP atom (RFC 3501: no space,
# control, quote, backslash, parenthesis, brace, wildcard or ']')
_ATOM = re.compile(r"[!#$&'+,\-./0-9:;<=>?@A-Z\[^_`a-z|}~]+")
_LITERAL_END = re.compile(rb"\{(\d+)\+?\}$")


class Unsure(Exception):
    """Something this check does not settle: the full sync decides (its type only is logged, never its words)."""


class Refused(Unsure):
    """The server answered a command with NO or BAD; ``answer``: that answer's status and text, as aioimaplib
    splits them (``b"NO"``, ``b"[AUTHENTICATIONFAILED] Authentication failed."``)."""

    def __init__(self, answer: tuple[bytes, bytes]) -> None:
        super().__init__("refused")
        self.answer = answer


class LoginRefused(Unsure):
    """``account``'s server refused its LOGIN, saying ``detail`` (its answer's text, else its NO or BAD): what
    the full client's login says (core.mail.imap.login_refused)."""

    def __init__(self, account: Account, detail: str) -> None:
        super().__init__("refused")
        self.account = account
        self.detail = detail


class Checked:
    """What ``resync`` found: ``reports`` (each account's counts, all zero) when nothing was new, else None and the
    opened ``profile`` for the full sync; ``unlock_seconds`` and ``derived_ahead`` as the façade's opening keeps
    them. ``refused``: the account (as checked) whose server refused its LOGIN, and what the server said."""

    def __init__(
        self,
        profile: Profile,
        reports: list[dict[str, Any]] | None,
        unlock_seconds: float,
        derived_ahead: tuple[float, float] | None,
    ) -> None:
        self.profile = profile
        self.reports = reports
        self.unlock_seconds = unlock_seconds
        self.derived_ahead = derived_ahead
        self.why = ""  # the kind of doubt that handed over (a class name), for the log
        self.refused: tuple[Account, str] | None = None


def resync(profile_dir: Path, passphrase: str, account: str | None = None) -> Checked:
    """Unlock the profile in ``profile_dir`` and tell whether a sync of ``account`` (or of all) has nothing to do.
    The unlock's failures are raised as the façade's opening raises them (the same code); nothing else is."""
    from pathlib import Path

    from core.store.vault import Vault

    started = time.perf_counter()
    path = Path(profile_dir)
    read: list[Any] = []

    def prepare() -> None:  # while the key derives (Mailroom.open's way): the settings, what the check uses
        from core.config import load_settings

        read.append(load_settings(path))
        import socket  # noqa: F401
        import ssl  # noqa: F401

        import core.mail.accounts  # noqa: F401
        import core.mail.tls  # noqa: F401
        import core.store.profile  # noqa: F401

    vault = Vault.open(path, passphrase, meanwhile=prepare)
    from core.store.profile import Profile

    profile = Profile(path, vault, read[0] if read else None)
    from core.store.kdf import unlock_seconds

    unlock = unlock_seconds(started, time.perf_counter(), vault.derived_ahead)
    checked = Checked(profile, None, unlock, vault.derived_ahead)
    try:
        checked.reports = _nothing_new(profile, account)
    except Exception as exc:  # noqa: BLE001 - any doubt: the full sync runs and says what it meets
        checked.why = type(exc).__name__ if not isinstance(exc, Unsure) else (str(exc) or "Unsure")
        if isinstance(exc, LoginRefused):
            checked.refused = (exc.account, exc.detail)
        return checked
    from core.logs import log_unlock, setup_logging

    setup_logging(profile.path)
    log_unlock(vault.derived_ahead)
    return checked


def waiting_operations(ops: Any, account: str) -> list[tuple[str, dict[str, Any]]]:
    """The doctor's operations on ``account``'s letters that wait for its server (``ops``: the ``mailops``
    collection), oldest first: core.mail.mailops replays them before a sync reads any folder."""
    return sorted((op_id, op) for op_id, op in ops.find(lambda op: op.get("account") == account))


def _nothing_new(profile: Profile, name: str | None) -> list[dict[str, Any]]:
    """Each account's counts (all zero) when a sync would find nothing to do; Unsure (or any error) otherwise."""
    from core.clinical import ANALYSIS_RULES
    from core.mail.accounts import Accounts
    from core.settings import filing_folder_set

    if any(profile.tightened):
        raise Unsure("tightened")  # the façade logs what it made private
    if filing_folder_set(profile.settings) and not _documents_idle(profile):
        # results may wait to be filed (Mailroom._file_waiting): the queue's own look decides
        from core.practice.documents import DocumentQueue

        if DocumentQueue(profile).auto_file_waiting():
            raise Unsure("filing")
    folders = profile.collection("folders")
    if folders.get(REFS_MARK) is None:
        raise Unsure("references")  # MessageStore.backfill_refs has work, or marks a new profile
    if folders.get(HELD_MARK) is not None:
        raise Unsure("held")  # Mailroom._release_held
    mark = folders.get(ANALYSIS_MARK)
    if mark is None or mark.get("rules") != ANALYSIS_RULES:
        raise Unsure("analyses")  # Mailroom._refresh_analyses
    accounts = Accounts(profile.collection("accounts"))
    chosen = [accounts.get(name)] if name else accounts.list()
    if not chosen:
        raise Unsure("no account")
    ops = profile.collection("mailops")
    reports = []
    for account in chosen:
        if waiting_operations(ops, account.name):
            raise Unsure("operations")
        _account_unchanged(account, folders)
        reports.append(
            {"account": account.name, "new": 0, "flags_in": 0, "flags_out": 0, "expunged": 0, "undelivered": 0}
        )
    return reports


def _documents_idle(profile: Profile) -> bool:
    """Whether the document queue surely has nothing for ``auto_file``, told from its stored records and the
    import folder without loading the queue's modules (about a third of a no-change resync): no document
    waiting with an ``auto`` decision and its patient, none being filed or half corrected, and no temporary file
    in the import folder's hidden folder. What ``DocumentQueue.auto_file_waiting`` looks at, widened (any
    temporary file, whatever its desk; the queue's settings not read): False sends the question to it."""
    import os

    def may_file(d: Any) -> bool:
        if d.get("state") == "filing" or d.get("replacement"):
            return True  # an interrupted filing (DocumentQueue._stuck)
        return d.get("state") == "waiting" and d.get("decision") == "auto" and bool(d.get("patient_id"))

    if profile.collection("documents").find(may_file):
        return False
    folder = str(getattr(profile.settings.filing, "folder", "") or "").strip()  # as filing.FilingProfile reads it
    hidden = os.path.join(os.path.expanduser(folder), ".missive-tmp")  # filing.temp_folder (TEMP_DIR)
    try:
        with os.scandir(hidden) as entries:
            return not any(entry.name.endswith(".tmp") for entry in entries)
    except FileNotFoundError:
        return True  # never made: nothing was ever written there
    except OSError:
        return False  # unreadable: the queue's own look says what it makes of it


def _account_unchanged(account: Account, folders: Any) -> None:
    """Returns when the server lists the same folders, roles and statuses as stored; Unsure otherwise."""
    from core.mail.imapwire import listed, listed_statuses

    if account.kind != "imap" or account.imap_security not in ("tls", "starttls"):
        raise Unsure("not IMAP")
    if account.uses_bearer:
        raise Unsure("bearer")
    user = account.user or account.email
    password = account.password
    if not _ATOM.fullmatch(user) or not (password.isascii() and password.isprintable()):
        raise Unsure("credentials")
    with _Connection(account) as imap:
        try:
            imap.login(user, password)
        except Refused as exc:  # worded as the full client words it: the full sync says it without a second LOGIN
            result, said = exc.answer
            detail = said.decode("utf-8", "replace").strip() or result.decode("ascii", "replace")
            raise LoginRefused(account, detail) from None
        if not (imap.has("LIST-STATUS") and imap.has("CONDSTORE")):
            raise Unsure("capabilities")
        from core.mail.imapwire import list_status_pattern

        lines = imap.command(f'LIST "" {list_status_pattern(imap.has("SPECIAL-USE"))}')
    names, roles = listed(lines)
    statuses = listed_statuses(lines)
    if roles != stored_roles(folders, account.name):
        raise Unsure("roles")
    if set(stored_folder_names(folders, account.name)) - set(names):
        raise Unsure("folder gone")
    for folder in names:
        status = statuses.get(folder)
        if status is None or not unchanged(stored_state(folders, account.name, folder), status):
            raise Unsure("folder changed")


class _Connection:
    """One blocking IMAP connection over TLS (implicit, or STARTTLS before anything is sent), with the full
    client's TLS context; logged out at the end.
    Lines come as aioimaplib hands them to core.mail.imapwire: ``* `` taken off, a literal as an item of its own
    followed by the rest of its line, the tagged status line last."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.capabilities: set[str] = set()
        self._tag = 0
        self._sock: ssl.SSLSocket | None = None
        self._file: BinaryIO | None = None

    def __enter__(self) -> _Connection:
        import socket

        from core.mail.imapwire import capabilities_in
        from core.mail.tls import look_context_for

        ctx = look_context_for(self.account)
        host, port = self.account.imap_host, self.account.imap_port
        # an ASCII host name as the bytes the idna codec makes of it (a name it would refuse, an empty or too
        # long label, is refused by the resolver instead: the full sync decides), so that the codec and what
        # it loads (stringprep, unicodedata: some 2 ms of every resync) are not loaded; any other through it
        name: Any = host.encode("ascii") if host.isascii() else host
        raw: socket.socket | None = None
        try:
            raw = socket.create_connection((name, port), timeout=CONNECT_WAIT)
            if self.account.imap_security == "starttls":
                _starttls(raw)
            self._sock = ctx.wrap_socket(raw, server_hostname=name)  # the handshake, verified, here
            self._file = self._sock.makefile("rb")
            # implicit TLS: the greeting; after STARTTLS the capabilities are asked again (those said in clear
            # may have been forged), as the full client asks them
            greeting = self._line() if self.account.imap_security == "tls" else b"* OK"
            self._sock.settimeout(TIMEOUT)
        except OSError as exc:  # refused, unreachable, TLS refused, timed out: the full sync says it
            self._shut(raw)
            raise Unsure("connection") from exc
        except BaseException:
            self._shut(raw)
            raise
        if not greeting.startswith(b"* OK"):  # PREAUTH, BYE, anything else: the full client's business
            self._shut()
            raise Unsure("greeting")
        said = capabilities_in(greeting[2:])
        try:
            if said is None:
                said = [word for line in self.command("CAPABILITY") for word in capabilities_in(line) or []]
            if "IMAP4REV1" not in {c.upper() for c in said}:
                raise Unsure("not IMAP4rev1")
        except BaseException:
            self._shut()
            raise
        self.capabilities = set(said)
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            if self._sock is not None:
                self._sock.settimeout(LOGOUT_WAIT)
                self.command("LOGOUT")
        except Exception:  # noqa: BLE001 - the connection is going away anyway (as the full client's close)
            pass
        finally:
            self._shut()

    def _shut(self, raw: socket.socket | None = None) -> None:
        for thing in (self._file, self._sock, raw):
            if thing is not None:
                try:
                    thing.close()
                except OSError:
                    pass
        self._file = self._sock = None

    def has(self, capability: str) -> bool:
        return capability.upper() in {c.upper() for c in self.capabilities}

    def login(self, user: str, password: str) -> None:
        """LOGIN as the full client sends it (user as an atom, the password quoted); the capabilities its OK gives
        (``OK [CAPABILITY ...]`` or untagged lines) added. A refusal is Unsure: the full sync logs in and says it."""
        from core.mail.imapwire import capabilities_in

        quoted = '"' + password.replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines = self.command(f"LOGIN {user} {quoted}")
        for line in lines:
            said = capabilities_in(line)
            if said is not None:
                self.capabilities |= set(said)

    def command(self, text: str) -> list[bytes]:
        """Send one command; its answer's lines, the tagged status text last. Unsure unless it is OK."""
        if self._sock is None:
            raise Unsure("closed")
        self._tag += 1
        tag = b"N%d" % self._tag
        try:
            self._sock.sendall(tag + b" " + text.encode("ascii") + b"\r\n")
            lines: list[bytes] = []
            while True:
                line = self._line()
                if line.startswith(tag + b" "):
                    status = line[len(tag) + 1 :]
                    if status[:3].upper() != b"OK " and status.upper() != b"OK":
                        result, _, said = status.partition(b" ")  # aioimaplib's split of a tagged answer
                        raise Refused((result, said))
                    lines.append(status[3:])
                    return lines
                if not line.startswith(b"* "):
                    raise Unsure("unexpected line")  # a continuation, another tag
                lines.append(line[2:])
                self._literals(lines)
        except OSError as exc:
            raise Unsure("connection") from exc

    def _literals(self, lines: list[bytes]) -> None:
        """The literals a line announces (``{N}`` at its end), each followed by the rest of its line."""
        from core.mail.imapwire import MAX_SMALL_LITERAL

        while (found := _LITERAL_END.search(lines[-1])) is not None:
            size = int(found.group(1))
            if size > MAX_SMALL_LITERAL or self._file is None:
                raise Unsure("literal")
            literal = self._file.read(size)
            if len(literal) != size:
                raise Unsure("cut")
            lines.append(literal)
            lines.append(self._line())

    def _line(self) -> bytes:
        from core.mail.imapwire import MAX_LINE

        if self._file is None:
            raise Unsure("closed")
        data = self._file.readline(MAX_LINE + 2)
        if not data.endswith(b"\r\n"):
            raise Unsure("line")  # cut, or longer than the full client reads
        return data[:-2]


def _starttls(raw: socket.socket) -> None:
    """The clear part of a STARTTLS connection (RFC 3501 6.2.1), before any credential: the greeting, the
    capabilities (asked when the greeting has none), STARTTLS and its OK. A server that does not offer STARTTLS,
    refuses it, or sends anything after its OK (bytes that would be read as if protected: STARTTLS injection)
    is Unsure: the full client refuses it and says why. Read byte by byte: nothing is read ahead of the OK."""
    import socket

    from core.mail.imapwire import capabilities_in

    greeting = _clear_line(raw)
    if not greeting.startswith(b"* OK"):
        raise Unsure("greeting")
    said = capabilities_in(greeting[2:])
    if said is None:
        raw.sendall(b"N0 CAPABILITY\r\n")
        said = []
        while not (line := _clear_line(raw)).startswith(b"N0 "):
            said += capabilities_in(line[2:]) or []
        if line[3:5].upper() != b"OK":
            raise Unsure("refused")
    if "STARTTLS" not in said:  # never in clear: the full client refuses such a server
        raise Unsure("no STARTTLS")
    raw.sendall(b"N1 STARTTLS\r\n")
    while not (line := _clear_line(raw)).startswith(b"N1 "):
        if not line.startswith(b"* "):
            raise Unsure("unexpected line")
    if line[3:5].upper() != b"OK":
        raise Unsure("refused")
    waits = raw.gettimeout()
    raw.settimeout(0)  # a look, not a wait (with a timeout, recv would wait for bytes first)
    try:
        if raw.recv(1, socket.MSG_PEEK):
            raise Unsure("clear after STARTTLS")
    except (BlockingIOError, InterruptedError):
        pass  # nothing sent after the OK, as it must be
    finally:
        raw.settimeout(waits)


def _clear_line(raw: socket.socket, limit: int = 64 * 1024) -> bytes:
    """One line read from the connection before TLS, byte by byte (nothing read ahead), CRLF taken off."""
    data = bytearray()
    while not data.endswith(b"\r\n"):
        byte = raw.recv(1)
        if not byte or len(data) > limit:
            raise Unsure("line")
        data += byte
    return bytes(data[:-2])
