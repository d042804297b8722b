"""The local message store: metadata in collection ``messages``, raw bytes as encrypted blobs, folder state
(UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ, the UIDs and flags last seen on the server, local flag changes not yet
pushed) in collection ``folders``.

A message id is a hash of account, folder, UIDVALIDITY and UID: fetching the same message twice (a sync
interrupted and resumed) overwrites one record, it never makes a second. Its last ``GROUP_TAIL`` characters
are the same for the ``UID_GROUP`` consecutive UIDs of one folder, and the messages collection places keys
by them: a batch of new messages rewrites a few shards, not one per message. Folders first synced before
ids had that tail (``FolderState.ids == 1``) keep their ids, which the collection places like any key.

Lists come from a list index (``core.store.listindex``): what a list row shows, every message sorted newest
first, in one encrypted file kept in step with the shards. ``rows()`` hands out a sequence that decodes a
summary only when it is read, so a 50,000-message inbox paints without building 50,000 objects.
"""

from __future__ import annotations

import builtins
import contextlib
import datetime as dt
import importlib
import json
import logging
import re
import sys
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, overload

from core.errors import MessageGone

# a folder's state is read without this module (core.mail.nochange); still named from here
from core.mail.folderstate import (
    GROUP_TAIL,
    REFS_MARK,
    ROLES_MARK,
    UID_GROUP,
    folder_key,
    stored_folder_names,
    stored_roles,
    stored_state,
)
from core.mail.folderstate import IDS as IDS
from core.mail.folderstate import FolderState as FolderState
from core.mail.folderstate import message_id_for as message_id_for
from core.model import MessageSummary, SignatureStatus
from core.store.docstore import ShardedCollection
from core.store.listindex import ENUM, INT, TEXT, Column, Layout, ListIndex, Table
from core.text import T

if TYPE_CHECKING:
    import email.message

log = logging.getLogger("missive.store")

SESSION_FLAGS = frozenset({"\\Recent"})
FILED = "$Filed"
SEEN_FLAG = "\\Seen"
CACHED_SHARDS = 4  # shards of message metadata kept in memory (16 by default: about 3 MB of a sync's peak)
REFS_KEPT = 10  # the last ids of a message's references the list keeps (its parent is the last one)


def clean_flags(flags: Iterable[str]) -> list[str]:
    return sorted({f for f in flags if f and f not in SESSION_FLAGS})


@dataclass
class NewMessages:
    """A batch of fetched messages made ready by ``MessageStore.prepare_new``, not yet written."""

    state: FolderState
    docs: dict[str, dict[str, Any]]  # by message id
    flags: dict[int, list[str]]  # by UID, for the folder state
    sealed: Any  # the blobs, encrypted (``BlobStore.seal_many``), or None with ``raws``
    raws: list[bytes] | None
    pending: dict[int, list[str]] = field(default_factory=dict)  # flags set here, for the server


