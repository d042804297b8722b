"""A first start under tmux at 80x24, keyboard only, no CLI command: the assistant creates the profile, finds the
servers of the address by SRV (dnsmasq), logs in with Pro Santé Connect (the stand-in's phone approves; the
software's .p12 for mutual TLS), fetches the MSSanté whitelist, imports an S/MIME .p12, skips the rest, and ends on
the synced inbox with the letter in Réception."""

from __future__ import annotations

import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tests.mail.helpers import letter
from tests.servers.harness import DOMAIN, PSC_MTLS_CLIENT_ID, PSC_MTLS_PASSWORD
from tests.servers.pki import TestCA
from tests.tui.test_tmux_demo import MISSIVE, Tmux

pytestmark = [
    pytest.mark.servers,
    pytest.mark.slow,
    pytest.mark.skipif(
        shutil.which("tmux") is None, reason="tmux is not installed (make sysdeps installs it)"
    ),
    pytest.mark.skipif(not MISSIVE.exists(), reason="missive is not installed in .venv (make installs it)"),
]

PASS = "quatre mots pour le cabinet"


def test_first_start_to_a_synced_inbox_with_psc(mail_servers, stand_in, dns_for, tmp_path: Path) -> None:
    national_id, address = mail_servers.add_psc_user()
    mail_servers.deliver(address, letter("Bienvenue sur MSSante"))
    dns = dns_for(
        [
            (f"_imap._tcp.{DOMAIN}", "localhost", mail_servers.imap_oauth_port, 0, 0),
            (f"_submission._tcp.{DOMAIN}", "localhost", mail_servers.submission_oauth_port, 0, 0),
        ]
    )
    software_p12 = tmp_path / "logiciel.p12"
    software_p12.write_bytes(mail_servers.psc_client_p12)
    smime_p12 = tmp_path / "moi.p12"
    smime_p12.write_bytes(TestCA(tmp_path / "ca").client_p12(address, "smime-pass"))
    stand_in.phone, stand_in.request_lifetime = "never", 120
    from tests.lists.test_update import whitelist
    from tests.servers.files import FileServer

    files = FileServer(tmp_path / "files").start()  # the whitelist's publisher
    files.serve("/listeblanchemssante.xml", whitelist(DOMAIN))
    bundle = tmp_path / "cas.pem"  # the test CAs stand for the operator's, PSC's and the publisher's chains
    bundle.write_bytes(mail_servers.ca_file.read_bytes() + files.ca_file.read_bytes())
    (tmp_path / "tmp").mkdir()
    profile = tmp_path / "profile"
    env = " ".join(
        f"{k}={v}"
        for k, v in {
            "HOME": tmp_path,
            "TMPDIR": tmp_path / "tmp",
            "LANG": "C.UTF-8",
            "MISSIVE_KDF": "floor",
            "MISSIVE_DNS_SERVER": dns.address,  # the test's resolver
            "SSL_CERT_FILE": bundle,
            "MISSIVE_WHITELIST_URL": files.url("/listeblanchemssante.xml"),  # a mirror of the published list
            "MISSIVE_PSC_ISSUER": mail_servers.psc.issuer,  # the deployment's PSC registration
            "MISSIVE_PSC_CLIENT_ID": PSC_MTLS_CLIENT_ID,
        }.items()
    )
    command = f"env {env} {MISSIVE} --profile {profile}; echo EXITED $?; sleep 30"
    session = f"missive-test-{uuid.uuid4().hex[:8]}"
    tmux = Tmux(session)
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "80", "-y", "24", command], check=True)
    try:
        tmux.wait_for("Assistant de configuration", "étape 1/6 : phrase de passe")
        tmux.type(PASS)
        tmux.wait_for("Solidité : très bonne")
        tmux.keys("Enter")
        tmux.type(PASS)
        tmux.keys("Enter")
        tmux.wait_for("étape 2/6 : compte de messagerie", timeout=90)
        tmux.type(address)
        tmux.keys("Enter")
        tmux.wait_for("Serveurs trouvés")
        tmux.type(national_id[1:])  # the RPPS as printed on the card
        tmux.keys("Enter")
        tmux.type(str(software_p12))  # the software's certificate for mutual TLS with PSC
        tmux.keys("Enter")
        tmux.type(PSC_MTLS_PASSWORD)
        tmux.keys("Enter")
        screen = tmux.wait_for("Validez la connexion sur votre application e-CPS : code")
        assert stand_in.binding_messages[-1] in screen  # the code on the phone is the one on screen
        stand_in.phone = "approve"
        tmux.wait_for("étape 3/6 : identité S/MIME", "connexion vérifiée")
        tmux.type(str(smime_p12))
        tmux.keys("Enter")
        tmux.type("smime-pass")
        tmux.keys("Enter")
        tmux.wait_for("étape 4/6", f"Identité S/MIME importée : {address}")
        for step in ("5/6", "6/6"):
            tmux.keys("Escape")
            tmux.wait_for(f"étape {step}")
            time.sleep(0.6)  # tmux holds a lone Escape for escape-time: never two within it
        tmux.keys("Escape")
        # the inbox, synced with the PSC login; the whitelist fetched during set-up puts the letter in Réception
        tmux.wait_for("Réception", "en ligne", "Bienvenue sur MSSante", timeout=90)
        tmux.keys("C-q")
        tmux.wait_for("EXITED 0", timeout=30)
    finally:
        tmux.run("kill-session", "-t", session)
        files.stop()
    log = (profile / "missive.log").read_text()
    assert "psc: login approved" in log and "Traceback" not in log
