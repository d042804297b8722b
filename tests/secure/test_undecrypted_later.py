"""A letter encrypted for a key the profile did not hold yet (a renewed certificate imported a day late) is read
again when that key is imported: its documents reach À classer as they would have at sync. Before, they never
did, and nothing said so (the reader decrypted the letter, but no document of it was ever queued)."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from core.mail.account import Account
from core.mailroom import Mailroom
from core.secure import smime

PASS = "une phrase de passe assez longue"
HPRIM = Path(__file__).resolve().parent.parent / "data" / "clinical" / "hprim_net_cp1252_crlf.hpr"


def _maildir_with(root: Path, raw: bytes) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    (root / "new" / "1700000000.1.missive-test").write_bytes(raw)
    return root


def _results_for_bob(pki) -> bytes:
    letter = EmailMessage()
    letter["From"] = "labo@labo.test"
    letter["To"] = "bob@clinique.test"
    letter["Subject"] = "Résultats"
    letter["Message-ID"] = "<resultats-1@labo.test>"
    letter.set_content("Résultats joints.")
    letter.add_attachment(
        HPRIM.read_bytes(), maintype="application", subtype="octet-stream", filename="resultats.hpr"
    )
    return smime.encrypt(letter.as_bytes(), [pki.bob.cert])


async def test_importing_the_key_later_queues_the_documents_of_the_letters_it_opens(pki, tmp_path) -> None:
    root = _maildir_with(tmp_path / "Maildir", _results_for_bob(pki))
    room = Mailroom.create(tmp_path / "profile", PASS)
    room.accounts.add(Account(name="cabinet", email="bob@clinique.test", kind="maildir", maildir=str(root)))
    await room.sync()
    (message,) = room.messages.list()
    assert message.encrypted and not room.documents.list()  # no key yet: nothing could be read

    info = room.import_identity_data(pki.bob.p12(b"motdepasse"), "motdepasse")
    assert info["opened_letters"] == 1
    (queued,) = room.documents.list()
    assert queued.format.startswith("hprim")
    assert room.messages.doc(message.id)["documents"] == 1
    assert not room.messages.doc(message.id)["undecrypted"]
    assert room.import_identity_data(pki.bob.p12(b"motdepasse"), "motdepasse")["opened_letters"] == 0
    assert len(room.documents.list()) == 1  # read once, queued once


async def test_a_letter_for_someone_else_stays_as_it_was(pki, tmp_path) -> None:
    root = _maildir_with(tmp_path / "Maildir", _results_for_bob(pki))
    room = Mailroom.create(tmp_path / "profile", PASS)
    room.accounts.add(Account(name="cabinet", email="alice@hopital.test", kind="maildir", maildir=str(root)))
    await room.sync()
    assert room.import_identity_data(pki.alice.p12(b"motdepasse"), "motdepasse")["opened_letters"] == 0
    assert not room.documents.list()
    (message,) = room.messages.list()
    assert room.messages.doc(message.id)["undecrypted"]
