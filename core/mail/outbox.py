"""The durable outbox: every outgoing letter is stored (encrypted) before any network I/O.

Life of an entry (collection "outbox", raw message in an encrypted blob):

    queued --claim--> sending --server said 250--> accepted --Sent copy made--> removed
       ^                 |
       +--- temporary ---+--- permanent (5xx) ---> failed (kept until the doctor retries it)

Never twice at the recipient: "accepted" is written (fsync) as soon as the server accepts, before anything
else. Between the server's commit (its "250" after DATA) and that write no client can know what the server
did (RFC 1047), so ``data_started`` is written (fsync) just before the DATA command: an entry found in
"sending" after a crash looks for its Message-ID in the Sent folder first; if it is not there and DATA had not
begun, the letter never reached the server and is sent again; if DATA had begun, it may be at the recipient's
already, so it is never sent again on its own: it waits as "failed" with a line saying so, until the doctor
checks and asks (``missive outbox flush --all``). A witness on the server written before DATA would say no
more than ``data_started``; the server's own witness comes after its commit: the delivery report (DSN) it
sends back for the letter. When one arrives at sync for an entry in doubt, the entry is settled as accepted
(``settle_by_report``): its Sent copy is made and it leaves the outbox, without the doctor.

Several processes (the daemon, ``missive send``) may share a profile: claiming an entry is a read-check-write
under an inter-process lock, and an entry in "sending" belongs to its owner until that process is gone or its
lease has run out.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypeVar

from core.errors import NotFound, StoreError
from core.frozen import Frozen
from core.store.collection import Collection
from core.text import T, Text

if TYPE_CHECKING:  # the composer is loaded by a letter, not by the outbox count of the status bar
    from core.mail.compose import Composed

State = Literal["queued", "sending", "accepted", "failed"]
STATES: tuple[State, ...] = ("queued", "sending", "accepted", "failed")
R = TypeVar("R")

BACKOFF_FIRST = 30.0  # seconds before the first retry
BACKOFF_MAX = 3600.0  # never wait more than an hour between two tries
GIVE_UP_AFTER = 3 * 24 * 3600.0  # a letter not accepted within 3 days needs the doctor's attention
LEASE = 6 * 3600.0  # an owner on another host that vanished releases its entries after this long

_HOST = socket.gethostname()
# Entries being delivered by this process right now; anything else this pid owns is left from a crash.
_IN_FLIGHT: set[str] = set()
_IN_FLIGHT_LOCK = threading.Lock()


class Blobs(Protocol):
    def put(self, data: bytes) -> str: ...

    def get(self, blob_id: str) -> bytes: ...

    def delete(self, blob_id: str) -> None: ...


@dataclass(frozen=True, repr=False, eq=False)
class OutboxEntry(Frozen):
    """One letter waiting in (or going through) the outbox."""

    id: str
    account: str
    message_id: str
    sender: str
    recipients: tuple[str, ...]
    subject: str
    size: int
    blob: str
    state: State = "queued"
    attempts: int = 0
    created: float = 0.0
    next_try: float = 0.0
    last_error: str = ""  # why the last attempt failed, in the language of the one reading the entry
    permanent: bool = False  # last_error was a refusal (5xx) that retrying as is will not fix
    owner: str = ""
    lease_until: float = 0.0
    check_sent: bool = False  # a past attempt may have been accepted unseen: look in Sent before resending
    data_started: bool = False  # this attempt reached DATA: after a crash, the server may have the letter
    uncertain: bool = False  # failed because a crash during DATA left its fate unknown (never resent alone)
    recovering: bool = field(default=False, compare=False)  # set by claim(): was left in "sending"
    # last_error as missive said it (a catalogue code and its values), stored so: read in the reader's language
    error_text: Text | None = field(default=None, compare=False)

    def to_doc(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "message_id": self.message_id,
            "sender": self.sender,
            "recipients": list(self.recipients),
            "subject": self.subject,
            "size": self.size,
            "blob": self.blob,
            "state": self.state,
            "attempts": self.attempts,
            "created": self.created,
            "next_try": self.next_try,
            "last_error": self.error_text.to_json() if self.error_text is not None else self.last_error,
            "permanent": self.permanent,
            "owner": self.owner,
            "lease_until": self.lease_until,
            "check_sent": self.check_sent,
            "data_started": self.data_started,
            "uncertain": self.uncertain,
        }

    @classmethod
    def from_doc(cls, key: str, doc: dict[str, Any]) -> OutboxEntry:
        state = doc.get("state", "queued")
        said = _stored_error(doc.get("last_error", ""))
        return cls(
            id=key,
            account=str(doc.get("account", "")),
            message_id=str(doc.get("message_id", "")),
            sender=str(doc.get("sender", "")),
            recipients=tuple(doc.get("recipients", ())),
            subject=str(doc.get("subject", "")),
            size=int(doc.get("size", 0)),
            blob=str(doc.get("blob", "")),
            state=state if state in STATES else "queued",
            attempts=int(doc.get("attempts", 0)),
            created=float(doc.get("created", 0.0)),
            next_try=float(doc.get("next_try", 0.0)),
            last_error=str(said),
            error_text=said if isinstance(said, Text) else None,
            permanent=bool(doc.get("permanent", False)),
            owner=str(doc.get("owner", "")),
            lease_until=float(doc.get("lease_until", 0.0)),
            check_sent=bool(doc.get("check_sent", False)),
            data_started=bool(doc.get("data_started", False)),
            uncertain=bool(doc.get("uncertain", False)),
        )

    def to_json(self) -> dict[str, Any]:
        """What ``missive outbox list --json`` prints (no body)."""
        return {
            "id": self.id,
            "account": self.account,
            "message_id": self.message_id,
            "to": list(self.recipients),
            "subject": self.subject,
            "size": self.size,
            "state": self.state,
            "attempts": self.attempts,
            "created": _iso(self.created),
            "next_try": _iso(self.next_try) if self.state in ("queued", "accepted") else None,
            "last_error": self.last_error,
            "in_doubt": self.uncertain,  # a crash during DATA: may have arrived; resent only when asked
        }


# how versions before 2026-12-07 stored the give-up, in French whatever the language (read back as the code)
_GAVE_UP_FRENCH = "non acceptée depuis 3 jours ; dernière erreur : "


def _stored_error(value: Any) -> str | Text:
    """A stored last_error: a code and its values (``Text.to_json``), or a sentence (the server's words, or an
    older version's text: its French give-up is read as the code, so it too follows the reader's language)."""
    if isinstance(value, dict):
        return Text.from_json(value)
    text = str(value or "")
    if text.startswith(_GAVE_UP_FRENCH):
        return T("mail.outbox.gave-up", days=int(GIVE_UP_AFTER // 86400), error=text[len(_GAVE_UP_FRENCH) :])
    return text


def _iso(ts: float) -> str | None:
    if not ts:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(ts))


def backoff(attempts: int) -> float:
    """Seconds to wait after ``attempts`` failed tries: 30 s, 1 min, 2 min... capped at one hour."""
    return min(BACKOFF_FIRST * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _pid_alive(pid: int) -> bool:
    if sys.platform == "win32":
        return True  # no cheap check: the lease decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Outbox:
    """The profile's outbox: ``Outbox(profile)`` with ``profile.collection``, ``profile.blobs``, ``profile.path``."""

    def __init__(self, profile: Any) -> None:
        self._docs: Collection = profile.collection("outbox")
        self._blobs: Blobs = profile.blobs
        folder = getattr(profile, "path", None)
        self._lock: Any = _file_lock(Path(folder) / "outbox.lock") if folder else _NullLock()
        self._thread_lock = threading.RLock()
        self.owner = f"{_HOST}:{os.getpid()}:{secrets.token_hex(4)}"

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock, self._lock.held():
            yield

    # -- writing ---------------------------------------------------------------------------------------

    def enqueue(
        self, composed: Composed, account: str, subject: str = "", now: float | None = None
    ) -> OutboxEntry:
        """Store a letter durably (blob then entry) and return its entry, state "queued"."""
        now = time.time() if now is None else now
        with self._locked():
            for _key, doc in self._docs.items():
                if doc.get("message_id") == composed.message_id:
                    raise StoreError(T("mail.outbox.cette-lettre-deja-boite"))
            blob = self._blobs.put(composed.data)
            entry = OutboxEntry(
                id=secrets.token_hex(8),
                account=account,
                message_id=composed.message_id,
                sender=composed.sender,
                recipients=composed.recipients,
                subject=subject,
                size=len(composed.data),
                blob=blob,
                created=now,
                next_try=now,
            )
            self._docs.put(entry.id, entry.to_doc())
        return entry

    def claim(self, entry_id: str, now: float | None = None, *, force: bool = False) -> OutboxEntry | None:
        """Take ``entry_id`` for delivery by this process, or None if it is not ours to send now.

        A queued entry becomes "sending" (attempts + 1) before any byte leaves; an entry left in "sending"
        by a dead owner is returned with ``recovering=True``; an accepted one is returned as is (its Sent
        copy or removal is unfinished). ``force`` also takes failed entries and ignores next_try.
        """
        now = time.time() if now is None else now
        with self._locked():
            entry = self.get(entry_id)
            if entry is None:
                return None
            if entry.state in ("sending", "accepted") and entry.owner and not self._is_stale(entry, now):
                return None  # another process (or task) is on it
            if entry.state == "failed" and not force:
                return None
            if entry.state in ("queued", "accepted") and entry.next_try > now and not force:
                return None
            # Left "sending" by a crash, or flagged: the letter may already be at the recipient's.
            recovering = entry.state == "sending" or entry.check_sent
            attempts = entry.attempts + (0 if entry.state == "accepted" else 1)
            state: State = "accepted" if entry.state == "accepted" else "sending"
            # check_sent stays set until a look into Sent has cleared it (see mark_retry / mark_accepted).
            claimed = replace(
                entry,
                state=state,
                attempts=attempts,
                owner=self.owner,
                lease_until=now + LEASE,
                check_sent=recovering,
                # kept only from an attempt a crash interrupted; a new attempt (or the doctor's, on a failed
                # letter) starts clean
                data_started=entry.data_started
                and entry.state != "failed"
                and (entry.state == "sending" or entry.check_sent),
                uncertain=False,  # claimed again: by the doctor's --all, or settled by a report
            )
            with _IN_FLIGHT_LOCK:
                _IN_FLIGHT.add(_flight_key(self.owner, entry_id))
            self._docs.put(entry_id, claimed.to_doc())
        return replace(claimed, recovering=recovering)

    def release(self, entry_id: str) -> None:
        """End this process's hold on an entry (called in a ``finally``, whatever happened)."""
        with _IN_FLIGHT_LOCK:
            _IN_FLIGHT.discard(_flight_key(self.owner, entry_id))

    def mark_accepted(self, entry_id: str) -> None:
        """The server accepted the letter: record it first, so nothing can send it again."""
        self._update(
            entry_id, state="accepted", last_error="", permanent=False, check_sent=False, uncertain=False
        )

    def mark_data_started(self, entry_id: str) -> None:
        """Written (durably) just before the DATA command: from here on, a crash leaves the letter's fate
        unknown."""
        self._update(entry_id, data_started=True)

    def mark_uncertain(self, entry_id: str, error: str | Text) -> OutboxEntry:
        """A crash came after DATA had begun: the letter may have been delivered. Never resent on its own."""
        return self._update(
            entry_id,
            state="failed",
            last_error=error,
            permanent=False,
            owner="",
            lease_until=0.0,
            check_sent=True,
            data_started=False,
            uncertain=True,
        )

    def settle_by_report(self, message_id: str) -> OutboxEntry | None:
        """A delivery or read report came back for a letter in doubt: the server did accept it. The entry
        becomes "accepted" (its Sent copy and removal are left to the next flush); None if none was in doubt."""
        wanted = " ".join(message_id.split())
        with self._locked():
            for key, doc in self._docs.items():
                entry = OutboxEntry.from_doc(key, doc)
                if entry.uncertain and entry.state == "failed" and entry.message_id == wanted:
                    settled = replace(
                        entry,
                        state="accepted",
                        uncertain=False,
                        last_error="",
                        permanent=False,
                        next_try=0.0,
                        check_sent=False,
                    )
                    self._docs.put(key, settled.to_doc())
                    return settled
        return None

    def sent_checked(self, entry_id: str) -> None:
        """The Sent folder was searched and the letter is not there: a new attempt is safe."""
        self._update(entry_id, check_sent=False)

    def mark_retry(
        self,
        entry_id: str,
        error: str | Text,
        now: float | None = None,
        *,
        check_sent: bool = False,
        data_started: bool = False,
    ) -> OutboxEntry:
        """A temporary failure: back to "queued" (or stay "accepted") with the next try after a backoff.

        ``check_sent``: the letter may have been accepted unseen, so the next try must look in Sent first.
        ``data_started``: a crashed attempt had begun DATA and its recovery could not finish (kept with
        ``check_sent``, so the next recovery still knows).
        """
        now = time.time() if now is None else now
        entry = self._require(entry_id)
        if entry.state != "accepted" and now - entry.created > GIVE_UP_AFTER:
            return self.mark_failed(entry_id, T("mail.outbox.gave-up", days=int(GIVE_UP_AFTER // 86400), error=error))
        state: State = "accepted" if entry.state == "accepted" else "queued"
        return self._update(
            entry_id,
            state=state,
            last_error=error,
            permanent=False,
            next_try=now + backoff(entry.attempts),
            owner="",
            lease_until=0.0,
            check_sent=check_sent,
            data_started=data_started and check_sent,  # else this process saw how the attempt ended
        )

    def hasten(self, now: float | None = None) -> int:
        """The doctor asks to send now (the network is back): every letter waiting for its next try is due at
        once, whatever the spacing of the tries. Never a failed one (refused for good, or one that may have
        arrived: the doctor resends those herself), nor one being sent. How many were brought forward."""
        now = time.time() if now is None else now
        hastened = 0
        with self._locked():
            for entry in self.list():
                if entry.state == "queued" and entry.next_try > now:
                    self._docs.put(entry.id, replace(entry, next_try=now).to_doc())
                    hastened += 1
        return hastened

    def mark_failed(self, entry_id: str, error: str | Text) -> OutboxEntry:
        """A permanent failure: kept, not retried until the doctor asks (``outbox flush --failed``)."""
        return self._update(
            entry_id, state="failed", last_error=error, permanent=True, owner="", lease_until=0.0
        )

    def withdraw(self, entry_id: str, keep: Callable[[OutboxEntry, bytes], R]) -> R:
        """The doctor takes a letter back out of the outbox (it will not leave): ``keep(entry, data)`` stores it
        elsewhere first (a draft), then the entry and its blob go; all under the outbox's lock, so no flush of
        this or another process (the daemon) can claim it in between. A letter being sent right now, or already
        accepted by the server, is refused (BadInput), nothing changed; so is one ``keep`` could not store."""
        from core.errors import BadInput

        with self._locked():
            entry = self._require(entry_id)
            if entry.state == "accepted":
                raise BadInput(T("mail.outbox.withdraw-accepted"))
            if self.busy(entry):
                raise BadInput(T("mail.outbox.withdraw-sending"))
            kept = keep(entry, self.data(entry))
            self.remove(entry_id)  # re-entrant: the lock is still ours
        return kept

    def busy(self, entry: OutboxEntry, now: float | None = None) -> bool:
        """Is a process (this one or another: the daemon, ``missive send``) delivering this letter right now?"""
        now = time.time() if now is None else now
        return bool(entry.owner) and entry.state in ("sending", "accepted") and not self._is_stale(entry, now)

    def remove(self, entry_id: str) -> None:
        """Forget an entry and its blob (only after acceptance and the Sent copy)."""
        with self._locked():
            entry = self.get(entry_id)
            if entry is None:
                return
            # Entry first: a crash in between leaves an encrypted orphan blob, never an entry without data.
            self._docs.delete(entry_id)
            with contextlib.suppress(Exception):
                self._blobs.delete(entry.blob)

    # -- reading ---------------------------------------------------------------------------------------

    def get(self, entry_id: str) -> OutboxEntry | None:
        doc = self._docs.get(entry_id)
        return OutboxEntry.from_doc(entry_id, doc) if doc is not None else None

    def data(self, entry: OutboxEntry) -> bytes:
        """The raw (protected) message of an entry."""
        try:
            return self._blobs.get(entry.blob)
        except (KeyError, FileNotFoundError, NotFound):
            raise StoreError(T("mail.outbox.boite-envoi-lettre-fichier", entry_id=entry.id)) from None

    def list(self) -> list[OutboxEntry]:
        """Every entry, oldest first."""
        entries = [OutboxEntry.from_doc(k, d) for k, d in self._docs.items()]
        return sorted(entries, key=lambda e: (e.created, e.id))

    def due(self, now: float | None = None, *, force: bool = False) -> builtins.list[OutboxEntry]:
        """Entries a flush should try now: due queued/accepted ones and ones left "sending" by a crash."""
        now = time.time() if now is None else now
        out = []
        for entry in self.list():
            if entry.owner and entry.state in ("sending", "accepted") and not self._is_stale(entry, now):
                continue  # being delivered right now
            if entry.state == "sending":
                out.append(entry)
            elif entry.state == "failed":
                if force:
                    out.append(entry)
            elif force or entry.next_try <= now:
                out.append(entry)
        return out

    def __len__(self) -> int:
        return len(self._docs)

    # -- internals -------------------------------------------------------------------------------------

    def _is_stale(self, entry: OutboxEntry, now: float) -> bool:
        """Is an entry in "sending" abandoned by its owner (crashed process or expired lease)?"""
        if entry.lease_until < now:
            return True
        host, _sep, rest = entry.owner.partition(":")
        pid_text = rest.partition(":")[0]
        if host != _HOST or not pid_text.isdigit():
            return False
        pid = int(pid_text)
        if pid != os.getpid():
            return not _pid_alive(pid)
        with _IN_FLIGHT_LOCK:
            return _flight_key(entry.owner, entry.id) not in _IN_FLIGHT

    def _require(self, entry_id: str) -> OutboxEntry:
        entry = self.get(entry_id)
        if entry is None:
            raise NotFound(T("mail.outbox.aucune-lettre-boite-envoi", entry_id=entry_id))
        return entry

    def _update(self, entry_id: str, **changes: Any) -> OutboxEntry:
        if "last_error" in changes:  # missive's own words keep their code; anything else is stored as said
            error = changes["last_error"]
            changes["error_text"] = error if isinstance(error, Text) else None
            changes["last_error"] = str(error)
        with self._locked():
            entry = replace(self._require(entry_id), **changes)
            self._docs.put(entry_id, entry.to_doc())
        return entry


def _flight_key(owner: str, entry_id: str) -> str:
    return f"{owner}/{entry_id}"


class _NullLock:
    @contextlib.contextmanager
    def held(self) -> Iterator[None]:
        yield


def _file_lock(path: Path) -> Any:
    from core.store.atomic import FileLock

    return FileLock(path)
