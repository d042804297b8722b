"""CMS (RFC 5652) structures: parse, decrypt and verify with asn1crypto and cryptography's primitives.

`cryptography` decrypts only RSA PKCS#1 v1.5 + AES-CBC and cannot verify SignedData at all, so this module
does both by hand: EnvelopedData and AuthEnvelopedData (RSA PKCS#1 v1.5 or RSA-OAEP key transport, AES-CBC
or AES-GCM content; 3DES-CBC for reading old mail only, reported by ``legacy_cipher``), and SignedData (messageDigest attribute, signature over the DER SET OF signed
attributes with RSA PKCS#1 v1.5, RSA-PSS or ECDSA). It also builds EnvelopedData for encryption.

Errors: `ParseError` for bytes that are not the CMS they claim to be, `SecurityError` when decryption is
impossible (no key for us, wrong key, tampered ciphertext). A signature that does not verify is not an
error: `verify_signed_data` reports it in `SignedContent.problem`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from asn1crypto import cms, core
from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature, InvalidTag, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.x963kdf import X963KDF
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from core.errors import ParseError, SecurityError
from core.text import T, Text

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
_DAMAGE = (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)

# Reasons a doctor reads (French, as shown in the reader and by `missive smime verify`).
REASON_MODIFIED = T("sig.modified")
REASON_NO_SIGNER_CERT = T("sig.no-signer-cert")

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


class _GCMParameters(core.Sequence):
    """RFC 5084 GCMParameters (asn1crypto does not declare them)."""

    _fields = [
        ("aes_nonce", core.OctetString),
        ("aes_icvlen", core.Integer, {"default": 12}),
    ]


@dataclass(frozen=True)
class SignedContent:
    """What a SignedData says: the content, who signed it and whether the signature holds."""

    content: bytes
    signature_ok: bool
    problem: Text | None = None  # why, when signature_ok is False (a catalogue code)
    signer_cert: x509.Certificate | None = None
    certificates: tuple[x509.Certificate, ...] = ()
    signing_time: dt.datetime | None = None
    content_type: str = "data"
    # "SHA-1" when the signature holds but hashes with SHA-1: collisions can be bought, so it no longer proves
    # who wrote the letter (core.secure.smime turns it into a verdict that is not the valid one)
    weak_digest: str = ""
    # the letter's other signerInfos (a letter signed by two people), those whose signature holds first, then
    # those that fail or are damaged: core.secure.smime judges each signer (RFC 5652 §5.1: one valid signature
    # per signer), and the letter by the least trusted of them
    others: tuple[SignedContent, ...] = ()


@dataclass
class _Recipient:
    issuer_serial: tuple[bytes, int] | None = None
    ski: bytes | None = None
    algorithm: str = ""
    params: Any = None
    encrypted_key: bytes = b""
    extra: dict[str, Any] = field(default_factory=dict)


# -- parsing ------------------------------------------------------------------------------------------------


def load_content_info(der: bytes) -> cms.ContentInfo:
    """Parse DER/BER bytes as a CMS ContentInfo, or raise ParseError."""
    if not der or der[0] != 0x30:
        raise ParseError(T("secure.cms.partie-mime-structure-cms"))
    try:
        info = cms.ContentInfo.load(der, strict=False)
        content_type = info["content_type"].native
        info["content"]  # noqa: B018 - parses the content header now, so damage is reported here
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise ParseError(T("secure.cms.partie-mime-endommagee-structure")) from exc
    if content_type is None:
        raise ParseError(T("secure.cms.partie-mime-endommagee-type"))
    return info


def _header(data: bytes, at: int) -> tuple[int, int]:
    """(tag byte, offset of the contents) of the TLV at ``at``; lengths are skipped, not trusted."""
    if at + 2 > len(data):
        raise ParseError(T("secure.cms.partie-mime-tronquee-demandez"))
    first = data[at + 1]
    if first < 0x80 or first == 0x80:  # short form, or BER indefinite length
        return data[at], at + 2
    return data[at], at + 2 + (first & 0x7F)


def content_type_of(der: bytes) -> str:
    """The CMS content type name (signed_data, enveloped_data...), read without parsing the content."""
    if not der or der[0] != 0x30:
        raise ParseError(T("secure.cms.partie-mime-structure-cms"))
    _tag, at = _header(der, 0)
    if at + 2 > len(der) or der[at] != 0x06 or der[at + 1] > 0x7F:
        raise ParseError(T("secure.cms.partie-mime-endommagee-type"))
    oid = der[at : at + 2 + der[at + 1]]
    try:
        return str(cms.ContentType.load(oid).native)
    except ValueError as exc:
        raise ParseError(T("secure.cms.partie-mime-endommagee-type-2")) from exc


def _guard(what: str) -> AbstractContextManager[None]:
    """Turn asn1crypto's assorted exceptions on damaged input into one ParseError."""

    class _Ctx:
        def __enter__(self) -> None:
            return None

        def __exit__(self, et: Any, ev: BaseException | None, tb: Any) -> Literal[False]:
            if ev is None or isinstance(ev, (ParseError, SecurityError)):
                return False
            if isinstance(ev, (ValueError, TypeError, KeyError, IndexError, OverflowError, AttributeError)):
                raise ParseError(T("secure.cms.partie-mime-endommagee-illisible", what=what)) from ev
            return False

    return _Ctx()


