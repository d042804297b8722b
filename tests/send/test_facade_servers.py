"""Two doctors, two profiles, the real Postfix and Dovecot, only the command line.

The sender's ``missive send`` signs and encrypts (the colleague's certificate is known), the server keeps
no readable body, and the colleague's ``missive sync`` + ``messages show`` read it with a valid signature.
The trust-space policy refuses an outsider before anything is queued or sent.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12

from core.mailroom import Mailroom
from tests.secure.pki import build_pki, make_user

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"


@pytest.fixture
def doctors(
    mail_servers, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    """Run missive for one of two profiles: ``run("sender", *args) -> (code, out, err)``."""
    from tui.cli import main

    pki = build_pki(tmp_path / "pki")
    addresses = {"sender": mail_servers.add_user("sender"), "colleague": mail_servers.add_user("colleague")}
    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "p12")
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", mail_servers.password)

    def run(who: str, *args: str) -> tuple[int, str, str]:
        code = main(["--profile", str(tmp_path / who), *args])
        out, err = capsys.readouterr()
        return code, out, err

    parties = {who: make_user(who.title(), [address], pki.inter) for who, address in addresses.items()}
    (tmp_path / "root.pem").write_bytes(pki.root.cert_pem)
    for who, party in parties.items():
        (tmp_path / f"{who}.p12").write_bytes(
            pkcs12.serialize_key_and_certificates(
                who.encode(), party.key, party.cert, [pki.inter.cert], _encryption(b"p12")
            )
        )
        (tmp_path / f"{who}.pem").write_bytes(party.cert_pem)
        assert run(who, "init")[0] == 0
        settings = tmp_path / who / "profile.toml"
        settings.write_text(
            settings.read_text("utf-8").replace(
                "allow = []", f'allow = ["{addresses[who].split("@")[1]}"]', 1
            ),
            "utf-8",
        )
        for args in (
            ("keys", "import", str(tmp_path / f"{who}.p12")),
            ("keys", "trust", str(tmp_path / "root.pem")),
            (
                "account", "add", who, "--email", addresses[who],
                "--imap", f"127.0.0.1:{mail_servers.imap_port}",
                "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
                "--user", addresses[who], "--ca-file", str(mail_servers.ca_file),
            ),
        ):  # fmt: skip
            code, _out, err = run(who, *args)
            assert code == 0, err
    run.addresses = addresses  # type: ignore[attr-defined]
    run.folder = tmp_path  # type: ignore[attr-defined]
    return run


def _encryption(password: bytes):
    from cryptography.hazmat.primitives.serialization import BestAvailableEncryption

    return BestAvailableEncryption(password)


def _wait_for_delivery(folder: Path, timeout: float = 30.0) -> bytes:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [p for sub in ("new", "cur") if (folder / sub).is_dir() for p in (folder / sub).iterdir()]
        if files:
            return files[0].read_bytes()
        time.sleep(0.05)
    raise AssertionError(f"nothing delivered to {folder} within {timeout} s")


def test_missive_send_signs_and_encrypts_and_the_colleague_reads_it(doctors, mail_servers) -> None:
    colleague = doctors.addresses["colleague"]
    folder: Path = doctors.folder
    assert doctors("sender", "keys", "add-cert", str(folder / "colleague.pem"))[0] == 0
    body = folder / "lettre.txt"
    body.write_text("Cher confrère,\nla glycémie à jeun est à 1,32 g/L.\n", "utf-8")

    code, out, err = doctors(
        "sender", "send", "--to", colleague, "--subject", "Compte rendu", "--body-file", str(body), "--json"
    )
    assert code == 0, err
    message_id = json.loads(out)["message_id"]

    stored = _wait_for_delivery(mail_servers.maildir_of(colleague))
    assert message_id.encode() in stored  # the outer headers stay in clear
    assert b"smime-type=enveloped-data" in stored
    assert b"1,32" not in stored and "glycémie".encode() not in stored and b"Compte rendu" in stored
    # the sender's Sent copy on the server is encrypted too (to the sender as well: it stays readable)
    sent = _wait_for_delivery(mail_servers.maildir_of(doctors.addresses["sender"]) / ".Sent")
    assert b"smime-type=enveloped-data" in sent and b"1,32" not in sent

    assert doctors("colleague", "sync")[0] == 0
    code, out, _ = doctors("colleague", "messages", "list", "--json")
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert listed["encrypted"] is True and listed["signed"] is True
    code, out, err = doctors("colleague", "messages", "show", listed["id"])
    assert code == 0, err
    assert "la glycémie à jeun est à 1,32 g/L." in out
    assert f"Signé par : {doctors.addresses['sender']} — signature valide" in out

    # both actions are in the tamper-evident log, by id only
    for who, action in (("sender", "send"), ("colleague", "read")):
        mr = Mailroom.open(folder / who, PASS)
        records = mr.audit.records()
        assert any(r["action"] == action for r in records)
        assert "1,32" not in json.dumps(records)
        assert doctors(who, "audit", "verify")[0] == 0


def test_the_policy_refuses_an_outsider_before_anything_is_queued(doctors, mail_servers) -> None:
    folder: Path = doctors.folder
    body = folder / "lettre.txt"
    body.write_text("texte\n", "utf-8")
    code, out, err = doctors(
        "sender", "send", "--to", "quelqu.un@ailleurs.example", "--subject", "s", "--body-file", str(body)
    )
    assert code != 0
    assert err.count("\n") == 1 and "hors de l'espace de confiance MSSanté" in err and "Traceback" not in err
    assert doctors("sender", "outbox", "list", "--json")[1] == ""


def test_strict_mode_refuses_a_recipient_without_certificate(doctors) -> None:
    folder: Path = doctors.folder
    settings = folder / "sender" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "strict"', 1), "utf-8"
    )
    body = folder / "lettre.txt"
    body.write_text("texte\n", "utf-8")
    code, _out, err = doctors(
        "sender", "send", "--to", doctors.addresses["colleague"], "--subject", "s", "--body-file", str(body)
    )
    assert code != 0 and "le mode strict n'envoie que des messages chiffrés" in err
    assert doctors("sender", "outbox", "list", "--json")[1] == ""


async def test_the_facade_idle_sees_a_new_message(doctors, mail_servers) -> None:
    mr = Mailroom.open(doctors.folder / "colleague", PASS)
    await mr.sync()
    waiting = asyncio.create_task(mr.idle("colleague", timeout=30))
    await asyncio.sleep(1.0)  # the IDLE command is in flight
    letter = (
        f"From: {doctors.addresses['sender']}\r\nTo: {doctors.addresses['colleague']}\r\nSubject: x\r\n"
        "Message-ID: <idle-facade@missive.test>\r\n\r\ncorps\r\n"
    ).encode()
    await asyncio.to_thread(mail_servers.deliver, doctors.addresses["colleague"], letter)
    assert await asyncio.wait_for(waiting, 10) == 1
    assert [m.subject for m in mr.messages.list()] == ["x"]


def _letters_in(folder: Path) -> list[Path]:
    return [p for sub in ("new", "cur") if (folder / sub).is_dir() for p in (folder / sub).iterdir()]


def test_a_letter_refused_for_good_goes_back_to_its_draft_and_no_flush_sends_it(doctors, mail_servers) -> None:
    """Postfix refuses the recipient for good (554): the composer keeps the letter to be corrected, but the
    outbox also kept it as "failed", so `missive outbox flush --all` (or the app's, the daemon's flush) sent
    that copy besides the corrected one. The refused letter now goes back to its draft only (stored before
    the outbox entry goes); the corrected letter reaches the colleague once, and a flush sends nothing."""
    from core.errors import KeptInOutbox
    from core.model import Draft
    from tests.servers.harness import REFUSED

    colleague = doctors.addresses["colleague"]
    mr = Mailroom.open(doctors.folder / "sender", PASS)
    letter = Draft(to=(REFUSED,), subject="Avis", body="Chère consœur,\nvoici mon avis.\n")
    draft_id = mr.save_draft(letter)  # as the composer does before sending
    with pytest.raises(KeptInOutbox) as refused:
        asyncio.run(mr.send(letter, draft_id))
    assert refused.value.permanent
    said = str(refused.value)
    assert "554" in said and "fenêtre de rédaction" in said and "gardée dans la boîte d'envoi" not in said
    assert mr.outbox.list() == []  # nothing left that a flush could send
    assert mr.draft(draft_id).draft == letter  # the letter is not lost: its draft holds it

    corrected = Draft(to=(colleague,), subject="Avis", body="Chère consœur,\nvoici mon avis.\n")
    asyncio.run(mr.send(corrected, draft_id))
    assert mr.drafts() == [] and mr.outbox.list() == []
    mr.close()

    code, out, err = doctors("sender", "outbox", "flush", "--all")
    assert (code, out.strip()) == (0, "envoyés : 0, en attente : 0, échecs : 0"), err
    mailbox = mail_servers.maildir_of(colleague)
    _wait_for_delivery(mailbox)
    assert len(_letters_in(mailbox)) == 1
