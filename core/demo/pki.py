"""The demo's own small PKI, made fresh at each build: a "CA de démonstration" root and one S/MIME
certificate per demo address (emailProtection purpose, the address in the SAN), so the demo mail can be
really signed and encrypted and the reader shows real verdicts.

Nothing here is trusted outside the demo profile: the root is imported as a trust anchor there only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANISATION = "missive démonstration"
CA_NAME = "CA de démonstration"


@dataclass(frozen=True)
class DemoIdentity:
    """A private key and its certificate."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate


@dataclass(frozen=True)
class DemoPKI:
    ca: DemoIdentity
    people: dict[str, DemoIdentity]  # by e-mail address

    def __getitem__(self, address: str) -> DemoIdentity:
        return self.people[address]


def _key() -> rsa.RSAPrivateKey:
    # RSA, not EC: S/MIME encryption (key transport) needs it, and IGC-Santé issues RSA certificates.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, address: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORGANISATION),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if address:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, address))
    return x509.Name(attrs)


def make_ca(now: dt.datetime) -> DemoIdentity:
    key = _key()
    name = _name(CA_NAME)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=30))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return DemoIdentity(key, cert)


def make_person(ca: DemoIdentity, common_name: str, address: str, now: dt.datetime) -> DemoIdentity:
    """An S/MIME certificate for ``address`` (sign and encrypt), issued by ``ca``, valid three years."""
    key = _key()
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name, address))
        .issuer_name(ca.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=10))
        .not_valid_after(now + dt.timedelta(days=3 * 365))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.EMAIL_PROTECTION]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(address)]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .sign(ca.key, hashes.SHA256())
    )
    return DemoIdentity(key, cert)


def make_crl(ca: DemoIdentity, revoked: list[x509.Certificate], now: dt.datetime | None = None) -> bytes:
    """The demo CA's certificate revocation list (DER), listing ``revoked``, valid 90 days."""
    from cryptography.hazmat.primitives import serialization

    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(now - dt.timedelta(hours=1))
        .next_update(now + dt.timedelta(days=90))
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - dt.timedelta(days=2))
            .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
            .build()
        )
    return builder.sign(ca.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def make_demo_pki(people: dict[str, str], now: dt.datetime | None = None) -> DemoPKI:
    """A root and one certificate per ``{address: common name}``."""
    now = (now or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    ca = make_ca(now)
    return DemoPKI(ca, {address: make_person(ca, name, address, now) for address, name in people.items()})
