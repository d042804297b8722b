"""What the doctor does to a message on the server and in the encrypted copy together: read/unread, flag,
move to a folder, archive, delete (to the Trash; from the Trash, for good).

The copy here changes at once; the server is told right away when it can be reached. Moves and removals are
kept first as operations in the store (collection ``mailops``), written before anything else is done, and
each is removed only once done: when the server is out of reach, the operation waits there and the next sync
replays it before it reads any folder (``replay``, the sync engine's ``before_sync``). An operation is never
applied twice: before moving or removing, the replay checks that the message is still in its folder under its
UID; if it is gone (moved already, by us before a crash or by someone else), the copy here is dropped and the
destination's sync brings it back where it is.

A moved message keeps its id while the move waits (``MessageStore.mark_moving``); once moved it takes the id
the destination's sync would give it (the UID from the server's COPYUID), so that sync never fetches it twice.
Flags go through ``MessageStore.set_flags`` (kept until pushed, like every local flag change), and are pushed
at once when the server answers; flags waiting for a message about to move are pushed before it moves, so
they travel with it ($Filed included).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from core.errors import BadInput, ServerRefused, TransportError
from core.frozen import Frozen, fill
from core.mail.account import Account
from core.mail.imapwire import FolderStatus
from core.mail.messages import MessageStore
from core.text import T

log = logging.getLogger("missive.mailops")

TRASH, ARCHIVE = "trash", "archive"
# where a folder of that role is found when the server does not say (no SPECIAL-USE, a Maildir, offline)
ROLE_NAMES = {
    TRASH: ("Trash", "Corbeille", "INBOX.Trash", "INBOX/Trash", "Deleted Items", "Deleted Messages"),
    ARCHIVE: ("Archive", "Archives", "INBOX.Archive", "INBOX/Archive"),
}
ROLE_DEFAULT = {TRASH: "Trash", ARCHIVE: "Archive"}  # created with that name when the account has none


class OpsSource(Protocol):
    """What the operations need from a mailbox (``ImapClient`` and ``MaildirSource``)."""

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def folders(self) -> list[str]: ...
    async def select(self, folder: str) -> FolderStatus: ...
    async def special_folders(self) -> dict[str, str]: ...
    async def create_folder(self, name: str) -> None: ...
    async def has_uid(self, uid: int) -> bool: ...
    async def move(self, uid: int, folder: str) -> tuple[int, int] | None: ...
    async def expunge_uid(self, uid: int) -> None: ...
    async def store_flags(self, uid: int, add: Any = (), remove: Any = ()) -> None: ...


@dataclass(init=False, repr=False, eq=False)
class Done(Frozen):
    """What an operation did: the message's id now ("" when removed), and whether it waits for the server."""

    message_id: str
    queued: bool

    def __init__(self, message_id: str, queued: bool) -> None:
        fill(self, locals())


