"""S/MIME (RFC 8551) on whole MIME messages: sign, encrypt, decrypt, verify, and open at sync time.

Messages are handled as raw bytes, never re-serialised by the ``email`` package: a detached signature
covers the exact bytes of the first part, so the splitting here is done by hand. The outer header set
(From, To, Subject, Message-ID, X-MSS-*...) stays in the clear on the outer message; only the
``Content-*`` headers and the body go inside the signature or the envelope.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import email.parser
import email.policy
import email.utils
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from typing import TYPE_CHECKING, Any, Protocol

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

from core.errors import MissiveError, ParseError, SecurityError
from core.model import SignatureStatus
from core.secure import certs as certmod
from core.secure import cms
from core.secure.smime_kinds import PKCS7_MIME as _PKCS7_MIME
from core.secure.smime_kinds import (
    OpenedMessage,
    may_be_smime,  # noqa: F401 - its home before core.secure.smime_kinds
)
from core.text import T

if TYPE_CHECKING:
    from core.secure.certs import RevocationCheck

CRLF = b"\r\n"
MAX_LAYERS = 6  # signed-then-encrypted-then-signed... deeper nesting is garbage, not mail
MAX_INFLATED = 100 * 1024 * 1024  # a compressed layer inflates to at most this (mail servers take ~25 MB)
REVOKED = ("sig.cert-revoked", "sig.ca-revoked")  # verdicts that hold in every respect but revocation
_PKCS7_SIG = ("application/pkcs7-signature", "application/x-pkcs7-signature")
_MICALG = {"sha256": "sha-256", "sha384": "sha-384", "sha512": "sha-512"}


class KeyRing(Protocol):
    """What S/MIME needs from the key store."""

    def decryption_identities(self) -> list[tuple[cms.PrivateKey, x509.Certificate]]: ...

    def trust_anchors(self) -> list[x509.Certificate]: ...

    def known_certificates(self) -> list[x509.Certificate]:
        """Certificates already held (correspondents', own chain): a signer's may be left out of a letter."""
        ...


@dataclass
class StaticKeys:
    """A KeyRing held in memory (tests, benchmarks, one-off CLI use)."""

    identities: list[tuple[cms.PrivateKey, x509.Certificate]] = field(default_factory=list)
    anchors: list[x509.Certificate] = field(default_factory=list)
    known: list[x509.Certificate] = field(default_factory=list)
    # the CRLs' verdict on a certificate (core.secure.crl.CrlStore.status); None: revocation not checked
    revocation: RevocationCheck | None = None

    def decryption_identities(self) -> list[tuple[cms.PrivateKey, x509.Certificate]]:
        return list(self.identities)

    def trust_anchors(self) -> list[x509.Certificate]:
        return list(self.anchors)

    def known_certificates(self) -> list[x509.Certificate]:
        return list(self.known)


# -- raw MIME helpers -----------------------------------------------------------------------------------------

_BLANK = re.compile(rb"\r?\n\r?\n")
_EMPTY = re.compile(rb"\s*\Z")


@dataclass
class _Entity:
    headers: list[tuple[str, bytes]]  # (lower-case name, raw header bytes without the final line end)
    body: bytes
    eol: bytes

    def value(self, name: str) -> str | None:
        for key, raw in self.headers:
            if key == name:
                text = raw.split(b":", 1)[1] if b":" in raw else b""
                return re.sub(r"\r?\n[ \t]", " ", text.decode("utf-8", "surrogateescape")).strip()
        return None

    def content(self) -> Message:
        ctype = self.value("content-type") or "text/plain"
        disp = self.value("content-disposition") or ""
        raw = f"Content-Type: {ctype}\nContent-Disposition: {disp}\n\n"
        return email.parser.Parser(policy=email.policy.compat32).parsestr(raw, headersonly=True)

    def content_type(self) -> str:
        return self.content().get_content_type()


def _param(msg: Message, name: str) -> str:
    """A Content-Type parameter as text: RFC 2231 values (``protocol*=us-ascii''application%2F...``) come
    back from ``get_param`` as a (charset, language, value) tuple, which is collapsed here."""
    value = msg.get_param(name)
    if value is None:
        return ""
    if isinstance(value, tuple):
        value = email.utils.collapse_rfc2231_value(value)
    return str(value)


def _split(raw: bytes) -> _Entity:
    """Headers and body of a message or entity, keeping every byte of the body."""
    if _EMPTY.match(raw):
        raise ParseError(T("secure.smime.message-vide"))
    if raw.startswith(b"\r\n") or raw.startswith(b"\n"):
        head, body = b"", raw[2 if raw.startswith(b"\r\n") else 1 :]
    else:
        m = _BLANK.search(raw)
        head, body = (raw[: m.start()], raw[m.end() :]) if m else (raw, b"")
    eol = CRLF if b"\r\n" in (head or raw[:200]) else b"\n"
    headers: list[tuple[str, bytes]] = []
    for line in re.split(rb"\r?\n", head) if head else []:
        if line[:1] in (b" ", b"\t") and headers:
            name, prev = headers[-1]
            headers[-1] = (name, prev + eol + line)
            continue
        if not headers and line.startswith(b"From "):
            continue  # an mbox separator line
        field, sep, _ = line.partition(b":")
        if not sep or not field or not re.fullmatch(rb"[!-9;-~]+", field):
            raise ParseError(T("secure.smime.tete-message-endommage-ligne"))
        headers.append((field.decode("ascii").lower(), line))
    return _Entity(headers, body, eol)


def _is_content_header(name: str) -> bool:
    return name.startswith("content-") or name == "mime-version"


def _crlf(data: bytes) -> bytes:
    if data.count(b"\n") == data.count(b"\r\n"):
        return data  # already canonical: spare two copies of a big message
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _join(headers: Sequence[bytes], body: bytes, eol: bytes = CRLF) -> bytes:
    return b"".join(h + eol for h in headers) + eol + body


def _b64_parts(data: bytes) -> list[bytes]:
    """Base64 in 76-character CRLF lines, as pieces to join once (encodebytes goes 57 bytes at a time)."""
    out: list[bytes] = []
    step = 57 * 4096
    for start in range(0, len(data), step):
        text = binascii.b2a_base64(data[start : start + step], newline=False)
        out.append(CRLF.join([text[i : i + 76] for i in range(0, len(text), 76)]))
        out.append(CRLF)
    return out


def _b64(data: bytes) -> bytes:
    return b"".join(_b64_parts(data))


def _part_der(entity: _Entity) -> bytes:
    """The CMS bytes carried by an application/pkcs7-* entity (base64 or binary)."""
    cte = (entity.value("content-transfer-encoding") or "").strip().lower()
    body = entity.body
    if cte in ("binary", "8bit") and body[:1] == b"\x30":
        return body
    if cte not in ("base64", "") and body[:1] == b"\x30":
        return body
    try:
        der = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ParseError(T("secure.smime.partie-mime-base64-valide")) from exc
    if not der:
        raise ParseError(T("secure.smime.partie-mime-vide"))
    return der


def _sender(entity: _Entity) -> str | None:
    """The From address the signer's certificate must name, read as the list and the reader read it (every
    From field, ``getaddresses``): None without a From. A From that holds no address, or several authors,
    comes back whole, so that no certificate matches it: ``parseaddr`` gave '' for ``<>, carol@labo.test``
    (shown as carol@labo.test) and the address was then not checked at all."""
    values = [_field_text(raw) for name, raw in entity.headers if name == "from"]
    text = " ".join(" ".join(values).split())
    if not text:
        return None
    found = [addr.strip().lower() for _name, addr in email.utils.getaddresses(values) if addr.strip()]
    addresses = list(dict.fromkeys(found))
    if len(addresses) == 1:
        return addresses[0]
    return ", ".join(addresses) if addresses else text.lower()


def _shown_sender(outer: _Entity, opened: bytes) -> str | None:
    """The From a signer's certificate must name: the message's own From, which the list and the reader show
    (the summary is read from the message as received), and the From of the signed content when it carries
    its own (protected headers). Both must be the signer's: a letter Alice signed with her From inside, sent
    again under 'From: carol@…', was valid for Alice while the reader said Carol."""
    shown = _sender(outer)
    try:
        signed = _sender(_split(opened))
    except ParseError:
        signed = None
    if shown is None or signed is None or signed == shown:
        return shown or signed
    return f"{shown}, {signed}"


def _field_text(raw: bytes) -> str:
    """A header field's value as text (undecodable bytes shown as U+FFFD), its folding undone."""
    value = raw.split(b":", 1)[1] if b":" in raw else b""
    return re.sub(r"\r?\n[ \t]", " ", value.decode("utf-8", "replace")).strip()