class MessageStore:
    """Messages of every account of a profile. ``profile`` needs ``collection(name)`` and ``blobs``."""

    def __init__(self, profile: Any) -> None:
        self.profile = profile
        self.docs = profile.collection("messages")
        if hasattr(self.docs, "place_by_tail"):
            self.docs.place_by_tail(GROUP_TAIL, shard_size=2 * UID_GROUP)
            # Lists come from the list index, and a message is read by id in its folder's few shards: a
            # sync writing group after group keeps only the last few (each up to 400 messages' metadata)
            self.docs.cached_shards = CACHED_SHARDS
        self.folders = profile.collection("folders")
        self.blobs = profile.blobs
        self._index: ListIndex | None = None
        # the state a sync holds in memory while it reads a folder (``syncing``): flags set here meanwhile go
        # into it too, or its next save (every few batches, at the folder's end) would drop them unsent
        self._live: dict[tuple[str, str], FolderState] = {}

    # ------------------------------------------------------------------ reading
    def rows(
        self, folder: str | None = None, account: str | None = None
    ) -> builtins.list[MessageSummary] | MessageRows:
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

    def folder_list(self) -> builtins.list[str]:
        """The folders holding messages, of every account."""
        index = self._list_index()
        if index is None:
            return sorted({s.folder for s in self._scan(None, None)})
        return MessageRows(index.table()).all_folders()

    def refresh_list_index(self) -> None:
        """Bring the list index in step with the shards now. A sync calls it once it has stored what it
        fetched, so that the next opening of the inbox reads a current index instead of rebuilding it.
        Best effort: the index is a cache, and a failure here only moves the cost to that opening."""
        index = self._list_index()
        if index is None:
            return
        try:
            index.table()
        except Exception as exc:  # noqa: BLE001 - never fails a sync that has stored its messages
            log.warning("list index not refreshed after sync (%s)", type(exc).__name__)

    def refs_done(self) -> bool:
        """Every stored message has its references (``backfill_refs`` has nothing left to do): one read."""
        return self.folders.get(REFS_MARK) is not None

    def backfill_refs(self, limit: int = 5000) -> int:
        """Messages stored before their references were kept (no ``refs`` in their metadata) get them, read
        from their stored header, at most ``limit`` per call; how many were done. Once none is left, a mark
        in the folders collection makes every later call one read. The sync calls it, then the list index
        is refreshed, so conversations reach mail synced by older versions."""
        if self.refs_done():
            return 0
        todo = self.docs.find(lambda d: "refs" not in d) if len(self.folders) else []
        if not todo:
            self.folders.put(REFS_MARK, {"refs": True})
            return 0
        updates: dict[str, dict[str, Any]] = {}
        for key, doc in todo[:limit]:
            refs: list[str] = []
            try:
                raw = self.blobs.get(doc["blob"])
                ends = [i + n for i, n in ((raw.find(b"\r\n\r\n"), 4), (raw.find(b"\n\n"), 2)) if i >= 0]
                refs = summary_of(raw[: min(ends)] if ends else raw).get("refs") or []
            except Exception as exc:  # noqa: BLE001 - a blob that cannot be read: no conversation for it
                log.info("references of message %s not read (%s)", key[:16], type(exc).__name__)
            updates[key] = {**doc, "refs": refs}
        self.docs.put_many(updates)
        log.info("references read again for %d stored messages", len(updates))
        return len(updates)

    def _list_index(self) -> ListIndex | None:
        if self._index is None and hasattr(self.docs, "shard_stamps"):
            self._index = ListIndex(self.docs, LIST_LAYOUT)
        return self._index

    def _scan(self, folder: str | None, account: str | None) -> builtins.list[MessageSummary]:
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
            raise MessageGone(T("mail.messages.message-with-see-missive", message_id=str(message_id)[:40]))
        return doc

    def has(self, message_id: str) -> bool:
        return isinstance(message_id, str) and self.docs.get(message_id) is not None

    def ids_with_message_id(self, header_id: str) -> builtins.list[str]:
        """The store's ids of the messages whose Message-ID header is ``header_id`` (every folder, account)."""
        wanted = " ".join(str(header_id or "").split())
        if not wanted:
            return []
        return sorted(
            k for k, _ in self.docs.find(lambda d: " ".join(str(d.get("message_id") or "").split()) == wanted)
        )

    def get_raw(self, message_id: str) -> bytes:
        return self.blobs.get(self._doc(message_id)["blob"])

    def stored_at(self, message_id: str) -> dt.datetime | None:
        """No earlier than when the message was stored here (its raw copy's file time, missive's clock): for a
        message stored before its metadata kept that time; None when it cannot be told."""
        when = self.blobs.written_at(self._doc(message_id)["blob"])
        return None if when is None else dt.datetime.fromtimestamp(when, dt.UTC)

    def keep_signers(
        self, message_id: str, signers: builtins.list[dict[str, Any]], signature: dict[str, Any]
    ) -> MessageSummary | None:
        """A letter stored before each signer's verdict was kept (no ``signers``) gets them, and the letter's
        verdict ``signature``, written into the metadata as read under the profile's lock (a flag set meanwhile
        stays). The new summary, or None when the letter has its signers already."""
        lock = getattr(self.docs, "lock", None)
        with lock.held() if lock is not None else contextlib.nullcontext():
            doc = self._doc(message_id)
            if "signers" in doc:
                return None
            doc["signers"] = signers
            doc["signature"] = signature
            self.docs.put(message_id, doc)
        return _summary(message_id, doc)

    def repair_summary(self, message_id: str, raw: bytes) -> MessageSummary | None:
        """A letter stored with a blank summary (no sender, recipient, subject, date nor Message-ID: what
        ``summary_of`` keeps when it could not read the header, as an import race did before 72423d4) gets its
        summary read again from its stored bytes ``raw``. Only those fields are written, into the metadata as
        read under the profile's lock, so a flag set meanwhile (here or in another process) stays. The repaired
        summary, or None when the row is not blank or the header still gives nothing."""
        if not _blank_summary(self._doc(message_id)):
            return None
        found = summary_of(raw, attachments=False)
        fields = {k: found[k] for k in _SUMMARY_KEYS if k in found}
        if _blank_summary(fields):
            return None
        lock = getattr(self.docs, "lock", None)
        with lock.held() if lock is not None else contextlib.nullcontext():
            doc = self._doc(message_id)  # as it is now: flags set since the letter was opened are kept
            if not _blank_summary(doc):
                return None
            doc.update(fields)
            self.docs.put(message_id, doc)
        return _summary(message_id, doc)

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
        # a message moved here but not yet on the server still has its UID in the folder it comes from
        lock = getattr(self.folders, "lock", None)  # read and saved again with no other process in between
        with lock.held() if lock is not None else contextlib.nullcontext():
            state = self.folder_state(doc["account"], doc.get("moving_from") or doc["folder"])
            if state.uidvalidity == doc.get("uidvalidity") and doc.get("uid") is not None:
                state.pending = state.pending or {}
                state.pending[int(doc["uid"])] = new
                self.save_state(state)
                live = self._live.get((state.account, state.folder))
                if live is not None and live.uidvalidity == state.uidvalidity and live.pending is not None:
                    live.pending[int(doc["uid"])] = list(new)  # a new list: a push of the one before keeps it
                    # what was just saved, the sync's copy has too: once it sends it, its save drops it
                    live.base = {**(live.base or {}), int(doc["uid"]): list(new)}
        self.docs.put(message_id, doc)

    def add_flags(self, message_id: str, *flags: str) -> None:
        self.set_flags(message_id, set(self._doc(message_id).get("flags", [])) | set(flags))

    def remove_flags(self, message_id: str, *flags: str) -> None:
        self.set_flags(message_id, set(self._doc(message_id).get("flags", [])) - set(flags))

    # ------------------------------------------------------------------ moves (core.mail.mailops)
    def mark_moving(self, message_id: str, folder: str) -> None:
        """List the message in ``folder`` at once; it keeps its id (and UID) until the server has moved it."""
        doc = self._doc(message_id)
        doc.setdefault("moving_from", doc["folder"])
        doc["folder"] = folder
        if doc["moving_from"] == folder:
            del doc["moving_from"]
        self.docs.put(message_id, doc)

    def unmark_moving(self, message_id: str) -> None:
        """The move did not happen: list the message where it is on the server again."""
        doc = self._doc(message_id)
        if "moving_from" in doc:
            doc["folder"] = doc.pop("moving_from")
            self.docs.put(message_id, doc)

    def relocate(self, message_id: str, moved: tuple[int, int] | None) -> str | None:
        """The server moved the message (``mark_moving``) and gave it (UIDVALIDITY, UID) in its new folder:
        keep it there under the id the destination's sync would give it (same blob, same metadata), so that
        sync finds it known. Returns the new id, or None when it is dropped here (the server did not say
        where it went, or that folder's cache is of another UIDVALIDITY: its next sync fetches it)."""
        doc = self._doc(message_id)
        source = doc.pop("moving_from", doc["folder"])
        account, folder, uid = doc["account"], doc["folder"], doc.get("uid")
        state = self.folder_state(account, source)
        dest = self.folder_state(account, folder)
        new_id: str | None = None
        if moved is not None and (not dest.uidvalidity or dest.uidvalidity == moved[0]):
            dest.uidvalidity = moved[0]
            doc.update(uidvalidity=moved[0], uid=moved[1])
            new_id = dest.message_id(moved[1])
            self.docs.put(new_id, doc)
            dest.known()[moved[1]] = list(doc.get("flags") or [])
            self.save_state(dest)
        if uid is not None and state.uidvalidity:
            state.known().pop(int(uid), None)
            (state.pending or {}).pop(int(uid), None)
            self.save_state(state)
        if new_id is None:
            self._delete([message_id])
        else:
            self.docs.delete(message_id)  # its blob now belongs to the new id
        return new_id

    def forget_message(self, message_id: str) -> None:
        """The message was removed for good (expunged on the server): drop it and its UID here."""
        doc = self._doc(message_id)
        state = self.folder_state(doc["account"], doc.get("moving_from") or doc["folder"])
        if doc.get("uid") is not None and state.uidvalidity == doc.get("uidvalidity"):
            state.known().pop(int(doc["uid"]), None)
            (state.pending or {}).pop(int(doc["uid"]), None)
            self.save_state(state)
        self._delete([message_id])

    # ------------------------------------------------------------------ used by the sync engine
    def folder_state(self, account: str, folder: str) -> FolderState:
        return stored_state(self.folders, account, folder)

    def save_state(self, state: FolderState) -> None:
        """Save ``state``, keeping the flags another process (or another copy of the state) set here since it
        was read: the app and the daemon each hold a folder's state for a whole sync round, and the letter
        the doctor opened in the app meanwhile (``set_flags``: waiting for the server in ``pending``) was lost
        with the daemon's save, read here and unread on the server for good. A flag waiting on disk that this
        state did not read is kept; one it read and then sent to the server (gone from its ``pending``) goes."""
        key = folder_key(state.account, state.folder)
        lock = getattr(self.folders, "lock", None)
        with lock.held() if lock is not None else contextlib.nullcontext():
            stored = self.folders.get(key)
            if stored and int(stored.get("uidvalidity") or 0) == state.uidvalidity:
                base = state.base or {}
                for raw, flags in (stored.get("pending") or {}).items():
                    uid = int(raw)
                    mine = (state.pending or {}).get(uid)
                    # set elsewhere after this state was read, and not changed by this state since: the newer
                    # (the letter filed in the app while the daemon's round still holds its \Seen unsent)
                    if base.get(uid) != list(flags) and (mine is None or mine == base.get(uid)):
                        if state.pending is None:
                            state.pending = {}
                        state.pending[uid] = list(flags)
            self.folders.put(key, state.to_json())
            state.base = {uid: list(flags) for uid, flags in (state.pending or {}).items()}

    @contextlib.contextmanager
    def syncing(self, state: FolderState) -> Iterator[FolderState]:
        """While a sync reads a folder with ``state`` in memory: flags set here meanwhile (``set_flags``: a
        letter opened, flagged, filed) go into it as well as into the saved state, so the sync's own saves
        keep them and its push after the fetch sends them (they were dropped unsent: the saved state was
        overwritten by the sync's copy, which did not have them)."""
        if state.pending is None:
            state.pending = {}
        key = (state.account, state.folder)
        self._live[key] = state
        try:
            yield state
        finally:
            if self._live.get(key) is state:
                del self._live[key]

    def folder_roles(self, account: str) -> dict[str, str]:
        """``account``'s folders' SPECIAL-USE roles as its server last listed them: {folder: 'sent'...}."""
        return stored_roles(self.folders, account)

    def set_folder_roles(self, account: str, roles: Mapping[str, str]) -> None:
        """Keep what the server's LIST said of ``account``'s folders (written only when it changed)."""
        if dict(roles) != self.folder_roles(account):
            self.folders.put(folder_key(ROLES_MARK, account), {"roles": dict(roles)})

    def folder_names(self, account: str) -> builtins.list[str]:
        return stored_folder_names(self.folders, account)

    def expect_new(self, count: int) -> None:
        """``count`` new messages are about to be stored (a folder's first sync): a store still empty is
        laid out for them at once rather than split again and again as they come."""
        expect = getattr(self.docs, "expect", None)
        if expect is not None:
            expect(count)

    def store_new(
        self, state: FolderState, items: builtins.list[tuple[int, builtins.list[str], bytes, dict[str, Any]]]
    ) -> builtins.list[str]:
        """Keep fetched messages (uid, flags, raw, extra metadata), then record them in the folder state."""
        return self.store_prepared(self.prepare_new(state, items))

    def prepare_new(
        self,
        state: FolderState,
        items: builtins.list[tuple[int, builtins.list[str], bytes, dict[str, Any]]],
        ids: Sequence[str] | None = None,
    ) -> NewMessages:
        """The CPU half of ``store_new`` (ids, metadata, encryption), for ``store_prepared`` to write.
        ``ids``: the items' ``state.message_id(uid)``, when the caller has made them already (a hash each)."""
        seal_many = getattr(self.blobs, "seal_many", None)
        raws = [raw for _, _, raw, _ in items]
        sealed = seal_many(raws) if seal_many is not None else None
        blob_ids = sealed.ids if sealed is not None else [None] * len(items)
        docs: dict[str, dict[str, Any]] = {}
        flags_of: dict[int, list[str]] = {}
        pending: dict[int, list[str]] = {}
        if ids is None:
            ids = [state.message_id(uid) for uid, _, _, _ in items]
        local = state.pending or {}
        for blob, mid, (uid, flags, raw, extra) in zip(blob_ids, ids, items, strict=True):
            flags = clean_flags(flags)
            flags_of[uid] = flags  # what the server has
            if uid in local:
                # stored before a hard crash, flagged here, fetched again: the doctor's flags, not the
                # server's copy; they stay pending and the sync pushes them
                flags = clean_flags(local[uid])
                pending[uid] = flags
            extra = dict(extra)
            if extra.pop("filed", False) and FILED not in flags:
                # the hook filed a document of this message: $Filed here, and to the server at the push
                flags = clean_flags([*flags, FILED])
                pending[uid] = flags
            if extra.pop("seen", False) and SEEN_FLAG not in flags:
                # the hook read it for the doctor (a report that her letter arrived): read here and there
                flags = clean_flags([*flags, SEEN_FLAG])
                pending[uid] = flags
            doc: dict[str, Any] = {
                "account": state.account,
                "folder": state.folder,
                "uidvalidity": state.uidvalidity,
                "uid": uid,
                "size": len(raw),
                "flags": flags,
                "filed": FILED in flags,
                "blob": blob,
            }
            doc.update(extra)
            docs[mid] = doc
        return NewMessages(state, docs, flags_of, sealed, None if sealed is not None else raws, pending)

    def store_prepared(self, new: NewMessages, save_state: bool = True) -> builtins.list[str]:
        """Write a batch made by ``prepare_new``; its message ids.

        In this order, each step durable before the next: the raw messages, their metadata (one write, all
        or nothing), the folder state. A crash in between leaves unused blobs, never a message without its
        blob or a state naming a message not stored (it is fetched again, under the same id).
        ``save_state=False``: the state is updated in memory only, for the caller to save later (the sync
        saves it every few batches): until then it names fewer messages than are stored, never more.
        """
        # the letters these replace (stored before a crash, then fetched again): their blobs go once the
        # state is saved; the sharded collection says which while it writes, any other is asked first
        former: dict[str, dict[str, Any]] = {}
        tells = isinstance(self.docs, ShardedCollection)
        if not tells:
            former = self._docs_of(list(new.docs))
        if new.sealed is not None:
            self.blobs.put_sealed(new.sealed)
        else:
            for doc, raw in zip(new.docs.values(), new.raws or [], strict=True):
                doc["blob"] = self.blobs.put(raw)
        if tells:
            self.docs.put_many(new.docs, former=former)
        else:
            self.docs.put_many(new.docs)
        stale_blobs = [old["blob"] for old in former.values() if old.get("blob")]
        state = new.state
        state.known().update(new.flags)
        if new.pending:
            if state.pending is None:
                state.pending = {}
            state.pending.update(new.pending)  # in place: ``set_flags`` may add to it meanwhile (``syncing``)
        if save_state:
            self.save_state(state)
        self._delete_blobs(stale_blobs)
        return list(new.docs)

    def apply_server_flags(self, state: FolderState, changes: Mapping[int, Iterable[str]]) -> int:
        """Flags changed on the server (not overriding local changes still pending)."""
        docs: dict[str, dict[str, Any]] = {}
        for uid, flags in changes.items():
            flags = clean_flags(flags)
            if state.uids is not None and uid in state.uids:
                state.uids[uid] = flags
            if state.pending and uid in state.pending:
                continue
            mid = state.message_id(uid)
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
        uids = list(uids)
        for uid in uids:
            ids.append(state.message_id(uid))
            if state.pending:
                state.pending.pop(uid, None)
        state.known().discard_many(uids)
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
        self.folders.delete(folder_key(ROLES_MARK, account))
        return count

    def _docs_of(self, ids: builtins.list[str]) -> dict[str, dict[str, Any]]:
        get_many = getattr(self.docs, "get_many", None)
        if get_many is not None:
            return get_many(ids)
        return {mid: doc for mid in ids if (doc := self.docs.get(mid)) is not None}

    def _delete(self, ids: builtins.list[str]) -> int:
        blobs = [doc["blob"] for doc in self._docs_of(ids).values() if doc.get("blob")]
        count = self.docs.delete_many(ids)
        self._delete_blobs(blobs)
        return count

    def _delete_blobs(self, blobs: builtins.list[str]) -> None:
        if not blobs:
            return
        delete_many = getattr(self.blobs, "delete_many", None)
        if delete_many is not None:
            delete_many(blobs)
        else:
            for blob in blobs:
                self.blobs.delete(blob)


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
    signature = SignatureStatus.from_json(sig) if isinstance(sig, dict) else None
    return MessageSummary(
        id=key,
        account=d.get("account", ""),
        folder=d.get("folder", ""),
        uid=d.get("uid"),
        message_id=d.get("message_id", ""),
        sender=d.get("from", ""),
        to=tuple(d.get("to") or ()),
        subject=_shown_subject(d.get("subject", "")),
        date=date,
        flags=tuple(d.get("flags") or ()),
        size=int(d.get("size") or 0),
        encrypted=bool(d.get("encrypted")),
        signed=bool(d.get("signed")),
        signature=signature,
        has_attachments=bool(d.get("has_attachments")),
        abnormal=bool(d.get("abnormal")),
        filed=bool(d.get("filed")),
        critical=bool(d.get("critical")),
        references=_refs(d),
        too_big=bool(d.get("too_big")),
    )


