"""The message list index: the same summaries as reading every document, in step with every write
(this process, another one, a crash, a split), rebuilt when damaged, and encrypted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.mail.messages import FolderState, MessageRows, MessageStore, SummaryList, message_id_for
from core.model import MessageSummary
from core.store.atomic import atomic_write
from core.store.profile import Profile

PASS = "correct horse battery staple"
BASE = dt.datetime(2026, 3, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))


def meta(i: int, folder: str = "INBOX", account: str = "cabinet", **extra) -> dict:
    doc = {
        "account": account,
        "folder": folder,
        "uidvalidity": 7,
        "uid": i,
        "size": 1000 + i,
        "flags": ["\\Seen"] if i % 3 else [],
        "filed": False,
        "blob": f"{i:032x}",
        "message_id": f"<{i}@labo.test>",
        "from": f"labo{i % 5}@labo.mssante.fr",
        "to": ["dr.martin@cabinet.mssante.fr"],
        "subject": f"Résultats {i}",
        "date": (BASE + dt.timedelta(minutes=13 * i)).isoformat(),
        "encrypted": i % 4 == 0,
        "signed": i % 2 == 0,
        "has_attachments": i % 5 == 0,
    }
    doc.update(extra)
    return doc


def fill(store: MessageStore, docs: dict[int, dict]) -> dict[str, dict]:
    keyed = {message_id_for(d["account"], d["folder"], 7, i): d for i, d in docs.items()}
    store.docs.put_many(keyed)
    return keyed


def reference(store: MessageStore, folder: str | None = None, account: str | None = None) -> list:
    """What the store said before the index: every document read, then sorted (a NUL, which no header may
    hold, is listed as U+FFFD)."""
    return [_no_nul(s) for s in store._scan(folder, account)]


def _no_nul(s: MessageSummary) -> MessageSummary:
    texts = {k: v.replace("\x00", "\ufffd") for k, v in vars(s).items() if isinstance(v, str) and "\x00" in v}
    return dataclasses.replace(s, **texts) if texts else s


def test_rows_are_the_summaries_of_every_document_newest_first(profile: Profile) -> None:
    store = MessageStore(profile)
    docs = {i: meta(i) for i in range(300)}
    docs.update({i: meta(i, folder="Sent", account="maison") for i in range(300, 340)})
    docs[5] = meta(5, date=None)  # no date: last
    docs[6] = meta(6, signature={"valid": False, "signer": "x@y.fr", "subject": "CN=x", "reason": "expiré"})
    docs[7] = meta(7, subject="nul \x00 inside", flags=["\\Seen", "$Filed"], filed=True, abnormal=True)
    docs[8] = meta(8, date="2026-03-01T07:30:00")  # naive: read as UTC, as a list shows it
    fill(store, docs)
    rows = store.rows()
    assert isinstance(rows, MessageRows) and len(rows) == 340
    expected = reference(store)
    got = list(rows)
    assert [s.id for s in got] == [s.id for s in expected]
    assert got == expected
    assert got[[s.uid for s in got].index(7)].subject == "nul \ufffd inside"
    assert got[-1].date is None
    assert rows[0] == got[0] and rows[-1] == got[-1] and rows[10:13] == got[10:13]
    assert [s.id for s in store.rows(folder="Sent")] == [s.id for s in reference(store, folder="Sent")]
    assert [s.id for s in store.rows(account="maison", folder="INBOX")] == []
    assert store.folder_list() == ["INBOX", "Sent"]
    assert store.list() == list(store.rows())


def test_a_summary_built_from_the_index_has_every_field_of_the_model(profile: Profile) -> None:
    store = MessageStore(profile)
    fill(store, {1: meta(1)})
    summary = store.rows()[0]
    names = {f.name for f in dataclasses.fields(MessageSummary)}
    assert set(vars(summary)) == names
    assert MessageSummary(**vars(summary)) == summary == store.get(summary.id)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.tuples(
            st.integers(0, 10_000),  # minutes after BASE
            st.sampled_from(["INBOX", "Sent", "Labos"]),
            st.text(max_size=20),
            st.booleans(),
        ),
        min_size=1,
        max_size=60,
    ),
    st.lists(st.integers(0, 59), max_size=10),
)
def test_after_any_writes_the_rows_match_a_full_read(tmp_path_factory, messages, removed) -> None:
    profile = Profile.create(tmp_path_factory.mktemp("p") / "prof", PASS)
    store = MessageStore(profile)
    docs = {
        uid: meta(uid, folder=folder, subject=subject, flags=["\\Seen"] if seen else [],
                  date=(BASE + dt.timedelta(minutes=minutes)).isoformat())
        for uid, (minutes, folder, subject, seen) in enumerate(messages)
    }  # fmt: skip
    keyed = fill(store, docs)
    assert [s.id for s in store.rows()] == [s.id for s in reference(store)]
    keys = list(keyed)
    store.docs.delete_many([keys[i] for i in removed if i < len(keys)])
    store.docs.put_many({k: {**keyed[k], "subject": "changé"} for k in keys[::3]})
    for folder in (None, "INBOX", "Sent", "Labos"):
        assert list(store.rows(folder=folder)) == reference(store, folder=folder)


def test_writes_of_another_process_are_seen_and_only_their_shards_are_read(profile: Profile) -> None:
    mine = MessageStore(profile)
    keyed = fill(mine, {i: meta(i) for i in range(400)})
    assert len(mine.rows()) == 400
    other = MessageStore(Profile.open(profile.path, PASS))
    target = next(iter(keyed))
    other.add_flags(target, "\\Seen", "$Filed")

    reads: list[int] = []
    real = mine.docs.read_shard
    mine.docs.read_shard = lambda gen, index: reads.append(index) or real(gen, index)  # type: ignore[method-assign]
    rows = mine.rows()
    assert len(reads) == 1  # one shard changed: one shard read again, not the whole collection
    assert rows[rows.index_of(target)].filed

    state = FolderState("cabinet", "INBOX", uidvalidity=7)
    other.store_new(state, [(900, [], b"Subject: neuf\r\n\r\ncorps", {"subject": "neuf", "date": None})])
    other.forget_uids(state, [1, 2])
    rows = mine.rows()
    assert len(rows) == 399 and "neuf" in {s.subject for s in rows}
    assert list(rows) == reference(mine)


def test_a_split_between_two_reads_is_followed(profile: Profile) -> None:
    store = MessageStore(profile)
    fill(store, {i: meta(i) for i in range(150)})
    before = store.docs.bits
    assert len(store.rows()) == 150
    fill(store, {i: meta(i) for i in range(150, 3000)})
    assert store.docs.bits > before  # the collection doubled its shards meanwhile
    assert list(store.rows()) == reference(store)


def test_an_index_older_than_the_shards_is_brought_up_to_date(profile: Profile) -> None:
    """As after a crash between a shard write and the index write, or a restored backup of the index."""
    store = MessageStore(profile)
    keyed = fill(store, {i: meta(i) for i in range(200)})
    store.rows()
    index_file = profile.path / "db" / "messages" / "index-list.mdb"
    stale = index_file.read_bytes()
    store.docs.put_many({k: {**d, "subject": "relu"} for k, d in list(keyed.items())[:50]})
    store.rows()
    index_file.write_bytes(stale)
    again = MessageStore(Profile.open(profile.path, PASS))
    assert sum(s.subject == "relu" for s in again.rows()) == 50
    assert list(again.rows()) == reference(again)


def test_a_shard_version_is_always_later_than_the_one_it_replaces(tmp_path: Path) -> None:
    """Even when the clock went back since the last write, or the file system hands the old inode out."""
    path = tmp_path / "shard.mdb"
    atomic_write(path, b"x" * 64, advance_mtime=True)
    ahead = time.time_ns() + 3600 * 10**9
    os.utime(path, ns=(ahead, ahead))
    stamps = []
    for _ in range(20):  # same size every time, as fast as possible
        atomic_write(path, b"y" * 64, advance_mtime=True)
        st = os.stat(path)
        stamps.append((st.st_mtime_ns, st.st_size, st.st_ino))
    assert stamps[0][0] > ahead
    assert [s[0] for s in stamps] == sorted({s[0] for s in stamps})  # strictly increasing


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage", "other-file"])
def test_a_damaged_index_is_rebuilt_from_the_shards(profile: Profile, damage: str, caplog) -> None:
    store = MessageStore(profile)
    fill(store, {i: meta(i) for i in range(120)})
    expected = list(store.rows())
    index_file = profile.path / "db" / "messages" / "index-list.mdb"
    data = bytearray(index_file.read_bytes())
    if damage == "flip":
        data[len(data) // 2] ^= 0x40
    elif damage == "truncate":
        del data[len(data) // 3 :]
    elif damage == "garbage":
        data = bytearray(b"not an index at all")
    else:  # a valid encrypted file of the profile, put in the index's place
        data = bytearray(next((profile.path / "db" / "messages").glob("g*.mdb")).read_bytes())
    index_file.write_bytes(bytes(data))
    again = MessageStore(Profile.open(profile.path, PASS))
    assert list(again.rows()) == expected
    assert any("rebuilt" in r.getMessage() for r in caplog.records)
    assert not any("Résultats" in r.getMessage() for r in caplog.records)
    assert index_file.read_bytes() != bytes(data)  # written again, whole


def test_the_index_holds_no_plaintext(profile: Profile) -> None:
    store = MessageStore(profile)
    fill(store, {1: meta(1, subject="DUPONT Jeanne kaliémie", **{"from": "zorglub@labo.fr"})})
    store.rows()
    data = (profile.path / "db" / "messages" / "index-list.mdb").read_bytes()
    assert b"DUPONT" not in data and b"zorglub" not in data and "kaliémie".encode() not in data


def test_rows_answer_counts_positions_replacements_and_searches(profile: Profile) -> None:
    store = MessageStore(profile)
    fill(
        store, {i: meta(i, subject=f"Kaliémie {i}" if i % 10 == 0 else f"Résultats {i}") for i in range(100)}
    )
    rows = store.rows()
    assert rows.unread == sum(s.unread for s in rows) == 34
    newest = rows[0]
    assert rows.index_of(newest.id) == 0 and rows.index_of("f" * 32) is None
    assert rows.index_of(rows[57].id) == 57

    found = rows.matching("KALIÉMIE")
    assert [s.subject for s in found] == [f"Kaliémie {i}" for i in range(90, -1, -10)]
    assert found.index_of(rows[19].id) == 1 and found.index_of(rows[11].id) is None  # uids 80 and 88
    assert list(rows.matching("labo3@")) == [s for s in rows if s.sender == "labo3@labo.mssante.fr"]

    unread = next(s for s in rows if s.unread)
    seen = dataclasses.replace(unread, flags=(*unread.flags, "\\Seen"))
    assert rows.replace(seen)
    assert rows[rows.index_of(seen.id)] == seen and rows.unread == 33
    assert seen in list(rows.matching(seen.subject))  # views share what was replaced
    with pytest.raises(IndexError):
        rows[100]


def test_a_store_without_shards_lists_by_reading_everything() -> None:
    from tests.mail.helpers import MemoryProfile

    store = MessageStore(MemoryProfile())
    store.docs.put_many({f"{i:032x}": meta(i) for i in range(5)})
    assert [s.uid for s in store.rows()] == [4, 3, 2, 1, 0]
    assert store.folder_list() == ["INBOX"]


def test_rows_are_the_same_when_shards_are_merged_a_few_at_a_time(profile: Profile, monkeypatch) -> None:
    """Large rebuilds and patches merge their shards in batches: any batch size gives the same list."""
    from core.store import listindex

    monkeypatch.setattr(listindex, "BATCH_ROWS", 100)
    store = MessageStore(profile)
    keyed = fill(store, {i: meta(i, folder=("INBOX", "Sent")[i % 2]) for i in range(2000)})
    assert store.docs.bits >= 3  # several shards, several batches
    assert list(store.rows()) == reference(store)
    keys = list(keyed)
    store.docs.put_many({k: {**keyed[k], "subject": "changé", "date": None} for k in keys[::7]})
    store.docs.delete_many(keys[1::11])
    assert list(store.rows()) == reference(store)
    assert list(store.rows(folder="Sent")) == reference(store, folder="Sent")


def test_an_open_list_holds_its_index_once(profile: Profile) -> None:
    """The decrypted index file is let go once its columns are read: a list kept open holds about the file's size
    (it held the whole decrypted file, its texts being views of it, and its integer columns a second time)."""
    import gc
    import tracemalloc

    store = MessageStore(profile)
    fill(store, {i: meta(i) for i in range(3000)})
    store.rows()
    size = (profile.path / "db" / "messages" / "index-list.mdb").stat().st_size
    again = MessageStore(Profile.open(profile.path, PASS))
    gc.collect()
    tracemalloc.start()
    try:
        rows = again.rows()
        held, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rows) == 3000 and list(rows) == reference(again)
    assert held < 1.3 * size  # 1.05 x the file's size now; 1.64 x before


def test_enum_codes_take_one_byte_a_row_and_widen_past_256_values(profile: Profile) -> None:
    """An enum column (account, folder, recipients, flags, signature) holds one byte a row while it has at most
    256 values: at 50,000 messages four bytes a row cost some 750 KB for codes that are nearly all 0. A column
    that grows past 256 values widens, and lists the same rows, before and after the index is read again."""
    store = MessageStore(profile)
    fill(store, {i: meta(i, to=[f"dr{i % 200}@cabinet.mssante.fr"]) for i in range(400)})
    rows = store.rows()
    assert list(rows) == reference(store)
    table = store._list_index().table()
    assert {table.codes(n).itemsize for n in ("account", "folder", "to", "flags", "signature")} == {1}

    fill(store, {i: meta(i, to=[f"dr{i}@cabinet.mssante.fr"]) for i in range(400, 700)})  # 500 recipients
    assert list(store.rows()) == reference(store)
    table = store._list_index().table()
    assert table.codes("to").itemsize == 2 and table.codes("folder").itemsize == 1
    again = MessageStore(Profile.open(profile.path, PASS))
    assert list(again.rows()) == reference(again)
    assert again._list_index().table().codes("to").itemsize == 2


def test_integer_columns_are_held_in_the_narrowest_type_and_written_on_eight_bytes(profile: Profile) -> None:
    """A UID, a size, the flags' bits and a shard number were held on 8 bytes a row each (some 210 KB of a
    10,000-message list): each integer column is held in the narrowest unsigned type its values fit (B, H, I),
    widens as soon as a value needs it (a larger one, a negative one), and the file keeps 8 bytes a value (an
    index written before reads the same). The same rows before and after the index is read again."""
    from core.store import listindex

    store = MessageStore(profile)
    fill(store, {i: meta(i, size=100 + i) for i in range(1, 200)})
    assert list(store.rows()) == reference(store)
    table = store._list_index().table()
    assert table.ints("uid").itemsize == 1 and table.ints("size").itemsize == 2
    assert table.ints("bits").itemsize == 1 and table.shards.itemsize == 1
    assert table.ints("order").itemsize == 8  # microseconds since 1970

    fill(store, {300: meta(300, size=70_000), 70_000: meta(70_000, size=5_000_000_000)})
    assert list(store.rows()) == reference(store)
    table = store._list_index().table()
    assert table.ints("uid").itemsize == 4 and table.ints("size").itemsize == 8

    wide = listindex._encode(table)
    assert [len(p) for p in wide] == [
        len(p) for p in listindex._encode(listindex._decode(table.layout, b"".join(wide)))
    ]
    again = MessageStore(Profile.open(profile.path, PASS))
    assert list(again.rows()) == reference(again)
    assert again._list_index().table().ints("uid").itemsize == 4
    read = listindex._decode(table.layout, b"".join(wide))
    assert (
        read.ints("size").tolist() == table.ints("size").tolist()
        and read.shards.tolist() == table.shards.tolist()
    )


@pytest.mark.parametrize(
    ("values", "itemsize"),
    [([], 8), ([0, 255], 1), ([256], 2), ([65_535, 1], 2), ([65_536], 4), ([2**32 - 1], 4), ([2**32], 8),
     ([-1, 3], 8), ([2**63 - 1], 8), ([-(2**63)], 8)],
)  # fmt: skip
def test_narrowing_keeps_every_value(values: list[int], itemsize: int) -> None:
    from array import array

    from core.store import listindex

    narrow = listindex._narrow(array("q", values))
    assert narrow.tolist() == values and narrow.itemsize == itemsize
    assert listindex._wide(narrow).tolist() == values and listindex._wide(narrow).typecode == "q"


def test_an_index_of_the_previous_format_is_rebuilt(profile: Profile, monkeypatch, caplog) -> None:
    """Format 2 wrote every enum code on four bytes: such a file (an index written before this version) is
    rebuilt from the shards once, with the same rows."""
    from array import array

    from core.store import listindex

    with monkeypatch.context() as old:
        old.setattr(listindex, "FORMAT", 2)
        old.setattr(listindex, "_code_type", lambda values: "I")
        store = MessageStore(profile)
        fill(store, {i: meta(i) for i in range(50)})
        expected = list(store.rows())
        assert array("I").itemsize == store._list_index().table().codes("folder").itemsize
    again = MessageStore(Profile.open(profile.path, PASS))
    assert list(again.rows()) == expected
    assert any("not usable" in r.getMessage() and "rebuilt" in r.getMessage() for r in caplog.records)
    assert again._list_index().table().codes("folder").itemsize == 1


def test_message_keys_are_held_as_16_bytes_and_other_keys_as_texts(profile: Profile) -> None:
    """The store's keys (32 hexadecimal digits) are held packed, 16 bytes a row instead of 37; a key of another
    form (none of the store's own) turns the list's keys into texts, with the same rows, positions and searches,
    before and after the index is read again."""
    store = MessageStore(profile)
    fill(store, {i: meta(i) for i in range(300)})
    rows = store.rows()
    assert list(rows) == reference(store)
    assert all(rows.index_of(s.id) == p for p, s in enumerate(rows))
    assert rows.index_of("F" * 32) is None and rows.index_of("f" * 31 + " ") is None
    table = store._list_index().table()
    assert len(table.keys.blob) == 16 * 300
    assert table.position(table.key(0)[16:] + table.key(1)[:16]) is None  # found across two keys: not a key

    store.docs.put_many({"Brouillon-1": meta(1000), "ABCDEF" * 5 + "AB": meta(1001)})
    rows = store.rows()
    assert list(rows) == reference(store) and len(rows) == 302
    assert rows.index_of("Brouillon-1") is not None and rows.index_of("ABCDEF" * 5 + "AB") is not None
    assert all(rows.index_of(s.id) == p for p, s in enumerate(rows))
    again = MessageStore(Profile.open(profile.path, PASS))
    assert list(again.rows()) == list(rows)
    assert again.rows().index_of("Brouillon-1") == rows.index_of("Brouillon-1")


DATES = [
    "2026-03-01T08:30:00+01:00",
    "2026-03-01T08:30:00+00:00",
    "2026-03-01T08:30:00Z",
    "2026-03-01T08:30:00-05:30",
    "2026-03-01T08:30:00.123456+14:00",
    "2026-03-01T23:59:59.999999-12:00",
    "2026-03-01T08:30:00",  # naive: read as UTC for its order, given back without a zone
    "2026-03-01",
    "1969-12-31T23:59:59.000001+00:00",  # before 1970: a negative order
    "1901-01-01T00:00:00+00:20",  # an old zone of minutes
    "0001-01-01T00:00:00+01:00",  # before year 1 in UTC
    "9999-12-31T23:59:59.999999-01:00",  # after year 9999 in UTC
    "2026-03-01T08:30:00+01:00:30.5",  # seconds and microseconds in the offset
    "not a date",
    "",
]


def test_the_date_is_given_back_from_its_order_and_zone_not_kept_as_text(profile: Profile) -> None:
    """A row's date was kept as its ISO text (25 bytes and a 4-byte offset a row: 0.29 MB of a 10,000-message
    list). The index keeps the order (microseconds since 1970) and the date's zone (an enum, one byte a row),
    and gives back the same datetime as reading the text: the same instant, the same wall clock and zone (or
    none), for every form of date a message's metadata may hold."""
    store = MessageStore(profile)
    fill(store, {i: meta(i, date=text or None) for i, text in enumerate(DATES)})
    table = store._list_index().table()
    assert "date" not in table.columns and table.codes("zone").itemsize == 1
    by_uid = {s.uid: s for s in store.rows()}
    for i, text in enumerate(DATES):
        try:
            want = dt.datetime.fromisoformat(text) if text else None
        except ValueError:
            want = None
        got = by_uid[i].date
        assert got == want, text
        if want is not None:
            assert got is not None and got.isoformat() == want.isoformat(), text
            assert got.tzinfo == want.tzinfo and got.utcoffset() == want.utcoffset(), text
    # the same rows as a full read, in its order (but for year 1 at +01:00: before 0001-01-01 UTC, which a
    # full read puts after the rows without a date, the index among the dated rows)
    early = DATES.index("0001-01-01T00:00:00+01:00")
    assert [s for s in store.rows() if s.uid != early] == [s for s in reference(store) if s.uid != early]
    again = MessageStore(Profile.open(profile.path, PASS))  # read back from the index file
    assert [(s.date.isoformat() if s.date else None) for s in again.rows()] == [
        (s.date.isoformat() if s.date else None) for s in store.rows()
    ]


