"""The `maildir` account kind (the demo, offline use) through the same commands as IMAP."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from core.mailroom import Mailroom

PASS = "correct horse battery staple"


def mail(number: int, subject: str) -> bytes:
    return (
        f"From: labo@labo.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: {subject}\r\n"
        f"Message-ID: <m{number}@labo.mssante.fr>\r\nDate: Mon, 02 Mar 2026 10:0{number}:00 +0100\r\n\r\n"
        f"corps {number}\r\n"
    ).encode()


def make_maildir(root: Path) -> None:
    for folder in (root, root / ".Archives"):
        for sub in ("cur", "new", "tmp"):
            (folder / sub).mkdir(parents=True)
    (root / "new" / "1.a.host").write_bytes(mail(1, "nouveau"))
    (root / "cur" / "2.b.host:2,S").write_bytes(mail(2, "lu"))
    (root / ".Archives" / "cur" / "3.c.host:2,S").write_bytes(mail(3, "archive"))


def listing(cli) -> list[dict]:
    code, out, err = cli("messages", "list", "--json")
    assert code == 0, err
    return [json.loads(line) for line in out.splitlines()]


def test_sync_folders_flags_new_and_removed_messages(cli, profile_dir: Path, tmp_path: Path) -> None:
    root = tmp_path / "Maildir"
    make_maildir(root)
    assert cli("init")[0] == 0
    code, _out, err = cli(
        "account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root)
    )
    assert code == 0, err
    assert cli("sync")[0] == 0
    rows = {r["subject"]: r for r in listing(cli)}
    assert set(rows) == {"nouveau", "lu", "archive"}
    assert rows["archive"]["folder"] == "Archives"
    assert "\\Seen" in rows["lu"]["flags"] and "\\Seen" not in rows["nouveau"]["flags"]

    # a resync with no change adds nothing; a new file arrives; one is deleted by another program
    assert cli("sync")[0] == 0
    assert len(listing(cli)) == 3
    (root / "new" / "4.d.host").write_bytes(mail(4, "arrivé"))
    (root / "cur" / "2.b.host:2,S").unlink()
    assert cli("sync")[0] == 0
    assert {r["subject"] for r in listing(cli)} == {"nouveau", "arrivé", "archive"}

    # a flag set in missive reaches the files (Maildir's info suffix) at the next sync
    mr = Mailroom.open(profile_dir, PASS)
    target = next(m for m in mr.messages.list() if m.subject == "nouveau")
    mr.messages.add_flags(target.id, "\\Flagged")
    asyncio.run(mr.sync())
    names = [
        p.name for sub in ("cur", "new") for p in (root / sub).iterdir() if p.name.startswith("1.a.host")
    ]
    assert len(names) == 1 and "F" in names[0].split(":2,")[-1], names

    # and the other way: a flag set by another program shows in missive after a sync
    archived = next((root / ".Archives" / "cur").iterdir())
    archived.rename(archived.with_name(archived.name.replace(":2,S", ":2,FS")))
    assert cli("sync")[0] == 0
    assert "\\Flagged" in {r["subject"]: r for r in listing(cli)}["archive"]["flags"]


def test_a_letter_sent_from_a_maildir_account_lands_in_its_sent_folder(
    cli, profile_dir: Path, tmp_path: Path
):
    root = tmp_path / "Maildir"
    make_maildir(root)
    assert cli("init")[0] == 0
    settings = profile_dir / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8"
    )
    assert cli("account", "add", "local", "--email", "dr@cabinet.mssante.fr", "--maildir", str(root))[0] == 0
    body = tmp_path / "lettre.txt"
    body.write_text("Cher confrère.\n", "utf-8")
    code, out, err = cli(
        "send", "--to", "confrere@hopital.mssante.fr", "--subject", "CR", "--body-file", str(body)
    )
    assert code == 0, err
    [sent] = list((root / ".Sent" / "cur").iterdir())
    assert sent.name.endswith(":2,S") and b"Subject: CR" in sent.read_bytes()
    assert cli("outbox", "list", "--json")[1] == ""
    assert cli("sync")[0] == 0
    assert "Sent" in {r["folder"] for r in listing(cli)}


def test_a_folder_that_is_not_a_maildir_is_one_clear_line(cli, tmp_path: Path) -> None:
    assert cli("init")[0] == 0
    (tmp_path / "empty").mkdir()
    code, out, err = cli(
        "account", "add", "x", "--email", "dr@cabinet.mssante.fr", "--maildir", str(tmp_path / "empty")
    )
    assert (code, out) == (
        0,
        "compte x ajouté\n",
    )  # added (mbsync may make it a Maildir later), and said at once:
    assert err == (
        f"missive : attention : {tmp_path / 'empty'} n'est pas (encore) un Maildir (ni dossier cur/ ni new/) ; "
        "la relève de x échouera tant qu'il ne l'est pas : lancez d'abord mbsync, "
        "ou corrigez le chemin (missive account remove x, puis account add)\n"
    )
    code, _out, err = cli("sync")
    assert code == 1
    assert err.count("\n") == 1 and "n'est pas un Maildir" in err and "Traceback" not in err


def test_one_account_failing_does_not_stop_the_others_sync(cli, tmp_path: Path) -> None:
    """`missive sync` (cron, the daemon's socket) syncs every account: the first that failed (its server away,
    its password changed, a Pro Santé Connect login to renew, here a folder that is not yet a Maildir) ended
    the command, and the accounts after it in the list were never synced: their results never arrived while
    the one line said only the first account's trouble."""
    assert cli("init")[0] == 0
    (tmp_path / "empty").mkdir()
    make_maildir(tmp_path / "md")
    for name, email, folder in (("a-absent", "a", "empty"), ("b-cabinet", "dr", "md")):
        added = cli("account", "add", name, "--email", f"{email}@cabinet.mssante.fr", "--maildir", str(tmp_path / folder))
        assert added[0] == 0
    code, out, err = cli("sync")
    assert code == 1 and err.count("\n") == 1 and "n'est pas un Maildir" in err  # the failure is still said
    assert sorted(m["subject"] for m in listing(cli)) == ["archive", "lu", "nouveau"]  # and the other synced