def _inner_entity(entity: _Entity) -> bytes:
    """The Content-* headers and body of a message, canonicalised to CRLF, ready to sign or encrypt."""
    content = [raw for name, raw in entity.headers if name.startswith("content-")]
    body = entity.body
    if not content:
        content = [b"Content-Type: text/plain; charset=us-ascii"]
    ctype = entity.content_type()
    cte = (entity.value("content-transfer-encoding") or "7bit").lower()
    if not ctype.startswith("multipart/") and cte in ("7bit", "8bit", "binary") and _has_8bit(body):
        # 8-bit bodies get rewritten by mail relays, which breaks signatures: carry them as base64.
        content = [raw for raw in content if not raw.lower().startswith(b"content-transfer-encoding")]
        content.append(b"Content-Transfer-Encoding: base64")
        body = _b64(body)
    return _join([_crlf(h) for h in content], _crlf(body))


def _has_8bit(data: bytes) -> bool:
    return not data.isascii()


def _outer(entity: _Entity) -> list[bytes]:
    return [_crlf(raw) for name, raw in entity.headers if not _is_content_header(name)]


def _rebuild(outer: _Entity, inner: bytes) -> bytes:
    """The outer (clear) headers put back on top of a decrypted or verified inner entity."""
    try:
        inner_entity = _split(inner)
    except ParseError:
        inner_entity = None
    eol = outer.eol
    if inner_entity is None or not inner_entity.headers:
        # not an entity: show it as plain text rather than lose it
        inner = b"Content-Type: text/plain; charset=utf-8" + eol + eol + inner
        inner_names: set[str] = set()
    else:
        inner_names = {name for name, _ in inner_entity.headers}
    kept = [raw for name, raw in outer.headers if not _is_content_header(name) and name not in inner_names]
    if "mime-version" not in inner_names:
        kept.append(b"MIME-Version: 1.0")
    return b"".join(h + eol for h in kept) + inner


