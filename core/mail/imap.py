"""IMAP client on aioimaplib: implicit TLS or STARTTLS done by hand, LOGIN or XOAUTH2, batched FETCH, IDLE.

aioimaplib has no STARTTLS: we send the command ourselves and upgrade the transport with
``loop.start_tls``. A server that does not offer STARTTLS is refused before any credential is sent.
aioimaplib handles each response line by recursion, so FETCH goes in batches of at most ``BATCH`` UIDs.

Whole messages (a first sync: hundreds of megabytes) are not read through aioimaplib, which costs about as
much CPU as everything else a sync does (it formats every chunk for a debug log and rescans a reply at each
line): while ``fetch`` runs, the connection's bytes go to an ``imapwire.ResponseStream``, and the next
batch's FETCH is already sent while the caller works on the current one, so the server never waits for us.
Every failure is one ``TransportError`` line naming ``host:port`` and the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import ssl
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import aioimaplib

from core.errors import MissiveError, ServerRefused, TransportError
from core.mail.account import Account
from core.mail.imapwire import (
    MAX_LINE,
    SPECIAL_USES,
    ResponseStream,
    Tagged,
    capabilities_in,
    list_status_pattern,
    listed,
    listed_statuses,
    mb_text,
    parse_fetch,
    parse_fetch_group,
    parse_list,
    parse_search,
    quote,
    uid_set,
)

# named from here before (core.mail.nochange reads them without this module)
from core.mail.imapwire import MAX_SMALL_LITERAL as MAX_SMALL_LITERAL
from core.mail.imapwire import FolderStatus as FolderStatus
from core.mail.tls import HANDSHAKE_CUT, context_for, tls_error
from core.text import T, Text

log = logging.getLogger("missive.imap")

BATCH = 200  # UIDs per FETCH of flags (aioimaplib recursion limit, see shared/STACK.md)
BODY_BATCH = 100  # UIDs per FETCH of whole messages
# FETCH commands of whole messages in flight besides the batch being read: the server sends batch n+1 while
# batch n is read and stored. One more in flight held about 2 MB more of a 10,000-message sync's peak for no
# gain: reading and storing a batch takes longer than the server takes to send the next.
BODY_AHEAD = 1
IDLE_MAX = 9 * 60.0  # re-issue IDLE well before servers' 29-30 min cut-off, and at least every 10 min


READ_BUFFER = 256 * 1024  # what one read from the connection may fill (asyncio's own TLS buffer size)


class _Protocol(aioimaplib.IMAP4ClientProtocol, asyncio.BufferedProtocol):
    """aioimaplib's protocol, whose bytes can be handed to a raw reader (``raw_sink``) for a bulk FETCH.

    Also skips aioimaplib's ``log.debug('Received : %s' % data)``, which formats every chunk received (a
    copy of each message) whether or not debug logging is on.

    A buffered protocol: asyncio's TLS layer decrypts straight into one buffer of this connection's, record
    after record, as long as the records received so far fill it. Servers send records of a few KB (Dovecot
    about 4 KB): as a plain protocol, each record became a bytes object of its own (a 256 KB allocation cut
    down), then all of them were joined, then copied again by the reader; the raw reader now copies the
    buffer once. aioimaplib's own parsing is handed bytes, as before.
    """

    raw_sink: Callable[[bytes | memoryview], None] | None = None
    _read_view: memoryview | None = None
    incomplete_line: bytes  # aioimaplib's own state (it ships no types)
    current_command: Any
    sasl_reply: bytes | None = None  # what to answer a SASL challenge during AUTHENTICATE (an error report)
    refused: Text | None = None  # why the connection was cut here (a literal or a line too large)

    async def welcome(self, command: bytes) -> None:
        """aioimaplib's, without its CAPABILITY command when the greeting carries the capabilities (``* OK
        [CAPABILITY ...]``, RFC 3501 7.1, as Dovecot, Cyrus and most servers send it): one round trip less
        for every connection. The same capabilities either way; a greeting without them is asked as before."""
        said = capabilities_in(command)
        if said is None:
            await super().welcome(command)
        else:
            await self._welcomed(command, said)

    async def _welcomed(self, command: bytes, said: list[str]) -> None:
        async with self.state_condition:  # as aioimaplib's change_state: the state changes under its condition
            if b"PREAUTH" in command:
                self.state = aioimaplib.AUTH
            elif b"OK" in command:
                self.state = aioimaplib.NONAUTH
            else:
                raise aioimaplib.Error(command.decode())
            versions = [c for c in said if c.upper() in aioimaplib.AllowedVersions]
            if not versions:
                raise aioimaplib.Error("server not IMAP4 compliant")
            self.capabilities = set(said)
            self.imap_version = versions[-1].upper()
            self.state_condition.notify_all()

    async def login(self, user: str, password: str) -> Any:
        """aioimaplib's LOGIN, reading the capabilities the server gives with its OK in either form: an untagged
        ``* CAPABILITY ...`` line (what Dovecot sends a client that asked CAPABILITY before) or the response code
        ``OK [CAPABILITY ...] Logged in``, which aioimaplib split into words ('SPECIAL-USE]', 'Logged', 'in':
        SPECIAL-USE, the last one listed, was then missing)."""
        async with self.state_condition:  # as aioimaplib's change_state
            command = aioimaplib.Command("LOGIN", self.new_tag(), user, aioimaplib.quoted(password), loop=self.loop)
            response = await self.execute(command, scrub=password)
            if response.result == "OK":
                self.state = aioimaplib.AUTH
                for line in response.lines:
                    said = capabilities_in(line)
                    if said is not None:
                        self.capabilities = self.capabilities.union(said)
            self.state_condition.notify_all()
            return response

    def _continuation(self, line: bytes) -> None:
        command = self.pending_sync_command
        if self.sasl_reply is not None and command is not None and command.name == "AUTHENTICATE":
            # The server's challenge after a refused token is an error report: answer so it sends NO.
            self.transport.write(self.sasl_reply + b"\r\n")
            return
        super()._continuation(line)

    def _untagged_response(self, line: bytes) -> Any:
        # A LIST-STATUS answer's STATUS lines belong to the LIST (aioimaplib would look for a STATUS command)
        listing = self.pending_async_commands.get("LIST")
        if self.pending_sync_command is None and listing is not None and line[:9].upper() == b"* STATUS ":
            listing.append_to_resp(line[2:])
            return listing
        return super()._untagged_response(line)

    def get_buffer(self, sizehint: int) -> memoryview:
        view = self._read_view
        if view is None:
            view = self._read_view = memoryview(bytearray(READ_BUFFER))
        return view

    def buffer_updated(self, nbytes: int) -> None:
        view = self._read_view
        assert view is not None  # get_buffer made it
        if self.raw_sink is not None:
            self.raw_sink(view[:nbytes])  # the raw reader copies what it keeps before it returns
            return
        self.data_received(bytes(view[:nbytes]))

    def data_received(self, d: bytes) -> None:
        if self.raw_sink is not None:
            self.raw_sink(d)
            return
        if self.refused is not None:
            return
        try:
            self._handle_responses(self.incomplete_line + d, self._handle_line, self.current_command)
            self.incomplete_line = b""
            self.current_command = None
        except aioimaplib.IncompleteRead as incomplete_read:
            self.current_command = incomplete_read.cmd
            self.incomplete_line = incomplete_read.data
            if len(self.incomplete_line) > MAX_LINE:
                self._refuse(T("mail.imapwire.line-too-long", mb=mb_text(MAX_LINE)))
        except _Refused:
            pass  # the connection is cut: nothing more is read

    def _handle_line(self, line: bytes, current_cmd: Any) -> Any:
        literal = _LITERAL_SIZE.search(line) if line.endswith(b"}") else None
        if literal is not None and int(literal.group(1)) > MAX_SMALL_LITERAL:
            # announced before any of it came: refused before aioimaplib gathers it
            self._refuse(
                T(
                    "mail.imapwire.small-literal-too-big",
                    mb=mb_text(int(literal.group(1))),
                    limit=mb_text(MAX_SMALL_LITERAL),
                )
            )
            raise _Refused
        return super()._handle_line(line, current_cmd)

    def _refuse(self, why: Text) -> None:
        """Cut the connection for an answer too large to hold; the commands waiting fail with ``why``."""
        self.refused = why
        self.incomplete_line = b""
        self.current_command = None
        if self.transport is not None:
            self.transport.abort()


class _Refused(Exception):
    """Raised out of aioimaplib's line handling once the connection is cut (``_Protocol._refuse``)."""


