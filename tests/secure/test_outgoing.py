"""The outgoing policy: what ``missive send`` does to a letter before it is queued."""

from __future__ import annotations

import pytest

from core.errors import BadInput, PolicyRefused
from core.secure import smime
from core.secure.keystore import KeyStore
from core.secure.outgoing import OutgoingPolicy
from core.secure.trust import TrustPolicy

LETTER = (
    b"From: Dr Alice Martin <alice@hopital.test>\r\nTo: bob@clinique.test\r\nSubject: CR\r\n"
    b"Message-ID: <o-1@hopital.test>\r\nX-MSS-NIL: DEV1\r\nMIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nGlyc\xc3\xa9mie 1,32 g/L\r\n"
)


def text_of(mime: bytes) -> str:
    from email import message_from_bytes
    from email import policy as email_policy

    return message_from_bytes(mime, policy=email_policy.default).get_content()


def policy(standin, pki, mode: str = "trust-space", *, with_key: bool = True) -> OutgoingPolicy:
    keys = KeyStore(standin)
    if with_key:
        keys.set_identity(pki.alice.key, pki.alice.cert, [pki.inter.cert])
    keys.trust(pki.root.cert)
    trust = TrustPolicy(mode, allow=["clinique.test", "hopital.test", "patient.mssante.fr"])
    return OutgoingPolicy(keys, trust)


def test_signed_and_encrypted_when_the_certificate_is_known(standin, pki, bob_keys) -> None:
    out = policy(standin, pki)
    out.keys.add_cert(pki.bob.cert)
    assert out.describe(["bob@clinique.test"]) == {"bob@clinique.test": "encrypted"}
    out.check(["bob@clinique.test"])
    wire = out.protect(LETTER, ["bob@clinique.test"])
    assert b"1,32" not in wire and b"X-MSS-NIL: DEV1" in wire
    opened = smime.open_message(wire, bob_keys)
    assert opened.encrypted and opened.decrypted and opened.signed
    assert opened.signature is not None and opened.signature.valid, opened.signature
    assert opened.signature.signer == "alice@hopital.test"
    assert "1,32 g/L" in text_of(opened.inner_mime_bytes)
    # the Sent copy is readable by the sender too
    mine = smime.open_message(wire, smime.StaticKeys([(pki.alice.key, pki.alice.cert)], [pki.root.cert]))
    assert mine.decrypted


def test_signed_only_when_a_certificate_is_missing(standin, pki, bob_keys) -> None:
    out = policy(standin, pki)
    assert out.describe(["bob@clinique.test"]) == {"bob@clinique.test": "signed"}
    wire = out.protect(LETTER, ["bob@clinique.test"])
    assert b"multipart/signed" in wire
    opened = smime.open_message(wire, bob_keys)
    assert opened.signed and not opened.encrypted and opened.signature.valid
    assert "1,32 g/L" in text_of(opened.inner_mime_bytes)


def test_clear_without_any_key_and_refused_in_strict_mode(standin, pki) -> None:
    out = policy(standin, pki, with_key=False)
    assert out.protect(LETTER, ["bob@clinique.test"]) == LETTER
    strict = policy(standin, pki, "strict", with_key=False)
    with pytest.raises(PolicyRefused, match="le mode strict n'envoie que des messages chiffrés"):
        strict.check(["bob@clinique.test"])
    assert strict.describe(["bob@clinique.test"]) == {"bob@clinique.test": "refused"}


def test_outside_the_trust_space_is_refused(standin, pki) -> None:
    out = policy(standin, pki)
    with pytest.raises(PolicyRefused, match="hors de l'espace de confiance MSSanté") as refused:
        out.check(["bob@clinique.test", "x@gmail.example"])
    # the way out it names is for a health mailbox missing from the list, never "allow any domain"
    said = str(refused.value)
    assert "ne part pas vers une messagerie ordinaire" in said
    assert said.index("messagerie de santé absente de la liste blanche") < said.index("trust.allow")
    assert out.describe(["x@gmail.example"]) == {"x@gmail.example": "refused"}


def test_never_encrypted_to_a_patient_mailbox(standin, pki) -> None:
    out = policy(standin, pki)
    assert not out.will_encrypt(["jeanne.dupont@patient.mssante.fr"])
    out.check(["jeanne.dupont@patient.mssante.fr"])  # allowed, in clear (signed)
    assert out.describe(["jeanne.dupont@patient.mssante.fr"]) == {
        "jeanne.dupont@patient.mssante.fr": "signed"
    }


def test_a_key_for_another_address_is_not_used_to_sign(standin, pki) -> None:
    out = policy(standin, pki)
    other = LETTER.replace(b"alice@hopital.test", b"secretariat@hopital.test")
    with pytest.raises(BadInput, match="ne porte pas l'adresse d'envoi secretariat@hopital.test"):
        out.protect(other, ["bob@clinique.test"])


def test_one_unknown_recipient_sends_the_whole_letter_in_clear_and_the_decision_says_why(
    standin, pki, bob_keys
) -> None:
    """The composer's words come from this decision: with one known and one unknown recipient the letter
    is signed but leaves in clear for both, and ``protect`` does exactly that."""
    out = policy(standin, pki)
    out.keys.add_cert(pki.bob.cert)
    both = ["bob@clinique.test", "carol@clinique.test"]
    decision = out.decide(both, "alice@hopital.test")
    assert (decision.encrypted, decision.signed, decision.can_send) == (False, True, True)
    assert decision.unknown == ("carol@clinique.test",)
    opened = smime.open_message(out.protect(LETTER, both), bob_keys)
    assert opened.signed and not opened.encrypted  # in clear, as the decision said
    only_bob = out.decide(["bob@clinique.test"], "alice@hopital.test")
    assert (only_bob.encrypted, only_bob.signed, only_bob.unknown) == (True, True, ())
    assert b"1,32" not in out.protect(LETTER, ["bob@clinique.test"])


def test_the_decision_names_refused_recipients_patients_and_a_signing_problem(standin, pki) -> None:
    unsigned = policy(standin, pki, with_key=False).decide(["bob@clinique.test"], "alice@hopital.test")
    assert (unsigned.signed, unsigned.encrypted, unsigned.can_send) == (False, False, True)
    out = policy(standin, pki)
    decision = out.decide(["x@gmail.example", "jeanne.dupont@patient.mssante.fr"], "alice@hopital.test")
    assert not decision.can_send
    assert [address for address, _ in decision.refused] == ["x@gmail.example"]
    assert "hors de l'espace de confiance" in decision.refused[0][1]
    assert decision.patients == ("jeanne.dupont@patient.mssante.fr",)
    assert all("jeanne" not in reason for _, reason in decision.refused)  # the reasons are error words
    other = out.decide(["bob@clinique.test"], "secretariat@hopital.test")
    assert not other.can_send and "ne porte pas l'adresse d'envoi" in other.sign_problem