_SUMMARY_KEYS = ("message_id", "from", "to", "subject", "date", "refs")  # what summary_of's fallback blanks


def _blank_summary(d: Mapping[str, Any]) -> bool:
    """The summary fields of ``d`` say nothing: no Message-ID, sender, recipient, subject nor date."""
    return not any(d.get(k) for k in ("message_id", "from", "to", "subject", "date"))


def _refs(d: Mapping[str, Any]) -> tuple[str, ...]:
    refs = d.get("refs") or ()
    return tuple(str(r) for r in refs[-REFS_KEPT:]) if isinstance(refs, list | tuple) else ()


def _shown_subject(subject: str) -> str:
    from core.mail.mime import shown_subject

    return shown_subject(subject)


def _module(name: str) -> Any:
    """The module ``name``, imported on first use: a sync's summary asked for core.mail.mime four times a
    letter, and an import statement of a module already loaded costs 0.6 us where this costs 0.1.

    A module another thread is still importing is in ``sys.modules`` already, without its names yet: that one
    is asked of the import system, which waits for the other thread (two accounts' syncs in the app's threads
    stored a letter read while fastmime was half imported with no sender, subject or date, for good)."""
    module = sys.modules.get(name)
    if module is None or getattr(module.__spec__, "_initializing", False):
        return importlib.import_module(name)
    return module


