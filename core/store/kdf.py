"""The passphrase's key derivation as ``vault.json`` records it, and the derivation begun ahead.

``checked`` reads the recorded derivation (name, salt, parameters) and refuses parameters below the floor or
above sane ceilings, so that a tampered ``vault.json`` can neither weaken the derivation nor make it take all
the memory; ``derive_argon2id`` is the derivation itself (core.store.vault uses both).

Begun ahead (``begin``): a start that will open the profile with a passphrase it was given (``missive tui``
with ``MISSIVE_PASSPHRASE``) begins the Argon2id derivation in a thread as soon as it knows it, before the rest
of missive is loaded; the derivation runs outside Python's interpreter lock, so the program goes on loading
meanwhile. The vault's opening (``Vault.open``) then takes the derived key (``take``), only if it was derived
from exactly its inputs (the same passphrase, salt and parameters, checked again from the file it reads);
otherwise it derives as always. What the derivation took is given with the key, so that the unlock is logged
as long as it really was (the derivation and the opening, not the time the opening waited for it).

This module imports nothing of missive's and nothing heavy before the thread runs: it is what a start loads
first.
"""

from __future__ import annotations

import os
import threading
import time

TYPE_CHECKING = False  # typing.TYPE_CHECKING without loading typing (this module loads first)
if TYPE_CHECKING:
    from typing import Any

MIB = 1024  # Argon2 counts memory in KiB
# The floor is OWASP's minimum (19 MiB, 2 passes; or 46 MiB, 1 pass): stored parameters must give at least
# 19 MiB and 38 MiB-passes. scrypt is read for vaults made before Argon2id; the same floor as then (N=2^14, r=8).
FLOOR_MEMORY_KIB = 19 * MIB
FLOOR_ITERATIONS = 2
MIN_MIB_PASSES = 38
MIN_SCRYPT_LOG2_N = 14


def checked(kdf: dict[str, Any]) -> tuple[str, bytes, tuple[int, int, int]]:
    """The recorded derivation ``(name, salt, parameters)``: Argon2id's (memory KiB, passes, lanes) or scrypt's
    (log2 N, r, p), checked against the floor and sane ceilings; ValueError (or KeyError, TypeError,
    AttributeError for a missing or mistyped field) names what is wrong."""
    import base64

    salt = base64.b64decode(kdf["salt"].encode("ascii"), validate=True)
    if len(salt) < 16:
        raise ValueError("salt shorter than 16 bytes")
    name = kdf["name"]
    if name == "argon2id":
        memory_kib, iterations, lanes = int(kdf["memory_kib"]), int(kdf["iterations"]), int(kdf["lanes"])
        mib = memory_kib / MIB
        if mib < FLOOR_MEMORY_KIB / MIB or mib * iterations < MIN_MIB_PASSES:
            raise ValueError("Argon2id parameters below the floor")
        if mib > 1024 or iterations > 16 or not 1 <= lanes <= 16:  # no edited file asks for more
            raise ValueError("Argon2id parameters out of range")
        return name, salt, (memory_kib, iterations, lanes)
    if name == "scrypt":
        log2_n, r, p = int(kdf["log2_n"]), int(kdf["r"]), int(kdf["p"])
        if log2_n < MIN_SCRYPT_LOG2_N or r < 8 or p < 1:
            raise ValueError("scrypt parameters below the floor")
        if 128 * r * 2**log2_n > 2**30 or p > 16:  # at most 1 GiB, like Argon2id
            raise ValueError("scrypt parameters out of range")
        return name, salt, (log2_n, r, p)
    raise ValueError("unknown key derivation")


def derive_argon2id(passphrase: str, salt: bytes, memory_kib: int, iterations: int, lanes: int) -> bytes:
    """The 32-byte key Argon2id derives from the passphrase (ImportError or UnsupportedAlgorithm when this
    cryptography library has no Argon2id)."""
    from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

    kdf = Argon2id(salt=salt, length=32, iterations=iterations, lanes=lanes, memory_cost=memory_kib)
    return kdf.derive(passphrase.encode("utf-8"))


