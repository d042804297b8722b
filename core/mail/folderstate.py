"""A folder's sync state as the profile keeps it (collection ``folders``), and the ids of stored messages.

Apart from core.mail.messages (which re-exports all of it) so that reading a folder's state loads neither the
message list's modules nor the model: a no-change ``missive sync`` (core.mail.nochange) reads every folder's
state and nothing else of the store.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.mail.uidflags import UidFlags

if TYPE_CHECKING:
    from core.mail.imapwire import FolderStatus

# consecutive UIDs whose ids end alike: one batch of a first sync (imap.BODY_BATCH), so one shard write
UID_GROUP = 100
GROUP_TAIL = 8  # characters of an id naming its group
IDS = 2  # how ids of newly synced folders are made (1: a plain hash)
REFS_MARK = "\x00refs"  # in the folders collection: every stored message has its references
ANALYSIS_MARK = "\x00analysis"  # stored analyses follow today's result rules (core.clinical.ANALYSIS_RULES)
HELD_MARK = "\x00held"  # a letter's documents were held (audit log out of step)
ROLES_MARK = "\x00roles"  # in the folders collection: an account's folders' SPECIAL-USE roles (its key + account)


def message_id_for(account: str, folder: str, uidvalidity: int, uid: int, ids: int = IDS) -> str:
    """The store's id of a message: a hash, ending with a hash of its UID group (``ids=1``: the old form)."""
    place = f"{account}\x1f{folder}\x1f{uidvalidity}\x1f"
    whole = _sha256_hex(f"{place}{uid}")
    if ids == 1:
        return whole[:32]
    return whole[: 32 - GROUP_TAIL] + _group_tail(place, (uid - 1) // UID_GROUP)  # UIDs start at 1


@functools.lru_cache(maxsize=256)
def _group_tail(place: str, group: int) -> str:
    """The tail shared by a UID group's ids (a sync asks it twice per message, for 100 messages a group)."""
    return _sha256_hex(f"{place}g{group}")[:GROUP_TAIL]


_sha256: Any = None


def _sha256_hex(text: str) -> str:
    """SHA-256 of ``text`` in hex, hashlib loaded at the first id made: a no-change resync reads folder states
    and makes none, and hashlib's import (OpenSSL's digests probed one by one) is not on its path."""
    global _sha256
    if _sha256 is None:
        from hashlib import sha256

        _sha256 = sha256
    return str(_sha256(text.encode()).hexdigest())


def folder_key(account: str, folder: str) -> str:
    return f"{account}/{folder}"


@dataclass
class FolderState:
    account: str
    folder: str
    uidvalidity: int = 0
    uidnext: int = 0
    highestmodseq: int | None = None
    exists: int = 0
    uids: UidFlags | None = None  # server flags as last synced (a dict given here becomes a UidFlags)
    pending: dict[int, list[str]] | None = None  # flags set here, not yet on the server
    ids: int = IDS  # how this folder's message ids are made (message_id_for)
    # ``pending`` as read from the profile (None: made here): what another process added since is kept by
    # ``MessageStore.save_state``
    base: dict[int, list[str]] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.uids is not None and not isinstance(self.uids, UidFlags):
            self.uids = UidFlags(self.uids)

    def known(self) -> UidFlags:
        """``uids``, made (empty) when there is none yet: changes to it are saved with the state."""
        if self.uids is None:
            self.uids = UidFlags()
        return self.uids

    def message_id(self, uid: int) -> str:
        return message_id_for(self.account, self.folder, self.uidvalidity, uid, self.ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "folder": self.folder,
            "uidvalidity": self.uidvalidity,
            "uidnext": self.uidnext,
            "highestmodseq": self.highestmodseq,
            "exists": self.exists,
            # packed arrays (core.mail.uidflags): saved after every batch of a first sync, so kept cheap to write
            "uidmap": (self.uids or UidFlags()).to_json(),
            "pending": {str(k): v for k, v in (self.pending or {}).items()},
            "ids": self.ids,
        }

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> FolderState:
        pending = {int(k): list(v) for k, v in (d.get("pending") or {}).items()}
        return cls(
            account=d["account"],
            folder=d["folder"],
            uidvalidity=int(d.get("uidvalidity") or 0),
            uidnext=int(d.get("uidnext") or 0),
            highestmodseq=d.get("highestmodseq"),
            exists=int(d.get("exists") or 0),
            uids=UidFlags.from_json(d.get("uidmap") or d.get("uids")),  # "uids": as saved before
            pending=pending,
            ids=int(d.get("ids") or 1),  # saved before ids had a group tail
            base={uid: list(flags) for uid, flags in pending.items()},
        )


def stored_state(folders: Any, account: str, folder: str) -> FolderState:
    """The state of ``account``'s ``folder`` as the profile keeps it (``folders``: the collection); an empty one
    (never synced) when it keeps none."""
    doc = folders.get(folder_key(account, folder))
    if doc is None:
        return FolderState(account, folder, pending={})
    return FolderState.from_json(doc)


def stored_roles(folders: Any, account: str) -> dict[str, str]:
    """``account``'s folders' SPECIAL-USE roles as its server last listed them (``folders``: the collection)."""
    doc = folders.get(folder_key(ROLES_MARK, account))
    roles = (doc or {}).get("roles")
    return {str(k): str(v) for k, v in roles.items()} if isinstance(roles, dict) else {}


def stored_folder_names(folders: Any, account: str) -> list[str]:
    """The folders of ``account`` whose state the profile keeps (``folders``: the collection), sorted."""
    return sorted(d["folder"] for _, d in folders.find(lambda d: d.get("account") == account))


def unchanged(state: FolderState, status: FolderStatus) -> bool:
    """Nothing changed on either side since ``state`` was saved: same UIDVALIDITY, UIDNEXT, number of
    messages and HIGHESTMODSEQ (CONDSTORE: a flag set or a message expunged moves it), no local change
    waiting to go up."""
    return bool(
        state.uidnext  # synced before (an empty folder too: nothing to fetch, nothing to write)
        and not state.pending
        and status.uidvalidity == state.uidvalidity
        and status.uidnext == state.uidnext
        and status.exists == state.exists == len(state.known())
        and status.highestmodseq is not None
        and status.highestmodseq == state.highestmodseq
    )