def summary_of(raw: bytes, attachments: bool = True) -> dict[str, Any]:
    """Header metadata for a new message (``mime.summary_fields``); an unreadable header still gets a record.

    A first sync reads thousands of headers: the common ones (ASCII, well formed) are read here, several
    times faster than through the email parser, into what the parser would build, then given to the same
    readers as ``summary_fields``; anything else goes to ``summary_fields`` itself. A test holds the two equal.
    The header comes from ``fastmime.scan`` when it reads the message: the sync hook scans the same bytes
    next, and is then given that reading again rather than parsing the header a second time.
    ``attachments=False``: without ``has_attachments`` (for a caller that learns it otherwise: the sync's
    hook), which spares a search of the whole letter.
    """
    fastmime = _module("core.mail.fastmime")
    mime = _module("core.mail.mime")

    try:
        scanned = fastmime.scan(raw)
        if scanned is not None:
            return _summary_from(scanned.header, raw, attachments)
        found = _summary_fast(raw) or mime.summary_fields(raw)
        if not attachments:
            found.pop("has_attachments", None)
        return found
    except Exception as exc:  # noqa: BLE001 - one broken message must not stop a sync
        log.warning(
            "a letter's header could not be read (%s): listed without sender or subject", type(exc).__name__
        )
        return {"message_id": "", "from": "", "to": [], "subject": "", "date": None, "refs": []}