class Ahead:
    """One derivation begun ahead: its inputs, then its key and when it was derived (``begun``, ``ready``:
    ``time.perf_counter()``), or no key when the derivation failed (the opening then derives and says why)."""

    def __init__(self, passphrase: str, salt: bytes, params: tuple[int, int, int], begun: float) -> None:
        self.passphrase: str | None = passphrase
        self.salt, self.params = salt, params
        self.begun = self.ready = begun
        self._key: bytes | None = None
        self._done = threading.Event()

    def run(self, given: list[str]) -> None:
        try:
            self._key = derive_argon2id(given.pop(), self.salt, *self.params)
            self.ready = time.perf_counter()
        except Exception:  # noqa: BLE001 - no key derived ahead: the opening derives and says why
            self._key = None
        finally:
            self._done.set()

    def key(self) -> bytes | None:
        """The key, once derived (blocking); None when the derivation failed. Given once."""
        self._done.wait()
        key, self._key = self._key, None
        return key


_lock = threading.Lock()
_ahead: Ahead | None = None


def begin(folder: str, passphrase: str) -> bool:
    """Begin deriving the key of the profile in ``folder`` from ``passphrase`` in a thread (once per process):
    its file is read and checked here (what the derivation loads is loaded here too, before the clock starts);
    False when nothing was begun (no profile there, a file the opening will refuse, an older scrypt vault, or
    a derivation begun already)."""
    global _ahead
    path = os.path.join(folder, "vault.json")
    try:
        import json

        from cryptography.hazmat.primitives.kdf.argon2 import Argon2id  # noqa: F401 - loaded before the clock

        started = time.perf_counter()  # the derivation's time: the file read, checked and derived
        with open(path, "rb") as fh:
            name, salt, params = checked(json.loads(fh.read())["kdf"])
    except Exception:  # noqa: BLE001 - no profile, or one the opening refuses and says why: nothing begun
        return False
    if name != "argon2id":  # scrypt (vaults made before Argon2id): the opening derives it
        return False
    with _lock:
        if _ahead is not None:
            return False
        _ahead = ahead = Ahead(passphrase, salt, params, started)
    # a daemon thread: an interruption or an exit never waits for the derivation
    threading.Thread(target=ahead.run, args=([passphrase],), name="missive-key-ahead", daemon=True).start()
    return True


def take(passphrase: str, salt: bytes, params: tuple[int, int, int]) -> Ahead | None:
    """The derivation begun ahead if it derives from exactly ``passphrase``, ``salt`` and Argon2id ``params``
    (its ``key()`` waits for it); None when nothing was begun or from other inputs. It is taken (or dropped)
    once: the next opening derives its own."""
    global _ahead
    with _lock:
        ahead, _ahead = _ahead, None
    if ahead is None:
        return None
    # hmac.compare_digest's own fallback, constant-time too, without hmac's import of OpenSSL's digests (_hashlib)
    from _operator import _compare_digest

    given, ahead.passphrase = ahead.passphrase, None
    if (
        given is None
        or (ahead.salt, ahead.params) != (salt, params)
        or not _compare_digest(given.encode("utf-8"), passphrase.encode("utf-8"))
    ):
        return None  # other inputs (the file changed meanwhile): the opening derives, this one is not waited
    return ahead


def unlock_seconds(started: float, ended: float, derived: tuple[float, float] | None) -> float:
    """How long an unlock was under way: the opening (``started`` to ``ended``) and a key derivation begun ahead
    of it (``derived``: from, to), the time both ran counted once (never shorter than either)."""
    if derived is None:
        return ended - started
    begun, ready = derived
    both = max(0.0, min(ready, ended) - max(begun, started))
    return (ended - started) + (ready - begun) - both


def drop() -> None:
    """Forget a derivation begun ahead (its passphrase and key) without waiting for it: the opening that would
    have taken it did not happen (a damaged settings file)."""
    global _ahead
    with _lock:
        ahead, _ahead = _ahead, None
    if ahead is not None:
        ahead.passphrase = None
        ahead._key = None
