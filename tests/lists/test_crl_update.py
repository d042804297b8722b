"""`missive trust update` fetches the certificate revocation lists over plain http from the project's own file
server (the distribution point a correspondent's certificate names), keeps a CRL only once its authority's
signature holds, never lets a bad download replace the good one, reads a CRL made by `openssl ca -gencrl`, and
`trust show`, `smime verify` and `smime encrypt` say what the CRL says."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.secure import smime
from tests.lists.test_update import whitelist
from tests.secure.conftest import MESSAGE
from tests.secure.pki import Party, _rsa, make_ca
from tests.secure.test_crl import make_crl
from tests.servers.files import FileServer

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)


def _alice(ca: Party, crl_url: str) -> Party:
    """alice@hopital.test's S/MIME certificate, naming where its authority publishes its CRL."""
    key = _rsa()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Alice Martin")]))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - 10 * DAY)
        .not_valid_after(NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, True, True, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name("alice@hopital.test")]), critical=False)
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)]
            ),
            critical=False,
        )
        .sign(ca.key, hashes.SHA256())
    )
    return Party("alice", key, cert)


@pytest.fixture
def crl_server(tmp_path: Path):
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


@pytest.fixture
def https_server(tmp_path: Path):
    server = FileServer(tmp_path / "files").start()
    yield server
    server.stop()


def _openssl_crl(folder: Path, ca: Party, revoke: x509.Certificate) -> bytes:
    """The CA's CRL listing ``revoke``, made by ``openssl ca -revoke`` then ``openssl ca -gencrl`` (PEM)."""
    assert shutil.which("openssl"), "the openssl command is needed (make test installs it)"
    folder.mkdir()
    (folder / "ca.crt").write_bytes(ca.cert_pem)
    (folder / "ca.key").write_bytes(ca.key_pem)
    (folder / "alice.crt").write_bytes(revoke.public_bytes(serialization.Encoding.PEM))
    (folder / "index.txt").write_text("")
    (folder / "crlnumber").write_text("01\n")
    (folder / "ca.cnf").write_text(
        "[ ca ]\ndefault_ca = demo\n[ demo ]\ndir = .\ndatabase = index.txt\ncrlnumber = crlnumber\n"
        "certificate = ca.crt\nprivate_key = ca.key\ndefault_md = sha256\ndefault_crl_days = 7\n"
    )
    for args in (["-revoke", "alice.crt"], ["-gencrl", "-out", "ca.crl"]):
        proc = subprocess.run(
            ["openssl", "ca", "-config", "ca.cnf", *args], cwd=folder, capture_output=True, timeout=60
        )
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    return (folder / "ca.crl").read_bytes()


def test_trust_update_fetches_checks_and_keeps_the_crl(
    cli, crl_server, https_server, tmp_path: Path
) -> None:
    ca = make_ca("CA Santé de test")
    alice = _alice(ca, crl_server.url("/ca.crl"))
    (tmp_path / "root.pem").write_bytes(ca.cert_pem)
    (tmp_path / "alice.pem").write_bytes(alice.cert_pem)
    letter = tmp_path / "letter.eml"
    letter.write_bytes(smime.sign(MESSAGE, alice.key, alice.cert))
    assert cli("init")[0] == 0
    assert cli("keys", "trust", str(tmp_path / "root.pem"))[0] == 0
    assert cli("keys", "add-cert", str(tmp_path / "alice.pem"))[0] == 0
    https_server.serve("/l.xml", whitelist("hopital.test"))
    update = ["trust", "update", "--url", https_server.url("/l.xml"), "--ca-file", str(https_server.ca_file)]

    # no CRL yet: the signature is valid, and the verdict says its revocation was not checked
    code, out, err = cli("smime", "verify", str(letter))
    assert code == 0 and out.startswith("Signature valide : alice@hopital.test")
    assert "révocation non vérifiée : aucune liste de révocation de CA Santé de test dans le profil" in out

    # the CRL named by Alice's certificate, over plain http: fetched, checked, kept
    crl_server.serve("/ca.crl", make_crl(ca))
    code, out, err = cli(*update)
    assert code == 0, err
    assert "liste blanche mise à jour : 1 domaines" in out
    assert "liste de révocation de CN=CA Santé de test,O=Missive Test,C=FR mise à jour : 0 certificats révoqués" in out
    shown = cli("trust", "show")[1]
    assert "Listes de révocation : 1" in shown
    assert "CN=CA Santé de test,O=Missive Test,C=FR : émise le " in shown and "il y a 1 jour" in shown
    assert ", prochaine le " in shown and ", 0 certificats révoqués" in shown
    code, out, err = cli("smime", "verify", str(letter))
    assert code == 0 and out.strip() == "Signature valide : alice@hopital.test (CN=Alice Martin)"

    assert "RÉVOQUÉ" not in cli("keys", "list")[1]

    # nothing new: a conditional request, a 304
    code, out, err = cli(*update)
    assert code == 0 and "liste de révocation déjà à jour" in out
    assert crl_server.log[-1] == ("/ca.crl", 304, True)

    # a forged CRL (same name, another key) and a page that is no CRL: refused, the good one stays
    forged = make_ca("CA Santé de test")
    for body, words in ((make_crl(forged, [alice.cert]), "signature ne correspond pas"), (b"<html/>", "CRL")):
        crl_server.serve("/ca.crl", body)
        code, out, err = cli(*update)
        assert code == 1 and err.count("\n") == 1 and words in err, err
        assert "la liste de révocation précédente reste utilisée" in err
        assert ", 0 certificats révoqués" in cli("trust", "show")[1]
    assert "dernier échec" in cli("trust", "show")[1]
    assert cli("smime", "verify", str(letter))[0] == 0

    # Alice's certificate revoked by the authority's own tool (openssl ca -gencrl, PEM)
    crl_server.serve("/ca.crl", _openssl_crl(tmp_path / "openssl-ca", ca, alice.cert))
    code, out, err = cli(*update)
    assert code == 0 and "mise à jour : 1 certificats révoqués" in out, err
    assert ", 1 certificats révoqués" in cli("trust", "show")[1]
    assert "alice@hopital.test  expire le " in cli("keys", "list")[1]
    assert "— RÉVOQUÉ par son autorité" in cli("keys", "list")[1]
    code, out, err = cli("smime", "verify", str(letter))
    assert code == 1 and "certificat révoqué le " in out, out
    code, out, err = cli("smime", "verify", "--json", str(letter))
    assert '"valid": false' in out and "certificat révoqué" in out
    code, out, err = cli("--lang", "en", "smime", "verify", str(letter))
    assert code == 1 and "certificate revoked on " in out

    # nothing is encrypted to her any more: one line naming her address and what to do
    (tmp_path / "to-alice.eml").write_bytes(MESSAGE)
    to_alice = ["smime", "encrypt", "--to", "alice@hopital.test", "--no-self", str(tmp_path / "to-alice.eml")]
    code, out, err = cli(*to_alice)
    assert code != 0 and out == "" and err.count("\n") == 1, err
    assert "alice@hopital.test" in err and "révoqué" in err and "missive keys add-cert" in err


