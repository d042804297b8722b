"""The vault: a passphrase unlocks a random data key; the data key encrypts every file of the profile.

``vault.json`` records the key derivation (its name, parameters and salt) and the data key wrapped
(AES-256-GCM) by the key derived from the passphrase. New vaults use Argon2id (memory-hard, RFC 9106); vaults
made with scrypt by earlier versions still open, and ``missive passphrase change`` moves them to Argon2id.
Stored parameters below a floor are refused, so a tampered ``vault.json`` cannot weaken the derivation.
Changing the passphrase re-wraps that one key.

``vault.json`` also carries the audit log's seal (its record count and last hash, AES-GCM under the data key),
rewritten at every audit record: the file a profile cannot open without is the anchor, so deleting, cutting or
restoring an older audit log is seen. Once a vault holds a seal, its data key is wrapped with another
associated data (``VAULT_AAD_SEALED``): removing the seal to pass for an older, unsealed profile would need
the passphrase to re-wrap the key.
Every file is ``MAGIC || nonce(12) || AES-256-GCM(ciphertext+tag)`` with the file's logical name as
associated data, so a file cannot be swapped for another one of the profile unnoticed.
"""

from __future__ import annotations

import base64
import json
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import BadInput, MissiveError, NotFound, StoreCorrupted, StoreError, WrongPassphrase
from core.frozen import Frozen, fill
from core.store import kdf
from core.store.atomic import FileLock, atomic_write, private_dir
from core.text import T

log = logging.getLogger("missive.store")

MAGIC = b"MSV1"
VAULT_FILE = "vault.json"
VAULT_AAD = b"missive-vault-v1"
VAULT_AAD_SEALED = (
    b"missive-vault-v1+audit-seal"  # this vault's audit log is sealed: a missing seal is tampering
)
AUDIT_SEAL = "audit/seal"

MIB = kdf.MIB  # Argon2 counts memory in KiB
MIN_SCRYPT_LOG2_N = kdf.MIN_SCRYPT_LOG2_N


@dataclass(init=False, repr=False, eq=False)
class Argon2idCost(Frozen):
    """Argon2id parameters: memory in KiB, passes over it, lanes."""

    memory_kib: int
    iterations: int
    lanes: int = 1

    def __init__(self, memory_kib: int, iterations: int, lanes: int = 1) -> None:
        fill(self, locals())


# New vaults: 64 MiB, 3 passes (RFC 9106's recommendation for memory-constrained settings, with one lane
# because OpenSSL runs lanes one after the other here): about 0.17 s and 64 MiB on a 2-core PC, where scrypt
# N=2^17 took 0.4 s and 128 MiB. The floor (core.store.kdf) is OWASP's minimum (19 MiB, 2 passes; or 46 MiB,
# 1 pass). Test suites use the floor (``MISSIVE_KDF=floor``).
DEFAULT_ARGON2ID = Argon2idCost(memory_kib=64 * MIB, iterations=3)
FLOOR_ARGON2ID = Argon2idCost(memory_kib=kdf.FLOOR_MEMORY_KIB, iterations=kdf.FLOOR_ITERATIONS)


def new_vault_cost() -> Argon2idCost:
    """The Argon2id cost for new vaults: the default, or the floor when a test suite asks for it.

    ``MISSIVE_KDF=floor`` asks for the floor; ``MISSIVE_KDF_LOG2N`` (the older spelling, from when test
    suites lowered scrypt's N) is read the same way. Production profiles never set either.
    """
    choice = os.environ.get("MISSIVE_KDF", "").strip().lower()
    if choice not in ("", "default", "floor"):
        raise BadInput(T("store.vault.missive-kdf-must-default"))
    legacy = os.environ.get("MISSIVE_KDF_LOG2N", "").strip()
    if legacy and not choice:
        if not (legacy.isdigit() and MIN_SCRYPT_LOG2_N <= int(legacy) <= 20):
            raise BadInput(T("store.vault.missive-kdf-log2n-must"))
        choice = "floor"
    return FLOOR_ARGON2ID if choice == "floor" else DEFAULT_ARGON2ID


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _dump(meta: dict[str, Any]) -> bytes:
    return (json.dumps(meta, indent=2) + "\n").encode("utf-8")


def _derive_argon2id(passphrase: str, salt: bytes, cost: Argon2idCost) -> bytes:
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        return kdf.derive_argon2id(passphrase, salt, cost.memory_kib, cost.iterations, cost.lanes)
    except (ImportError, UnsupportedAlgorithm) as exc:
        raise MissiveError(T("store.vault.this-cryptography-library-has")) from exc