# -- decryption ---------------------------------------------------------------------------------------------


def _cert_ids(cert: x509.Certificate) -> tuple[tuple[bytes, int], bytes | None]:
    issuer = cert.issuer.public_bytes()
    try:
        ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        ski = x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest
    return (issuer, cert.serial_number), ski


# ECDH key agreement (RFC 5753, RFC 8418): the X9.63 KDF hash of each dhSinglePass scheme. Cofactor and
# standard ECDH agree on the prime curves S/MIME uses (cofactor 1).
_KARI_KDF: dict[str, str] = {
    "1.3.133.16.840.63.0.2": "sha1",
    "1.3.132.1.11.0": "sha224",
    "1.3.132.1.11.1": "sha256",
    "1.3.132.1.11.2": "sha384",
    "1.3.132.1.11.3": "sha512",
    "1.3.133.16.840.63.0.3": "sha1",
    "1.3.132.1.14.0": "sha224",
    "1.3.132.1.14.1": "sha256",
    "1.3.132.1.14.2": "sha384",
    "1.3.132.1.14.3": "sha512",
}
_AES_WRAP = {"2.16.840.1.101.3.4.1.5": 16, "2.16.840.1.101.3.4.1.25": 24, "2.16.840.1.101.3.4.1.45": 32}


def _kari_recipients(kari: Any) -> list[_Recipient]:
    """The recipients of an ephemeral-static ECDH KeyAgreeRecipientInfo (what every client writes)."""
    originator = kari["originator"]
    if originator.name != "originator_key":
        return []  # static-static ECDH: nobody sends it for mail
    kea = kari["key_encryption_algorithm"]
    wrap = cms.KeyEncryptionAlgorithm.load(kea["parameters"].dump())
    ukm = kari["ukm"].native
    extra = {
        "kdf": kea["algorithm"].dotted,
        "wrap": wrap["algorithm"].dotted,
        "wrap_der": wrap.dump(),
        "ephemeral": bytes(originator.chosen["public_key"].native),
        "ukm": bytes(ukm) if ukm is not None else None,
    }
    out = []
    for rek in kari["recipient_encrypted_keys"]:
        rid = rek["rid"]
        rec = _Recipient(algorithm="kari", encrypted_key=bytes(rek["encrypted_key"].native), extra=extra)
        if rid.name == "issuer_and_serial_number":
            rec.issuer_serial = (rid.chosen["issuer"].dump(), int(rid.chosen["serial_number"].native))
        else:
            rec.ski = bytes(
                rid.chosen[0].native
            )  # by position: asn1crypto 1.5 cannot look this field up by name
        out.append(rec)
    return out


def _unwrap_kari(rec: _Recipient, key: PrivateKey) -> bytes:
    """ECDH with the sender's ephemeral key, X9.63 KDF over ECC-CMS-SharedInfo, then AES key unwrap."""
    extra = rec.extra
    hash_name = _KARI_KDF.get(extra["kdf"])
    size = _AES_WRAP.get(extra["wrap"])
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise SecurityError(T("secure.cms.accord-cle-ec"))
    if hash_name is None or size is None:
        # 3DES key wrap (openssl cms -encrypt's default without -aes*), or a KDF nobody else writes
        unknown = extra["wrap"] if size is None else extra["kdf"]
        name = {"1.2.840.113549.1.9.16.3.6": "3DES"}.get(unknown, unknown)
        raise SecurityError(T("secure.cms.accord-cle-algorithme", algorithm=name))
    try:
        peer = ec.EllipticCurvePublicKey.from_encoded_point(key.curve, extra["ephemeral"])
        shared = key.exchange(ec.ECDH(), peer)
    except ValueError as exc:
        raise ParseError(T("secure.cms.partie-mime-endommagee-structure")) from exc
    # ECC-CMS-SharedInfo: keyInfo (the wrap algorithm as sent), [0] the sender's ukm, [2] the KEK size in bits
    ukm = extra["ukm"]
    entity = core.OctetString(ukm).dump() if ukm is not None else b""
    parts = extra["wrap_der"] + (b"\xa0" + _length(len(entity)) + entity if ukm is not None else b"")
    bits = core.OctetString((size * 8).to_bytes(4, "big")).dump()
    parts += b"\xa2" + _length(len(bits)) + bits
    shared_info = b"\x30" + _length(len(parts)) + parts
    kek = X963KDF(_HASHES[hash_name](), size, shared_info).derive(shared)
    try:
        return aes_key_unwrap(kek, rec.encrypted_key)
    except (InvalidUnwrap, ValueError) as exc:
        raise SecurityError(T("secure.cms.cle-message-dechiffre-cle")) from exc


