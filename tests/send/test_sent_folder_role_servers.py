"""The server's own Sent and Trash folders, whatever their names, on the suite's real Postfix and Dovecot.

The test Dovecot gives the users of ``add_user_without_sent`` no 'Sent' nor 'Trash' of its own (tests/servers/
harness.py): their Sent folder is the one the test creates, 'Courrier parti', which the server marks \\Sent
(RFC 6154 SPECIAL-USE), and their Trash is 'Poubelle', marked \\Trash, as an operator's server whose folders
are called otherwise ('Éléments envoyés', 'Messages envoyés'...). Before, the copy of a sent letter went to a
folder found by name only ('Sent' created beside the server's, or no copy at all), the count of letters not
delivered was shown beside a folder named 'Sent' only, and the first delete created a 'Trash' beside
'Poubelle'."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from core.mail.imap import ImapClient
from core.mailroom import Mailroom
from core.model import Draft
from tests.mail.helpers import imap_account
from tests.send.test_receipts_servers import PASS, doctor, states, sync_until
from tests.tui.test_tmux_demo import MISSIVE, Tmux

pytestmark = pytest.mark.servers
SENT = "Courrier parti"  # \Sent in the test Dovecot's configuration, under no usual name
TRASH = "Poubelle"  # \Trash there


async def _server_folders(servers, user: str) -> tuple[list[str], dict[str, str]]:
    async with ImapClient(imap_account(servers, user)) as imap:
        names = await imap.folders()
        return names, dict(imap.roles)


async def _copies(servers, user: str, folder: str, message_id: str) -> int:
    async with ImapClient(imap_account(servers, user)) as imap:
        await imap.select(folder)
        return len(await imap.search_header("Message-ID", message_id))


async def _a_letter_not_delivered(servers, tmp_path: Path) -> tuple[Mailroom, str, str]:
    """A letter sent from a mailbox whose Sent folder is 'Courrier parti', to a colleague and to a mailbox that
    does not exist, synced until Postfix's failure report came back: (the profile, its Message-ID, the user)."""
    me, colleague = servers.add_user_without_sent(), servers.add_user("colleague")
    unknown = f"inconnu-{int(time.time())}@{servers.domain}"
    async with ImapClient(imap_account(servers, me)) as imap:
        await imap.create_folder(SENT)
        await imap.create_folder(TRASH)
    names, roles = await _server_folders(servers, me)
    assert "Sent" not in names and "Trash" not in names and roles[SENT] == "sent" and roles[TRASH] == "trash"

    room = doctor(servers, tmp_path / "me", "cabinet", me)
    await room.sync()
    delivery = await room.send(Draft(to=(colleague, unknown), subject="Adressage", body="Cher confrère,\n"))
    mid = delivery.message_id
    assert delivery.outcome == "sent" and not delivery.error

    # the copy is in the server's own Sent folder, once; no 'Sent' was made beside it
    names, _ = await _server_folders(servers, me)
    assert "Sent" not in names, names
    assert await _copies(servers, me, SENT, mid) == 1
    # ... and listed there at once (the Sent folder synced right after the letter left)
    (copy,) = [s for s in room.messages.list() if s.message_id == mid]
    assert copy.folder == SENT

    await sync_until(room, mid, lambda s: states(s).get(unknown) == "failed", "non remise")
    return room, mid, me


async def test_the_copy_goes_to_the_folder_the_server_marks_sent_and_the_failures_are_counted_there(
    mail_servers, tmp_path: Path
) -> None:
    room, mid, me = await _a_letter_not_delivered(mail_servers, tmp_path)
    (copy,) = [s for s in room.messages.list() if s.message_id == mid]
    # Postfix's failure report for the unknown mailbox: counted beside that folder, the only one
    counts = room.folder_counts()
    assert counts[SENT].undelivered == 1, counts
    assert [name for name, c in counts.items() if c.undelivered] == [SENT]
    assert "Sent" not in counts

    # a crash after the server took the letter: the recovery finds the copy in that folder, never copies twice
    from core.mail.send import ImapSent

    assert await ImapSent(room.accounts.get("cabinet")).contains(mid)

    # the copy deleted goes to the server's own Trash ('Poubelle', marked \Trash); no 'Trash' is made
    result = await room.delete_message(copy.id)
    assert not result.queued
    names, _ = await _server_folders(mail_servers, me)
    assert "Trash" not in names, names
    assert await _copies(mail_servers, me, TRASH, mid) == 1
    assert await _copies(mail_servers, me, SENT, mid) == 0


async def test_without_a_sent_folder_one_is_made_and_takes_the_copies(mail_servers, tmp_path: Path) -> None:
    """A server with no Sent folder at all (none marked, none of a usual name): 'Sent' is created once and the
    copy goes there (before, the APPEND to a folder that did not exist failed at every try)."""
    me, colleague = mail_servers.add_user_without_sent(), mail_servers.add_user("colleague")
    room = doctor(mail_servers, tmp_path / "me", "cabinet", me)
    first = await room.send(Draft(to=(colleague,), subject="Premier", body="Cher confrère,\n"))
    second = await room.send(Draft(to=(colleague,), subject="Second", body="Cher confrère,\n"))
    assert first.outcome == second.outcome == "sent" and not first.error and not second.error
    names, _ = await _server_folders(mail_servers, me)
    assert names.count("Sent") == 1
    assert await _copies(mail_servers, me, "Sent", first.message_id) == 1
    assert await _copies(mail_servers, me, "Sent", second.message_id) == 1


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed (make sysdeps installs it)")
@pytest.mark.skipif(not MISSIVE.exists(), reason="missive is not installed in .venv (make installs it)")
async def test_the_app_shows_the_count_beside_the_servers_sent_folder(mail_servers, tmp_path: Path) -> None:
    """`missive tui` at 80x24: ✗1 on the line of 'Courrier parti' (its name cut to leave room for it)."""
    room, _mid, _me = await _a_letter_not_delivered(mail_servers, tmp_path)
    room.close()
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", "bash --norc"], check=True
    )
    try:
        tmux.type(
            f"env HOME={tmp_path} MISSIVE_KDF=floor MISSIVE_PASSPHRASE='{PASS}' {MISSIVE} "
            f"--profile {tmp_path / 'me'} tui; echo EXITED $?"
        )
        tmux.keys("Enter")
        line = tmux.wait_for_line("Courrier pa", "✗1", timeout=60)
        assert "Envoyés" not in tmux.screen()  # no other Sent folder listed
        assert line.count("✗") == 1
        tmux.keys("C-q")
        tmux.wait_for_line("EXITED 0", timeout=30)
    finally:
        tmux.run("kill-session", "-t", session)
