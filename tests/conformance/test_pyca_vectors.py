"""CMS written by others: pyca/cryptography's PKCS#7 test vectors (an RSA-OAEP EnvelopedData made with
OpenSSL, and an application/pkcs7-mime "signed-data" that carries no content), through missive's readers."""

from __future__ import annotations

import base64
import io
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from core.secure import cms, smime
from core.secure.certs import load_certificate
from tests.conformance.test_clinical_corpus import DATA

PYCA = DATA / "pyca"


def _identity():
    key = load_pem_private_key((PYCA / "custom_ca_rsa_key.pem").read_bytes(), None)
    return key, load_certificate((PYCA / "custom_ca_rsa_ca.pem").read_bytes())


def test_rsa_oaep_enveloped_data_decrypts():
    """keyEncryptionAlgorithm rsaesOaep with an empty parameter SEQUENCE (the RFC 4055 defaults: SHA-1,
    MGF1-SHA-1), AES-128-CBC content, to "CN=cryptography CA" serial E712D3A0A56ED6C9: 'Hello, world!'."""
    pem = (PYCA / "enveloped-rsa-oaep.pem").read_text()
    der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
    assert cms.content_type_of(der) == "enveloped_data"
    assert bytes(cms.decrypt(der, [_identity()])) == b"Hello, world!"


def test_rsa_oaep_to_another_key_says_so():
    from core.errors import SecurityError

    other = load_certificate((DATA / "smime" / "TestCA.pem").read_bytes())
    pem = (PYCA / "enveloped-rsa-oaep.pem").read_text()
    der = base64.b64decode("".join(line for line in pem.splitlines() if not line.startswith("-----")))
    with pytest.raises(SecurityError, match="chiffré pour d'autres certificats"):
        cms.decrypt(der, [(_identity()[0], other)])


def test_signed_data_without_content_is_one_line_that_says_what_to_do(
    profile_dir: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
):
    """signed-opaque.msg: smime-type=signed-data, but the SignedData's eContent is absent (a detached
    signature sent as opaque; openssl cms -verify says 'no content'). What a doctor reads, in the app's
    reader and with `missive smime verify`: the message holds only the signature; ask for it again."""
    from core.errors import ParseError
    from tui.cli import main

    raw = (PYCA / "signed-opaque.msg").read_bytes()
    expected = (
        "le message ne contient que la signature, pas le texte signé : demandez à l'expéditeur de le renvoyer"
    )
    with pytest.raises(ParseError) as info:
        smime.open_message(raw, smime.StaticKeys([], []))
    assert str(info.value) == expected
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "correct horse battery staple")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["--profile", str(profile_dir), "init"]) == 0
    capsysbinary.readouterr()
    code = main(["--profile", str(profile_dir), "smime", "verify", str(PYCA / "signed-opaque.msg")])
    out, err = (s.decode() for s in capsysbinary.readouterr())
    assert code != 0 and "Traceback" not in err
    assert (out + err).strip() == f"missive : {expected}"
