"""The local message store: metadata in collection ``messages``, raw bytes as encrypted blobs, folder state
(UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the UIDs and flags last seen on the server, local flag changes not yet
pushed) in collection ``folders``.

A message id is a hash of account, folder, UIDVALIDITY and UID: fetching the same message twice (a sync
interrupted and resumed) overwrites one record, it never makes a second.

Lists come from a list index (``core.store.listindex``): what a list row shows, every message sorted newest
first, in one encrypted file kept in step with the shards. ``rows()`` hands out a sequence that decodes a
summary only when it is read, so a 50,000-message inbox paints without building 50,000 objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from array import array
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, overload

from core.errors import NotFound
from core.model import MessageSummary, SignatureStatus
from core.store.listindex import ENUM, INT, TEXT, Column, Layout, ListIndex, Table

SESSION_FLAGS = frozenset({"\\Recent"})
FILED = "$Filed"


def message_id_for(account: str, folder: str, uidvalidity: int, uid: int) -> str:
    return hashlib.sha256(f"{account}\x1f{folder}\x1f{uidvalidity}\x1f{uid}".encode()).hexdigest()[:32]


def folder_key(account: str, folder: str) -> str:
    return f"{account}/{folder}"


def clean_flags(flags: Iterable[str]) -> list[str]:
    return sorted({f for f in flags if f and f not in SESSION_FLAGS})


@dataclass
class FolderState:
    account: str
    folder: str
    uidvalidity: int = 0
    uidnext: int = 0
    highestmodseq: int | None = None
    exists: int = 0
    uids: dict[int, list[str]] | None = None  # server flags as last synced
    pending: dict[int, list[str]] | None = None  # flags set here, not yet on the server

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "folder": self.folder,
            "uidvalidity": self.uidvalidity,
            "uidnext": self.uidnext,
            "highestmodseq": self.highestmodseq,
            "exists": self.exists,
            "uids": {str(k): v for k, v in (self.uids or {}).items()},
            "pending": {str(k): v for k, v in (self.pending or {}).items()},
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FolderState:
        return cls(
            account=d["account"],
            folder=d["folder"],
            uidvalidity=int(d.get("uidvalidity") or 0),
            uidnext=int(d.get("uidnext") or 0),
            highestmodseq=d.get("highestmodseq"),
            exists=int(d.get("exists") or 0),
            uids={int(k): list(v) for k, v in (d.get("uids") or {}).items()},
            pending={int(k): list(v) for k, v in (d.get("pending") or {}).items()},
        )


class MessageStore:
    """Messages of every account of a profile. ``profile`` needs ``collection(name)`` and ``blobs``."""

    def __init__(self, profile: Any) -> None:
        self.profile = profile
        self.docs = profile.collection("messages")
        self.folders = profile.collection("folders")
        self.blobs = profile.blobs
        self._index: ListIndex | None = None

    # ------------------------------------------------------------------ reading
    def rows(self, folder: str | None = None, account: str | None = None) -> Sequence[MessageSummary]:
        """Summaries, newest first, optionally of one folder and/or account, decoded as they are read."""
        index = self._list_index()
        if index is None:
            return self._scan(folder, account)
        table = index.table()
        if folder is None and account is None:
            return MessageRows(table)
        positions = None
        for column, value in (("folder", folder), ("account", account)):
            if value is None:
                continue
            found = table.rows_where(column, value)
            positions = found if positions is None else _intersect(positions, found)
        return MessageRows(table, positions)

    def list(self, folder: str | None = None, account: str | None = None) -> list[MessageSummary]:
        """Summaries, newest first, optionally of one folder and/or account."""
        return list(self.rows(folder, account))

    def folder_list(self) -> list[str]:
        """The folders holding messages, of every account."""
        index = self._list_index()
        if index is None:
            return sorted({s.folder for s in self._scan(None, None)})
        return MessageRows(index.table()).all_folders()

    def _list_index(self) -> ListIndex | None:
        if self._index is None and hasattr(self.docs, "shard_stamps"):
            self._index = ListIndex(self.docs, LIST_LAYOUT)
        return self._index

    def _scan(self, folder: str | None, account: str | None) -> list[MessageSummary]:
        """Without a list index (collections in memory, for tests): read every document."""
        found = self.docs.find(
            lambda d: (
                (folder is None or d.get("folder") == folder)
                and (account is None or d.get("account") == account)
            )
        )
        out = [_summary(key, doc) for key, doc in found]
        out.sort(key=lambda m: (_when(m.date), -1 if m.uid is None else m.uid, m.id), reverse=True)
        return out

    def get(self, message_id: str) -> MessageSummary:
        return _summary(message_id, self._doc(message_id))

    def doc(self, message_id: str) -> dict[str, Any]:
        """The stored metadata (including what the façade's hook added)."""
        return self._doc(message_id)

    def _doc(self, message_id: str) -> dict[str, Any]:
        doc = self.docs.get(message_id) if isinstance(message_id, str) else None
        if doc is None:
            raise NotFound(f"no message with id {str(message_id)[:40]} (see `missive messages list`)")
        return doc

    def get_raw(self, message_id: str) -> bytes:
        return self.blobs.get(self._doc(message_id)["blob"])

    def update_meta(self, message_id: str, **fields: Any) -> None:
        """Merge fields (signature status, abnormal, document ids...) into a message's metadata."""
        doc = self._doc(message_id)
        doc.update(fields)
        self.docs.put(message_id, doc)

    # ------------------------------------------------------------------ flags set by the user
    def set_flags(self, message_id: str, flags: Iterable[str]) -> None:
        """Set a message's flags here; the next sync pushes them to the server."""
        doc = self._doc(message_id)
        new = clean_flags(flags)
        doc["flags"] = new
        doc["filed"] = FILED in new
        state = self.folder_state(doc["account"], doc["folder"])
        if state.uidvalidity == doc.get("uidvalidity") and doc.get("uid") is not None:
            state.pending = state.pending or {}
            state.pending[int(doc["uid"])] = new
            self.save_state(state)
        self.docs.put(message_id, doc)

    def add_flags(self, message_id: str, *flags: str) -> None:
        self.set_flags(message_id, set(self._doc(message_id).get("flags", [])) | set(flags))

    def remove_flags(self, message_id: str, *flags: str) -> None:
        self.set_flags(message_id, set(self._doc(message_id).get("flags", [])) - set(flags))

    # ------------------------------------------------------------------ used by the sync engine
    def folder_state(self, account: str, folder: str) -> FolderState:
        doc = self.folders.get(folder_key(account, folder))
        if doc is None:
            return FolderState(account, folder, uids={}, pending={})
        return FolderState.from_json(doc)

    def save_state(self, state: FolderState) -> None:
        self.folders.put(folder_key(state.account, state.folder), state.to_json())

    def folder_names(self, account: str) -> list[str]:
        return sorted(d["folder"] for _, d in self.folders.find(lambda d: d.get("account") == account))

    def store_new(
        self, state: FolderState, items: list[tuple[int, list[str], bytes, dict[str, Any]]]
    ) -> list[str]:
        """Keep fetched messages (uid, flags, raw, extra metadata), then record them in the folder state."""
        docs: dict[str, dict[str, Any]] = {}
        stale_blobs: list[str] = []
        for uid, flags, raw, extra in items:
            mid = message_id_for(state.account, state.folder, state.uidvalidity, uid)
            old = self.docs.get(mid)
            if old and old.get("blob"):
                stale_blobs.append(old["blob"])
            flags = clean_flags(flags)
            doc: dict[str, Any] = {
                "account": state.account,
                "folder": state.folder,
                "uidvalidity": state.uidvalidity,
                "uid": uid,
                "size": len(raw),
                "flags": flags,
                "filed": FILED in flags,
                "blob": self.blobs.put(raw),
            }
            doc.update(extra)
            docs[mid] = doc
        self.docs.put_many(docs)
        if state.uids is None:
            state.uids = {}
        for uid, flags, _, _ in items:
            state.uids[uid] = clean_flags(flags)
        self.save_state(state)
        for blob in stale_blobs:
            self.blobs.delete(blob)
        return list(docs)

    def apply_server_flags(self, state: FolderState, changes: Mapping[int, Iterable[str]]) -> int:
        """Flags changed on the server (not overriding local changes still pending)."""
        docs: dict[str, dict[str, Any]] = {}
        for uid, flags in changes.items():
            flags = clean_flags(flags)
            if state.uids is not None and uid in state.uids:
                state.uids[uid] = flags
            if state.pending and uid in state.pending:
                continue
            mid = message_id_for(state.account, state.folder, state.uidvalidity, uid)
            doc = self.docs.get(mid)
            if doc is None or doc.get("flags") == flags:
                continue
            doc["flags"] = flags
            doc["filed"] = FILED in flags
            docs[mid] = doc
        if docs:
            self.docs.put_many(docs)
        return len(docs)

    def forget_uids(self, state: FolderState, uids: Iterable[int]) -> int:
        """Drop messages expunged on the server."""
        ids = []
        for uid in uids:
            ids.append(message_id_for(state.account, state.folder, state.uidvalidity, uid))
            if state.uids:
                state.uids.pop(uid, None)
            if state.pending:
                state.pending.pop(uid, None)
        return self._delete(ids)

    def forget_folder(self, account: str, folder: str) -> int:
        """Drop a folder's cache (UIDVALIDITY changed, or the folder is gone)."""
        ids = [
            k for k, _ in self.docs.find(lambda d: d.get("account") == account and d.get("folder") == folder)
        ]
        count = self._delete(ids)
        self.folders.delete(folder_key(account, folder))
        return count

    def forget_account(self, account: str) -> int:
        count = 0
        for folder in self.folder_names(account):
            count += self.forget_folder(account, folder)
        return count

    def _delete(self, ids: list[str]) -> int:
        blobs = []
        for mid in ids:
            doc = self.docs.get(mid)
            if doc and doc.get("blob"):
                blobs.append(doc["blob"])
        count = self.docs.delete_many(ids)
        for blob in blobs:
            self.blobs.delete(blob)
        return count


def _when(date: dt.datetime | None) -> dt.datetime:
    """A sort key for dates: none is oldest, a date without zone is read as UTC."""
    if date is None:
        return _OLDEST
    return date if date.tzinfo else date.replace(tzinfo=dt.UTC)


_OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def _summary(key: str, d: Mapping[str, Any]) -> MessageSummary:
    date = None
    if d.get("date"):
        try:
            date = dt.datetime.fromisoformat(d["date"])
        except ValueError:
            date = None
    sig = d.get("signature")
    signature = SignatureStatus(**sig) if isinstance(sig, dict) else None
    return MessageSummary(
        id=key,
        account=d.get("account", ""),
        folder=d.get("folder", ""),
        uid=d.get("uid"),
        message_id=d.get("message_id", ""),
        sender=d.get("from", ""),
        to=tuple(d.get("to") or ()),
        subject=d.get("subject", ""),
        date=date,
        flags=tuple(d.get("flags") or ()),
        size=int(d.get("size") or 0),
        encrypted=bool(d.get("encrypted")),
        signed=bool(d.get("signed")),
        signature=signature,
        has_attachments=bool(d.get("has_attachments")),
        abnormal=bool(d.get("abnormal")),
        filed=bool(d.get("filed")),
    )


def summary_of(raw: bytes) -> dict[str, Any]:
    """Header metadata for a new message; an unreadable header still gets a record."""
    from core.mail import mime

    try:
        return mime.summary_fields(raw)
    except Exception:  # noqa: BLE001 - one broken message must not stop a sync
        return {"message_id": "", "from": "", "to": [], "subject": "", "date": None}


# -- the list index ----------------------------------------------------------------------------------------
ENCRYPTED, SIGNED, ATTACHMENTS, ABNORMAL, FILED_BIT, SEEN = 1, 2, 4, 8, 16, 32
QUARANTINE = 64  # the sync hook set trust "quarantine" (sender outside the trust space): shown apart
NO_DATE = -(2**62)
_SEP = "\x1f"
_fromiso = dt.datetime.fromisoformat
_BITS = [
    (bool(b & ENCRYPTED), bool(b & SIGNED), bool(b & ATTACHMENTS), bool(b & ABNORMAL), bool(b & FILED_BIT))
    for b in range(32)
]


def _list_row(key: str, d: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a list row needs from one message's metadata (the same reading as ``_summary``)."""
    get = d.get
    order, date_text = NO_DATE, ""
    if when := get("date"):
        try:
            date = _fromiso(when)
            aware = date if date.tzinfo else date.replace(tzinfo=dt.UTC)
            order, date_text = math.floor(aware.timestamp()) * 1_000_000 + aware.microsecond, when
        except (TypeError, ValueError, OverflowError):
            pass
    flags = get("flags") or ()
    if not all(type(f) is str for f in flags):
        flags = [str(f) for f in flags]
    bits = (
        (ENCRYPTED if get("encrypted") else 0)
        | (SIGNED if get("signed") else 0)
        | (ATTACHMENTS if get("has_attachments") else 0)
        | (ABNORMAL if get("abnormal") else 0)
        | (FILED_BIT if get("filed") else 0)
        | (SEEN if "\\Seen" in flags else 0)
        | (QUARANTINE if get("trust") == "quarantine" else 0)
    )
    sig, uid, to = get("signature"), get("uid"), get("to") or ()
    return (
        order,
        uid if type(uid) is int and uid >= 0 else -1,
        int(get("size") or 0),
        bits,
        str(get("account") or ""),
        str(get("folder") or ""),
        str(get("message_id") or ""),
        str(get("from") or ""),
        str(get("subject") or ""),
        _SEP.join(to if all(type(a) is str for a in to) else map(str, to)),
        date_text,
        _SEP.join(flags),
        json.dumps(sig, sort_keys=True) if isinstance(sig, dict) else "",
    )


LIST_LAYOUT = Layout(
    name="list",
    version=2,
    columns=(
        Column("order", INT),
        Column("uid", INT),
        Column("size", INT),
        Column("bits", INT),
        Column("account", ENUM),
        Column("folder", ENUM),
        Column("message_id", TEXT),
        Column("sender", TEXT),
        Column("subject", TEXT),
        Column("to", ENUM),
        Column("date", TEXT),
        Column("flags", ENUM),
        Column("signature", ENUM),
    ),
    sort=("order", "uid"),
    project=_list_row,
)


def _intersect(a: array, b: array) -> array:
    keep = set(b)
    return array(a.typecode, (p for p in a if p in keep))


class _Decoded:
    """A table's columns, and its enum values decoded once, shared by every view of that table."""

    def __init__(self, table: Table) -> None:
        c = table.column
        self.table = table
        self.keys = table.keys
        self.order, self.uid, self.size, self.bits = (
            c(n).values  # type: ignore[union-attr]
            for n in ("order", "uid", "size", "bits")
        )
        self.message_id, self.sender, self.subject, self.date = (
            c(n) for n in ("message_id", "sender", "subject", "date")
        )
        self.account_codes, self.folder_codes, self.to_codes, self.flag_codes, self.sig_codes = (
            c(n).codes  # type: ignore[union-attr]
            for n in ("account", "folder", "to", "flags", "signature")
        )
        self.accounts = table.enum_values("account")
        self.folders = table.enum_values("folder")
        self.tos = [tuple(v.split(_SEP)) if v else () for v in table.enum_values("to")]
        self.flags = [tuple(v.split(_SEP)) if v else () for v in table.enum_values("flags")]
        self.signatures = [_signature(v) for v in table.enum_values("signature")]
        self.haystack: list[str] | None = None

    def summary(self, p: int) -> MessageSummary:
        texts = (self.keys, self.message_id, self.sender, self.subject, self.date)
        return next(self._walk([p], *({p: t.get(p)} for t in texts)))

    def walk(self, positions: Iterable[int]) -> Iterator[MessageSummary]:
        """Summaries of many rows: each text column decoded in one pass instead of row by row."""
        texts = (self.keys, self.message_id, self.sender, self.subject, self.date)
        return self._walk(positions, *(t.all() for t in texts))

    def _walk(
        self,
        positions: Iterable[int],
        keys: Sequence[str] | Mapping[int, str],
        mids: Sequence[str] | Mapping[int, str],
        senders: Sequence[str] | Mapping[int, str],
        subjects: Sequence[str] | Mapping[int, str],
        dates: Sequence[str] | Mapping[int, str],
    ) -> Iterator[MessageSummary]:
        # Built the way copy and pickle build objects (no __init__): a frozen dataclass's __init__ costs
        # 2.5 us a row, paid on screen by any pass over a 50,000-message list. A test checks the fields.
        new, set_dict, fromiso, cls = (
            object.__new__,
            object.__setattr__,
            dt.datetime.fromisoformat,
            MessageSummary,
        )
        bits_of, uids, sizes = self.bits, self.uid, self.size
        accounts, account_codes = self.accounts, self.account_codes
        folders, folder_codes = self.folders, self.folder_codes
        tos, to_codes = self.tos, self.to_codes
        flags, flag_codes = self.flags, self.flag_codes
        signatures, sig_codes = self.signatures, self.sig_codes
        for p in positions:
            encrypted, signed, attachments, abnormal, filed = _BITS[bits_of[p] & 31]
            uid = uids[p]
            date = dates[p]
            summary = new(cls)
            set_dict(
                summary,
                "__dict__",
                {
                    "id": keys[p],
                    "account": accounts[account_codes[p]],
                    "folder": folders[folder_codes[p]],
                    "uid": uid if uid >= 0 else None,
                    "message_id": mids[p],
                    "sender": senders[p],
                    "to": tos[to_codes[p]],
                    "subject": subjects[p],
                    "date": fromiso(date) if date else None,
                    "flags": flags[flag_codes[p]],
                    "size": sizes[p],
                    "encrypted": encrypted,
                    "signed": signed,
                    "signature": signatures[sig_codes[p]],
                    "has_attachments": attachments,
                    "abnormal": abnormal,
                    "filed": filed,
                },
            )
            yield summary

    def search_text(self, p: int) -> str:
        if self.haystack is None:
            self.haystack = [
                f"{self.sender.get(i)}\n{self.subject.get(i)}".lower() for i in range(len(self.table))
            ]
        return self.haystack[p]


def _signature(text: str) -> SignatureStatus | None:
    if not text:
        return None
    try:
        return SignatureStatus(**json.loads(text))
    except (TypeError, ValueError):
        return None


class MessageRows(Sequence[MessageSummary]):
    """Summaries newest first, read from a list index snapshot; each one is decoded when it is asked for.

    Besides the sequence protocol: ``unread`` (a count), ``index_of(id)``, ``replace(summary)`` (a message
    changed on screen, e.g. it was read) and ``matching(text)`` (sender or subject contains it), none of
    which decodes the whole list.
    """

    def __init__(
        self,
        table: Table | _Decoded,
        positions: array | None = None,
        overrides: dict[int, MessageSummary] | None = None,
    ) -> None:
        self._cols = table if isinstance(table, _Decoded) else _Decoded(table)
        self._positions = positions  # None: every row of the table
        self._overrides = overrides if overrides is not None else {}
        self._unread: int | None = None

    def _row(self, i: int) -> int:
        return i if self._positions is None else self._positions[i]

    def __len__(self) -> int:
        return len(self._cols.table) if self._positions is None else len(self._positions)

    @overload
    def __getitem__(self, i: int) -> MessageSummary: ...

    @overload
    def __getitem__(self, i: slice) -> list[MessageSummary]: ...

    def __getitem__(self, i: int | slice) -> MessageSummary | list[MessageSummary]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        if i < 0:
            i += len(self)
        if not 0 <= i < len(self):
            raise IndexError("message row out of range")
        p = self._row(i)
        found = self._overrides.get(p)
        return found if found is not None else self._cols.summary(p)

    def __iter__(self) -> Iterator[MessageSummary]:
        rows = range(len(self._cols.table)) if self._positions is None else self._positions
        overrides = self._overrides
        for p, summary in zip(rows, self._cols.walk(rows), strict=True):
            found = overrides.get(p) if overrides else None
            yield found if found is not None else summary

    @property
    def unread(self) -> int:
        if self._unread is None:
            bits = self._cols.bits
            rows = range(len(bits)) if self._positions is None else self._positions
            unread = sum(1 for p in rows if not bits[p] & SEEN)
            for p, s in self._overrides.items():
                if self._positions is None or _find(self._positions, p) is not None:
                    unread += s.unread - (not bits[p] & SEEN)
            self._unread = unread
        return self._unread

    def index_of(self, message_id: str) -> int | None:
        p = self._cols.table.position(message_id)
        if p is None:
            return None
        if self._positions is None:
            return p
        at = _find(self._positions, p)
        return at

    def replace(self, summary: MessageSummary) -> bool:
        """Show ``summary`` in place of the row with its id (here and in views made by ``matching``)."""
        p = self._cols.table.position(summary.id)
        if p is None:
            return False
        self._overrides[p] = summary
        self._unread = None
        return True

    def all_folders(self) -> list[str]:
        """Every folder holding messages in the list this view comes from (not only in this view)."""
        cols = self._cols
        return sorted(cols.folders[code] for code in set(cols.folder_codes))

    def quarantined(self, inside: bool = True) -> MessageRows:
        """This view's rows the sync quarantined (sender outside the trust space); ``inside=False``: the rest."""
        bits = self._cols.bits
        rows = range(len(bits)) if self._positions is None else self._positions
        keep = array("I", (p for p in rows if bool(bits[p] & QUARANTINE) is inside))
        return MessageRows(self._cols, keep, self._overrides)

    def quarantine_count(self) -> int:
        """Quarantined messages in the whole list this view comes from (not only in this view)."""
        return sum(1 for b in self._cols.bits if b & QUARANTINE)

    def matching(self, text: str) -> MessageRows:
        """The rows whose sender or subject contains ``text`` (case-insensitive)."""
        q = text.strip().lower()
        if not q:
            return self
        look = self._cols.search_text
        rows = range(len(self._cols.table)) if self._positions is None else self._positions
        return MessageRows(self._cols, array("I", (p for p in rows if q in look(p))), self._overrides)


def _find(positions: array, p: int) -> int | None:
    """Where row ``p`` is in ``positions`` (kept in table order, so increasing)."""
    from bisect import bisect_left

    at = bisect_left(positions, p)
    return at if at < len(positions) and positions[at] == p else None
