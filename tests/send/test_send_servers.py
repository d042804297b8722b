"""Sending against the suite's real Postfix and Dovecot: delivery, faults, and exactly-once after recovery."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from core.errors import TransportError
from core.mail.account import Account
from core.mail.compose import header_value
from core.mail.outbox import Outbox
from core.mail.send import ImapSent, NotSent, SentFolder, flush_outbox, send_draft
from core.model import Attachment, Draft
from core.store.profile import Profile
from tests.send.proxy import CuttingProxy

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"


def alice(servers, port: int | None = None, **changes) -> Account:
    account = Account(
        name="alice",
        email=servers.address("alice"),
        imap_host="127.0.0.1",
        imap_port=servers.imap_port,
        smtp_host="127.0.0.1",
        smtp_port=port or servers.submission_port,
        smtp_security="starttls",
        user=servers.address("alice"),
        password=servers.password,
        ca_file=str(servers.ca_file),
    )
    return account.with_changes(**changes)


def sent_folder(servers) -> SentFolder:
    """Alice's Sent folder over IMAP (STARTTLS, the suite's Dovecot)."""
    return ImapSent(alice(servers))


def sent_copies(servers, message_id: str) -> int:
    """Copies in Alice's Sent folder as Dovecot stores it (Maildir++ ``.Sent``)."""
    return copies(servers.maildir_of("alice") / ".Sent", message_id)


def copies(maildir: Path, message_id: str) -> int:
    found = 0
    for sub in ("new", "cur"):
        folder = maildir / sub
        if folder.is_dir():
            for path in folder.iterdir():
                with open(path, "rb") as fh:
                    found += header_value(fh.read(65536), "Message-ID") == message_id
    return found


def queue_empty(servers) -> bool:
    done = subprocess.run(
        ["postqueue", "-c", str(servers.root / "postfix"), "-p"], capture_output=True, text=True
    )
    return "Mail queue is empty" in done.stdout


async def delivered(servers, user: str, message_id: str, *, expected: bool = True) -> int:
    """Copies in ``user``'s INBOX once Postfix has nothing left for it (so no late second copy can come)."""
    maildir = servers.maildir_of(user)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if (copies(maildir, message_id) or not expected) and queue_empty(servers):
            break
        await asyncio.sleep(0.05)
    return copies(maildir, message_id)


def draft(servers, subject: str = "Compte rendu", **kw) -> Draft:
    return Draft(to=(servers.address("bob"),), subject=subject, body="Cher confrère,\nci-joint.\n", **kw)


async def test_a_letter_reaches_the_recipient_once_and_its_copy_is_in_sent(
    mail_servers, profile: Profile
) -> None:
    outbox = Outbox(profile)
    sent = sent_folder(mail_servers)
    delivery = await send_draft(draft(mail_servers), alice(mail_servers), outbox, sent_for=lambda a: sent)
    assert delivery.outcome == "sent"
    assert await delivered(mail_servers, "bob", delivery.message_id) == 1
    assert await sent.contains(delivery.message_id)
    assert sent_copies(mail_servers, delivery.message_id) == 1
    assert outbox.list() == []


async def test_implicit_tls_submission_works_too(mail_servers, profile: Profile) -> None:
    account = alice(mail_servers, mail_servers.smtps_port, smtp_security="tls")
    delivery = await send_draft(
        draft(mail_servers), account, Outbox(profile), sent_for=lambda a: sent_folder(mail_servers)
    )
    assert await delivered(mail_servers, "bob", delivery.message_id) == 1


async def test_link_cut_during_data_keeps_the_letter_and_it_arrives_exactly_once(
    mail_servers, profile: Profile
) -> None:
    big = os.urandom(1_500_000)  # base64 makes it ~2 MB on the wire; the cut comes at 300 KB
    letter = draft(mail_servers, attachments=(Attachment("irm.bin", "application/octet-stream", big),))
    sent = sent_folder(mail_servers)
    async with CuttingProxy(mail_servers.submission_port, cut_after=300_000) as proxy:
        account = alice(mail_servers, proxy.port)
        outbox = Outbox(profile)
        with pytest.raises(NotSent) as info:
            await send_draft(letter, account, outbox, sent_for=lambda a: sent)
        assert proxy.cuts == 1
        assert "connexion perdue" in str(info.value) and "\n" not in str(info.value)
        [entry] = outbox.list()
        assert entry.state == "queued" and entry.check_sent
        assert await delivered(mail_servers, "bob", entry.message_id, expected=False) == 0
        # recovery: the link works again; a flush (as the daemon would) sends it
        proxy.cut_after = None
        report = await flush_outbox(
            Outbox(Profile.open(profile.path, PASS)), {"alice": account}, sent_for=lambda a: sent, force=True
        )
    assert report.sent == 1
    assert await delivered(mail_servers, "bob", entry.message_id) == 1
    arrived = next(
        p
        for p in (mail_servers.maildir_of("bob") / "new").iterdir()
        if entry.message_id.encode() in p.read_bytes()
    )
    msg = message_from_bytes(arrived.read_bytes(), policy=policy.default)
    assert next(msg.iter_attachments()).get_content() == big


