"""Folder names the server writes in IMAP's modified UTF-7 (RFC 3501 §5.1.3; Dovecot, Cyrus, Exchange without
UTF8=ACCEPT) read as written in French: 'Envoy&AOk-s' is 'Envoyés', a Sent folder. They were shown as the
server wrote them ('&AMk-l&AOk-ments envoy&AOk-s'), never recognised as Sent or Trash, and `--folder Envoyés`
found nothing."""

from __future__ import annotations

import pytest

from core.mail.imap import ImapClient
from core.mail.messages import MessageStore
from core.mail.sync import SyncEngine
from core.model import folder_label, match_folder
from tests.mail.helpers import MemoryProfile, imap_account, letter

pytestmark = pytest.mark.servers


@pytest.mark.parametrize(
    ("server_name", "shown"),
    [
        ("Envoy&AOk-s", "Envoyés"),
        ("&AMk-l&AOk-ments envoy&AOk-s", "Envoyés"),  # a Sent folder: the interface's own label
        ("Comptes rendus/R&AOk-sultats", "Comptes rendus/Résultats"),
        ("Labo &- cabinet", "Labo & cabinet"),
        ("&ZeVnLIqe-", "日本語"),
        ("Broken&AOk", "Broken&AOk"),  # not modified UTF-7: as written
        ("Plain", "Plain"),
    ],
)
def test_a_folder_name_in_modified_utf7_reads_as_written_in_french(server_name: str, shown: str) -> None:
    assert folder_label(server_name, "fr") == shown


def test_a_french_folder_can_be_named_on_the_command_line_as_it_reads() -> None:
    keys = ["INBOX", "Comptes rendus/R&AOk-sultats"]
    assert match_folder("Comptes rendus/Résultats", keys) == "Comptes rendus/R&AOk-sultats"
    assert match_folder("comptes rendus/resultats", keys) == "Comptes rendus/R&AOk-sultats"


async def test_dovecot_lists_a_french_folder_that_reads_in_french(mail_servers) -> None:
    user = mail_servers.add_user("utf7")
    account = imap_account(mail_servers, user)
    async with ImapClient(account) as imap:
        await imap.create_folder("R&AOk-sultats")  # what a client that speaks IMAP sends for 'Résultats'
    mail_servers.deliver(user, letter("Bonjour"))
    store = MessageStore(MemoryProfile())
    await SyncEngine(store, backoff=0.2).sync(account)
    names = store.folder_names(account.name)
    assert "R&AOk-sultats" in names  # kept as the server names it: the name to SELECT
    assert "Résultats" in [folder_label(n, "fr") for n in names]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_servers_drafts_folder_and_the_drafts_kept_in_the_profile_read_apart(lang: str) -> None:
    """A server with a Drafts folder (Dovecot makes one) and a letter kept in the profile: the folder list showed
    « Brouillons » twice, the server's (other clients' drafts, a letter moved there with m) and missive's own,
    which Entrée takes up again (gp9 on the installed wheel, real Dovecot). They read apart, and the name the
    doctor sees for missive's drafts still names them on the command line."""
    from core.model import DRAFTS_FOLDER

    server, kept = folder_label("Drafts", lang), folder_label(DRAFTS_FOLDER, lang)
    assert server != kept and server == folder_label("Brouillons", lang)
    assert len(server) <= 15  # whole in the folder list (16 columns), not cut as « Brouillons (se… »
    assert match_folder(server, ["INBOX", "Drafts", DRAFTS_FOLDER]) == "Drafts"
    if lang == "fr":  # (in English the server's own name is "Drafts": typed, it is the server's folder)
        assert match_folder(kept, ["INBOX", "Drafts", DRAFTS_FOLDER]) == DRAFTS_FOLDER
