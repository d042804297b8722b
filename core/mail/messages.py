"""The local message store: metadata in collection ``messages``, raw bytes as encrypted blobs, folder state
(UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the UIDs and flags last seen on the server, local flag changes not yet
pushed) in collection ``folders``.

A message id is a hash of account, folder, UIDVALIDITY and UID: fetching the same message twice (a sync
interrupted and resumed) overwrites one record, it never makes a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.errors import NotFound
from core.mail import mime
from core.model import MessageSummary, SignatureStatus

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

    # ------------------------------------------------------------------ reading
    def list(self, folder: str | None = None, account: str | None = None) -> list[MessageSummary]:
        """Summaries, newest first, optionally of one folder and/or account."""
        found = self.docs.find(
            lambda d: (
                (folder is None or d.get("folder") == folder)
                and (account is None or d.get("account") == account)
            )
        )
        out = [_summary(key, doc) for key, doc in found]
        out.sort(key=lambda m: (m.date or dt.datetime.min.replace(tzinfo=dt.UTC), m.uid or 0), reverse=True)
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
    try:
        return mime.summary_fields(raw)
    except Exception:  # noqa: BLE001 - one broken message must not stop a sync
        return {"message_id": "", "from": "", "to": [], "subject": "", "date": None}
