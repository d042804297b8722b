"""A bearer login (Pro Santé Connect, a token command) reads the server's mechanisms from its greeting when the
greeting lists capabilities (36a77e5 spares the CAPABILITY command). A greeting that lists fewer than the command
gives (RFC 3501 does not oblige it to be whole) made the login refused: "the server offers no XOAUTH2". The
server is now asked once before refusing; a server that offers none is still refused in one line."""

from __future__ import annotations

import asyncio
import ssl
import sys
from pathlib import Path

import pytest

from core.errors import TransportError
from core.mail.account import Account
from core.mail.imap import ImapClient
from tests.servers.pki import TestCA


async def _server(tmp_path: Path, mechanisms: bytes, seen: list[bytes]) -> tuple[asyncio.Server, TestCA]:
    ca = TestCA(tmp_path / "pki")
    cert = ca.server("imap", ["127.0.0.1", "localhost"])
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(cert.cert), str(cert.key))

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] ready\r\n")
        while line := await reader.readline():
            seen.append(line)
            tag, _, rest = line.partition(b" ")
            said = rest.upper()
            if said.startswith(b"CAPABILITY"):
                writer.write(b"* CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN" + mechanisms + b"\r\n" + tag + b" OK done\r\n")
            elif said.startswith(b"AUTHENTICATE XOAUTH2 "):
                writer.write(tag + b" OK logged in\r\n")
            elif said.startswith(b"LOGOUT"):
                writer.write(b"* BYE\r\n" + tag + b" OK bye\r\n")
                break
            else:
                writer.write(tag + b" BAD unexpected\r\n")
            await writer.drain()
        writer.close()

    return await asyncio.start_server(serve, "127.0.0.1", 0, ssl=ctx), ca


def _account(port: int, ca: TestCA) -> Account:
    return Account(
        name="cabinet",
        email="dr@cabinet.test",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security="tls",
        user="dr@cabinet.test",
        ca_file=str(ca.ca_file),
        auth="command",
        xoauth2_command=f"{sys.executable} -c \"print('jeton')\"",
    )


async def test_a_mechanism_the_greeting_leaves_out_is_asked_before_the_login_is_refused(tmp_path: Path) -> None:
    seen: list[bytes] = []
    server, ca = await _server(tmp_path, b" AUTH=XOAUTH2", seen)
    try:
        async with ImapClient(_account(server.sockets[0].getsockname()[1], ca), timeout=10) as client:
            assert client.has("AUTH=XOAUTH2")
    finally:
        server.close()
        await server.wait_closed()
    assert any(line.split(b" ", 2)[1].upper() == b"AUTHENTICATE" for line in seen), seen


async def test_a_server_that_offers_no_bearer_mechanism_is_still_refused_in_one_line(tmp_path: Path) -> None:
    seen: list[bytes] = []
    server, ca = await _server(tmp_path, b"", seen)
    try:
        with pytest.raises(TransportError) as refused:
            async with ImapClient(_account(server.sockets[0].getsockname()[1], ca), timeout=10):
                pass
    finally:
        server.close()
        await server.wait_closed()
    assert "XOAUTH2" in str(refused.value) and "\n" not in str(refused.value)
    assert not any(line.split(b" ", 2)[1].upper() == b"AUTHENTICATE" for line in seen), seen