class MailOps:
    """Operations on the messages of a ``MessageStore``; ``source_for(account)`` opens a mailbox."""

    def __init__(
        self,
        store: MessageStore,
        ops: Any,
        roles: Any,
        source_for: Callable[[Account], OpsSource],
    ) -> None:
        self.store = store
        self.ops = ops  # collection: operation id -> operation, until done
        self.roles = roles  # collection: account -> {role: folder} as the server last said
        self.source_for = source_for

    # -- folders of a role -----------------------------------------------------------------------------------
    def folder_of_role(self, account: str, role: str) -> str:
        """The account's Trash or Archive folder: as the server last said (at the last operation, else at the
        last sync's listing: its SPECIAL-USE mark, whatever the folder's name), else a folder of a usual name,
        else the name it will be created with."""
        known = (self.roles.get(account) or {}).get(role)
        if known:
            return str(known)
        listed = self.store.folder_roles(account)
        marked = next((folder for folder, its in listed.items() if its == role), None)
        if marked:
            return marked
        names = set(self.store.folder_names(account))
        return next((n for n in ROLE_NAMES[role] if n in names), ROLE_DEFAULT[role])

    def role_of(self, account: str, folder: str) -> str:
        for role in (TRASH, ARCHIVE):
            if self.folder_of_role(account, role) == folder:
                return role
        return ""

    async def _learn_roles(self, source: OpsSource, account: str) -> dict[str, str]:
        found = {k: v for k, v in (await source.special_folders()).items() if k in (TRASH, ARCHIVE)}
        folders = await source.folders()
        for role, names in ROLE_NAMES.items():
            if role not in found:
                name = next((n for n in names if n in folders), None)
                if name is not None:
                    found[role] = name
        if found != self.roles.get(account):
            self.roles.put(account, found)
        return found

    # -- flags -----------------------------------------------------------------------------------------------
    async def set_flag(self, account: Account, message_id: str, flag: str, on: bool) -> Done:
        """Set or clear ``flag`` (\\Seen, \\Flagged) here, then on the server when it answers."""
        before = list(self.store.doc(message_id).get("flags") or [])
        if on:
            self.store.add_flags(message_id, flag)
        else:
            self.store.remove_flags(message_id, flag)
        doc = self.store.doc(message_id)
        if doc.get("moving_from") or doc.get("uid") is None:
            return Done(message_id, True)  # goes up with the move, at the next sync
        try:
            source = self.source_for(account)
            await source.connect()
            try:
                await self._push_flags(source, doc["folder"], doc)
            finally:
                await source.close()
        except ServerRefused:
            # said no: nothing changes here either, and nothing is left for the next sync to send again
            self.store.set_flags(message_id, before)
            state = self.store.folder_state(doc["account"], doc["folder"])
            if (state.pending or {}).pop(int(doc["uid"]), None) is not None:
                self.store.save_state(state)
            raise
        except TransportError as exc:
            log.info("flags of %s kept for the next sync (%s)", message_id[:12], type(exc).__name__)
            return Done(message_id, True)
        return Done(message_id, False)

    async def _push_flags(self, source: OpsSource, folder: str, doc: dict[str, Any]) -> None:
        """Push the flags waiting for this message (``state.pending``) to the server, the folder selected."""
        state = self.store.folder_state(doc["account"], folder)
        uid = int(doc["uid"])
        if state.uidvalidity != doc.get("uidvalidity") or uid not in (state.pending or {}):
            return
        status = await source.select(folder)
        if status.uidvalidity != state.uidvalidity:
            return  # the folder was rebuilt on the server: the next sync starts it again
        state = self.store.folder_state(doc["account"], folder)  # read again: a sync may have pushed them
        wanted = (state.pending or {}).get(uid)
        if wanted is None:
            return
        before = set(state.known().get(uid, []))
        await source.store_flags(uid, add=set(wanted) - before, remove=before - set(wanted))
        state = self.store.folder_state(doc["account"], folder)
        state.known()[uid] = sorted(wanted)
        if state.pending is not None and state.pending.get(uid) == wanted:
            del state.pending[uid]
        self.store.save_state(state)

    # -- moves and removals ----------------------------------------------------------------------------------
    def _queued_for(self, message_id: str) -> tuple[str, dict[str, Any]] | None:
        found = self.ops.find(lambda op: op.get("store_id") == message_id)
        return found[0] if found else None

    async def move(self, account: Account, message_id: str, folder: str, actor: str | None = None) -> Done:
        """Move the message to ``folder`` (a folder of its account): listed there at once, moved on the
        server now or at the next sync. ServerRefused when the server says no (nothing changed here)."""
        doc = self.store.doc(message_id)
        if not folder or folder == doc["folder"]:
            raise BadInput(T("mail.ops.deja-dans-dossier"))
        queued = self._queued_for(message_id)
        if queued is not None:  # still waiting for the server: change where it goes, or cancel it
            op_id, op = queued
            if folder == op["folder"]:
                self.ops.delete(op_id)
                self.store.unmark_moving(message_id)
                return Done(message_id, False)
            op["dest"] = folder
            self.ops.put(op_id, op)
            self.store.mark_moving(message_id, folder)
            return Done(message_id, True)
        op_id = _new_id()
        self.ops.put(
            op_id,
            {
                "kind": "move",
                "account": doc["account"],
                "folder": doc["folder"],
                "uidvalidity": doc.get("uidvalidity"),
                "uid": doc.get("uid"),
                "dest": folder,
                "store_id": message_id,
            },
        )
        self.store.mark_moving(message_id, folder)
        return await self._now(account, op_id, message_id)

    async def expunge(self, account: Account, message_id: str) -> Done:
        """Remove the message for good (from the Trash): gone here at once, on the server now or at the next
        sync."""
        doc = self.store.doc(message_id)
        queued = self._queued_for(message_id)
        if queued is not None:  # a move not done yet: the message is still where it was on the server
            op_id, op = queued
            op.update(kind="expunge", dest="")
            self.ops.put(op_id, op)
        else:
            op_id = _new_id()
            self.ops.put(
                op_id,
                {
                    "kind": "expunge",
                    "account": doc["account"],
                    "folder": doc["folder"],
                    "uidvalidity": doc.get("uidvalidity"),
                    "uid": doc.get("uid"),
                    "dest": "",
                    "store_id": message_id,
                },
            )
        self.store.forget_message(message_id)
        return await self._now(account, op_id, "")

    async def _now(self, account: Account, op_id: str, message_id: str) -> Done:
        """Try the operation at once; out of reach, it waits for the next sync."""
        try:
            source = self.source_for(account)
            await source.connect()
        except TransportError as exc:
            log.info("operation %s kept for the next sync (%s)", op_id, type(exc).__name__)
            return Done(message_id, True)
        try:
            await self._learn_roles(source, account.name)
            new_id = await self._apply(source, op_id, self.ops.get(op_id))
        except ServerRefused:
            self._undo_local(op_id)
            raise
        except TransportError as exc:
            log.info("operation %s kept for the next sync (%s)", op_id, type(exc).__name__)
            return Done(message_id, True)
        finally:
            await source.close()
        return Done(new_id or "", False)

    async def replay(self, source: OpsSource, account: Account) -> int:
        """Do the operations that waited for the server, oldest first (the sync's ``before_sync``); an
        operation the server refuses is given up and the message shown where it is. Returns how many ran."""
        from core.mail.nochange import waiting_operations

        waiting = waiting_operations(self.ops, account.name)
        if not waiting:
            return 0
        await self._learn_roles(source, account.name)
        for op_id, op in waiting:
            try:
                await self._apply(source, op_id, op)
            except ServerRefused as exc:
                log.warning("operation %s (%s) refused by the server, given up: %s", op_id, op["kind"], exc)
                self._undo_local(op_id)
        return len(waiting)

    async def _apply(self, source: OpsSource, op_id: str, op: dict[str, Any] | None) -> str | None:
        """Run one operation on the server and settle the copy here; the new id of a moved message."""
        if op is None:
            return None
        store_id = op.get("store_id", "")
        status = await source.select(op["folder"])
        present = (
            op.get("uid") is not None
            and status.uidvalidity == op.get("uidvalidity")
            and await source.has_uid(int(op["uid"]))
        )
        if not present:
            # done already (by us before a crash, or by someone else): the copy here follows the server
            log.info("operation %s: the message is no longer in its folder; nothing done twice", op_id)
            if op["kind"] == "move" and self.store.has(store_id):
                self.store.relocate(store_id, None)
            self.ops.delete(op_id)
            return None
        uid = int(op["uid"])
        if op["kind"] == "expunge":
            await source.expunge_uid(uid)
            self.ops.delete(op_id)
            return None
        dest = op["dest"]
        if dest not in await source.folders():
            await source.create_folder(dest)
            await source.select(op["folder"])
        if self.store.has(store_id):
            await self._push_flags(source, op["folder"], self.store.doc(store_id) | {"folder": op["folder"]})
        moved = await source.move(uid, dest)
        new_id = self.store.relocate(store_id, moved) if self.store.has(store_id) else None
        self.ops.delete(op_id)
        return new_id

    def _undo_local(self, op_id: str) -> None:
        """The server refused: the operation is dropped and the message shown where it still is."""
        op = self.ops.get(op_id)
        self.ops.delete(op_id)
        if op is None:
            return
        store_id = op.get("store_id", "")
        if op["kind"] == "move" and self.store.has(store_id):
            self.store.unmark_moving(store_id)
        elif op["kind"] == "expunge":
            # the message was dropped here: its folder's next sync fetches it again (the UID is unknown)
            state = self.store.folder_state(op["account"], op["folder"])
            if state.uidvalidity == op.get("uidvalidity") and op.get("uid") is not None:
                state.known().pop(int(op["uid"]), None)
                self.store.save_state(state)

    def waiting(self, account: str | None = None) -> int:
        """Operations waiting for the server."""
        return len(self.ops.find(lambda op: account is None or op.get("account") == account))


def _new_id() -> str:
    """Operation ids sort in the order they were made."""
    return f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S%f}-{os.urandom(4).hex()}"