def _wrap_pkcs7_mime(outer: list[bytes], der: bytes, smime_type: str) -> bytes:
    headers = [
        *outer,
        b"MIME-Version: 1.0",
        f'Content-Type: application/pkcs7-mime; smime-type={smime_type}; name="smime.p7m"'.encode(),
        b"Content-Transfer-Encoding: base64",
        b'Content-Disposition: attachment; filename="smime.p7m"',
    ]
    return b"".join([b"".join(h + CRLF for h in headers), CRLF, *_b64_parts(der)])


# -- sign / encrypt -----------------------------------------------------------------------------------------


def sign(
    message: bytes,
    key: cms.PrivateKey,
    cert: x509.Certificate,
    chain: Sequence[x509.Certificate] = (),
    *,
    detached: bool = True,
) -> bytes:
    """Sign a MIME message: multipart/signed (default, readable without S/MIME) or opaque signed-data.

    RSA keys sign with PKCS#1 v1.5 and SHA-256 (RSA-PSS fails ``openssl smime -verify``).
    """
    entity = _split(message)
    inner = _inner_entity(entity)
    builder = pkcs7.PKCS7SignatureBuilder().set_data(inner).add_signer(cert, key, hashes.SHA256())
    for extra in chain:
        if extra != cert:
            builder = builder.add_certificate(extra)
    options = [pkcs7.PKCS7Options.Binary]  # already canonical: cryptography must not touch the bytes
    if detached:
        options.append(pkcs7.PKCS7Options.DetachedSignature)
    try:
        der = builder.sign(Encoding.DER, options)
    except (TypeError, ValueError) as exc:
        raise SecurityError(T("secure.smime.impossible-signer-cette-cle", name=type(exc).__name__)) from exc
    outer = _outer(entity)
    if not detached:
        return _wrap_pkcs7_mime(outer, der, "signed-data")
    boundary = f"----=_missive_sig_{os.urandom(12).hex()}".encode()
    headers = [
        *outer,
        b"MIME-Version: 1.0",
        b'Content-Type: multipart/signed; protocol="application/pkcs7-signature"; micalg=sha-256;'
        + b'\r\n boundary="'
        + boundary
        + b'"',
    ]
    body = (
        b"This is an S/MIME signed message"
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + inner
        + CRLF
        + b"--"
        + boundary
        + CRLF
        + b'Content-Type: application/pkcs7-signature; name="smime.p7s"'
        + CRLF
        + b"Content-Transfer-Encoding: base64"
        + CRLF
        + b'Content-Disposition: attachment; filename="smime.p7s"'
        + CRLF
        + CRLF
        + _b64(der)
        + CRLF
        + b"--"
        + boundary
        + b"--"
        + CRLF
    )
    return _join(headers, body)


