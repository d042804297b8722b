"""A signed letter carrying, beside its signer's, a certificate whose extensions cannot be read.

b4bf156 reads each carried certificate's key, names and extensions as it keeps it, and skips the ones that fail
("a certificate whose key, names or extensions cannot be read is skipped"); a certificate listing one extension
twice makes cryptography raise ``x509.DuplicateExtension``, which is no ValueError: it went out of
``cms.verify_signed_data`` and spoiled the letter's verdict (`missive smime verify`: an internal error) where,
before, the extra certificate was simply not used."""

from __future__ import annotations

import base64
import datetime as dt

from asn1crypto import cms as asn1_cms
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from core.secure import cms

CONTENT = b"Content-Type: text/plain\r\n\r\nbonjour\r\n"


def _signed_with_a_certificate_listing_an_extension_twice() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def cert(name: str, issuer: str, serial: int, ca: bool) -> x509.Certificate:
        return (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
            .sign(key, hashes.SHA256())
        )

    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(CONTENT)
        .add_signer(cert("pirate", "CA0", 1, ca=False), key, hashes.SHA256())
        .add_certificate(cert("CA0", "CA1", 10, ca=True))
        .sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    info = asn1_cms.ContentInfo.load(der)
    for choice in info["content"]["certificates"]:
        tbs = choice.chosen["tbs_certificate"]
        if tbs["serial_number"].native == 10:  # the extra one lists BasicConstraints twice
            extensions = tbs["extensions"]
            extensions.append(extensions[0].copy())
            tbs["extensions"] = extensions
    return info.dump(force=True)


def test_an_extra_certificate_listing_an_extension_twice_is_skipped() -> None:
    result = cms.verify_signed_data(_signed_with_a_certificate_listing_an_extension_twice())
    assert result.signature_ok and result.content == CONTENT
    assert [c.serial_number for c in result.certificates] == [1]  # the signer's; the damaged one skipped


def test_missive_smime_verify_of_such_a_letter_says_one_line(cli, tmp_path) -> None:
    letter = tmp_path / "dup.eml"
    letter.write_bytes(
        b"From: pirate@evil.example\r\nTo: dr@cabinet.mssante.fr\r\nSubject: dup\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(_signed_with_a_certificate_listing_an_extension_twice()).replace(b"\n", b"\r\n")
    )
    assert cli("init")[0] == 0
    code, out, err = cli("smime", "verify", str(letter))
    assert "erreur interne" not in out + err and "Traceback" not in out + err
    assert code == 1 and "aucune autorité de confiance" in out + err and (out + err).count("\n") == 1