def test_the_daemons_daily_refresh_fetches_the_crls_too(tmp_path: Path, crl_server, https_server) -> None:
    import asyncio

    from core.mailroom import Mailroom

    ca = make_ca("CA Santé de test")
    crl_server.serve("/ca.crl", make_crl(ca))
    https_server.serve("/l.xml", whitelist("hopital.test"))
    mr = Mailroom.create(tmp_path / "profile", "correct horse battery staple")
    mr.keys.trust(ca.cert)
    mr.save_settings(
        {
            "lists": {
                "whitelist_url": https_server.url("/l.xml"),
                "directory_urls": [https_server.url("/none")],  # a 404: the directory keeps its (empty) copy
                "ca_file": str(https_server.ca_file),
                "crl_urls": [crl_server.url("/ca.crl")],
            }
        }
    )
    refresh = mr.daemon_tasks()[-1]
    asyncio.run(refresh())
    (held,) = mr.keys.crls.listing()
    assert "CA Santé de test" in held["issuer"] and held["entries"] == 0
    assert mr.trust_info()["crl_download"]["checked"]
    asyncio.run(refresh())  # the next round, within the day: nothing fetched again
    assert [path for path, _status, _cond in crl_server.log] == ["/ca.crl"]


def test_trust_show_tells_a_renewed_authoritys_two_lists_apart(cli, crl_server, https_server, tmp_path: Path) -> None:
    """An authority renewed with a new key under the same name publishes a list per key: both are kept, and
    `trust show` tells them apart by their key identifier (two identical lines said nothing of which is which)."""
    from cryptography.x509 import AuthorityKeyIdentifier

    first, renewed = make_ca("CA Santé de test"), make_ca("CA Santé de test")
    for n, ca in enumerate((first, renewed)):
        (tmp_path / f"ca{n}.pem").write_bytes(ca.cert_pem)
        crl_server.serve(f"/ca{n}.crl", make_crl(ca, key_id=True))
    assert cli("init")[0] == 0
    for n in (0, 1):
        assert cli("keys", "trust", str(tmp_path / f"ca{n}.pem"))[0] == 0
    https_server.serve("/l.xml", whitelist("hopital.test"))
    code, out, err = cli(
        "trust", "update", "--url", https_server.url("/l.xml"), "--ca-file", str(https_server.ca_file),
        "--crl-url", crl_server.url("/ca0.crl"), "--crl-url", crl_server.url("/ca1.crl"),
    )
    assert code == 0, err
    shown = cli("trust", "show")[1]
    assert "Listes de révocation : 2" in shown
    for ca in (first, renewed):
        key = AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()).key_identifier  # type: ignore[arg-type]
        assert key is not None
        assert f"CN=CA Santé de test,O=Missive Test,C=FR (clé {key.hex()[:8].upper()}…) : émise le " in shown, shown