def encrypt(message: bytes, recipients: Sequence[x509.Certificate], *, oaep: bool = False) -> bytes:
    """Encrypt a MIME message (AES-256-CBC, RSA key transport) for every certificate given.

    Pass the sender's own certificate too, so the Sent copy stays readable.
    """
    entity = _split(message)
    der = cms.encrypt(_inner_entity(entity), list(recipients), oaep=oaep)
    return _wrap_pkcs7_mime(_outer(entity), der, "enveloped-data")


# -- read one layer ------------------------------------------------------------------------------------------


def _layer_kind(entity: _Entity) -> str | None:
    """'signed' (multipart/signed), 'pkcs7' (application/pkcs7-mime) or None for ordinary content."""
    msg = entity.content()
    ctype = msg.get_content_type()
    if ctype == "multipart/signed":
        protocol = _param(msg, "protocol").lower()
        return "signed" if protocol in _PKCS7_SIG or not protocol else None
    if ctype in _PKCS7_MIME:
        smime_type = _param(msg, "smime-type").lower()
        return None if smime_type == "certs-only" else "pkcs7"
    if ctype == "application/octet-stream":
        name = (msg.get_filename() or _param(msg, "name")).lower()
        if name.endswith(".p7m"):
            return "pkcs7"
    return None


def _signed_parts(entity: _Entity) -> tuple[bytes, bytes]:
    """(signed content bytes, signature DER) of a multipart/signed entity."""
    boundary = _param(entity.content(), "boundary")
    if not boundary:
        raise ParseError(T("secure.smime.message-signe-separateur-mime"))
    b = boundary.encode("utf-8", "surrogateescape")
    delim = re.compile(rb"(?:\A|\r?\n)--" + re.escape(b) + rb"(--)?[ \t]*(?:\r?\n|\Z)")
    marks = list(delim.finditer(entity.body))
    if len(marks) < 2:
        raise ParseError(T("secure.smime.message-signe-tronque-parties"))
    parts = [
        entity.body[a.end() : z.start()] for a, z in zip(marks, marks[1:], strict=False) if not a.group(1)
    ]
    if not marks[-1].group(1):  # no closing delimiter: take what follows the last one
        parts.append(entity.body[marks[-1].end() :])
    if len(parts) < 2:
        raise ParseError(T("secure.smime.message-signe-tronque-partie"))
    sig_entity = _split(parts[1])
    if (
        sig_entity.content_type() not in _PKCS7_SIG
        and sig_entity.content_type() != "application/octet-stream"
    ):
        raise ParseError(T("secure.smime.seconde-partie-message-signe"))
    return parts[0], _part_der(sig_entity)


