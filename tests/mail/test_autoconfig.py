"""Autoconfiguration: SRV records served by dnsmasq, the usual names as a fallback, and a connection test
against the real Dovecot/Postfix before anything is saved."""

from __future__ import annotations

import asyncio

import pytest

from core.mail import autoconfig

DOMAIN = "cabinet-srv.test"


def test_srv_records_in_priority_order(dns_for) -> None:
    dns_for(
        [
            (f"_imap._tcp.{DOMAIN}", "imap2.example.test", 143, 20, 0),
            (f"_imap._tcp.{DOMAIN}", "imap1.example.test", 143, 10, 0),
            (f"_imaps._tcp.{DOMAIN}", "imaps.example.test", 993, 10, 0),
            (f"_submission._tcp.{DOMAIN}", "smtp.example.test", 587, 0, 0),
            (f"_submissions._tcp.{DOMAIN}", ".", 0, 0, 0),  # explicitly not offered
        ]
    )
    found = autoconfig.srv_candidates(DOMAIN)
    assert [(c.protocol, c.host, c.port, c.security) for c in found] == [
        ("imap", "imaps.example.test", 993, "tls"),
        ("imap", "imap1.example.test", 143, "starttls"),
        ("imap", "imap2.example.test", 143, "starttls"),
        ("smtp", "smtp.example.test", 587, "starttls"),
    ]
    assert autoconfig.srv_candidates("sans-srv.test") == []


def test_without_srv_the_usual_names_are_tried(dns_for, monkeypatch) -> None:
    dns_for([])
    tried: list[tuple[str, int]] = []

    async def refuse(candidate, ca_file=None, timeout=0.0):
        tried.append((candidate.host, candidate.port))
        return autoconfig.Probe(candidate, False, error="connexion refusée")

    monkeypatch.setattr(autoconfig, "probe_imap", refuse)
    monkeypatch.setattr(autoconfig, "probe_smtp", refuse)
    found = asyncio.run(autoconfig.autoconfigure("dr@exemple-sans-srv.test"))
    assert not found.complete and not found.from_srv
    assert tried[:2] == [("imap.exemple-sans-srv.test", 143), ("imap.exemple-sans-srv.test", 993)]
    assert ("smtp.exemple-sans-srv.test", 587) in tried and ("mail.exemple-sans-srv.test", 465) in tried
    with pytest.raises(Exception) as caught:
        autoconfig.require(found)
    assert "aucun serveur IMAP et SMTP utilisable" in str(caught.value)


@pytest.mark.servers
def test_srv_then_connection_test_reports_what_works(dns_for, mail_servers) -> None:
    dns_for(
        [
            # first choice: a server whose certificate names another host; the test must move on
            (f"_imaps._tcp.{DOMAIN}", "localhost", mail_servers.imaps_wronghost_port, 0, 0),
            (f"_imap._tcp.{DOMAIN}", "localhost", mail_servers.imap_oauth_port, 10, 0),
            (f"_submission._tcp.{DOMAIN}", "localhost", mail_servers.submission_oauth_port, 0, 0),
        ]
    )
    found = asyncio.run(autoconfig.autoconfigure(f"dr@{DOMAIN}", str(mail_servers.ca_file)))
    assert found.complete and found.from_srv
    assert (found.imap.candidate.port, found.imap.candidate.security) == (
        mail_servers.imap_oauth_port,
        "starttls",
    )
    assert set(found.imap.mechanisms) == {"XOAUTH2", "OAUTHBEARER"}
    assert {"XOAUTH2", "OAUTHBEARER"} <= set(found.smtp.mechanisms)
    assert found.bearer_offered()
    report = found.report()
    assert "établi pour un autre nom d'hôte" in report[0]
    assert report[1].startswith(
        f"IMAP localhost:{mail_servers.imap_oauth_port} (STARTTLS, DNS SRV) : certificat valide"
    )


@pytest.mark.servers
def test_an_untrusted_certificate_is_reported(dns_for, mail_servers) -> None:
    dns_for([(f"_imaps._tcp.{DOMAIN}", "localhost", mail_servers.imaps_port, 0, 0)])
    probe = asyncio.run(autoconfig.probe_imap(autoconfig.srv_candidates(DOMAIN)[0]))  # system store only
    assert not probe.ok and "autorité de confiance" in probe.error


