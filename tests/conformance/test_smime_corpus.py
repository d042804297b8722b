"""S/MIME written by others: Mozilla's NSS/Thunderbird test messages and CPython's RFC 2231 messages.

What a careful human reads in each file (Thunderbird's own expectations, mailnews/mime/test/unit/
test_smime_decrypt.js): who signed, whether the signature holds, what the letter says. Each goes through
the commands a doctor runs (`missive keys import/trust`, `missive smime verify/decrypt`).
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from core.secure import p12, smime
from core.secure.certs import load_certificate

HERE = Path(__file__).resolve().parent.parent / "data" / "conformance"
SMIME = HERE / "smime"
EMAIL = HERE / "email"
PASSPHRASE = "correct horse battery staple"
ALICE = "CN=Alice,emailAddress=Alice@example.com,O=BOGUS NSS"


@pytest.fixture
def run(profile_dir: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]):
    from tui.cli import main

    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASSPHRASE)

    def call(*args: str, stdin: bytes = b"") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
        code = main(["--profile", str(profile_dir), *args])
        out, err = capsysbinary.readouterr()
        return code, out.decode("utf-8", "replace"), err.decode()

    assert call("init")[0] == 0
    return call


@pytest.fixture
def bob(run, monkeypatch):
    """Bob's profile: his NSS .p12 (BER) imported, the NSS test CA trusted; no Python warning on the way."""
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "nss")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a library warning would print on the doctor's terminal
        code, out, err = run("keys", "import", str(SMIME / "Bob.p12"))
    assert code == 0, err
    assert "Bob@example.com".lower() in out.lower()
    code, out, err = run("keys", "trust", str(SMIME / "TestCA.pem"))
    assert code == 0 and "NSS Test CA" in out, err
    return run


VALID = [
    "alice.dsig.SHA256.multipart.eml",  # clear-signed (detached), Thunderbird's default
    "alice.sig.SHA256.opaque.eml",  # opaque signed-data
    "alice.sig.SHA256.opaque.env.eml",
    "alice.dsig.SHA256.multipart.env.eml",
    "alice.dsig.SHA384.multipart.eml",
    "alice.dsig.SHA512.multipart.eml",
    "alice.sig.SHA512.opaque.eml",
    "alice.html.sig.SHA256.opaque.eml",
]


@pytest.mark.parametrize("name", VALID)
def test_thunderbird_signatures_are_valid_once_the_ca_is_trusted(bob, name):
    code, out, err = bob("smime", "verify", str(SMIME / name))
    assert code == 0, out + err
    # the NSS test CA's revocation list is not in the profile: valid, and the verdict says it was not checked
    assert out.strip() == (
        f"Signature valide : alice@example.com ({ALICE},L=Mountain View,ST=California,C=US) ; révocation non"
        " vérifiée : aucune liste de révocation de NSS Test CA (RSA) dans le profil (« missive trust update »)"
    )


def test_encrypted_then_signed_is_not_shown_as_the_outer_signers_letter(bob):
    """alice.env.sig: encrypted to Bob, then the ciphertext signed by Alice, with nothing signed inside.
    Anyone can re-sign someone else's ciphertext, so the outer signer is not shown as the author of the
    decrypted text (Thunderbird ignores such an outer signature, bug 1806161): the line says so."""
    code, out, _ = bob("smime", "verify", str(SMIME / "alice.env.sig.SHA256.opaque.eml"))
    assert code == 1
    assert out.strip() == (
        "Signature non valide (alice@example.com) : l'enveloppe chiffrée est signée par alice@example.com, "
        "mais pas le contenu : rien ne prouve qui a écrit le message ; demandez à l'expéditeur de signer "
        "avant de chiffrer"
    )


def test_before_the_ca_is_trusted_the_reason_says_so(run):
    code, out, _ = run("smime", "verify", str(SMIME / "alice.dsig.SHA256.multipart.eml"))
    assert code == 1
    assert out.startswith("Signature non valide (alice@example.com) : aucune autorité de confiance")


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("alice.dsig.SHA256.multipart.bad.eml", "le message a été modifié après signature"),
        ("alice.dsig.SHA512.multipart.bad.eml", "le message a été modifié après signature"),
        # an old SHA-1 signer: a changed letter is caught all the same
        ("alice.dsig.SHA1.multipart.bad.eml", "le message a été modifié après signature"),
        (
            "alice.dsig.SHA1.multipart.mismatch-econtent.eml",
            "le contenu signé ne correspond pas au message affiché",
        ),
        # the signature embeds another text than the part shown: never "valid" for what is displayed
        (
            "alice.dsig.SHA256.multipart.mismatch-econtent.eml",
            "le contenu signé ne correspond pas au message affiché",
        ),
    ],
)
def test_tampered_signatures_fail_with_a_reason(bob, name, reason):
    code, out, _ = bob("smime", "verify", str(SMIME / name))
    assert code == 1
    assert out.strip() == f"Signature non valide (alice@example.com) : {reason}"


