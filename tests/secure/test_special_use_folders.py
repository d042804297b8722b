"""Strict mode on the suite's real Dovecot: a Sent folder under a name no list of usual names holds ('Courrier
parti', marked \\Sent by the server's SPECIAL-USE, as tests/servers/harness.py configures it) keeps the practice's
own unsigned copies ours. Before, the folders' roles came from their names only: that folder was taken for one
mail is delivered to, and every copy in it went to Quarantaine at the next sync."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.mail.imap import ImapClient
from core.mailroom import Mailroom
from core.model import QUARANTINE_FOLDER
from tests.mail.helpers import imap_account

pytestmark = pytest.mark.servers
PASS = "correct horse battery staple"
SENT = "Courrier parti"  # \Sent in the test Dovecot's configuration
ARCHIVE = "Rangement"  # \Archive there


def _letter(own: str, n: int, subject: str = "Adressage") -> bytes:
    return (
        f"From: Dr Martin <{own}>\r\nTo: confrere@ailleurs.example\r\nSubject: {subject} {n}\r\n"
        f"Message-ID: <copy-{n}@cabinet.test>\r\nDate: Mon, 07 Dec 2026 08:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\nCher confrere.\r\n"
    ).encode()


async def _strict_room(tmp_path: Path, mail_servers, user: str) -> Mailroom:
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    text = settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "strict"', 1)
    settings.write_text(text, "utf-8")
    room = Mailroom.open(tmp_path / "profile", PASS)
    assert room.trust.mode == "strict"
    room.accounts.add(imap_account(mail_servers, user).with_changes(name="cab"))
    return room


def _ids(room: Mailroom, folder: str) -> list[str]:
    return sorted(s.message_id for s in room.summaries(folder))


async def test_a_sent_folder_of_an_unusual_name_is_known_by_its_special_use(
    tmp_path: Path, mail_servers
) -> None:
    user = mail_servers.add_user("special")
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.create_folder(SENT)
        await imap.create_folder(ARCHIVE)
        await imap.create_folder("Labo")  # no role: mail a Sieve rule files here is judged
        await imap.append(SENT, _letter(user, 1), flags=("\\Seen",))
        await imap.append(ARCHIVE, _letter(user, 2), flags=("\\Seen",))
        await imap.append("Labo", _letter(user, 3, "Nouveau mot de passe"))
        assert (await imap.special_folders())["sent"] == SENT
    room = await _strict_room(tmp_path, mail_servers, user)
    await room.sync("cab")
    # our copies stay in their folders; the letter with our From elsewhere is judged (unsigned: Quarantaine)
    assert _ids(room, SENT) == ["<copy-1@cabinet.test>"]
    assert _ids(room, ARCHIVE) == ["<copy-2@cabinet.test>"]
    assert _ids(room, QUARANTINE_FOLDER) == ["<copy-3@cabinet.test>"]
    assert room.messages.folder_roles("cab")[SENT] == "sent"

    # a round that reads one folder without listing them (the background sync's, after IDLE) knows the role
    # the last listing gave it
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.append(SENT, _letter(user, 4), flags=("\\Seen",))
    from core.mail.sync import SyncEngine

    engine = SyncEngine(room.messages, on_new_message=room.on_new_message)
    await engine.sync(room.accounts.get("cab"), folders=[SENT])
    assert _ids(room, SENT) == ["<copy-1@cabinet.test>", "<copy-4@cabinet.test>"]
    assert _ids(room, QUARANTINE_FOLDER) == ["<copy-3@cabinet.test>"]


async def test_the_listing_leaves_out_parents_that_do_not_exist_and_reads_roles(
    tmp_path: Path, mail_servers
) -> None:
    """With RETURN (SPECIAL-USE) Dovecot says \\NonExistent (not \\Noselect) of a parent folder that is only a
    name ('Dossiers' of 'Dossiers/2026'): it is not a folder to select."""
    user = mail_servers.add_user("special")
    async with ImapClient(imap_account(mail_servers, user)) as imap:
        await imap.create_folder("Dossiers/2026")
        await imap.create_folder(SENT)
        names = await imap.folders()
        assert "Dossiers" not in names and "Dossiers/2026" in names and names[0] == "INBOX"
        assert imap.roles[SENT] == "sent" and imap.roles["Trash"] == "trash" and "INBOX" not in imap.roles
        listed, statuses = await imap.folders_status()
        assert listed == names and imap.roles[SENT] == "sent" and SENT in statuses