def _recipients(infos: cms.RecipientInfos) -> list[_Recipient]:
    out: list[_Recipient] = []
    for info in infos:
        if info.name == "kari":
            out += _kari_recipients(info.chosen)
            continue
        if info.name != "ktri":
            continue  # KEK and password recipients: not ours to read
        ktri = info.chosen
        rid = ktri["rid"]
        rec = _Recipient()
        if rid.name == "issuer_and_serial_number":
            rec.issuer_serial = (rid.chosen["issuer"].dump(), int(rid.chosen["serial_number"].native))
        else:
            rec.ski = bytes(rid.chosen.native)
        alg = ktri["key_encryption_algorithm"]
        rec.algorithm = alg["algorithm"].native
        rec.params = alg["parameters"]
        rec.encrypted_key = bytes(ktri["encrypted_key"].native)
        out.append(rec)
    return out


def _same_name(der_a: bytes, der_b: bytes) -> bool:
    if der_a == der_b:
        return True
    try:  # same name, different string encodings: compare the way asn1crypto normalises them
        return asn1_x509.Name.load(der_a) == asn1_x509.Name.load(der_b)
    except ValueError:
        return False


def _unwrap_key(rec: _Recipient, key: PrivateKey) -> bytes:
    if rec.algorithm == "kari":
        return _unwrap_kari(rec, key)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise SecurityError(T("secure.cms.message-peut-etre-dechiffre-2"))
    if rec.algorithm == "rsaes_pkcs1v15" or rec.algorithm == "rsa":
        pad: padding.AsymmetricPadding = padding.PKCS1v15()
    elif rec.algorithm == "rsaes_oaep":
        hash_name, mgf_hash, label = "sha1", "sha1", b""
        params = rec.params
        if params is not None and params.native is not None:
            with _guard("paramètres RSA-OAEP"):
                hash_name = params["hash_algorithm"]["algorithm"].native
                mgf = params["mask_gen_algorithm"]
                mgf_hash = mgf["parameters"]["algorithm"].native if mgf["parameters"].native else "sha1"
                src = params["p_source_algorithm"]["parameters"].native
                label = bytes(src) if src else b""
        if hash_name not in _HASHES or mgf_hash not in _HASHES:
            raise SecurityError(T("secure.cms.rsa-oaep-pris-charge", hash_name=hash_name))
        pad = padding.OAEP(
            mgf=padding.MGF1(_HASHES[mgf_hash]()), algorithm=_HASHES[hash_name](), label=label or None
        )
    else:
        raise SecurityError(T("secure.cms.transport-cle-pris-charge", algorithm=rec.algorithm))
    try:
        return key.decrypt(rec.encrypted_key, pad)
    except ValueError as exc:
        raise SecurityError(T("secure.cms.cle-message-dechiffre-cle")) from exc


def _content_key(
    recipients: list[_Recipient], identities: list[tuple[PrivateKey, x509.Certificate]]
) -> bytes:
    if not recipients:
        raise SecurityError(T("secure.cms.message-chiffre-aucun-destinataire"))
    if not identities:
        raise SecurityError(T("secure.cms.message-chiffre-mais-profil"))
    tried = False
    for key, cert in identities:
        issuer_serial, ski = _cert_ids(cert)
        for rec in recipients:
            hit = (
                rec.issuer_serial is not None
                and rec.issuer_serial[1] == issuer_serial[1]
                and _same_name(rec.issuer_serial[0], issuer_serial[0])
            ) or (rec.ski is not None and rec.ski == ski)
            if hit:
                tried = True
                return _unwrap_key(rec, key)
    if not tried:
        raise SecurityError(T("secure.cms.message-ete-chiffre-autres"))
    raise SecurityError(
        T("secure.cms.message-peut-etre-dechiffre")
    )  # pragma: no cover - loop returns or raises


# Block ciphers accepted for reading EnvelopedData: (key length, block size, legacy). 3DES is read because
# older software (and some hospital gateways) still sends it; missive never encrypts with it.
_CBC: dict[str, tuple[int, int, bool]] = {
    "aes128_cbc": (16, 16, False),
    "aes192_cbc": (24, 16, False),
    "aes256_cbc": (32, 16, False),
    "tripledes_3key": (24, 8, True),
}
LEGACY_3DES = "chiffrement ancien (3DES)"


