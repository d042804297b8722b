"""Sharded encrypted collections behave like a dict and stay small per write."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from core.store.profile import Profile


def test_put_get_delete(profile: Profile) -> None:
    c = profile.collection("things")
    c.put("a", {"v": 1})
    c.put("a", {"w": 2})  # replace, not merge
    assert c.get("a") == {"w": 2}
    assert c.delete("a") and c.get("a") is None and not c.delete("a")


def test_many_documents_split_into_small_shards(profile: Profile) -> None:
    c = profile.collection("messages")
    c.put_many({f"m{i}": {"i": i} for i in range(3000)})
    for i in range(200):
        c.put(f"x{i}", {"i": i})
    assert len(c) == 3200
    shards = list((profile.path / "db" / "messages").glob("g*.mdb"))
    assert len(shards) >= 3200 // 100  # no shard holds hundreds of documents
    reopened = Profile.open(profile.path, "correct horse battery staple").collection("messages")
    assert reopened.get("m2999") == {"i": 2999} and len(reopened) == 3200


def test_two_processes_see_each_others_writes(profile: Profile) -> None:
    other = Profile.open(profile.path, "correct horse battery staple")
    a, b = profile.collection("shared"), other.collection("shared")
    a.put("k", {"v": 1})
    assert b.get("k") == {"v": 1}
    b.put("k", {"v": 2})
    assert a.get("k") == {"v": 2}
    a.put_many({f"n{i}": {"i": i} for i in range(500)})  # forces a split seen by the other handle
    assert len(b) == 501 and b.get("n499") == {"i": 499}


def test_a_split_counts_documents_another_handle_wrote(profile: Profile) -> None:
    """A handle decides a split from shard counts it remembers by file stamp: a shard another process wrote
    since is counted again, so its new documents are not missed."""
    from core.store.docstore import _shard_of

    tails = ["00", *(f"{n:02d}" for n in range(1, 99))]
    t1 = tails[0]
    t2 = next(t for t in tails if _shard_of(t, 2, 2) != _shard_of(t1, 2, 2))  # two shards of the four
    other = Profile.open(profile.path, "correct horse battery staple")
    a, b = profile.collection("counted"), other.collection("counted")
    a.place_by_tail(2, shard_size=10)  # a split when one shard passes 20 and all pass 10 a shard on average
    a.put_many({**{f"a{i:02d}-{t1}": {"i": i} for i in range(21)}, **{f"a{i:02d}-{t2}": {} for i in range(5)}})
    assert a.gen == 0  # 26 documents counted, 40 allowed: a remembers both shards' counts
    b.put_many({f"b{i:02d}-{t2}": {"i": i} for i in range(14)})  # its shard now holds 19: no count by b
    assert b.gen == 0
    a.put(f"c00-{t1}", {"i": 0})  # 41 documents: a counts b's shard again (changed) and splits
    assert a.gen == 1 and a.bits == 3
    assert len(b) == 41 and b.get(f"b13-{t2}") == {"i": 13}


def test_no_plaintext_on_disk(profile: Profile) -> None:
    profile.collection("patients").put("p", {"birth_name": "ZORGLUB", "birth_date": "1961-02-03"})
    for f in profile.path.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert b"ZORGLUB" not in data and b"1961-02-03" not in data


@settings(max_examples=25, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.dictionaries(st.text(max_size=5), st.integers())))
def test_behaves_like_a_dict(tmp_path_factory, items) -> None:
    p = Profile.create(tmp_path_factory.mktemp("p") / "prof", "pw")
    c = p.collection("h")
    c.put_many(items)
    assert dict(c.items()) == items


def test_keys_ending_alike_share_a_shard(profile: Profile) -> None:
    c = profile.collection("grouped")
    c.place_by_tail(4, shard_size=100)
    c.put_many({f"m{i:03d}-{i // 50:04d}": {"i": i} for i in range(200)})  # 4 groups of 50
    files = list((profile.path / "db" / "grouped").glob("g*.mdb"))
    assert len(files) <= 4  # one per group at most, not one per hash of each key
    again = Profile.open(profile.path, "correct horse battery staple").collection("grouped")
    assert again.tail == 4 and again.get("m123-0002") == {"i": 123} and len(again) == 200


def test_an_existing_collection_keeps_its_placement_until_its_next_split(profile: Profile) -> None:
    old = profile.collection("older")
    old.put_many({f"k{i}": {"i": i} for i in range(60)})  # placed by whole keys, as before placement by tail
    c = Profile.open(profile.path, "correct horse battery staple").collection("older")
    c.place_by_tail(2)
    assert c.tail == 0 and c.get("k59") == {"i": 59}
    c.put_many({f"n{i}": {"i": i} for i in range(600)})  # the collection splits: placed by tail from then on
    assert c.tail == 2 and c.gen > 0
    assert dict(c.items()) == {
        **{f"k{i}": {"i": i} for i in range(60)},
        **{f"n{i}": {"i": i} for i in range(600)},
    }


def test_a_split_never_builds_on_a_generation_a_crash_left_half_written(profile: Profile) -> None:
    c = profile.collection("crashed")
    c.put_many({f"a{i}": {"i": i} for i in range(100)})
    ghost = profile.path / "db" / "crashed" / f"g{c.gen + 1}-00000.mdb"
    payload = b'{"_default":{"a1":{"i":"ghost"},"gone":{"i":-1}}}'
    ghost.write_bytes(profile.vault.seal(payload, f"db/crashed/{ghost.name}"))
    c.put_many({f"b{i}": {"i": i} for i in range(400)})  # splits into that generation
    assert c.gen > 0 and c.get("gone") is None and c.get("a1") == {"i": 1}


def test_threads_read_while_another_writes(profile: Profile) -> None:
    import threading

    c = profile.collection("busy")
    errors: list[BaseException] = []

    def write() -> None:
        try:
            for n in range(30):
                c.put_many({f"w{n}-{j}": {"n": n} for j in range(40)})
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        seen = dict(c.items())
        for key, doc in seen.items():
            assert key.startswith(f"w{doc['n']}-")
        assert all(c.get(f"w{n}-0") is not None for n in {d["n"] for d in seen.values()})
    writer.join()
    assert not errors and len(c) == 30 * 40


def test_a_collection_keeps_a_bounded_number_of_shards_in_memory(profile: Profile) -> None:
    """A first sync writes group after group: the documents held in memory stay those of a few shards, not
    the whole collection, and every document is still read back (from its file) after it left memory."""
    from core.store.docstore import CACHED_SHARDS

    c = profile.collection("synced")
    c.place_by_tail(4, shard_size=100)
    groups = 8 * CACHED_SHARDS
    for g in range(groups):  # one batch per group, as the sync stores them
        c.put_many({f"m{g:03d}{i:03d}-{g:04d}": {"g": g, "i": i} for i in range(50)})
        assert len(c._shards) <= CACHED_SHARDS
    held = sum(len(s.storage._data["_default"]) for s in c._shards.values() if s.storage._data)
    largest = max(len(c._shard(i).docs()) for i, _ in c._shard_files(c.gen))
    # a few shards' worth (at most CACHED_SHARDS of them), however many were written
    assert held <= CACHED_SHARDS * largest and held < groups * 50 / 2
    assert c.get("m000007-0000") == {"g": 0, "i": 7} and len(c) == groups * 50
    c.put("m000008-0000", {"g": 0, "i": 8, "again": True})  # a shard read back is written like any other
    again = Profile.open(profile.path, "correct horse battery staple").collection("synced")
    assert again.get("m000008-0000") == {"g": 0, "i": 8, "again": True} and len(again) == groups * 50


def test_a_split_rewrites_one_old_shard_at_a_time(profile: Profile, monkeypatch) -> None:
    """A split of a large collection (a first sync of 10,000 messages splits at 6,400) holds one old shard's
    documents at a time: each old shard's new shards are handed to the writers before the next old shard is
    read, and every document is found again after it."""
    import core.store.docstore as docstore

    c = profile.collection("synced")
    c.place_by_tail(4, shard_size=50)
    events: list[str] = []
    peek, write_many = c._peek, docstore.write_many

    def reading(index: int):
        events.append("read")
        return peek(index)

    def writing(files, **kw) -> None:
        events.append("split")

        def taken():
            for path, data in files:
                events.append("write")
                yield path, data

        write_many(taken(), **kw)

    monkeypatch.setattr(c, "_peek", reading)
    monkeypatch.setattr(docstore, "write_many", writing)
    everything: dict[str, dict[str, int]] = {}
    g = 0
    while c.gen < 3:  # one batch per group of keys ending alike, as the sync stores them
        batch = {f"m{g:03d}{i:03d}-{g:04d}": {"g": g, "i": i} for i in range(40)}
        c.put_many(batch)
        everything.update(batch)
        g += 1
        assert g < 500
    during = events[len(events) - events[::-1].index("split") :]  # the last split's reads and writes
    assert during.count("read") >= 4  # several old shards, each read once
    assert ("read", "read") not in set(zip(during, during[1:], strict=False))  # never two in a row
    monkeypatch.undo()
    again = Profile.open(profile.path, "correct horse battery staple").collection("synced")
    assert again.gen == 3 and dict(again.items()) == everything


def test_an_empty_collection_told_what_comes_takes_its_shards_at_once(profile: Profile) -> None:
    """A first sync says how many messages come: the empty collection is laid out for them and never splits
    on the way (each split rewrote every document); a collection already holding documents is left as it
    is, and still splits as it grows."""
    c = profile.collection("first")
    c.place_by_tail(4, shard_size=20)
    c.expect(1000)
    assert (c.gen, c.bits, c.tail) == (0, 6, 4)  # 1000 documents at 20 a shard: 64 shards
    for g in range(50):  # batches of 20 keys ending alike, as a sync writes them
        c.put_many({f"m{g:03d}{i:02d}-{g:04d}": {"g": g, "i": i} for i in range(20)})
    assert c.gen == 0 and len(c) == 1000
    again = Profile.open(profile.path, "correct horse battery staple").collection("first")
    assert (again.gen, again.bits, again.tail) == (0, 6, 4) and again.get("m04919-0049") == {"g": 49, "i": 19}

    grown = profile.collection("grown")
    grown.place_by_tail(4, shard_size=20)
    grown.put_many({f"a{i:03d}-0000": {"i": i} for i in range(10)})
    grown.expect(1000)  # holds documents: no new layout
    assert (grown.gen, grown.bits) == (0, 2)
    for g in range(1, 50):
        grown.put_many({f"m{g:03d}{i:02d}-{g:04d}": {"i": i} for i in range(20)})
    assert grown.gen > 0 and len(grown) == 990


def test_opening_a_collection_removes_only_the_temporaries_a_crash_left(profile: Profile) -> None:
    """What atomic_write leaves when a crash stops it (``.<name>.<random>.part``) goes when the collection opens
    again; its shards, a file merely ending in .part, a hidden file of another kind and a bare '.part' stay."""
    c = profile.collection("kept")
    c.put("a", {"v": 1})
    folder = profile.path / "db" / "kept"
    left = [folder / ".g0-00000.mdb.1a2b3c4d.part", folder / "..part"]
    others = [folder / "notes.part", folder / ".hidden", folder / ".part", folder / ".part.bak"]
    for path in (*left, *others):
        path.write_bytes(b"x")
    shards = sorted(folder.glob("g*.mdb"))
    reopened = Profile.open(profile.path, "correct horse battery staple").collection("kept")
    assert reopened.get("a") == {"v": 1}
    assert not any(path.exists() for path in left)
    assert all(path.exists() for path in others) and sorted(folder.glob("g*.mdb")) == shards

