"""Through the real servers: an encrypted letter is unreadable in the colleague's Maildir, readable in missive."""

from __future__ import annotations

import smtplib
import ssl
import time

import pytest

from core.secure import smime
from core.secure.keystore import KeyStore
from tests.secure.pki import make_user

pytestmark = pytest.mark.servers


def _wait_for_file(folder, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        files = [p for sub in ("new", "cur") for p in (folder / sub).glob("*") if p.is_file()]
        if files:
            return files[0]
        time.sleep(0.05)
    raise AssertionError(f"nothing delivered to {folder} within {timeout} s")


def test_encrypted_letter_is_stored_unreadable_and_opened_by_the_colleague(mail_servers, pki, standin):
    sender = mail_servers.add_user("sender")
    colleague = mail_servers.add_user("colleague")
    letter = (
        f"From: {sender}\r\nTo: {colleague}\r\nSubject: Compte rendu\r\nMessage-ID: <srv-1@missive.test>\r\n"
        "X-MSS-NIL: DEV0000001\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        "Glycemie a jeun 1,32 g/L, a controler.\r\n"
    ).encode()
    # the sender's missive knows the colleague's certificate (harvested or imported)
    keys = KeyStore(standin)
    keys.set_identity(pki.alice.key, pki.alice.cert)
    mate = make_user("Colleague", [colleague], pki.inter)
    keys.add_cert(mate.cert)
    recipients = keys.recipient_certs([colleague])
    wire = smime.encrypt(letter, recipients)

    context = ssl.create_default_context(cafile=str(mail_servers.ca_file))
    with smtplib.SMTP(mail_servers.host, mail_servers.submission_port, timeout=30) as smtp:
        smtp.starttls(context=context)
        smtp.login(sender, mail_servers.password)
        smtp.sendmail(sender, [colleague], wire)

    stored = _wait_for_file(mail_servers.maildir_of(colleague)).read_bytes()
    assert b"Glycemie" not in stored and b"1,32" not in stored
    assert b"X-MSS-NIL: DEV0000001" in stored and b"smime-type=enveloped-data" in stored

    opened = smime.open_message(stored, smime.StaticKeys([(mate.key, mate.cert)], [pki.root.cert]))
    assert opened.encrypted and opened.decrypted
    assert b"Glycemie a jeun 1,32 g/L" in opened.inner_mime_bytes
