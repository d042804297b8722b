"""A sync that finds nothing changed says as little to the server as it can (issue 18: a no-change `missive
sync`): the capabilities come with the greeting (no CAPABILITY command), the ENABLE CONDSTORE waits for a SELECT
that never comes (LIST-STATUS answers for every folder), and no writer thread is started; a sync that finds a
change still sends ENABLE CONDSTORE before its first SELECT. The capabilities are the same either way,
whichever form the server gives them in after LOGIN."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator

import aioimaplib
import pytest

from core.mail.imap import _IMAP4
from core.mail.imapwire import capabilities_in as _capabilities_in
from core.mail.messages import MessageStore
from core.mail.sync import SyncEngine
from tests.mail.helpers import MemoryProfile, imap_account, letter


@pytest.fixture
def commands(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The IMAP commands the client sends (names only: never a password), in order."""
    said: list[str] = []
    send = aioimaplib.IMAP4ClientProtocol.send

    def recording(self: aioimaplib.IMAP4ClientProtocol, line: str, scrub: str | None = None) -> None:
        words = line.split()
        said.append(" ".join(words[1:3]).upper() if words[1:2] == ["UID"] else words[1].upper())
        send(self, line, scrub)

    monkeypatch.setattr(aioimaplib.IMAP4ClientProtocol, "send", recording)
    yield said


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The names of the threads started."""
    started: list[str] = []
    start = threading.Thread.start

    def recording(self: threading.Thread) -> None:
        started.append(self.name)
        start(self)

    monkeypatch.setattr(threading.Thread, "start", recording)
    yield started


@pytest.mark.servers
async def test_a_sync_that_finds_nothing_new_logs_in_lists_and_leaves(mail_servers, commands, threads) -> None:
    user = mail_servers.add_user("quiet")
    for i in range(2):
        mail_servers.deliver(user, letter(f"Courrier {i}"))
    account = imap_account(mail_servers, user, imap_security="tls", imap_port=mail_servers.imaps_port)
    store = MessageStore(MemoryProfile())
    first = await SyncEngine(store, backoff=0.2).sync(account)
    assert first.new == 2
    assert commands.index("ENABLE") < commands.index("SELECT")  # a changed folder: ENABLE, then its SELECT
    commands.clear()
    threads.clear()
    again = await SyncEngine(store, backoff=0.2).sync(account)
    assert (again.new, again.flags_in, again.flags_out, again.expunged) == (0, 0, 0, 0)
    assert commands == ["LOGIN", "LIST", "LOGOUT"]  # before: CAPABILITY, LOGIN, ENABLE, LIST, LOGOUT
    assert not [name for name in threads if name.startswith("missive-store")]  # no writer thread either


@pytest.mark.servers
async def test_a_sync_that_finds_a_new_letter_enables_condstore_before_selecting(mail_servers, commands) -> None:
    user = mail_servers.add_user("news")
    mail_servers.deliver(user, letter("Premier"))
    account = imap_account(mail_servers, user)  # STARTTLS: the capabilities are asked again after TLS
    store = MessageStore(MemoryProfile())
    engine = SyncEngine(store, backoff=0.2)
    await engine.sync(account)
    mail_servers.deliver(user, letter("Second"))
    commands.clear()
    report = await engine.sync(account)
    assert report.new == 1 and sorted(m.subject for m in store.list()) == ["Premier", "Second"]
    assert commands[:5] == ["STARTTLS", "CAPABILITY", "LOGIN", "LIST", "ENABLE"]
    assert commands[5] == "SELECT" and commands.count("ENABLE") == 1


def test_capabilities_are_read_from_an_untagged_line_and_from_a_response_code() -> None:
    assert _capabilities_in(b"CAPABILITY IMAP4rev1 IDLE SPECIAL-USE") == ["IMAP4rev1", "IDLE", "SPECIAL-USE"]
    assert _capabilities_in(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready") == ["IMAP4rev1", "AUTH=PLAIN"]
    assert _capabilities_in(b"[CAPABILITY IMAP4rev1 CONDSTORE SPECIAL-USE] Logged in") == [
        "IMAP4rev1",
        "CONDSTORE",
        "SPECIAL-USE",
    ]
    assert _capabilities_in(b"* OK Dovecot ready.") is None
    assert _capabilities_in(b"Logged in") is None


async def _fake_server(greeting: bytes, login_ok: bytes, seen: list[bytes]) -> asyncio.Server:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(greeting + b"\r\n")
        while line := await reader.readline():
            seen.append(line)
            tag, _, rest = line.partition(b" ")
            if rest.upper().startswith(b"CAPABILITY"):
                writer.write(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\n" + tag + b" OK done\r\n")
            elif rest.upper().startswith(b"LOGIN"):
                writer.write(tag + b" " + login_ok + b"\r\n")
            elif rest.upper().startswith(b"LOGOUT"):
                writer.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                break
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0)


@pytest.mark.parametrize(
    "greeting",
    [b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready", b"* OK ready"],
    ids=["capabilities in the greeting", "greeting without them"],
)
async def test_the_capabilities_after_login_are_the_servers_in_its_ok_response_code(greeting: bytes) -> None:
    """aioimaplib split ``OK [CAPABILITY ... SPECIAL-USE] Logged in`` into words: 'SPECIAL-USE]', 'Logged',
    'in', and the last capability listed was missing."""
    seen: list[bytes] = []
    server = await _fake_server(greeting, b"OK [CAPABILITY IMAP4rev1 CONDSTORE LIST-STATUS SPECIAL-USE] Logged in", seen)
    port = server.sockets[0].getsockname()[1]
    try:
        imap = _IMAP4("127.0.0.1", port, timeout=5)
        await imap.wait_hello_from_server()
        asked = any(line.split(b" ", 2)[1].upper().startswith(b"CAPABILITY") for line in seen)
        assert asked == (greeting == b"* OK ready")  # asked only when the greeting did not say
        assert imap.protocol.capabilities == {"IMAP4rev1", "AUTH=PLAIN"}
        response = await imap.login("dr@cabinet.test", "secret")
        assert response.result == "OK"
        assert imap.protocol.capabilities == {
            "IMAP4rev1",
            "AUTH=PLAIN",
            "CONDSTORE",
            "LIST-STATUS",
            "SPECIAL-USE",
        }
        await imap.logout()
    finally:
        server.close()
        await server.wait_closed()
