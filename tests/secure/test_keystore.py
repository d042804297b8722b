"""KeyStore: own identity from PKCS#12, correspondents by address, anchors, harvest."""

from __future__ import annotations

import pytest

from core.errors import BadInput, NotFound, ParseError, SecurityError
from core.secure import smime
from core.secure.keystore import KeyStore, require_identity


def test_p12_import_gives_identity_and_self_certificate(standin, pki):
    keys = KeyStore(standin)
    info = keys.import_p12(pki.bob.p12(b"secret", [pki.inter.cert]), "secret")
    assert info["emails"] == ["bob@clinique.test"]
    key, cert, chain = keys.own_identity()
    assert cert == pki.bob.cert and chain == [pki.inter.cert]
    assert key.public_key().public_numbers() == pki.bob.cert.public_key().public_numbers()
    # our own certificate is a recipient too, so the Sent copy stays readable
    assert keys.cert_for("BOB@clinique.test") == pki.bob.cert
    assert [a for a, *_ in standin.records] == ["key"]
    assert "bob" not in str(standin.records)  # the audit carries ids only


def test_wrong_p12_password_and_garbage_are_clear_errors(standin, pki):
    keys = KeyStore(standin)
    with pytest.raises(BadInput, match="mot de passe du .p12 est faux"):
        keys.import_p12(pki.bob.p12(b"secret"), "wrong")
    with pytest.raises(ParseError):
        keys.import_p12(b"not a p12 at all", "x")
    assert keys.own_identity() is None


def test_a_p12_whose_certificate_holds_another_kind_of_key_is_refused_in_one_line(standin, pki, monkeypatch):
    # an RSA key with an Ed25519 certificate once raised AttributeError (no public_numbers) out of the import
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    from core.secure import p12

    other = ed25519.Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "bob")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(other.public_key())
        .serial_number(7).not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)).sign(other, None)
    )  # fmt: skip
    bundle = pkcs12.PKCS12KeyAndCertificates(pki.bob.key, pkcs12.PKCS12Certificate(cert, None), [])
    monkeypatch.setattr(p12, "load", lambda _data, _password: bundle)  # no p12 tool writes such a pair
    keys = KeyStore(standin)
    with pytest.raises(BadInput, match="ne correspond pas"):
        keys.import_p12(b"0", "x")
    assert keys.own_identity() is None


def test_certificates_are_indexed_by_every_address(standin, pki):
    keys = KeyStore(standin)
    keys.add_cert(pki.alice.cert)
    assert keys.cert_for("alice@hopital.test") == pki.alice.cert
    assert keys.cert_for("dr.alice@cabinet.test") == pki.alice.cert  # SAN was mixed case
    assert keys.cert_for("nobody@hopital.test") is None


def test_expired_certificate_is_not_used_for_encryption(standin, pki):
    keys = KeyStore(standin)
    keys.add_cert(pki.expired.cert)
    assert keys.certs_for("eve@hopital.test") == [pki.expired.cert]
    assert keys.cert_for("eve@hopital.test") is None
    with pytest.raises(NotFound, match="eve@hopital.test"):
        keys.recipient_certs(["eve@hopital.test"])


def test_a_missing_patient_certificate_keeps_the_ins_out_of_the_error(standin):
    with pytest.raises(NotFound) as info:
        KeyStore(standin).recipient_certs(["279035121518989@patient.mssante.fr"])
    assert "279035121518989" not in str(info.value)
    assert "une adresse patient …@patient.mssante.fr" in str(info.value)


def test_recipient_certs_adds_self_once(standin, pki):
    keys = KeyStore(standin)
    keys.set_identity(pki.bob.key, pki.bob.cert)
    keys.add_cert(pki.alice.cert)
    got = keys.recipient_certs(["alice@hopital.test", "bob@clinique.test"])
    assert sorted(c.serial_number for c in got) == sorted(
        [pki.alice.cert.serial_number, pki.bob.cert.serial_number]
    )