def _status(
    result: cms.SignedContent,
    anchors: list[x509.Certificate],
    sender: str | None,
    at: dt.datetime | None,
    known: cms.KnownCertificates | None = None,
    revocation: RevocationCheck | None = None,
    chain_out: list[x509.Certificate] | None = None,
) -> SignatureStatus:
    cert = result.signer_cert
    if not result.signature_ok:
        addresses = certmod.emails(cert) if cert is not None else []
        subject = certmod.subject_text(cert) if cert is not None else ""
        signer = addresses[0] if addresses else (sender or "")
        return SignatureStatus.invalid(signer, subject, result.problem or certmod.REASON_UNTRUSTED)
    assert cert is not None
    status = certmod.signer_status(cert, result.certificates, anchors, sender, at, revocation, chain_out)
    if status.valid or known is None:
        return _weak_or(result, status)
    # A letter may carry the signer's certificate without the authority in between (gpgsm --include-certs 1,
    # clients set to attach only their own): the authorities the profile holds (its own .p12 chain) complete
    # it. Looked up only then; the verdict with them is the better informed one.
    held = [c for c in known() if certmod.is_ca(c) and c not in result.certificates]
    if not held:
        return status
    return _weak_or(
        result,
        certmod.signer_status(cert, [*result.certificates, *held], anchors, sender, at, revocation, chain_out),
    )


@dataclass
class _Judged:
    """One signer's verdict, the signerInfo it rests on, and its verified chain (leaf first; empty unless the
    chain holds)."""

    status: SignatureStatus
    signer: cms.SignedContent
    chain: list[x509.Certificate] = field(default_factory=list)


def _trust_rank(status: SignatureStatus) -> int:
    """How far a signature holds, to pick one signer's best signerInfo (RFC 5652 §5.1: one valid signature
    per signer is that signer's): checked, revocation not checked, a trusted chain over a weak digest, not."""
    if status.valid:
        return 3 if status.verdict == "good" else 2
    return 1 if status.reason == "sig.weak-digest" else 0


def _care_rank(status: SignatureStatus) -> int:
    """How little a verdict trusts, to pick the letter's: revoked, not valid, revocation not checked, valid."""
    if not status.valid:
        return 0 if status.reason in REVOKED else 1
    return 2 if status.verdict == "unchecked" else 3


def letter_verdict(signers: Sequence[SignatureStatus]) -> int:
    """The index of the verdict a letter signed by ``signers`` takes: the least trusting one, the first of
    its kind (a revoked signer before any other failure). The rule for a letter with several signers (RFC 5652
    §5.1 leaves it to the application): each signer is judged on its own, and the letter is never trusted more
    than its least trusted signer, so a stranger's or a failing signature beside a colleague's valid one makes
    the letter not valid (✗, À classer, Quarantaine in strict mode), each signer's verdict said in the reader."""
    return min(range(len(signers)), key=lambda i: _care_rank(signers[i]))


