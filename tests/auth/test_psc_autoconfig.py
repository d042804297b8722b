"""`missive account add cab --email ADDR` and nothing else: the servers come from DNS SRV (dnsmasq), the
connection test shows what works, the login is Pro Santé Connect (the stand-in's phone approves), then a sync."""

from __future__ import annotations

import json

import pytest

from tests.mail.helpers import letter
from tests.servers.harness import DOMAIN, PSC_CLIENT_ID, PSC_CLIENT_SECRET

pytestmark = pytest.mark.servers


def test_account_add_with_an_address_only(
    cli, dns_for, mail_servers, stand_in, monkeypatch, profile_dir
) -> None:
    national_id, address = mail_servers.add_psc_user()
    mail_servers.deliver(address, letter("Trouvé par SRV"))
    dns_for(
        [
            (f"_imap._tcp.{DOMAIN}", "localhost", mail_servers.imap_oauth_port, 0, 0),
            (f"_submission._tcp.{DOMAIN}", "localhost", mail_servers.submission_oauth_port, 0, 0),
        ]
    )
    # The test CA stands for the operator's chain, trusted system-wide (as IGC-Santé would be once imported).
    monkeypatch.setenv("SSL_CERT_FILE", str(mail_servers.ca_file))
    monkeypatch.setenv("MISSIVE_PSC_CLIENT_SECRET", PSC_CLIENT_SECRET)
    assert cli("init")[0] == 0
    settings = profile_dir / "profile.toml"
    text = settings.read_text("utf-8")
    text = text.replace('rpps = ""', f'rpps = "{national_id[1:]}"', 1)
    text = text.replace('issuer = ""', f'issuer = "{mail_servers.psc.issuer}"', 1)
    text = text.replace('client_id = ""', f'client_id = "{PSC_CLIENT_ID}"', 1)
    settings.write_text(text, "utf-8")

    code, out, err = cli("account", "add", "cab", "--email", address)
    assert code == 0, err
    assert f"IMAP localhost:{mail_servers.imap_oauth_port} (STARTTLS, DNS SRV) : certificat valide" in out
    assert "XOAUTH2" in out and "Validez la connexion sur votre application e-CPS : code" in out
    listed = json.loads(cli("account", "list", "--json")[1].splitlines()[0])
    assert listed["auth"] == "psc" and listed["imap_port"] == mail_servers.imap_oauth_port
    assert listed["psc_login_hint"] == national_id and listed["psc_logged_in"] is True
    code, out, err = cli("sync")
    assert code == 0, err
    subjects = [json.loads(line)["subject"] for line in cli("messages", "list", "--json")[1].splitlines()]
    assert subjects == ["Trouvé par SRV"]


def test_no_server_found_is_one_line_and_nothing_saved(cli, dns_for, monkeypatch) -> None:
    dns_for([("_imap._tcp.introuvable.test", "localhost", 1, 0, 0)])
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", "x")
    assert cli("init")[0] == 0
    code, out, err = cli("account", "add", "cab", "--email", "dr@introuvable.test")
    assert code == 1 and err.count("\n") == 1 and "aucun serveur IMAP et SMTP utilisable" in err
    assert cli("account", "list")[1].startswith("aucun compte")
