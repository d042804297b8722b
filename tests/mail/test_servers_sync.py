"""Sync, IDLE, flags and faults against the suite's real Dovecot."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import time

import pytest

from core.errors import TransportError
from core.mail.imap import ImapClient
from core.mail.messages import MessageStore
from core.mail.sync import SyncEngine
from tests.mail.helpers import MemoryProfile, imap_account, letter

pytestmark = pytest.mark.servers


def _failed_logins(mail_servers, user: str) -> int:
    """LOGINs Dovecot refused for ``user``: its line for a connection closed after a failed login, written
    once the client has gone (waited for, up to 10 s, until there is one)."""
    deadline = time.monotonic() + 10
    while True:
        found = sum("auth failed" in line and f"user=<{user}>" in line for line in mail_servers.log().splitlines())
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def _engine(**kw) -> tuple[MessageStore, SyncEngine]:
    store = MessageStore(MemoryProfile())
    return store, SyncEngine(store, backoff=0.2, **kw)


async def test_delivered_messages_are_listed_after_sync_and_resync_adds_nothing(mail_servers) -> None:
    user = mail_servers.add_user("list")
    for i in range(3):
        mail_servers.deliver(user, letter(f"Résultat {i}", body="HH\n" if i == 1 else "N\n"))
    store, engine = _engine(on_new_message=lambda raw: {"abnormal": b"HH" in raw})
    seen = []
    report = await engine.sync(imap_account(mail_servers, user), progress=seen.append)
    assert report.new == 3
    assert seen[-1].done == seen[-1].total == 3
    subjects = sorted(m.subject for m in store.list("INBOX"))
    assert subjects == ["Résultat 0", "Résultat 1", "Résultat 2"]
    assert [m.abnormal for m in store.list() if m.subject == "Résultat 1"] == [True]
    assert store.get_raw(store.list()[0].id).endswith(b"\r\nN\r\n\r\n")
    again = await engine.sync(imap_account(mail_servers, user))
    assert again.new == 0 and len(store.list()) == 3


async def test_idle_sees_a_new_message_within_five_seconds(mail_servers) -> None:
    user = mail_servers.add_user("idle")
    store, engine = _engine()
    account = imap_account(mail_servers, user)
    await engine.sync(account)
    loop = asyncio.get_running_loop()
    loop.call_later(0.5, mail_servers.deliver, user, letter("Urgent"))
    report = await asyncio.wait_for(engine.idle_once(account, timeout=30), 5)
    assert report.new == 1
    assert [m.subject for m in store.list()] == ["Urgent"]


async def test_flags_travel_both_ways(mail_servers) -> None:
    user = mail_servers.add_user("flags")
    mail_servers.deliver(user, letter("A"))
    mail_servers.deliver(user, letter("B"))
    store, engine = _engine()
    account = imap_account(mail_servers, user)
    await engine.sync(account)
    a = next(m for m in store.list() if m.subject == "A")
    store.add_flags(a.id, "\\Seen", "$Filed")
    report = await engine.sync(account)
    assert report.flags_out == 1
    async with ImapClient(account) as imap:
        await imap.select("INBOX")
        server = await imap.flags(await imap.uids())
        assert set(server[a.uid]) >= {"\\Seen", "$Filed"}
        b = next(m for m in store.list() if m.subject == "B")
        await imap.store_flags(b.uid, add=["\\Flagged"])
    report = await engine.sync(account)
    assert report.flags_in == 1
    assert "\\Flagged" in store.get(b.id).flags
    assert store.get(a.id).filed


async def test_two_profiles_sharing_a_mailbox_see_filed_keyword(mail_servers) -> None:
    user = mail_servers.add_user("shared")
    mail_servers.deliver(user, letter("Bilan sanguin"))
    account = imap_account(mail_servers, user)
    desk1, engine1 = _engine()
    desk2, engine2 = _engine()
    await engine1.sync(account)
    await engine2.sync(account)
    assert not desk2.list()[0].filed
    desk1.add_flags(desk1.list()[0].id, "$Filed")
    await engine1.sync(account)
    await engine2.sync(account)
    assert desk2.list()[0].filed


async def test_expunged_messages_leave_the_cache(mail_servers) -> None:
    user = mail_servers.add_user("expunge")
    mail_servers.deliver(user, letter("garde"))
    mail_servers.deliver(user, letter("efface"))
    store, engine = _engine()
    account = imap_account(mail_servers, user)
    await engine.sync(account)
    gone = next(m for m in store.list() if m.subject == "efface")
    async with ImapClient(account) as imap:
        await imap.select("INBOX")
        await imap.store_flags(gone.uid, add=["\\Deleted"])
        await imap._run("EXPUNGE", imap._imap.expunge())
    report = await engine.sync(account)
    assert report.expunged == 1
    assert [m.subject for m in store.list()] == ["garde"]


async def test_dovecot_restart_mid_sync_resumes_without_loss_or_duplicate(mail_servers) -> None:
    user = mail_servers.add_user("restart")
    total = 450
    for i in range(total):
        mail_servers.deliver(user, letter(f"msg {i}", body="x" * 2000))
    store, engine = _engine()
    restarted = []

    def progress(p) -> None:
        if p.done and not restarted:
            restarted.append(p.done)
            mail_servers.restart_dovecot()

    report = await engine.sync(imap_account(mail_servers, user), progress=progress)
    assert restarted and report.reconnects >= 1
    subjects = [m.subject for m in store.list()]
    assert len(subjects) == total
    assert len(set(subjects)) == total


async def test_a_pipelined_fetch_gives_every_message_in_order_then_the_connection_back(mail_servers) -> None:
    user = mail_servers.add_user("pipeline")
    for i in range(23):
        mail_servers.deliver(user, letter(f"lot {i}", body=f"corps {i}\n"))
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.select("INBOX")
        uids = await imap.uids()
        async with contextlib.aclosing(imap.fetch(uids, batch=5)) as batches:
            got = [batch async for batch in batches]
        assert [len(b) for b in got] == [5, 5, 5, 5, 3]
        messages = [m for batch in got for m in batch]
        assert [m.uid for m in messages] == uids
        assert all(f"corps {i}\r\n".encode() in m.raw for i, m in enumerate(messages))
        assert all(m.size == len(m.raw) for m in messages)
        assert await imap.uids() == uids  # aioimaplib reads the connection again
        async with contextlib.aclosing(imap.fetch(uids, batch=5)) as batches:
            async for _ in batches:
                break  # replies to the next FETCH are still on their way
        with pytest.raises(TransportError, match="connexion perdue"):
            await imap.uids()


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_a_bulk_fetch_over_tls_is_decrypted_into_the_connections_buffer(mail_servers, security) -> None:
    """asyncio's TLS layer decrypts into the protocol's own buffer (a buffered protocol), record after record:
    messages larger than that buffer and many small ones arrive byte for byte, and aioimaplib reads the
    connection after the bulk FETCH as before."""
    from core.mail.imap import READ_BUFFER

    user = mail_servers.add_user("buffered")
    sizes = [10, 3 * READ_BUFFER + 7, 1000, READ_BUFFER - 1, 5]
    payloads = [bytes((i * 7 + n) % 256 for n in range(size)) for i, size in enumerate(sizes)]
    for i, payload in enumerate(payloads):
        mail_servers.deliver(user, letter(f"piece {i}", attachment=payload))
    port = mail_servers.imap_port if security == "starttls" else mail_servers.imaps_port
    async with ImapClient(imap_account(mail_servers, user, imap_port=port, imap_security=security)) as imap:
        await imap.select("INBOX")
        uids = await imap.uids()
        async with contextlib.aclosing(imap.fetch(uids, batch=2)) as batches:
            messages = [m for batch in [b async for b in batches] for m in batch]
        assert imap._imap.protocol._read_view is not None  # the buffered path was taken
        assert await imap.uids() == uids
    from core.mail.mime import parse_bytes

    for message, payload in zip(messages, payloads, strict=True):
        assert message.size == len(message.raw)
        part = next(p for p in parse_bytes(message.raw).walk() if p.get_filename() == "big.bin")
        assert part.get_payload(decode=True) == payload


async def test_a_30_mb_attachment_arrives_whole(mail_servers) -> None:
    user = mail_servers.add_user("big")
    payload = bytes(range(256)) * (30 * 1024 * 1024 // 256)
    mail_servers.deliver(user, letter("Imagerie", attachment=payload))
    store, engine = _engine()
    await engine.sync(imap_account(mail_servers, user))
    (m,) = store.list()
    assert m.has_attachments and m.size > 30 * 1024 * 1024
    from core.mail.mime import parse_bytes

    part = next(p for p in parse_bytes(store.get_raw(m.id)).walk() if p.get_filename() == "big.bin")
    assert part.get_payload(decode=True) == payload


async def test_the_attachment_flag_comes_from_the_hook_or_else_from_the_summary(mail_servers) -> None:
    """The sync's summary leaves the attachment flag to the hook; a hook that does not say it (a failed
    analysis, a test's hook) leaves the summary's own reading."""
    user = mail_servers.add_user("flag")
    mail_servers.deliver(user, letter("Avec pièce", attachment=b"%PDF-1.4 rien"))
    mail_servers.deliver(user, letter("Sans pièce"))
    store, engine = _engine(on_new_message=lambda raw: {})
    await engine.sync(imap_account(mail_servers, user))
    assert {m.subject: m.has_attachments for m in store.list()} == {"Avec pièce": True, "Sans pièce": False}
    says_no = MessageStore(MemoryProfile())
    await SyncEngine(says_no, on_new_message=lambda raw: {"has_attachments": False}).sync(
        imap_account(mail_servers, user)
    )
    assert not any(m.has_attachments for m in says_no.list())


async def test_wrong_password_is_one_clear_line(mail_servers) -> None:
    user = mail_servers.add_user("wrongpw")
    store, engine = _engine()
    with pytest.raises(TransportError) as err:
        await engine.sync(imap_account(mail_servers, user, password="pas le bon"))
    text = str(err.value)
    assert "connexion refusée pour" in text and f"{mail_servers.host}:{mail_servers.imap_port}" in text
    assert "\n" not in text and "pas le bon" not in text
    assert err.value.permanent  # wrong credentials: trying again cannot help
    # one LOGIN, not one per retry: the engine retried a refusal said in French (its English markers did not
    # match), 6 failed LOGINs in 15 s of backoff, and a daemon kept at it
    assert _failed_logins(mail_servers, user) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
async def test_certificate_for_another_host_is_refused(mail_servers, security) -> None:
    port = mail_servers.imap_wronghost_port if security == "starttls" else mail_servers.imaps_wronghost_port
    account = imap_account(
        mail_servers, mail_servers.address("alice"), imap_port=port, imap_security=security
    )
    with pytest.raises(TransportError, match="établi pour un autre nom d'hôte"):
        await ImapClient(account).connect()


async def test_untrusted_server_is_refused_without_the_accounts_ca(mail_servers) -> None:
    account = imap_account(mail_servers, mail_servers.address("alice"), ca_file=None)
    with pytest.raises(TransportError, match="ne vient pas d'une autorité de confiance"):
        await ImapClient(account).connect()


async def test_server_without_starttls_is_refused_and_gets_no_credentials(mail_servers) -> None:
    """A recording proxy in front of the no-TLS server proves the password never left the client."""
    sent = bytearray()
    received = bytearray()

    async def relay(reader, writer, record):
        try:
            while data := await reader.read(65536):
                (sent if record else received).extend(data)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(client_r, client_w):
        server_r, server_w = await asyncio.open_connection(mail_servers.host, mail_servers.imap_plain_port)
        await asyncio.gather(relay(client_r, server_w, True), relay(server_r, client_w, False))

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = proxy.sockets[0].getsockname()[1]
    account = imap_account(mail_servers, mail_servers.address("alice"), imap_port=port)
    try:
        with pytest.raises(TransportError, match="ne propose pas STARTTLS"):
            await ImapClient(account).connect()
        await asyncio.sleep(0.2)
    finally:
        proxy.close()
    assert b"CAPABILITY" in received  # the server's greeting reached the client (which read no STARTTLS in it) ...
    assert mail_servers.password.encode() not in sent  # ... and the client never sent the password
    assert base64.b64encode(mail_servers.password.encode())[:8] not in sent
    assert b"LOGIN" not in sent.upper() and b"AUTHENTICATE" not in sent.upper()


async def test_client_certificate_login(mail_servers) -> None:
    user = mail_servers.address(mail_servers.client_cert_user)
    p12 = base64.b64encode(mail_servers.client_p12).decode()
    account = imap_account(
        mail_servers, user, client_cert_p12=p12, client_cert_password=mail_servers.client_cert_password
    )
    async with ImapClient(account) as imap:
        assert "INBOX" in await imap.folders()
    with pytest.raises(TransportError, match="connexion refusée pour"):
        await ImapClient(imap_account(mail_servers, user)).connect()


async def test_xoauth2_token_from_command(mail_servers, tmp_path) -> None:
    user = mail_servers.add_user("oauth")
    script = tmp_path / "token.sh"
    script.write_text(
        f"#!/bin/sh\necho '{mail_servers.password}'\n"
    )  # Dovecot checks the token as a password
    script.chmod(0o700)
    account = imap_account(mail_servers, user, password="", xoauth2_command=str(script))
    async with ImapClient(account) as imap:
        assert "INBOX" in await imap.folders()


async def test_one_batch_of_whole_messages_is_on_its_way_while_one_is_read(mail_servers) -> None:
    """A first sync holds the batch it reads and the next one the server is sending, not more (each batch of
    100 letters is a few megabytes): the FETCH of batch n+2 leaves only once batch n has been read."""
    user = mail_servers.add_user("ahead")
    for i in range(12):
        mail_servers.deliver(user, letter(f"lot {i}", body=f"corps {i}\n"))
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.select("INBOX")
        uids = await imap.uids()
        transport = imap._imap.protocol.transport
        write = transport.write
        sent: list[bytes] = []

        def counting(data: bytes) -> None:
            sent.append(data)
            write(data)

        transport.write = counting
        fetches = []
        async with contextlib.aclosing(imap.fetch(uids, batch=3)) as batches:
            async for batch in batches:
                fetches.append(sum(b" UID FETCH " in line for line in sent))
                await asyncio.sleep(0.05)  # the reader takes its time: nothing more is asked meanwhile
                assert sum(b" UID FETCH " in line for line in sent) == fetches[-1]
                assert batch
        assert fetches == [2, 3, 4, 4]  # batch n read while batch n+1 is on its way, never n+2


def test_a_login_refused_for_a_passing_trouble_is_tried_again(mail_servers) -> None:
    """RFC 5530's [UNAVAILABLE] (the server's authentication service is down) is not the credentials' fault."""
    from core.mail.imap import login_refused

    account = imap_account(mail_servers, mail_servers.address("alice"))
    assert login_refused(account, "[AUTHENTICATIONFAILED] Authentication failed.").permanent
    assert login_refused(account, "NO").permanent
    assert not login_refused(account, "[UNAVAILABLE] Temporary authentication failure.").permanent
