"""A letter with several signers (two SignerInfos, `openssl cms -sign -signer A -signer B`): each signer is
judged by the usual rules (chain, weak digest, revocation; the From named by a valid signer's certificate), and
the letter takes the least trusting verdict (smime.letter_verdict), each signer's said beside it. It used to
take the best one: a stranger's signature beside a colleague's valid one read « valide », the stranger's
« autorité non reconnue » never shown nor stored (left9, item 5)."""

from __future__ import annotations

from pathlib import Path

import pytest
from asn1crypto import cms as asn1cms

from core.secure import smime
from tests.secure.pki import PKI, Party


def _signed(
    openssl, tmp_path: Path, message: bytes, pki: PKI, *signers: Party, opaque: bool, md: str = "sha256"
) -> bytes:
    src = tmp_path / "to-sign.eml"
    src.write_bytes(message)
    args = ["cms", "-sign", "-md", md, "-in", str(src)]
    for party in signers:
        args += ["-signer", str(party.files["cert"]), "-inkey", str(party.files["key"])]
    args += ["-certfile", str(pki.inter.files["cert"])]
    if opaque:
        args.append("-nodetach")
    return openssl(*args).stdout


def _signer_issuers(signed: bytes) -> list[str]:
    """The issuers of the signerInfos, in their order in the letter (openssl sorts the SET by encoding)."""
    entity = smime._split(signed)
    der = smime._signed_parts(entity)[1] if smime._layer_kind(entity) == "signed" else smime._part_der(entity)
    infos = asn1cms.ContentInfo.load(der)["content"]["signer_infos"]
    return [info["sid"].chosen["issuer"].native["common_name"] for info in infos]


def _said(opened: smime.OpenedMessage) -> list[tuple[str, bool, str]]:
    return [(status.signer, status.valid, status.reason) for status, _chain in opened.signers]


@pytest.mark.parametrize("opaque", [False, True], ids=["detached", "opaque"])
@pytest.mark.parametrize("order", ["stranger-first", "alice-first"])
def test_a_trusted_signer_beside_an_untrusted_one_is_not_valid_and_both_are_said(
    pki, bob_keys, message, openssl, tmp_path, opaque, order
):
    parties = (pki.alice, pki.stranger) if order == "alice-first" else (pki.stranger, pki.alice)
    signed = _signed(openssl, tmp_path, message, pki, *parties, opaque=opaque)
    # openssl sorts the SET by encoding: the stranger's signerInfo comes first whatever the order given
    assert _signer_issuers(signed) == ["Unknown Root CA", "Missive Test Intermediate CA"]
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and not opened.signature.valid, opened.signature
    assert opened.signature.signer == "sam@ailleurs.test"
    assert opened.signature.reason == "sig.chain-untrusted"
    assert sorted(_said(opened)) == [
        ("alice@hopital.test", True, ""),
        ("sam@ailleurs.test", False, "sig.chain-untrusted"),
    ]
    # `missive smime verify` reads the same verdict and names the signer it rests on
    _content, status, cert = smime.verify(signed, [pki.root.cert])
    assert status == opened.signature and cert == pki.stranger.cert


@pytest.mark.parametrize("order", ["alice-first", "carol-first"])
def test_two_trusted_signers_are_valid_the_co_signer_judged_without_the_authors_address(
    pki, bob_keys, message, openssl, tmp_path, order
):
    """Alice wrote the letter (From), Carol countersigned it: both chains hold; Carol's certificate does not
    name Alice's address, which is no fault of a co-signer's once the author's valid signature names it. The
    letter's verdict names Alice, and hers is the certificate kept for replying encrypted."""
    parties = (pki.alice, pki.carol_ec) if order == "alice-first" else (pki.carol_ec, pki.alice)
    signed = _signed(openssl, tmp_path, message, pki, *parties, opaque=False)
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and opened.signature.valid, opened.signature
    assert opened.signature.signer == "alice@hopital.test" and opened.signer_cert == pki.alice.cert_der
    assert sorted(_said(opened)) == [("alice@hopital.test", True, ""), ("carol@labo.test", True, "")]
    # with a From neither names (nor Alice's nor Carol's), the letter is not valid
    sams = message.replace(b"Dr Alice Martin <alice@hopital.test>", b"Sam <sam@ailleurs.test>")
    status = smime.open_message(
        _signed(openssl, tmp_path, sams, pki, pki.alice, pki.carol_ec, opaque=False), bob_keys
    ).signature
    assert status is not None and not status.valid and status.reason == "sig.address-mismatch", status


def test_one_signer_keeps_its_single_verdict(pki, bob_keys, message, openssl, tmp_path):
    opened = smime.open_message(_signed(openssl, tmp_path, message, pki, pki.alice, opaque=False), bob_keys)
    assert opened.signature is not None and opened.signature.valid and opened.signers == ()


