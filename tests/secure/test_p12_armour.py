"""A PKCS#12 published as text, '-----BEGIN PKCS12-----' (the IETF LAMPS example identities: RFC 9216's,
the protected-headers test vectors' bob.p12): imported like the binary file it wraps."""

from __future__ import annotations

import base64
import io
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from core.errors import ParseError
from core.secure import p12
from tests.conformance.test_smime_corpus import SMIME


def _armoured(der: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(der).decode(), 64))
    return f"-----BEGIN PKCS12-----\n{body}\n-----END PKCS12-----\n".encode()


def test_armoured_pkcs12_loads_as_the_binary_one():
    der = (SMIME / "Bob.p12").read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        bundle = p12.load(_armoured(der), b"nss")
    assert bundle.cert is not None and bundle.key is not None
    assert bundle.cert.certificate == p12.load(der, b"nss").cert.certificate  # type: ignore[union-attr]


def test_other_pem_and_damaged_armour_are_one_line():
    with pytest.raises(ParseError, match="PEM"):
        p12.load((SMIME / "TestCA.pem").read_bytes(), b"nss")  # a certificate, not an identity
    with pytest.raises(ParseError, match="n'est pas un PKCS#12"):
        p12.load(b"-----BEGIN PKCS12-----\n@@@ pas du base64 @@@\n-----END PKCS12-----\n", b"x")


def test_missive_keys_import_takes_it(
    profile_dir: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes], tmp_path
):
    from tui.cli import main

    armoured = tmp_path / "bob.p12"
    armoured.write_bytes(_armoured((SMIME / "Bob.p12").read_bytes()))
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "correct horse battery staple")
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "nss")
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    assert main(["--profile", str(profile_dir), "init"]) == 0
    capsysbinary.readouterr()
    assert main(["--profile", str(profile_dir), "keys", "import", str(armoured)]) == 0
    out = capsysbinary.readouterr().out.decode()
    assert "bob@example.com" in out.lower()
