"""$Filed through the real Dovecot, with two desks on one mailbox (issue 13, item 3).

Desk A files results by every path (the daemon's round, automatically at sync, by hand with `missive file`) and
undoes one; desk B, a second profile on the same account that files nothing itself, sees the "»" marker on exactly
the filed messages after its next sync, and sees it go after the undo. The server holds the keyword on the right
UIDs only.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from pathlib import Path

import pytest

from core.mail.imap import ImapClient
from core.mailroom import Mailroom
from tests.mail.helpers import imap_account

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"
RESULT = (
    Path(__file__).resolve().parent.parent / "data" / "filing" / "hprim_net_cp1252_crlf.hpr"
).read_bytes()
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MÜLLER,LEFÈVRE,Jean-Pierre Marie,1968-04-12,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)


def result_letter(tag: str, sender: str = "labo@missive.test") -> bytes:
    return (
        (
            f"From: {sender}\r\nTo: doc@missive.test\r\nSubject: Resultats {tag}\r\n"
            f"Message-ID: <{tag}@missive.test>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            'Content-Type: application/octet-stream; name="res.hpr"\r\n'
            'Content-Disposition: attachment; filename="res.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        + base64.encodebytes(RESULT + f"\r\n{tag}\r\n".encode())  # a result of its own (else a duplicate)
        + b"--b--\r\n"
    )


PLAIN = (
    b"From: confrere@missive.test\r\nTo: doc@missive.test\r\nSubject: Courrier\r\n"
    b"Message-ID: <plain@missive.test>\r\n\r\nBonjour.\r\n"
)


def desk(tmp_path: Path, name: str, mail_servers, user: str, *, folder: bool, auto: bool = True) -> Path:
    """A profile on ``user``'s mailbox trusting missive.test, with the two patients; its import folder set
    when ``folder``."""
    profile = tmp_path / name
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["missive.test"]', 1)
    if folder:
        text = text.replace('folder = ""', f'folder = "{tmp_path / (name + "-lgc")}"', 1)
    if not auto:
        text = text.replace("auto = true", "auto = false", 1)
        assert "auto = false" in text
    settings.write_text(text, "utf-8")
    room = Mailroom.open(profile, PASS)
    room.patients.import_csv(PATIENTS.encode(), name="patients.csv")
    room.accounts.add(imap_account(mail_servers, user))
    return profile


def filed_subjects(room: Mailroom) -> list[str]:
    return sorted(m.subject for m in room.messages.list() if m.filed)


async def server_filed(mail_servers, user: str, synced: Path) -> list[str]:
    """Subjects of the INBOX messages carrying $Filed on the server (subjects as the ``synced`` profile has them)."""
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.select("INBOX")
        flags = await imap.flags(await imap.uids())
    by_uid = {m.uid: m.subject for m in Mailroom.open(synced, PASS).messages.list()}
    return sorted(by_uid[uid] for uid, f in flags.items() if "$Filed" in f)


def test_filed_reaches_the_other_desk_by_every_filing_path(mail_servers, tmp_path, cli_at, caplog) -> None:
    caplog.set_level(logging.INFO, logger="missive")
    user = mail_servers.add_user("desks")
    mail_servers.deliver(user, result_letter("daemon"))
    mail_servers.deliver(user, PLAIN)
    mail_servers.deliver(user, result_letter("manual", sender="labo.ormes@gmail.example"))  # outside: review

    # desk A, before its import folder is set: the trusted result waits, the outsider's waits for a person
    a_dir = desk(tmp_path, "a", mail_servers, user, folder=False)
    asyncio.run(Mailroom.open(a_dir, PASS).sync())
    settings = a_dir / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('folder = ""', f'folder = "{tmp_path / "a-lgc"}"', 1), "utf-8"
    )
    a = Mailroom.open(a_dir, PASS)
    assert filed_subjects(a) == []

    # 1. the daemon's round files the waiting result
    tasks = a.daemon_tasks()
    for task in tasks:
        if task.__name__ == "auto_file":
            asyncio.run(task())
    assert filed_subjects(a) == ["Resultats daemon"]
    # 2. a new result is filed automatically at sync (and the flags go up in the same sync)
    mail_servers.deliver(user, result_letter("sync"))
    asyncio.run(a.sync())
    assert filed_subjects(a) == ["Resultats daemon", "Resultats sync"]
    # 3. the outsider's result, filed by hand (`missive file`, what the app's À classer does too)
    [manual] = [d for d in a.documents.list() if d.state == "waiting"]
    code, out, err = cli_at(a_dir, "file", manual.id, "--patient", "P-1")
    assert code == 0, err
    code, _, err = cli_at(a_dir, "sync")
    assert code == 0, err

    # desk B, the same mailbox, files nothing itself: it sees exactly what desk A filed
    b_dir = desk(tmp_path, "b", mail_servers, user, folder=False)
    b = Mailroom.open(b_dir, PASS)
    asyncio.run(b.sync())
    everything = ["Resultats daemon", "Resultats manual", "Resultats sync"]
    assert filed_subjects(b) == everything
    assert asyncio.run(server_filed(mail_servers, user, b_dir)) == everything
    code, out, err = cli_at(b_dir, "messages", "list")
    assert code == 0, err
    marked = sorted(line.split("  ")[-1].strip() for line in out.splitlines() if line[2:3] == "»")
    assert marked == everything
    code, out, _ = cli_at(b_dir, "messages", "list", "--json")
    assert sorted(m["subject"] for m in map(json.loads, out.splitlines()) if m["filed"]) == everything

    # an undo at desk A clears it, at desk A, on the server, then at desk B
    [daemon_doc] = [d for d in a.documents.list() if d.message_id == "<daemon@missive.test>"]
    code, _, err = cli_at(a_dir, "documents", "undo", daemon_doc.id)
    assert code == 0, err
    assert filed_subjects(Mailroom.open(a_dir, PASS)) == ["Resultats manual", "Resultats sync"]
    asyncio.run(Mailroom.open(a_dir, PASS).sync())
    asyncio.run(Mailroom.open(b_dir, PASS).sync())
    assert filed_subjects(Mailroom.open(b_dir, PASS)) == ["Resultats manual", "Resultats sync"]
    assert asyncio.run(server_filed(mail_servers, user, b_dir)) == ["Resultats manual", "Resultats sync"]
    # what every filing used to log ("message … not in the store: $Filed not set") never shows
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "not in the store" not in logged and "$Filed not" not in logged
    assert "filed for patient P-1" in logged


@pytest.fixture
def cli_at(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``missive --profile DIR ARGS`` in-process; (exit code, stdout, stderr)."""
    from tui.cli import main

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)

    def run(profile: Path, *args: str) -> tuple[int, str, str]:
        code = main(["--profile", str(profile), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
