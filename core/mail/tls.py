"""The one place TLS client contexts are made: verified certificates and host names, TLS 1.2 minimum.

The client certificate (MSSanté applicative mailboxes) comes as a PKCS#12. ``ssl`` can only load a key from a
file, so the key is written re-encrypted under a random one-time password into a private temporary folder
(mode 0700) and deleted as soon as it is loaded: the key is never on disk in clear.
"""

from __future__ import annotations

import base64
import binascii
import os
import ssl
from pathlib import Path
from typing import TYPE_CHECKING

from core.errors import BadInput, SecurityError, TransportError
from core.text import T, Text

if TYPE_CHECKING:
    from core.mail.account import Account


def client_context(
    ca_file: str | os.PathLike[str] | None = None,
    client_p12: bytes | None = None,
    client_p12_password: str = "",
    store_folder: str | None = None,
) -> ssl.SSLContext:
    """An SSLContext that verifies the server (system store, or only ``ca_file`` when given) and its host name.
    ``store_folder`` (no ``ca_file``): only the system store's hashed folder, looked up at the handshake
    (``hashed_store_folder``), instead of the whole store loaded first."""
    if ca_file:
        path = Path(ca_file).expanduser()
        if not path.is_file():
            raise BadInput(T("mail.tls.fichier-autorite-introuvable-donnez", path=path))
        # The account's CA file replaces the system store: an IGC-Santé server must chain to IGC-Santé (and
        # the system store, about 40 ms to load, is not read only to be dropped)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        try:
            ctx.load_verify_locations(cafile=str(path))
        except (ssl.SSLError, ValueError) as exc:
            raise BadInput(
                T(
                    "mail.tls.fichier-autorite-fichier-certificats",
                    path_name=path.name,
                    name=exc.__class__.__name__,
                )
            ) from None
    else:  # capath None: the whole system store (load_default_certs)
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, capath=store_folder)
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    if client_p12:
        _load_client_p12(ctx, client_p12, client_p12_password)
    return ctx


def context_for(account: Account) -> ssl.SSLContext:
    """The TLS context for one account: its CA file and, when configured, its client certificate."""
    p12: bytes | None = None
    if account.client_cert_p12:
        try:
            p12 = base64.b64decode(account.client_cert_p12, validate=True)
        except (binascii.Error, ValueError):
            raise SecurityError(
                T("mail.tls.compte-certificat-client-enregistre", account_name=account.name)
            ) from None
    if account.ca_file:
        trust: tuple[object, ...] = (account.ca_file, _file_stamp(account.ca_file))
    else:  # the system store: where it is (SSL_CERT_FILE/DIR) and when its bundle last changed
        paths = ssl.get_default_verify_paths()
        trust = ("", paths.cafile or "", _file_stamp(paths.cafile), paths.capath or "", _file_stamp(paths.capath))
    key = (trust, account.client_cert_p12 or "", account.client_cert_password or "")
    ctx = _CONTEXTS.get(key)
    if ctx is None:
        ctx = client_context(account.ca_file, p12, account.client_cert_password)
        if len(_CONTEXTS) >= 8:
            _CONTEXTS.clear()
        _CONTEXTS[key] = ctx
    return ctx


def look_context_for(account: Account) -> ssl.SSLContext:
    """The context of one short look at ``account``'s server (core.mail.nochange, at every standalone `missive
    sync`): ``context_for``'s, except for an account on the system store (no CA file, no client certificate),
    whose authorities are looked up in the store's hashed folder at the handshake (OpenSSL's capath) instead of
    the whole bundle being loaded first: some 30-60 ms of CPU for the 144 certificates of a Debian store, at
    every resync, for the one or two the server's chain needs. It trusts no more than ``context_for``'s (which
    loads that folder and the bundle): a chain whose authority is only in the bundle fails the look, and the
    full sync, with the whole store, decides. ``context_for``'s own when there is no such folder
    (``hashed_store_folder``)."""
    folder = None if account.ca_file or account.client_cert_p12 else hashed_store_folder()
    if folder is None:
        return context_for(account)
    return client_context(None, store_folder=folder)


def hashed_store_folder() -> str | None:
    """The system store's folder of certificates named by their subject's hash (``SSL_CERT_DIR``, else
    OpenSSL's default, /etc/ssl/certs on Debian), where OpenSSL finds an authority when a chain needs it; None
    when ``SSL_CERT_FILE`` names a bundle other than the system's (its authorities may be in no folder), or
    there is no such folder, or it holds no hashed name (c_rehash never ran there: a lookup would find
    nothing)."""
    paths = ssl.get_default_verify_paths()
    if not paths.capath:
        return None
    bundle = os.environ.get(paths.openssl_cafile_env)
    if bundle and os.path.realpath(bundle) != os.path.realpath(paths.openssl_cafile):
        return None
    try:
        with os.scandir(paths.capath) as entries:
            if any(_hashed_name(entry.name) for entry in entries):
                return paths.capath
    except OSError:
        pass
    return None


