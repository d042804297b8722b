"""A letter whose S/MIME layer carries a From of its own is judged by both Froms: the one the list shows (the
message as received) and the inner one. An outsider's letter encrypted to the doctor (whose certificate is
public) with the practice's own address as its inner From was taken for the practice's own letter: never
quarantined nor announced, though the list named the outsider."""

from __future__ import annotations

from pathlib import Path

from core.mail.account import Account
from core.mailroom import Mailroom
from core.secure import cms, smime

PASS = "une phrase de passe assez longue"
OWN = "bob@clinique.test"


def _room(pki, tmp_path: Path) -> Mailroom:
    room = Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["clinique.test"]', 1)
    settings.write_text(text, "utf-8")
    room = Mailroom.open(tmp_path / "profile", PASS)
    room.accounts.add(Account(name="cabinet", email=OWN, kind="maildir", maildir=str(tmp_path / "Maildir")))
    room.keys.set_identity(pki.bob.key, pki.bob.cert)
    return room


def _encrypted(pki, outer_from: str, inner_from: str) -> bytes:
    inner = (
        f"From: {inner_from}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nCliquez ici.\r\n"
    ).encode()
    der = cms.encrypt(inner, [pki.bob.cert])
    outer = [f"From: {outer_from}".encode(), f"To: {OWN}".encode(), b"Subject: Urgent"]
    return smime._wrap_pkcs7_mime(outer, der, "enveloped-data")


def test_an_outsider_with_our_address_inside_is_quarantined_not_taken_for_our_own(pki, tmp_path) -> None:
    room = _room(pki, tmp_path)
    meta = room.on_new_message(_encrypted(pki, "pirate@ailleurs.example", OWN), "a" * 32)
    assert not meta.get("own") and meta.get("trust") == "quarantine"


def test_our_own_encrypted_letter_is_still_ours(pki, tmp_path) -> None:
    room = _room(pki, tmp_path)
    meta = room.on_new_message(_encrypted(pki, OWN, OWN), "b" * 32)
    assert meta.get("own") and "trust" not in meta


def test_an_inner_from_outside_the_trust_space_is_quarantined_too(pki, tmp_path) -> None:
    room = _room(pki, tmp_path)
    meta = room.on_new_message(_encrypted(pki, "dr@clinique.test", "pirate@ailleurs.example"), "c" * 32)
    assert meta.get("trust") == "quarantine"
    meta = room.on_new_message(_encrypted(pki, "dr@clinique.test", "dr@clinique.test"), "d" * 32)
    assert "trust" not in meta