@pytest.mark.parametrize(
    "typed",
    [
        "dr.martin@@cabinet.fr",
        "dr martin@cabinet.fr",
        "dr.martin@cabinet..fr",
        "@cabinet.fr",
        "dr.martin@cabinet",
    ],
)
def test_a_mistyped_address_is_said_before_any_server_is_looked_for(
    typed: str, tmp_path, monkeypatch, capsys
) -> None:
    """`missive account add --email` with a typo: one line, exit 2, no search of a mangled domain's servers
    (with 'dr.martin@@cabinet.fr' it looked for cabinet.fr's servers, twelve lines of failures), nothing saved."""
    from core.mailroom import Mailroom
    from tui.cli import main

    Mailroom.create(tmp_path / "p", "phrase de passe de test assez longue")
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "phrase de passe de test assez longue")
    monkeypatch.setattr(autoconfig, "srv_candidates", lambda *a, **k: pytest.fail("servers looked for"))
    code = main(["--profile", str(tmp_path / "p"), "account", "add", "cab", "--email", typed])
    out, err = capsys.readouterr()
    assert code == 2
    assert err.strip().splitlines() == [f"missive : {typed!r} n'est pas une adresse comme nom@domaine.fr"]
    assert "recherche" not in out
    assert Mailroom.open(tmp_path / "p", "phrase de passe de test assez longue").account_names() == []


def test_servers_named_by_dns_in_another_domain_are_said_before_the_password(dns_for, monkeypatch) -> None:
    """RFC 6186 §6: an SRV answer is not signed, and its target is checked against its own certificate only. A
    forged answer for cabinet.fr naming the attacker's server (with a valid certificate of its own) was taken
    silently: the password typed next went to it. The report now names such servers and says to check them
    with the operator; servers of the address's own domain (or of its parent, mssante.fr for
    medecin.mssante.fr) are not flagged."""

    async def accept(candidate, ca_file=None, timeout=0.0):
        return autoconfig.Probe(candidate, True, ("PLAIN",))

    monkeypatch.setattr(autoconfig, "probe_imap", accept)
    monkeypatch.setattr(autoconfig, "probe_smtp", accept)
    dns_for(
        [
            ("_imaps._tcp.cabinet-faux.test", "imap.attaquant.example", 993, 0, 0),
            ("_submission._tcp.cabinet-faux.test", "smtp.cabinet-faux.test", 587, 0, 0),
            ("_imaps._tcp.medecin.operateur.test", "imap.operateur.test", 993, 0, 0),
            ("_submissions._tcp.medecin.operateur.test", "smtp.medecin.operateur.test", 465, 0, 0),
        ]
    )
    found = asyncio.run(autoconfig.autoconfigure("dr@cabinet-faux.test"))
    assert found.complete and found.foreign_servers() == ["imap.attaquant.example"]
    last = found.report()[-1]
    assert "imap.attaquant.example" in last and "cabinet-faux.test" in last and "vérifiez" in last
    found = asyncio.run(autoconfig.autoconfigure("dr@medecin.operateur.test"))
    assert found.complete and found.foreign_servers() == []
    assert all("vérifiez" not in line for line in found.report())


def test_a_domain_that_does_not_exist_is_said_in_one_line(tmp_path, monkeypatch, capsys) -> None:
    """A domain no DNS knows ('.invalid' never resolves, RFC 2606): the line says the domain does not exist (a
    typo, most likely) rather than 'no usable server found; give --imap and --smtp'; nothing saved."""
    from core.mailroom import Mailroom
    from tui.cli import main

    Mailroom.create(tmp_path / "p", "phrase de passe de test assez longue")
    monkeypatch.setenv("MISSIVE_PASSPHRASE", "phrase de passe de test assez longue")
    monkeypatch.setattr(autoconfig, "srv_candidates", lambda domain: [])  # no SRV record (no DNS server needed)
    code = main(["--profile", str(tmp_path / "p"), "account", "add", "cab", "--email", "dr@cabinet.invalid"])
    _, err = capsys.readouterr()
    assert code == 1
    assert err.strip().splitlines() == [
        "missive : le domaine cabinet.invalid n'existe pas (aucun de ses serveurs n'est connu du DNS) : vérifiez "
        "l'adresse, une faute de frappe est probable"
    ]
    assert Mailroom.open(tmp_path / "p", "phrase de passe de test assez longue").account_names() == []
