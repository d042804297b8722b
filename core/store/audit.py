"""Tamper-evident audit log: append-only, hash-chained, encrypted records of who did what (ids only).

``audit/log`` holds one record per line, ``base64(nonce || AES-GCM(record))`` with the record's sequence
number as associated data. Each record carries the SHA-256 of the previous line, so a changed, removed or
reordered record breaks the chain at that point.

The log is anchored in ``vault.json``, the one file a profile cannot open without: at every append the record
count and the hash of the last line are sealed there (AES-GCM under the data key, see ``Vault``). A log cut
short, deleted, or replaced by an older copy (with or without its older ``audit/head``) no longer matches the
seal. The first record, written when the profile is created, is its genesis (``config profile created``).
Profiles made before the seal existed are sealed from their next record on; ``verify`` says since which
record the log is sealed (what came before could have been rolled back unseen). What no file inside the
profile can reveal: the whole profile, ``vault.json`` included, restored from an older backup.
``audit/head`` (the same count and hash, in its own file, written by versions before the seal) is read only
for a profile not sealed yet.

A log out of step with its seal (a line removed, a backup of the profile restored while missive ran) stops every
audited action (``AuditBroken``): nothing is done that would leave no record. ``reseal`` (``missive audit
reseal``, under the passphrase) acknowledges the break without losing the evidence: the log is kept byte for
byte in ``audit/broken-<time>.log`` (0600, never deleted by missive), and a new chain starts whose first record
(``audit``/``break``) says when, by which OS user, what the check found (the record, the hash of the last good
one, the old seal's values) and the kept file's SHA-256. ``verify`` then checks that chain as usual, and also
every kept log back to the first: each must still be there, byte-identical, and readable up to its break.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import AuditBroken, BadInput, NotFound, StoreCorrupted, disk_full
from core.frozen import Frozen, fill
from core.store.atomic import FileLock, atomic_write, private_dir, private_open
from core.store.vault import Vault
from core.text import T

log = logging.getLogger("missive.audit")

GENESIS = "0" * 64
BREAK = ("audit", "break")  # (action, object) of the record that starts a chain after an acknowledged break
_MAX_KEPT = 1000  # kept logs followed back by verify (each names the one before it)


@dataclass(init=False, repr=False, eq=False)
class AuditProblem(Frozen):
    """Where the audit log's chain breaks, and why."""

    index: int  # 1-based record number; 0: a log kept by a reseal is missing or changed (``reason`` says which)
    reason: str

    def __init__(self, index: int, reason: str) -> None:
        fill(self, locals())


def _hash(line: bytes, prev: str) -> str:
    return _sha256_hex(prev.encode() + b"\n" + line)


