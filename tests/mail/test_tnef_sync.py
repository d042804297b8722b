"""A letter from Outlook/Exchange whose winmail.dat holds a lab's HPRIM file, synced from a Maildir account:
the result reaches the document queue like any attachment's, ``messages show`` lists the files inside the
winmail.dat (not the winmail.dat), and one that cannot be read stays attached with one French line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from core.mailroom import Mailroom
from tests.mail.helpers import imap_account
from tests.mail.tnef_build import letter_with_winmail, winmail

PASS = "correct horse battery staple"
HPRIM = (
    Path(__file__).resolve().parent.parent / "data" / "clinical" / "hprim_net_cp1252_crlf.hpr"
).read_bytes()


def make_maildir(root: Path) -> None:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    good = winmail([("RESULTAT.HPR", HPRIM), ("Lettre de sortie.pdf", b"%PDF-1.4 lettre")])
    (root / "new" / "1.a.host").write_bytes(letter_with_winmail(good, subject="Resultats", number=1))
    broken = winmail([("AUTRE.HPR", HPRIM)])[:-5]
    (root / "new" / "2.b.host").write_bytes(letter_with_winmail(broken, subject="Abime", number=2))


def test_a_result_inside_a_winmail_dat_reaches_the_queue_and_the_reader(
    cli, profile_dir: Path, tmp_path: Path
) -> None:
    root = tmp_path / "Maildir"
    make_maildir(root)
    assert cli("init")[0] == 0
    code, _out, err = cli(
        "account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root)
    )
    assert code == 0, err
    code, _out, err = cli("sync")
    assert code == 0, err

    mr = Mailroom.open(profile_dir, PASS)
    try:
        queued = mr.documents.list()
        assert [(q.message_id, q.attachment, q.format) for q in queued] == [
            ("<tnef1@chu.mssante.fr>", "RESULTAT.HPR", "hprim-net")
        ]
        ids = {m.subject: m.id for m in mr.messages.list()}
    finally:
        mr.close()

    code, out, err = cli("messages", "show", ids["Resultats"], "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert [a["filename"] for a in shown["attachments"]] == ["RESULTAT.HPR", "Lettre de sortie.pdf"]
    assert shown["notes"] == []
    assert [d["format"] for d in shown["documents"]] == ["hprim-net"]

    code, out, err = cli("messages", "show", ids["Abime"])
    assert code == 0, err
    assert "winmail.dat" in out
    notes = [line for line in out.splitlines() if line.startswith("! ")]
    assert len(notes) == 1 and notes[0].startswith("! pièce winmail.dat illisible"), out
    assert "Traceback" not in out + err


@pytest.mark.servers
def test_a_result_inside_a_winmail_dat_through_the_real_dovecot(mail_servers, tmp_path: Path) -> None:
    """The same letter delivered to the suite's Dovecot (LMTP, as Postfix would) and synced over IMAP."""
    user = mail_servers.add_user("tnef")
    tnef = winmail([("RESULTAT.HPR", HPRIM), ("Lettre de sortie.pdf", b"%PDF-1.4 lettre")])
    mail_servers.deliver(user, letter_with_winmail(tnef, subject="Resultats", number=3))
    profile = tmp_path / "p"
    Mailroom.create(profile, PASS).close()
    room = Mailroom.open(profile, PASS)
    try:
        room.accounts.add(imap_account(mail_servers, user))
        asyncio.run(room.sync())
        queued = room.documents.list()
        assert [(q.message_id, q.attachment, q.format) for q in queued] == [
            ("<tnef3@chu.mssante.fr>", "RESULTAT.HPR", "hprim-net")
        ]
        (summary,) = room.messages.list()
        view = room.read_message(summary.id)
        assert [(a.filename, a.data) for a in view.attachments] == [
            ("RESULTAT.HPR", HPRIM),
            ("Lettre de sortie.pdf", b"%PDF-1.4 lettre"),
        ]
        assert [d.content.format for d in view.documents] == ["hprim-net"]
        assert view.notes == ()
    finally:
        room.close()