async def test_crash_between_acceptance_and_removal_still_one_copy(
    mail_servers, profile: Profile, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Crash(BaseException):
        pass

    original = Outbox.remove

    def die_instead_of_removing(self: Outbox, entry_id: str) -> None:
        raise Crash("killed after the server accepted and the Sent copy was made")

    monkeypatch.setattr(Outbox, "remove", die_instead_of_removing)
    sent = sent_folder(mail_servers)
    account = alice(mail_servers)
    with pytest.raises(Crash):
        await send_draft(draft(mail_servers), account, Outbox(profile), sent_for=lambda a: sent)
    monkeypatch.setattr(Outbox, "remove", original)
    after = Outbox(Profile.open(profile.path, PASS))
    [entry] = after.list()
    assert entry.state == "accepted"
    report = await flush_outbox(after, {"alice": account}, sent_for=lambda a: sent)
    assert report.sent == 1 and after.list() == []
    assert await delivered(mail_servers, "bob", entry.message_id) == 1
    assert sent_copies(mail_servers, entry.message_id) == 1


async def test_wrong_password_is_one_clear_line_and_the_letter_waits(mail_servers, profile: Profile) -> None:
    outbox = Outbox(profile)
    account = alice(mail_servers, password="pas le bon")
    with pytest.raises(NotSent) as info:
        await send_draft(draft(mail_servers), account, outbox, sent_for=lambda a: sent_folder(mail_servers))
    text = str(info.value)
    assert (
        "identification refusée" in text
        and "mot de passe" in text
        and f"127.0.0.1:{mail_servers.submission_port}" in text
    )
    assert "\n" not in text and "pas le bon" not in text
    assert outbox.list()[0].state == "queued"


async def test_server_without_starttls_gets_no_credentials_and_no_letter(
    mail_servers, profile: Profile
) -> None:
    async with CuttingProxy(mail_servers.submission_plain_port) as proxy:
        account = alice(mail_servers, proxy.port)
        outbox = Outbox(profile)
        with pytest.raises(NotSent) as info:
            await send_draft(
                draft(mail_servers), account, outbox, sent_for=lambda a: sent_folder(mail_servers)
            )
    assert "le serveur ne propose pas STARTTLS" in str(info.value)
    wire = bytes(proxy.captured)
    assert wire.startswith(b"EHLO")  # the client did talk to it...
    plain_auth = base64.b64encode(f"\0{account.user}\0{account.password}".encode())
    for secret in (b"AUTH", account.password.encode(), plain_auth, b"MAIL FROM", b"Compte rendu"):
        assert secret not in wire  # ...but sent neither credentials nor the letter
    assert outbox.list()[0].state == "queued"


async def test_certificate_for_another_host_is_refused_before_login(mail_servers, profile: Profile) -> None:
    async with CuttingProxy(mail_servers.submission_wronghost_port) as proxy:
        account = alice(mail_servers, proxy.port)
        with pytest.raises(NotSent) as info:
            await send_draft(
                draft(mail_servers), account, Outbox(profile), sent_for=lambda a: sent_folder(mail_servers)
            )
    assert "établi pour un autre nom d'hôte" in str(info.value)
    assert account.password.encode() not in bytes(proxy.captured)


@pytest.mark.slow
async def test_a_30_mb_attachment_arrives_intact(mail_servers, profile: Profile) -> None:
    scan = os.urandom(30 * 1024 * 1024)
    letter = draft(mail_servers, attachments=(Attachment("scanner.dcm", "application/dicom", scan),))
    delivery = await send_draft(
        letter, alice(mail_servers), Outbox(profile), sent_for=lambda a: sent_folder(mail_servers)
    )
    assert await delivered(mail_servers, "bob", delivery.message_id) == 1
    arrived = next(
        p
        for p in (mail_servers.maildir_of("bob") / "new").iterdir()
        if header_value(p.read_bytes()[:65536], "Message-ID") == delivery.message_id
    )
    msg = message_from_bytes(arrived.read_bytes(), policy=policy.default)
    assert next(msg.iter_attachments()).get_content() == scan


async def test_an_unreachable_server_is_a_clear_transport_error(profile: Profile) -> None:
    account = Account(
        name="x", email="x@missive.test", smtp_host="127.0.0.1", smtp_port=1, user="x", password="y"
    )
    with pytest.raises(TransportError) as info:
        await send_draft(Draft(to=("b@missive.test",), subject="s", body="b"), account, Outbox(profile))
    assert "127.0.0.1:1 : connexion impossible (connexion refusée)" in str(info.value)


def test_missive_send_delivers_to_another_users_mailbox(
    mail_servers, profile: Profile, profile_dir: Path, cli, tmp_path: Path
) -> None:
    from core.mail.accounts import Accounts

    settings = profile_dir / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1), "utf-8"
    )
    Accounts(profile.collection("accounts")).add(alice(mail_servers))
    body = tmp_path / "lettre.txt"
    body.write_text("Cher confrère,\nle compte rendu est joint.\n", "utf-8")
    report = tmp_path / "cr.pdf"
    report.write_bytes(b"%PDF-1.4\n" + os.urandom(5000))
    code, out, err = cli(
        "send", "--to", mail_servers.address("bob"), "--subject", "CR", "--body-file", str(body),
        "--attach", str(report), "--json",
    )  # fmt: skip
    assert code == 0, err
    message_id = json.loads(out)["message_id"]
    assert asyncio.run(delivered(mail_servers, "bob", message_id)) == 1
    assert sent_copies(mail_servers, message_id) == 1
    arrived = next(
        p for p in (mail_servers.maildir_of("bob") / "new").iterdir() if message_id.encode() in p.read_bytes()
    )
    msg = message_from_bytes(arrived.read_bytes(), policy=policy.default)
    assert next(msg.iter_attachments()).get_content() == report.read_bytes()
    assert cli("outbox", "list", "--json")[1] == ""