def legacy_cipher(der: bytes) -> str:
    """'chiffrement ancien (3DES)' when an EnvelopedData uses 3DES, else '' (the reader says it)."""
    try:
        info = load_content_info(der)
        if info["content_type"].native != "enveloped_data":
            return ""
        name = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]["algorithm"].native
    except (ParseError, *_DAMAGE):
        return ""
    return LEGACY_3DES if _CBC.get(name, (0, 0, False))[2] else ""


def _decrypt_cbc(algo: Any, key: bytes, ciphertext: bytes) -> bytes:
    name = algo["algorithm"].native
    with _guard("paramètres de chiffrement"):
        iv = bytes(algo["parameters"].native)
    spec = _CBC.get(name)
    if spec is None:
        raise SecurityError(T("secure.cms.chiffrement-pris-charge-aes", name=name))
    key_len, block, legacy = spec
    if len(key) != key_len or len(iv) != block or len(ciphertext) % block or not ciphertext:
        raise SecurityError(T("secure.cms.message-peut-etre-dechiffre-3"))
    if legacy:
        from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES

        cipher: Any = TripleDES(key)
    else:
        cipher = algorithms.AES(key)
    # decrypt into one buffer and cut the padding off in place: no copy of a 10 MB message per step
    plain = bytearray(len(ciphertext) + block - 1)
    decryptor = Cipher(cipher, modes.CBC(iv)).decryptor()
    size = decryptor.update_into(ciphertext, plain)
    decryptor.finalize()
    del plain[size:]
    pad = plain[-1]
    if not 1 <= pad <= block or plain[-pad:] != bytes([pad]) * pad:
        raise SecurityError(T("secure.cms.message-peut-etre-dechiffre-3"))
    del plain[-pad:]
    # a bytearray: bytes-like for every reader of the plaintext (smime._rebuild), and one 10 MB copy fewer
    return plain  # type: ignore[return-value]  # see the line above


def _decrypt_gcm(algo: Any, key: bytes, ciphertext: bytes, mac: bytes, aad: bytes) -> bytes:
    name = algo["algorithm"].native
    expected = {"aes128_gcm": 16, "aes192_gcm": 24, "aes256_gcm": 32}.get(name)
    if expected is None:
        raise SecurityError(T("secure.cms.chiffrement-authentifie-pris-charge", name=name))
    with _guard("paramètres AES-GCM"):
        params = _GCMParameters.load(algo["parameters"].dump())
        nonce = bytes(params["aes_nonce"].native)
        icvlen = int(params["aes_icvlen"].native)
    if len(key) != expected or not nonce or icvlen != len(mac) or not 12 <= icvlen <= 16:
        raise SecurityError(T("secure.cms.message-peut-etre-dechiffre-3"))
    try:
        if icvlen == 16:
            return AESGCM(key).decrypt(nonce, ciphertext + mac, aad or None)
        decryptor = Cipher(algorithms.AES(key), modes.GCM(nonce, mac, min_tag_length=icvlen)).decryptor()
        if aad:
            decryptor.authenticate_additional_data(aad)
        return decryptor.update(ciphertext) + decryptor.finalize()
    except (InvalidTag, ValueError) as exc:
        raise SecurityError(T("secure.cms.message-chiffre-ete-modifie")) from exc


def decrypt(der: bytes, identities: list[tuple[PrivateKey, x509.Certificate]]) -> bytes:
    """Decrypt an EnvelopedData or AuthEnvelopedData with the first of our identities it was made for."""
    try:
        return _decrypt(der, identities)
    except _DAMAGE as exc:  # asn1crypto parses lazily: damage can surface at any field access
        raise ParseError(T("secure.cms.partie-mime-endommagee-structure")) from exc


def _decrypt(der: bytes, identities: list[tuple[PrivateKey, x509.Certificate]]) -> bytes:
    info = load_content_info(der)
    kind = info["content_type"].native
    if kind not in ("enveloped_data", "authenticated_enveloped_data"):
        raise ParseError(T("secure.cms.partie-mime-type-contenu", kind=kind))
    with _guard("liste des destinataires"):
        env = info["content"]
        recipients = _recipients(env["recipient_infos"])
        kinds = {info.name for info in env["recipient_infos"]}
    if not recipients and "kari" in kinds:  # ECDH key agreement (openssl cms -encrypt to an EC certificate)
        raise SecurityError(T("secure.cms.accord-cle-ec"))
    if not recipients and kinds & {"pwri", "kekri"}:  # a password or a shared key, not a certificate
        raise SecurityError(T("secure.cms.chiffre-mot-de-passe"))
    cek = _content_key(recipients, identities)
    with _guard("contenu chiffré"):
        if kind == "enveloped_data":
            eci = env["encrypted_content_info"]
        else:
            eci = env["auth_encrypted_content_info"]
        algo = eci["content_encryption_algorithm"]
        ciphertext = eci["encrypted_content"].native
    if ciphertext is None:
        raise ParseError(T("secure.cms.partie-mime-chiffree-vide"))
    ciphertext = bytes(ciphertext)
    if kind == "enveloped_data":
        return _decrypt_cbc(algo, cek, ciphertext)
    with _guard("code d'authentification"):
        mac = bytes(env["mac"].native)
        attrs = env["auth_attrs"]
        # RFC 5083: the AAD is the DER of the authAttrs with a SET OF tag, not the [1] IMPLICIT tag.
        aad = (b"\x31" + attrs.dump()[1:]) if attrs.native is not None else b""
    return _decrypt_gcm(algo, cek, ciphertext, mac, aad)


