"""The profile's keys and certificates: own identity, correspondents' certificates, trust anchors.

Everything lives in the profile's encrypted collections; the private key is kept there as PKCS#8 and is
never written anywhere else. Correspondents' certificates are indexed by every e-mail address they carry
(lower-cased) and are also harvested from verified signed mail, so nobody exchanges keys by hand.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Protocol, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from core.errors import BadInput, NotFound, ParseError, PolicyRefused, SecurityError
from core.secure import certs as certmod
from core.secure import p12
from core.secure.cms import PrivateKey
from core.secure.trust import shown
from core.store.collection import Collection
from core.text import T

if TYPE_CHECKING:
    from core.secure.crl import CrlStore, Revocation

OWN = "smime_own"
CERTS = "smime_certs"
INDEX = "smime_cert_index"
ANCHORS = "smime_anchors"


class RecipientRevoked(PolicyRefused):
    """The only certificate held for a recipient was revoked by its authority: nothing is encrypted to it."""


class _HasCollections(Protocol):
    def collection(self, name: str) -> Collection: ...


def _spki(public: Any) -> bytes:
    """A public key as its DER SubjectPublicKeyInfo: two keys are the same key when these bytes are."""
    return bytes(
        public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"))


def _issued_by(cert: x509.Certificate, authority: x509.Certificate) -> bool:
    """Whether ``authority``'s key signed ``cert`` (names alone are shared by a renewed authority's keys)."""
    try:
        cert.verify_directly_issued_by(authority)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class KeyStore:
    """Keys and certificates of one profile (see the module docstring)."""

    def __init__(self, profile: _HasCollections) -> None:
        self.profile = profile
        self.own: Collection = profile.collection(OWN)
        self.certs: Collection = profile.collection(CERTS)
        self.index: Collection = profile.collection(INDEX)
        self.anchors: Collection = profile.collection(ANCHORS)
        self._keys: dict[str, PrivateKey] = {}  # loaded private keys: an RSA load checks the key (~70 ms)
        self._crls: CrlStore | None = None
        self._authorities: tuple[tuple[Any, ...], list[x509.Certificate]] | None = None

    @property
    def crls(self) -> CrlStore:
        """The profile's certificate revocation lists (core.secure.crl), read when first needed."""
        if self._crls is None:
            from core.secure.crl import DER, META, CrlStore

            self._crls = CrlStore(self.profile.collection(META), self.profile.collection(DER))
        return self._crls

    def revocation(self, cert: x509.Certificate, at: dt.datetime | None = None) -> Revocation:
        """What the profile's CRLs say of ``cert`` (good, revoked, unknown): S/MIME's ``KeyRing.revocation``."""
        return self.crls.status(cert, at)

    def chain_revocation(
        self, cert: x509.Certificate, pool: list[x509.Certificate] | None = None
    ) -> tuple[Revocation, x509.Certificate]:
        """What the CRLs say of ``cert`` and of the authorities above it that the profile holds (found by name
        and signature, up to a self-signed one, which no list of its own can revoke): the first one revoked
        (with that certificate), else what they say of ``cert`` itself. A recipient whose intermediate
        authority was revoked is as unusable as one whose own certificate was."""
        pool = self.authorities() if pool is None else pool  # ``pool``: authorities() read once by the caller
        found = self.revocation(cert)
        if found.state == "revoked":
            return found, cert
        current = cert
        for _ in range(8):  # IGC Santé's chains are three deep; a loop of names ends here
            if current.issuer == current.subject:
                break
            parent = next((ca for ca in pool if ca.subject == current.issuer and _issued_by(current, ca)), None)
            if parent is None or parent.issuer == parent.subject:
                break
            above = self.revocation(parent)
            if above.state == "revoked":
                return above, parent
            current = parent
        return found, cert

    def authorities(self) -> list[x509.Certificate]:
        """The authorities in use, whose CRLs are kept: the trust anchors and the authorities of the chains
        held (our own .p12's, those imported beside a correspondent's certificate)."""
        # read again only when what is held changed (certificates are kept under their fingerprints): a letter's
        # recipients each have their chain looked for in it (chain_revocation), as the composer asks
        stamp = (
            tuple(self.anchors.keys()),
            tuple(self.certs.keys()),
            tuple((key, len(doc.get("chain") or ())) for key, doc in self.own.items()),
        )
        if self._authorities is not None and self._authorities[0] == stamp:
            return list(self._authorities[1])
        found = {certmod.fingerprint(c): c for c in self.trust_anchors()}
        for cert in self.known_certificates():
            if certmod.is_ca(cert):
                found.setdefault(certmod.fingerprint(cert), cert)
        self._authorities = (stamp, list(found.values()))
        return list(found.values())

    def crl_urls(self) -> list[str]:
        """The CRL distribution points named by the authorities in use and by the certificates held (a
        correspondent's certificate names its authority's list)."""
        from core.secure.crl import distribution_points

        urls: list[str] = []
        for cert in [*self.authorities(), *self.known_certificates()]:
            urls.extend(distribution_points(cert))
        return list(dict.fromkeys(urls))

    def _audit(self, object_id: str, **details: Any) -> None:
        audit = getattr(self.profile, "audit", None)
        if audit is not None:
            audit.append("key", object_id, **details)

    # -- own identity -----------------------------------------------------------------------------------
    def import_p12(self, data: bytes, password: str | bytes | None) -> dict[str, Any]:
        """Import our key and certificate (and its chain) from a PKCS#12 file; returns its description."""
        pw = password.encode("utf-8") if isinstance(password, str) else password
        try:
            bundle = p12.load(data, pw or None)
            key = bundle.key
            cert = bundle.cert.certificate if bundle.cert is not None else None
            chain = [c.certificate for c in bundle.additional_certs]
        except ParseError:
            raise
        except ValueError as exc:
            # p12.load said ParseError already for what is no PKCS#12 (a PEM text, other bytes); the bytes it
            # read were one, armoured or not: a wrong password (or damage). Looking at the file's first byte
            # here told a '-----BEGIN PKCS12-----' one (RFC 9216's Bob) 'not a PKCS#12' for a wrong password.
            raise BadInput(T("secure.keystore.mot-passe-p12-faux")) from exc
        except Exception as exc:  # unsupported legacy PBE and the like surface as several types
            raise ParseError(
                T("secure.keystore.impossible-lire-fichier-pkcs", name=type(exc).__name__)
            ) from exc
        if key is None or cert is None:
            raise BadInput(T("secure.keystore.fichier-p12-contient-cle"))
        if not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise BadInput(T("secure.keystore.cle-p12-rsa-missive"))
        if _spki(key.public_key()) != _spki(cert.public_key()):  # any kind of key, Ed25519 included
            raise BadInput(T("secure.keystore.certificat-p12-correspond-cle"))
        return self.set_identity(key, cert, chain or [])

    def set_identity(
        self, key: PrivateKey, cert: x509.Certificate, chain: Iterable[x509.Certificate] = ()
    ) -> dict[str, Any]:
        """Store our own key and certificate; the newest identity becomes the default."""
        fp = certmod.fingerprint(cert)
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        self.own.put(
            fp,
            {
                "key": pem.decode("ascii"),
                "cert": _b64(certmod.der(cert)),
                "chain": [_b64(certmod.der(c)) for c in chain],
                "emails": certmod.emails(cert),
                "added": _now(),
            },
        )
        self.add_cert(cert, source="own")  # so we can encrypt to ourselves (the Sent copy)
        self._audit(fp[:16], kind="own-identity")
        return certmod.describe(cert)

    def _private_key(self, doc: dict[str, Any]) -> PrivateKey:
        pem = doc["key"]
        key = self._keys.get(pem)
        if key is None:
            # stored by set_identity, reached only with an RSA or EC key (import_p12 refuses others)
            key = cast(PrivateKey, serialization.load_pem_private_key(pem.encode("ascii"), None))
            self._keys[pem] = key
        return key

    def _identities(self) -> list[tuple[dict[str, Any], x509.Certificate]]:
        out = []
        for _fp, doc in self.own.items():
            out.append((doc, x509.load_der_x509_certificate(_unb64(doc["cert"]))))
        # newest first: a renewed certificate is preferred for signing
        out.sort(key=lambda item: item[1].not_valid_after_utc, reverse=True)
        return out

    def own_identity(
        self, address: str | None = None
    ) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]] | None:
        """Our (key, certificate, chain) for signing, preferring one that names ``address``; None if none."""
        idents = self._identities()
        if not idents:
            return None
        wanted = (address or "").strip().lower()
        now = dt.datetime.now(dt.UTC)
        idents.sort(
            key=lambda it: (
                bool(wanted) and wanted in certmod.emails(it[1]),
                it[1].not_valid_before_utc <= now <= it[1].not_valid_after_utc,
            ),
            reverse=True,
        )
        doc, cert = idents[0]
        key = self._private_key(doc)
        chain = [x509.load_der_x509_certificate(_unb64(c)) for c in doc.get("chain", [])]
        return key, cert, chain

    def decryption_identities(self) -> list[tuple[PrivateKey, x509.Certificate]]:
        """Every own (key, certificate), old ones included: old mail was encrypted to old certificates."""
        out = []
        for doc, cert in self._identities():
            key = self._private_key(doc)
            out.append((key, cert))
        return out

    # -- correspondents -------------------------------------------------------------------------------------
    def add_cert(self, cert: x509.Certificate, *, source: str = "import") -> dict[str, Any]:
        """Store a correspondent's certificate, indexed by each of its e-mail addresses."""
        addresses = certmod.emails(cert)
        if not addresses and source != "own":
            raise BadInput(T("secure.keystore.certificat-porte-aucune-adresse"))
        fp = certmod.fingerprint(cert)
        previous = self.certs.get(fp)
        self.certs.put(
            fp,
            {
                "cert": _b64(certmod.der(cert)),
                "emails": addresses,
                "not_after": cert.not_valid_after_utc.isoformat(),
                "source": previous["source"] if previous else source,
                "added": previous["added"] if previous else _now(),
            },
        )
        updates = {}
        for address in addresses:
            entry = self.index.get(address) or {"fingerprints": []}
            if fp not in entry["fingerprints"]:
                entry["fingerprints"].append(fp)
                updates[address] = entry
        if updates:
            self.index.put_many(updates)
        if previous is None and source != "own":
            self._audit(fp[:16], kind="certificate", source=source)
        return certmod.describe(cert)

    def harvest(self, signer_cert: bytes | x509.Certificate | None) -> bool:
        """Keep the certificate of a verified signer; True when it was new."""
        if signer_cert is None:
            return False
        cert = (
            signer_cert
            if isinstance(signer_cert, x509.Certificate)
            else certmod.load_certificate(signer_cert)
        )
        if self.certs.get(certmod.fingerprint(cert)) is not None or not certmod.emails(cert):
            return False
        if certmod.purpose_problem(cert, for_signing=False) and certmod.purpose_problem(
            cert, for_signing=True
        ):
            return False
        self.add_cert(cert, source="harvest")
        return True

    def certs_for(self, address: str) -> list[x509.Certificate]:
        """Every certificate known for ``address``, best first (valid now, for encryption, latest expiry)."""
        entry = self.index.get(address.strip().lower())
        if not entry:
            return []
        found = []
        for fp in entry["fingerprints"]:
            doc = self.certs.get(fp)
            if doc is not None:
                found.append(x509.load_der_x509_certificate(_unb64(doc["cert"])))

        def rank(cert: x509.Certificate) -> tuple[bool, bool, dt.datetime]:
            return (
                not certmod.validity_problem(cert),
                not certmod.purpose_problem(cert, for_signing=False),
                cert.not_valid_after_utc,
            )

        return sorted(found, key=rank, reverse=True)

    def _usable(self, address: str) -> tuple[x509.Certificate | None, x509.Certificate | None]:
        """(the certificate to encrypt to ``address``, or None; the first one passed over as revoked)."""
        revoked = None
        for cert in self.certs_for(address):
            if not certmod.validity_problem(cert) and not certmod.purpose_problem(cert, for_signing=False):
                # RSA key transport or ECDH key agreement (cms.encrypt writes both)
                if isinstance(cert.public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
                    if self.chain_revocation(cert)[0].state == "revoked":
                        revoked = revoked or cert
                        continue
                    return cert, revoked
        return None, revoked

    def cert_for(self, address: str) -> x509.Certificate | None:
        """The certificate to encrypt to ``address``: valid now, fit for encryption, not revoked; else None."""
        return self._usable(address)[0]

    def revoked_for(self, address: str) -> x509.Certificate | None:
        """The revoked certificate that would have been used for ``address`` when no other one can be."""
        cert, revoked = self._usable(address)
        return revoked if cert is None else None

    def recipient_certs(
        self, addresses: Iterable[str], *, include_self: bool = True
    ) -> list[x509.Certificate]:
        """Certificates to encrypt to every address (and to ourselves); NotFound names the first missing."""
        out: list[x509.Certificate] = []
        for address in addresses:
            cert, revoked = self._usable(address)
            if cert is None and revoked is not None:
                from core.secure.crl import short_name as crl_short_name

                authority = self.chain_revocation(revoked)[1]
                if authority is not revoked:  # an authority above it was revoked, not the certificate itself
                    raise RecipientRevoked(
                        T(
                            "secure.keystore.recipient-ca-revoked",
                            shown=shown(address.strip().lower()),
                            authority=crl_short_name(authority.subject),
                            fingerprint=certmod.fingerprint(revoked)[:16],
                        )
                    )
                raise RecipientRevoked(
                    T(
                        "secure.keystore.recipient-revoked",
                        shown=shown(address.strip().lower()),
                        fingerprint=certmod.fingerprint(revoked)[:16],
                    )
                )
            if cert is None:
                raise NotFound(
                    T(
                        "secure.keystore.aucun-certificat-utilisable-importez",
                        shown=shown(address.strip().lower()),
                    )
                )
            out.append(cert)
        if include_self:
            own = self.own_identity()
            if own is not None and isinstance(
                own[1].public_key(), (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)
            ):
                out.append(own[1])
        unique = {certmod.fingerprint(c): c for c in out}
        return list(unique.values())

    # -- trust anchors ------------------------------------------------------------------------------------------
    def trust(self, cert: x509.Certificate) -> dict[str, Any]:
        """Add a trust anchor (a CA such as IGC-Santé, or a hospital's own)."""
        fp = certmod.fingerprint(cert)
        if not certmod.is_ca(cert):
            raise BadInput(T("secure.keystore.certificat-autorite-attribut-importez"))
        if self.anchors.get(fp) is None:
            self.anchors.put(fp, {"cert": _b64(certmod.der(cert)), "added": _now()})
            self._audit(fp[:16], kind="trust-anchor")
        return certmod.describe(cert)

    def trust_anchors(self) -> list[x509.Certificate]:
        return [x509.load_der_x509_certificate(_unb64(doc["cert"])) for _fp, doc in self.anchors.items()]

    def known_certificates(self) -> list[x509.Certificate]:
        """Every certificate held: correspondents' and our own, with our chains (the authorities of a letter
        whose sender left the certificates out are most often those of our own chain, IGC-Santé)."""
        out = [x509.load_der_x509_certificate(_unb64(doc["cert"])) for _fp, doc in self.certs.items()]
        for _fp, doc in self.own.items():
            out += [x509.load_der_x509_certificate(_unb64(c)) for c in doc.get("chain", [])]
        return out

    def remove(self, fingerprint: str) -> bool:
        """Forget a correspondent's certificate or a trust anchor by (a prefix of) its fingerprint."""
        fingerprint = fingerprint.strip().lower()
        if len(fingerprint) < 8:
            raise BadInput(T("secure.keystore.donnez-moins-caracteres-empreinte"))
        removed = False
        for coll in (self.certs, self.anchors):
            for fp in [k for k in coll.keys() if k.startswith(fingerprint)]:
                coll.delete(fp)
                removed = True
        if removed:
            for address, entry in list(self.index.items()):
                kept = [f for f in entry["fingerprints"] if not f.startswith(fingerprint)]
                if kept != entry["fingerprints"]:
                    if kept:
                        self.index.put(address, {"fingerprints": kept})
                    else:
                        self.index.delete(address)
            self._audit(fingerprint[:16], kind="removed")
        return removed

    # -- listing --------------------------------------------------------------------------------------------
    def listing(self) -> dict[str, list[dict[str, Any]]]:
        """Everything the store holds, described (no private key material)."""
        own = [
            dict(certmod.describe(cert), default=i == 0, revocation=self.revocation(cert).state)
            for i, (_d, cert) in enumerate(self._identities())
        ]
        correspondents = []
        pool = self.authorities()  # read once: each certificate's chain is looked for in it
        for _fp, doc in self.certs.items():
            cert = x509.load_der_x509_certificate(_unb64(doc["cert"]))
            correspondents.append(
                dict(
                    certmod.describe(cert),
                    source=doc.get("source", "import"),
                    # good, revoked (it or an authority above it), unknown (no current CRL)
                    revocation=self.chain_revocation(cert, pool)[0].state,
                )
            )
        correspondents.sort(key=lambda d: (d["emails"][:1], d["not_after"]))
        anchors = [certmod.describe(c) for c in self.trust_anchors()]
        return {"own": own, "certificates": correspondents, "anchors": anchors}


def require_identity(
    keys: KeyStore, address: str | None = None
) -> tuple[PrivateKey, x509.Certificate, list[x509.Certificate]]:
    """Our identity, or a SecurityError telling the doctor how to import one."""
    ident = keys.own_identity(address)
    if ident is None:
        raise SecurityError(T("secure.keystore.profil-certificat-personnel-importez"))
    return ident