def _derive_scrypt(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def _beside(derive: Callable[[], bytes], meanwhile: Callable[[], object]) -> bytes:
    """``derive()``'s key, computed in a thread while ``meanwhile()`` runs in this one.

    A failure of ``meanwhile`` (or Ctrl+C) is raised at once, as it would have been before the derivation
    began: the derivation cannot be stopped half-way, so its thread ends by itself (within its own cost, 0.2 s
    at the default one), writes nothing, and its key goes with it.
    """
    import threading

    done: list[tuple[bytes | None, BaseException | None]] = []

    def run() -> None:
        try:
            done.append((derive(), None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, which raises it
            done.append((None, exc))

    worker = threading.Thread(target=run, name="missive-key-derivation", daemon=True)
    worker.start()
    meanwhile()
    worker.join()
    key, failure = done[0]
    if failure is not None:
        raise failure
    assert key is not None
    return key


def _stored_kdf(recorded: dict[str, Any]) -> tuple[str, bytes, Any]:
    """Check the recorded KDF against the floor (and sane ceilings, core.store.kdf); ValueError names what is
    wrong."""
    name, salt, params = kdf.checked(recorded)
    if name == "argon2id":
        return name, salt, Argon2idCost(*params)
    return name, salt, params


@dataclass(init=False, repr=False, eq=False)
class Keys(Frozen):
    """Sub-keys derived from the data key, one per purpose."""

    files: bytes
    names: bytes  # keyed names (blob ids are random; this serves index keys that must not leak)
    audit: bytes

    def __init__(self, files: bytes, names: bytes, audit: bytes) -> None:
        fill(self, locals())


def _damaged(path: Path, exc: BaseException, settings: bool = False) -> StoreCorrupted:
    """The vault file could not be read: what is wrong and what to do, in words (the log keeps the error's class,
    no content)."""
    log.warning("%s unreadable (%s)", VAULT_FILE, type(exc).__name__)
    if isinstance(exc, OSError):
        from core.errors import os_reason

        return StoreCorrupted(T("store.vault.unreadable-os", path=path, reason=os_reason(exc)))
    if settings:
        return StoreCorrupted(T("store.vault.damaged-settings", path=path))
    return StoreCorrupted(T("store.vault.damaged-content", path=path))


class Vault:
    """An unlocked vault: encrypts and decrypts the profile's files."""

    def __init__(
        self,
        folder: Path,
        data_key: bytes,
        kdf_name: str = "argon2id",
        *,
        kek: bytes | None = None,
        sealed: bool = False,
    ) -> None:
        self.folder = folder
        self._data_key = data_key
        self.kdf_name = kdf_name  # the derivation vault.json records: "argon2id", or "scrypt" (older vaults)
        self._kek = kek  # the passphrase's key, kept to re-wrap the data key once when the audit gets sealed
        self.sealed = sealed  # the data key was wrapped as a sealed vault's: its audit seal must be there
        self.lock = FileLock(folder / ".vault.lock")
        self.keys = Keys(
            files=self._subkey(b"files"), names=self._subkey(b"names"), audit=self._subkey(b"audit")
        )
        self._aead = AESGCM(self.keys.files)
        # a key derived ahead (core.store.kdf): when its derivation began and ended (time.perf_counter());
        # None when the opening derived the key itself
        self.derived_ahead: tuple[float, float] | None = None

    def subkey(self, purpose: bytes) -> bytes:
        """A key for one purpose (HKDF of the data key): never the data key itself."""
        return self._subkey(purpose)

    def _subkey(self, purpose: bytes) -> bytes:
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"missive/" + purpose).derive(
            self._data_key
        )

    # -- creation and opening -------------------------------------------------------------------------
    @classmethod
    def create(cls, folder: Path, passphrase: str) -> Vault:
        if not passphrase:
            raise BadInput(T("store.vault.passphrase-empty-choose-one"))
        path = folder / VAULT_FILE
        if path.exists():
            raise BadInput(T("store.vault.already-holds-profile-open", folder=folder))
        data_key = AESGCM.generate_key(bit_length=256)
        private_dir(folder)
        vault = cls(folder, data_key, sealed=True)
        meta, vault._kek = cls._wrap(data_key, passphrase, VAULT_AAD_SEALED)
        # sealed from the start: an empty audit log, whose genesis record comes next
        meta["audit_seal"] = vault._seal_text({"count": 0, "last": "0" * 64, "since": 1, "since_ts": ""})
        atomic_write(path, _dump(meta))
        return vault

    @classmethod
    def exists(cls, folder: Path) -> bool:
        return (folder / VAULT_FILE).is_file()

    @classmethod
    def open(cls, folder: Path, passphrase: str, meanwhile: Callable[[], object] | None = None) -> Vault:
        """Unlock the vault in ``folder`` with ``passphrase`` (WrongPassphrase when it does not open it).

        ``meanwhile``, when given, runs in this thread while the key derives in another (``_beside``): the
        derivation leaves the interpreter free, so on two cores what the caller needs next (its imports) costs
        no time. The stored parameters are checked before either starts; the key is the same.
        """
        path = folder / VAULT_FILE
        if not path.is_file():
            kdf.drop()
            from core.config import missing_profile_message

            raise NotFound(missing_profile_message(folder))
        try:
            meta = json.loads(path.read_text("utf-8"))
        except PermissionError:  # not damaged: not this user's to read
            kdf.drop()
            raise StoreError(T("store.vault.denied", path=path)) from None
        except (OSError, ValueError) as exc:
            kdf.drop()
            raise _damaged(path, exc) from exc
        try:
            name, salt, params = _stored_kdf(meta["kdf"])
            blob = _unb64(meta["wrapped_key"])
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            kdf.drop()
            raise _damaged(path, exc, settings=True) from exc

        def derive() -> bytes:
            if name == "argon2id":
                return _derive_argon2id(passphrase, salt, params)
            return _derive_scrypt(passphrase, salt, *params)

        # the key derived ahead (``missive tui`` with a given passphrase: core.store.kdf) if it was derived from
        # exactly this file's salt and parameters and this passphrase; else derived now
        ahead = None
        if name == "argon2id":
            ahead = kdf.take(passphrase, salt, (params.memory_kib, params.iterations, params.lanes))
        else:
            kdf.drop()
        kek = None
        if ahead is not None:
            if meanwhile is not None:
                meanwhile()  # while the derivation begun ahead ends
            kek = ahead.key()
            if kek is None:  # it failed: derived here, which says why
                ahead = None
                kek = derive()
        if kek is None:
            kek = derive() if meanwhile is None else _beside(derive, meanwhile)
        for aad in (VAULT_AAD_SEALED, VAULT_AAD):
            try:
                data_key = AESGCM(kek).decrypt(blob[:12], blob[12:], aad)
            except InvalidTag:
                continue
            vault = cls(folder, data_key, name, kek=kek, sealed=aad == VAULT_AAD_SEALED)
            if ahead is not None:
                vault.derived_ahead = (ahead.begun, ahead.ready)
            return vault
        raise WrongPassphrase(T("store.vault.wrong-passphrase-profile-stays"))

    @staticmethod
    def _wrap(data_key: bytes, passphrase: str, aad: bytes) -> tuple[dict[str, Any], bytes]:
        salt = os.urandom(16)
        cost = new_vault_cost()
        kek = _derive_argon2id(passphrase, salt, cost)
        nonce = os.urandom(12)
        wrapped = nonce + AESGCM(kek).encrypt(nonce, data_key, aad)
        meta = {
            "format": "missive-vault",
            "version": 1,
            "kdf": {
                "name": "argon2id",
                "memory_kib": cost.memory_kib,
                "iterations": cost.iterations,
                "lanes": cost.lanes,
                "salt": _b64(salt),
            },
            "wrapped_key": _b64(wrapped),
            "cipher": "AES-256-GCM",
        }
        return meta, kek

    def change_passphrase(self, new_passphrase: str) -> None:
        """Re-wrap the data key under a new passphrase, with Argon2id (no other file changes)."""
        if not new_passphrase:
            raise BadInput(T("store.vault.new-passphrase-empty"))
        with self.lock.held():
            current = self._read_meta()
            seal = current.get("audit_seal")
            aad = VAULT_AAD_SEALED if seal is not None or self.sealed else VAULT_AAD
            meta, kek = self._wrap(self._data_key, new_passphrase, aad)
            if seal is not None:
                meta["audit_seal"] = seal
            atomic_write(self.folder / VAULT_FILE, _dump(meta))
        self._kek, self.kdf_name, self.sealed = kek, "argon2id", aad == VAULT_AAD_SEALED

    # -- the audit log's seal ---------------------------------------------------------------------------
    def _read_meta(self) -> dict[str, Any]:
        path = self.folder / VAULT_FILE
        try:
            meta = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as exc:
            raise _damaged(path, exc) from exc
        if not isinstance(meta, dict):
            raise StoreCorrupted(T("store.vault.damaged-restore-from-backup", path=path))
        return meta

    def _seal_text(self, state: dict[str, Any]) -> str:
        return _b64(self.seal(json.dumps(state).encode(), AUDIT_SEAL))

    def read_audit_seal(self) -> dict[str, Any] | None:
        """The audit log's sealed state as ``vault.json`` holds it now (None: never sealed)."""
        text = self._read_meta().get("audit_seal")
        if text is None:
            return None
        try:
            state = json.loads(self.unseal(_unb64(text), AUDIT_SEAL, self.folder / VAULT_FILE))
            int(state["count"]), str(state["last"]), int(state["since"])
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreCorrupted(
                T("store.vault.audit-seal-does-not", value=self.folder / VAULT_FILE)
            ) from exc
        return state

    def write_audit_seal(self, state: dict[str, Any]) -> None:
        """Record the audit log's new state in ``vault.json`` (atomically, with the data key wrapped as a
        sealed vault's from then on). The caller holds the audit lock."""
        with self.lock.held():
            meta = self._read_meta()
            if not self.sealed and self._kek is not None:
                self._mark_sealed(meta)
            meta["audit_seal"] = self._seal_text(state)
            atomic_write(self.folder / VAULT_FILE, _dump(meta))

    def _mark_sealed(self, meta: dict[str, Any]) -> None:
        """Re-wrap the data key as a sealed vault's, with the same passphrase and derivation, if vault.json still
        holds the key this process unwrapped (another process may have changed the passphrase since)."""
        assert self._kek is not None
        try:
            blob = _unb64(meta["wrapped_key"])
            AESGCM(self._kek).decrypt(blob[:12], blob[12:], VAULT_AAD)
        except (InvalidTag, KeyError, ValueError, TypeError):
            return
        nonce = os.urandom(12)
        meta["wrapped_key"] = _b64(nonce + AESGCM(self._kek).encrypt(nonce, self._data_key, VAULT_AAD_SEALED))
        self.sealed = True

    # -- file encryption --------------------------------------------------------------------------------
    def seal(self, plaintext: bytes, name: str) -> bytes:
        nonce = os.urandom(12)
        return MAGIC + nonce + self._aead.encrypt(nonce, plaintext, name.encode("utf-8"))

    def seal_parted(self, plaintext: bytes, name: str) -> tuple[bytes, bytes]:
        """``seal(plaintext, name)`` as its two parts, the prefix (magic, nonce) and the ciphertext, for a
        caller that writes them one after the other (a pack of letters): not copied once more into one."""
        nonce = os.urandom(12)
        return MAGIC + nonce, self._aead.encrypt(nonce, plaintext, name.encode("utf-8"))

    def seal_pieces(self, pieces: Iterable[bytes | memoryview], name: str) -> list[bytes]:
        """``seal(b"".join(pieces), name)`` as pieces to write one after the other: neither the plaintext nor
        the sealed file is ever one buffer (a large file, such as a 10,000-message list index, would
        otherwise be held three times at once: joined, encrypted, then prefixed)."""
        from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

        nonce = os.urandom(12)
        enc = Cipher(algorithms.AES(self.keys.files), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(name.encode("utf-8"))
        out = [MAGIC + nonce]
        out.extend(enc.update(piece) for piece in pieces)
        out.append(enc.finalize())
        out.append(enc.tag)
        return out

    def unseal(self, data: bytes, name: str, path: Path | None = None) -> bytes:
        where = path or name
        if len(data) < len(MAGIC) + 12 + 16 or not data.startswith(MAGIC):
            raise StoreCorrupted(T("store.vault.not-missive-file-truncated", where=where))
        try:
            return self._aead.decrypt(data[4:16], memoryview(data)[16:], name.encode("utf-8"))
        except InvalidTag as exc:
            raise StoreCorrupted(T("store.vault.fails-its-integrity-check", where=where)) from exc

    def keyed_name(self, text: str) -> str:
        """A name that reveals nothing without the key (HMAC-SHA256, 32 hex chars)."""
        import hmac  # here, with hashlib: an opening that names nothing (a no-change resync) loads neither
        from hashlib import sha256

        return hmac.new(self.keys.names, text.encode("utf-8"), sha256).hexdigest()[:32]
