"""The sync engine: server folders into the local store, and local flag changes back to the server.

Per folder: a changed UIDVALIDITY drops the cache; local flag changes are pushed; expunged UIDs are dropped;
new UIDs are fetched in batches (each batch stored, with the folder state, before the next: an interrupted
sync resumes where it stopped, and ids derived from UIDs make a re-fetch overwrite, never duplicate); flags
changed on the server come back (CONDSTORE CHANGEDSINCE when the server has it).

New messages flow through three stages at once: the server sends batch n+1 while the hook (S/MIME,
clinical documents) reads batch n here and a worker thread writes batch n-1 to disk (its fsyncs do not hold
the interpreter). Batches are still stored one after the other, each with its folder state, in order.

When UIDVALIDITY, UIDNEXT, EXISTS and HIGHESTMODSEQ are unchanged and nothing is pending, the folder is
skipped: a resync with no change costs one SELECT per folder.

A connection failure is retried with exponential backoff; what was stored stays visible meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import gc
import logging
import sys
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import TransportError
from core.frozen import Frozen, fill
from core.mail.account import Account
from core.mail.folderstate import unchanged as _unchanged
from core.mail.imap import Fetched, FolderStatus, ImapClient
from core.mail.messages import FolderState, MessageStore, clean_flags, summary_of
from core.model import folder_label
from core.text import T

if TYPE_CHECKING:
    from core.mail.maildir import MaildirSource

log = logging.getLogger("missive.sync")

# ``(raw)`` or ``(raw, store_id)``: the id the message will have in the store (where $Filed is set)
NewMessageHook = Callable[..., dict[str, Any] | Awaitable[dict[str, Any]]]
Progress = Callable[["SyncProgress"], None]


class MailSource(Protocol):
    """What the engine needs from a mailbox: ``ImapClient`` and ``MaildirSource`` both provide it."""

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def folders(self) -> list[str]: ...
    async def enable_condstore(self) -> bool: ...
    async def select(self, folder: str) -> FolderStatus: ...
    async def uids(self) -> list[int]: ...
    async def flags(
        self, uids: Sequence[int], changedsince: int | None = None
    ) -> dict[int, tuple[str, ...]]: ...
    def fetch(self, uids: Sequence[int], batch: int = ...) -> AsyncGenerator[list[Fetched], None]: ...
    async def store_flags(self, uid: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None: ...
    async def idle(self, timeout: float = ...) -> list[bytes]: ...


@dataclass(init=False, repr=False, eq=False)
class SyncProgress(Frozen):
    """How far a folder's sync is: ``done`` messages of ``total``."""

    account: str
    folder: str
    done: int
    total: int

    def __init__(self, account: str, folder: str, done: int, total: int) -> None:
        fill(self, locals())