def test_the_domains_of_senders_and_message_ids_are_held_once(profile: Profile) -> None:
    """A sender ("Name <address@domain>") and a Message-ID were held whole, their domain repeated on every row
    (some 40 bytes a row: 0.4 MB of a 10,000-message list). Each is held as the text before its last '@' and an
    enum of what follows (a byte a row), and read back whole: the same rows as a full read, by row, by walk,
    by search, by sort, in conversations and in the correspondents' counts."""
    store = MessageStore(profile)
    docs = {i: meta(i, **{"from": f"Dr Labo {i} <labo{i}@site{i % 3}.labo.mssante.fr>"}) for i in range(60)}
    docs[60] = meta(60, **{"from": "sans arobase", "message_id": ""})  # no '@': all in the text column
    docs[61] = meta(61, **{"from": "a@b@c.fr", "message_id": "<x@y\x00z>"})  # the last '@'; a NUL shown as U+FFFD
    docs[62] = meta(62, **{"from": "@", "message_id": "@"})
    fill(store, docs)
    table = store._list_index().table()
    assert sorted(table.enum_values("sender_at")) == sorted(
        {"", "@c.fr", "@"} | {f"@site{k}.labo.mssante.fr>" for k in range(3)}
    )
    assert table.codes("sender_at").itemsize == 1 and table.codes("message_id_at").itemsize == 1
    assert b"labo.mssante.fr" not in table.texts("sender").blob and b"labo.test" not in table.texts("message_id").blob
    rows = store.rows()
    assert list(rows) == reference(store)
    assert [rows[i] for i in range(len(rows))] == reference(store)
    by_uid = {s.uid: s for s in rows}
    assert by_uid[61].sender == "a@b@c.fr" and by_uid[61].message_id == "<x@y\ufffdz>"
    assert by_uid[60].sender == "sans arobase" and by_uid[62].sender == "@" and by_uid[62].message_id == "@"
    assert [s.uid for s in rows.matching("site1.labo")] == [s.uid for s in reference(store) if "site1" in s.sender]
    assert [s.id for s in rows.sorted_by("sender")] == [s.id for s in SummaryList(reference(store)).sorted_by("sender")]
    assert [s.id for s in rows.threaded()] == [s.id for s in SummaryList(reference(store)).threaded()]
    assert rows.correspondents() == SummaryList(reference(store)).correspondents()
