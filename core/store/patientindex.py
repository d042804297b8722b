"""The practice's patient matching index, kept on disk so that matching costs the same at 1,000 and 100,000
patients and no process holds every patient in memory.

``PatientIndex`` (core.clinical.matching) files each patient under blocking keys (INS, birth date and name
prefixes, phonetic keys). Built in memory, that costs about 0.1 ms per patient at every start of a command,
the daemon or the app (12 s and 500 MB at 100,000 patients). Here the same tables live in one SQLite file
that ``missive patients import`` updates in place, and a match reads only the few blocks it needs.

Nothing in the file is readable without the profile's key: a blocking key (which holds phonetic names and
birth dates) and a patient id are stored as keyed hashes (BLAKE2b under a key derived from the vault's data
key), and each patient record is AES-256-GCM sealed with its keyed id as associated data. What the file
shows without the key is only how many records share each opaque block.

The patients collection stays the source of truth; the index is derived from it. Every update records a
random generation in the index and, after the collection is written, in the collection ``patient_index``:
an index whose generation differs from the collection's (a crash between the two writes, an index file
deleted or copied from elsewhere) is rebuilt from the collection at the next open.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import sqlite3
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Mapping
from hashlib import blake2b
from pathlib import Path
from typing import Any

from core.clinical.matching import PatientIndex, _Entry, blocking_keys, patient_entry
from core.errors import StoreCorrupted
from core.model import Patient
from core.store.vault import Vault
from core.text import T

log = logging.getLogger("missive.patients")

VERSION = "2"  # 2: look-alikes filed by birth date and birth name (dl:), no more by birth date alone (d:)
_HASH = 12  # bytes of a keyed hash: collisions of blocking keys only add candidates; of ids, ~n²/2^97
_BATCH = 500  # parameters per IN (...) query (SQLite's default limit is 32,766; small batches stay fast)
_CACHE = 4096  # decoded patients kept per process (names repeat; a sync matches the same patients often)
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS block (key BLOB PRIMARY KEY, ids BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS patient (id BLOB PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID;
"""


def _chunks(items: list[Any], size: int = _BATCH) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _split(ids: bytes) -> list[bytes]:
    return [ids[i : i + _HASH] for i in range(0, len(ids), _HASH)]