# -- encryption ---------------------------------------------------------------------------------------------


def _kari_info(cert: x509.Certificate, public: ec.EllipticCurvePublicKey, cek: bytes) -> cms.RecipientInfo:
    """ECDH to an EC certificate (RFC 5753/8418): an ephemeral key on its curve, dhSinglePass-stdDH with the
    SHA-256 X9.63 KDF, the content key wrapped with AES-256 key wrap (what openssl and NSS read)."""
    ephemeral = ec.generate_private_key(public.curve)
    shared = ephemeral.exchange(ec.ECDH(), public)
    wrap = cms.KeyEncryptionAlgorithm({"algorithm": "aes256_wrap"})
    bits = core.OctetString((256).to_bytes(4, "big")).dump()
    parts = wrap.dump() + b"\xa2" + _length(len(bits)) + bits
    kek = X963KDF(hashes.SHA256(), 32, b"\x30" + _length(len(parts)) + parts).derive(shared)
    point = ephemeral.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    asn_cert = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
    originator = asn1_keys.PublicKeyInfo({"algorithm": {"algorithm": "ec"}, "public_key": point})
    return cms.RecipientInfo(
        name="kari",
        value=cms.KeyAgreeRecipientInfo(
            {
                "version": "v3",
                "originator": cms.OriginatorIdentifierOrKey(name="originator_key", value=originator),
                "key_encryption_algorithm": {"algorithm": "1.3.132.1.11.1", "parameters": wrap},
                "recipient_encrypted_keys": [
                    {
                        "rid": cms.KeyAgreementRecipientIdentifier(
                            name="issuer_and_serial_number",
                            value=cms.IssuerAndSerialNumber(
                                {"issuer": asn_cert.issuer, "serial_number": asn_cert.serial_number}
                            ),
                        ),
                        "encrypted_key": aes_key_wrap(kek, cek),
                    }
                ],
            }
        ),
    )


def encrypt(content: bytes, recipients: list[x509.Certificate], *, oaep: bool = False) -> bytes:
    """Build a DER EnvelopedData: AES-256-CBC content, RSA key transport or ECDH (EC certificates)."""
    if not recipients:
        raise SecurityError(T("secure.cms.aucun-certificat-destinataire-impossible"))
    cek = os.urandom(32)
    iv = os.urandom(16)
    fill = 16 - len(content) % 16
    # update_into a preallocated buffer: no extra copy of a 10 MB message for the padding
    ciphertext = bytearray(len(content) + fill + 15)
    encryptor = Cipher(algorithms.AES(cek), modes.CBC(iv)).encryptor()
    done = encryptor.update_into(content, ciphertext)
    done += encryptor.update_into(bytes([fill]) * fill, memoryview(ciphertext)[done:])
    encryptor.finalize()
    del ciphertext[done:]
    infos = []
    for cert in recipients:
        public = cert.public_key()
        if isinstance(public, ec.EllipticCurvePublicKey):
            infos.append(_kari_info(cert, public, cek))
            continue
        if not isinstance(public, rsa.RSAPublicKey):
            raise SecurityError(T("secure.cms.certificat-cle-rsa-missive", serial_number=cert.serial_number))
        if oaep:
            pad: padding.AsymmetricPadding = padding.OAEP(
                padding.MGF1(hashes.SHA256()), hashes.SHA256(), None
            )
            alg = {
                "algorithm": "rsaes_oaep",
                "parameters": {
                    "hash_algorithm": {"algorithm": "sha256"},
                    "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
                },
            }
        else:
            pad = padding.PKCS1v15()
            alg = {"algorithm": "rsaes_pkcs1v15", "parameters": core.Null()}
        asn_cert = asn1_x509.Certificate.load(cert.public_bytes(Encoding.DER))
        infos.append(
            cms.RecipientInfo(
                name="ktri",
                value=cms.KeyTransRecipientInfo(
                    {
                        "version": "v0",
                        "rid": cms.RecipientIdentifier(
                            name="issuer_and_serial_number",
                            value=cms.IssuerAndSerialNumber(
                                {"issuer": asn_cert.issuer, "serial_number": asn_cert.serial_number}
                            ),
                        ),
                        "key_encryption_algorithm": alg,
                        "encrypted_key": public.encrypt(cek, pad),
                    }
                ),
            )
        )
    # Small parts through asn1crypto; the big encrypted content is spliced in once, not copied per level.
    # RFC 5652 §6.1: version 2 as soon as one recipient is a KeyAgreeRecipientInfo (version 3)
    version = core.Integer(2 if any(info.name == "kari" for info in infos) else 0).dump()
    recipient_infos = cms.RecipientInfos(infos).dump()
    eci_head = (
        cms.ContentType("data").dump()
        + cms.EncryptionAlgorithm({"algorithm": "aes256_cbc", "parameters": iv}).dump()
    )
    content_tlv = b"\x80" + _length(len(ciphertext))  # [0] IMPLICIT OCTET STRING
    eci_len = len(eci_head) + len(content_tlv) + len(ciphertext)
    eci_tlv = b"\x30" + _length(eci_len)
    env_len = len(version) + len(recipient_infos) + len(eci_tlv) + eci_len
    env_tlv = b"\x30" + _length(env_len)
    explicit_tlv = b"\xa0" + _length(len(env_tlv) + env_len)
    oid = cms.ContentType("enveloped_data").dump()
    outer_len = len(oid) + len(explicit_tlv) + len(env_tlv) + env_len
    return b"".join(
        [
            b"\x30" + _length(outer_len),
            oid,
            explicit_tlv,
            env_tlv,
            version,
            recipient_infos,
            eci_tlv,
            eci_head,
            content_tlv,
            ciphertext,
        ]
    )


