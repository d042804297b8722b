"""What another client writes, through the real Postfix and Dovecot, read by missive after a sync.

openssl plays the sender's client: it signs without attaching any certificate (``cms -sign -nocerts``, as
clients do that send their certificate once), then encrypts with AES-256-GCM (AuthEnvelopedData) for the
colleague. The colleague's missive, which holds the sender's certificate (``missive keys add-cert``) and
the authority in its own .p12 chain, syncs and shows the letter with a valid signature.
"""

from __future__ import annotations

import json
import smtplib
import ssl
import subprocess
from pathlib import Path

import pytest

from tests.send.test_facade_servers import _wait_for_delivery, doctors  # noqa: F401  (the fixture)

pytestmark = pytest.mark.servers


def _openssl(*args: str) -> bytes:
    proc = subprocess.run(["openssl", *args], capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return proc.stdout


def test_a_letter_signed_without_certificates_and_encrypted_by_openssl_reads_valid_after_sync(
    doctors,  # noqa: F811
    mail_servers,
) -> None:
    folder: Path = doctors.folder
    sender, colleague = doctors.addresses["sender"], doctors.addresses["colleague"]
    pem = folder / "sender.pem"
    key = folder / "sender.key"
    key.write_bytes(
        _openssl("pkcs12", "-in", str(folder / "sender.p12"), "-nocerts", "-nodes", "-passin", "pass:p12")
    )
    letter = folder / "letter.eml"
    letter.write_bytes(
        f"From: {sender}\r\nTo: {colleague}\r\nSubject: Compte rendu\r\nMessage-ID: <ossl-1@missive.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        "Cher confr=C3=A8re, la glyc=C3=A9mie =C3=A0 jeun est =C3=A0 1,32 g/L.\r\n".encode()
    )
    signed = folder / "signed.eml"
    signed.write_bytes(
        _openssl("cms", "-sign", "-nocerts", "-in", str(letter), "-signer", str(pem), "-inkey", str(key))
    )
    wire = _openssl(
        "cms", "-encrypt", "-aes-256-gcm", "-in", str(signed), "-recip", str(folder / "colleague.pem"),
        "-from", sender, "-to", colleague, "-subject", "Compte rendu",
    )  # fmt: skip
    assert b"1,32" not in wire

    context = ssl.create_default_context(cafile=str(mail_servers.ca_file))
    with smtplib.SMTP(mail_servers.host, mail_servers.submission_port, timeout=30) as smtp:
        smtp.starttls(context=context)
        smtp.login(sender, mail_servers.password)
        smtp.sendmail(sender, [colleague], wire)
    assert b"1,32" not in _wait_for_delivery(mail_servers.maildir_of(colleague))

    assert doctors("colleague", "keys", "add-cert", str(pem))[0] == 0
    assert doctors("colleague", "sync")[0] == 0
    code, out, err = doctors("colleague", "messages", "list", "--json")
    assert code == 0, err
    [listed] = [json.loads(line) for line in out.splitlines()]
    assert listed["encrypted"] is True and listed["signed"] is True
    code, out, err = doctors("colleague", "messages", "show", listed["id"])
    assert code == 0, err
    assert "la glycémie à jeun est à 1,32 g/L." in out
    assert f"Signé par : {sender} — signature valide" in out