class _ImapIdleMailroom:
    """The daemon's view of a façade, backed by real IMAP IDLE on Alice's INBOX (counts new messages)."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.settings = None
        self._known: int | None = None

    def account_names(self) -> list[str]:
        return [self.account.name]

    async def idle(self, name: str) -> int:
        from core.mail.imap import ImapClient

        async with ImapClient(self.account) as imap:
            status = await imap.select("INBOX")
            if self._known is None:
                self._known = status.exists
                await imap.idle(timeout=30)
                status = await imap.select("INBOX")
            new, self._known = max(status.exists - self._known, 0), status.exists
            return new

    async def flush_outbox(self):
        return None


async def test_daemon_notifies_a_real_new_message_with_a_count_and_nothing_else(mail_servers) -> None:
    from core.daemon import run_daemon
    from core.notify import Notifier
    from tests.send.webhook import WebhookServer

    mailroom = _ImapIdleMailroom(alice(mail_servers))
    secret_bits = ["DUPONT", "Jeanne", "1957", "HbA1c", "9,8", "Résultats"]
    letter = (
        "From: labo@missive.test\r\nTo: alice@missive.test\r\n"
        "Subject: Résultats DUPONT Jeanne 12/03/1957 HbA1c 9,8 %\r\n"
        "Message-ID: <notify-test@missive.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Patient DUPONT Jeanne, HbA1c 9,8 %\r\n"
    ).encode()
    with WebhookServer() as rec:
        stop = asyncio.Event()
        runner = asyncio.create_task(run_daemon(mailroom, stop, notifier=Notifier("ntfy", rec.url)))
        while mailroom._known is None:  # the daemon has looked at the mailbox and is now in IDLE
            await asyncio.sleep(0.02)
        await asyncio.to_thread(mail_servers.deliver, "alice", letter)
        await asyncio.to_thread(rec.arrived.wait, 30)
        stop.set()
        await asyncio.wait_for(runner, 30)
    [request] = rec.requests
    assert request.body.decode("utf-8") == "1 nouveau message sécurisé"
    everything = request.body + repr(request.headers).encode() + request.path.encode()
    for bit in secret_bits:
        assert bit.encode() not in everything