def _sha256_hex(data: bytes) -> str:
    import hashlib  # here: a no-change resync opens the audit log and appends nothing (hashlib is not loaded)

    return hashlib.sha256(data).hexdigest()


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
            raise StoreCorrupted(T("store.audit.does-not-parse", head_path=self.head_path)) from exc

    def _lines(self) -> list[bytes]:
        if not self.log_path.exists():
            return []
        return [ln for ln in self.log_path.read_bytes().split(b"\n") if ln]

    # -- append -------------------------------------------------------------------------------------------
    def _state(self) -> tuple[int, str, dict[str, Any] | None]:
        """(count, last hash, seal): from the vault's seal when there is one, else from the head."""
        seal = self._vault.read_audit_seal()
        if seal is not None:
            return int(seal["count"]), str(seal["last"]), seal
        if self._vault.sealed:
            raise StoreCorrupted(T("store.audit.audit-log-seal-missing"))
        count, last = self._read_head()
        return count, last, None

    def append(self, action: str, object_id: str, actor: str | None = None, **details: Any) -> None:
        """Record an action on an object (message, document, patient id...). Never pass names or results."""
        with self.lock.held():
            try:
                count, last, seal = self._in_step()
            except AuditBroken:
                log.warning("audited action %s refused: the log does not match its seal", action)
                raise
            seq = count + 1
            record = {
                "seq": seq,
                "ts": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                **_who(actor),
                "action": action,
                "object": object_id,
                "details": details,
                "prev": last,
            }
            nonce = os.urandom(12)
            sealed = nonce + self._aead.encrypt(nonce, json.dumps(record).encode(), str(seq).encode())
            line = base64.b64encode(sealed)
            fd = private_open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
            size = os.fstat(fd).st_size
            try:
                with os.fdopen(fd, "ab") as fh:
                    fh.write(line + b"\n")
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                # a line half written (disk full) would break the chain for every record after it
                with contextlib.suppress(OSError):
                    os.truncate(self.log_path, size)
                raise disk_full(exc, self.folder) or exc from None
            # the log's length in bytes with this record
            self._seal(seq, _hash(line, last), seal, record_ts=str(record["ts"]), size=size + len(line) + 1)

    def _in_step(self) -> tuple[int, str, dict[str, Any] | None]:
        """(count, last hash, seal) of a log that matches its seal, the caller holding the lock; AuditBroken
        when it does not (nothing may then be done that must leave a record)."""
        try:
            count, last, seal = self._state()
            sealed_count = count
            count, last = self._checked(count, last, seal)
        except AuditBroken:
            raise
        except StoreCorrupted as exc:
            raise self._broken_error() from exc
        if count != sealed_count:
            # a record appended by a process that stopped before sealing it: seal it now, before another
            # is appended, so that two crashes in a row never leave two records out of the seal (which
            # verify must take for records added from outside)
            self._seal(count, last, seal, record_ts=None)
            seal = self._vault.read_audit_seal()
        return count, last, seal

    def _broken_error(self) -> AuditBroken:
        profile = self.folder.parent
        where = ""
        try:
            from core.config import default_profile_dir

            if profile.resolve() != default_profile_dir().resolve():
                where = f" --profile {profile}"
        except (OSError, RuntimeError):
            where = f" --profile {profile}"
        return AuditBroken(T("store.audit.broken", where=where))

    def in_step(self) -> AuditBroken | None:
        """None when the log matches its seal (an audited action can be done), else the error that action would
        raise. As cheap as an append's own check; writes nothing."""
        with self.lock.held():
            try:
                count, last, seal = self._state()
                self._checked(count, last, seal)
            except StoreCorrupted:
                return self._broken_error()
        return None

    def _seal(
        self,
        count: int,
        last: str,
        seal: dict[str, Any] | None,
        record_ts: str | None,
        size: int | None = None,
    ) -> None:
        """Write the seal for a log of ``count`` records ending with ``last`` (``size``: its length in bytes,
        read from the file when not given)."""
        if size is None:
            size = os.stat(self.log_path).st_size
        since = int(seal["since"]) if seal is not None else count
        since_ts = str(seal.get("since_ts") or record_ts or "") if seal is not None else record_ts
        if since_ts is None:  # sealing an adopted record of a profile never sealed: its own time
            since_ts = str(self._decode(self._lines()[count - 1], count).get("ts") or "")
        state: dict[str, Any] = {
            "count": count,
            "last": last,
            "since": since,
            "since_ts": since_ts,
            "size": size,
        }
        if seal is not None and seal.get("breaks"):
            state["breaks"] = int(seal["breaks"])  # acknowledged breaks, kept from seal to seal
        self._vault.write_audit_seal(state)

    def _checked(self, count: int, last: str, seal: dict[str, Any] | None) -> tuple[int, str]:
        """(count, last hash) once the log is checked against its seal before an append: by the log's length
        when the seal records it (a record costs the same however long the log has grown), else by counting
        its lines. A record appended by a process that stopped before sealing it is adopted."""
        size = seal.get("size") if seal is not None else None
        if isinstance(size, int):
            try:
                actual = os.stat(self.log_path).st_size
            except FileNotFoundError:
                actual = 0
            if actual == size:
                return count, last
            if actual > size:
                with self.log_path.open("rb") as fh:
                    fh.seek(size)
                    tail = fh.read()
                extra = [ln for ln in tail.split(b"\n") if ln]
                if len(extra) == 1 and tail.endswith(b"\n"):  # crashed after appending, before the seal
                    return count + 1, _hash(extra[0], last)
            # any other length: the count of lines says what is wrong
        lines = self._lines()
        if len(lines) == count + 1:  # crashed after appending, before the seal: adopt that record
            return count + 1, _hash(lines[-1], last)
        if len(lines) != count:
            raise StoreCorrupted(T("store.audit.does-not-match-its", log_path=self.log_path))
        return count, last

    # -- reading and verification ----------------------------------------------------------------------------
    def _decode(self, line: bytes, seq: int) -> dict[str, Any]:
        sealed = base64.b64decode(line, validate=True)
        plain = self._aead.decrypt(sealed[:12], sealed[12:], str(seq).encode())
        return json.loads(plain)

    def records(self) -> list[dict[str, Any]]:
        """Every record, in order (raises StoreCorrupted on the first bad one)."""
        problem, records = self._check()
        if problem:
            raise StoreCorrupted(T("store.audit.audit-record", index=problem.index, reason=problem.reason))
        return records

    def readable(self, kept: str | None = None) -> tuple[list[dict[str, Any]], AuditProblem | None]:
        """The records that read in order up to the first problem, and that problem (None: intact). ``kept``: a
        log kept by a reseal (``audit/broken-….log``, as ``breaks`` names it) instead of the current one; it is
        read as it is, up to its break (the seal it had is recorded in the break record, not checked here)."""
        if kept is None:
            problem, records = self._check()
            return records, problem
        name = Path(kept).name
        if not (name.startswith("broken-") and name.endswith(".log")) or Path(kept).parent.name not in ("", "audit"):
            raise BadInput(T("store.audit.kept-unknown", file=kept))
        try:
            data = (self.folder / name).read_bytes()
        except FileNotFoundError:
            raise NotFound(T("store.audit.kept-missing", file=f"{self.folder.name}/{name}")) from None
        problem, records, _ = self._chain([ln for ln in data.split(b"\n") if ln])
        return records, problem

    def verify(self) -> AuditProblem | None:
        """None when the log is intact, else the first bad record and why (read under the audit lock, so a
        record being appended by another process is never taken for damage). After a break acknowledged by
        ``reseal``, the logs it kept are checked too: each must be there, byte-identical."""
        problem, records = self._check()
        if problem is None:
            for kept in self._kept(records):
                if not kept["intact"] and not kept["acknowledged"]:
                    day = "/".join(reversed(kept["ts"][:10].split("-")))
                    # index 0: no record of this log is wrong, the evidence kept beside it is gone
                    return AuditProblem(0, str(T("store.audit.kept-altered", file=kept["file"], date=day)))
        return problem

    def breaks(self) -> list[dict[str, Any]]:
        """The breaks acknowledged by ``reseal``, newest first: when, by whom, what was found, the file kept and
        whether it is still there as it was (``intact``) and how many of its records read up to the break."""
        problem, records = self._check()
        return self._kept(records)

    def _kept(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Follow the chain of kept logs back from this one's first record. A kept log found missing or changed
        is ``acknowledged`` when a later reseal was made for that very reason (its record says so): reported,
        but no longer a failure of ``verify``."""
        out: list[dict[str, Any]] = []
        acknowledged = False
        first = records[0] if records else None
        while (
            first is not None and (first.get("action"), first.get("object")) == BREAK and len(out) < _MAX_KEPT
        ):
            details = first.get("details") or {}
            kept = details.get("kept") or {}
            found = details.get("found") or {}
            entry: dict[str, Any] = {
                "ts": str(first.get("ts") or ""),
                "actor": str(first.get("actor") or ""),
                "record": found.get("record"),
                "reason": str(found.get("reason") or ""),
                "file": str(kept.get("file") or ""),
                "intact": True,
                "readable": 0,
                "acknowledged": acknowledged,
            }
            out.append(entry)
            acknowledged = acknowledged or found.get("record") == 0  # this reseal was for a kept log gone
            first = None
            if not kept:  # nothing was left to keep (the log had been deleted)
                continue
            path = self.folder.parent / entry["file"]
            try:
                data = path.read_bytes() if path.parent == self.folder else b""
            except OSError:
                data = b""
            if _sha256_hex(data) != kept.get("sha256") or len(data) != kept.get("size"):
                entry["intact"] = False
                continue
            _, older, _ = self._chain([ln for ln in data.split(b"\n") if ln])
            entry["readable"] = len(older)
            first = older[0] if older else None
        return out

    def reseal(self, actor: str | None = None) -> dict[str, Any]:
        """Acknowledge a break of the log so that audited work can go on, keeping the evidence: the log as it is
        is copied to ``audit/broken-<time>.log`` (0600), and a new chain starts with one record saying what was
        found. Refused (BadInput) when the log is intact. The caller opened the profile with its passphrase.
        Returns the new record's details."""
        with self.lock.held():
            problem = self.verify()
            if problem is None:
                raise BadInput(T("store.audit.reseal-intact"))
            try:
                seal = self._vault.read_audit_seal()
                seal_readable = True
            except StoreCorrupted:
                seal, seal_readable = None, False
            lines = self._lines()
            _, readable, last_good = self._chain(lines)
            previous = 0
            if seal is not None:
                previous = int(seal.get("breaks") or 0)
            if readable and (readable[0].get("action"), readable[0].get("object")) == BREAK:
                previous = max(previous, int((readable[0].get("details") or {}).get("breaks") or 0))
            now = dt.datetime.now(dt.UTC)
            ts = now.isoformat(timespec="seconds")
            details: dict[str, Any] = {
                "breaks": previous + 1,
                "found": {
                    "record": problem.index,
                    "reason": problem.reason,
                    "last_good_hash": last_good,
                    "records_read": len(readable),
                    "lines": len(lines),
                },
                "seal": (
                    {k: seal.get(k) for k in ("count", "last", "since", "since_ts", "size")}
                    if seal is not None
                    else None
                ),
                "seal_readable": seal_readable,
                "kept": None,
            }
            if self.log_path.exists():
                data = self.log_path.read_bytes()
                name = self._keep(now, data, ".log")
                details["kept"] = {
                    "file": f"{self.folder.name}/{name}",
                    "sha256": _sha256_hex(data),
                    "size": len(data),
                }
            if self.head_path.exists():  # the head of a profile made before the seal: kept beside it
                details["kept_head"] = (
                    f"{self.folder.name}/{self._keep(now, self.head_path.read_bytes(), '.head')}"
                )
            record = {
                "seq": 1,
                "ts": ts,
                **_who(actor),
                "action": BREAK[0],
                "object": BREAK[1],
                "details": details,
                "prev": GENESIS,
            }
            nonce = os.urandom(12)
            line = base64.b64encode(nonce + self._aead.encrypt(nonce, json.dumps(record).encode(), b"1"))
            try:
                atomic_write(self.log_path, line + b"\n")
            except OSError as exc:
                raise disk_full(exc, self.folder) or exc from None
            self.head_path.unlink(missing_ok=True)
            self._vault.write_audit_seal(
                {
                    "count": 1,
                    "last": _hash(line, GENESIS),
                    "since": 1,
                    "since_ts": ts,
                    "size": len(line) + 1,
                    "breaks": previous + 1,
                }
            )
            return details

    def _keep(self, now: dt.datetime, data: bytes, suffix: str) -> str:
        """Write ``data`` into a new file ``broken-<time>[-n]<suffix>`` of the audit folder (0600, never over
        another one), durably; returns its name."""
        stamp = now.strftime("%Y%m%dT%H%M%SZ")
        for n in range(1000):
            name = f"broken-{stamp}{'' if n == 0 else f'-{n}'}{suffix}"
            try:
                fd = private_open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
            except OSError as exc:
                with contextlib.suppress(OSError):
                    (self.folder / name).unlink()
                raise disk_full(exc, self.folder) or exc from None
            return name
        raise StoreCorrupted(T("store.audit.kept-no-name", folder=self.folder))

    def seal_status(self) -> dict[str, Any] | None:
        """Since which record (and when) the log is sealed in vault.json; None when it is not sealed yet."""
        seal = self._vault.read_audit_seal()
        if seal is None:
            return None
        return {
            "count": int(seal["count"]),
            "since": int(seal["since"]),
            "since_ts": seal.get("since_ts") or "",
            "breaks": int(seal.get("breaks") or 0),
        }

    def _check(self) -> tuple[AuditProblem | None, list[dict[str, Any]]]:
        with self.lock.held():
            lines = self._lines()
            try:
                seal = self._vault.read_audit_seal()
            except StoreCorrupted:
                return AuditProblem(1, "le sceau du journal dans vault.json est illisible ou altéré"), []
            head = None if seal is not None else self._read_head()
        problem, records, prev = self._chain(lines)
        if problem:
            return problem, records
        if seal is not None:
            count, last = int(seal["count"]), str(seal["last"])
            if len(lines) < count:
                return AuditProblem(
                    len(lines) + 1,
                    f"manquant : le journal a été coupé, supprimé ou remplacé par une copie plus ancienne "
                    f"({count} enregistrements scellés, {len(lines)} présents)",
                ), records
            if len(lines) == count and last != prev:
                return AuditProblem(
                    max(count, 1), "le journal ne correspond pas à son sceau (remplacé par un autre)"
                ), records
            if len(lines) > count + 1:  # one more is a crash between appending and sealing
                return AuditProblem(count + 2, "ajouté hors de missive (absent du sceau)"), records
            return None, records
        if self._vault.sealed:
            return AuditProblem(
                1, "le sceau du journal a disparu de vault.json (effacé pour masquer une suppression)"
            ), records
        assert head is not None
        count, last = head
        if count > len(lines):
            return AuditProblem(
                len(lines) + 1, f"manquant : le journal a été coupé ({count} enregistrements attendus)"
            ), records
        if count == len(lines) and last != prev:
            return AuditProblem(
                max(count, 1), "le dernier enregistrement ne correspond pas à l'en-tête"
            ), records
        if len(lines) > count + 1:
            return AuditProblem(count + 2, "ajouté hors de missive (sans la clé du profil)"), records
        return None, records

    def _chain(self, lines: list[bytes]) -> tuple[AuditProblem | None, list[dict[str, Any]], str]:
        records: list[dict[str, Any]] = []
        prev = GENESIS
        for i, line in enumerate(lines, start=1):
            try:
                rec = self._decode(line, i)
            except (InvalidTag, ValueError):
                return AuditProblem(i, "modifié, déplacé ou étranger à ce journal"), records, prev
            if rec.get("seq") != i:
                return (
                    AuditProblem(i, f"hors d'ordre (porte l'enregistrement {rec.get('seq')})"),
                    records,
                    prev,
                )
            if rec.get("prev") != prev:
                return AuditProblem(i, "l'enregistrement précédent a été modifié ou supprimé"), records, prev
            records.append(rec)
            prev = _hash(line, prev)
        return None, records, prev


# The interfaces a person acts through: the façade's callers name them as ``actor``; the record's actor is then
# the person (the computer's user name: the secretary's session or the doctor's) and ``via`` the interface.
INTERFACES = frozenset({"tui", "cli"})


def _who(actor: str | None) -> dict[str, str]:
    """The record's ``actor`` (who: a person's user name, or ``auto`` for a decision the rules took) and, when a
    person acted through one of missive's interfaces, ``via``."""
    if actor in INTERFACES:
        return {"actor": _default_actor(), "via": str(actor)}
    return {"actor": actor or _default_actor()}


def _default_actor() -> str:
    """The OS user's name, as ``getpass.getuser`` finds it (its environment variables, then the password
    database), without importing getpass: getpass and termios were imported by the first letter opened, between
    the key and the letter on screen."""
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        if user := os.environ.get(name):
            return user
    try:
        import pwd

        return pwd.getpwuid(os.getuid())[0]
    except Exception:  # noqa: BLE001 - no user name on some Windows set-ups
        return "unknown"
