"""Reading PKCS#12 (.p12/.pfx) files as users export them, without library warnings reaching the terminal.

Two shapes meet in practice besides the DER that ``cryptography`` expects:

* NSS (Firefox, Thunderbird) writes BER with indefinite lengths. ``cryptography`` reads it, but warns
  ("could not be parsed as DER, falling back to parsing as BER") every time: once at import, and at every
  sync for a client certificate kept as a PKCS#12. BER is a legitimate PKCS#12 encoding, so it is recognised
  here and read on purpose, the fallback notice being the expected path and not a problem to report.
* A PEM-armoured file (``-----BEGIN ...``, text): not a PKCS#12 at all for the library, which warns and then
  fails with an obscure message. It is refused here first, with what to do -- unless the armour says
  ``PKCS12``: the example identities of the IETF LAMPS work (RFC 9216's Alice and Bob, the protected-headers
  test vectors' bob.p12) are published as ``-----BEGIN PKCS12-----``, base64 of the PKCS#12 itself.
"""

from __future__ import annotations

import base64
import binascii
import re
import warnings

from cryptography.hazmat.primitives.serialization import pkcs12

from core.errors import ParseError
from core.text import T

_BER_NOTICE = r".*could not be parsed as DER.*"
_ARMOURED = re.compile(rb"-----BEGIN PKCS12-----(.*?)-----END PKCS12-----", re.DOTALL)


def is_pem(data: bytes) -> bool:
    return data.lstrip()[:11] == b"-----BEGIN "


def is_ber(data: bytes) -> bool:
    """True for the indefinite-length encoding NSS writes (an outer SEQUENCE of unknown length)."""
    return data[:2] == b"\x30\x80"


def _unarmour(data: bytes) -> bytes:
    """The PKCS#12 inside a ``-----BEGIN PKCS12-----`` armour; ParseError for any other PEM text."""
    armoured = _ARMOURED.search(data)
    if armoured is None:
        raise ParseError(T("secure.p12.fichier-pem-texte-begin"))
    try:
        return base64.b64decode(b"".join(armoured.group(1).split()), validate=True)
    except (binascii.Error, ValueError):
        raise ParseError(T("secure.p12.fichier-pkcs-p12-pfx")) from None


def load(data: bytes, password: bytes | None) -> pkcs12.PKCS12KeyAndCertificates:
    """Load a PKCS#12 bundle (DER or NSS's BER). ValueError for a wrong password or damaged file, as
    ``cryptography`` does; ParseError for a PEM text file or bytes that are not PKCS#12."""
    if is_pem(data):
        data = _unarmour(data)
    if data[:1] != b"\x30":
        raise ParseError(T("secure.p12.fichier-pkcs-p12-pfx"))
    with warnings.catch_warnings():
        # BER (NSS: indefinite lengths, or non-minimal lengths) is read through the library's fallback,
        # the path we want; only that notice is silenced, any other warning still goes to the log capture
        warnings.filterwarnings("ignore", message=_BER_NOTICE, category=UserWarning)
        return pkcs12.load_pkcs12(data, password)
