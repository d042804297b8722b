"""A throwaway PKI for the S/MIME tests: root CA, intermediate CA and end-entity certificates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)


@dataclass
class Party:
    """A key, its certificate and the files openssl needs."""

    name: str
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def cert_pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def cert_der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def p12(self, password: bytes, chain: list[x509.Certificate] | None = None) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            self.name.encode(),
            self.key,
            self.cert,
            chain,
            serialization.BestAvailableEncryption(password),
        )


def _name(cn: str, email: str | None = None) -> x509.Name:
    attrs = [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Missive Test"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ]
    if email:
        attrs.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attrs)


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_ca(cn: str, issuer: Party | None = None, *, not_after: dt.datetime | None = None) -> Party:
    key = _rsa()
    subject = _name(cn)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - 30 * DAY)
        .not_valid_after(not_after or NOW + 3650 * DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    signer = issuer.key if issuer else key
    if issuer:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    cert = builder.sign(signer, hashes.SHA256())
    return Party(cn, key, cert)


def make_user(
    cn: str,
    emails: list[str],
    issuer: Party,
    *,
    not_before: dt.datetime | None = None,
    not_after: dt.datetime | None = None,
    eku: list[x509.ObjectIdentifier] | None = None,
    ec_key: bool = False,
    key_usage_sign: bool = True,
) -> Party:
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = (
        ec.generate_private_key(ec.SECP256R1()) if ec_key else _rsa()
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(cn, emails[0] if emails else None))
        .issuer_name(issuer.cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before or NOW - 10 * DAY)
        .not_valid_after(not_after or NOW + 365 * DAY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=key_usage_sign,
                content_commitment=key_usage_sign,
                key_encipherment=not ec_key,
                data_encipherment=False,
                key_agreement=ec_key,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage(eku if eku is not None else [ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )
    if emails:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.RFC822Name(e) for e in emails]), critical=False
        )
    return Party(cn, key, builder.sign(issuer.key, hashes.SHA256()))


@dataclass
class PKI:
    root: Party
    inter: Party
    alice: Party  # valid, RSA, alice@hopital.test and dr.alice@cabinet.test
    bob: Party  # valid, RSA
    carol_ec: Party  # valid, EC P-256 (signing only)
    expired: Party
    wrong_eku: Party  # serverAuth only
    other_root: Party  # a CA nobody trusts
    stranger: Party  # valid chain under other_root
    folder: Path

    @property
    def chain_pem(self) -> bytes:
        return self.inter.cert_pem + self.root.cert_pem


def build_pki(folder: Path) -> PKI:
    root = make_ca("Missive Test Root CA")
    inter = make_ca("Missive Test Intermediate CA", root)
    alice = make_user("Alice Martin", ["alice@hopital.test", "Dr.Alice@cabinet.test"], inter)
    bob = make_user("Bob Durand", ["bob@clinique.test"], inter)
    carol = make_user("Carol Petit", ["carol@labo.test"], inter, ec_key=True)
    expired = make_user(
        "Eve Expired", ["eve@hopital.test"], inter, not_before=NOW - 400 * DAY, not_after=NOW - 5 * DAY
    )
    wrong = make_user("Walter Wrong", ["walter@hopital.test"], inter, eku=[ExtendedKeyUsageOID.SERVER_AUTH])
    other = make_ca("Unknown Root CA")
    stranger = make_user("Sam Stranger", ["sam@ailleurs.test"], other)
    pki = PKI(root, inter, alice, bob, carol, expired, wrong, other, stranger, folder)
    folder.mkdir(parents=True, exist_ok=True)
    slugs = [
        "root",
        "intermediate",
        "alice",
        "bob",
        "carol",
        "expired",
        "wrong_eku",
        "other_root",
        "stranger",
    ]
    for slug, party in zip(
        slugs, (root, inter, alice, bob, carol, expired, wrong, other, stranger), strict=True
    ):
        cert_path = folder / f"{slug}.crt"
        key_path = folder / f"{slug}.key"
        cert_path.write_bytes(party.cert_pem)
        key_path.write_bytes(party.key_pem)
        party.files = {"cert": cert_path, "key": key_path}
    (folder / "chain.pem").write_bytes(pki.chain_pem)
    (folder / "root.pem").write_bytes(root.cert_pem)
    return pki
