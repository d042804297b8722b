"""Receipts through the real Postfix and Dovecot: Postfix's DSN says "remis", a colleague's read receipt
(MDN, from a second profile) says "lu", an unknown mailbox says "échec" with the server's reason."""

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
    assert failed.startswith("échec : ") and "User doesn't exist" in failed and unknown not in failed

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
        unknown: "échec ",
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
    assert [r["text"][:6] for r in shown["receipts"]] == ["lu le ", "échec "]