def _judged(
    result: cms.SignedContent,
    anchors: list[x509.Certificate],
    sender: str | None,
    at: dt.datetime | None,
    known: cms.KnownCertificates | None = None,
    revocation: RevocationCheck | None = None,
) -> tuple[_Judged, list[_Judged]]:
    """The letter's verdict over every signer of one layer (``result`` and ``result.others``), and each
    signer's. Each signerInfo is judged by the usual rules (signature, chain, dates, weak digest, revocation,
    the From named by its certificate); the signerInfos of one certificate are one signer, judged by the best
    of them (a letter signed with SHA-256 and SHA-1 by the same person). The From must be named by a signer
    whose signature is valid: once one is, a co-signer is judged without it (a colleague's own address is not
    the author's). The letter takes the least trusting verdict (``letter_verdict``); it was the best one, and a
    stranger's (or a failing) signature beside a colleague's valid one was never said."""
    groups: dict[bytes | int, list[tuple[_Judged, _Judged]]] = {}
    for signer in (result, *result.others):
        chain: list[x509.Certificate] = []
        named = _Judged(_status(signer, anchors, sender, at, known, revocation, chain), signer, chain)
        if signer.signer_cert is None and result.others:
            # beside other signers, one whose certificate is unknown (or whose signerInfo is damaged) is nobody
            # known: its line names no one rather than the From, which another signer may rightly bear
            named = _Judged(SignatureStatus(False, "", "", named.status.reason, named.status.params), signer)
        own = named
        if result.others and not named.status.valid and named.status.reason == "sig.address-mismatch":
            alone: list[x509.Certificate] = []
            own = _Judged(_status(signer, anchors, None, at, known, revocation, alone), signer, alone)
        cert = signer.signer_cert
        key: bytes | int = certmod.der(cert) if cert is not None else id(signer)
        groups.setdefault(key, []).append((named, own))
    lines: list[tuple[_Judged, _Judged]] = []
    for members in groups.values():
        ranks = [_trust_rank(named.status) for named, _own in members]
        lines.append(members[ranks.index(max(ranks))])
    if any(named.status.valid for named, _own in lines):
        judged = [named if named.status.valid else own for named, own in lines]
    else:
        judged = [named for named, _own in lines]
    # among verdicts as trusting, the letter's rests on a signer naming the From (its certificate is the one kept
    # for replying encrypted, its address the one the verdict names), not on a co-signer's
    order = sorted(range(len(lines)), key=lambda i: 0 if lines[i][0].status.valid else 1)
    return judged[order[letter_verdict([judged[i].status for i in order])]], judged


def _weak_or(result: cms.SignedContent, status: SignatureStatus) -> SignatureStatus:
    """A signature over SHA-1 that holds, from a trusted signer, is not shown valid: SHA-1 collisions can be
    bought, so it no longer proves who wrote the letter (Thunderbird refuses it too). A chain that fails says
    that first: it is what the doctor can act on."""
    if not status.valid or not result.weak_digest:
        return status
    return SignatureStatus.invalid(
        status.signer, status.subject, T("sig.weak-digest", algorithm=result.weak_digest)
    )


def verify(
    message: bytes,
    anchors: Sequence[x509.Certificate],
    *,
    sender: str | None = None,
    at: dt.datetime | None = None,
    revocation: RevocationCheck | None = None,
) -> tuple[bytes, SignatureStatus, x509.Certificate | None]:
    """Verify the signature of a signed message (detached or opaque).

    Returns the message without its signature layer, the status and the signer's certificate. The
    address checked against the certificate is ``sender`` or the message's From.
    """
    entity = _split(message)
    kind = _layer_kind(entity)
    if kind == "signed":
        content, der = _signed_parts(entity)
        result = cms.verify_signed_data(der, content)
    elif kind == "pkcs7":
        der = _part_der(entity)
        if cms.content_type_of(der) != "signed_data":
            raise ParseError(T("secure.smime.message-chiffre-signe-dechiffrez"))
        result = cms.verify_signed_data(der)
    else:
        raise ParseError(T("secure.smime.message-signe-mime"))
    rebuilt = _rebuild(entity, result.content)
    sender = sender or _shown_sender(entity, rebuilt)
    chosen, _signers = _judged(result, list(anchors), sender, at, revocation=revocation)
    return rebuilt, chosen.status, chosen.signer.signer_cert


def decrypt(message: bytes, identities: Sequence[tuple[cms.PrivateKey, x509.Certificate]]) -> bytes:
    """Decrypt one enveloped layer; the result keeps the outer headers."""
    entity = _split(message)
    if _layer_kind(entity) != "pkcs7":
        raise ParseError(T("secure.smime.message-chiffre-mime"))
    der = _part_der(entity)
    kind = cms.content_type_of(der)
    if kind not in ("enveloped_data", "authenticated_enveloped_data"):
        raise ParseError(T("secure.smime.message-signe-chiffre-verifiez"))
    return _rebuild(entity, cms.decrypt(der, list(identities)))


