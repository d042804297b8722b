"""`missive smime verify` says the signer's address and certificate subject, which the sender chooses: a control
character in them is shown as U+FFFD, never sent to the terminal (the reader already did so)."""

from __future__ import annotations

from pathlib import Path

from core.secure import smime
from tests.secure.conftest import MESSAGE
from tests.secure.pki import make_user


def _no_control(text: str) -> bool:
    return not any((ord(c) < 0x20 and c not in "\n\t") or 0x7F <= ord(c) <= 0x9F for c in text)


def test_smime_verify_writes_no_terminal_command(pki, profile, cli, tmp_path: Path) -> None:
    eve = make_user("Eve\x1b]0;PWNED\x07\x9b2J", ["alice@hopital.test"], pki.inter)
    signed = smime.sign(MESSAGE, eve.key, eve.cert, [pki.inter.cert])
    letter = tmp_path / "lettre.eml"
    letter.write_bytes(signed)
    anchor = tmp_path / "root.pem"
    anchor.write_bytes(pki.root.cert_pem)
    assert cli("keys", "trust", str(anchor))[0] == 0
    code, out, err = cli("smime", "verify", str(letter))
    assert code == 0, err
    assert "Eve" in out and _no_control(out), repr(out)
    code, out, err = cli("keys", "list")
    assert _no_control(out), repr(out)
