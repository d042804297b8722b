"""The assistant's account step against the real servers: address → SRV (dnsmasq) → connection test → PSC
(the stand-in's phone approves, the software's .p12 for mutual TLS) or password → login → saved."""

from __future__ import annotations

import pytest

from core.mailroom import Mailroom
from tests.servers.harness import DOMAIN, PSC_MTLS_CLIENT_ID, PSC_MTLS_PASSWORD
from tests.tui.test_flows import text_of, until
from tests.tui.test_setup import PASS, _at, _type, step_of
from tui.app import MissiveApp

pytestmark = pytest.mark.servers


@pytest.fixture
def trusted(mail_servers, monkeypatch):
    # The test CA stands for the operator's and PSC's chains, trusted system-wide.
    monkeypatch.setenv("SSL_CERT_FILE", str(mail_servers.ca_file))


async def test_account_by_address_and_psc(mail_servers, stand_in, dns_for, monkeypatch, tmp_path) -> None:
    from tests.lists.test_update import whitelist
    from tests.servers.files import FileServer

    files = FileServer(tmp_path / "files").start()
    files.serve("/liste.xml", whitelist(DOMAIN, "ch-exemple.fr"))
    bundle = (
        tmp_path / "cas.pem"
    )  # the operator's, PSC's and the whitelist server's chains, trusted system-wide
    bundle.write_bytes(mail_servers.ca_file.read_bytes() + files.ca_file.read_bytes())
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    monkeypatch.setenv("MISSIVE_WHITELIST_URL", files.url("/liste.xml"))
    national_id, address = mail_servers.add_psc_user()
    dns_for(
        [
            (f"_imap._tcp.{DOMAIN}", "localhost", mail_servers.imap_oauth_port, 0, 0),
            (f"_submission._tcp.{DOMAIN}", "localhost", mail_servers.submission_oauth_port, 0, 0),
        ]
    )
    monkeypatch.setenv("MISSIVE_PSC_ISSUER", mail_servers.psc.issuer)
    monkeypatch.setenv("MISSIVE_PSC_CLIENT_ID", PSC_MTLS_CLIENT_ID)
    p12 = tmp_path / "logiciel.p12"
    p12.write_bytes(mail_servers.psc_client_p12)
    stand_in.phone = "never"
    stand_in.request_lifetime = 60
    mailroom = Mailroom.create(tmp_path / "profile", PASS)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "account")
        await _type(pilot, address)
        await pilot.press("enter")
        await until(pilot, lambda: "Serveurs trouvés" in text_of(app, "#setup-message"), "servers found", 30)
        assert "(STARTTLS, DNS SRV) : certificat valide" in text_of(app, "#account-report")
        assert app.screen.query_one("#auth-psc").value  # bearer tokens only: PSC chosen
        await _type(pilot, national_id[1:])  # the RPPS as printed on the card
        await pilot.press("enter")
        await _type(pilot, str(p12))
        await pilot.press("enter")
        await _type(pilot, PSC_MTLS_PASSWORD)
        await pilot.press("enter")
        await until(pilot, lambda: "code" in text_of(app, "#setup-message"), "the e-CPS code", 30)
        assert stand_in.binding_messages[-1] in text_of(app, "#setup-message")
        assert mailroom.accounts.names() == []  # nothing saved before the login worked
        stand_in.phone = "approve"
        await until(pilot, lambda: step_of(app) == "smime", "the next step", 60)
        assert "connexion vérifiée" in text_of(app, "#setup-message")
        assert "Liste blanche mise à jour : 2 domaines" in text_of(app, "#setup-message")
    files.stop()
    assert mailroom.trust.is_allowed(f"labo@{DOMAIN}")  # fetched before the first sync
    account = mailroom.accounts.list()[0]
    assert account.auth == "psc" and account.psc_refresh_token and account.psc_login_hint == national_id
    assert account.imap_port == mail_servers.imap_oauth_port and account.psc_client_p12


async def test_account_by_address_and_password(mail_servers, dns_for, trusted, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("MISSIVE_WHITELIST_URL", "https://127.0.0.1:1/liste.xml")  # nothing listens there
    address = mail_servers.add_user("setup")
    dns_for(
        [
            (f"_imaps._tcp.{DOMAIN}", "localhost", mail_servers.imaps_port, 0, 0),
            (f"_submission._tcp.{DOMAIN}", "localhost", mail_servers.submission_port, 0, 0),
        ]
    )
    mailroom = Mailroom.create(tmp_path / "profile", PASS)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await _at(pilot, app, "account")
        await _type(pilot, address)
        await pilot.press("enter")
        await until(pilot, lambda: "Serveurs trouvés" in text_of(app, "#setup-message"), "servers found", 30)
        assert app.screen.query_one("#auth-password").value
        await _type(pilot, "pas le bon")
        await pilot.press("enter")
        await until(pilot, lambda: "refus" in text_of(app, "#setup-message"), "the refusal", 30)
        assert mailroom.accounts.names() == [] and step_of(app) == "account"
        app.screen.query_one("#account-password").value = mail_servers.password
        await pilot.press("enter")
        await until(pilot, lambda: step_of(app) == "smime", "the next step", 30)
        # the account is saved all the same; the whitelist waits for `trust update` or the daemon
        assert "Liste blanche non téléchargée" in text_of(app, "#setup-message")
    account = mailroom.accounts.list()[0]
    assert (account.imap_port, account.imap_security) == (mail_servers.imaps_port, "tls")