async def _unless_woken(waiting: Awaitable[Any], woken_by: Sequence[asyncio.Event]) -> bool:
    """Await ``waiting`` unless one of ``woken_by`` is set first (then it is cancelled): whether it ended.

    Not begun in a task already asked to end: Python 3.11's wait_for (aioimaplib's, the connection's, SELECT's)
    drops a cancellation that comes as its result does, and the round went on into a wait of its own (a new task,
    which never heard of it) for up to 9 minutes; the app's sync thread outlived its stop."""
    current = asyncio.current_task()
    if current is not None and current.cancelling():
        if asyncio.iscoroutine(waiting):
            waiting.close()  # never awaited: no warning
        raise asyncio.CancelledError
    task = asyncio.ensure_future(waiting)
    if not woken_by:
        await task
        return True
    wakers = {asyncio.ensure_future(event.wait()) for event in woken_by}
    try:
        await asyncio.wait({task, *wakers}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waker in wakers:
            waker.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    if task.cancelled():
        return False
    task.result()  # its failure, as before (offline: the caller's retry)
    return True


@dataclass
class SyncReport:
    account: str
    new: int = 0
    own: int = 0  # of the new ones, not news: our own letters (the hook marked them "own"), reports that
    # a letter of ours arrived or was read (the hook read them for the doctor: "seen"), and letters from outside
    # the trust space (Quarantaine: no toast, no phone push for a stranger's letter)
    flags_in: int = 0
    flags_out: int = 0
    expunged: int = 0
    undelivered: int = 0  # of the new ones, reports that a letter of ours was not delivered (set by Mailroom)
    folders: int = 0
    reconnects: int = 0

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class Connections:
    """IMAP connections a long-running process (``missive daemon``) keeps open between syncs, one per account.

    A sync takes its account's connection and gives it back when it is done; the one waiting in IDLE is handed
    over (IDLE ends at once, the sync runs on it, IDLE resumes after). A sync asked of the daemon then costs
    no TLS handshake and no login (about 15 of a no-change sync's 22 ms in-process, against a local Dovecot),
    and no process started by the server for a new session. A connection taken is checked with a NOOP first;
    one that fails it, or that a sync left in a failure, is closed (the next sync opens a new one). Bound to
    the event loop that made it; ``close`` logs out of every connection kept."""

    HANDOVER = 5.0  # seconds a sync waits for the IDLE of its account to give its connection back
    BUSY_WAIT = 30.0  # seconds a round waits for another round (a sync asked of the daemon) to give it back

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._free: dict[str, MailSource] = {}
        self._idling: dict[str, asyncio.Event] = {}  # account -> set to end its IDLE
        # account -> the sync its IDLE (or the round holding it) hands over to
        self._waiting: dict[str, asyncio.Future[MailSource | None]] = {}
        self.handed_over = (
            False  # the last ``take`` got the connection from its IDLE (its DONE just answered)
        )
        self._stopping = False
        # accounts whose kept connection a round holds now: another round waits for it rather than logging in
        # a second time (the IDLE round beside a sync an app asked of the daemon)
        self._taken: set[str] = set()

    async def take(self, account: str) -> MailSource | None:
        """The account's open connection (handed over by its IDLE, or given back by the round that holds it),
        or None: the caller opens one."""
        if asyncio.get_running_loop() is not self._loop:
            return None
        self.handed_over = False
        source = self._free.pop(account, None)
        wake = self._idling.get(account)
        busy = account in self._taken and wake is None
        if source is None and (wake is not None or busy) and account not in self._waiting:
            handed: asyncio.Future[MailSource | None] = self._loop.create_future()
            self._waiting[account] = handed
            if wake is not None:
                wake.set()
            try:
                source = await asyncio.wait_for(asyncio.shield(handed), self.BUSY_WAIT if busy else self.HANDOVER)
            except TimeoutError:
                source = None
                log.info("account %s: the connection was not given back in time; another one is opened", account)
            finally:
                if self._waiting.get(account) is handed:
                    del self._waiting[account]
                if source is None and handed.done() and not handed.cancelled():
                    source = handed.result()  # given just as the wait ended
                handed.cancel()
            self.handed_over = source is not None and not busy
        if source is not None:
            self._taken.add(account)
        return source

    def holding(self, account: str) -> None:
        """The caller opens the account's connection (none was kept): a round beside it waits for it."""
        if asyncio.get_running_loop() is self._loop:
            self._taken.add(account)

    def give(self, account: str, source: MailSource) -> MailSource | None:
        """Hand ``source`` to the sync waiting for it, else keep it for the account's next sync; returns it
        back when one is kept already (to close)."""
        if asyncio.get_running_loop() is not self._loop:
            return source
        handed = self._waiting.pop(account, None)
        if handed is not None and not handed.done():
            handed.set_result(source)  # to that sync alone: no other can take it meanwhile
            return None
        self._taken.discard(account)
        if account in self._free:
            return source
        self._free[account] = source
        return None

    def dropped(self, account: str) -> None:
        """The round that held the account's kept connection closed it (a failure): a round waiting for it
        opens its own at once."""
        if asyncio.get_running_loop() is not self._loop:
            return
        self._taken.discard(account)
        handed = self._waiting.get(account)
        if handed is not None and not handed.done() and account not in self._idling:
            del self._waiting[account]
            handed.set_result(None)

    def idling(self, account: str) -> asyncio.Event:
        """Say the account's connection is in IDLE: the event returned is set when a sync wants it (or when
        the process stops: ``stop``)."""
        wake = asyncio.Event()
        if self._stopping or account in self._waiting:  # a sync waits for this connection: given at once
            wake.set()
        self._idling[account] = wake
        return wake

    def stop(self) -> None:
        """End every IDLE now, and any started from now on: the process is stopping. (Its tasks are cancelled
        too, but a cancellation that Python 3.11's ``wait_for`` loses would leave an IDLE waiting for news.)"""
        self._stopping = True
        for wake in self._idling.values():
            wake.set()

    def idle_over(self, account: str, wake: asyncio.Event) -> None:
        if self._idling.get(account) is wake:
            del self._idling[account]

    async def close(self) -> None:
        free, self._free = self._free, {}
        for source in free.values():
            await source.close()


_PLAIN = frozenset({bool, int, float, str, bytes, type(None), list, dict, tuple})  # never a dataclass
STATE_EVERY_BATCHES = 10  # stored batches between two saves of the folder state during a fetch
STATE_EVERY_SECONDS = 2.0  # or at most this long between them
# stored batches between two hand-backs of the C library's free heap (malloc_trim), and one after the last:
# after each, the next batches fault the pages in again (a 10,000-message sync: 34,000-39,000 page faults
# trimming after every batch, 20,000-22,000 after every fourth, the same peak)
TRIM_EVERY_BATCHES = 4


def _keepable(source: MailSource) -> bool:
    """Only an IMAP connection is worth keeping (a Maildir has none)."""
    return isinstance(source, ImapClient)


def default_source(account: Account) -> ImapClient | MaildirSource:
    if account.kind == "maildir":
        from core.mail.maildir import MaildirSource

        return MaildirSource(account)
    return ImapClient(account)


class SyncEngine:
    """Syncs accounts into a MessageStore. ``on_new_message(raw) -> dict`` adds metadata (S/MIME, clinical)."""

    def __init__(
        self,
        store: MessageStore,
        on_new_message: NewMessageHook | None = None,
        source_factory: Callable[[Account], MailSource] = default_source,
        retries: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        before_sync: Callable[[Any, Account], Awaitable[Any]] | None = None,
        account_lock: Callable[[str], contextlib.AbstractAsyncContextManager[Any]] | None = None,
        connections: Connections | None = None,
    ) -> None:
        self.store = store
        self.connections = connections  # kept open between syncs (the daemon), else one per sync
        # held around each sync round of an account (core.mail.mailops.AccountLocks: the doctor's operations)
        self.account_lock = account_lock or (lambda name: contextlib.nullcontext())
        # run on the open source before any folder is read (core.mail.mailops: operations that waited)
        self.before_sync = before_sync
        self.on_new_message = on_new_message
        self._hook_takes_id = _takes_two(on_new_message)
        self._hook_takes_folder = _takes_folder(on_new_message)
        self._hook_takes_role = _takes_folder(on_new_message, "role")
        # account -> {folder: SPECIAL-USE role} for this round (the server's LIST, else as last listed)
        self._roles: dict[str, dict[str, str]] = {}
        self.source_factory = source_factory
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._writer: ThreadPoolExecutor | None = None  # while ``sync`` runs: its store thread
        # the folder state is saved after this many stored batches, or this many seconds, whichever first
        self.state_every = STATE_EVERY_BATCHES
        self.state_every_seconds = STATE_EVERY_SECONDS

    async def sync(
        self, account: Account, progress: Progress | None = None, folders: Sequence[str] | None = None
    ) -> SyncReport:
        """Sync one account; retries with backoff on connection failures (the cache stays as it is)."""
        report = SyncReport(account.name)
        delay = self.backoff
        # One worker thread writes every batch of this sync, then refreshes the list index: its memory (the
        # C library's arena of that thread) serves both, where a second thread would take a fresh one
        # (about 10 MB more at the peak of a 10,000-message first sync).
        owner = self._writer is None  # a sync of this engine already running shares its thread
        writer = self._store_thread()
        try:
            return await self._sync_with_retries(account, report, progress, folders, delay)
        finally:
            if owner:
                self._writer = None
                writer.shutdown(wait=True)

    async def _sync_with_retries(
        self,
        account: Account,
        report: SyncReport,
        progress: Progress | None,
        folders: Sequence[str] | None,
        delay: float,
    ) -> SyncReport:
        for attempt in range(self.retries + 1):
            try:
                async with self.account_lock(account.name):  # no operation of the doctor's in between
                    await self._round(account, report, progress, folders)
                return report
            except TransportError as exc:
                if attempt >= self.retries or _is_permanent(exc):
                    raise
                report.reconnects += 1
                log.info(
                    "account %s: sync interrupted (%s); retry %d in %.1f s",
                    account.name,
                    exc,
                    attempt + 1,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, self.max_backoff)
        return report

    async def _round(
        self, account: Account, report: SyncReport, progress: Progress | None, folders: Sequence[str] | None
    ) -> None:
        # mail stored by a version that did not keep the references gets them (once, in batches;
        # a new profile is marked at its first sync, before anything is stored: no pass over it)
        # (its mark read here: a sync with none to do starts no thread for it)
        older = 0
        if not self.store.refs_done():
            older = await asyncio.wrap_future(self._store_thread().submit(self.store.backfill_refs))
        await self._sync_once(account, report, progress, folders)
        if report.new or report.flags_in or report.expunged or older:
            # paid here, in the sync, rather than by the next opening of the inbox
            await asyncio.wrap_future(self._store_thread().submit(self.store.refresh_list_index))

    async def _sync_once(
        self, account: Account, report: SyncReport, progress: Progress | None, only: Sequence[str] | None
    ) -> None:
        source = await self._connected(account)
        done = False
        try:
            condstore = await source.enable_condstore()
            if self.before_sync is not None:
                await self.before_sync(source, account)
            listed: dict[str, FolderStatus] = {}
            if only:
                names = list(only)
            elif condstore and isinstance(source, ImapClient):
                names, listed = await source.folders_status()  # one answer for every folder
            else:
                names = await source.folders()
            listed_roles = getattr(source, "roles", None)
            if not only and isinstance(listed_roles, dict):
                # what the server calls each folder (\Sent...): kept for the rounds that do not list (IDLE's)
                self.store.set_folder_roles(account.name, listed_roles)
                self._roles[account.name] = dict(listed_roles)
            else:
                self._roles[account.name] = self.store.folder_roles(account.name)
            for gone in set(self.store.folder_names(account.name)) - set(names):
                if not only:
                    self.store.forget_folder(account.name, gone)
            for name in names:
                await self._sync_folder(source, account, name, condstore, report, progress, listed.get(name))
                report.folders += 1
            done = True
        finally:
            await self._release(account, source, done)

    async def _connected(self, account: Account) -> MailSource:
        """The account's kept connection when it answers a NOOP, else a new one."""
        if self.connections is not None:
            kept = await self.connections.take(account.name)
            if isinstance(kept, ImapClient):
                if self.connections.handed_over and not kept.lost:
                    return kept  # alive: the server has just answered its IDLE's DONE
                try:
                    await kept.noop()
                    return kept
                except TransportError:
                    await kept.close()  # dropped by the server meanwhile: a new one
        source = self.source_factory(account)
        keeps = self.connections is not None and _keepable(source)  # a Maildir has no connection to wait for
        if keeps and self.connections is not None:
            self.connections.holding(account.name)
        try:
            await source.connect()
        except BaseException:
            if keeps and self.connections is not None:
                self.connections.dropped(account.name)  # a round waiting for a connection opens its own
            raise
        return source

    async def _release(self, account: Account, source: MailSource, done: bool) -> None:
        """Keep the connection for the next sync when it ended well, else log out."""
        if done and self.connections is not None and _keepable(source) and not getattr(source, "lost", False):
            extra = self.connections.give(account.name, source)
            if extra is None:
                return
        elif self.connections is not None and _keepable(source):
            self.connections.dropped(account.name)
        await source.close()

    async def _sync_folder(
        self,
        source: MailSource,
        account: Account,
        folder: str,
        condstore: bool,
        report: SyncReport,
        progress: Progress | None,
        listed: FolderStatus | None = None,
    ) -> None:
        selected = getattr(source, "selected", None)
        if listed is not None and (selected is None or selected.name != folder):
            # LIST-STATUS said what SELECT would: nothing changed, nothing to select (the folder selected on
            # this connection is selected again all the same: a server's STATUS of it may lag)
            if _unchanged(self.store.folder_state(account.name, folder), listed):
                return
        status = await source.select(folder)
        if not status.uidvalidity:
            # RFC 3501 requires it (a non-zero number). Read as 0 it looked like a change: the folder's cache and
            # the flags set here were dropped, and the letters fetched again kept ids made with 0 for good.
            raise TransportError(T("mail.sync.no-uidvalidity", folder=folder_label(folder)))
        state = self.store.folder_state(account.name, folder)
        if state.uidvalidity and state.uidvalidity != status.uidvalidity:
            log.info("account %s: UIDVALIDITY of a folder changed; its cache is rebuilt", account.name)
            self.store.forget_folder(account.name, folder)
            state = FolderState(account.name, folder, pending={})
        state.uidvalidity = status.uidvalidity
        with self.store.syncing(state):  # flags set here while it reads go into this state too
            known = state.known()
            if _unchanged(state, status):
                return  # nothing changed on either side

            # 1. local flag changes go up first, so the server's answer below already includes them (those of
            # letters the state does not name yet, stored before a crash, go up once they are fetched again)
            await self._push_flags(source, state, report, keep_unknown=True)

            # 2. expunges and new messages
            server = await source.uids()
            server_set = set(server)
            gone = [u for u in known if u not in server_set]
            if gone:
                report.expunged += self.store.forget_uids(state, gone)
            new = [u for u in server if u not in known]
            if new:
                await self._fetch_new(source, state, new, report, progress)

            # 3. flags changed on the server
            fetched = set(new)
            old = [u for u in server if u in known and u not in fetched]
            if old:
                since = state.highestmodseq if condstore and state.highestmodseq else None
                changed = await source.flags(old, changedsince=since)
                report.flags_in += self.store.apply_server_flags(
                    state, {u: f for u, f in changed.items() if clean_flags(f) != known.get(u)}
                )

            # 4. flags set while the new messages were read ($Filed on a result filed at once) go up now, so
            # other desks sharing the mailbox see them after their next sync, not after this desk's next one
            if state.pending:
                await self._push_flags(source, state, report)

            state.uidnext = status.uidnext
            state.exists = len(server)
            state.highestmodseq = status.highestmodseq
            if status.highestmodseq is not None and new:
                # flags may have moved while we fetched: only trust the modseq seen at SELECT
                state.highestmodseq = status.highestmodseq
            self.store.save_state(state)

    async def _push_flags(
        self, source: MailSource, state: FolderState, report: SyncReport, keep_unknown: bool = False
    ) -> None:
        """Send the flags changed here (``state.pending``) to the server; the state saved after.

        A UID the state does not name is a letter stored before a hard crash and not yet named (the state is
        saved every few batches): with ``keep_unknown`` its flags wait for the letter to be fetched again
        (``MessageStore.prepare_new`` keeps them), else (expunged on the server meanwhile) they are dropped."""
        known = state.known()
        pending = state.pending or {}
        for uid, wanted in list(pending.items()):
            before = set(known.get(uid, []))
            now = set(wanted)
            if uid in known:
                await source.store_flags(uid, add=now - before, remove=before - now)
                known[uid] = sorted(now)
                report.flags_out += 1
            elif keep_unknown:
                continue
            if pending.get(uid) is wanted:  # not set again here while it was sent (``MessageStore.syncing``)
                del pending[uid]
        self.store.save_state(state)

    async def _fetch_new(
        self,
        source: MailSource,
        state: FolderState,
        new: list[int],
        report: SyncReport,
        progress: Progress | None,
    ) -> None:
        """Fetch, read and store the messages ``new``: a batch is read (summary, hook) while the one before is
        written by a worker thread. ``state`` belongs to the writer while a write is in flight."""
        total = len(new)
        done = 0
        if progress:
            progress(SyncProgress(state.account, state.folder, 0, total))
        writer = self._store_thread()
        # an empty store takes its final number of shards now (a first sync): no split on the way
        await asyncio.wrap_future(writer.submit(self.store.expect_new, total))
        in_flight: tuple[Future[list[str]], int, int] | None = None
        # The folder state names what is stored, never more: it is saved every few batches, not after each
        # (a tenth of the saves, whose cost grew with the folder), and whenever the reading stops. After a
        # crash a stored batch the state does not name yet is fetched again, under the same ids.
        unsaved = 0
        saved_at = time.monotonic()
        submitted = False
        written = 0  # batches handed to the writer

        async def stored() -> None:
            nonlocal in_flight, done
            if in_flight is None:
                return
            write, count, own = in_flight
            ids = await asyncio.wrap_future(write)
            in_flight = None
            report.new += len(ids)
            report.own += own
            done += count
            if progress:
                progress(SyncProgress(state.account, state.folder, done, total))

        try:
            async with contextlib.aclosing(source.fetch(new)) as batches, _fewer_collections():
                async for batch in batches:
                    items = []
                    ids = []
                    own = 0
                    for msg in batch:
                        mid = state.message_id(msg.uid)
                        ids.append(mid)
                        if getattr(msg, "too_big", False):
                            # over the account's limit: its headers only, listed as too big, read in the
                            # operator's webmail. The hook judges its headers for the trust policy (a letter
                            # too large to read is no exception to Quarantine) and our own letters; nothing
                            # else of it can be analysed, nor claimed (no verdict, no encryption)
                            meta = summary_of(msg.raw, attachments=False)
                            meta.pop("encrypted", None)
                            meta.pop("signed", None)
                            judged = await self._hook(msg.raw, mid, state.folder, self._role(state))
                            meta.update({k: judged[k] for k in ("own", "trust") if k in judged})
                            meta.update(too_big=True, size=msg.size)
                            items.append((msg.uid, list(msg.flags), msg.raw, meta))
                            continue
                        # the hook says whether a letter has attachments (of the opened letter): the
                        # summary's own reading (a search of the whole letter) only when it does not
                        meta = summary_of(msg.raw, attachments=self.on_new_message is None)
                        meta.update(await self._hook(msg.raw, mid, state.folder, self._role(state)))
                        if "has_attachments" not in meta:
                            whole = summary_of(msg.raw)
                            if "has_attachments" in whole:
                                meta["has_attachments"] = whole["has_attachments"]
                        # (and a letter from outside the trust space: kept in Quarantaine, never announced)
                        own += bool(meta.get("own") or meta.get("seen") or meta.get("trust") == "quarantine")
                        items.append((msg.uid, list(msg.flags), msg.raw, meta))
                    ready = self.store.prepare_new(state, items, ids)
                    count = len(batch)
                    # the letters are sealed into ``ready``: their plain bytes go now, not when the next
                    # batch replaces them (the fetch generator still holds ``batch`` until it resumes)
                    items.clear()
                    batch.clear()
                    await stored()
                    unsaved += 1
                    now = time.monotonic()
                    save = unsaved >= self.state_every or now - saved_at >= self.state_every_seconds
                    if save:
                        unsaved, saved_at = 0, now
                    written += 1
                    trim = written % TRIM_EVERY_BATCHES == 0
                    in_flight = (writer.submit(_store_and_release, self.store, ready, save, trim), count, own)
                    submitted = True
            await stored()
            if written % TRIM_EVERY_BATCHES:
                await asyncio.wrap_future(writer.submit(_give_heap_back))
        except BaseException:
            # On a failure (a lost connection, a full disk, a cancelled sync) the batch being written is
            # finished first, then the state saved as it is (it names the batches stored): the next attempt
            # reads it and resumes after them
            if in_flight is not None:
                futures_wait([in_flight[0]])
            if submitted:
                try:
                    self.store.save_state(state)
                except Exception as exc:  # noqa: BLE001 - not saved: the batches it would name are fetched again
                    log.warning("folder state not saved after a stopped sync (%s)", type(exc).__name__)
            raise

    def _store_thread(self) -> ThreadPoolExecutor:
        """The sync's writer thread (one made here when a folder is read outside ``sync``)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="missive-store")
        return self._writer

    def _role(self, state: FolderState) -> str | None:
        """The SPECIAL-USE role the server gives ``state``'s folder ('sent', 'junk'...), None when it gives none."""
        roles = self._roles.get(state.account)
        if roles is None:  # a folder read outside a round
            roles = self._roles[state.account] = self.store.folder_roles(state.account)
        return roles.get(state.folder)

    async def _hook(
        self, raw: bytes, store_id: str, folder: str | None = None, role: str | None = None
    ) -> dict[str, Any]:
        if self.on_new_message is None:
            return {}
        try:
            if self._hook_takes_role and folder is not None:  # and what the server says the folder is for
                result = self.on_new_message(raw, store_id, folder=folder, role=role)
            elif self._hook_takes_folder and folder is not None:  # where it arrived: an inbox, or a Sent folder
                result = self.on_new_message(raw, store_id, folder=folder)
            elif self._hook_takes_id:
                result = self.on_new_message(raw, store_id)
            else:
                result = self.on_new_message(raw)
            # (a dict first: the ABC check costs 0.5 us a letter)
            if type(result) is not dict and (asyncio.iscoroutine(result) or isinstance(result, Awaitable)):
                result = await result
        except Exception as exc:  # noqa: BLE001 - a failing hook must not lose the message
            log.warning(
                "new-message hook failed (%s); message kept without its analysis", exc.__class__.__name__
            )
            return {"analysis_failed": True}
        out = dict(result or {})
        for key, value in list(out.items()):
            if type(value) in _PLAIN:
                continue  # most of what a hook says (is_dataclass costs 0.4 us a value)
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                out[key] = value.to_json() if hasattr(value, "to_json") else dataclasses.asdict(value)
        return out

    # ------------------------------------------------------------------ waiting for news
    async def idle_once(
        self,
        account: Account,
        timeout: float = 540.0,
        folder: str = "INBOX",
        woken_by: Sequence[asyncio.Event] = (),
    ) -> SyncReport:
        """Wait (IDLE, bounded) for news on ``folder``, then sync it; returns what arrived.

        One of ``woken_by`` set ends the wait only, with nothing synced (an empty report: the caller syncs as it
        was woken for). Once the wait is over the sync runs to its end: cancelled midway (the app's refresh key
        or a letter read, as the news was being stored) its letters were stored but its report lost, and the app
        never listed them nor said they came until the next letter."""
        source = await self._connected(account)
        done = woken = False
        wake: asyncio.Event | None = None
        try:
            status = await source.select(folder)
            state = self.store.folder_state(account.name, folder)
            if status.uidnext == state.uidnext and status.exists == state.exists:
                if self.connections is not None and isinstance(source, ImapClient):
                    wake = self.connections.idling(account.name)  # a sync asked meanwhile ends it
                    woken = not await _unless_woken(source.idle(timeout, wake=wake), woken_by)
                else:
                    woken = not await _unless_woken(source.idle(timeout), woken_by)
            done = not woken  # an IDLE left midway: that connection is not given to the next sync
        finally:
            await self._release(account, source, done)  # given back first: a sync waiting for it gets it
            if wake is not None and self.connections is not None:
                self.connections.idle_over(account.name, wake)
        if woken:
            return SyncReport(account.name)
        return await self.sync(account, folders=[folder])

    async def idle(
        self,
        account: Account,
        on_new: Callable[[SyncReport], Any],
        stop: asyncio.Event | None = None,
        timeout: float = 540.0,
    ) -> None:
        """Loop: IDLE, sync, call ``on_new(report)`` when messages arrived; backoff on failures."""
        stop = stop or asyncio.Event()
        delay = self.backoff
        while not stop.is_set():
            try:
                report = await self.idle_once(account, timeout)
                delay = self.backoff
            except TransportError as exc:
                if _is_permanent(exc):
                    raise
                log.info("account %s: idle failed (%s); retry in %.1f s", account.name, exc, delay)
                try:
                    await asyncio.wait_for(stop.wait(), delay)
                except TimeoutError:
                    pass
                delay = min(delay * 2, self.max_backoff)
                continue
            if report.new:
                result = on_new(report)
                if asyncio.iscoroutine(result):
                    await result


# Python's cyclic collector runs after every 700 new container objects: a first sync of 10,000 letters ran
# it about 200 times (0.06-0.08 CPU-s), and freed about 900 objects in all (what a sync makes is freed by
# reference counts, or lives on). While new mail is read it runs after every YOUNG_COLLECTION objects.
YOUNG_COLLECTION = 20_000
_raised: list[tuple[int, int, int]] = []  # the thresholds to put back, while a fetch runs (a stack)


@contextlib.asynccontextmanager
async def _fewer_collections() -> AsyncGenerator[None, None]:
    """Fewer runs of the cyclic collector for as long as new mail is read (several fetches may overlap in
    one process, the daemon's accounts: the thresholds are put back when the last one ends)."""
    if not _raised:
        before = gc.get_threshold()
        _raised.append(before)
        gc.set_threshold(max(before[0], YOUNG_COLLECTION), before[1], before[2])
    else:
        _raised.append(_raised[-1])
    try:
        yield
    finally:
        before = _raised.pop()
        if not _raised:
            gc.set_threshold(*before)


def _store_and_release(
    store: MessageStore, ready: Any, save_state: bool = True, trim: bool = True
) -> list[str]:
    """Write a batch (and save the folder state when ``save_state``), then, when ``trim``, give the C
    library's free heap back to the system.

    A first sync frees a batch's letters (2 to 120 KB each) while the next batch's are being made, between
    objects that live on: glibc keeps those holes (about 5 MB of a 10,000-message sync's peak, measured)
    unless asked. Its cost is one walk of the free lists, and the pages it hands back are faulted in again
    by the next batches: the sync asks every few batches (TRIM_EVERY_BATCHES), with the same peak."""
    try:
        return store.store_prepared(ready, save_state=save_state)
    finally:
        del ready
        if trim:
            _give_heap_back()


def _give_heap_back() -> None:
    """glibc's ``malloc_trim(0)``, where there is one."""
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim`` (None elsewhere: musl, macOS, Windows)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        trim: Callable[[int], int] = ctypes.CDLL("libc.so.6").malloc_trim
        return trim
    except (OSError, AttributeError):
        return None


def _takes_two(hook: Any) -> bool:
    """A hook ``(raw, store_id)`` is told the id the message gets in the store; ``(raw)`` is not."""
    if hook is None:
        return False
    import inspect

    try:
        params = list(inspect.signature(hook).parameters.values())
    except (TypeError, ValueError):
        return False
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)


def _takes_folder(hook: Any, name: str = "folder") -> bool:
    """A hook ``(raw, store_id, *, folder)`` is told the server folder the message was found in; one that takes
    ``role`` too, the folder's SPECIAL-USE role ('sent', 'junk'...; None when the server gives none)."""
    if hook is None:
        return False
    import inspect

    try:
        return name in inspect.signature(hook).parameters
    except (TypeError, ValueError):
        return False


def _is_permanent(exc: TransportError) -> bool:
    """Failures that retrying cannot fix (wrong credentials, TLS refusal, no STARTTLS...): the error says so
    itself (``permanent``). Its text was searched for English words too, which never matched the French the
    doctor reads: the same failure was retried or not depending on the language."""
    return bool(exc.permanent)
