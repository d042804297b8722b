"""A letter with several signers (two SignerInfos, `openssl cms -sign -signer A -signer B`): the verdict is the
best over every signer whose signature holds, each judged by the usual rules (chain, weak digest, From named
by its certificate). The first signerInfo's failing chain used to stop the search: a colleague's valid
signature beside a stranger's was shown "non reconnu"."""

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


@pytest.mark.parametrize("opaque", [False, True], ids=["detached", "opaque"])
def test_a_trusted_signer_after_an_untrusted_one_is_valid(pki, bob_keys, message, openssl, tmp_path, opaque):
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.stranger, opaque=opaque)
    # the case at hand: the stranger's signerInfo (its chain leads to a root nobody trusts) comes first
    assert _signer_issuers(signed) == ["Unknown Root CA", "Missive Test Intermediate CA"]
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and opened.signature.valid, opened.signature
    assert opened.signature.signer == "alice@hopital.test" and "Alice Martin" in opened.signature.subject
    # the certificate harvested into the key store is the one that proved the letter
    assert opened.signer_cert == pki.alice.cert_der
    # `missive smime verify` reads the same verdict and signer
    _content, status, cert = smime.verify(signed, [pki.root.cert])
    assert status == opened.signature and cert == pki.alice.cert


def test_the_from_must_be_named_by_a_signer_whose_chain_holds(pki, bob_keys, message, openssl, tmp_path):
    """From: the stranger. Alice's signature holds and is trusted but does not name that From; the stranger's
    names it but its chain is not trusted: not valid, whatever the order."""
    sams = message.replace(b"Dr Alice Martin <alice@hopital.test>", b"Sam <sam@ailleurs.test>")
    signed = _signed(openssl, tmp_path, sams, pki, pki.alice, pki.stranger, opaque=False)
    status = smime.open_message(signed, bob_keys).signature
    assert status is not None and not status.valid
    assert status.signer == "sam@ailleurs.test" and status.reason == "sig.chain-untrusted", status


def test_a_trusted_sha1_signer_beside_an_untrusted_one_says_sha1(pki, bob_keys, message, openssl, tmp_path):
    """Both sign with SHA-1: Alice's chain holds and names the From, so her verdict (the weak digest, what
    the sender can fix) is the one shown, not the stranger's unknown authority; never valid."""
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.stranger, opaque=False, md="sha1")
    assert _signer_issuers(signed)[0] == "Unknown Root CA"
    opened = smime.open_message(signed, bob_keys)
    assert opened.signature is not None and not opened.signature.valid
    assert opened.signature.reason == "sig.weak-digest" and opened.signature.signer == "alice@hopital.test"


def test_a_modified_letter_signed_twice_is_modified(pki, bob_keys, message, openssl, tmp_path):
    signed = _signed(openssl, tmp_path, message, pki, pki.alice, pki.stranger, opaque=False)
    tampered = signed.replace(b"Veuillez trouver", b"Veuillez trouvEr", 1)
    assert tampered != signed
    status = smime.open_message(tampered, bob_keys).signature
    assert (
        status is not None
        and not status.valid
        and status.reason_text() == ("le message a été modifié après signature")
    )