def foreign_signature(message: bytes) -> str:
    """The kind of signature when ``message`` is signed, but not with S/MIME ("OpenPGP"...); '' otherwise."""
    try:
        msg = _split(message).content()
    except MissiveError:
        return ""
    if msg.get_content_type() != "multipart/signed":
        return ""
    protocol = _param(msg, "protocol").lower()
    if not protocol or protocol in _PKCS7_SIG:
        return ""
    return "OpenPGP" if "pgp" in protocol else protocol


def cipher_note(message: bytes) -> str:
    """'chiffrement ancien (3DES)' when the outer encrypted layer of ``message`` uses 3DES, else ''."""
    try:
        entity = _split(message)
        if _layer_kind(entity) != "pkcs7":
            return ""
        return cms.legacy_cipher(_part_der(entity))
    except MissiveError:
        return ""


def _decompress(der: bytes) -> bytes:
    """The content of a CompressedData layer, inflated no further than ``MAX_INFLATED`` bytes: 500 KB of
    zlib inflate to 400 MB (a sync held 1.5 GB for such a letter), and a layer may hold another."""
    import zlib

    info = cms.load_content_info(der)
    plain = bytearray()  # grown piece by piece: one buffer, never a second copy of the whole
    try:
        pending = bytes(info["content"]["encap_content_info"]["content"].native)
        inflater = zlib.decompressobj()
        while not inflater.eof:
            piece = inflater.decompress(pending, 1 << 20)
            pending = inflater.unconsumed_tail
            plain += piece
            if len(plain) > MAX_INFLATED:
                raise ParseError(T("secure.smime.compressed-too-big", mb=MAX_INFLATED >> 20))
            if not piece and not pending:
                raise ParseError(T("secure.smime.partie-mime-compressee-endommagee", name="zlib"))
    except ParseError:
        raise
    except (ValueError, TypeError, KeyError, OSError, Exception) as exc:  # zlib.error is an Exception
        raise ParseError(
            T("secure.smime.partie-mime-compressee-endommagee", name=type(exc).__name__)
        ) from exc
    # a bytearray: bytes-like for _rebuild, as cms.decrypt's plaintext
    return plain  # type: ignore[return-value]  # see the line above


def open_message(raw: bytes, keys: KeyRing, *, at: dt.datetime | None = None) -> OpenedMessage:
    """Remove every S/MIME layer of a received message, verifying signatures on the way.

    Never raises for a well-formed message that cannot be verified or decrypted: the status says why.
    Raises ParseError (or SecurityError) only for garbage. Harvest ``signer_cert`` into the key store
    when ``signature.valid``.
    """
    try:
        return _open(raw, keys, at)
    except MissiveError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError, UnicodeError) as exc:
        # a last line of defence for damage the parsers above did not foresee
        raise ParseError(T("secure.smime.message-mime-endommage-demandez", name=type(exc).__name__)) from exc


