"""X.509 certificates for S/MIME: loading, addresses, description, and the signer's trust verdict.

The chain is validated with ``cryptography.x509.verification`` against the profile's trust anchors; the
checks a doctor cares most about (expiry, purpose, address) are done first, one by one, so that the
reason is precise and kept as a catalogue code ("sig.cert-expired", "sig.chain-untrusted"...), read in the
language chosen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509 import verification
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from core.errors import ParseError
from core.model import SignatureStatus
from core.text import T, Text

if TYPE_CHECKING:
    from core.secure.crl import Revocation

    # what the profile's CRLs say of a certificate at a time (core.secure.crl.CrlStore.status)
    RevocationCheck = Callable[[x509.Certificate, dt.datetime | None], Revocation]

REASON_UNTRUSTED = T("sig.chain-untrusted")
REASON_NO_ANCHOR = T("sig.no-anchor")


def load_certificates(data: bytes) -> list[x509.Certificate]:
    """Every certificate in PEM (one or many), DER or PKCS#7 (.p7b) bytes; ParseError when there is none."""
    try:
        if b"-----BEGIN PKCS7" in data:
            certs = pkcs7.load_pem_pkcs7_certificates(data)
        elif b"-----BEGIN" in data:
            certs = x509.load_pem_x509_certificates(data)
        else:
            try:
                certs = [x509.load_der_x509_certificate(data)]
            except ValueError:
                # the IGC-Santé chain is published as a .p7b (PKCS#7 certs-only) bundle
                certs = pkcs7.load_der_pkcs7_certificates(data)
    except (ValueError, x509.InvalidVersion) as exc:
        raise ParseError(T("secure.certs.fichier-certificat-formats-acceptes")) from exc
    if not certs:
        raise ParseError(T("secure.certs.aucun-certificat-fichier-verifiez"))
    return certs


def load_certificate(data: bytes) -> x509.Certificate:
    """The first certificate of PEM or DER bytes."""
    return load_certificates(data)[0]


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


def fingerprint(cert: x509.Certificate) -> str:
    """SHA-256 fingerprint, lower-case hex: the certificate's id in the store."""
    return cert.fingerprint(hashes.SHA256()).hex()


def emails(cert: x509.Certificate) -> list[str]:
    """The e-mail addresses a certificate vouches for (SAN rfc822Name, then the subject emailAddress)."""
    found: list[str] = []
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        found.extend(a.strip().lower() for a in san.get_values_for_type(x509.RFC822Name))
    except (x509.ExtensionNotFound, ValueError):
        pass
    try:
        for attr in cert.subject.get_attributes_for_oid(NameOID.EMAIL_ADDRESS):
            found.append(str(attr.value).strip().lower())
    except ValueError:
        pass
    return list(dict.fromkeys(a for a in found if "@" in a))


def subject_text(cert: x509.Certificate) -> str:
    try:
        return cert.subject.rfc4514_string({NameOID.EMAIL_ADDRESS: "emailAddress"})
    except ValueError:
        return ""


def _fr_date(when: dt.datetime) -> str:
    return when.strftime("%d/%m/%Y")


