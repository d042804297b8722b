"""The signer's certificate must name the From address the list and the reader show."""

from __future__ import annotations

import pytest

from core.mail.messages import summary_of
from core.secure import smime


def _letter(from_field: bytes) -> bytes:
    return (
        b"From: " + from_field + b"\r\n"
        b"To: bob@clinique.test\r\n"
        b"Subject: Compte rendu\r\n"
        b"MIME-Version: 1.0\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
        b"Bien confraternellement.\r\n"
    )


@pytest.mark.parametrize(
    "from_field",
    [
        b"<>, Carol Petit <carol@labo.test>",  # parseaddr: '', the list: carol@labo.test
        b":;, carol@labo.test",
        b"Carol Petit <carol@labo.test@>",  # no address at all: the list shows the field as written
        b"carol@labo.test@x",
        b"alice@hopital.test, carol@labo.test",  # two authors, one signer
    ],
)
def test_a_letter_signed_by_alice_is_never_valid_under_another_from(pki, bob_keys, from_field):
    signed = smime.sign(_letter(from_field), pki.alice.key, pki.alice.cert, [pki.inter.cert])
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None
    assert not opened.signature.valid, summary_of(signed)["from"]
    assert opened.signature.reason == "sig.address-mismatch"
    status = smime.verify(signed, [pki.root.cert])[1]
    assert not status.valid and status.reason == "sig.address-mismatch"


@pytest.mark.parametrize(
    "from_field",
    [
        b"alice@hopital.test",
        b"Dr Alice Martin <Alice@Hopital.test>",
        b'"Martin, Alice" <alice@hopital.test>',
        b"=?utf-8?q?Dr_Alice_Martin?= <alice@hopital.test>",
    ],
)
def test_alices_own_from_still_holds(pki, bob_keys, from_field):
    signed = smime.sign(_letter(from_field), pki.alice.key, pki.alice.cert, [pki.inter.cert])
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and opened.signature.valid, opened.signature


def test_a_second_from_field_is_checked_too(pki, bob_keys):
    letter = _letter(b"alice@hopital.test").replace(b"To:", b"From: carol@labo.test\r\nTo:")
    signed = smime.sign(letter, pki.alice.key, pki.alice.cert, [pki.inter.cert])
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and not opened.signature.valid


def _opaque_with_inner_from(pki, outer_from: bytes | None) -> bytes:
    """Alice's opaque signature over an entity that carries its own From (protected headers), wrapped under
    ``outer_from``: the From the list and the reader show (the message's own header)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    inner = (
        b"From: Dr Alice Martin <alice@hopital.test>\r\n"
        b"Content-Type: text/plain; charset=us-ascii\r\n"
        b"\r\n"
        b"Bien confraternellement.\r\n"
    )
    der = (
        pkcs7.PKCS7SignatureBuilder()
        .set_data(inner)
        .add_signer(pki.alice.cert, pki.alice.key, hashes.SHA256())
        .add_certificate(pki.inter.cert)
        .sign(Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
    outer = [b"To: bob@clinique.test", b"Subject: Compte rendu"]
    if outer_from is not None:
        outer.insert(0, b"From: " + outer_from)
    return smime._wrap_pkcs7_mime(outer, der, "signed-data")


def test_a_signed_from_that_is_not_the_from_shown_is_a_mismatch(pki, bob_keys):
    letter = _opaque_with_inner_from(pki, b"Carol Petit <carol@labo.test>")
    assert summary_of(letter)["from"] == "carol@labo.test"  # what the list and the reader show
    opened = smime.open_message(letter, bob_keys)
    assert opened.signature is not None and not opened.signature.valid
    assert opened.signature.reason == "sig.address-mismatch"
    assert "carol@labo.test" in opened.signature.params["sender"]
    status = smime.verify(letter, [pki.root.cert])[1]
    assert not status.valid and status.reason == "sig.address-mismatch"


@pytest.mark.parametrize("outer_from", [b"alice@hopital.test", None])
def test_a_signed_from_that_agrees_with_the_from_shown_holds(pki, bob_keys, outer_from):
    opened = smime.open_message(_opaque_with_inner_from(pki, outer_from), bob_keys)
    assert opened.signature is not None and opened.signature.valid, opened.signature