# the header lines the email parser accepts (email.feedparser.headerRE), and the fields the summary reads
_HEADER_LINE = re.compile(r"(From |[\041-\071\073-\176]*:|[\t ])")
_SUMMARY_FIELDS = frozenset(
    {"message-id", "from", "to", "subject", "date", "content-type", "references", "in-reply-to"}
)
_ATOMS = r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*"
# ``addr@domain`` or ``Plain Name <addr@domain>``: what getaddresses reads as that one address
_SIMPLE_ADDRESS = re.compile(rf"[ \t]*(?:({_ATOMS}@{_ATOMS})|[A-Za-z0-9 ._-]*<({_ATOMS}@{_ATOMS})>)[ \t]*")
_FILENAME = re.compile(rb'filename\*?=\s*"?([^";\r\n]*)')  # on lower-cased bytes; see _names_a_file
_SMIME_FILES = (b"smime.p7s", b"smime.p7m", b"smime.p7z")


def _summary_fast(raw: bytes) -> dict[str, Any] | None:
    """``mime.summary_fields(raw)`` for an ASCII header the email parser reads without a defect; else None."""
    from email.message import Message

    if not isinstance(raw, bytes):
        return None
    crlf = raw.find(b"\r\n\r\n")
    lf = raw.find(b"\n\n", 0, crlf + 3) if crlf >= 0 else raw.find(b"\n\n")  # the first of the two ends
    ends = [e for e in (crlf + 4 if crlf >= 0 else -1, lf + 2 if lf >= 0 else -1) if e >= 0]
    head = raw[: min(ends)] if ends else raw
    if not head.isascii() or head.count(b"\r") != head.count(b"\r\n"):
        return None  # 8-bit text or a lone CR: the parser's own reading
    msg = Message()
    fields: list[list[str]] = []  # the lines of each field, as the parser groups them
    parts = head.decode("ascii").split("\n")
    lines = [part + "\n" for part in parts[:-1]] + ([parts[-1]] if parts[-1] else [])
    for line in lines:
        if line in ("\r\n", "\n"):
            break  # the blank line that ends the header
        if not _HEADER_LINE.match(line) or line.startswith(("From ", ":")):
            return None  # what the parser takes for the body, an envelope line, a field without a name
        if line[0] in " \t":
            if not fields:
                return None
            fields[-1].append(line)
        else:
            fields.append([line])
    for source in fields:
        name, value = source[0].split(":", 1)
        if name.lower() in _SUMMARY_FIELDS:  # compat32's header_source_parse
            msg.set_raw(name, (value.lstrip(" \t") + "".join(source[1:])).rstrip("\r\n"))
    return _summary_from(msg, raw)


def _summary_from(msg: email.message.Message, raw: bytes, attachments: bool = True) -> dict[str, Any]:
    """``mime.summary_fields(raw)`` from ``msg``, the parser's reading of ``raw``'s header (or of its summary
    fields: nothing else is read); without ``has_attachments`` when ``attachments`` is False."""
    mime = _module("core.mail.mime")

    encrypted, signed = mime.security_of(msg)
    found = {
        "message_id": mime._header(msg, "Message-ID"),
        "from": (_addresses(msg, "From") or ("",))[0] or mime._decoded(msg, "From"),
        "to": list(_addresses(msg, "To")),
        "subject": mime.shown_subject(mime._decoded(msg, "Subject")),
        "date": _date_text(msg),
        "encrypted": encrypted,
        "signed": signed,
        "refs": mime.thread_references(msg),
    }
    if attachments:
        found["has_attachments"] = (
            not encrypted and msg.get_content_maintype() == "multipart" and _names_a_file(raw)
        )
    return found


_MONTHS = {m: n for n, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), 1)}
# RFC 5322's usual date: [day name, ] day month 4-digit-year hh:mm[:ss] +hhmm
_RFC_DATE = re.compile(
    r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
    r"([1-9]\d{3}) ([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))? ([+-])([01]\d|2[0-3])([0-5]\d)"
)


def _date_text(msg: email.message.Message) -> str | None:
    """``mime._date(msg)`` as ISO text (None: no date, or one that does not read); the usual form is read
    with one pattern, anything else by the email package (``parsedate_to_datetime``, 4 us a letter)."""
    mime = _module("core.mail.mime")

    text = mime._header(msg, "Date")
    m = _RFC_DATE.fullmatch(text)
    if m is None:
        date = mime._date(msg)
        return date.isoformat() if date else None
    day, month, year, hour, minute, second, sign, tz_hours, tz_minutes = m.groups()
    number = _MONTHS[month]
    try:
        dt.date(int(year), number, int(day))
    except ValueError:  # 31 February: the email package says no date either
        return None
    # what datetime.isoformat() writes (the pattern took two digits for the time and the zone, four for the
    # year), without building the datetime and its zone: 4.4 -> 2 us a letter
    zone = "+00:00" if tz_hours == "00" and tz_minutes == "00" else f"{sign}{tz_hours}:{tz_minutes}"
    return f"{year}-{number:02d}-{int(day):02d}T{hour}:{minute}:{second or '00'}{zone}"


def _addresses(msg: Any, name: str) -> tuple[str, ...]:
    """``mime._addresses``, with plain single addresses read without the address parser."""
    found = []
    for value in msg.get_all(name) or ():
        m = _SIMPLE_ADDRESS.fullmatch(value)
        if m is None:
            from core.mail import mime

            return mime._addresses(msg, name)
        found.append(m.group(1) or m.group(2))
    return tuple(found)


def _names_a_file(raw: bytes) -> bool:
    """``mime._names_a_file``: its case-blind ``\\bfilename`` pattern scans 100 KB in 0.7 ms, this in 0.1."""
    low = raw.lower()
    pos = 0
    while (m := _FILENAME.search(low, pos)) is not None:
        start = m.start()
        if start and (low[start - 1 : start].isalnum() or low[start - 1] == 0x5F):
            pos = start + 1  # not at a word boundary: no match here, the next may start inside this one
            continue
        if m.group(1).strip() not in _SMIME_FILES:
            return True
        pos = m.end()
    return False


