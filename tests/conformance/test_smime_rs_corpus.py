"""S/MIME written by others, met the way a doctor meets it: smime-rs's test messages (OpenSSL `cms -encrypt`
output, and its own AES-GCM edge cases) and a letter Thunderbird signed with RSA-PSS, each dropped in a Maildir
account, synced, then read with `missive messages show` once the recipient's .p12 is imported.

What a careful human reads in each: the text when missive can read it (AES-GCM AuthEnvelopedData to an RSA
key and, by ECDH, to a P-256 key; a 12-byte GCM tag; a 16-byte GCM nonce; RSA-OAEP whose MGF1 hash differs
from its hash), and otherwise why not, in one line that says what to do. A letter missive cannot read was
said "la clé pour le lire n'est pas disponible" whatever the reason: for AES-CCM (the key is there, the
cipher is not supported) and for a password-encrypted letter (PWRI: no certificate could ever open it) that
sent the doctor to import a key that changes nothing.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import (
    BestAvailableEncryption,
    Encoding,
    load_pem_private_key,
    pkcs7,
    pkcs12,
)

from tests.conformance.test_clinical_corpus import DATA

RS = DATA / "smime-rs"
READABLE = {
    # file: (subject, the letter's text)
    "test_encrypted_gcm128.eml": ("Test AES-128-GCM", "OpenSSL-generated test fixture"),
    "test_encrypted_gcm256_ecdh.eml": ("Test AES-256-GCM ECDH", "OpenSSL-generated test fixture"),
    "test_encrypted_oaep_mgf1_mismatch.eml": ("Test OAEP SHA-256 with MGF1 SHA-384", "OpenSSL-generated test fixture"),
    "test_encrypted_gcm_icvlen12.eml": ("Test AES-256-GCM ICVlen 12", "AES-GCM ICVlen 12 test"),
    "test_encrypted_gcm_nonce16.eml": ("Test AES-256-GCM 16-byte nonce", "AES-GCM 16-byte nonce test"),
    # one recipient of each kind (RSA, X25519 and P-256 key agreement, a shared key, a password): ours is found
    "test_encrypted_multi_type_all.eml": ("Test KTRI+KARI+KEKRI+PWRI", "Multi-recipient-type test"),
    # RecipientInfo version 2 where RFC 5652 says 0: a number that protects nothing (OpenSSL reads it too)
    "test_encrypted_ktri_bad_version.eml": ("Test KTRI bad version", "Multi-recipient-type test"),
}
UNREADABLE = {
    "test_encrypted_ccm128.eml": (
        "Test AES-128-CCM",
        "le chiffrement authentifié aes128_ccm n'est pas pris en charge (AES-GCM) : demandez à l'expéditeur"
        " d'utiliser AES-GCM ou AES-CBC",
    ),
    "test_encrypted_x25519.eml": (
        "Test X25519 x25519",
        "le message a été chiffré pour d'autres certificats, pas pour votre clé : demandez à l'expéditeur"
        " d'utiliser votre certificat actuel",
    ),
    "test_encrypted_pwri.eml": (
        "Test PWRI",
        "le message est chiffré avec un mot de passe ou une clé partagée, pas pour un certificat : missive ne"
        " peut pas le lire ; demandez à l'expéditeur de le chiffrer pour votre certificat",
    ),
}
PSS = "signed-rsa-pss-wildduck.eml"
ED25519 = "ed25519.eml"


def _p12(name: str, tmp_path: Path) -> Path:
    """The recipient's key and certificate as a doctor gets them: one .p12 (password 'pw')."""
    key = load_pem_private_key((RS / f"{name}.key").read_bytes(), None)
    cert = x509.load_pem_x509_certificate((RS / f"{name}.pem").read_bytes())
    path = tmp_path / f"{name}.p12"
    path.write_bytes(pkcs12.serialize_key_and_certificates(b"kalle", key, cert, None, BestAvailableEncryption(b"pw")))
    return path


@pytest.fixture
def shown(cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, tuple[str, dict]]:  # noqa: F811
    """Each file delivered to a Maildir, synced, then `messages show` (text and --json) by subject."""
    root = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    names = [*READABLE, *UNREADABLE, PSS, ED25519]
    for n, name in enumerate(names):
        shutil.copy(RS / name, root / "new" / f"17000000{n:02d}.real9:2,")
    assert cli("init")[0] == 0
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "pw")
    for key in ("test_rsa", "test_p256"):
        code, out, err = cli("keys", "import", str(_p12(key, tmp_path)))
        assert code == 0 and "Kalle Krüptija" in out, err
    # the Ed25519 letter's signer, self-signed, trusted as the doctor would (keys trust FILE)
    signed = base64.b64decode((RS / ED25519).read_bytes().split(b"\n\n", 1)[1])
    (signer,) = pkcs7.load_der_pkcs7_certificates(signed)
    (tmp_path / "anu.pem").write_bytes(signer.public_bytes(Encoding.PEM))
    assert cli("keys", "trust", str(tmp_path / "anu.pem"))[0] == 0
    assert cli("account", "add", "local", "--email", "tiiu@naide.ee", "--maildir", str(root))[0] == 0
    code, out, err = cli("sync")
    assert (code, err) == (0, "") and f"local: {len(names)} nouveaux" in out, (out, err)
    code, out, _ = cli("messages", "list", "--folder", "Quarantaine", "--json")  # outside the trust space
    assert code == 0
    found: dict[str, tuple[str, dict]] = {}
    for row in map(json.loads, out.splitlines()):  # one object a line
        code, text, err = cli("messages", "show", row["id"])
        assert code == 0 and "Traceback" not in err, err
        code, as_json, err = cli("messages", "show", row["id"], "--json")
        assert code == 0, err
        view = json.loads(as_json)
        found[view["subject"]] = (text, view)
    return found