def _open(raw: bytes, keys: KeyRing, at: dt.datetime | None) -> OpenedMessage:
    current = raw
    first = _split(raw)
    encrypted = signed = False
    note = ""
    results: list[cms.SignedContent] = []
    sealed = 0  # results[:sealed] were signatures over a ciphertext opened since: they do not cover the text
    for _ in range(MAX_LAYERS):
        entity = first if current is raw else _split(current)
        kind = _layer_kind(entity)
        if kind is None:
            break
        if kind == "signed":
            content, der = _signed_parts(entity)
            result = cms.verify_signed_data(der, content, keys.known_certificates)
        else:
            der = _part_der(entity)
            cms_type = cms.content_type_of(der)
            if cms_type in ("enveloped_data", "authenticated_enveloped_data"):
                encrypted = True
                try:
                    inner = cms.decrypt(der, keys.decryption_identities())
                except SecurityError as exc:
                    status, signer, _links, _signers = _verdict(results, current, first, keys, at)
                    return OpenedMessage(current, True, signed, status, signer, False, str(exc), note)
                note = note or cms.legacy_cipher(der)
                sealed = len(results)
                current = _rebuild(entity, inner)
                continue
            if cms_type == "compressed_data":
                current = _rebuild(entity, _decompress(der))
                continue
            if cms_type != "signed_data":
                raise ParseError(T("secure.smime.contenu-mime-non-pris", cms_type=cms_type))
            result = cms.verify_signed_data(der, known=keys.known_certificates)
        signed = True
        results.append(result)
        current = _rebuild(entity, result.content)
    else:
        raise ParseError(T("secure.smime.message-empile-plus-couches", MAX_LAYERS=MAX_LAYERS))
    status, signer, links, signers = _verdict(results, current, first, keys, at, sealed)
    return OpenedMessage(
        current, encrypted, signed, status, signer, cipher_note=note, revocation_links=links, signers=signers
    )


def _links(judged: _Judged, revocation: RevocationCheck | None) -> tuple[dict[str, Any], ...]:
    """What a revocation list arriving later needs to judge a signer again: its chain (its anchor left out),
    kept for a valid or revoked signature when the profile checks revocation."""
    status = judged.status
    if revocation is None or not (status.valid or status.reason in REVOKED):
        return ()
    from core.secure.crl import link_of

    return tuple(link_of(member).to_json() for member in judged.chain[:-1])


def _verdict(
    results: list[cms.SignedContent],
    current: bytes,
    first: _Entity,
    keys: KeyRing,
    at: dt.datetime | None,
    sealed: int = 0,
) -> tuple[
    SignatureStatus | None,
    bytes | None,
    tuple[dict[str, Any], ...],
    tuple[tuple[SignatureStatus, tuple[dict[str, Any], ...]], ...],
]:
    """The letter's verdict, the least trusting over every signer of every signature layer (``_judged``),
    checked against the From the reader will show, with its signer and chain; and, for a letter with several
    signers, each one's verdict and chain (one per certificate, in the letter's order).

    ``results[:sealed]`` signed an encrypted layer that was opened since (encrypt-then-sign): their signer
    signed a ciphertext, which anyone can re-sign, not necessarily the text shown. When the content carries
    its own signature, that one is shown; otherwise the verdict says the envelope alone is signed."""
    if not results:
        return None, None, (), ()
    sender = _shown_sender(first, current)
    anchors = keys.trust_anchors()
    # the profile's CRLs (KeyStore.revocation); a key ring without them does not check revocation
    revocation: RevocationCheck | None = getattr(keys, "revocation", None)
    chosen: _Judged | None = None
    every: dict[bytes | int, _Judged] = {}  # each signer (its certificate) over the layers: its least trusted
    for result in results[sealed:] or results:
        layer, signers = _judged(result, anchors, sender, at, keys.known_certificates, revocation)
        if chosen is None or _care_rank(layer.status) < _care_rank(chosen.status):
            chosen = layer
        for judged in signers:
            cert = judged.signer.signer_cert
            key: bytes | int = certmod.der(cert) if cert is not None else id(judged)
            if key not in every or _care_rank(judged.status) < _care_rank(every[key].status):
                every[key] = judged
    assert chosen is not None
    status = chosen.status
    if len(results) == sealed and status.valid:
        return SignatureStatus.invalid(
            status.signer, status.subject, T("sig.envelope-only", signer=status.signer)
        ), None, (), ()
    cert = chosen.signer.signer_cert
    several: tuple[tuple[SignatureStatus, tuple[dict[str, Any], ...]], ...] = ()
    if len(every) > 1:
        several = tuple((judged.status, _links(judged, revocation)) for judged in every.values())
    return status, certmod.der(cert) if cert is not None else None, _links(chosen, revocation), several