def test_the_from_must_be_named_by_a_signer_whose_chain_holds(pki, bob_keys, message, openssl, tmp_path):
    """From: the stranger. Alice's signature holds and is trusted but does not name that From; the stranger's
    names it but its chain is not trusted: not valid, whatever the order."""
    sams = message.replace(b"Dr Alice Martin <alice@hopital.test>", b"Sam <sam@ailleurs.test>")
    signed = _signed(openssl, tmp_path, sams, pki, pki.alice, pki.stranger, opaque=False)
    opened = smime.open_message(signed, bob_keys)
    status = opened.signature
    assert status is not None and not status.valid
    assert status.signer == "sam@ailleurs.test" and status.reason == "sig.chain-untrusted", status
    assert sorted(_said(opened)) == [
        ("alice@hopital.test", False, "sig.address-mismatch"),
        ("sam@ailleurs.test", False, "sig.chain-untrusted"),
    ]


def test_a_trusted_sha1_signer_beside_an_untrusted_one_says_both(pki, bob_keys, message, openssl, tmp_path):
    """Both sign with SHA-1: Alice's chain holds and names the From but her digest is weak; the stranger's
    authority is unknown. Never valid, and each signer's fault is said."""
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.stranger, opaque=False, md="sha1")
    assert _signer_issuers(signed)[0] == "Unknown Root CA"
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and not opened.signature.valid
    assert sorted(_said(opened)) == [
        ("alice@hopital.test", False, "sig.weak-digest"),
        ("sam@ailleurs.test", False, "sig.chain-untrusted"),
    ]


def test_a_modified_letter_signed_twice_is_modified(pki, bob_keys, message, openssl, tmp_path):
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.stranger, opaque=False)
    tampered = signed.replace(b"Veuillez trouver", b"Veuillez trouvEr", 1)
    assert tampered != signed
    opened = smime.open_message(tampered, bob_keys)
    status = opened.signature
    assert (
        status is not None
        and not status.valid
        and status.reason_text() == ("le message a été modifié après signature")
    )
    assert [valid for _signer, valid, _reason in _said(opened)] == [False, False]


def test_a_signature_that_fails_beside_one_that_holds_is_said(pki, bob_keys, message, openssl, tmp_path):
    """Alice and Carol sign; Carol's signature value is then spoilt: Alice's still holds, the letter is not
    valid and Carol's line says her signature does not match the letter."""
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.carol_ec, opaque=True)
    entity = smime._split(signed)
    info = asn1cms.ContentInfo.load(smime._part_der(entity))
    infos = info["content"]["signer_infos"]
    for signer_info in infos:
        if signer_info["sid"].chosen["serial_number"].native == pki.carol_ec.cert.serial_number:
            value = bytearray(signer_info["signature"].native)
            value[-5] ^= 0x01
            signer_info["signature"] = asn1cms.OctetString(bytes(value))
    spoilt = smime._wrap_pkcs7_mime(smime._outer(entity), info.dump(force=True), "signed-data")
    opened = smime.open_message(spoilt, bob_keys)
    assert opened.signature is not None and not opened.signature.valid, opened.signature
    said = sorted(_said(opened))
    assert said[0] == ("alice@hopital.test", True, "")
    assert said[1][:2] == ("carol@labo.test", False) and said[1][2] == "sig.modified", said


def test_a_damaged_signature_beside_one_that_holds_is_said(pki, bob_keys, message, openssl, tmp_path):
    """Carol's signerInfo is damaged (its message digest an INTEGER, not an OCTET STRING): it used to be dropped
    without a word beside Alice's, which holds; the letter is now not valid and the damage is said."""
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.carol_ec, opaque=True)
    entity = smime._split(signed)
    der = smime._part_der(entity)
    infos = asn1cms.ContentInfo.load(der)["content"]["signer_infos"]
    serials = [info["sid"].chosen["serial_number"].native for info in infos]
    carol = serials.index(pki.carol_ec.cert.serial_number)
    digest_attr = bytes.fromhex("06092a864886f70d010904")  # the messageDigest attribute's type
    at = -1
    for _ in range(carol + 1):
        at = der.index(digest_attr, at + 1)
    value = at + len(digest_attr) + 2  # past the SET OF header: the value's tag
    assert der[value] == 0x04
    spoilt = der[:value] + b"\x02" + der[value + 1 :]
    opened = smime.open_message(smime._wrap_pkcs7_mime(smime._outer(entity), spoilt, "signed-data"), bob_keys)
    assert opened.signature is not None and not opened.signature.valid, opened.signature
    said = _said(opened)
    assert ("alice@hopital.test", True, "") in said and len(said) == 2, said
    [damaged] = [status for status, _chain in opened.signers if not status.valid]
    assert damaged.reason == "sig.signer-damaged" and damaged.signer == ""  # nobody known, not the From
    assert damaged.reason_text() == "une des signatures du message est endommagée (illisible)"
