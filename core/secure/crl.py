"""Certificate revocation lists (CRLs): the last good, non-expired list of each authority, kept in the profile.

MSSanté's trust space asks for revocation to be checked (STANDARDS.md §1.2, CONF.22): a correspondent whose card
or certificate was revoked (lost, stolen, practitioner gone) must neither be trusted as a signer nor be written
to. The authorities (IGC Santé...) publish their CRLs over plain http: a CRL is signed by its authority, so it
is kept only once its signature holds against that authority's certificate (a trust anchor or an authority of
the profile's chains) and its dates are sound, and never in place of a newer one. A CRL is public data (serial
numbers and dates): it is kept in the profile's collections, one small description (``smime_crls``) and its
bytes (``smime_crl_der``) per authority, keyed by the hash of the authority's name.

Verdicts (``status``): "good" (a current CRL of the issuer does not list the certificate), "revoked" (listed, in
any CRL held, even one past its nextUpdate: a revocation is for good), "unknown" (no CRL of the issuer, or only
one past its nextUpdate, or one whose authority key identifier is not the certificate's: another key of an
authority of the same name). Nothing here logs or names a person: authorities' names and serial numbers only.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from core.errors import SecurityError
from core.store.collection import Collection
from core.text import T

META = "smime_crls"
DER = "smime_crl_der"
MAX_CRL_BYTES = 30_000_000  # IGC Santé's largest lists weigh a few MB
CLOCK_SKEW = dt.timedelta(minutes=10)  # a list issued "in a few minutes" by a server whose clock runs ahead

State = Literal["good", "revoked", "unknown"]


class CrlRefused(SecurityError):
    """A downloaded CRL that cannot be kept (unreadable, unknown authority, bad signature, out of date)."""


@dataclass(frozen=True)
class Revocation:
    """What the profile's CRLs say of one certificate."""

    state: State
    issuer: str  # the issuing authority's common name, for the words shown
    revoked_on: dt.datetime | None = None  # when "revoked"
    stale_since: dt.datetime | None = None  # "unknown" because the only CRL held expired then


def name_key(name: x509.Name) -> str:
    """The key of an authority's CRL: a hash of its name's DER bytes."""
    return hashlib.sha256(name.public_bytes()).hexdigest()[:32]