def _utc(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return dt.datetime.now(dt.UTC)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def describe(cert: x509.Certificate) -> dict[str, Any]:
    """A JSON-able summary for `missive keys list`."""
    return {
        "fingerprint": fingerprint(cert),
        "subject": subject_text(cert),
        "issuer": cert.issuer.rfc4514_string({NameOID.EMAIL_ADDRESS: "emailAddress"}),
        "serial": format(cert.serial_number, "x"),
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": cert.not_valid_after_utc.isoformat(),
        "emails": emails(cert),
        "is_ca": is_ca(cert),
    }


def is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        return False


def validity_problem(
    cert: x509.Certificate, at: dt.datetime | None = None, authority: bool = False
) -> Text | None:
    """None when ``cert`` is within its dates at ``at``, else the reason (a catalogue code)."""
    now = _utc(at)
    who = "sig.ca" if authority else "sig.cert"
    if now > cert.not_valid_after_utc:
        return T(f"{who}-expired", date=_fr_date(cert.not_valid_after_utc))
    if now < cert.not_valid_before_utc:
        return T(f"{who}-not-yet-valid", date=_fr_date(cert.not_valid_before_utc))
    return None


def _ext(cert: x509.Certificate, cls: type) -> Any:
    try:
        return cert.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None


def purpose_problem(cert: x509.Certificate, *, for_signing: bool = True) -> Text | None:
    """None when the certificate may protect e-mail (key usage and emailProtection purpose), else why."""
    try:
        ku = _ext(cert, x509.KeyUsage)
        eku = _ext(cert, x509.ExtendedKeyUsage)
    except ValueError:
        return T("sig.cert-bad-extensions")
    if ku is not None:
        if for_signing and not (ku.digital_signature or ku.content_commitment):
            return T("sig.cert-not-for-signing")
        if not for_signing and not (ku.key_encipherment or ku.key_agreement):
            return T("sig.cert-not-for-encryption")
    if eku is not None and not (
        ExtendedKeyUsageOID.EMAIL_PROTECTION in eku or ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE in eku
    ):
        return T("sig.cert-not-for-mail")
    return None


def _eku_ok(_policy: Any, _cert: x509.Certificate, ext: Any) -> None:
    # Validators receive the extension value; None when absent (allowed: no EKU means any purpose).
    if ext is None:
        return
    if (
        ExtendedKeyUsageOID.EMAIL_PROTECTION not in ext
        and ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE not in ext
    ):
        raise ValueError("emailProtection purpose missing")


def _ca_ok(_policy: Any, _cert: x509.Certificate, ext: Any) -> None:
    if not ext.ca:
        raise ValueError("not a certification authority")


def _verifier(anchors: Sequence[x509.Certificate], at: dt.datetime) -> verification.ClientVerifier:
    # The stock client verifier demands the clientAuth purpose; S/MIME needs emailProtection instead.
    agnostic = verification.Criticality.AGNOSTIC
    # The web PKI profile is made for TLS servers: it demands an authority key identifier and a subject
    # alternative name on the end certificate. S/MIME certificates from NSS/Thunderbird test CAs and from
    # older authorities carry neither (the address sits in the subject's emailAddress), and the issuer is
    # still matched by name and signature: both extensions are allowed, not required.
    ee = (
        verification.ExtensionPolicy.webpki_defaults_ee()
        .may_be_present(x509.ExtendedKeyUsage, agnostic, _eku_ok)
        .may_be_present(x509.AuthorityKeyIdentifier, agnostic, None)
        .may_be_present(x509.SubjectAlternativeName, agnostic, None)
    )
    # NSS's and older e-mail authorities mark basicConstraints non-critical and carry no key identifiers:
    # the authority must still say CA:TRUE (checked here) and sign the certificate below it.
    ca = (
        verification.ExtensionPolicy.webpki_defaults_ca()
        .may_be_present(x509.ExtendedKeyUsage, agnostic, _eku_ok)
        .require_present(x509.BasicConstraints, agnostic, _ca_ok)
        .may_be_present(x509.AuthorityKeyIdentifier, agnostic, None)
        .may_be_present(x509.SubjectKeyIdentifier, agnostic, None)
    )
    return (
        verification.PolicyBuilder()
        .store(verification.Store(list(anchors)))
        .time(at.replace(tzinfo=None) if at.tzinfo else at)
        .extension_policies(ca_policy=ca, ee_policy=ee)
        .build_client_verifier()
    )


_WEAK_ALGORITHMS = (("sha1", "SHA-1"), ("md5", "MD5"), ("md2", "MD2"))


def chain_problem(
    cert: x509.Certificate,
    intermediates: Iterable[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime | None = None,
) -> Text | None:
    """None when ``cert`` chains to one of ``anchors`` at ``at``, else the reason (a catalogue code)."""
    return _chain(cert, intermediates, anchors, at)[1]


def _chain(
    cert: x509.Certificate,
    intermediates: Iterable[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    at: dt.datetime | None = None,
) -> tuple[list[x509.Certificate], Text | None]:
    """(the chain from ``cert`` to its anchor, None) when it holds, else ([], the reason)."""
    if not anchors:
        return [], REASON_NO_ANCHOR
    now = _utc(at)
    pool = [c for c in intermediates if c != cert]
    try:
        return list(_verifier(anchors, now).verify(cert, pool).chain), None
    except verification.VerificationError as exc:
        text = str(exc)
    except (ValueError, TypeError) as exc:  # malformed extensions surface as plain errors
        return [], T("sig.cert-invalid", detail=" ".join(str(exc).split())[:80])
    # Name the most useful cause: an expired authority beats a generic "not trusted".
    for ca in pool + list(anchors):
        if is_ca(ca) and validity_problem(ca, now):
            if ca.subject == cert.issuer or ca in anchors:
                return [], validity_problem(ca, now, authority=True)
    if "not valid at validation time" in text:
        return [], T("sig.chain-out-of-date")
    if "Forbidden signature algorithm" in text:
        # an authority that signed with SHA-1 or MD5 (StartCom's 2013 chain in a Thunderbird letter): the
        # authority may well be imported, so 'importez l'autorité' would send the doctor in circles
        weak = next((name for key, name in _WEAK_ALGORITHMS if key in text.lower()), "SHA-1/MD5")
        return [], T("sig.chain-weak-algorithm", algorithm=weak)
    if "candidates exhausted" in text or "no issuer" in text.lower():
        return [], REASON_UNTRUSTED
    if "cA must not be asserted in an EE certificate" in text:
        # the signer's own certificate is an authority's (a self-signed one made with openssl req -x509 has
        # CA:TRUE): importing it changes nothing, so 'importez l'autorité' would send the doctor in circles
        return [], T("sig.signer-is-ca")
    if "EKU" in text or "emailProtection" in text:
        return [], T("sig.ca-not-for-mail")
    return [], T("sig.chain-untrusted-detail", detail=" ".join(text.split("(encountered")[0].split())[:100])


def signer_status(
    cert: x509.Certificate,
    intermediates: Iterable[x509.Certificate],
    anchors: Sequence[x509.Certificate],
    sender: str | None,
    at: dt.datetime | None = None,
    revocation: RevocationCheck | None = None,
    chain_out: list[x509.Certificate] | None = None,
) -> SignatureStatus:
    """The verdict on a signer whose signature math already holds: dates, purpose, chain, address, and with
    ``revocation`` (the profile's CRLs) whether a certificate of the chain was revoked. ``chain_out`` receives
    the verified chain (leaf first) when it holds."""
    addresses = emails(cert)
    sender_l = (sender or "").strip().lower()
    shown = sender_l if sender_l in addresses else (addresses[0] if addresses else sender_l)
    subject = subject_text(cert)
    for problem in (validity_problem(cert, at), purpose_problem(cert, for_signing=True)):
        if problem:
            return SignatureStatus.invalid(shown, subject, problem)
    chain, problem = _chain(cert, intermediates, anchors, at)
    if problem:
        return SignatureStatus.invalid(shown, subject, problem)
    if sender_l and sender_l not in addresses:
        listed = ", ".join(addresses) or "-"
        return SignatureStatus.invalid(
            shown, subject, T("sig.address-mismatch", sender=sender_l, listed=listed)
        )
    if chain_out is not None:
        chain_out[:] = chain
    if revocation is None:
        return SignatureStatus(True, shown, subject, "")
    return revocation_verdict(shown, subject, revocation_problem(chain, revocation, at))


def revocation_verdict(signer: str, subject: str, note: Text | None) -> SignatureStatus:
    """The verdict on a signature that holds in every other respect, once its chain's revocation is judged
    (``revocation_problem``, ``crl.judge``): valid; valid with a note when it is not known; revoked, not valid."""
    if note is None:
        return SignatureStatus(True, signer, subject, "")
    if note.code.startswith("sig.revocation-"):  # not known: still valid, and the verdict says so
        return SignatureStatus(True, signer, subject, note.code, {k: str(v) for k, v in note.params.items()})
    return SignatureStatus.invalid(signer, subject, note)


def revocation_problem(
    chain: Sequence[x509.Certificate], revocation: RevocationCheck, at: dt.datetime | None = None
) -> Text | None:
    """None when no certificate of ``chain`` (leaf first, its anchor last and not checked) is revoked and each
    one's CRL is current; else "sig.cert-revoked" / "sig.ca-revoked" (revoked), or "sig.revocation-unknown" /
    "sig.revocation-stale" (not known: no CRL of that authority, or only one past its nextUpdate)."""
    from core.secure.crl import judge, link_of

    return judge([(revocation(member, at), link_of(member)) for member in chain[:-1]])
