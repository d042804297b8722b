"""Each TLS refusal is one French line naming its cause, for SMTP and IMAP, STARTTLS and implicit TLS; a 454
answer to STARTTLS is not "the server refused the letter"; nothing but the handshake crossed in clear."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import TransportError
from core.mail.account import Account
from core.mail.imap import ImapClient
from core.mail.smtp import submit
from tests.send.tlsfake import FakeServer, make_certs

CAUSES = {
    "expired": "le certificat du serveur a expiré",
    "unknown-ca": "le certificat du serveur ne vient pas d'une autorité de confiance",
    "other-host": "le certificat du serveur est établi pour un autre nom d'hôte",
    "tls1.1": "échec de la négociation TLS",
    "454": "le serveur a refusé de passer en TLS (STARTTLS : ",
}


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("tls"))


def _account(port: int, security: str, ca_file: Path) -> Account:
    return Account(
        name="cabinet",
        email="dr.martin@exemple.fr",
        imap_host="127.0.0.1",
        imap_port=port,
        imap_security=security,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_security=security,
        user="dr.martin@exemple.fr",
        password="le-mot-de-passe",
        ca_file=str(ca_file),
    )


CASES = [
    (protocol, security, case)
    for protocol in ("smtp", "imap")
    for security in ("starttls", "tls")
    for case in CAUSES
    if not (case == "454" and security == "tls")
]


@pytest.mark.parametrize(("protocol", "security", "case"), CASES)
async def test_a_tls_refusal_names_its_cause(certs, protocol: str, security: str, case: str) -> None:
    ctx = certs.contexts["good" if case == "454" else case]
    refuse = "454 4.7.0 TLS not available due to local problem" if case == "454" else None
    async with FakeServer(protocol, ctx, implicit=security == "tls", refuse=refuse) as server:
        account = _account(server.port, security, certs.ca_file)
        with pytest.raises(TransportError) as info:
            if protocol == "smtp":
                await submit(account, b"Subject: x\r\n\r\nx\r\n", account.email, ["c@d.fr"], timeout=10)
            else:
                await ImapClient(account, timeout=10).connect()
    text = str(info.value)
    assert CAUSES[case] in text and "\n" not in text, text
    assert f"127.0.0.1:{server.port}" in text
    assert "refusé la lettre" not in text and "connexion impossible" not in text and "perdue" not in text
    clear = bytes(server.received).upper()
    assert b"AUTH" not in clear and b"LOGIN" not in clear and b"MAIL FROM" not in clear
    assert b"le-mot-de-passe".upper() not in clear


async def test_a_temporary_starttls_refusal_leaves_the_letter_for_a_retry(certs) -> None:
    async with FakeServer(
        "smtp", certs.contexts["good"], implicit=False, refuse="454 4.7.0 try later"
    ) as server:
        with pytest.raises(TransportError) as info:
            await submit(_account(server.port, "starttls", certs.ca_file), b"x", "a@b.fr", ["c@d.fr"])
    assert info.value.permanent is False and "réessayez plus tard" in str(info.value)
