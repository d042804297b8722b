"""Small SMTP and IMAP servers on 127.0.0.1 whose TLS is broken on purpose: an expired certificate, one from an
unknown authority, one for another host name, a server stuck at TLS 1.1, or a 454 answer to STARTTLS."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import ssl
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key, issuer_name: x509.Name, issuer_key, *, ca: bool, days=(-1, 30), host=None):
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW + dt.timedelta(days=days[0]))
        .not_valid_after(NOW + dt.timedelta(days=days[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if host is not None:
        names = (
            [x509.DNSName(host)] if not host[0].isdigit() else [x509.IPAddress(ipaddress.ip_address(host))]
        )
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


@dataclass
class Certs:
    ca_file: Path  # the authority the client trusts
    contexts: dict[str, ssl.SSLContext]  # server contexts by case


def make_certs(folder: Path) -> Certs:
    folder.mkdir(parents=True, exist_ok=True)
    ca_key, other_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = _cert("Trusted CA", ca_key, _name("Trusted CA"), ca_key, ca=True, days=(-10, 3650))
    unknown = _cert("Unknown CA", other_key, _name("Unknown CA"), other_key, ca=True, days=(-10, 3650))
    ca_file = folder / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    leaves = {
        "good": (ca, ca_key, dict(host="127.0.0.1")),
        "expired": (ca, ca_key, dict(host="127.0.0.1", days=(-60, -1))),
        "unknown-ca": (unknown, other_key, dict(host="127.0.0.1")),
        "other-host": (ca, ca_key, dict(host="mail.ailleurs.example")),
    }
    contexts = {}
    for case, (issuer, issuer_key, kw) in leaves.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _cert("server", key, issuer.subject, issuer_key, ca=False, **kw)
        cert_file, key_file = folder / f"{case}.pem", folder / f"{case}.key"
        cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert_file, key_file)
        contexts[case] = ctx
    old = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    old.load_cert_chain(folder / "good.pem", folder / "good.key")
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with warnings.catch_warnings():  # deprecated on purpose: this server is the outdated one
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version = ssl.TLSVersion.TLSv1
        old.maximum_version = ssl.TLSVersion.TLSv1_1
    contexts["tls1.1"] = old
    return Certs(ca_file, contexts)


class FakeServer:
    """``protocol`` "smtp" or "imap"; ``implicit`` TLS from the first byte, else STARTTLS (or ``refuse`` it
    with that answer, e.g. ``454 4.7.0 TLS not available``)."""

    def __init__(
        self, protocol: str, ctx: ssl.SSLContext, *, implicit: bool, refuse: str | None = None
    ) -> None:
        self.protocol, self.ctx, self.implicit, self.refuse = protocol, ctx, implicit, refuse
        self.port = 0
        self.received = bytearray()  # every byte read in clear after the greeting
        self._server: asyncio.AbstractServer | None = None

    async def __aenter__(self) -> FakeServer:
        self._server = await asyncio.start_server(
            self._serve, "127.0.0.1", 0, ssl=self.ctx if self.implicit else None
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc) -> None:
        assert self._server is not None
        self._server.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        smtp = self.protocol == "smtp"
        try:
            writer.write(b"220 fake ESMTP\r\n" if smtp else b"* OK [CAPABILITY IMAP4rev1 STARTTLS] fake\r\n")
            while line := await reader.readline():
                self.received.extend(line)
                words = line.decode("ascii", "replace").split()
                if not words:
                    continue
                if smtp and words[0].upper() in ("EHLO", "HELO"):
                    writer.write(b"250-fake\r\n250-STARTTLS\r\n250 8BITMIME\r\n")
                elif smtp and words[0].upper() == "STARTTLS":
                    if self.refuse:
                        writer.write(self.refuse.encode() + b"\r\n")
                    else:
                        writer.write(b"220 go ahead\r\n")
                        await writer.drain()
                        await writer.start_tls(self.ctx)
                elif smtp and words[0].upper() == "QUIT":
                    writer.write(b"221 bye\r\n")
                elif smtp:
                    writer.write(b"502 not here\r\n")
                elif len(words) > 1 and words[1].upper() == "CAPABILITY":
                    writer.write(b"* CAPABILITY IMAP4rev1 STARTTLS\r\n" + words[0].encode() + b" OK done\r\n")
                elif len(words) > 1 and words[1].upper() == "STARTTLS":
                    if self.refuse:
                        writer.write(words[0].encode() + b" NO " + self.refuse.encode() + b"\r\n")
                    else:
                        writer.write(words[0].encode() + b" OK begin TLS\r\n")
                        await writer.drain()
                        await writer.start_tls(self.ctx)
                else:
                    writer.write(words[0].encode() + b" BAD not here\r\n")
                await writer.drain()
        except (ssl.SSLError, ConnectionError, OSError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()
