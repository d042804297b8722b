"""The vault: a passphrase unlocks a random data key; the data key encrypts every file of the profile.

``vault.json`` holds the KDF parameters, the salt and the data key wrapped (AES-256-GCM) by the key derived
from the passphrase with scrypt (memory-hard). Changing the passphrase re-wraps that one key.
Every file is ``MAGIC || nonce(12) || AES-256-GCM(ciphertext+tag)`` with the file's logical name as
associated data, so a file cannot be swapped for another one of the profile unnoticed.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
from dataclasses import dataclass
from hashlib import sha256
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from core.errors import BadInput, StoreCorrupted, WrongPassphrase
from core.store.atomic import atomic_write

MAGIC = b"MSV1"
VAULT_FILE = "vault.json"
VAULT_AAD = b"missive-vault-v1"
# scrypt N=2^17, r=8: 128 MiB and about half a second here; the floor refuses weaker stored parameters.
DEFAULT_LOG2_N = 17
MIN_LOG2_N = 14


def kdf_log2_n() -> int:
    """The scrypt cost for new vaults; ``MISSIVE_KDF_LOG2N`` lowers it for test suites (never below 2^14)."""
    raw = os.environ.get("MISSIVE_KDF_LOG2N")
    if not raw:
        return DEFAULT_LOG2_N
    try:
        value = int(raw)
    except ValueError as exc:
        raise BadInput("MISSIVE_KDF_LOG2N must be an integer between 14 and 20") from exc
    if not MIN_LOG2_N <= value <= 20:
        raise BadInput("MISSIVE_KDF_LOG2N must be an integer between 14 and 20")
    return value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _derive(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


@dataclass(frozen=True)
class Keys:
    """Sub-keys derived from the data key, one per purpose."""

    files: bytes
    names: bytes  # keyed names (blob ids are random; this serves index keys that must not leak)
    audit: bytes


class Vault:
    """An unlocked vault: encrypts and decrypts the profile's files."""

    def __init__(self, folder: Path, data_key: bytes) -> None:
        self.folder = folder
        self._data_key = data_key
        self.keys = Keys(
            files=self._subkey(b"files"), names=self._subkey(b"names"), audit=self._subkey(b"audit")
        )
        self._aead = AESGCM(self.keys.files)

    def _subkey(self, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"missive/" + purpose).derive(
            self._data_key
        )

    # -- creation and opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, passphrase: str) -> Vault:
        if not passphrase:
            raise BadInput("the passphrase is empty: choose one (several words are best)")
        path = folder / VAULT_FILE
        if path.exists():
            raise BadInput(f"{folder} already holds a profile: open it, or choose another folder")
        data_key = AESGCM.generate_key(bit_length=256)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write(path, cls._wrap(data_key, passphrase))
        return cls(folder, data_key)

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (folder / VAULT_FILE).is_file()

    @classmethod
    def open(cls, folder: Path, passphrase: str) -> Vault:
        path = folder / VAULT_FILE
        if not path.is_file():
            raise BadInput(f"no profile in {folder}: create one with 'missive --profile {folder} init'")
        try:
            meta = json.loads(path.read_text("utf-8"))
            kdf = meta["kdf"]
            if kdf["name"] != "scrypt" or int(kdf["log2_n"]) < MIN_LOG2_N:
                raise ValueError("unsupported or weakened KDF")
            salt = _unb64(kdf["salt"])
            blob = _unb64(meta["wrapped_key"])
            log2_n, r, p = int(kdf["log2_n"]), int(kdf["r"]), int(kdf["p"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreCorrupted(
                f"{path} is damaged ({exc.__class__.__name__}); restore it from a backup"
            ) from exc
        kek = _derive(passphrase, salt, log2_n, r, p)
        try:
            data_key = AESGCM(kek).decrypt(blob[:12], blob[12:], VAULT_AAD)
        except InvalidTag as exc:
            raise WrongPassphrase("wrong passphrase: the profile stays locked") from exc
        return cls(folder, data_key)

    @staticmethod
    def _wrap(data_key: bytes, passphrase: str) -> bytes:
        salt = os.urandom(16)
        log2_n, r, p = kdf_log2_n(), 8, 1
        kek = _derive(passphrase, salt, log2_n, r, p)
        nonce = os.urandom(12)
        wrapped = nonce + AESGCM(kek).encrypt(nonce, data_key, VAULT_AAD)
        meta = {
            "format": "missive-vault",
            "version": 1,
            "kdf": {"name": "scrypt", "log2_n": log2_n, "r": r, "p": p, "salt": _b64(salt)},
            "wrapped_key": _b64(wrapped),
            "cipher": "AES-256-GCM",
        }
        return (json.dumps(meta, indent=2) + "\n").encode("utf-8")

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key under a new passphrase (no other file changes)."""
        if not new_passphrase:
            raise BadInput("the new passphrase is empty")
        atomic_write(self.folder / VAULT_FILE, self._wrap(self._data_key, new_passphrase))

    # -- file encryption --------------------------------------------------------------------------------
    def seal(self, plaintext: bytes, name: str) -> bytes:
        nonce = os.urandom(12)
        return MAGIC + nonce + self._aead.encrypt(nonce, plaintext, name.encode("utf-8"))

    def unseal(self, data: bytes, name: str, path: Path | None = None) -> bytes:
        where = path or name
        if len(data) < len(MAGIC) + 12 + 16 or not data.startswith(MAGIC):
            raise StoreCorrupted(f"{where} is not a missive file or is truncated; it was left untouched")
        try:
            return self._aead.decrypt(data[4:16], data[16:], name.encode("utf-8"))
        except InvalidTag as exc:
            raise StoreCorrupted(
                f"{where} fails its integrity check (damaged or altered); it was left untouched"
            ) from exc

    def keyed_name(self, text: str) -> str:
        """A name that reveals nothing without the key (HMAC-SHA256, 32 hex chars)."""
        return hmac.new(self.keys.names, text.encode("utf-8"), sha256).hexdigest()[:32]