# -- the list index ----------------------------------------------------------------------------------------
ENCRYPTED, SIGNED, ATTACHMENTS, ABNORMAL, FILED_BIT, SEEN = 1, 2, 4, 8, 16, 32
QUARANTINE = 64  # the sync hook set trust "quarantine" (sender outside the trust space): shown apart
CRITICAL = 128  # a document of the message holds a critical result (HH, LL, AA, "critique")
TOO_BIG = 256  # over the account's size limit: only its headers were downloaded
NO_DATE = -(2**62)
# A row's date is not kept as its ISO text (25 bytes and a 4-byte offset a row: 0.29 MB of a 10,000-message
# list, 1.45 MB at 50,000) but given back from ``order`` (microseconds since 1970, UTC) and its zone, an enum
# column of a few values (one byte a row): the date's UTC offset in microseconds, _NAIVE for a date written
# without a zone (read as UTC for its order, given back without one), "" for no date.
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_EPOCH_WALL = dt.datetime(1970, 1, 1)
_MICROSECOND = dt.timedelta(microseconds=1)
_NAIVE = "naive"
_SEP = "\x1f"
_fromiso = dt.datetime.fromisoformat
_BITS = [
    (bool(b & ENCRYPTED), bool(b & SIGNED), bool(b & ATTACHMENTS), bool(b & ABNORMAL), bool(b & FILED_BIT))
    for b in range(32)
]


def _list_row(key: str, d: Mapping[str, Any]) -> tuple[Any, ...]:
    """What a list row needs from one message's metadata (the same reading as ``_summary``)."""
    get = d.get
    order, zone = NO_DATE, ""
    if when := get("date"):
        try:
            date = _fromiso(when)
            offset = date.utcoffset()
            aware = date if offset is not None else date.replace(tzinfo=dt.UTC)
            order = (aware - _EPOCH) // _MICROSECOND
            zone = _NAIVE if offset is None else str(offset // _MICROSECOND)
        except (TypeError, ValueError, OverflowError):
            pass
    flags = get("flags") or ()
    if flags and not all(type(f) is str for f in flags):
        flags = [str(f) for f in flags]
    bits = (
        (ENCRYPTED if get("encrypted") else 0)
        | (SIGNED if get("signed") else 0)
        | (ATTACHMENTS if get("has_attachments") else 0)
        | (ABNORMAL if get("abnormal") else 0)
        | (FILED_BIT if get("filed") else 0)
        | (SEEN if "\\Seen" in flags else 0)
        | (QUARANTINE if get("trust") == "quarantine" else 0)
        | (CRITICAL if get("critical") else 0)
        | (TOO_BIG if get("too_big") else 0)
    )
    sig, uid, to = get("signature"), get("uid"), get("to") or ()
    mid_head, mid_domain = _halves(str(get("message_id") or ""))
    sender_head, sender_domain = _halves(str(get("from") or ""))
    return (
        order,
        uid if type(uid) is int and uid >= 0 else -1,
        int(get("size") or 0),
        bits,
        str(get("account") or ""),
        str(get("folder") or ""),
        mid_head,
        sender_head,
        str(get("subject") or ""),
        _SEP.join(to if all(type(a) is str for a in to) else map(str, to)),
        zone,
        _SEP.join(flags) if flags else "",
        json.dumps(sig, sort_keys=True) if isinstance(sig, dict) else "",
        " ".join(_refs(d)) if get("refs") else "",
        mid_domain,
        sender_domain,
    )


def _halves(text: str) -> tuple[str, str]:
    """``text`` cut before its last '@': the domain's half ('' without one) goes to an enum column."""
    at = text.rfind("@")
    if at < 0:
        return text, ""
    return text[:at], text[at:].replace("\0", "\ufffd")  # as a text column holds a NUL


class _Halves:
    """A text column held as two: the text before its last '@' (a text column) and the rest (an enum column).
    The domains of senders and Message-IDs repeat from letter to letter: stored once, 1-2 bytes a row instead
    of some 20 (0.4 MB of a 10,000-message list for the two columns)."""

    __slots__ = ("heads", "codes", "domains")

    def __init__(self, heads: Any, codes: array[int], domains: list[str]) -> None:
        self.heads, self.codes, self.domains = heads, codes, domains

    def get(self, i: int) -> str:
        return self.heads.get(i) + self.domains[self.codes[i]]

    def all(self) -> list[str]:
        domains = self.domains
        return [head + domains[code] for head, code in zip(self.heads.all(), self.codes, strict=True)]


LIST_LAYOUT = Layout(
    name="list",
    version=5,  # 3: the references (conversations); 4: the date's zone instead of its text; 5: domains apart
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
        Column("zone", ENUM),
        Column("flags", ENUM),
        Column("signature", ENUM),
        Column("refs", TEXT),
        Column("message_id_at", ENUM),  # from the last '@' on; "message_id" holds the text before it
        Column("sender_at", ENUM),  # the same for "sender"
    ),
    sort=("order", "uid"),
    project=_list_row,
)


def _intersect(a: array[int], b: array[int]) -> array[int]:
    keep = set(b)
    return array(a.typecode, (p for p in a if p in keep))


