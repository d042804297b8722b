"""Which messages can carry an S/MIME layer, by their outer content type.

Read by the sync hook for every new message: kept apart from ``core.secure.smime`` so that a message which
cannot be S/MIME does not make the process import the S/MIME machinery (asn1crypto, X.509 parsing).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.frozen import Frozen

if TYPE_CHECKING:
    from core.model import SignatureStatus

PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")


def may_be_smime(content_type: str) -> bool:
    """Whether a message whose outer content type is ``content_type`` can carry an S/MIME layer
    (``smime._layer_kind`` reads no other): for any other type ``open_message`` gives the message back as it
    is, neither signed nor encrypted, and the sync hook does not call it."""
    return content_type.lower() in ("multipart/signed", "application/octet-stream", *PKCS7_MIME)


@dataclass(frozen=True, repr=False, eq=False)
class OpenedMessage(Frozen):
    """A received message with its S/MIME layers removed, as stored at sync time (``smime.open_message``; a
    message that cannot be S/MIME is its own opened message, neither signed nor encrypted)."""

    inner_mime_bytes: bytes  # outer headers + the innermost entity: what the MIME reader parses
    encrypted: bool
    signed: bool
    signature: SignatureStatus | None
    signer_cert: bytes | None  # DER, for KeyStore.harvest when the signature is valid
    decrypted: bool = True  # False when encrypted for a key the profile does not hold
    problem: str = ""  # why it could not be decrypted (no health data)
    cipher_note: str = ""  # "chiffrement ancien (3DES)" when a layer used an outdated cipher
    # the verified chain of a valid (or revoked) signature (leaf first, its anchor left out) as its revocation is looked up
    # (core.secure.crl.Link.to_json): kept with the letter, so that a CRL arriving later judges it again
    revocation_links: tuple[dict[str, Any], ...] = ()
    # a letter with several signers: each one's verdict and chain (as ``revocation_links``), in the letter's
    # order; ``signature`` is the least trusting of them (smime.letter_verdict). Empty for one signer.
    signers: tuple[tuple[SignatureStatus, tuple[dict[str, Any], ...]], ...] = ()
