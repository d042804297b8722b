"""Just enough JWS for OpenID Connect ID tokens: decode a compact JWT and check its RS256 signature by JWKS.

No JWT library: a compact JWS is ``base64url(header).base64url(claims).base64url(signature)`` and RS256 is an
RSASSA-PKCS1-v1_5 signature over the first two parts with SHA-256, which ``cryptography`` checks.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from core.errors import SecurityError
from core.text import T


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def decode(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """(header, claims, signing input, signature) of a compact JWS; SecurityError when it is not one."""
    try:
        head, body, sig = token.split(".")
        header = json.loads(_b64(head))
        claims = json.loads(_b64(body))
        signature = _b64(sig)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise SecurityError(T("auth.jws.jeton-identite-pro-sante")) from None
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise SecurityError(T("auth.jws.jeton-identite-pro-sante"))
    return header, claims, f"{head}.{body}".encode(), signature


def verify_rs256(token: str, jwks: dict[str, Any]) -> dict[str, Any]:
    """The claims of ``token`` when an RSA key of ``jwks`` signed it with RS256; SecurityError otherwise."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    header, claims, signing_input, signature = decode(token)
    if header.get("alg") != "RS256":
        raise SecurityError(T("auth.jws.jeton-identite-signe-algorithme", get=header.get("alg")))
    keys = [k for k in jwks.get("keys", []) if isinstance(k, dict) and k.get("kty") == "RSA"]
    if header.get("kid") is not None:
        keys = [k for k in keys if k.get("kid") == header["kid"]] or keys
    for key in keys:
        try:
            n = int.from_bytes(_b64(key["n"]), "big")
            e = int.from_bytes(_b64(key["e"]), "big")
            rsa.RSAPublicNumbers(e, n).public_key().verify(
                signature, signing_input, padding.PKCS1v15(), hashes.SHA256()
            )
            return claims
        except (KeyError, ValueError, binascii.Error, InvalidSignature):
            continue
    raise SecurityError(T("auth.jws.signature-jeton-identite-pro"))
