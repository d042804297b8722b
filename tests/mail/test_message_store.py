"""Message ids and batches: a folder's UID range shares the end of its ids (so a batch is one shard write),
folders synced before keep their ids, and the sync engine stores batches in order even though it writes one
while it reads the next."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Iterable, Sequence
from pathlib import Path

import pytest

from core.mail.account import Account
from core.mail.imap import Fetched, FolderStatus
from core.mail.messages import UID_GROUP, FolderState, MessageStore, message_id_for, summary_of
from core.mail.sync import SyncEngine
from core.store.profile import Profile
from tests.mail.helpers import MemoryProfile, letter


def test_ids_of_a_uid_range_end_alike_and_stay_unique() -> None:
    ids = [message_id_for("cab", "INBOX", 7, uid) for uid in range(1, 3 * UID_GROUP + 1)]
    assert len(set(ids)) == len(ids) and all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    tails = [i[-8:] for i in ids]
    assert len(set(tails[:UID_GROUP])) == 1 and len(set(tails)) == 3
    assert len({i[:12] for i in ids}) == len(ids)  # the list shows 12 characters: they still tell ids apart
    assert message_id_for("cab", "Sent", 7, 1)[-8:] != tails[0]


def test_folder_states_round_trip() -> None:
    state = FolderState(
        "cab", "INBOX", 7, 44, 9, 3, uids={5: ["\\Seen"], 2: [], 9: ["$Filed"]}, pending={2: ["x"]}
    )
    assert FolderState.from_json(state.to_json()) == state


def test_a_folder_synced_with_plain_ids_keeps_them(profile: Profile) -> None:
    """A profile from before ids had a group tail: its folder state has no ``ids``; flags and expunges still
    find its messages, and fetching one again replaces it rather than adding a second."""
    store = MessageStore(profile)
    plain = {uid: message_id_for("cab", "INBOX", 7, uid, ids=1) for uid in (1, 2, 3)}
    store.docs.put_many(
        {
            mid: {"account": "cab", "folder": "INBOX", "uidvalidity": 7, "uid": uid, "flags": [], "blob": ""}
            for uid, mid in plain.items()
        }
    )
    saved = FolderState("cab", "INBOX", uidvalidity=7, uids={1: [], 2: [], 3: []}, pending={}).to_json()
    del saved["ids"], saved["uidmap"]
    saved["uids"] = {"1": [], "2": [], "3": []}  # as states were saved then
    store.folders.put("cab/INBOX", saved)

    state = MessageStore(Profile.open(profile.path, "correct horse battery staple")).folder_state(
        "cab", "INBOX"
    )
    assert state.ids == 1 and state.message_id(2) == plain[2] and state.uids == {1: [], 2: [], 3: []}
    assert store.apply_server_flags(state, {2: ["\\Seen"]}) == 1
    assert store.get(plain[2]).flags == ("\\Seen",)
    assert store.forget_uids(state, [3]) == 1
    store.store_new(state, [(1, [], letter("encore"), summary_of(letter("encore")))])
    assert sorted(m.id for m in store.list()) == sorted([plain[1], plain[2]])
    assert store.get_raw(plain[1]) == letter("encore")
    assert FolderState("cab", "Sent").ids == 2  # a folder synced from now on gets grouped ids


class ListSource:
    """A mailbox of ``count`` letters in INBOX, served in batches like ImapClient."""

    def __init__(self, count: int) -> None:
        self.messages = {uid: letter(f"lettre {uid}") for uid in range(1, count + 1)}

    async def connect(self) -> None: ...
    async def close(self) -> None: ...
    async def folders(self) -> list[str]:
        return ["INBOX"]

    async def enable_condstore(self) -> bool:
        return False

    async def select(self, folder: str) -> FolderStatus:
        return FolderStatus(folder, 7, len(self.messages) + 1, len(self.messages))

    async def uids(self) -> list[int]:
        return sorted(self.messages)

    async def flags(self, uids: Sequence[int], changedsince: int | None = None) -> dict[int, tuple[str, ...]]:
        return {u: () for u in uids}

    async def fetch(self, uids: Sequence[int], batch: int = 10) -> AsyncGenerator[list[Fetched], None]:
        for i in range(0, len(uids), batch):
            await asyncio.sleep(0)
            yield [Fetched(u, (), self.messages[u]) for u in sorted(uids)[i : i + batch]]

    async def store_flags(self, uid: int, add: Iterable[str] = (), remove: Iterable[str] = ()) -> None: ...
    async def idle(self, timeout: float = 0) -> list[bytes]:
        return []


ACCOUNT = Account(name="cab", email="dr@cab.fr", kind="maildir", maildir="/nonexistent")


@pytest.mark.parametrize("on_disk", [False, True])
async def test_a_failed_write_stops_the_sync_and_the_next_one_resumes_after_the_last_stored_batch(
    on_disk: bool, tmp_path: Path
) -> None:
    store = MessageStore(Profile.create(tmp_path / "p", "pw") if on_disk else MemoryProfile())
    source = ListSource(45)
    real = store.store_prepared
    calls: list[int] = []

    def failing(new, **kw):  # the third batch hits a full disk
        calls.append(len(new.docs))
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real(new, **kw)

    store.store_prepared = failing  # type: ignore[method-assign]
    seen = []
    engine = SyncEngine(store, source_factory=lambda account: source, on_new_message=lambda raw: {"k": 1})
    with pytest.raises(OSError):
        await engine.sync(ACCOUNT, progress=lambda p: seen.append(p.done))
    assert seen == [0, 10, 20]  # progress counts stored messages only
    state = store.folder_state("cab", "INBOX")
    assert sorted(state.uids or {}) == list(range(1, 21))
    assert sorted(m.uid for m in store.list()) == list(range(1, 21))

    store.store_prepared = real  # type: ignore[method-assign]
    report = await engine.sync(ACCOUNT)
    assert report.new == 25
    assert sorted(m.subject for m in store.list()) == sorted(f"lettre {u}" for u in range(1, 46))
    assert all(store.doc(m.id)["k"] == 1 for m in store.list())


async def test_a_profile_stored_the_old_way_lists_syncs_and_forgets(tmp_path: Path) -> None:
    """Before: one blob file per message, plain ids, a messages collection placed by whole keys. Opened now, it
    lists what it had, adds new mail beside it (packed blobs, ids made as that folder's always were) and
    expunges either kind."""
    profile = Profile.create(tmp_path / "p", "pw")
    docs = profile.collection("messages")  # no placement by tail, as before
    source = ListSource(30)
    for uid in range(1, 11):
        raw = source.messages[uid]
        docs.put(
            message_id_for("cab", "INBOX", 7, uid, ids=1),
            {
                "account": "cab",
                "folder": "INBOX",
                "uidvalidity": 7,
                "uid": uid,
                "flags": [],
                "blob": profile.blobs.put(raw),
                **summary_of(raw),
            },
        )
    old_state = FolderState("cab", "INBOX", 7, 11, exists=10, uids={u: [] for u in range(1, 11)}, pending={})
    saved = old_state.to_json()
    del saved["ids"], saved["uidmap"]
    saved["uids"] = {str(u): [] for u in range(1, 11)}
    profile.collection("folders").put("cab/INBOX", saved)

    store = MessageStore(Profile.open(tmp_path / "p", "pw"))
    assert sorted(m.uid for m in store.list()) == list(range(1, 11))
    report = await SyncEngine(store, source_factory=lambda account: source).sync(ACCOUNT)
    assert report.new == 20
    assert store.get(message_id_for("cab", "INBOX", 7, 30, ids=1)).uid == 30
    assert "." in store.doc(message_id_for("cab", "INBOX", 7, 30, ids=1))["blob"]  # a member of a pack
    assert [store.get_raw(m.id) for m in sorted(store.list(), key=lambda m: m.uid)] == [
        source.messages[u] for u in range(1, 31)
    ]
    for uid in (2, 25):
        del source.messages[uid]
    assert (await SyncEngine(store, source_factory=lambda account: source).sync(ACCOUNT)).expunged == 2
    assert sorted(m.uid for m in store.list()) == [u for u in range(1, 31) if u not in (2, 25)]


async def test_a_sync_leaves_the_list_index_current_so_opening_the_inbox_reads_no_shard(tmp_path: Path) -> None:
    """The first opening after a sync used to rebuild the message list from every shard (1-2 s at 10,000
    messages): the sync now brings the list index in step once it has stored what it fetched."""
    profile = Profile.create(tmp_path / "p", "pw")
    source = ListSource(250)
    report = await SyncEngine(MessageStore(profile), source_factory=lambda account: source).sync(ACCOUNT)
    assert report.new == 250

    reopened = MessageStore(Profile.open(tmp_path / "p", "pw"))
    read: list[int] = []
    real_read = reopened.docs.read_shard

    def counting(gen: int, index: int):  # noqa: ANN202 - the collection's own signature
        read.append(index)
        return real_read(gen, index)

    reopened.docs.read_shard = counting  # type: ignore[method-assign]
    assert len(reopened.rows()) == 250
    assert read == []  # every row came from the index the sync saved

    del source.messages[3]  # an expunge is a change too: the next sync refreshes the index again
    assert (await SyncEngine(reopened, source_factory=lambda account: source).sync(ACCOUNT)).expunged == 1
    again = MessageStore(Profile.open(tmp_path / "p", "pw"))
    again.docs.read_shard = counting  # type: ignore[method-assign]
    read.clear()
    assert len(again.rows()) == 249 and read == []


async def test_a_first_sync_lays_the_store_out_for_its_messages_and_never_splits_it(tmp_path: Path) -> None:
    """The sync tells the empty store how many messages come: its shards are laid out once, instead of every
    stored message being rewritten at each split as the store grows (17 UID groups in 4 shards: at least
    one shard passes twice its size, which splits the collection); a second sync adds to that layout."""
    store = MessageStore(Profile.create(tmp_path / "p", "pw"))
    source = ListSource(17 * UID_GROUP)
    report = await SyncEngine(store, source_factory=lambda account: source).sync(ACCOUNT)
    assert report.new == 17 * UID_GROUP
    assert store.docs.gen == 0 and store.docs.bits == 4  # 1,700 messages at 200 a shard: 16 shards
    assert len(store.list()) == 17 * UID_GROUP
    for uid in range(17 * UID_GROUP + 1, 18 * UID_GROUP + 1):
        source.messages[uid] = letter(f"lettre {uid}")
    assert (await SyncEngine(store, source_factory=lambda account: source).sync(ACCOUNT)).new == UID_GROUP
    assert store.get_raw(message_id_for("cab", "INBOX", 7, 1750)) == letter("lettre 1750")
    assert len(store.list()) == 18 * UID_GROUP


@pytest.mark.parametrize("on_disk", [False, True])
def test_letters_stored_again_leave_no_blob_of_their_first_copy(on_disk: bool, tmp_path: Path) -> None:
    """A batch stored, then fetched again (its folder state lost in a crash): the second copy replaces the
    first under the same ids, and the first copy's blobs are deleted, whether the store learns what it
    replaces while writing (the sharded collection) or asks first (any other)."""
    store = MessageStore(Profile.create(tmp_path / "p", "pw") if on_disk else MemoryProfile())
    items = [(u, [], letter(f"lettre {u}"), summary_of(letter(f"lettre {u}"))) for u in range(1, 6)]
    store.store_new(FolderState("cab", "INBOX", uidvalidity=7, pending={}), items)
    first = {m.id: store.doc(m.id)["blob"] for m in store.list()}
    again = [(u, [], letter(f"encore {u}"), summary_of(letter(f"encore {u}"))) for u in range(3, 8)]
    ids = store.store_new(FolderState("cab", "INBOX", uidvalidity=7, pending={}), again)
    assert len(store.list()) == 7
    for mid in ids:
        assert store.get_raw(mid) == letter(f"encore {store.doc(mid)['uid']}")
    replaced = [blob for mid, blob in first.items() if mid in ids]
    kept = [blob for mid, blob in first.items() if mid not in ids]
    assert len(replaced) == 3 and len(kept) == 2

    def stored(blob: str) -> bool:
        return store.blobs.exists(blob) if on_disk else blob in store.blobs.data

    assert not any(stored(blob) for blob in replaced)
    assert all(stored(blob) for blob in kept)


async def test_the_folder_state_is_saved_every_few_batches_and_names_only_what_is_stored(
    tmp_path: Path,
) -> None:
    """A fetch of 25 batches saves the folder state after every tenth (and at the end of the folder), not
    after each: each save named every UID of the folder. Whenever it is saved, it names only stored
    messages; at the end it names them all."""
    store = MessageStore(Profile.create(tmp_path / "p", "pw"))
    source = ListSource(250)  # 25 batches of 10
    saves: list[list[int]] = []
    real = store.save_state

    def save(state: FolderState) -> None:
        stored = {m.uid for m in store.list()}
        assert set(state.known()) <= stored  # never a message not stored
        saves.append(sorted(state.known()))
        real(state)

    store.save_state = save  # type: ignore[method-assign]
    engine = SyncEngine(store, source_factory=lambda account: source)
    engine.state_every_seconds = float("inf")  # by count only: the test does not depend on the clock
    assert (await engine.sync(ACCOUNT)).new == 250
    during = [len(uids) for uids in saves if 0 < len(uids) < 250]
    assert during == [100, 200]  # after the 10th and the 20th batch
    assert len(saves) <= 5 and saves[-1] == list(range(1, 251))
    assert sorted(store.folder_state("cab", "INBOX").known()) == list(range(1, 251))


async def test_the_free_heap_is_handed_back_every_few_batches_and_after_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fetch of 25 batches gives the C library's free heap back after every fourth stored batch and once
    after the last (each hand-back costs page faults in the batches that follow; every batch made 34,000-
    39,000 of them in a 10,000-message sync, every fourth 20,000-22,000, for the same peak); always from the
    writer thread, after the batch it follows is stored."""
    import threading

    import core.mail.sync as sync_module

    store = MessageStore(Profile.create(tmp_path / "p", "pw"))
    source = ListSource(250)  # 25 batches of 10
    trims: list[tuple[int, str]] = []

    def trim(pad: int) -> int:
        trims.append((len(store.list()), threading.current_thread().name))
        return 1

    monkeypatch.setattr(sync_module, "_malloc_trim", lambda: trim)
    engine = SyncEngine(store, source_factory=lambda account: source)
    assert (await engine.sync(ACCOUNT)).new == 250
    assert [stored for stored, _ in trims] == [40, 80, 120, 160, 200, 240, 250]
    assert all(name.startswith("missive-store") for _, name in trims)


async def test_a_hook_that_is_a_coroutine_is_awaited() -> None:
    """A hook may be async: what it says once awaited is what is stored, as for a plain one."""

    async def hook(raw: bytes) -> dict[str, object]:
        await asyncio.sleep(0)
        return {"abnormal": True, "n": len(raw)}

    engine = SyncEngine(MessageStore(MemoryProfile()), on_new_message=hook)
    assert await engine._hook(b"raw", "0" * 32, "INBOX") == {"abnormal": True, "n": 3}


async def test_what_a_hook_says_is_stored_as_plain_values() -> None:
    """A hook's dataclass values become their JSON form (``to_json``, else their fields); plain values are
    kept as they are."""
    from dataclasses import dataclass as _dataclass

    @_dataclass
    class Fields:
        a: int

    @_dataclass
    class Own:
        b: str

        def to_json(self) -> dict[str, str]:
            return {"own": self.b}

    said = {"n": 1, "ok": True, "text": "x", "none": None, "list": [1], "map": {"k": 2}, "f": Fields(3)}
    said["o"] = Own("y")
    said["kind"] = Fields  # a class is not an instance: kept
    engine = SyncEngine(MessageStore(MemoryProfile()), on_new_message=lambda raw: said)
    out = await engine._hook(b"raw", "0" * 32, "INBOX")
    assert out == {**said, "f": {"a": 3}, "o": {"own": "y"}}


@pytest.mark.parametrize("fails", [False, True])
async def test_the_cyclic_collector_runs_less_while_mail_is_read_and_as_before_after(fails: bool) -> None:
    """While new mail is read the collector's first threshold is raised (it ran about 200 times in a first
    sync of 10,000 letters, for almost nothing to collect); once the sync is over, or has failed, the
    process's thresholds are what they were (the app's own allocations are not concerned)."""
    import gc

    from core.mail.sync import YOUNG_COLLECTION

    seen: list[int] = []

    class Watched(ListSource):
        async def fetch(self, uids: Sequence[int], batch: int = 10) -> AsyncGenerator[list[Fetched], None]:
            async for found in super().fetch(uids, batch):
                seen.append(gc.get_threshold()[0])
                if fails and len(seen) == 2:
                    raise OSError(5, "Input/output error")
                yield found

    before = gc.get_threshold()
    store = MessageStore(MemoryProfile())
    engine = SyncEngine(store, source_factory=lambda account: Watched(30))
    if fails:
        with pytest.raises(OSError):
            await engine.sync(ACCOUNT)
    else:
        assert (await engine.sync(ACCOUNT)).new == 30
    assert seen and all(t >= YOUNG_COLLECTION for t in seen)
    assert gc.get_threshold() == before


async def test_the_hook_is_told_the_id_each_letter_is_stored_under() -> None:
    """The sync makes each letter's id once, for the hook (documents are filed with it, $Filed goes there)
    and for the store: the same id."""
    told: dict[str, bytes] = {}

    def hook(raw: bytes, store_id: str) -> dict[str, object]:
        told[store_id] = raw
        return {}

    store = MessageStore(MemoryProfile())
    source = ListSource(25)
    assert (
        await SyncEngine(store, source_factory=lambda account: source, on_new_message=hook).sync(ACCOUNT)
    ).new == 25
    assert sorted(told) == sorted(m.id for m in store.list())
    assert all(store.get_raw(mid) == raw for mid, raw in told.items())
    assert set(told) == {message_id_for("cab", "INBOX", 7, uid) for uid in range(1, 26)}