def _length(n: int) -> bytes:
    """DER length octets."""
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


# -- signature verification ---------------------------------------------------------------------------------


MAX_CERTIFICATES = 100  # kept for the chain: a signer and its chain are a few
MAX_SCANNED = 5000  # certificates looked through for the signers' own; a letter carrying more is read no further


def _certificates(signed: Any, signer_infos: Sequence[Any] = ()) -> list[x509.Certificate]:
    """The SignedData's certificates: the first ``MAX_CERTIFICATES``, and a signer's own wherever it is among
    the first ``MAX_SCANNED`` (a SET OF is sorted by its bytes: the signer's place is anyone's guess)."""
    out: list[x509.Certificate] = []
    certs = signed["certificates"]
    # absent: Void. (``.native`` made every certificate a Python dict first: 3 ms each, so a letter carrying
    # 75,000 certificates in its 25 MB held the sync for minutes; the chain's builder then had them all.)
    if isinstance(certs, core.Void):
        return out
    for n, choice in enumerate(certs):
        if n >= MAX_SCANNED:
            break
        if choice.name != "certificate":
            continue
        try:
            cert = x509.load_der_x509_certificate(choice.chosen.dump())
            # read now, as asn1crypto's whole parse did: a damaged key (an algorithm no one reads), name or
            # extension fails here, not later in the signature's or the chain's check
            cert.public_key()
            _ = (cert.subject, cert.issuer, cert.extensions)
        except (
            ValueError,
            x509.InvalidVersion,
            x509.DuplicateExtension,  # an Exception, not a ValueError: an extension listed twice
            x509.UnsupportedGeneralNameType,
            UnsupportedAlgorithm,
        ):
            continue  # an unreadable extra certificate does not spoil the signer's
        if len(out) < MAX_CERTIFICATES or any(_find_signer(info["sid"], [cert]) for info in signer_infos):
            out.append(cert)
    return out


def _find_signer(sid: Any, certs: list[x509.Certificate]) -> x509.Certificate | None:
    if sid.name == "issuer_and_serial_number":
        issuer = sid.chosen["issuer"].dump()
        serial = int(sid.chosen["serial_number"].native)
        for cert in certs:
            if cert.serial_number == serial and _same_name(cert.issuer.public_bytes(), issuer):
                return cert
        return None
    ski = bytes(sid.chosen.native)
    for cert in certs:
        if _cert_ids(cert)[1] == ski:
            return cert
    return None


# The only signed attributes missive interprets (RFC 5652 §11, RFC 8551 §2.5): every other one (S/MIME
# capabilities, Microsoft's encryption-key preference 1.3.6.1.4.1.311.16.4 added by Thunderbird and Outlook,
# ESS labels...) is kept as signed bytes and never decoded, so one that asn1crypto cannot read is harmless.
_INTERPRETED = {
    "1.2.840.113549.1.9.3": "content_type",
    "1.2.840.113549.1.9.4": "message_digest",
    "1.2.840.113549.1.9.5": "signing_time",
}


def _signed_attributes(attrs: Any) -> dict[str, Any]:
    """The interpreted signed attributes (content type, message digest, signing time), read one by one.

    An unknown attribute is skipped without decoding its value. A damaged content type or message digest
    is damage (ParseError through the caller's guard); a damaged signing time is only left out.
    """
    found: dict[str, Any] = {}
    for attr in attrs:
        name = _INTERPRETED.get(attr["type"].dotted)
        if name is None or name in found:
            continue
        values = attr["values"]
        if name == "signing_time":
            try:
                found[name] = values[0].native if len(values) else None
            except _DAMAGE:
                found[name] = None
            continue
        found[name] = values[0].native if len(values) else None
    return found


