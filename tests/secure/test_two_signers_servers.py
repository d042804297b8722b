"""A letter two people signed (`openssl cms -sign` with two `-signer`), sent through the real Postfix and read by
the colleague's missive after a sync with the real Dovecot: each signer's verdict is said (`messages show`, its
JSON), the letter is valid only when every signer is, and the list's JSON gives the letter's verdict."""

from __future__ import annotations

import json
import smtplib
import ssl
import time
from pathlib import Path

import pytest

from tests.secure.test_interop_servers import _openssl
from tests.send.test_facade_servers import _wait_for_delivery, doctors  # noqa: F401  (the fixture)

pytestmark = pytest.mark.servers


def test_each_signer_of_a_letter_signed_twice_is_said_after_a_sync(doctors, mail_servers) -> None:  # noqa: F811
    folder: Path = doctors.folder
    sender, colleague = doctors.addresses["sender"], doctors.addresses["colleague"]
    key = folder / "sender.key"
    key.write_bytes(
        _openssl("pkcs12", "-in", str(folder / "sender.p12"), "-nocerts", "-nodes", "-passin", "pass:p12")
    )
    pki = folder / "pki"
    co_signers = {"stranger": pki / "stranger", "alice": pki / "alice"}  # an unknown authority's; a trusted one's
    context = ssl.create_default_context(cafile=str(mail_servers.ca_file))
    for n, (who, co) in enumerate(co_signers.items(), 1):
        letter = folder / f"letter{n}.eml"
        letter.write_bytes(
            f"From: {sender}\r\nTo: {colleague}\r\nSubject: Cosigne {who}\r\nMessage-ID: <two-{n}@missive.test>\r\n"
            "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCompte rendu cosigne.\r\n".encode()
        )
        wire = _openssl(
            "cms", "-sign", "-in", str(letter), "-signer", str(folder / "sender.pem"), "-inkey", str(key),
            "-signer", f"{co}.crt", "-inkey", f"{co}.key", "-from", sender, "-to", colleague,
            "-subject", f"Cosigne {who}",
        )  # fmt: skip
        with smtplib.SMTP(mail_servers.host, mail_servers.submission_port, timeout=30) as smtp:
            smtp.starttls(context=context)
            smtp.login(sender, mail_servers.password)
            smtp.sendmail(sender, [colleague], wire)
    box = mail_servers.maildir_of(colleague)
    _wait_for_delivery(box)
    for _ in range(600):  # both delivered (the second may follow the first by a moment)
        if len([p for sub in ("new", "cur") if (box / sub).is_dir() for p in (box / sub).iterdir()]) >= 2:
            break
        time.sleep(0.05)

    assert doctors("colleague", "sync")[0] == 0
    code, out, err = doctors("colleague", "messages", "list", "--json")
    assert code == 0, err
    listed = {row["subject"]: row for row in map(json.loads, out.splitlines())}
    assert set(listed) == {"Cosigne stranger", "Cosigne alice"}
    assert all(row["signed"] for row in listed.values())
    code, out, err = doctors("colleague", "messages", "show", listed["Cosigne stranger"]["id"], "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["signature"]["valid"] is False and shown["signature"]["reason"] == "sig.chain-untrusted"
    assert sorted((s["signer"], s["valid"]) for s in shown["signers"]) == sorted(
        [("sam@ailleurs.test", False), (sender, True)]
    )

    code, out, err = doctors("colleague", "messages", "show", listed["Cosigne stranger"]["id"])
    assert code == 0, err
    lines = out.splitlines()
    assert "Signé par : 2 signataires — signature non valide : autorité non reconnue (importez l'autorité avec « missive keys trust »)" in lines, out
    said = sorted(line.split(". ", 1)[1] for line in lines if line.startswith("  ") and ". " in line and "—" in line)
    assert said == sorted([
        "sam@ailleurs.test — signature non valide : autorité non reconnue (importez l'autorité avec « missive keys trust »)",
        f"{sender} — signature valide ; révocation non vérifiée : aucune liste de révocation de Missive Test"
        " Intermediate CA dans le profil (« missive trust update »)",
    ]), out
    code, out, err = doctors("colleague", "messages", "show", listed["Cosigne alice"]["id"], "--json")
    assert code == 0, err
    shown = json.loads(out)
    assert shown["signature"]["valid"] is True
    assert sorted((s["signer"], s["valid"]) for s in shown["signers"]) == sorted(
        [("alice@hopital.test", True), (sender, True)]
    )
