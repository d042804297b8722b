"""CMS-level failures a user would meet: wrong key, altered ciphertext, missing content."""

from __future__ import annotations

import pytest

from core.errors import ParseError, SecurityError
from core.secure import cms


def test_wrong_private_key_is_a_security_error(pki):
    der = cms.encrypt(b"Content-Type: text/plain\r\n\r\nx\r\n", [pki.alice.cert])
    with pytest.raises(SecurityError, match="chiffré pour d'autres certificats"):
        cms.decrypt(der, [(pki.bob.key, pki.bob.cert)])
    with pytest.raises(SecurityError, match="le profil n'a pas de clé privée"):
        cms.decrypt(der, [])


def test_altered_gcm_ciphertext_is_detected(pki, openssl, tmp_path):
    src = tmp_path / "m.txt"
    src.write_bytes(b"Content-Type: text/plain\r\n\r\n" + b"resultat " * 50)
    der = openssl(
        "cms",
        "-encrypt",
        "-aes-256-gcm",
        "-recip",
        str(pki.bob.files["cert"]),
        "-in",
        str(src),
        "-outform",
        "DER",
    ).stdout
    at = der.index(der[-40:-20])  # inside the ciphertext, before the tag
    altered = der[:at] + bytes([der[at] ^ 1]) + der[at + 1 :]
    with pytest.raises(SecurityError, match="modifié en chemin"):
        cms.decrypt(altered, [(pki.bob.key, pki.bob.cert)])


def test_altered_cbc_ciphertext_never_passes_silently(pki):
    der = cms.encrypt(b"Content-Type: text/plain\r\n\r\n" + b"x" * 100, [pki.bob.cert])
    altered = der[:-1] + bytes([der[-1] ^ 0xFF])  # last block: the padding breaks
    with pytest.raises(SecurityError):
        cms.decrypt(altered, [(pki.bob.key, pki.bob.cert)])


def test_not_cms_and_detached_without_content_are_parse_errors(pki):
    with pytest.raises(ParseError):
        cms.content_type_of(b"hello")
    with pytest.raises(ParseError):
        cms.decrypt(b"\x30\x03\x02\x01\x00", [(pki.bob.key, pki.bob.cert)])
    from core.secure import smime

    signed = smime.sign(
        b"From: a@b.fr\r\nContent-Type: text/plain\r\n\r\nx\r\n", pki.alice.key, pki.alice.cert
    )
    import email

    der = email.message_from_bytes(signed).get_payload()[1].get_payload(decode=True)
    with pytest.raises(ParseError, match="ne contient que la signature, pas le texte signé"):
        cms.verify_signed_data(der)
