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
from typing import TYPE_CHECKING, Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from core.errors import SecurityError
from core.store.collection import Collection
from core.text import T, Text

if TYPE_CHECKING:
    from core.model import SignatureStatus

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
    # when "revoked": since when the authority holds it untrustworthy, the revocation date or, earlier, the
    # invalidity date it gives (RFC 5280 §5.3.2: the key known or suspected compromised since then)
    invalid_since: dt.datetime | None = None


@dataclass(frozen=True)
class Link:
    """One certificate of a verified chain (leaf first, the anchor left out), as its revocation is looked up:
    kept with a letter's verdict (``to_json``) so that a CRL arriving later judges it again without the letter
    being read again (``judge``). Public data only: authorities' names, serial numbers, key identifiers."""

    issuer_key: str  # name_key of its issuer: where its authority's CRL is kept
    issuer: str  # its issuer's short name (said when its revocation is not known)
    subject: str  # its own short name (said when this authority is revoked)
    serial: int
    akid: bytes | None  # the key identifier of the authority key that signed it
    ca: bool

    def to_json(self) -> dict[str, Any]:
        return {
            "crl": self.issuer_key,
            "issuer": self.issuer,
            "subject": self.subject,
            "serial": format(self.serial, "x"),
            "akid": self.akid.hex() if self.akid else "",
            "ca": self.ca,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Link:
        akid = str(data.get("akid") or "")
        return cls(
            str(data["crl"]),
            str(data.get("issuer") or "?"),
            str(data.get("subject") or "?"),
            int(str(data["serial"]), 16),
            bytes.fromhex(akid) if akid else None,
            bool(data.get("ca")),
        )


def link_of(cert: x509.Certificate) -> Link:
    try:
        authority = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except (x509.ExtensionNotFound, ValueError):
        authority = False
    return Link(
        name_key(cert.issuer),
        short_name(cert.issuer),
        short_name(cert.subject),
        cert.serial_number,
        _authority_key_id(cert),
        authority,
    )


def judge(found: Sequence[tuple[Revocation, Link]], seen: dt.datetime | None = None) -> Text | None:
    """The revocation verdict on a chain: what the CRLs say of each of its certificates (leaf first, the
    anchor left out). None when none is revoked and each one's CRL is current; "sig.cert-revoked" /
    "sig.ca-revoked" when one is; else "sig.revocation-unknown" / "sig.revocation-stale" (not known).

    ``seen``: when missive first held the letter (its own clock, at the sync that stored it); None: now. A
    certificate the authority holds untrustworthy only since after that time signed the letter while it was
    good: the letter stays valid (RFC 5280 §6.3: revocation is judged at a time). The signing time a letter
    claims (CMS signingTime) is written by the signer, a thief of the key included: it is not relied upon."""
    unknown: Text | None = None
    for position, (state, link) in enumerate(found):
        if state.state == "revoked":
            since = state.invalid_since or state.revoked_on
            if seen is not None and since is not None and since > seen:
                continue  # revoked after the letter was in hand: it was signed while the certificate held
            date = _fr_date(state.revoked_on) if state.revoked_on else "?"
            if position == 0:
                return T("sig.cert-revoked", date=date, authority=state.issuer)
            return T("sig.ca-revoked", date=date, authority=link.subject)
        if state.state == "unknown" and unknown is None:
            if state.stale_since is not None:
                unknown = T("sig.revocation-stale", authority=state.issuer, date=_fr_date(state.stale_since))
            else:
                unknown = T("sig.revocation-unknown", authority=state.issuer)
    return unknown


def judge_again(
    signature: dict[str, Any], basis: dict[str, Any], store: CrlStore, at: dt.datetime | None = None
) -> SignatureStatus | None:
    """A stored letter's verdict judged again against the CRLs held now (``judge``), from what it kept
    (``basis``: its chain's ``Link``s and when missive had it, "seen"); None when revocation has nothing to
    say to it (a signature not valid: revoked already, which is for good, or failing for another reason)."""
    from core.model import SignatureStatus
    from core.secure.certs import revocation_verdict

    status = SignatureStatus.from_json(signature)
    if not status.valid:
        return None
    links = [Link.from_json(item) for item in basis["chain"]]
    seen = dt.datetime.fromisoformat(str(basis["seen"]))
    note = judge([(store.status_of(link, at), link) for link in links], seen)
    return revocation_verdict(status.signer, status.subject, note)


def _fr_date(when: dt.datetime) -> str:
    return when.strftime("%d/%m/%Y")


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


def store_key(name: str, key_id: bytes | None) -> str:
    """Where the list of one authority key is kept: its name's key and its key identifier, as a renewed
    authority (same name, new key) has a list of each generation's certificates."""
    return f"{name}.{key_id.hex()}" if key_id else name


def _signing_key_id(crl: x509.CertificateRevocationList, signer: x509.Certificate) -> bytes:
    """The identifier of the key that signed ``crl``: the one the list gives (RFC 5280 asks it), else its
    authority's subject key identifier, else that identifier computed from its key (RFC 5280 §4.2.1.2)."""
    given = _authority_key_id(crl)
    if given:
        return given
    try:
        return signer.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except (x509.ExtensionNotFound, ValueError):
        return x509.SubjectKeyIdentifier.from_public_key(signer.public_key()).digest


def _covers(crl: x509.CertificateRevocationList, authority: bool) -> bool:
    """Whether a certificate (an ``authority``'s, or an end entity's) is of the kind ``crl`` lists (an
    authority's list may hold only its end-entity certificates, or only its authorities: the ARL)."""
    try:
        point = crl.extensions.get_extension_for_class(x509.IssuingDistributionPoint).value
    except x509.ExtensionNotFound:
        return True
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
        signer = check_crl(crl, authorities, at)
        try:  # every entry read once here: a damaged one refuses the list, not a later verdict
            for entry in crl:
                _ = (entry.serial_number, entry.revocation_date_utc, len(entry.extensions))
        except ValueError as exc:
            raise CrlRefused(T("secure.crl.unreadable")) from exc
        name = name_key(crl.issuer)
        key_id = _signing_key_id(crl, signer)
        key = store_key(name, key_id)
        der = crl.public_bytes(serialization.Encoding.DER)
        digest = hashlib.sha256(der).hexdigest()
        held = self.meta.get(key)
        # a list kept by an older version under the authority's name alone: the same key's list is replaced by
        # this one (and counts as the one held); another key's stays, found by its own key identifier
        legacy = self._crl(name) if key != name else None
        if legacy is not None:
            try:
                same_key = legacy[1].is_signature_valid(signer.public_key())  # type: ignore[arg-type]
            except (TypeError, ValueError):
                same_key = False
            if not same_key:
                legacy = None
            elif held is None:
                held = legacy[0]
        this_update = crl.last_update_utc.isoformat()
        if held is not None and held.get("sha256") != digest:
            if held.get("this_update", "") > this_update:
                raise CrlRefused(
                    T("secure.crl.older", issuer=issuer_text(crl.issuer), date=_date(crl.last_update_utc))
                )
        changed = held is None or held.get("sha256") != digest
        doc = {
            "issuer": issuer_text(crl.issuer),
            "name": name,
            "key_id": key_id.hex(),
            "this_update": this_update,
            "next_update": crl.next_update_utc.isoformat() if crl.next_update_utc else "",
            "entries": len(crl),
            "sha256": digest,
            "url": url or (held or {}).get("url", ""),
            "kept": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            if changed
            else (held or {}).get("kept", ""),
        }
        if changed or self.ders.get(key) is None:
            self.ders.put(key, {"der": base64.b64encode(der).decode("ascii")})
        self.meta.put(key, doc)
        if legacy is not None:
            self.meta.delete(name)
            self.ders.delete(name)
        return {**doc, "changed": changed, "authority": name}

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
        return self.status_of(link_of(cert), at)

    def status_of(self, link: Link, at: dt.datetime | None = None) -> Revocation:
        """What the CRL of a certificate's issuer says of it, from what a verdict keeps of it (``Link``)."""
        issuer = link.issuer
        found = self._of(link)
        if found is None:
            return Revocation("unknown", issuer)
        _doc, crl = found
        entry = crl.get_revoked_certificate_by_serial_number(link.serial)
        if entry is not None:
            since = entry.revocation_date_utc
            try:
                invalid = entry.extensions.get_extension_for_class(x509.InvalidityDate).value.invalidity_date_utc
                since = min(since, invalid)
            except (x509.ExtensionNotFound, ValueError):
                pass
            return Revocation("revoked", issuer, revoked_on=entry.revocation_date_utc, invalid_since=since)
        if not _covers(crl, link.ca):
            return Revocation("unknown", issuer)  # the list held is for the other kind of certificate
        next_update = crl.next_update_utc
        if next_update is None or next_update < _utc(at):
            return Revocation("unknown", issuer, stale_since=next_update)
        return Revocation("good", issuer)

    def _of(self, link: Link) -> tuple[dict[str, Any], x509.CertificateRevocationList] | None:
        """The list held of the authority key that signed a certificate: by its issuer's name and the authority
        key identifier it carries; a certificate that carries none (older authorities) has the one list of its
        issuer's name, if there is only one (two keys of that name: which one signed it is not known)."""
        if link.akid:
            found = self._crl(store_key(link.issuer_key, link.akid))
            if found is not None:
                return found
            legacy = self._crl(link.issuer_key)  # kept under its name alone by an older version
            if legacy is not None and _authority_key_id(legacy[1]) in (None, link.akid):
                return legacy
            return None
        held = [
            found
            for key in self.meta.keys()
            if key.split(".", 1)[0] == link.issuer_key and (found := self._crl(key)) is not None
        ]
        return held[0] if len(held) == 1 else None

    def listing(self, now: dt.datetime | None = None) -> list[dict[str, Any]]:
        """Each CRL held: issuer, thisUpdate, nextUpdate, entries, where from, whether expired."""
        when = _utc(now)
        out = []
        for _key, doc in self.meta.items():
            next_update = doc.get("next_update") or ""
            expired = not next_update or dt.datetime.fromisoformat(next_update) < when
            out.append({**doc, "expired": expired})
        return sorted(out, key=lambda d: d["issuer"])