def test_signed_attributes_nobody_interprets_are_kept_and_ignored():
    """Thunderbird adds Microsoft's 1.3.6.1.4.1.311.16.4 and S/MIME capabilities: both are signed bytes
    that are verified with the rest and never decoded."""
    raw = (SMIME / "alice.sig.SHA256.opaque.eml").read_bytes()
    der = smime._part_der(smime._split(raw))
    assert b"\x2b\x06\x01\x04\x01\x82\x37\x10\x04" in der  # the attribute is really there
    from core.secure import cms

    result = cms.verify_signed_data(der)
    assert result.signature_ok and result.signing_time is not None
    assert b"This is a test message from Alice to Bob." in result.content


def test_encrypted_to_bob_decrypts_to_the_letter(bob):
    code, out, err = bob("smime", "decrypt", str(SMIME / "alice.env.eml"))
    assert code == 0, err
    assert "This is a test message from Alice to Bob." in out
    assert err == ""  # AES: no warning about the cipher


@pytest.fixture
def des3_message(tmp_path: Path) -> Path:
    """Made here with openssl's -des3, as older software sends it, to Bob's NSS certificate."""
    if shutil.which("openssl") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("openssl missing under CI: `make sysdeps` installs it", pytrace=False)
        pytest.skip(reason="the openssl command is not installed")
    bundle = p12.load((SMIME / "Bob.p12").read_bytes(), b"nss")
    assert bundle.cert is not None
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = tmp_path / "bob.pem"
    cert.write_bytes(bundle.cert.certificate.public_bytes(Encoding.PEM))
    plain = tmp_path / "plain.txt"
    plain.write_bytes(b"Content-Type: text/plain; charset=utf-8\r\n\r\nCompte rendu en 3DES.\r\n")
    out = subprocess.run(
        ["openssl", "smime", "-encrypt", "-des3", "-in", str(plain), "-subject", "3DES", str(cert)],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    path = tmp_path / "des3.eml"
    path.write_bytes(b"From: alice@example.com\r\nTo: bob@example.com\r\n" + out)
    return path


def test_3des_is_read_and_called_old(bob, des3_message):
    code, out, err = bob("smime", "decrypt", str(des3_message))
    assert code == 0, err
    assert "Compte rendu en 3DES." in out
    assert "chiffrement ancien (3DES)" in err
    opened = smime.open_message(des3_message.read_bytes(), _bob_keys())
    assert opened.decrypted and opened.cipher_note == "chiffrement ancien (3DES)"


def test_missive_never_sends_3des():
    from core.secure import cms

    letter = b"Content-Type: text/plain\r\n\r\nx\r\n"
    der = smime._part_der(smime._split(smime.encrypt(letter, [_bob_keys().identities[0][1]])))
    assert cms.legacy_cipher(der) == ""
    assert b"\x2a\x86\x48\x86\xf7\x0d\x03\x07" not in der  # the DES-EDE3-CBC OID


def _bob_keys() -> smime.StaticKeys:
    bundle = p12.load((SMIME / "Bob.p12").read_bytes(), b"nss")
    assert bundle.key is not None and bundle.cert is not None
    ca = load_certificate((SMIME / "TestCA.pem").read_bytes())
    return smime.StaticKeys([(bundle.key, bundle.cert.certificate)], [ca])  # type: ignore[list-item]


def test_nss_p12_loads_without_warning_every_time():
    data = (SMIME / "Bob.p12").read_bytes()
    assert p12.is_ber(data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):  # as a client certificate would be, at every sync
            assert p12.load(data, b"nss").cert is not None


def test_pem_armoured_p12_is_a_clear_error_without_warning(run, tmp_path, monkeypatch):
    armoured = tmp_path / "identite.p12"
    armoured.write_bytes((SMIME / "TestCA.pem").read_bytes())
    monkeypatch.setenv("MISSIVE_P12_PASSWORD", "nss")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        code, out, err = run("keys", "import", str(armoured))
    assert code != 0 and "Traceback" not in err
    line = err.strip()
    assert "\n" not in line and "PEM" in line and ".p12" in line


@pytest.mark.parametrize("name", ["msg_33.txt", "msg_45.txt"])
def test_cpython_rfc2231_and_pgp_messages_are_one_clear_line(run, name):
    """CPython's msg_33 writes protocol*=ansi-x3.4-1968''application%2Fpgp-signature (RFC 2231);
    msg_45 is an OpenPGP multipart/signed: neither is S/MIME, and both say so in one line."""
    code, out, err = run("smime", "verify", str(EMAIL / name))
    assert code == 1 and "Traceback" not in err
    assert out.strip() == (
        "Signature non valide : le message est signé avec OpenPGP, pas en S/MIME : missive ne vérifie que les "
        "signatures S/MIME"
    )
    code, out, err = run("smime", "decrypt", str(EMAIL / name))
    assert code != 0 and "Traceback" not in err
    assert "pas chiffré en S/MIME" in err and len(err.strip().splitlines()) == 1


def test_cpython_rfc2231_boundary_is_collapsed():
    raw = (EMAIL / "msg_33.txt").read_bytes()
    msg = smime._split(raw).content()
    assert smime._param(msg, "protocol") == "application/pgp-signature"
    assert smime._param(msg, "boundary") == "EeQfGwPcQSOJBaQU"
    from email import message_from_bytes

    from core.mail.mime import security_of

    assert security_of(message_from_bytes(raw)) == (False, True)


def test_the_reader_says_the_cipher_is_old(des3_message, tmp_path):
    """What the app's reader shows: 'chiffré (chiffrement ancien (3DES))', the core's words."""
    from core.mailroom import Mailroom

    mailroom = Mailroom.create(tmp_path / "p", "correct horse battery staple")
    mailroom.__dict__["keys"] = _bob_keys()  # the profile holds Bob's key
    blob = mailroom.profile.blobs.put(des3_message.read_bytes())
    mailroom.messages.docs.put(
        "m1", {"account": "a", "folder": "INBOX", "uid": 1, "blob": blob, "from": "alice@example.com",
               "subject": "3DES", "message_id": "<m1@x>", "flags": []},
    )  # fmt: skip
    view = mailroom.read_message("m1")
    assert view.encrypted and view.decrypted and view.cipher_note == "chiffrement ancien (3DES)"
    assert "Compte rendu en 3DES." in view.body


@pytest.mark.parametrize(
    "path",
    sorted([*SMIME.glob("*.eml"), *EMAIL.glob("*.txt")]),
    ids=lambda p: p.name,
)
def test_every_message_of_the_corpus_opens_or_says_why_in_one_line(path):
    from core.errors import MissiveError

    try:
        opened = smime.open_message(path.read_bytes(), _bob_keys())
    except MissiveError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert opened.inner_mime_bytes
    if opened.signature is not None and not opened.signature.valid:
        assert opened.signature.reason and "\n" not in opened.signature.reason


@pytest.mark.parametrize(
    "name",
    [
        "alice.plain.dsig.SHA256.multipart.dave.sig.SHA256.opaque.eml",
        "alice.env.dsig.SHA256.multipart.dave.sig.SHA256.opaque.eml",
    ],
)
def test_alice_signature_forwarded_under_daves_is_not_valid_for_dave(bob, name):
    """Dave signs (opaque) a letter Alice signed; From is Dave: Alice's inner signature does not vouch for the
    sender shown (Thunderbird also reports these as not good). The letter's verdict is the same as before each
    signer was said; its two signers (one per layer) now follow it, Dave's outer signature valid."""
    code, out, _ = bob("smime", "verify", str(SMIME / name))
    assert code == 1
    mismatch = "l'adresse de l'expéditeur (dave@example.com) ne correspond pas au certificat (alice@example.com)"
    assert out.splitlines() == [
        f"Signature non valide (alice@example.com) : {mismatch}",
        "  1. dave@example.com — signature valide ; révocation non vérifiée : aucune liste de révocation de NSS Test"
        " CA (RSA) dans le profil (« missive trust update »)",
        f"  2. alice@example.com — signature non valide : {mismatch}",
    ]


def test_an_empty_digest_algorithms_set_is_legal_and_the_signature_is_checked():
    """OpenSSL's test/smime-eml/pkcs7-empty-digest-set.eml: a SignedData whose digestAlgorithms SET is
    empty (RFC 5652 §5.1 allows any number, zero included; openssl itself answers 'signature failure').
    missive checks the signer's own digest and signature: they hold for the text shown, not for a changed
    one; the verdict is then the chain's (a self-signed CA:TRUE signer nobody trusts), in one line."""
    from core.secure import cms

    raw = (HERE / "openssl" / "pkcs7-empty-digest-set.eml").read_bytes()
    content, der = smime._signed_parts(smime._split(raw))
    assert der[23:28] == b"\x02\x01\x01\x31\x00"  # version 1, then the empty SET
    assert cms.verify_signed_data(der, content).signature_ok
    assert not cms.verify_signed_data(der, content.replace(b"signed", b"signet")).signature_ok
    opened = smime.open_message(raw, smime.StaticKeys())
    assert opened.signed and opened.signature is not None and not opened.signature.valid
    assert b"This is the content to be signed." in opened.inner_mime_bytes
