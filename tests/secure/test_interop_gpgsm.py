"""Interoperability with GnuPG's gpgsm, in a throwaway GNUPGHOME."""

from __future__ import annotations

import email
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from core.secure import smime

pytestmark = pytest.mark.skipif(shutil.which("gpgsm") is None, reason="gpgsm is not installed")


@pytest.fixture
def gnupg(tmp_path: Path, pki):
    home = tmp_path / "gnupg"
    home.mkdir(mode=0o700)
    (home / "gpgsm.conf").write_text("disable-crl-checks\ndisable-policy-checks\n")
    env = dict(os.environ, GNUPGHOME=str(home))

    def run(*args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run(
            ["gpgsm", "--batch", *args], input=input, capture_output=True, env=env, timeout=60
        )

    assert run("--import", str(pki.root.files["cert"]), str(pki.inter.files["cert"])).returncode == 0
    root_fpr = (
        pki.root.cert.fingerprint(__import__("cryptography").hazmat.primitives.hashes.SHA1()).hex().upper()
    )
    (home / "trustlist.txt").write_text(f"{root_fpr} S\n")
    yield run
    subprocess.run(["gpgconf", "--kill", "all"], env=env, capture_output=True, timeout=30)


def test_missive_opaque_signature_verifies_with_gpgsm(pki, message, gnupg, tmp_path):
    signed = smime.sign(message, pki.alice.key, pki.alice.cert, [pki.inter.cert], detached=False)
    der = email.message_from_bytes(signed).get_payload(decode=True)
    (tmp_path / "msg.p7m").write_bytes(der)
    proc = gnupg("--verify", str(tmp_path / "msg.p7m"))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert b"Good signature" in proc.stderr


def test_missive_detached_signature_verifies_with_gpgsm(pki, message, gnupg, tmp_path):
    signed = smime.sign(message, pki.alice.key, pki.alice.cert, [pki.inter.cert])
    parsed = email.message_from_bytes(signed)
    boundary = parsed.get_boundary().encode()
    body = signed.split(b"\r\n\r\n", 1)[1]
    first = body.split(b"--" + boundary + b"\r\n", 2)[1]
    content = first[: first.rindex(b"\r\n")]  # the CRLF before the next delimiter is not signed
    sig = parsed.get_payload()[1].get_payload(decode=True)
    (tmp_path / "content").write_bytes(content)
    (tmp_path / "sig.p7s").write_bytes(sig)
    proc = gnupg("--verify", str(tmp_path / "sig.p7s"), str(tmp_path / "content"))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    tampered = content.replace(b"Veuillez", b"Veuillex")
    (tmp_path / "content").write_bytes(tampered)
    assert gnupg("--verify", str(tmp_path / "sig.p7s"), str(tmp_path / "content")).returncode != 0


def test_gpgsm_encrypted_is_read_by_missive(pki, message, gnupg, tmp_path, bob_keys):
    assert gnupg("--import", str(pki.bob.files["cert"])).returncode == 0
    (tmp_path / "msg.eml").write_bytes(message)
    proc = gnupg(
        "--encrypt", "-r", "bob@clinique.test", "-o", str(tmp_path / "out.p7m"), str(tmp_path / "msg.eml")
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    der = (tmp_path / "out.p7m").read_bytes()
    wrapped = smime._wrap_pkcs7_mime(
        [b"From: alice@hopital.test", b"To: bob@clinique.test"], der, "enveloped-data"
    )
    opened = smime.open_message(wrapped, bob_keys)
    assert opened.encrypted and opened.decrypted
    assert b"Veuillez trouver" in opened.inner_mime_bytes
