"""Which messages can carry an S/MIME layer, by their outer content type.

Read by the sync hook for every new message: kept apart from ``core.secure.smime`` so that a message which
cannot be S/MIME does not make the process import the S/MIME machinery (asn1crypto, X.509 parsing).
"""

from __future__ import annotations

PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")


def may_be_smime(content_type: str) -> bool:
    """Whether a message whose outer content type is ``content_type`` can carry an S/MIME layer
    (``smime._layer_kind`` reads no other): for any other type ``open_message`` gives the message back as it
    is, neither signed nor encrypted, and the sync hook does not call it."""
    return content_type.lower() in ("multipart/signed", "application/octet-stream", *PKCS7_MIME)
