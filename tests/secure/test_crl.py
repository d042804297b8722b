"""Certificate revocation (CRLs, STANDARDS.md §1.2 / MSSanté CONF.22): a demo CA issues and revokes a certificate.

A revoked signer is "certificat révoqué", not valid; nothing is encrypted to a revoked recipient (one French line
naming the address and what to do); without a current CRL the verdict says revocation was not checked; a CRL whose
signature or dates do not hold is never kept, nor one older than the CRL held."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from core.errors import NotFound, PolicyRefused
from core.secure import crl as crlmod
from core.secure import smime
from core.secure.crl import CrlRefused
from core.secure.keystore import KeyStore, RecipientRevoked
from core.secure.outgoing import OutgoingPolicy
from core.secure.trust import TrustPolicy
from core.text import set_language
from tests.secure.pki import PKI, Party, make_ca, make_user

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
DAY = dt.timedelta(days=1)


def make_crl(
    ca: Party,
    revoked: list[x509.Certificate] = (),  # type: ignore[assignment]
    *,
    this_update: dt.datetime | None = None,
    next_update: dt.datetime | None = None,
    key: rsa.RSAPrivateKey | None = None,
    key_id: bool = False,
) -> bytes:
    """A DER CRL of ``ca`` listing ``revoked`` (revoked two days ago), signed by ``key`` (default: the CA's);
    ``key_id``: with the authority key identifier RFC 5280 asks of every CRL."""
    this_update = this_update or NOW - DAY
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.cert.subject)
        .last_update(this_update)
        .next_update(next_update or this_update + 7 * DAY)
    )
    if key_id:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(NOW - 2 * DAY)
            .build()
        )
    signer = key or ca.key
    return builder.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def french() -> None:
    set_language("fr")


@pytest.fixture
def keys(standin, pki: PKI) -> KeyStore:
    """Bob's profile: his key with its chain (the intermediate), the test root as trust anchor, Alice's
    certificate (to write to her)."""
    store = KeyStore(standin)
    store.set_identity(pki.bob.key, pki.bob.cert, [pki.inter.cert, pki.root.cert])
    store.trust(pki.root.cert)
    store.add_cert(pki.alice.cert)
    return store


def _signed_by_alice(pki: PKI, message: bytes) -> bytes:
    return smime.sign(message, pki.alice.key, pki.alice.cert, [pki.inter.cert])


def test_a_revoked_signer_is_said_revoked_not_valid(keys: KeyStore, pki: PKI, message: bytes) -> None:
    keys.crls.keep(make_crl(pki.root), keys.authorities())
    keys.crls.keep(make_crl(pki.inter, [pki.alice.cert]), keys.authorities())
    opened = smime.open_message(_signed_by_alice(pki, message), keys)
    status = opened.signature
    assert status is not None and not status.valid
    assert status.reason == "sig.cert-revoked"
    assert status.reason_text().startswith("certificat révoqué le ")
    assert "par son autorité (Missive Test Intermediate CA) : la signature" in status.reason_text()
    assert opened.signer_cert is not None  # the verdict is about that certificate
    # strict mode sends such a letter to the quarantine: it is not validly signed
    assert TrustPolicy("strict").classify_incoming("alice@hopital.test", status.valid, True) == "quarantine"


def test_a_revoked_intermediate_makes_every_signature_below_it_revoked(
    keys: KeyStore, pki: PKI, message: bytes
) -> None:
    keys.crls.keep(make_crl(pki.root, [pki.inter.cert]), keys.authorities())
    keys.crls.keep(make_crl(pki.inter), keys.authorities())
    status = smime.open_message(_signed_by_alice(pki, message), keys).signature
    assert status is not None and not status.valid and status.reason == "sig.ca-revoked"


def test_a_good_signer_with_current_crls_is_valid_without_a_note(keys: KeyStore, pki: PKI, message: bytes) -> None:
    keys.crls.keep(make_crl(pki.root), keys.authorities())
    keys.crls.keep(make_crl(pki.inter, [pki.bob.cert]), keys.authorities())  # someone else revoked
    status = smime.open_message(_signed_by_alice(pki, message), keys).signature
    assert status is not None and status.valid and status.reason == ""


def test_without_a_current_crl_the_verdict_says_revocation_is_unknown(
    keys: KeyStore, pki: PKI, message: bytes
) -> None:
    signed = _signed_by_alice(pki, message)
    status = smime.open_message(signed, keys).signature
    assert status is not None and status.valid  # softer: not refused, but not silently "valid" either
    assert status.reason == "sig.revocation-unknown"
    assert status.reason_text().startswith("révocation non vérifiée : aucune liste de révocation de ")

    # a CRL kept while current, now past its nextUpdate: unknown again, and the date is said
    old = NOW - 20 * DAY
    keys.crls.keep(make_crl(pki.root), keys.authorities())
    keys.crls.keep(make_crl(pki.inter, this_update=old, next_update=old + 7 * DAY), keys.authorities(), at=old)
    status = smime.open_message(signed, keys).signature
    assert status is not None and status.valid and status.reason == "sig.revocation-stale"
    assert "périmée depuis le" in status.reason_text()
    # ... but a revocation it lists stays a revocation
    keys.crls.keep(
        make_crl(pki.inter, [pki.alice.cert], this_update=old + DAY, next_update=old + 8 * DAY),
        keys.authorities(),
        at=old + DAY,
    )
    status = smime.open_message(signed, keys).signature
    assert status is not None and not status.valid and status.reason == "sig.cert-revoked"


def test_a_crl_that_does_not_hold_is_refused_and_the_good_one_kept(keys: KeyStore, pki: PKI) -> None:
    good = keys.crls.keep(make_crl(pki.inter), keys.authorities())
    assert good["changed"] and good["entries"] == 0
    forged = make_crl(pki.inter, [pki.alice.cert], key=make_ca("Missive Test Intermediate CA").key)
    with pytest.raises(CrlRefused, match="signature ne correspond pas"):
        keys.crls.keep(forged, keys.authorities())
    with pytest.raises(CrlRefused, match="périmée depuis"):
        keys.crls.keep(make_crl(pki.inter, this_update=NOW - 30 * DAY), keys.authorities())
    with pytest.raises(CrlRefused, match="plus ancienne"):
        keys.crls.keep(make_crl(pki.inter, this_update=NOW - 2 * DAY), keys.authorities())
    with pytest.raises(CrlRefused, match="pas dans le profil"):
        keys.crls.keep(make_crl(pki.other_root), keys.authorities())
    with pytest.raises(CrlRefused, match="CRL"):
        keys.crls.keep(b"<html>maintenance</html>", keys.authorities())
    (held,) = keys.crls.listing()
    assert held["sha256"] == good["sha256"] and held["entries"] == 0 and not held["expired"]
    assert keys.revocation(pki.alice.cert).state == "good"


def test_nothing_is_encrypted_to_a_revoked_recipient(keys: KeyStore, pki: PKI, message: bytes) -> None:
    trust = TrustPolicy("open")
    policy = OutgoingPolicy(keys, trust)
    assert policy.will_encrypt(["alice@hopital.test"])
    keys.crls.keep(make_crl(pki.inter, [pki.alice.cert]), keys.authorities())
    with pytest.raises(RecipientRevoked) as caught:
        keys.recipient_certs(["Alice@Hopital.test"])
    line = str(caught.value)
    assert "\n" not in line and "alice@hopital.test" in line and "révoqué" in line
    assert "missive keys add-cert" in line and "missive keys remove" in line
    assert isinstance(caught.value, PolicyRefused)
    with pytest.raises(RecipientRevoked):
        policy.check(["alice@hopital.test"])  # the letter does not leave, encrypted or in clear
    decided = policy.decide(["alice@hopital.test"], "bob@clinique.test")
    assert not decided.encrypted and not decided.can_send and decided.unknown == ()
    assert decided.refused[0][0] == "alice@hopital.test"
    assert policy.describe(["alice@hopital.test"]) == {"alice@hopital.test": "refused"}
    states = {c["emails"][0]: c["revocation"] for c in keys.listing()["certificates"]}
    assert states == {"alice@hopital.test": "revoked", "bob@clinique.test": "good"}
    with pytest.raises(RecipientRevoked):
        smime.encrypt(message, keys.recipient_certs(["alice@hopital.test"]))
    # a new certificate for her, issued after the revocation: used, the revoked one passed over
    renewed = make_user("Alice Martin", ["alice@hopital.test"], pki.inter)
    keys.add_cert(renewed.cert)
    assert keys.cert_for("alice@hopital.test") == renewed.cert
    assert policy.will_encrypt(["alice@hopital.test"])
    # without any certificate the usual NotFound (the letter may go in clear as before)
    with pytest.raises(NotFound):
        keys.recipient_certs(["nobody@hopital.test"])


def test_nothing_is_encrypted_to_a_recipient_whose_intermediate_authority_was_revoked(
    keys: KeyStore, pki: PKI, message: bytes
) -> None:
    """Alice's own certificate is not listed, but the root's list revokes the intermediate authority that issued
    it: encryption checked her certificate only and wrote to her. Now the chain the profile holds above her
    certificate (by name and signature) is checked too; a renewed intermediate of the same name, whose key was
    not revoked, still serves its certificates."""
    policy = OutgoingPolicy(keys, TrustPolicy("open"))
    keys.crls.keep(make_crl(pki.root, [pki.inter.cert]), keys.authorities())
    keys.crls.keep(make_crl(pki.inter), keys.authorities())
    assert keys.revocation(pki.alice.cert).state == "good"  # her own certificate: not listed
    with pytest.raises(RecipientRevoked) as caught:
        keys.recipient_certs(["alice@hopital.test"], include_self=False)
    line = str(caught.value)
    assert "\n" not in line and line.startswith(
        "l'autorité Missive Test Intermediate CA, qui a émis le certificat de alice@hopital.test, a été révoquée"
    ), line
    assert "missive keys add-cert" in line and "missive keys remove" in line
    assert keys.cert_for("alice@hopital.test") is None
    assert policy.describe(["alice@hopital.test"]) == {"alice@hopital.test": "refused"}
    states = {c["emails"][0]: c["revocation"] for c in keys.listing()["certificates"]}
    assert states["alice@hopital.test"] == "revoked"
    with pytest.raises(RecipientRevoked):
        policy.check(["alice@hopital.test"])


def test_an_authority_of_the_same_name_revoked_does_not_stop_the_other_keys_certificates(
    keys: KeyStore, pki: PKI
) -> None:
    """Two generations of an intermediate (same name, two keys), the other one revoked by the root: Alice's
    certificate, signed by the key that was not revoked, is still written to (the authority above a certificate
    is found by its signature, not its name alone)."""
    other = make_ca(pki.inter.name, issuer=pki.root)
    keys.trust(other.cert)  # held by the profile, and met before Alice's own authority
    keys.crls.keep(make_crl(pki.root, [other.cert]), keys.authorities())
    keys.crls.keep(make_crl(pki.inter, key_id=True), keys.authorities())
    assert keys.cert_for("alice@hopital.test") == pki.alice.cert
    assert OutgoingPolicy(keys, TrustPolicy("open")).describe(["alice@hopital.test"]) == {
        "alice@hopital.test": "encrypted"
    }


def test_distribution_points_are_read_from_the_authorities_and_certificates(standin, pki: PKI) -> None:
    root = make_ca("CRL Root")
    url = "http://crl.example.test/inter.crl"
    inter_cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, "CRL Inter")]))
        .issuer_name(root.cert.subject)
        .public_key(root.key.public_key())
        .serial_number(7)
        .not_valid_before(NOW - DAY)
        .not_valid_after(NOW + DAY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None),
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier("ldap://annuaire.example.test/cn=x")], None, None, None
                    ),
                ]
            ),
            critical=False,
        )
        .sign(root.key, hashes.SHA256())
    )
    assert crlmod.distribution_points(inter_cert) == [url]
    keys = KeyStore(standin)
    keys.trust(inter_cert)
    assert keys.crl_urls() == [url]


def test_a_partial_crl_is_refused_and_one_for_the_other_kind_of_certificate_says_nothing(
    keys: KeyStore, pki: PKI
) -> None:
    def scoped(extension: x509.ExtensionType, revoked: list[x509.Certificate] = []) -> bytes:  # noqa: B006
        crl = x509.load_der_x509_crl(make_crl(pki.inter, revoked))
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(crl.issuer)
            .last_update(crl.last_update_utc)
            .next_update(crl.next_update_utc)  # type: ignore[arg-type]
            .add_extension(extension, critical=True)
        )
        for entry in crl:
            builder = builder.add_revoked_certificate(entry)
        return builder.sign(pki.inter.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)  # type: ignore[arg-type]

    with pytest.raises(CrlRefused, match="liste partielle"):
        keys.crls.keep(scoped(x509.DeltaCRLIndicator(1), [pki.alice.cert]), keys.authorities())
    some = x509.IssuingDistributionPoint(None, None, False, False, frozenset({x509.ReasonFlags.key_compromise}), False, False)
    with pytest.raises(CrlRefused, match="liste partielle"):
        keys.crls.keep(scoped(some), keys.authorities())
    assert keys.crls.listing() == []
    # the authority's list of its authorities only (an ARL) says nothing of Alice's end-entity certificate
    arl = x509.IssuingDistributionPoint(None, None, False, True, None, False, False)
    keys.crls.keep(scoped(arl), keys.authorities())
    assert keys.revocation(pki.alice.cert).state == "unknown"


def test_a_crl_of_another_key_of_an_authority_of_the_same_name_says_nothing_of_its_certificates(
    keys: KeyStore, pki: PKI
) -> None:
    """An authority renewed with a new key keeps its name (both generations' certificates in use, each key
    publishing its own list). A certificate of one key is never judged by the other key's list (RFC 5280: the
    authority key identifier is in every CRL and certificate), and the profile keeps a list per key: the
    renewed key's list no longer replaces (or, older, is refused in place of) the other's."""
    renewed = make_ca(pki.inter.name, issuer=pki.root)  # same name, new key
    assert renewed.cert.subject == pki.inter.cert.subject
    carol = make_user("Carol Renouvelée", ["carol@hopital.test"], renewed)
    keys.crls.keep(make_crl(pki.inter, key_id=True), keys.authorities())
    assert keys.revocation(carol.cert).state == "unknown"  # the other key's list says nothing of her (was "good")
    assert keys.revocation(pki.alice.cert).state == "good"
    # the renewed key's list, listing Carol, issued a day before the other's: kept beside it (was refused)
    kept = keys.crls.keep(
        make_crl(renewed, [carol.cert], this_update=NOW - 2 * DAY, key_id=True),
        [*keys.authorities(), renewed.cert],
    )
    assert kept["changed"]
    assert keys.revocation(carol.cert).state == "revoked"
    assert keys.revocation(pki.alice.cert).state == "good"  # her key's list, still held
    assert [d["issuer"] for d in keys.crls.listing()].count(crlmod.issuer_text(pki.inter.cert.subject)) == 2
    # each key's list is replaced by its own key's newer list only, and an older one of that key is refused
    keys.crls.keep(make_crl(pki.inter, [pki.alice.cert], this_update=NOW - DAY / 2, key_id=True), keys.authorities())
    assert keys.revocation(pki.alice.cert).state == "revoked"
    assert keys.revocation(carol.cert).state == "revoked"
    with pytest.raises(CrlRefused):
        keys.crls.keep(make_crl(pki.inter, key_id=True), keys.authorities())
    assert len(keys.crls.listing()) == 2


def test_a_list_kept_under_its_authoritys_name_alone_is_read_and_replaced_by_its_own_keys_list(
    keys: KeyStore, pki: PKI
) -> None:
    """Profiles of the previous version hold each list under its authority's name alone: still read, and the
    same key's next list takes its place (one list, not two); another key's list does not."""
    import base64

    legacy = make_crl(pki.inter, [pki.alice.cert], key_id=True)
    name = crlmod.name_key(pki.inter.cert.subject)
    keys.crls.meta.put(
        name,
        {
            "issuer": crlmod.issuer_text(pki.inter.cert.subject),
            "this_update": (NOW - DAY).isoformat(),
            "next_update": (NOW + 6 * DAY).isoformat(),
            "entries": 1,
            "sha256": __import__("hashlib").sha256(legacy).hexdigest(),
            "url": "",
            "kept": NOW.isoformat(),
        },
    )
    keys.crls.ders.put(name, {"der": base64.b64encode(legacy).decode("ascii")})
    assert keys.revocation(pki.alice.cert).state == "revoked"
    renewed = make_ca(pki.inter.name, issuer=pki.root)
    carol = make_user("Carol Renouvelée", ["carol@hopital.test"], renewed)
    assert keys.revocation(carol.cert).state == "unknown"
    keys.crls.keep(make_crl(renewed, this_update=NOW - DAY / 2, key_id=True), [*keys.authorities(), renewed.cert])
    assert keys.revocation(pki.alice.cert).state == "revoked" and keys.revocation(carol.cert).state == "good"
    assert len(keys.crls.listing()) == 2
    with pytest.raises(CrlRefused):  # older than the one held under the name alone: refused as before
        keys.crls.keep(make_crl(pki.inter, this_update=NOW - 2 * DAY, key_id=True), keys.authorities())
    keys.crls.keep(make_crl(pki.inter, this_update=NOW - DAY / 2, key_id=True), keys.authorities())
    assert keys.revocation(pki.alice.cert).state == "good"
    assert name not in keys.crls.meta.keys() and name not in keys.crls.ders.keys()
    assert len(keys.crls.listing()) == 2


def test_a_crl_whose_extension_does_not_parse_is_refused_in_one_line(keys: KeyStore, pki: PKI) -> None:
    """Its authority's signature holds, but an extension's value is not what its type says (cryptography reads
    extensions lazily): a ValueError went out of CrlStore.keep, past 'missive trust update''s handling of a
    refused list (MissiveError) — a traceback, the other lists not tried. Now refused as unreadable, the list
    held kept."""
    from cryptography.x509.oid import ExtensionOID

    keys.crls.keep(make_crl(pki.inter), keys.authorities())
    broken = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.inter.cert.subject)
        .last_update(NOW - DAY / 2)
        .next_update(NOW + 7 * DAY)
        .add_extension(
            x509.UnrecognizedExtension(ExtensionOID.ISSUING_DISTRIBUTION_POINT, b"\x30\x03\x01\x01"), critical=True
        )
        .sign(pki.inter.key, hashes.SHA256())  # type: ignore[arg-type]
        .public_bytes(serialization.Encoding.DER)
    )
    with pytest.raises(CrlRefused, match="liste de révocation \\(CRL\\) lisible") as caught:
        keys.crls.keep(broken, keys.authorities())
    assert "\n" not in str(caught.value)
    assert keys.revocation(pki.alice.cert).state == "good"  # the list held is still the one used