def _digest(name: str, data: bytes) -> bytes:
    if name not in _HASHES:
        raise SecurityError(T("secure.cms.empreinte-prise-charge", name=name))
    return hashlib.new(name, data).digest()


def _check_signature(signer_info: Any, cert: x509.Certificate, data: bytes, digest_name: str) -> bool:
    """True when the signature over ``data`` holds for ``cert``'s public key."""
    sig_alg = signer_info["signature_algorithm"]
    algo = sig_alg["algorithm"].native
    signature = bytes(signer_info["signature"].native)
    public = cert.public_key()
    hash_cls = _HASHES.get(digest_name)
    if hash_cls is None:
        return False
    try:
        if algo == "rsassa_pss":
            params = sig_alg["parameters"]
            pss_hash = params["hash_algorithm"]["algorithm"].native
            salt = int(params["salt_length"].native)
            mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
            if not isinstance(public, rsa.RSAPublicKey) or pss_hash not in _HASHES or mgf_hash not in _HASHES:
                return False
            public.verify(
                signature, data, padding.PSS(padding.MGF1(_HASHES[mgf_hash]()), salt), _HASHES[pss_hash]()
            )
            return True
        if algo == "ed25519":
            if not isinstance(public, ed25519.Ed25519PublicKey):
                return False
            public.verify(signature, data)
            return True
        if "ecdsa" in algo:
            if not isinstance(public, ec.EllipticCurvePublicKey):
                return False
            # the hash of an ecdsa-with-SHAxxx OID wins over the digest algorithm when given
            named = algo.split("_", 1)[0]
            public.verify(signature, data, ec.ECDSA(_HASHES.get(named, hash_cls)()))
            return True
        if algo == "rsassa_pkcs1v15" or algo.endswith("_rsa") or algo == "rsa":
            if not isinstance(public, rsa.RSAPublicKey):
                return False
            named = algo.split("_", 1)[0]
            public.verify(signature, data, padding.PKCS1v15(), _HASHES.get(named, hash_cls)())
            return True
    except (InvalidSignature, ValueError, UnsupportedAlgorithm):
        return False
    return False


def _normalise_crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _same_content(a: bytes, b: bytes) -> bool:
    return a == b or _normalise_crlf(a) == _normalise_crlf(b)


KnownCertificates = Callable[[], Sequence[x509.Certificate]]


def verify_signed_data(
    der: bytes, detached: bytes | None = None, known: KnownCertificates | None = None
) -> SignedContent:
    """Check the signature math of a SignedData (not the certificate chain: see ``core.secure.certs``).

    ``detached`` is the signed content of a multipart/signed message; for an opaque signature the
    content comes from the structure itself. When the digest of ``detached`` does not match, the same
    bytes with CRLF line ends are tried, since stored mail often lost its CRs.

    ``known`` gives the certificates the profile already holds (correspondents', its own chain); it is
    called only when the signer's certificate is not in the SignedData (RFC 5652 lets a sender omit it:
    ``openssl cms -sign -nocerts``, clients that send their certificate only once), and they then also
    serve to build the signer's chain.
    """
    try:
        return _verify_signed_data(der, detached, known)
    except _DAMAGE as exc:  # asn1crypto parses lazily: damage can surface at any field access
        raise ParseError(T("secure.cms.partie-mime-endommagee-structure")) from exc


def _verify_signed_data(der: bytes, detached: bytes | None, known: KnownCertificates | None) -> SignedContent:
    info = load_content_info(der)
    if info["content_type"].native != "signed_data":
        raise ParseError(T("secure.cms.partie-mime-type-signature", native=info["content_type"].native))
    with _guard("structure de la signature"):
        signed = info["content"]
        encap = signed["encap_content_info"]
        content_type = str(encap["content_type"].native)
        embedded = encap["content"]
        # every content type travels as the bytes of an OCTET STRING (RFC 5652 §5.2)
        inner = None if isinstance(embedded, core.Void) else embedded.__bytes__()
        signer_infos = list(signed["signer_infos"])
        certs = _certificates(signed, signer_infos)
    if inner is not None and detached is not None and not _same_content(inner, detached):
        # a multipart/signed whose signature also embeds a content, different from the part shown: the
        # signature may hold for the hidden copy, never for what the reader displays
        signer = None
        with _guard("informations du signataire"):
            if signer_infos:
                signer = _find_signer(signer_infos[0]["sid"], certs)
        return SignedContent(
            detached,
            False,
            T("sig.content-mismatch"),
            signer_cert=signer,
            certificates=tuple(certs),
            content_type=content_type,
        )
    content = inner if inner is not None else detached
    if content is None:
        raise ParseError(T("secure.cms.signature-detachee-mais-contenu"))
    if not signer_infos:
        raise ParseError(T("secure.cms.signature-mime-signataire-demandez"))
    candidates = [content]
    if detached is not None and inner is None:
        alt = _normalise_crlf(content)
        if alt != content:
            candidates.append(alt)

    results: list[SignedContent] = []
    damage: list[ParseError] = []
    for signer_info in signer_infos:
        try:
            results.append(_verify_one(signer_info, candidates, certs, content_type, known))
        except ParseError as exc:  # one damaged signerInfo beside one that holds does not hide it
            damage.append(exc)
    if not results:
        raise damage[0]
    # a letter signed twice, SHA-1 and SHA-256: the strong one comes first; every signerInfo is kept, since
    # which one proves who wrote the letter depends on its chain and its address, and a failing one beside one
    # that holds is said (core.secure.smime judges each signer)
    holding = [r for r in results if r.signature_ok and not r.weak_digest]
    holding += [r for r in results if r.signature_ok and r.weak_digest]
    failing = [r for r in results if not r.signature_ok]
    failing += [SignedContent(content, False, T("sig.signer-damaged")) for _ in damage]
    ordered = holding + failing
    return replace(ordered[0], others=tuple(ordered[1:]))


