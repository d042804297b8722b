"""S/MIME written by others, from MimeKit's test data (jstedfast/MimeKit, MIT): a letter Thunderbird 24
signed in 2013 with a StartCom certificate whose chain is signed with SHA-1, and BouncyCastle-made PKCS#12
files (legacy RC2-40 and 3DES encryption) holding RSA, EC and DSA keys."""

from __future__ import annotations

import datetime as dt

from core.secure import smime
from core.secure.certs import load_certificate
from tests.conformance.test_clinical_corpus import DATA

MIMEKIT = DATA / "mimekit"
SENT = dt.datetime(2013, 11, 2, 20, 28, tzinfo=dt.UTC)


def _open(at: dt.datetime | None, anchors: list) -> smime.OpenedMessage:
    raw = (MIMEKIT / "thunderbird-signed.txt").read_bytes()
    return smime.open_message(raw, smime.StaticKeys([], anchors), at=at)


def test_a_chain_signed_with_sha1_says_so_rather_than_import_the_authority():
    """At the day it was sent, with StartCom's root imported, the reason was 'autorité non reconnue
    (importez l'autorité avec « missive keys trust »)': the doctor had imported it. The chain is refused
    because StartCom's intermediate certificate is signed with SHA-1; the line says that, and what to do."""
    startcom = load_certificate((MIMEKIT / "StartComCertificationAuthority.crt").read_bytes())
    opened = _open(SENT, [startcom])
    sig = opened.signature
    assert sig is not None and not sig.valid
    assert sig.signer == "fejj@gnome.org"
    assert (sig.reason, sig.params) == ("sig.chain-weak-algorithm", {"algorithm": "SHA-1"})
    assert sig.reason_text() == (
        "un certificat de la chaîne est signé avec un algorithme obsolète (SHA-1) : la signature ne peut pas "
        "être reconnue, même avec l'autorité importée ; demandez à l'expéditeur un certificat récent"
    )
    # without any authority, the advice to import one still holds
    assert _open(SENT, []).signature.reason == "sig.no-anchor"
    # today the signer's certificate has long expired: that is said first
    today = _open(None, [startcom]).signature
    assert (today.reason, today.params) == ("sig.cert-expired", {"date": "01/11/2014"})
    # the letter itself is read: its text and its JPEG attachment
    assert b"signed by Thunderbird 24.1.0" in opened.inner_mime_bytes


def test_bouncycastle_legacy_pkcs12_identities(cli, monkeypatch):
    """MimeKit's .pfx files are made by BouncyCastle with the legacy encryptions (certificates under
    pbeWithSHA1And40BitRC2-CBC, the key under 3DES; OpenSSL 3 refuses them without its legacy provider):
    the EC identity is imported; the DSA one is refused in one line that says why (S/MIME needs RSA or EC)."""
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "no.secret")
    assert cli("init")[0] == 0
    code, out, err = cli("keys", "import", str(MIMEKIT / "ec-smime.pfx"))
    assert code == 0 and "ec@mimekit.net" in out and "Traceback" not in err
    code, out, err = cli("keys", "import", str(MIMEKIT / "dsa-smime.pfx"))
    assert code != 0 and "Traceback" not in err
    assert (
        err.strip()
        == "missive : la clé du .p12 n'est ni RSA ni EC : missive ne peut pas l'utiliser pour S/MIME"
    )
    code, out, _ = cli("keys", "list")
    assert "ec@mimekit.net" in out and "dsa@mimekit.net" not in out