def test_harvest_from_verified_mail_then_encrypt_to_the_sender(standin, pki, message):
    keys = KeyStore(standin)
    keys.set_identity(pki.bob.key, pki.bob.cert)
    keys.trust(pki.root.cert)
    signed = smime.sign(message, pki.alice.key, pki.alice.cert, [pki.inter.cert])
    opened = smime.open_message(signed, keys)
    assert opened.signature.valid
    assert keys.harvest(opened.signer_cert) is True
    assert keys.harvest(opened.signer_cert) is False  # already known
    reply = smime.encrypt(message, keys.recipient_certs(["alice@hopital.test"]))
    alice = smime.StaticKeys([(pki.alice.key, pki.alice.cert)], [pki.root.cert])
    assert smime.open_message(reply, alice).decrypted
    assert smime.open_message(reply, keys).decrypted  # and our own copy


def test_trust_refuses_end_entity_and_remove_forgets(standin, pki):
    keys = KeyStore(standin)
    with pytest.raises(BadInput, match="n'est pas une autorité"):
        keys.trust(pki.alice.cert)
    keys.trust(pki.root.cert)
    keys.add_cert(pki.alice.cert)
    listing = keys.listing()
    assert len(listing["anchors"]) == 1 and len(listing["certificates"]) == 1
    assert keys.remove(listing["certificates"][0]["fingerprint"][:12])
    assert keys.cert_for("alice@hopital.test") is None
    assert len(keys.trust_anchors()) == 1


def test_require_identity_tells_how_to_import(standin):
    with pytest.raises(SecurityError, match="keys import"):
        require_identity(KeyStore(standin))


def test_private_key_stays_inside_the_encrypted_profile(profile, pki):
    keys = KeyStore(profile)
    keys.import_p12(pki.bob.p12(b"pw"), b"pw")
    pem_body = pki.bob.key_pem.split(b"\n")[1]
    for path in profile.path.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert pem_body not in data and b"PRIVATE KEY" not in data, path
    reopened = KeyStore(type(profile).open(profile.path, "correct horse battery staple"))
    assert reopened.own_identity()[1] == pki.bob.cert


def test_a_later_letter_without_certificates_verifies_with_the_harvested_one(
    standin, pki, message, openssl, tmp_path
):
    """A correspondent whose client sends the certificate once (then signs without any): the profile
    harvested it from the first letter, and its own .p12 chain holds the authority in between."""
    keys = KeyStore(standin)
    keys.set_identity(pki.bob.key, pki.bob.cert, [pki.inter.cert])
    keys.trust(pki.root.cert)
    src = tmp_path / "letter.eml"
    src.write_bytes(message)
    bare = openssl(
        "cms", "-sign", "-nocerts", "-in", str(src), "-signer", str(pki.alice.files["cert"]),
        "-inkey", str(pki.alice.files["key"]),
    ).stdout  # fmt: skip
    before = smime.open_message(bare, keys).signature
    assert not before.valid and "ni connu du profil" in before.reason_text()
    first = smime.open_message(smime.sign(message, pki.alice.key, pki.alice.cert, [pki.inter.cert]), keys)
    assert first.signature.valid and keys.harvest(first.signer_cert)
    after = smime.open_message(bare, keys).signature
    assert after.valid, after.reason_text()
    assert after.signer == "alice@hopital.test"


def test_an_ec_correspondent_and_an_ec_identity_are_encrypted_to(standin, pki, message):
    """cert_for chose only RSA certificates: a letter to an EC correspondent could not be encrypted, and a
    doctor with an EC identity got no readable Sent copy (its own certificate was left out)."""
    keys = KeyStore(standin)
    keys.set_identity(pki.carol_ec.key, pki.carol_ec.cert)
    keys.add_cert(pki.bob.cert)
    mine = keys.recipient_certs(["bob@clinique.test"])
    assert pki.carol_ec.cert in mine and pki.bob.cert in mine
    assert smime.open_message(smime.encrypt(message, mine), keys).decrypted  # the Sent copy
    other = KeyStore(type(standin)())
    other.add_cert(pki.carol_ec.cert)
    assert other.cert_for("carol@labo.test") == pki.carol_ec.cert
