"""A signed letter that carries thousands of certificates (anyone can put as many as a 25 MB letter holds).

Reading the SignedData's certificates asked asn1crypto for the whole set's ``.native`` first (every certificate
made a Python dict, about 3 ms each on a 2-core PC) only to learn whether the field was there, then handed
every certificate to the chain's builder: a letter of 75,000 certificates held the sync's hook for minutes.
Now the field's absence is read from its type, at most ``MAX_SCANNED`` are looked through and
``MAX_CERTIFICATES`` kept, with the signer's own wherever it is (a SET OF is sorted by its bytes)."""

from __future__ import annotations

import base64
import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

from core.secure import cms

CONTENT = b"Content-Type: text/plain\r\n\r\nbonjour\r\n"


def _signed_with(extra: int) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)

    def cert(name: str, issuer: str, serial: int, ca: bool) -> x509.Certificate:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        return builder.sign(key, hashes.SHA256())

    signer = cert("pirate", "CA0", 1, ca=False)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(CONTENT).add_signer(signer, key, hashes.SHA256())
    for i in range(extra):  # a pool of authorities of a few names, for the chain's builder to try
        builder = builder.add_certificate(cert(f"CA{i % 7}", f"CA{(i + 1) % 7}", 10 + i, ca=True))
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.Binary])


def test_a_signature_carrying_thousands_of_certificates_is_read_from_the_first_ones() -> None:
    result = cms.verify_signed_data(_signed_with(1500))
    assert result.signature_ok and result.content == CONTENT
    # the first ones, and the signer's wherever the SET OF's order put it
    assert result.signer_cert is not None and result.signer_cert in result.certificates
    assert cms.MAX_CERTIFICATES <= len(result.certificates) <= cms.MAX_CERTIFICATES + 1


def test_a_signature_carrying_no_certificate_reads_none() -> None:
    der = _signed_with(0)
    result = cms.verify_signed_data(der)
    assert result.signature_ok and len(result.certificates) == 1


def test_missive_smime_verify_of_such_a_letter_says_one_line(cli, tmp_path) -> None:
    """The command a user runs: one verdict line (no authority in the profile), no hang."""
    der = _signed_with(1500)
    letter = tmp_path / "chain.eml"
    letter.write_bytes(
        b"From: pirate@evil.example\r\nTo: dr@cabinet.mssante.fr\r\nSubject: chain\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: application/pkcs7-mime; smime-type=signed-data; name=smime.p7m\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\n" + base64.encodebytes(der).replace(b"\n", b"\r\n")
    )
    assert cli("init")[0] == 0
    code, out, err = cli("smime", "verify", str(letter))
    assert code == 1 and "aucune autorité de confiance" in out + err and (out + err).count("\n") == 1
