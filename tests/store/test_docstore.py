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