_LITERAL_SIZE = re.compile(rb"\{(\d+)\+?\}$")


def _create_client(
    imap: aioimaplib.IMAP4,
    host: str,
    port: int,
    loop: asyncio.AbstractEventLoop | None,
    conn_lost_cb: Callable[[Exception | None], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """aioimaplib's ``IMAP4.create_client`` with our protocol class."""
    local_loop = loop if loop is not None else asyncio.get_running_loop()
    imap.protocol = _Protocol(local_loop, conn_lost_cb)
    imap._client_task = local_loop.create_task(
        local_loop.create_connection(lambda: imap.protocol, host, port, ssl=ssl_context)
    )


class _IMAP4(aioimaplib.IMAP4):
    create_client = _create_client


class _IMAP4_SSL(aioimaplib.IMAP4_SSL):  # noqa: N801 - named after aioimaplib's class
    def create_client(
        self,
        host: str,
        port: int,
        loop: asyncio.AbstractEventLoop | None,
        conn_lost_cb: Callable[[Exception | None], None] | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        if ssl_context is None:
            ssl_context = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
        _create_client(self, host, port, loop, conn_lost_cb, ssl_context)


@dataclass(frozen=True)
class Fetched:
    uid: int
    flags: tuple[str, ...]
    raw: bytes = b""
    size: int = 0
    modseq: int | None = None
    # larger than the account's limit: ``raw`` holds its headers only (the sync lists it as too big)
    too_big: bool = False


def login_refused(account: Account, detail: str) -> TransportError:
    """The failure of a LOGIN ``account``'s server refused, ``detail`` its answer's text (or its NO / BAD):
    permanent, as trying the same user and password again cannot help (and counts against the account on
    servers that lock it after a few failures), unless the server says it is a passing trouble
    (``[UNAVAILABLE]``, RFC 5530: its authentication service is down)."""
    reason = T("mail.imap.login-refused", user=account.user or account.email, detail=detail)
    passing = detail.upper().startswith("[UNAVAILABLE]")
    return TransportError(
        T("mail.imap.message", host=account.imap_host, port=account.imap_port, reason=reason),
        permanent=not passing,
    )


class ImapClient:
    """One authenticated IMAP connection for an account. ``async with ImapClient(account) as imap: ...``."""

    def __init__(
        self, account: Account, timeout: float = 30.0, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        if account.kind != "imap":
            raise MissiveError(T("mail.imap.account-not-imap-account", account_name=account.name))
        self.account = account
        self.host = account.imap_host
        self.port = account.imap_port
        self.timeout = timeout
        self._ssl_context = ssl_context
        self._imap: Any = None
        self.selected: FolderStatus | None = None
        self.lost = False
        self._raw: _RawFetch | None = None  # the bulk FETCH reading the connection, while one runs
        self._enabled = False  # ENABLE CONDSTORE sent on this connection
        self._enable_wanted = False  # asked by enable_condstore: sent before the first SELECT
        # folder -> its SPECIAL-USE role ('sent', 'drafts', 'trash', 'junk', 'archive'...), from the last listing
        self.roles: dict[str, str] = {}
        try:  # the largest letter downloaded whole (0: no limit); an older profile's account has the default
            self.max_message = max(0, int(account.max_message_mb)) << 20
        except (TypeError, ValueError):
            self.max_message = Account.max_message_mb << 20

    # ------------------------------------------------------------------ connection
    def _fail(self, reason: Text | str, permanent: bool | None = None) -> TransportError:
        if permanent is None and reason is not None and reason is self._refused():
            permanent = True  # an answer too large to hold: trying again meets the same answer
        return TransportError(
            T("mail.imap.message", host=self.host, port=self.port, reason=reason), permanent=permanent
        )

    async def __aenter__(self) -> ImapClient:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def connect(self) -> None:
        """Open the connection, secure it, authenticate. Raises TransportError (one line)."""
        ctx = self._ssl_context or context_for(self.account)
        try:
            await self._open(ctx)
            await self._authenticate()
        except BaseException:
            self._abort()
            raise

    async def _open(self, ctx: ssl.SSLContext) -> None:
        implicit = self.account.imap_security == "tls"
        try:
            if implicit:
                imap = _IMAP4_SSL(self.host, self.port, timeout=self.timeout, ssl_context=ctx)
            else:
                imap = _IMAP4(self.host, self.port, timeout=self.timeout)
            imap.protocol.conn_lost_cb = self._on_lost
            self._imap = imap
            await imap.wait_hello_from_server()
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise tls_error(self.host, self.port, exc) from None
        except TimeoutError:
            raise self._fail(T("mail.imap.no-greeting", seconds=f"{self.timeout:.0f}")) from None
        except (ConnectionResetError, ConnectionAbortedError, EOFError) as exc:
            if implicit:  # cut before any greeting, during the handshake
                raise TransportError(
                    T("mail.imap.message-2", host=self.host, port=self.port, HANDSHAKE_CUT=HANDSHAKE_CUT),
                    permanent=True,
                ) from None
            raise self._fail(_os_reason(exc)) from None
        except OSError as exc:
            raise self._fail(_os_reason(exc)) from None
        except aioimaplib.AioImapException as exc:
            raise self._fail(T("mail.imap.not-imap", detail=exc)) from None
        if not implicit:
            await self._starttls(ctx)

    async def _starttls(self, ctx: ssl.SSLContext) -> None:
        protocol = self._imap.protocol
        if "STARTTLS" not in protocol.capabilities:
            # Never fall back to plaintext: the password would cross the network in clear.
            raise self._fail(T("mail.imap.no-starttls"), permanent=True)
        command = aioimaplib.Command("STARTTLS", protocol.new_tag(), loop=protocol.loop)
        try:
            response = await asyncio.wait_for(protocol.execute(command), self.timeout)
        except TimeoutError:
            raise self._fail(T("mail.imap.no-answer-starttls")) from None
        if response.result != "OK":
            said = b" ".join(bytes(x) for x in response.lines[-1:]).decode("utf-8", "replace")
            raise TransportError(
                T(
                    "mail.imap.serveur-refuse-passer-tls",
                    host=self.host,
                    port=self.port,
                    result=response.result,
                    join=" ".join(said.split())[:120],
                )
            )
        if protocol.incomplete_line:
            # Bytes sent in clear after "OK" would be read as if protected (STARTTLS injection).
            raise self._fail(T("mail.imap.clear-after-starttls"), permanent=True)
        loop = asyncio.get_running_loop()
        try:
            transport = await asyncio.wait_for(
                loop.start_tls(protocol.transport, protocol, ctx, server_hostname=self.host), self.timeout
            )
        except (ssl.SSLError, ssl.CertificateError) as exc:
            raise tls_error(self.host, self.port, exc) from None
        except TimeoutError:
            raise self._fail(T("mail.imap.tls-timeout")) from None
        except (ConnectionResetError, ConnectionAbortedError, EOFError):
            raise TransportError(
                T("mail.imap.message-2", host=self.host, port=self.port, HANDSHAKE_CUT=HANDSHAKE_CUT),
                permanent=True,
            ) from None
        except (OSError, ConnectionError) as exc:
            raise self._fail(_os_reason(exc)) from None
        protocol.transport = transport
        # Capabilities seen before TLS may have been forged: ask again.
        await asyncio.wait_for(protocol.capability(), self.timeout)

    async def _authenticate(self) -> None:
        imap = self._imap
        user = self.account.user or self.account.email
        if self.account.uses_bearer:
            await self._bearer_login(user)
            return
        try:
            response = await imap.login(user, self.account.password)
        except TimeoutError:
            raise self._fail(T("mail.imap.no-answer-login")) from None
        except aioimaplib.AioImapException as exc:
            raise self._fail(T("mail.imap.login-failed", detail=exc)) from None
        if response.result != "OK":
            text = b" ".join(bytes(x) for x in response.lines[-1:]).decode("utf-8", "replace")
            raise login_refused(self.account, text.strip() or response.result)

    def _mechanism(self) -> str:
        """XOAUTH2 or OAUTHBEARER (RFC 7628): the account's choice, else the first the server offers."""
        wanted = self.account.sasl.upper()
        offered = [m for m in ("XOAUTH2", "OAUTHBEARER") if self.has(f"AUTH={m}")]
        if wanted:
            if wanted not in offered:
                raise TransportError(
                    T("mail.imap.serveur-propose-connexion", host=self.host, port=self.port, wanted=wanted),
                    permanent=True,
                )
            return wanted
        if not offered:
            raise TransportError(
                T("mail.imap.serveur-accepte-jeton-xoauth2", host=self.host, port=self.port),
                permanent=True,
            )
        return offered[0]

    async def _bearer_mechanism(self) -> str:
        """``_mechanism()``; when the capabilities at hand (the greeting's, which spare the CAPABILITY command)
        name no bearer mechanism, or not the one asked, the server is asked with CAPABILITY once before the login
        is refused: nothing obliges a greeting to list every mechanism the command gives."""
        try:
            return self._mechanism()
        except TransportError:
            with contextlib.suppress(TimeoutError, aioimaplib.AioImapException):
                await asyncio.wait_for(self._imap.protocol.capability(), self.timeout)
            return self._mechanism()

    async def _bearer_login(self, user: str) -> None:
        """AUTHENTICATE with a bearer token (Pro Santé Connect or the token command); one retry with a renewed
        token when the server refuses the first (it may have expired on the way), then a permanent error."""
        from core.auth import psc

        mechanism = await self._bearer_mechanism()
        psc_login = self.account.auth_kind == "psc"
        for attempt in (1, 2):
            if psc_login:
                token = await psc.bearer(self.account)
            else:
                from core.mail.accounts import access_token

                token = await asyncio.to_thread(access_token, self.account)
            if await self._sasl(mechanism, user, token):
                return
            log.info("imap %s: %s token refused (attempt %d)", self.account.name, mechanism, attempt)
            if not psc_login or attempt == 2:
                break
            psc.sessions.drop_access(self.account)
        raise TransportError(
            T(
                "mail.imap.serveur-refuse-jeton-connexion",
                host=self.host,
                port=self.port,
                mechanism=mechanism,
                user=user,
            ),
            permanent=True,
        )

    async def _sasl(self, mechanism: str, user: str, token: str) -> bool:
        """One AUTHENTICATE exchange with an initial response (SASL-IR); True when logged in."""
        from core.auth import psc

        protocol = self._imap.protocol
        if mechanism == "OAUTHBEARER":
            initial = psc.sasl_oauthbearer(user, token, self.host, self.port)
            protocol.sasl_reply = b"AQ=="  # RFC 7628 §3.2.3: %x01 ends a failed exchange
        else:
            initial = psc.sasl_xoauth2(user, token)
            protocol.sasl_reply = b""
        command = aioimaplib.Command(
            "AUTHENTICATE", protocol.new_tag(), mechanism, initial, loop=protocol.loop
        )
        try:
            response = await asyncio.wait_for(protocol.execute(command, scrub=initial), self.timeout)
        except TimeoutError:
            raise self._fail(T("mail.imap.no-answer-login")) from None
        except aioimaplib.AioImapException as exc:
            raise self._fail(T("mail.imap.login-failed", detail=type(exc).__name__)) from None
        finally:
            protocol.sasl_reply = None
        if response.result != "OK":
            return False
        protocol.state = aioimaplib.AUTH
        # The capabilities before login are not those after (CONDSTORE...): ask again.
        await asyncio.wait_for(protocol.capability(), self.timeout)
        return True

    def _on_lost(self, exc: Exception | None) -> None:
        self.lost = True
        if self._raw is not None:
            self._raw.wake()
        # Wake an IDLE waiting for pushes: it would otherwise wait for ever on a dead connection.
        if self._imap is None:
            return
        protocol = self._imap.protocol
        with contextlib.suppress(Exception):
            protocol.idle_queue.put_nowait([b"BYE connection lost"])
        # aioimaplib leaves commands in flight waiting for ever when the connection drops: fail them now.
        pending = [protocol.pending_sync_command, *protocol.pending_async_commands.values()]
        for command in pending:
            if command is not None and not command._event.is_set():
                command._exception = aioimaplib.Abort("connection lost")
                command._event.set()

    def _refused(self) -> Text | None:
        """Why this side cut the connection (an answer too large to hold), if it did."""
        return getattr(self._imap.protocol, "refused", None) if self._imap is not None else None

    def _abort(self) -> None:
        if self._imap is not None and self._imap.protocol.transport is not None:
            with contextlib.suppress(Exception):
                self._imap.protocol.transport.close()

    async def close(self) -> None:
        """Log out politely; never raises."""
        if self._imap is None:
            return
        if self._raw is not None:  # a bulk FETCH left unfinished: replies are still coming
            self._end_raw(self._raw)
            self.lost = True
        try:
            if not self.lost and self._imap.get_state() in ("AUTH", "SELECTED", "NONAUTH"):
                if (
                    self._imap.has_pending_idle()
                ):  # an IDLE left when its task was cancelled: LOGOUT would wait
                    self._imap.idle_done()
                await asyncio.wait_for(self._imap.logout(), 5)
        except Exception:  # noqa: BLE001 - the connection is going away anyway
            pass
        finally:
            self._abort()
            self._imap = None

    @property
    def capabilities(self) -> set[str]:
        return set(self._imap.protocol.capabilities) if self._imap else set()

    def has(self, capability: str) -> bool:
        return capability.upper() in {c.upper() for c in self.capabilities}

    # ------------------------------------------------------------------ commands
    async def _run(self, what: str, coro: Any) -> Any:
        if self.lost:
            coro.close()  # never sent
            raise self._fail(T("mail.imap.lost"))
        try:
            response = await asyncio.wait_for(coro, self.timeout * 4)
        except TimeoutError:
            raise self._fail(T("mail.imap.no-answer", what=what, seconds=f"{self.timeout * 4:.0f}")) from None
        except aioimaplib.AioImapException as exc:
            raise self._fail(
                self._refused() or T("mail.imap.command-failed", what=what, detail=exc)
            ) from None
        except (OSError, ConnectionError) as exc:
            raise self._fail(self._refused() or _os_reason(exc)) from None
        except RecursionError:
            raise self._fail(T("mail.imap.too-large", what=what)) from None
        if self.lost:
            raise self._fail(self._refused() or T("mail.imap.lost-during", what=what))
        if response.result != "OK":
            text = b" ".join(bytes(x) for x in response.lines[-1:]).decode("utf-8", "replace")
            raise ServerRefused(
                T(
                    "mail.imap.message",
                    host=self.host,
                    port=self.port,
                    reason=T("mail.imap.refused", what=what, detail=text.strip()[:120]),
                )
            )
        return response

    async def folders(self) -> list[str]:
        """Selectable folders (INBOX first). Their SPECIAL-USE roles (RFC 6154) are kept in ``roles``."""
        pattern = '"*" RETURN (SPECIAL-USE)' if self.has("SPECIAL-USE") else '"*"'
        response = await self._run("LIST", self._imap.list('""', pattern))
        return self._listed(response.lines)

    def _listed(self, lines: Sequence[bytes | bytearray]) -> list[str]:
        """The selectable folders of a LIST answer, INBOX first; ``roles`` set to what it says of them."""
        names, self.roles = listed(lines)
        return names

    async def folders_status(self) -> tuple[list[str], dict[str, FolderStatus]]:
        """The selectable folders (as ``folders``) and, in the same answer when the server has LIST-STATUS
        (RFC 5819) and CONDSTORE, what SELECT would say of each (UIDVALIDITY, UIDNEXT, EXISTS, HIGHESTMODSEQ):
        a sync then selects only the folders that changed. No status for a folder the server left out."""
        if not (self.has("LIST-STATUS") and self.has("CONDSTORE")):
            return await self.folders(), {}
        # the roles asked in the same answer: Dovecot leaves \Sent out of a LIST with RETURN (STATUS) alone
        response = await self._run("LIST", self._imap.list('""', list_status_pattern(self.has("SPECIAL-USE"))))
        return self._listed(response.lines), listed_statuses(response.lines)

    async def enable_condstore(self) -> bool:
        """Whether the server does CONDSTORE (RFC 7162). Its ENABLE goes just before the connection's first
        SELECT: a sync whose listing (LIST-STATUS, itself asking HIGHESTMODSEQ) shows no folder changed selects
        none, and spares that round trip."""
        if not self.has("CONDSTORE"):
            return False
        self._enable_wanted = True
        return True

    async def _enable_once(self) -> None:
        """ENABLE CONDSTORE, once per connection (a kept one is asked again), when a sync asked for it."""
        if self._enable_wanted and not self._enabled and self.has("ENABLE"):
            with contextlib.suppress(TransportError):
                await self._run("ENABLE", self._imap.enable("CONDSTORE"))
            self._enabled = True

    async def select(self, folder: str) -> FolderStatus:
        await self._enable_once()
        arg = quote(folder)
        if self.has("CONDSTORE"):
            arg += " (CONDSTORE)"
        response = await self._run(f"SELECT {folder}", self._imap.select(arg))
        status = _parse_select(folder, response.lines)
        self.selected = status
        return status

    async def uids(self) -> list[int]:
        """Every UID of the selected folder."""
        response = await self._run("UID SEARCH", self._imap.uid_search("ALL", charset=None))
        return parse_search(response.lines)

    async def flags(self, uids: Sequence[int], changedsince: int | None = None) -> dict[int, tuple[str, ...]]:
        """Flags of these UIDs (only those changed since a MODSEQ when ``changedsince`` is given)."""
        out: dict[int, tuple[str, ...]] = {}
        items = "(UID FLAGS)"
        if changedsince is not None:
            items = f"(UID FLAGS) (CHANGEDSINCE {changedsince})"
        for chunk in _chunks(list(uids), BATCH):
            response = await self._run("UID FETCH FLAGS", self._imap.uid("fetch", uid_set(chunk), items))
            for msg in parse_fetch(response.lines):
                if "UID" in msg:
                    out[msg["UID"]] = msg.get("FLAGS", ())
        return out

    async def fetch(
        self, uids: Sequence[int], batch: int = BODY_BATCH
    ) -> AsyncGenerator[list[Fetched], None]:
        """Whole messages (without setting \\Seen), one list per batch of ``batch`` UIDs, in UID order.

        ``BODY_AHEAD`` FETCH commands are in flight at once, read by a ``ResponseStream`` rather than by
        aioimaplib. A message expunged meanwhile is left out of its batch. Leaving the loop early leaves
        replies in flight: the connection is then closed, not reused.
        """
        wanted = sorted(set(uids))
        if not wanted:
            return
        if self.lost:
            raise self._fail(T("mail.imap.lost"))
        if self.max_message:
            big = await self._too_big(wanted)
            if big:  # their headers, first: the bulk FETCH below takes the connection
                skip = {m.uid for m in big}
                wanted = [u for u in wanted if u not in skip]
                yield big
        chunks = list(_chunks(wanted, batch))
        if not chunks:
            return
        protocol = self._imap.protocol
        if protocol.pending_sync_command is not None or protocol.pending_async_commands:
            raise self._fail(T("mail.imap.busy"))
        # the server said none of these is larger than the limit: a literal larger than that (with room for
        # servers that count line ends otherwise) is refused before it is held
        raw = _RawFetch(self.max_message + self.max_message // 8 if self.max_message else None)
        self._raw = raw
        raw.feed(protocol.incomplete_line)
        protocol.incomplete_line = b""
        protocol.raw_sink = raw.feed
        tags: list[str] = []
        finished = False

        def send(chunk: list[int]) -> None:
            tag = protocol.new_tag()
            tags.append(tag)
            line = f"{tag} UID FETCH {uid_set(chunk)} (UID FLAGS RFC822.SIZE BODY.PEEK[])\r\n"
            protocol.transport.write(line.encode("ascii"))

        try:
            for chunk in chunks[:BODY_AHEAD]:
                send(chunk)
            for n, chunk in enumerate(chunks):
                done = await self._until_tagged(raw, tags[n])
                if done.status != "OK":
                    raise self._fail(T("mail.imap.refused", what="UID FETCH", detail=done.text.strip()[:120]))
                if n + BODY_AHEAD < len(chunks):
                    send(chunks[n + BODY_AHEAD])
                got = [raw.messages.pop(uid) for uid in chunk if uid in raw.messages]
                if n + 1 == len(chunks):
                    finished = True
                    self._end_raw(raw)
                yield got
        finally:
            if not finished:
                self._end_raw(raw)
                if not self.lost:
                    # replies still on their way would reach aioimaplib, which knows none of their tags
                    self.lost = True
                    self._abort()

    async def _too_big(self, wanted: list[int]) -> list[Fetched]:
        """The letters of ``wanted`` larger than the account's limit, with their headers only: one SEARCH
        LARGER over the folder (usually an empty answer), then their headers, flags and sizes."""
        wanted_set = set(wanted)
        try:
            response = await self._run(
                "UID SEARCH LARGER", self._imap.uid_search(f"LARGER {self.max_message}", charset=None)
            )
            larger = [uid for uid in parse_search(response.lines) if uid in wanted_set]
        except ServerRefused:
            # a server that does not take LARGER (RFC 3501 has it): the sizes asked one by one instead,
            # else its large letters would cut every sync at the bulk FETCH's bound
            log.info("UID SEARCH LARGER refused: sizes asked with FETCH RFC822.SIZE")
            larger = []
            for chunk in _chunks(wanted, BATCH):
                answer = await self._run(
                    "UID FETCH RFC822.SIZE", self._imap.uid("fetch", uid_set(chunk), "(UID RFC822.SIZE)")
                )
                for msg in parse_fetch(answer.lines):
                    if msg.get("UID") in wanted_set and int(msg.get("RFC822.SIZE") or 0) > self.max_message:
                        larger.append(msg["UID"])
        out: list[Fetched] = []
        for chunk in _chunks(larger, BATCH):
            items = "(UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])"
            answer = await self._run("UID FETCH HEADER", self._imap.uid("fetch", uid_set(chunk), items))
            for msg in parse_fetch(answer.lines):
                uid = msg.get("UID")
                if uid not in wanted_set:
                    continue
                header = msg.get("BODY[HEADER]")
                size = int(msg.get("RFC822.SIZE") or 0)
                log.warning(
                    "a letter over the account's size limit kept without its body (uid %d, %d bytes)",
                    uid,
                    size,
                )
                out.append(
                    Fetched(
                        uid,
                        msg.get("FLAGS", ()),
                        header if isinstance(header, bytes) else b"",
                        size,
                        msg.get("MODSEQ"),
                        too_big=True,
                    )
                )
        return out

    async def _until_tagged(self, raw: _RawFetch, tag: str) -> Tagged:
        """Wait until the server has answered command ``tag``; no byte for ``timeout * 4`` s is a failure."""
        limit = self.timeout * 4
        while True:
            if raw.error is not None:
                raise self._fail(raw.error, permanent=raw.permanent or None)
            done = raw.tagged.pop(tag, None)
            if done is not None:
                return done
            if self.lost:
                raise self._fail(T("mail.imap.lost-during", what="UID FETCH"))
            raw.changed.clear()
            try:
                await asyncio.wait_for(raw.changed.wait(), limit)
            except TimeoutError:
                raise self._fail(T("mail.imap.no-answer", what="UID FETCH", seconds=f"{limit:.0f}")) from None

    def _end_raw(self, raw: _RawFetch) -> None:
        """Give the connection back to aioimaplib, with any bytes that came after the last reply."""
        if self._raw is not raw:
            return
        self._raw = None
        if self._imap is None:
            return
        protocol = self._imap.protocol
        protocol.raw_sink = None
        rest = raw.stream.pending
        if rest and not self.lost:
            protocol.data_received(rest)

    async def store_flags(self, uid: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None:
        add, remove = sorted(set(add)), sorted(set(remove))
        if add:
            await self._run(
                "UID STORE", self._imap.uid("store", str(uid), "+FLAGS.SILENT", f"({' '.join(add)})")
            )
        if remove:
            await self._run(
                "UID STORE", self._imap.uid("store", str(uid), "-FLAGS.SILENT", f"({' '.join(remove)})")
            )

    async def append(self, folder: str, raw: bytes, flags: Iterable[str] = ()) -> None:
        flag_text = f"({' '.join(flags)})" if flags else None
        await self._run(f"APPEND {folder}", self._imap.append(raw, mailbox=quote(folder), flags=flag_text))

    async def special_folders(self) -> dict[str, str]:
        """Folders by their SPECIAL-USE role (RFC 6154), lower case without the backslash: ``trash``,
        ``archive``, ``sent``, ``drafts``, ``junk``... (the first folder of each role)."""
        pattern = '"*" RETURN (SPECIAL-USE)' if self.has("SPECIAL-USE") else '"*"'
        response = await self._run("LIST", self._imap.list('""', pattern))
        out: dict[str, str] = {}
        for flags, name in parse_list(response.lines):
            for flag in flags:
                role = flag.lstrip("\\").lower()
                if role in SPECIAL_USES:
                    out.setdefault(role, name)
        return out

    async def create_folder(self, name: str) -> None:
        await self._run("CREATE", self._imap.create(quote(name)))

    async def has_uid(self, uid: int) -> bool:
        """Whether the selected folder still holds message ``uid``."""
        response = await self._run("UID SEARCH", self._imap.uid_search(f"UID {int(uid)}", charset=None))
        return int(uid) in parse_search(response.lines)

    async def move(self, uid: int, folder: str) -> tuple[int, int] | None:
        """Move message ``uid`` of the selected folder to ``folder``: UID MOVE when the server has MOVE, else
        UID COPY, \\Deleted and UID EXPUNGE of that message only. Returns (UIDVALIDITY, UID) of the copy from
        the server's COPYUID, or None when the server does not say (no UIDPLUS)."""
        if self.has("MOVE"):
            response = await self._run("UID MOVE", self._imap.uid("move", str(uid), quote(folder)))
        else:
            response = await self._run("UID COPY", self._imap.uid("copy", str(uid), quote(folder)))
            await self.expunge_uid(uid)
        return copyuid(response.lines, uid)

    async def expunge_uid(self, uid: int) -> None:
        """Remove message ``uid`` of the selected folder for good (\\Deleted, then UID EXPUNGE of it only).
        Without UIDPLUS the message is only marked \\Deleted: a plain EXPUNGE would also remove the other
        messages someone marked so."""
        await self._run("UID STORE", self._imap.uid("store", str(uid), "+FLAGS.SILENT", "(\\Deleted)"))
        if self.has("UIDPLUS"):
            await self._run("UID EXPUNGE", self._imap.uid("expunge", str(uid)))

    async def search_header(self, name: str, value: str) -> list[int]:
        response = await self._run(
            "UID SEARCH", self._imap.uid_search("HEADER", quote(name), quote(value), charset=None)
        )
        return parse_search(response.lines)

    async def noop(self) -> None:
        await self._run("NOOP", self._imap.noop())

    async def idle(self, timeout: float = IDLE_MAX, wake: asyncio.Event | None = None) -> list[bytes]:
        """Wait for news on the selected folder at most ``timeout`` seconds; returns the pushed lines.

        IDLE is always bounded: a server that drops the connection mid-IDLE could leave aioimaplib waiting.
        ``wake`` set ends it early with nothing pushed (a sync wants this connection: core.mail.sync.Connections).
        """
        if wake is not None and wake.is_set():
            return []
        if not self.has("IDLE"):
            await _first(asyncio.sleep(min(timeout, 60)), wake)
            await self.noop()
            return [b"NOOP"]
        timeout = min(timeout, IDLE_MAX)
        imap = self._imap
        try:
            # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation that comes as the IDLE
            # is acknowledged, and the daemon asked to stop would then wait in IDLE for news
            async with asyncio.timeout(self.timeout):
                idle_task = await imap.idle_start(timeout=timeout)
        except TimeoutError:
            raise self._fail(T("mail.imap.idle-not-acknowledged")) from None
        except aioimaplib.AioImapException as exc:
            raise self._fail(T("mail.imap.refused", what="IDLE", detail=exc)) from None
        pushed: list[bytes] = []
        deadline = asyncio.get_running_loop().time() + timeout
        try:
            while not pushed and not self.lost:
                _end_if_cancelled()
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    break
                got = await _first(_server_push(imap, left + 5), wake)
                if not isinstance(got, list):
                    break  # aioimaplib's own stop marker (the IDLE period is over), or woken
                # "OK Still here" keep-alives are not news
                pushed = [bytes(x) for x in got if not bytes(x).upper().startswith(b"OK")]
        except TimeoutError:
            pass
        finally:
            if not self.lost:
                with contextlib.suppress(Exception):
                    imap.idle_done()
                    await asyncio.wait_for(idle_task, self.timeout)
            else:
                idle_task.cancel()
        if self.lost:
            raise self._fail(T("mail.imap.lost-idle"))
        return [p for p in pushed if p != b"BYE connection lost"]


def _end_if_cancelled() -> None:
    """Raise CancelledError when this task was asked to end: a cancellation swallowed below (Python 3.11's
    asyncio.wait_for, in aioimaplib too, returns a result that completes as the cancellation comes) would
    otherwise leave the IDLE round waiting for the server's next push, up to 9 minutes (seen: a sync thread
    still alive 30 s after its stop, its IDLE round 'cancelling' yet waiting on the push queue)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def _server_push(imap: Any, seconds: float) -> Any:
    """What the server pushes during an IDLE (a list of lines, or aioimaplib's stop marker), waiting at most
    ``seconds``: TimeoutError after that.

    Read from aioimaplib's queue under ``asyncio.timeout``, not through ``wait_server_push`` (``asyncio.wait_for``):
    Python 3.11's wait_for returns the result when a cancellation comes just as the server's keep-alive arrives,
    and the IDLE round asked to end (a letter read in the app, the app or the daemon stopping) waited for the next
    push, up to 9 minutes."""
    async with asyncio.timeout(seconds):
        return await imap.protocol.idle_queue.get()


async def _first(work: Awaitable[Any], wake: asyncio.Event | None) -> Any:
    """``work``'s result, or None as soon as ``wake`` is set (``work`` is then cancelled)."""
    if wake is None:
        return await work
    task = asyncio.ensure_future(work)
    woken = asyncio.ensure_future(wake.wait())
    try:
        await asyncio.wait({task, woken}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for pending in (task, woken):
            if not pending.done():
                pending.cancel()
    if task.done() and not task.cancelled():
        return task.result()
    return None


class _RawFetch:
    """What a bulk FETCH has read so far: messages by UID, tagged answers by tag."""

    def __init__(self, max_literal: int | None = None) -> None:
        self.stream = ResponseStream(max_literal)
        self.messages: dict[int, Fetched] = {}
        self.tagged: dict[str, Tagged] = {}
        self.error: Text | str | None = None
        self.permanent = False  # the error is one retrying meets again (a literal over the limit)
        self.changed = asyncio.Event()

    def wake(self) -> None:
        self.changed.set()

    def feed(self, data: bytes | memoryview) -> None:
        if not data or self.error is not None:
            return
        try:
            responses = self.stream.feed(data)
        except TransportError as exc:
            self.error = str(exc)
            self.permanent = exc.permanent
            responses = []
        for response in responses:
            if isinstance(response, Tagged):
                self.tagged[response.tag] = response
                continue
            if response[0][:3].upper() == b"BYE":
                self.error = T("mail.imap.closed-during-fetch")
                continue
            try:
                msg = parse_fetch_group(response)
            except TransportError as exc:
                self.error = str(exc)
                continue
            if msg is None or "UID" not in msg or "BODY[]" not in msg:
                continue  # EXISTS, EXPUNGE, an unsolicited FLAGS update...
            body = msg["BODY[]"] or b""
            self.messages[msg["UID"]] = Fetched(
                msg["UID"], msg.get("FLAGS", ()), body, msg.get("RFC822.SIZE", len(body)), msg.get("MODSEQ")
            )
        self.changed.set()




def copyuid(lines: Sequence[bytes | bytearray], uid: int) -> tuple[int, int] | None:
    """(UIDVALIDITY, new UID) of ``uid`` from a ``[COPYUID validity source-set dest-set]`` response code."""
    import re

    for line in lines:
        m = re.search(rb"\[COPYUID (\d+) ([\d:,]+) ([\d:,]+)\]", bytes(line))
        if m is None:
            continue
        sources, dests = _expand(m.group(2).decode()), _expand(m.group(3).decode())
        if len(sources) == len(dests) and uid in sources:
            return int(m.group(1)), dests[sources.index(uid)]
    return None


def _expand(uid_set: str) -> list[int]:
    out: list[int] = []
    for part in uid_set.split(","):
        first, _, last = part.partition(":")
        a, b = int(first), int(last or first)
        out.extend(range(a, b + 1) if a <= b else range(a, b - 1, -1))
    return out


def _chunks(items: list[int], size: int) -> Iterable[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _os_reason(exc: BaseException) -> Text:
    if isinstance(exc, ConnectionRefusedError):
        return T("mail.imap.connection-refused")
    if isinstance(exc, ConnectionResetError):
        return T("mail.imap.connection-reset")
    strerror = getattr(exc, "strerror", None)
    return T("mail.imap.network-error", detail=strerror or exc.__class__.__name__)


def _parse_select(folder: str, lines: Sequence[bytes | bytearray]) -> FolderStatus:
    import re

    uidvalidity = uidnext = exists = 0
    modseq: int | None = None
    for line in lines:
        text = bytes(line)
        if m := re.search(rb"\[UIDVALIDITY (\d+)\]", text):
            uidvalidity = int(m.group(1))
        elif m := re.search(rb"\[UIDNEXT (\d+)\]", text):
            uidnext = int(m.group(1))
        elif m := re.search(rb"\[HIGHESTMODSEQ (\d+)\]", text):
            modseq = int(m.group(1))
        elif m := re.match(rb"(\d+) EXISTS", text):
            exists = int(m.group(1))
    return FolderStatus(folder, uidvalidity, uidnext, exists, modseq)
