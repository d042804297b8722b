"""What the engine tells its subscribers (the app's status bar and toasts, the daemon's log): one frozen
dataclass per kind of news, past tense, ids and counts only (never a name, a subject or a result).

``Mailroom.subscribe(callback)`` delivers them, maybe from another thread: a subscriber hands them to its own
event loop. ``reason`` fields are one French line meant for the screen, with no health data in them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.frozen import Frozen

SyncStateName = Literal["syncing", "online", "offline", "removed", "daemon"]


@dataclass(frozen=True, repr=False, eq=False)
class NewMail(Frozen):
    """A sync stored ``count`` new messages for ``account``."""

    account: str
    count: int


@dataclass(frozen=True, repr=False, eq=False)
class Synced(Frozen):
    """A round of ``account`` ended: ``new`` messages stored, ``changed`` other changes (flags from the server,
    removals, flags and moves sent). What the daemon tells the app that follows it (``core.agent``): the app's
    lists are read again from the store."""

    account: str
    new: int
    changed: int


@dataclass(frozen=True, repr=False, eq=False)
class NotDelivered(Frozen):
    """A sync brought ``count`` failure reports (DSN, or an MDN error) about letters of ours: one recipient at
    least never got them. The sent letters say why (``Mailroom.receipt_status``)."""

    count: int


@dataclass(frozen=True, repr=False, eq=False)
class MarksRefreshed(Frozen):
    """``count`` stored messages got new list marks: their results, analysed under older rules, were counted
    again from the stored copies ('!', critical), or their signatures were judged again with a revocation list
    that arrived since (✓, ~, ✗)."""

    count: int


@dataclass(frozen=True, repr=False, eq=False)
class NeedsReview(Frozen):
    """A sync queued ``count`` documents that wait for a person's decision; ``pending``: the queue's total."""

    count: int
    pending: int


@dataclass(frozen=True, repr=False, eq=False)
class RevokedFiled(Frozen):
    """A revocation list that arrived since showed that ``count`` documents already filed came from letters whose
    signer was revoked before missive had them: each waits in À classer for a person to check the practice
    software (its file was not taken out); ``pending``: the queue's total; ``message`` says it in one line (the
    core's words, counts only)."""

    count: int
    pending: int
    message: str


@dataclass(frozen=True, repr=False, eq=False)
class DocumentFiled(Frozen):
    """``count`` documents were filed into the practice software without a click."""

    count: int


@dataclass(frozen=True, repr=False, eq=False)
class RoundNews(Frozen):
    """The end of a sync round of ``account`` (None: every account) that brought news: ``new`` messages,
    ``filed`` documents filed without a click, ``review`` documents waiting for a person; ``message`` says them
    in one line (the core's words, counts only), shown once rather than one toast per event."""

    account: str | None
    new: int
    filed: int
    review: int
    message: str


@dataclass(frozen=True, repr=False, eq=False)
class SendFailed(Frozen):
    """A letter stayed in the outbox (``entry_id``; None for several at once): ``reason`` says why."""

    entry_id: str | None
    reason: str
    count: int = 1


@dataclass(frozen=True, repr=False, eq=False)
class Sent(Frozen):
    """The server accepted the outbox entry ``entry_id``."""

    entry_id: str


@dataclass(frozen=True, repr=False, eq=False)
class Progress(Frozen):
    """A sync of ``account`` is at ``done`` of ``total`` messages."""

    account: str
    done: int
    total: int


@dataclass(frozen=True, repr=False, eq=False)
class SyncState(Frozen):
    """``account`` is syncing, online (``since``: last sync, HH:MM) or offline (``reason``); ``removed``: the
    account is no longer in the profile (``missive account remove`` from another window): it is no longer kept in
    sync and its messages are gone from the cache; ``daemon``: ``missive daemon`` syncs the account for this app,
    which shows what its rounds store (``since``: the time it began to). ``network``: offline because the server
    is out of reach (the cached view stays); False when something must be fixed first, said in ``reason`` (a
    Maildir folder that does not exist, a refused password)."""

    account: str
    state: SyncStateName
    since: str = ""
    reason: str = ""
    network: bool = True


@dataclass(frozen=True, repr=False, eq=False)
class PscBinding(Frozen):
    """A Pro Santé Connect login of ``account`` waits for the doctor's phone: ``message`` (French, the core's
    words) gives the code to compare."""

    account: str
    message: str


@dataclass(frozen=True, repr=False, eq=False)
class PscLogin(Frozen):
    """A Pro Santé Connect login of ``account`` is ``required`` (asked on the phone), ``ok`` or ``failed``
    (``reason``, one French line)."""

    account: str
    state: Literal["required", "ok", "failed"]
    reason: str = ""


@dataclass(frozen=True, repr=False, eq=False)
class TaskTrouble(Frozen):
    """A periodic task of the daemon (``task``: the watched folder, filing, the lists...) fails: ``reason``, one
    French line saying what to do. Said once, and again only when the reason changes."""

    task: str
    reason: str


MailroomEvent = (
    NewMail
    | NotDelivered
    | MarksRefreshed
    | NeedsReview
    | RevokedFiled
    | DocumentFiled
    | RoundNews
    | SendFailed
    | Sent
    | Progress
    | SyncState
    | Synced
    | PscBinding
    | PscLogin
    | TaskTrouble
)

__all__ = [
    "DocumentFiled",
    "MailroomEvent",
    "MarksRefreshed",
    "NeedsReview",
    "NewMail",
    "NotDelivered",
    "Progress",
    "RevokedFiled",
    "PscBinding",
    "PscLogin",
    "RoundNews",
    "SendFailed",
    "Sent",
    "SyncState",
    "Synced",
    "TaskTrouble",
    "SyncStateName",
]
