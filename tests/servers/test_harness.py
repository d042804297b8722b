"""The suite's mail servers behave as the integration tests assume."""

from __future__ import annotations

import imaplib
import smtplib
import ssl

import pytest

from core.mail.tls import client_context

pytestmark = pytest.mark.servers


def test_delivery_lands_in_the_users_maildir(mail_servers) -> None:
    before = len(list((mail_servers.maildir_of("bob") / "new").glob("*")))
    mail_servers.deliver("bob", b"Subject: harness\r\n\r\nhello\r\n")
    assert len(list((mail_servers.maildir_of("bob") / "new").glob("*"))) == before + 1


def test_starttls_port_offers_starttls_and_plain_port_does_not(mail_servers) -> None:
    with imaplib.IMAP4(mail_servers.host, mail_servers.imap_port) as m:
        assert "STARTTLS" in m.capabilities
    with imaplib.IMAP4(mail_servers.host, mail_servers.imap_plain_port) as m:
        assert "STARTTLS" not in m.capabilities
    with smtplib.SMTP(mail_servers.host, mail_servers.submission_plain_port) as c:
        c.ehlo()
        assert not c.has_extn("starttls")


def test_client_certificate_user_needs_the_certificate(mail_servers) -> None:
    user = mail_servers.address(mail_servers.client_cert_user)
    with_cert = client_context(
        mail_servers.ca_file, mail_servers.client_p12, mail_servers.client_cert_password
    )
    with imaplib.IMAP4_SSL(mail_servers.host, mail_servers.imaps_port, ssl_context=with_cert) as m:
        assert m.login(user, mail_servers.password)[0] == "OK"
    with imaplib.IMAP4_SSL(
        mail_servers.host, mail_servers.imaps_port, ssl_context=client_context(mail_servers.ca_file)
    ) as m:
        with pytest.raises(imaplib.IMAP4.error):
            m.login(user, mail_servers.password)


def test_wronghost_port_presents_a_certificate_for_another_name(mail_servers) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        imaplib.IMAP4_SSL(
            mail_servers.host,
            mail_servers.imaps_wronghost_port,
            ssl_context=client_context(mail_servers.ca_file),
        )


def test_submission_relays_to_the_recipients_mailbox(mail_servers) -> None:
    box = mail_servers.maildir_of("carol") / "new"
    before = len(list(box.glob("*")))
    with smtplib.SMTP(mail_servers.host, mail_servers.submission_port) as c:
        c.starttls(context=client_context(mail_servers.ca_file))
        c.login(mail_servers.address("alice"), mail_servers.password)
        c.sendmail(mail_servers.address("alice"), [mail_servers.address("carol")], b"Subject: s\r\n\r\nx\r\n")
    import time

    deadline = time.monotonic() + 10
    while len(list(box.glob("*"))) == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(list(box.glob("*"))) == before + 1