class _Decoded:
    """A table's columns, and its enum values decoded once, shared by every view of that table."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.keys = table.keys
        self.order, self.uid, self.size, self.bits = (table.ints(n) for n in ("order", "uid", "size", "bits"))
        self.subject, self.refs = table.texts("subject"), table.texts("refs")
        self.message_id, self.sender = (
            _Halves(table.texts(n), table.codes(f"{n}_at"), table.enum_values(f"{n}_at"))
            for n in ("message_id", "sender")
        )
        self.account_codes, self.folder_codes, self.to_codes, self.flag_codes, self.sig_codes = (
            table.codes(n) for n in ("account", "folder", "to", "flags", "signature")
        )
        self.zone_codes = table.codes("zone")
        self.zone_bases = [_zone_base(v) for v in table.enum_values("zone")]
        self.accounts = table.enum_values("account")
        self.folders = table.enum_values("folder")
        self.tos = [tuple(v.split(_SEP)) if v else () for v in table.enum_values("to")]
        self.flags = [tuple(v.split(_SEP)) if v else () for v in table.enum_values("flags")]
        self.signatures = [_signature(v) for v in table.enum_values("signature")]
        self.haystack: list[str] | None = None
        self.sort_keys: dict[str, list[str]] = {}

    def summary(self, p: int) -> MessageSummary:
        texts = (self.keys, self.message_id, self.sender, self.subject, self.refs)
        return next(self._walk([p], *({p: t.get(p)} for t in texts)))

    def walk(self, positions: Iterable[int]) -> Iterator[MessageSummary]:
        """Summaries of many rows: each text column decoded in one pass instead of row by row."""
        texts = (self.keys, self.message_id, self.sender, self.subject, self.refs)
        return self._walk(positions, *(t.all() for t in texts))

    def sort_key(self, order: str) -> list[str]:
        """Every row's key for ``order`` (sender: the address or name folded; subject: without its reply
        and forward prefixes, folded), made once per table."""
        keys = self.sort_keys.get(order)
        if keys is None:
            keys = self.sort_keys[order] = [
                sort_text(order, text) for text in (self.sender if order == "sender" else self.subject).all()
            ]
        return keys

    def _walk(
        self,
        positions: Iterable[int],
        keys: Sequence[str] | Mapping[int, str],
        mids: Sequence[str] | Mapping[int, str],
        senders: Sequence[str] | Mapping[int, str],
        subjects: Sequence[str] | Mapping[int, str],
        refs: Sequence[str] | Mapping[int, str],
    ) -> Iterator[MessageSummary]:
        # Built the way copy and pickle build objects (no __init__): a frozen dataclass's __init__ costs
        # 2.5 us a row, paid on screen by any pass over a 50,000-message list. A test checks the fields.
        new, set_dict, micro, cls = object.__new__, object.__setattr__, dt.timedelta, MessageSummary
        bits_of, uids, sizes, orders = self.bits, self.uid, self.size, self.order
        bases, zone_codes = self.zone_bases, self.zone_codes
        accounts, account_codes = self.accounts, self.account_codes
        folders, folder_codes = self.folders, self.folder_codes
        tos, to_codes = self.tos, self.to_codes
        flags, flag_codes = self.flags, self.flag_codes
        signatures, sig_codes = self.signatures, self.sig_codes
        for p in positions:
            bits = bits_of[p]
            encrypted, signed, attachments, abnormal, filed = _BITS[bits & 31]
            uid = uids[p]
            # 1970-01-01 UTC as a wall clock in the date's own zone, plus the order: the date fromisoformat gave
            # from its text, with its zone (1.3 us a row, paid only by a walk over the whole list)
            base = bases[zone_codes[p]]
            date = None if base is None else base + micro(0, 0, orders[p])
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
                    "date": date,
                    "flags": flags[flag_codes[p]],
                    "size": sizes[p],
                    "encrypted": encrypted,
                    "signed": signed,
                    "signature": signatures[sig_codes[p]],
                    "has_attachments": attachments,
                    "abnormal": abnormal,
                    "filed": filed,
                    "critical": bool(bits & CRITICAL),
                    "references": tuple(refs[p].split()) if refs[p] else (),
                    "too_big": bool(bits & TOO_BIG),
                },
            )
            yield summary

    def search_text(self, p: int) -> str:
        if self.haystack is None:
            from core.clinical.search import searchable

            self.haystack = [
                searchable(f"{self.sender.get(i)} {self.subject.get(i)}") for i in range(len(self.table))
            ]
        return self.haystack[p]


def _zone_base(text: str) -> dt.datetime | None:
    """For the dates of a ``zone`` value: 1970-01-01 00:00 UTC as a wall clock in their zone, with that zone
    (naive for _NAIVE), to which a row's order is added; None for rows without a date."""
    if text == _NAIVE:
        return _EPOCH_WALL
    try:
        offset = int(text) * _MICROSECOND
    except ValueError:  # "" (no date)
        return None
    return (_EPOCH_WALL + offset).replace(tzinfo=dt.timezone(offset))


