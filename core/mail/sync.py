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
import logging
import sys
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from core.errors import TransportError
from core.mail.account import Account
from core.mail.imap import Fetched, FolderStatus, ImapClient
from core.mail.messages import FolderState, MessageStore, clean_flags, summary_of

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


@dataclass(frozen=True)
class SyncProgress:
    account: str
    folder: str
    done: int
    total: int


@dataclass
class SyncReport:
    account: str
    new: int = 0
    own: int = 0  # of the new ones, our own letters (the hook marked them "own"): not news
    new_ids: list[str] = field(default_factory=list, repr=False)
    flags_in: int = 0
    flags_out: int = 0
    expunged: int = 0
    folders: int = 0
    reconnects: int = 0

    def to_json(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("new_ids")
        return d


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
    ) -> None:
        self.store = store
        # held around each sync round of an account (core.mail.mailops.AccountLocks: the doctor's operations)
        self.account_lock = account_lock or (lambda name: contextlib.nullcontext())
        # run on the open source before any folder is read (core.mail.mailops: operations that waited)
        self.before_sync = before_sync
        self.on_new_message = on_new_message
        self._hook_takes_id = _takes_two(on_new_message)
        self.source_factory = source_factory
        self.retries = retries
        self.backoff = backoff
        self.max_backoff = max_backoff
        self._writer: ThreadPoolExecutor | None = None  # while ``sync`` runs: its store thread

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
        older = await asyncio.wrap_future(self._store_thread().submit(self.store.backfill_refs))
        await self._sync_once(account, report, progress, folders)
        if report.new or report.flags_in or report.expunged or older:
            # paid here, in the sync, rather than by the next opening of the inbox
            await asyncio.wrap_future(self._store_thread().submit(self.store.refresh_list_index))

    async def _sync_once(
        self, account: Account, report: SyncReport, progress: Progress | None, only: Sequence[str] | None
    ) -> None:
        source = self.source_factory(account)
        await source.connect()
        try:
            condstore = await source.enable_condstore()
            if self.before_sync is not None:
                await self.before_sync(source, account)
            names = list(only) if only else await source.folders()
            for gone in set(self.store.folder_names(account.name)) - set(names):
                if not only:
                    self.store.forget_folder(account.name, gone)
            for name in names:
                await self._sync_folder(source, account, name, condstore, report, progress)
                report.folders += 1
        finally:
            await source.close()

    async def _sync_folder(
        self,
        source: MailSource,
        account: Account,
        folder: str,
        condstore: bool,
        report: SyncReport,
        progress: Progress | None,
    ) -> None:
        status = await source.select(folder)
        state = self.store.folder_state(account.name, folder)
        if state.uidvalidity and state.uidvalidity != status.uidvalidity:
            log.info("account %s: UIDVALIDITY of a folder changed; its cache is rebuilt", account.name)
            self.store.forget_folder(account.name, folder)
            state = FolderState(account.name, folder, uids={}, pending={})
        state.uidvalidity = status.uidvalidity
        known = state.uids or {}
        if (
            state.uidnext  # synced before (an empty folder too: nothing to fetch, nothing to write)
            and not state.pending
            and status.uidnext == state.uidnext
            and status.exists == state.exists == len(known)
            and (status.highestmodseq is None or status.highestmodseq == state.highestmodseq)
            and status.highestmodseq is not None
        ):
            return  # nothing changed on either side

        # 1. local flag changes go up first, so the server's answer below already includes them
        await self._push_flags(source, state, report)

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

    async def _push_flags(self, source: MailSource, state: FolderState, report: SyncReport) -> None:
        """Send the flags changed here (``state.pending``) to the server; the state saved after."""
        known = state.uids or {}
        pending = state.pending or {}
        for uid, wanted in list(pending.items()):
            before = set(known.get(uid, []))
            now = set(wanted)
            if uid in known:
                await source.store_flags(uid, add=now - before, remove=before - now)
                known[uid] = sorted(now)
                report.flags_out += 1
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
        in_flight: tuple[Future[list[str]], int, int] | None = None

        async def stored() -> None:
            nonlocal in_flight, done
            if in_flight is None:
                return
            write, count, own = in_flight
            ids = await asyncio.wrap_future(write)
            in_flight = None
            report.new += len(ids)
            report.own += own
            report.new_ids.extend(ids)
            done += count
            if progress:
                progress(SyncProgress(state.account, state.folder, done, total))

        try:
            async with contextlib.aclosing(source.fetch(new)) as batches:
                async for batch in batches:
                    items = []
                    own = 0
                    for msg in batch:
                        meta = summary_of(msg.raw)
                        meta.update(await self._hook(msg.raw, state.message_id(msg.uid)))
                        own += bool(meta.get("own"))
                        items.append((msg.uid, list(msg.flags), msg.raw, meta))
                    ready = self.store.prepare_new(state, items)
                    count = len(batch)
                    # the letters are sealed into ``ready``: their plain bytes go now, not when the next
                    # batch replaces them (the fetch generator still holds ``batch`` until it resumes)
                    items.clear()
                    batch.clear()
                    await stored()
                    in_flight = (writer.submit(_store_and_release, self.store, ready), count, own)
            await stored()
        finally:
            # On a failure (a lost connection, a cancelled sync) the batch being written is finished first:
            # the next attempt reads the folder state it writes.
            if in_flight is not None:
                futures_wait([in_flight[0]])

    def _store_thread(self) -> ThreadPoolExecutor:
        """The sync's writer thread (one made here when a folder is read outside ``sync``)."""
        if self._writer is None:
            self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="missive-store")
        return self._writer

    async def _hook(self, raw: bytes, store_id: str) -> dict[str, Any]:
        if self.on_new_message is None:
            return {}
        try:
            if self._hook_takes_id:
                result = self.on_new_message(raw, store_id)
            else:
                result = self.on_new_message(raw)
            if asyncio.iscoroutine(result) or isinstance(result, Awaitable):
                result = await result
        except Exception as exc:  # noqa: BLE001 - a failing hook must not lose the message
            log.warning(
                "new-message hook failed (%s); message kept without its analysis", exc.__class__.__name__
            )
            return {"analysis_failed": True}
        out = dict(result or {})
        for key, value in list(out.items()):
            if dataclasses.is_dataclass(value) and not isinstance(value, type):
                out[key] = value.to_json() if hasattr(value, "to_json") else dataclasses.asdict(value)
        return out

    # ------------------------------------------------------------------ waiting for news
    async def idle_once(self, account: Account, timeout: float = 540.0, folder: str = "INBOX") -> SyncReport:
        """Wait (IDLE, bounded) for news on ``folder``, then sync it; returns what arrived."""
        source = self.source_factory(account)
        await source.connect()
        try:
            status = await source.select(folder)
            state = self.store.folder_state(account.name, folder)
            if status.uidnext == state.uidnext and status.exists == state.exists:
                await source.idle(timeout)
        finally:
            await source.close()
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


def _store_and_release(store: MessageStore, ready: Any) -> list[str]:
    """Write a batch, then give the C library's free heap back to the system.

    A first sync frees a batch's letters (2 to 120 KB each) while the next batch's are being made, between
    objects that live on: glibc keeps those holes (about 5 MB of a 10,000-message sync's peak, measured)
    unless asked. Its cost is one walk of the free lists per batch."""
    try:
        return store.store_prepared(ready)
    finally:
        del ready
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


def _is_permanent(exc: TransportError) -> bool:
    """Failures that retrying cannot fix: wrong credentials, TLS refusal, no STARTTLS."""
    if exc.permanent:
        return True
    text = str(exc)
    return any(
        marker in text
        for marker in (
            "login refused",
            "certificate",
            "STARTTLS",
            "TLS failed",
            "does not accept XOAUTH2",
            "token command",
        )
    )
