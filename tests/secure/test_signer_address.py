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
