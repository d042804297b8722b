"""Thunderbird's hand-made S/MIME structure (tests/data/conformance/smime-manual), the way Bob meets it: his
.p12 imported, the NSS test CA trusted, the letter in a Maildir account, synced, `messages show`.

An encrypted part nested inside a multipart/mixed is an attachment, not the letter's own encryption: reading
it as the letter would let anyone put a ciphertext they captured into a letter of theirs and have it shown
decrypted, as their text (the EFAIL-style 'partial encryption' Thunderbird refuses). missive leaves the
smime.p7m as an attachment, claims no encryption, and the tampered signature is said."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conformance.test_clinical_corpus import DATA

NAME = "alice.env.mixed.dsig.SHA256.multipart.eml"


def test_an_encrypted_part_inside_a_letter_is_not_its_encryption(cli, tmp_path: Path, monkeypatch) -> None:  # noqa: F811
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    shutil.copy(DATA / "smime-manual" / NAME, root / "new" / "1700000000.real9:2,")
    assert cli("init")[0] == 0
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "nss")
    assert cli("keys", "import", str(DATA / "smime" / "Bob.p12"))[0] == 0
    assert cli("keys", "trust", str(DATA / "smime" / "TestCA.pem"))[0] == 0
    assert cli("account", "add", "local", "--email", "bob@example.com", "--maildir", str(root))[0] == 0
    assert cli("sync")[0] == 0
    code, out, _ = cli("messages", "list", "--folder", "Quarantaine", "--json")
    (row,) = map(json.loads, out.splitlines())
    code, text, err = cli("messages", "show", row["id"])
    assert code == 0, err
    lines = text.splitlines()
    assert not any(line.startswith("Chiffré") for line in lines)
    assert "Pièce jointe : smime.p7m (application/pkcs7-mime, 656 octets)" in lines
    assert "Signé par : alice@example.com — signature non valide : le message a été modifié après signature" in lines
    assert "Here is the body of the attached message. Search for bodyOfAttachedMessagePlain." in lines
    view = json.loads(cli("messages", "show", row["id"], "--json")[1])
    assert view["encrypted"] is False and view["unreadable"] is None
