"""Receipts through the real Postfix and Dovecot: Postfix's DSN says "remis", a colleague's read receipt
(MDN, from a second profile) says "lu", an unknown mailbox says "non remise" with the reason in French and the server's words."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from core.mail.account import Account
from core.mailroom import Mailroom
from core.model import Draft

pytestmark = pytest.mark.servers
PASS = "une phrase de passe de test assez longue"


def doctor(servers, folder: Path, name: str, address: str, **receipts: object) -> Mailroom:
    """A profile whose trust policy allows the test domain, with one account on the test servers."""
    Mailroom.create(folder, PASS)
    toml = folder / "profile.toml"
    text = toml.read_text("utf-8").replace("allow = []", f'allow = ["{servers.domain}"]', 1)
    for key, value in receipts.items():
        text = text.replace(f"\n{key} = ", f"\n{key} = {json.dumps(value)}  # ", 1)
    toml.write_text(text, "utf-8")
    room = Mailroom.open(folder, PASS)
    room.accounts.add(
        Account(
            name=name,
            email=address,
            imap_host="127.0.0.1",
            imap_port=servers.imap_port,
            smtp_host="127.0.0.1",
            smtp_port=servers.submission_port,
            smtp_security="starttls",
            user=address,
            password=servers.password,
            ca_file=str(servers.ca_file),
        )
    )
    return room


async def sync_until(room: Mailroom, message_id: str, done, what: str) -> object:
    """Sync until the sent letter's receipts satisfy ``done`` (Postfix and LMTP take a few milliseconds)."""
    deadline = time.monotonic() + 30
    while True:
        await room.sync()
        letter = room.receipt_status(message_id)
        if letter is not None and done(letter):
            return letter
        if time.monotonic() > deadline:
            raise AssertionError(f"never reached: {what} ({letter})")
        await asyncio.sleep(0.2)


def states(letter) -> dict[str, str]:
    return {r.address: r.state for r in letter.recipients}


async def test_delivered_read_and_failed(mail_servers, tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    me, colleague = mail_servers.add_user("sender"), mail_servers.add_user("colleague")
    unknown = f"personne-{int(time.time())}@{mail_servers.domain}"
    sender = doctor(mail_servers, tmp_path / "me", "cabinet", me)
    reader = doctor(mail_servers, tmp_path / "colleague", "cabinet", colleague)

    draft = Draft(to=(colleague, unknown), subject="Compte rendu", body="Cher confrère,\n", read_receipt=True)
    delivery = await sender.send(draft)
    mid = delivery.message_id

    # Postfix's success DSN for the colleague, its failure report for the unknown mailbox
    letter = await sync_until(
        sender, mid, lambda s: states(s) == {colleague: "delivered", unknown: "failed"}, "remis + échec"
    )
    by = {r.address: r for r in letter.recipients}
    assert by[colleague].to_json()["text"].startswith("remis le ")
    failed = by[unknown].to_json()["text"]
    assert failed.startswith("non remise : ") and "User doesn't exist" in failed and unknown not in failed

    # the colleague opens the letter and agrees to send the read receipt it asks for
    await reader.sync()
    (received,) = [s for s in reader.messages.list() if s.message_id == mid]
    assert reader.read_receipt_request(received.id) == me
    sent = await reader.answer_read_receipt(received.id)
    assert sent.outcome == "sent"
    assert reader.read_receipt_request(received.id) == ""  # answered once, never twice

    letter = await sync_until(sender, mid, lambda s: states(s)[colleague] == "read", "lu")
    assert {r.address: r.to_json()["text"][:6] for r in letter.recipients} == {
        colleague: "lu le ",
        unknown: "non re",
    }

    # what the doctor runs: the sent letters' statuses, and the letter itself with its receipts
    from tui.cli import main

    assert main(["--profile", str(tmp_path / "me"), "outbox", "sent", "--json"]) == 0
    out = capsys.readouterr().out
    (line,) = [json.loads(x) for x in out.splitlines() if mid in x]
    assert [r["state"] for r in line["recipients"]] == ["read", "failed"]
    (copy,) = [s for s in sender.messages.list() if s.message_id == mid]  # the Sent copy, synced
    assert main(["--profile", str(tmp_path / "me"), "messages", "show", copy.id[:12], "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert [r["text"][:6] for r in shown["receipts"]] == ["lu le ", "non re"]


async def test_a_bounce_is_news_and_a_success_report_is_read_for_the_doctor(mail_servers, tmp_path: Path) -> None:
    """Postfix's two reports for one letter: the failure (an unknown local mailbox) stays unread in Réception, is
    announced and counted beside Envoyés, its reason in French; the success report is read at once, here and on
    the server, and is no news. Opening the letter (or its report) says the doctor has seen the failure."""
    from core.events import NewMail, NotDelivered

    me, colleague = mail_servers.add_user("bounced"), mail_servers.add_user("colleague2")
    unknown = f"inconnu-{int(time.time())}@{mail_servers.domain}"
    sender = doctor(mail_servers, tmp_path / "me", "cabinet", me)
    heard: list[object] = []
    sender.subscribe(heard.append)
    delivery = await sender.send(Draft(to=(colleague, unknown), subject="Adressage", body="Cher confrère,\n"))
    mid = delivery.message_id
    said: list[int] = []  # what each sync report says of letters not delivered ('missive sync' prints it)
    real_sync = sender.sync

    async def counted_sync(*args, **kwargs):
        reports = await real_sync(*args, **kwargs)
        said.extend(r.undelivered for r in reports)
        return reports

    sender.sync = counted_sync  # type: ignore[method-assign]
    letter = await sync_until(
        sender, mid, lambda s: states(s) == {colleague: "delivered", unknown: "failed"}, "remis + non remise"
    )
    assert sum(said) == 1
    (why,) = [r.to_json()["text"] for r in letter.recipients if r.address == unknown]
    assert why.startswith("non remise : cette adresse n'existe pas chez le destinataire") and unknown not in why

    dsns = [
        s
        for s in sender.messages.list()
        if s.folder == "INBOX" and sender.messages.doc(s.id).get("receipt_for") == mid
    ]
    assert len(dsns) == 2, [s.subject for s in dsns]
    unread = [s for s in dsns if s.unread]
    read = [s for s in dsns if not s.unread]
    assert len(unread) == 1 and len(read) == 1  # the failure stays news, the success report is read
    # listed in the core's words with the letter's subject, not Postfix's English (« Undelivered Mail … »)
    assert unread[0].subject == "Avis de remise — non remise : Adressage", unread[0].subject
    assert read[0].subject == "Avis de remise — remis : Adressage", read[0].subject
    assert sum(e.count for e in heard if isinstance(e, NotDelivered)) == 1
    assert sum(e.count for e in heard if isinstance(e, NewMail)) == 1  # the bounce; never the success report
    assert sender.folder_counts()["Sent"].undelivered == 1

    # the server holds the success report read too: a second desk on the same mailbox sees it read
    other = doctor(mail_servers, tmp_path / "desk2", "cabinet", me)
    await other.sync()
    seen_there = {s.subject: s.unread for s in other.messages.list() if other.messages.doc(s.id).get("receipt")}
    assert sorted(seen_there.values()) == [False, True]

    # she opens the failure report: it shows what became of her letter, and the count beside Envoyés goes
    view = sender.read_message(unread[0].id)
    assert any(line.startswith(f"{unknown} — non remise : ") for line in view.receipts)
    assert sender.folder_counts()["Sent"].undelivered == 0