def _hashed_name(name: str) -> bool:
    """``9d04f354.0``: a certificate named by its subject's hash (OpenSSL's rehash)."""
    stem, dot, number = name.partition(".")
    return len(stem) == 8 and bool(dot) and number.isdigit() and all(c in "0123456789abcdef" for c in stem)


# A long-running process (the daemon, the app) syncs every few minutes: its contexts are made once per
# account setting rather than at each connection (the system store alone is about 40 ms to load). A context
# is never changed once made; a new CA file (another size or date) or certificate makes a new one.
_CONTEXTS: dict[tuple[tuple[object, ...], str, str], ssl.SSLContext] = {}


def _file_stamp(path: str | os.PathLike[str] | None) -> tuple[int, int]:
    if not path:
        return (0, 0)
    try:
        st = Path(path).expanduser().stat()
    except OSError:
        return (-1, -1)
    return (st.st_mtime_ns, st.st_size)


def _load_client_p12(ctx: ssl.SSLContext, data: bytes, password: str) -> None:
    import secrets
    import shutil
    import tempfile  # only for a client certificate (they load random, bz2, lzma): not on every connection's path

    from cryptography.hazmat.primitives import serialization

    from core.errors import ParseError
    from core.secure import p12

    try:
        bundle = p12.load(data, password.encode() if password else None)
    except (ValueError, ParseError):
        raise SecurityError(T("mail.tls.certificat-client-mot-passe")) from None
    if bundle.key is None or bundle.cert is None:
        raise SecurityError(T("mail.tls.certificat-client-pkcs-contient"))
    one_time = secrets.token_urlsafe(32)
    key_pem = bundle.key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(one_time.encode()),
    )
    chain = [bundle.cert.certificate] + [c.certificate for c in bundle.additional_certs]
    certs_pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in chain)
    folder = tempfile.mkdtemp(prefix="missive-tls-")  # mode 0700
    try:
        cert_path = Path(folder) / "cert.pem"
        key_path = Path(folder) / "key.pem"
        fd = os.open(cert_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(certs_pem)
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key_pem)
        ctx.load_cert_chain(str(cert_path), str(key_path), password=one_time)
    except ssl.SSLError as exc:
        raise SecurityError(
            T("mail.tls.certificat-client-inutilisable-tls", value=exc.reason or "raison inconnue")
        ) from None
    finally:
        shutil.rmtree(folder, ignore_errors=True)


HANDSHAKE_CUT = T("mail.tls.handshake-cut")


def describe(exc: BaseException) -> Text | str:
    """Words for a TLS failure, for the one-line error (no secrets, no health data)."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        msg = exc.verify_message or str(exc)
        if "Hostname mismatch" in msg or "IP address mismatch" in msg:
            return T("mail.tls.other-host")
        if "self-signed" in msg or "unable to get local issuer" in msg:
            return T("mail.tls.untrusted")
        if "expired" in msg:
            return T("mail.tls.expired")
        return T("mail.tls.refused", detail=msg)
    if isinstance(exc, ssl.SSLError):
        reason = exc.reason or exc.__class__.__name__
        if "WRONG_VERSION" in reason or "UNSUPPORTED_PROTOCOL" in reason or "PROTOCOL_VERSION" in reason:
            return T("mail.tls.old-version")
        if "NO_PROTOCOLS_AVAILABLE" in reason:
            return T("mail.tls.no-version")
        if "HANDSHAKE_FAILURE" in reason or "NO_SHARED_CIPHER" in reason:
            return T("mail.tls.no-cipher")
        if isinstance(exc, ssl.SSLEOFError) or "UNEXPECTED_EOF" in reason:
            return HANDSHAKE_CUT
        if "CERTIFICATE_REQUIRED" in reason or "CERTIFICATE" in reason:
            return T("mail.tls.client-cert-refused", detail=reason)
        return T("mail.tls.failed", detail=reason)
    return str(exc) or exc.__class__.__name__


def tls_error(host: str, port: int, exc: BaseException) -> TransportError:
    """A one-line TransportError naming the server and the TLS reason; a refused certificate or protocol is
    permanent (retrying cannot fix it: the account's settings or the server's certificate must change)."""
    return TransportError(
        T("mail.tls.message", host=host, port=port, describe=describe(exc)),
        permanent=isinstance(exc, ssl.SSLError),
    )