def _signature(text: str) -> SignatureStatus | None:
    if not text:
        return None
    try:
        return SignatureStatus.from_json(json.loads(text))
    except (TypeError, ValueError, AttributeError):
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
        positions: array[int] | None = None,
        overrides: dict[int, MessageSummary] | None = None,
        *,
        ordered: bool = True,
        marks: dict[int, str] | None = None,
    ) -> None:
        self._cols = table if isinstance(table, _Decoded) else _Decoded(table)
        self._positions = positions  # None: every row of the table
        self._overrides = overrides if overrides is not None else {}
        self._unread: int | None = None
        self._ordered = ordered  # positions in the table's order (newest first): found by bisection
        self._marks = marks  # a conversation view: table row -> its tree mark ('' for a conversation's top)

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
                if self._at(p) is not None:
                    unread += s.unread - (not bits[p] & SEEN)
            self._unread = unread
        return self._unread

    def index_of(self, message_id: str) -> int | None:
        p = self._cols.table.position(message_id)
        if p is None:
            return None
        return self._at(p)

    def _at(self, p: int) -> int | None:
        """Where table row ``p`` is in this view."""
        if self._positions is None:
            return p
        if self._ordered:
            return _find(self._positions, p)
        try:
            return self._positions.index(p)
        except ValueError:
            return None

    def replace(self, summary: MessageSummary) -> bool:
        """Show ``summary`` in place of the row with its id (here and in views made by ``matching``)."""
        p = self._cols.table.position(summary.id)
        if p is None:
            return False
        self._overrides[p] = summary
        self._unread = None
        return True

    def account_folders(self) -> set[tuple[str, str]]:
        """Every (account, folder) holding messages in the list this view comes from."""
        cols = self._cols
        pairs = set(zip(cols.account_codes, cols.folder_codes, strict=True))
        return {(cols.accounts[a], cols.folders[f]) for a, f in pairs}

    def correspondents(self) -> Counter[str]:
        """How many of this view's letters each From and To text appears on ("Name <address>" as stored),
        read from the columns without decoding a summary per row."""
        cols = self._cols
        rows = range(len(cols.table)) if self._positions is None else self._positions
        senders = cols.sender.all()
        seen: Counter[str] = Counter(senders[p] for p in rows)
        for code, n in Counter(cols.to_codes[p] for p in rows).items():
            for text in cols.tos[code]:
                seen[text] += n
        return seen

    def all_folders(self) -> list[str]:
        """Every folder holding messages in the list this view comes from (not only in this view)."""
        cols = self._cols
        return sorted(cols.folders[code] for code in set(cols.folder_codes))

    def quarantined(self, inside: bool = True) -> MessageRows:
        """This view's rows the sync quarantined (sender outside the trust space); ``inside=False``: the rest."""
        bits = self._cols.bits
        rows = range(len(bits)) if self._positions is None else self._positions
        keep = array("I", (p for p in rows if bool(bits[p] & QUARANTINE) is inside))
        return MessageRows(self._cols, keep, self._overrides, ordered=self._ordered, marks=self._marks)

    def outside(self, folders: Collection[str]) -> MessageRows:
        """This view's rows whose folder is none of ``folders``."""
        cols = self._cols
        codes = {i for i, name in enumerate(cols.folders) if name in folders}
        if not codes:
            return self
        rows = range(len(cols.bits)) if self._positions is None else self._positions
        keep = array("I", (p for p in rows if cols.folder_codes[p] not in codes))
        return MessageRows(cols, keep, self._overrides, ordered=self._ordered, marks=self._marks)

    def quarantine_count(self) -> int:
        """Quarantined messages in the whole list this view comes from (not only in this view)."""
        return sum(1 for b in self._cols.bits if b & QUARANTINE)

    def matching(self, text: str, message_ids: Collection[str] = ()) -> MessageRows:
        """The rows whose sender or subject matches ``text`` (core.clinical.search: blind to case, accents
        and punctuation), or whose Message-ID is one of ``message_ids`` (found by the patient's name)."""
        from core.clinical.search import matches, query_terms

        terms = query_terms(text)
        if not terms:
            return self
        look, mid = self._cols.search_text, self._cols.message_id.get
        rows = range(len(self._cols.table)) if self._positions is None else self._positions
        found = (p for p in rows if matches(terms, look(p)) or (message_ids and mid(p) in message_ids))
        # in a conversation view the order is kept, the tree marks not (parents may be filtered out)
        return MessageRows(self._cols, array("I", found), self._overrides, ordered=self._ordered)

    def sorted_by(self, order: str) -> MessageRows:
        """This view's rows in ``order`` (``core.model.SORTS``): date newest first; sender or subject A to Z, each
        sender's or subject's messages newest first. A flat list (no conversations)."""
        rows = range(len(self._cols.table)) if self._positions is None else self._positions
        if order not in ("sender", "subject"):
            if self._ordered and self._marks is None:
                return self
            return MessageRows(self._cols, array("I", sorted(rows)), self._overrides)
        keys = self._cols.sort_key(order)
        ranked = array("I", sorted(rows, key=lambda p: (keys[p], p)))
        return MessageRows(self._cols, ranked, self._overrides, ordered=False)

    def threaded(self) -> MessageRows:
        """This view's rows conversation by conversation (``core.mail.threads``): each conversation where
        its first row is in this view's order, its replies under their parent with a tree mark."""
        from core.mail.threads import ThreadItem, thread

        cols = self._cols
        rows = list(range(len(cols.table)) if self._positions is None else self._positions)
        mids, subjects, refs, order = cols.message_id.all(), cols.subject.all(), cols.refs.all(), cols.order
        items = [ThreadItem(mids[p], tuple(refs[p].split()), subjects[p], order[p]) for p in rows]
        shown = thread(items)
        positions = array("I", (rows[i] for i, _ in shown))
        marks = {rows[i]: mark for i, mark in shown if mark}
        return MessageRows(cols, positions, self._overrides, ordered=False, marks=marks)

    @property
    def conversations(self) -> bool:
        """Whether this view is by conversation."""
        return self._marks is not None

    def thread_mark(self, i: int) -> str:
        """Row ``i``'s tree mark in a conversation view ('' for a conversation's top, or a flat list)."""
        return self._marks.get(self._row(i), "") if self._marks else ""


def sort_text(order: str, text: str) -> str:
    """What a list sorts on for ``order``: the text folded (case and accents), a subject without its reply
    and forward prefixes."""
    from core.mail.threads import base_subject

    if order == "subject":
        return base_subject(text)[0]
    return _fold_words(text)


def _fold_words(text: str) -> str:
    from core.clinical.identity import fold

    return " ".join(fold(text).split())


def _find(positions: array[int], p: int) -> int | None:
    """Where row ``p`` is in ``positions`` (kept in table order, so increasing)."""
    from bisect import bisect_left

    at = bisect_left(positions, p)
    return at if at < len(positions) and positions[at] == p else None


class SummaryList(list[MessageSummary]):
    """A list of summaries with the same extras as ``MessageRows``, for stores without a list index."""

    @property
    def unread(self) -> int:
        return sum(1 for s in self if s.unread)

    def index_of(self, message_id: str) -> int | None:
        return next((i for i, s in enumerate(self) if s.id == message_id), None)

    def replace(self, summary: MessageSummary) -> bool:
        at = self.index_of(summary.id)
        if at is None:
            return False
        self[at] = summary
        return True

    def account_folders(self) -> set[tuple[str, str]]:
        """As ``MessageRows.account_folders``."""
        return {(s.account, s.folder) for s in self}

    def correspondents(self) -> Counter[str]:
        """As ``MessageRows.correspondents``: letters per From and To text."""
        seen: Counter[str] = Counter()
        for s in self:
            seen.update((s.sender, *s.to))
        return seen

    def matching(self, text: str, message_ids: Collection[str] = ()) -> SummaryList:
        """As ``MessageRows.matching``: the core's search rule on sender and subject, or the Message-ID."""
        from core.clinical.search import matches, query_terms, searchable

        terms = query_terms(text)
        if not terms:
            return self
        return SummaryList(
            s
            for s in self
            if matches(terms, searchable(f"{s.sender} {s.subject}")) or s.message_id in message_ids
        )

    def sorted_by(self, order: str) -> SummaryList:
        """As ``MessageRows.sorted_by``: the same keys, on the summaries."""
        newest = sorted(
            self, key=lambda m: (_when(m.date), -1 if m.uid is None else m.uid, m.id), reverse=True
        )
        if order in ("sender", "subject"):
            newest.sort(key=lambda m: sort_text(order, m.sender if order == "sender" else m.subject))
        return SummaryList(newest)

    def threaded(self) -> SummaryList:
        """As ``MessageRows.threaded``: the same conversations, from the summaries' references."""
        from core.mail.threads import ThreadItem, thread

        items = [
            ThreadItem(s.message_id, s.references, s.subject, int(_when(s.date).timestamp() * 1e6))
            for s in self
        ]
        shown = thread(items)
        out = SummaryList(self[i] for i, _ in shown)
        out._marks = [mark for _, mark in shown]
        return out

    _marks: list[str] | None = None

    @property
    def conversations(self) -> bool:
        return self._marks is not None

    def thread_mark(self, i: int) -> str:
        return self._marks[i] if self._marks is not None and 0 <= i < len(self._marks) else ""