_WEAK_DIGESTS = {"md5": "MD5", "sha1": "SHA-1"}


def _weak_digest(signer_info: Any, digest_name: str) -> str:
    """'SHA-1' or 'MD5' when the signer's digest or its signature algorithm (sha1WithRSA, ecdsa-with-SHA1,
    RSA-PSS over SHA-1) uses it, else ''."""
    names = [digest_name]
    sig_alg = signer_info["signature_algorithm"]
    algo = str(sig_alg["algorithm"].native)
    if algo == "rsassa_pss":
        names.append(str(sig_alg["parameters"]["hash_algorithm"]["algorithm"].native))
    else:
        names.append(algo.split("_", 1)[0])
    for name in names:
        if name in _WEAK_DIGESTS:
            return _WEAK_DIGESTS[name]
    return ""


def _verify_one(
    signer_info: Any,
    candidates: list[bytes],
    certs: list[x509.Certificate],
    ctype: str,
    known: KnownCertificates | None,
) -> SignedContent:
    with _guard("informations du signataire"):
        digest_name = signer_info["digest_algorithm"]["algorithm"].native
        signer = _find_signer(signer_info["sid"], certs)
        if signer is None and known is not None:
            # the sender left its certificate out: one the profile holds is as good (same issuer and serial,
            # or same key identifier); the signature is then checked with its key, the chain as usual
            held = [c for c in known() if c not in certs]
            signer = _find_signer(signer_info["sid"], held)
            if signer is not None:
                certs = certs + held
        attrs = signer_info["signed_attrs"]
        # absent attributes parse as Void; never call .native on the whole set (an unknown one may not decode)
        has_attrs = not isinstance(attrs, core.Void) and attrs.contents is not None
        signing_time = None
        if has_attrs:
            read = _signed_attributes(attrs)
            md = read.get("message_digest")
            expected_digest = bytes(md) if md is not None else None
            ct_value = read.get("content_type")
            signing_time = read.get("signing_time")
            # The signature covers the attributes as received, re-tagged from [0] IMPLICIT to SET OF.
            signed_bytes = b"\x31" + attrs.dump()[1:]
        weak = _weak_digest(signer_info, digest_name)

    def verdict(content: bytes, ok: bool, problem: Text | None = None) -> SignedContent:
        return SignedContent(
            content, ok, problem, signer, tuple(certs), signing_time, ctype, weak if ok else ""
        )

    if weak == "MD5":  # broken long ago: not even computed
        return verdict(candidates[0], False, T("sig.weak-digest", algorithm=weak))
    if digest_name not in _HASHES:
        return verdict(candidates[0], False, T("sig.unsupported", algorithm=digest_name))
    if signer is None:
        return verdict(candidates[0], False, REASON_NO_SIGNER_CERT)
    if not has_attrs:
        for content in candidates:
            if _check_signature(signer_info, signer, content, digest_name):
                return verdict(content, True)
        return verdict(candidates[0], False, REASON_MODIFIED)
    if expected_digest is None:
        return verdict(candidates[0], False, T("sig.no-digest"))
    if ct_value is not None and ct_value != ctype:
        return verdict(candidates[0], False, REASON_MODIFIED)
    matching = None
    for content in candidates:
        if hmac.compare_digest(_digest(digest_name, content), expected_digest):
            matching = content
            break
    if matching is None:
        return verdict(candidates[0], False, REASON_MODIFIED)
    if not _check_signature(signer_info, signer, signed_bytes, digest_name):
        return verdict(matching, False, REASON_MODIFIED)
    return verdict(matching, True)
