"""`missive send` killed at the worst moment, against the real Postfix: right after Postfix committed the letter
(its "250" to DATA) and before missive could record it. Restarting never sends it a second time; a letter
killed before DATA is sent again on its own; one killed during DATA waits for the doctor, who can resend it."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.mail.outbox import Outbox
from core.mail.send import flush_outbox
from core.store.profile import Profile
from tests.send.test_send_servers import PASS, alice, copies, queue_empty, sent_folder

pytestmark = pytest.mark.servers

# The sending process, with aiosmtplib watched so that it dies by SIGKILL at a chosen point of the session.
SENDER = textwrap.dedent(
    """
    import asyncio, json, os, signal, sys
    import aiosmtplib.protocol as protocol
    from core.mail.account import Account
    from core.mail.outbox import Outbox
    from core.mail.send import send_draft
    from core.model import Draft
    from core.store.profile import Profile

    profile_dir, password, account_json, to, subject, where = sys.argv[1:7]
    seen = {"data": False}
    read_response = protocol.SMTPProtocol.read_response

    async def watched(self, timeout=None):
        response = await read_response(self, timeout=timeout)
        if response.code == 354:
            seen["data"] = True
            if where == "data":  # DATA accepted, the letter not yet sent
                os.kill(os.getpid(), signal.SIGKILL)
        elif seen["data"] and response.code == 250 and where == "commit":
            os.kill(os.getpid(), signal.SIGKILL)  # Postfix has committed the letter; missive never learns it
        return response

    protocol.SMTPProtocol.read_response = watched
    if where == "rcpt":
        import aiosmtplib
        real_rcpt = aiosmtplib.SMTP.rcpt

        async def dying_rcpt(self, *args, **kwargs):
            await real_rcpt(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)  # recipient accepted, DATA not begun

        aiosmtplib.SMTP.rcpt = dying_rcpt

    account = Account.from_json(json.loads(account_json))
    outbox = Outbox(Profile.open(profile_dir, password))
    draft = Draft(to=(to,), subject=subject, body="Cher confrère,\\nci-joint.\\n")
    asyncio.run(send_draft(draft, account, outbox, sent_for=lambda a: None))
    print("not killed", flush=True)
    """
)


def _killed_send(tmp_path: Path, profile: Profile, servers, to: str, subject: str, where: str) -> None:
    script = tmp_path / "sender.py"
    script.write_text(SENDER)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    account = json.dumps(alice(servers).to_json())
    done = subprocess.run(
        [sys.executable, str(script), str(profile.path), PASS, account, to, subject, where],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == -9, (done.returncode, done.stdout, done.stderr)  # SIGKILL, where asked


async def _settled(servers, maildir: Path, message_id: str) -> int:
    for _ in range(600):
        if queue_empty(servers) and (copies(maildir, message_id) or _ > 100):
            break
        await asyncio.sleep(0.05)
    return copies(maildir, message_id)


def _entry(profile: Profile, subject: str):
    [entry] = [e for e in Outbox(Profile.open(profile.path, PASS)).list() if e.subject == subject]
    return entry


async def _restart(servers, profile: Profile, *, force: bool = False):
    """What the daemon or `missive outbox flush` does after the crash (the owner is dead: no lease to wait)."""
    outbox = Outbox(Profile.open(profile.path, PASS))
    return await flush_outbox(
        outbox, {"alice": alice(servers)}, sent_for=lambda a: sent_folder(servers), force=force
    )


async def test_killed_at_postfix_commit_is_never_sent_twice(mail_servers, profile: Profile, tmp_path) -> None:
    colleague = mail_servers.add_user("window")
    maildir = mail_servers.maildir_of(colleague)
    for n in range(4):  # repeated: every time, the kill lands after Postfix's commit
        subject = f"Compte rendu {n}"
        _killed_send(tmp_path, profile, mail_servers, colleague, subject, "commit")
        entry = _entry(profile, subject)
        assert entry.state == "sending" and entry.data_started
        assert await _settled(mail_servers, maildir, entry.message_id) == 1  # Postfix did deliver it
        report = await _restart(mail_servers, profile)
        assert report.sent == 0 and report.failed == 1
        after = _entry(profile, subject)
        assert after.state == "failed" and "elle a peut-être été reçue" in after.last_error
        assert after.to_json()["in_doubt"] is True  # what `missive outbox list --json` says
        await _restart(mail_servers, profile)  # the daemon's next rounds do not resend it either
        assert await _settled(mail_servers, maildir, entry.message_id) == 1  # 0 duplicate deliveries


async def test_killed_before_data_is_sent_again_once(mail_servers, profile: Profile, tmp_path) -> None:
    colleague = mail_servers.add_user("window")
    maildir = mail_servers.maildir_of(colleague)
    _killed_send(tmp_path, profile, mail_servers, colleague, "Avant DATA", "rcpt")
    entry = _entry(profile, "Avant DATA")
    assert entry.state == "sending" and not entry.data_started
    report = await _restart(mail_servers, profile)
    assert report.sent == 1
    assert await _settled(mail_servers, maildir, entry.message_id) == 1


async def test_killed_during_data_waits_for_the_doctor_then_arrives_once(
    mail_servers, profile: Profile, tmp_path
) -> None:
    colleague = mail_servers.add_user("window")
    maildir = mail_servers.maildir_of(colleague)
    _killed_send(tmp_path, profile, mail_servers, colleague, "Pendant DATA", "data")
    entry = _entry(profile, "Pendant DATA")
    assert (await _restart(mail_servers, profile)).sent == 0
    assert _entry(profile, "Pendant DATA").state == "failed"
    assert await _settled(mail_servers, maildir, entry.message_id) == 0
    # the doctor checked: not arrived; `missive outbox flush --all` sends it
    assert (await _restart(mail_servers, profile, force=True)).sent == 1
    assert await _settled(mail_servers, maildir, entry.message_id) == 1


async def test_the_servers_delivery_report_settles_a_letter_in_doubt(mail_servers, tmp_path) -> None:
    """Killed at Postfix's commit, then the daemon syncs: Postfix's DSN for the letter proves it was accepted;
    the entry leaves the outbox with its Sent copy, without the doctor and without a second delivery."""
    from core.mailroom import Mailroom

    me, colleague = mail_servers.add_user("sender"), mail_servers.add_user("window")
    account = alice(mail_servers).with_changes(name="cabinet", email=me, user=me)
    Mailroom.create(tmp_path / "me", PASS)
    room = Mailroom.open(tmp_path / "me", PASS)
    room.accounts.add(account)
    profile = room.profile
    script = tmp_path / "sender.py"
    script.write_text(SENDER)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    done = subprocess.run(
        [sys.executable, str(script), str(profile.path), PASS, json.dumps(account.to_json()), colleague,
         "Compte rendu", "commit"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == -9, done.stderr
    entry = _entry(profile, "Compte rendu")
    assert (await room.flush_outbox()).failed == 1  # in doubt: not resent
    deadline = asyncio.get_running_loop().time() + 30
    while room.outbox.get(entry.id).state != "accepted":  # Postfix's DSN arrives at sync
        assert asyncio.get_running_loop().time() < deadline, "no delivery report settled the letter"
        await room.sync()
        await asyncio.sleep(0.2)
    report = await room.flush_outbox()
    assert report.sent == 1 and room.outbox.get(entry.id) is None
    assert copies(mail_servers.maildir_of(me) / ".Sent", entry.message_id) == 1
    assert await _settled(mail_servers, mail_servers.maildir_of(colleague), entry.message_id) == 1
    assert room.receipt_status(entry.message_id) is not None  # the sent letter shows its report