def test_letters_of_others_read_or_say_why_not(shown):
    for subject, body in READABLE.values():
        text, view = shown[subject]
        assert "Chiffré : oui" in text.splitlines()
        assert view["unreadable"] is None and view["text"].strip() == body
    for subject, reason in UNREADABLE.values():
        text, view = shown[subject]
        # not "la clé pour le lire n'est pas disponible": the core's reason, and what to do
        assert f"Chiffré : illisible — {reason}" in text.splitlines()
        assert view["unreadable"] == reason and view["text"] == ""


def test_a_thunderbird_rsa_pss_signature_over_a_letter_that_lost_a_line_break_is_not_valid(shown):
    """Thunderbird signed it (RSA-PSS, SHA-256, a DigiCert S/MIME certificate); on its way (the WildDuck mail
    server, by the file's name) the line break before the closing boundary was lost, so the signed part now
    ends one CRLF short. By RFC 2046 that CRLF belongs to the boundary: the part as delivered is not the part
    signed (OpenSSL's `cms -verify` fails the same). smime-rs accepts it; missive says the letter changed."""
    text, view = shown["This is a test letter"]
    assert "Signé par : taavi@zone.ee — signature non valide : le message a été modifié après signature" in text
    assert view["signature"]["valid"] is False
    # the file itself shows what changed: its digest matches only with the boundary's CRLF put in the part
    raw = (RS / PSS).read_bytes()
    part = raw.split(b"------49D9AC942ACF6F16640C4CA92454852B\n")[1]
    signed_digest = "8970104fc073017e3fd7393edbcce4465046a64ae1314e44dd1248bd7982872f"
    assert hashlib.sha256(part[:-1].replace(b"\n", b"\r\n")).hexdigest() != signed_digest
    assert hashlib.sha256(part.replace(b"\n", b"\r\n")).hexdigest() == signed_digest


def test_an_ed25519_signer_whose_certificate_is_an_authority_is_said_in_french(shown):
    """smime-rs's Ed25519 letter (RFC 8419; its signature holds) is signed with a self-signed certificate that
    says CA:TRUE, as `openssl req -x509` makes them. Trusted as the doctor would, it read « autorité non
    reconnue (importez l'autorité avec « missive keys trust ») : validation failed: basicConstraints.cA must
    not be asserted in an EE certificate »: English, and an advice already followed."""
    text, view = shown["Test Ed25519"]
    assert view["signature"]["valid"] is False and view["text"].strip() == "Hello from Ed25519!"
    line = next(line for line in text.splitlines() if line.startswith("Signé par"))
    assert line == (
        "Signé par : anu@naide.ee — signature non valide : le certificat du signataire est celui d'une autorité"
        " (CA), pas un certificat de messagerie : la signature ne peut pas être reconnue, même avec ce certificat"
        " importé ; demandez à l'expéditeur de signer avec un certificat personnel"
    )


def test_a_gcm_tag_cut_below_12_bytes_is_refused():
    """RFC 5084 allows AES-GCM tags of 12 to 16 bytes. The tag length is a parameter nobody authenticates: one who
    holds a letter in transit may rewrite it to 4 and cut the tag, leaving 2^32 guesses to forge a changed text.
    missive read such a letter (tags of 4 to 16 bytes); smime-rs's 12-byte one is read, the cut one refused."""
    from asn1crypto import cms as asn1_cms

    from core.errors import SecurityError
    from core.secure import cms
    from core.secure.cms import _GCMParameters

    raw = (RS / "test_encrypted_gcm_icvlen12.eml").read_bytes()
    der = base64.b64decode(raw.split(b"\n\n", 1)[1])
    identity = (
        load_pem_private_key((RS / "test_rsa.key").read_bytes(), None),
        x509.load_pem_x509_certificate((RS / "test_rsa.pem").read_bytes()),
    )
    assert bytes(cms.decrypt(der, [identity])).endswith(b"AES-GCM ICVlen 12 test\r\n")
    info = asn1_cms.ContentInfo.load(der)
    env = info["content"]
    algo = env["auth_encrypted_content_info"]["content_encryption_algorithm"]
    params = _GCMParameters.load(algo["parameters"].dump())
    algo["parameters"] = asn1_cms.Any.load(
        _GCMParameters({"aes_nonce": params["aes_nonce"].native, "aes_icvlen": 4}).dump()
    )
    env["mac"] = bytes(env["mac"].native)[:4]
    with pytest.raises(SecurityError, match="ne peut pas être déchiffré"):
        cms.decrypt(info.dump(force=True), [identity])