class StoredPatientIndex(PatientIndex):
    """The blocking tables of ``PatientIndex`` in ``<profile>/index/patients.sqlite3``, encrypted.

    ``match`` is inherited unchanged: only ``_lookup`` and ``_entries`` read from the file. Reads see what
    another process committed (the daemon needs no restart after ``missive patients import``).
    """

    def __init__(self, path: Path, vault: Vault) -> None:  # noqa: D107 - no in-memory tables
        self.path = path
        self._hash_key = vault.subkey(b"patient-index")
        self._vault = vault
        self._local = threading.local()  # one connection per thread (sqlite3 objects are not shared)
        self._cache: OrderedDict[bytes, _Entry] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._cache_generation = ""

    # ------------------------------------------------------------------ the file

    def _connect(self) -> sqlite3.Connection:
        """This thread's connection, reopened when the file was replaced (a rebuild renames a new one in)."""
        try:
            inode = self.path.stat().st_ino
        except FileNotFoundError:
            inode = -1
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None and getattr(self._local, "inode", None) == inode:
            return conn
        if conn is not None:
            conn.close()
        if inode == -1:
            raise StoreCorrupted(T("store.patientindex.index-patients-absent-relancez"))
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=True)
        conn.execute("PRAGMA busy_timeout = 10000")
        conn.execute("PRAGMA mmap_size = 268435456")  # pages read by mapping, not one read() each
        self._local.conn, self._local.inode = conn, inode
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _hash(self, text: str) -> bytes:
        return blake2b(text.encode("utf-8"), key=self._hash_key, digest_size=_HASH).digest()

    def _seal(self, pid: bytes, patient: Patient) -> bytes:
        return self._vault.seal(json.dumps(patient.to_json(), separators=(",", ":")).encode(), _aad(pid))

    def generation(self) -> str:
        """The generation recorded by the last update ('' when the file is missing or unreadable)."""
        try:
            rows = dict(self._connect().execute("SELECT name, value FROM meta WHERE name IN ('version', 'generation')"))
        except (StoreCorrupted, sqlite3.DatabaseError):
            return ""
        if rows.get("version") != VERSION:
            return ""  # blocks filed another way (an index made by an older missive): rebuilt at the next open
        return str(rows.get("generation", ""))

    def rebuild(self, patients: Iterable[Patient], generation: str) -> None:
        """Write a new file with every patient, then put it in place of the old one in one rename."""
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.tmp")
        blocks: dict[bytes, list[bytes]] = defaultdict(list)
        rows: list[tuple[bytes, bytes]] = []
        for p in patients:
            pid = self._hash(p.id)
            rows.append((pid, self._seal(pid, p)))
            for key in blocking_keys(patient_entry(p)):
                blocks[self._hash(key)].append(pid)
        fd = os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        try:
            conn = sqlite3.connect(temp, isolation_level=None)
            try:
                conn.executescript(_SCHEMA)
                conn.execute("BEGIN")
                conn.executemany("INSERT INTO patient VALUES (?, ?)", rows)
                conn.executemany(
                    "INSERT INTO block VALUES (?, ?)", ((k, b"".join(v)) for k, v in blocks.items())
                )
                conn.executemany(
                    "INSERT INTO meta VALUES (?, ?)", (("version", VERSION), ("generation", generation))
                )
                conn.execute("COMMIT")
            finally:
                conn.close()
            with open(temp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(temp, self.path)
        finally:
            if temp.exists():
                temp.unlink()
        self._forget()
        log.info("patient index rebuilt: %d patients, %d blocks", len(rows), len(blocks))

    def apply(self, changes: Mapping[str, tuple[Patient | None, Patient]], generation: str) -> None:
        """Update the file for patients changed by an import (``id -> (before or None, after)``), in one
        transaction: all of them or none."""
        add: dict[bytes, set[bytes]] = defaultdict(set)
        remove: dict[bytes, set[bytes]] = defaultdict(set)
        rows: list[tuple[bytes, bytes]] = []
        for patient_id, (before, after) in changes.items():
            pid = self._hash(patient_id)
            old = blocking_keys(patient_entry(before)) if before is not None else set()
            new = blocking_keys(patient_entry(after))
            for key in old - new:
                remove[self._hash(key)].add(pid)
            for key in new - old:
                add[self._hash(key)].add(pid)
            rows.append((pid, self._seal(pid, after)))
        conn = self._connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            touched = list(set(add) | set(remove))
            current: dict[bytes, list[bytes]] = {}
            for chunk in _chunks(touched):
                marks = ",".join("?" * len(chunk))
                for key, ids in conn.execute(f"SELECT key, ids FROM block WHERE key IN ({marks})", chunk):
                    current[key] = _split(ids)
            for hashed in touched:
                ids = [i for i in current.get(hashed, []) if i not in remove.get(hashed, ())]
                ids += [i for i in sorted(add.get(hashed, ())) if i not in ids]
                if ids:
                    conn.execute("INSERT OR REPLACE INTO block VALUES (?, ?)", (hashed, b"".join(ids)))
                else:
                    conn.execute("DELETE FROM block WHERE key = ?", (hashed,))
            conn.executemany("INSERT OR REPLACE INTO patient VALUES (?, ?)", rows)
            conn.execute("INSERT OR REPLACE INTO meta VALUES ('generation', ?)", (generation,))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._forget()

    # ------------------------------------------------------------------ what match() reads

    def __len__(self) -> int:
        return int(self._connect().execute("SELECT count(*) FROM patient").fetchone()[0])

    def _forget(self) -> None:
        with self._cache_lock:
            self._cache.clear()

    def _fresh(self, conn: sqlite3.Connection) -> None:
        """Forget decoded patients when another process changed the index since they were read."""
        row = conn.execute("SELECT value FROM meta WHERE name = 'generation'").fetchone()
        generation = str(row[0]) if row else ""
        if generation != self._cache_generation:
            with self._cache_lock:
                self._cache.clear()
                self._cache_generation = generation

    # The ids are keyed hashes here, not the registry's ids: match() only hands them back to _entries().
    def _lookup(self, keys: Iterable[str]) -> set[bytes]:  # type: ignore[override]  # ids are hashes here
        conn = self._connect()
        self._fresh(conn)
        hashed = [self._hash(k) for k in keys]
        found: set[bytes] = set()
        for chunk in _chunks(hashed):
            marks = ",".join("?" * len(chunk))
            for (ids,) in conn.execute(f"SELECT ids FROM block WHERE key IN ({marks})", chunk):
                found.update(_split(ids))
        return found

    def _entries(self, ids: Iterable[Any]) -> list[_Entry]:
        wanted = list(ids)
        out: list[_Entry] = []
        missing: list[bytes] = []
        with self._cache_lock:
            for pid in wanted:
                entry = self._cache.get(pid)
                if entry is None:
                    missing.append(pid)
                else:
                    self._cache.move_to_end(pid)
                    out.append(entry)
        if missing:
            conn = self._connect()
            decoded: list[tuple[bytes, _Entry]] = []
            for chunk in _chunks(missing):
                marks = ",".join("?" * len(chunk))
                for pid, data in conn.execute(f"SELECT id, data FROM patient WHERE id IN ({marks})", chunk):
                    plain = self._vault.unseal(data, _aad(pid), path=self.path)
                    decoded.append((pid, patient_entry(Patient.from_json(json.loads(plain)))))
            with self._cache_lock:
                for pid, entry in decoded:
                    self._cache[pid] = entry
                while len(self._cache) > _CACHE:
                    self._cache.popitem(last=False)
            out.extend(entry for _, entry in decoded)
        return out


def _aad(pid: bytes) -> str:
    return "patient-index/" + pid.hex()


__all__ = ["StoredPatientIndex"]