def issuer_text(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:
        return "?"


def short_name(name: x509.Name) -> str:
    """An authority as a verdict names it: its common name ('AC IGC-SANTE ELEMENTAIRE PERSONNES'), else its
    whole name."""
    try:
        common = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
        if common and str(common[0].value).strip():
            return str(common[0].value).strip()
    except ValueError:
        pass
    return issuer_text(name)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    """A CRL in DER or PEM; CrlRefused for anything else (an html page, garbage)."""
    if len(data) > MAX_CRL_BYTES:
        raise CrlRefused(T("secure.crl.too-big", limit=MAX_CRL_BYTES // 1_000_000))
    try:
        if data.lstrip()[:11] == b"-----BEGIN ":
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise CrlRefused(T("secure.crl.unreadable")) from exc


def distribution_points(cert: x509.Certificate) -> list[str]:
    """The http(s) addresses of the CRL distribution points a certificate names (ldap ones are left out)."""
    try:
        ext = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except (x509.ExtensionNotFound, ValueError):
        return []
    found: list[str] = []
    for point in ext:
        for general in point.full_name or []:
            if isinstance(general, x509.UniformResourceIdentifier):
                url = general.value.strip()
                if url.lower().startswith(("http://", "https://")):
                    found.append(url)
    return list(dict.fromkeys(found))


def _utc(when: dt.datetime | None) -> dt.datetime:
    if when is None:
        return dt.datetime.now(dt.UTC)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _date(when: dt.datetime) -> str:
    return when.strftime("%d/%m/%Y %H:%M UTC")


def check_crl(
    crl: x509.CertificateRevocationList,
    authorities: Iterable[x509.Certificate],
    at: dt.datetime | None = None,
) -> x509.Certificate:
    """The authority whose key signed ``crl`` (among ``authorities``, by name then signature), once its dates
    hold at ``at``; CrlRefused says why otherwise."""
    now = _utc(at)
    issuer = issuer_text(crl.issuer)
    named = [ca for ca in authorities if ca.subject == crl.issuer]
    if not named:
        raise CrlRefused(T("secure.crl.unknown-authority", issuer=issuer))
    signer = None
    for ca in named:
        try:
            if crl.is_signature_valid(ca.public_key()):  # type: ignore[arg-type]  # CA keys: RSA or EC
                signer = ca
                break
        except (TypeError, ValueError):
            continue
    if signer is None:
        raise CrlRefused(T("secure.crl.bad-signature", issuer=issuer))
    try:
        partial = _partial(crl)
    except ValueError as exc:  # an extension that does not parse (read lazily): the list cannot be judged
        raise CrlRefused(T("secure.crl.unreadable")) from exc
    if partial:
        raise CrlRefused(T("secure.crl.partial", issuer=issuer))
    try:
        usage = signer.extensions.get_extension_for_class(x509.KeyUsage).value
        if not usage.crl_sign:
            raise CrlRefused(T("secure.crl.not-crl-signer", issuer=issuer))
    except x509.ExtensionNotFound:
        pass
    if crl.last_update_utc > now + CLOCK_SKEW:
        raise CrlRefused(T("secure.crl.not-yet", issuer=issuer, date=_date(crl.last_update_utc)))
    next_update = crl.next_update_utc
    if next_update is None:
        raise CrlRefused(T("secure.crl.no-next-update", issuer=issuer))
    if next_update < now:
        raise CrlRefused(T("secure.crl.expired", issuer=issuer, date=_date(next_update)))
    return signer


def _partial(crl: x509.CertificateRevocationList) -> bool:
    """A list that is not the whole of what its authority revoked: a delta CRL, an indirect CRL (listing
    another authority's certificates) or one for some revocation reasons only. Kept as "the" list of its
    authority, it would make certificates it leaves out read as not revoked."""
    try:
        crl.extensions.get_extension_for_class(x509.DeltaCRLIndicator)
        return True
    except x509.ExtensionNotFound:
        pass
    try:
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return False
    return bool(point.indirect_crl or point.only_some_reasons or point.only_contains_attribute_certs)


def _authority_key_id(signed: x509.CertificateRevocationList | x509.Certificate) -> bytes | None:
    """The key identifier of the authority key that signed a CRL or a certificate (RFC 5280 asks it of both),
    None when not given."""
    try:
        return signed.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
    except (x509.ExtensionNotFound, ValueError):
        return None


def _covers(crl: x509.CertificateRevocationList, cert: x509.Certificate) -> bool:
    """Whether ``cert`` is of the kind ``crl`` lists (an authority's list may hold only its end-entity
    certificates, or only its authorities: the ARL)."""
    try:
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return True
    try:
        authority = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        authority = False
    if point.only_contains_user_certs and authority:
        return False
    return not (point.only_contains_ca_certs and not authority)


class CrlStore:
    """The profile's CRLs, one per authority (see the module docstring)."""

    def __init__(self, meta: Collection, ders: Collection) -> None:
        self.meta = meta
        self.ders = ders
        self._parsed: dict[str, tuple[str, x509.CertificateRevocationList]] = {}
        self._lock = threading.Lock()

    def keep(
        self,
        data: bytes,
        authorities: Sequence[x509.Certificate],
        *,
        url: str = "",
        at: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Check a CRL (``check_crl``) and keep it unless the one held is as new or newer. Returns its
        description with ``changed``; CrlRefused leaves what was held as it was."""
        crl = load_crl(data)
        check_crl(crl, authorities, at)
        try:  # every entry read once here: a damaged one refuses the list, not a later verdict
            for entry in crl:
                _ = (entry.serial_number, entry.revocation_date_utc)
        except ValueError as exc:
            raise CrlRefused(T("secure.crl.unreadable")) from exc
        key = name_key(crl.issuer)
        der = crl.public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).hexdigest()
        held = self.meta.get(key)
        this_update = crl.last_update_utc.isoformat()
        if held is not None and held.get("sha256") != digest:
            if held.get("this_update", "") > this_update:
                raise CrlRefused(
                    T("secure.crl.older", issuer=issuer_text(crl.issuer), date=_date(crl.last_update_utc))
                )
        changed = held is None or held.get("sha256") != digest
        doc = {
            "issuer": issuer_text(crl.issuer),
            "this_update": this_update,
            "next_update": crl.next_update_utc.isoformat() if crl.next_update_utc else "",
            "entries": len(crl),
            "sha256": digest,
            "url": url or (held or {}).get("url", ""),
            "kept": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            if changed
            else (held or {}).get("kept", ""),
        }
        if changed:
            self.ders.put(key, {"der": base64.b64encode(der).decode("ascii")})
        self.meta.put(key, doc)
        return {**doc, "changed": changed}

    def _crl(self, key: str) -> tuple[dict[str, Any], x509.CertificateRevocationList] | None:
        doc = self.meta.get(key)
        if doc is None:
            return None
        with self._lock:
            cached = self._parsed.get(key)
            if cached is not None and cached[0] == doc.get("sha256"):
                return doc, cached[1]
        held = self.ders.get(key)
        if held is None:
            return None
        der = base64.b64decode(held["der"])
        if hashlib.sha256(der).hexdigest() != doc.get("sha256"):
            return None  # not the list that was checked: as if none were held
        crl = x509.load_der_x509_crl(der)
        with self._lock:
            self._parsed[key] = (doc["sha256"], crl)
        return doc, crl

    def status(self, cert: x509.Certificate, at: dt.datetime | None = None) -> Revocation:
        """What the CRL of ``cert``'s issuer says of it (see the module docstring)."""
        issuer = short_name(cert.issuer)
        found = self._crl(name_key(cert.issuer))
        if found is None:
            return Revocation("unknown", issuer)
        _doc, crl = found
        held_by, issued_by = _authority_key_id(crl), _authority_key_id(cert)
        if held_by and issued_by and held_by != issued_by:
            # the list of another key of an authority of the same name (a CA renewed with a new key, both
            # generations in use): it says nothing of this certificate, neither good nor revoked
            return Revocation("unknown", issuer)
        entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
        if entry is not None:
            return Revocation("revoked", issuer, revoked_on=entry.revocation_date_utc)
        if not _covers(crl, cert):
            return Revocation("unknown", issuer)  # the list held is for the other kind of certificate
        next_update = crl.next_update_utc
        if next_update is None or next_update < _utc(at):
            return Revocation("unknown", issuer, stale_since=next_update)
        return Revocation("good", issuer)

    def listing(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Each CRL held: issuer, thisUpdate, nextUpdate, entries, where from, whether expired."""
        when = _utc(now)
        out = []
        for _key, doc in self.meta.items():
            next_update = doc.get("next_update") or ""
            expired = not next_update or dt.datetime.fromisoformat(next_update) < when
            out.append({**doc, "expired": expired})
        return sorted(out, key=lambda d: d["issuer"])
