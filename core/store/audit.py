"""Tamper-evident audit log: append-only, hash-chained, encrypted records of who did what (ids only).

``audit/log`` holds one record per line, ``base64(nonce || AES-GCM(record))`` with the record's sequence
number as associated data. Each record carries the SHA-256 of the previous line, so a changed, removed or
reordered record breaks the chain at that point. ``audit/head`` (encrypted, replaced atomically) keeps the
count and the hash of the last line, so cutting records off the end is noticed too.
"""

from __future__ import annotations

import base64
import datetime as dt
import getpass
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import StoreCorrupted
from core.store.atomic import FileLock, atomic_write, private_dir, private_open
from core.store.vault import Vault

GENESIS = "0" * 64
ACTIONS = {
    "read",
    "file",
    "unfile",
    "reject",
    "send",
    "export",
    "import",
    "receive",
    "key",
    "login",
    "config",
}


@dataclass(frozen=True)
class AuditProblem:
    index: int  # 1-based record number
    reason: str


def _hash(line: bytes, prev: str) -> str:
    return hashlib.sha256(prev.encode() + b"\n" + line).hexdigest()


class AuditLog:
    def __init__(self, folder: Path, vault: Vault) -> None:
        self.folder = folder
        self.log_path = folder / "log"
        self.head_path = folder / "head"
        self._aead = AESGCM(vault.keys.audit)
        self._vault = vault
        self.lock = FileLock(folder / ".lock")
        private_dir(folder)

    # -- head ---------------------------------------------------------------------------------------------
    def _read_head(self) -> tuple[int, str]:
        if not self.head_path.exists():
            return 0, GENESIS
        plain = self._vault.unseal(self.head_path.read_bytes(), "audit/head", self.head_path)
        try:
            head = json.loads(plain)
            return int(head["count"]), str(head["last"])
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreCorrupted(f"{self.head_path} does not parse") from exc

    def _write_head(self, count: int, last: str) -> None:
        payload = json.dumps({"count": count, "last": last}).encode()
        atomic_write(self.head_path, self._vault.seal(payload, "audit/head"))

    def _lines(self) -> list[bytes]:
        if not self.log_path.exists():
            return []
        return [ln for ln in self.log_path.read_bytes().split(b"\n") if ln]

    # -- append -------------------------------------------------------------------------------------------
    def append(self, action: str, object_id: str, actor: str | None = None, **details: Any) -> None:
        """Record an action on an object (message, document, patient id...). Never pass names or results."""
        with self.lock.held():
            count, last = self._read_head()
            lines = self._lines()
            if len(lines) == count + 1:  # crashed after appending, before the head: adopt that record
                last = _hash(lines[-1], last)
                count += 1
            elif len(lines) != count:
                raise StoreCorrupted(
                    f"{self.log_path} does not match its head: run 'missive audit verify' to see where"
                )
            seq = count + 1
            record = {
                "seq": seq,
                "ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                "actor": actor or _default_actor(),
                "action": action,
                "object": object_id,
                "details": details,
                "prev": last,
            }
            nonce = os.urandom(12)
            sealed = nonce + self._aead.encrypt(nonce, json.dumps(record).encode(), str(seq).encode())
            line = base64.b64encode(sealed)
            with os.fdopen(private_open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND), "ab") as fh:
                fh.write(line + b"\n")
                fh.flush()
                os.fsync(fh.fileno())
            self._write_head(seq, _hash(line, last))

    # -- reading and verification ----------------------------------------------------------------------------
    def _decode(self, line: bytes, seq: int) -> dict[str, Any]:
        sealed = base64.b64decode(line, validate=True)
        plain = self._aead.decrypt(sealed[:12], sealed[12:], str(seq).encode())
        return json.loads(plain)

    def records(self) -> list[dict[str, Any]]:
        """Every record, in order (raises StoreCorrupted on the first bad one)."""
        problem, records = self._check()
        if problem:
            raise StoreCorrupted(f"audit record {problem.index}: {problem.reason}")
        return records

    def verify(self) -> AuditProblem | None:
        """None when the log is intact, else the first bad record and why."""
        return self._check()[0]

    def _check(self) -> tuple[AuditProblem | None, list[dict[str, Any]]]:
        lines = self._lines()
        records: list[dict[str, Any]] = []
        prev = GENESIS
        for i, line in enumerate(lines, start=1):
            try:
                rec = self._decode(line, i)
            except (InvalidTag, ValueError):
                return AuditProblem(i, "altered, moved or not a record of this log"), records
            if rec.get("seq") != i:
                return AuditProblem(i, f"out of order (holds record {rec.get('seq')})"), records
            if rec.get("prev") != prev:
                return AuditProblem(i, "the record before it was changed or removed"), records
            records.append(rec)
            prev = _hash(line, prev)
        count, last = self._read_head()
        if count > len(lines):
            return AuditProblem(
                len(lines) + 1, f"missing: the log was cut ({count} records expected)"
            ), records
        if count == len(lines) and last != prev:
            return AuditProblem(max(count, 1), "the last record does not match the log's head"), records
        if len(lines) > count + 1:
            return AuditProblem(count + 2, "appended without the profile key"), records
        return None, records


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no user name on some Windows set-ups
        return "unknown"
