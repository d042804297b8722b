"""A folder's UIDs and flags kept compactly (core.mail.uidflags) behave as the dict they replace, and read
back every form a folder state was saved in."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from core.mail.messages import FolderState
from core.mail.uidflags import UidFlags

FLAGS = st.lists(st.sampled_from(["\\Seen", "\\Answered", "\\Flagged", "$Filed", "$Label1"]), unique=True)
OPS = st.lists(
    st.one_of(
        st.tuples(st.just("set"), st.integers(1, 60), FLAGS),
        st.tuples(st.just("del"), st.integers(1, 60), st.just([])),
        st.tuples(st.just("batch"), st.integers(1, 80), st.integers(1, 12)),
        st.tuples(st.just("drop"), st.lists(st.integers(1, 90), max_size=8), st.just([])),
    ),
    max_size=40,
)


@settings(max_examples=200, deadline=None)
@given(OPS)
def test_behaves_like_the_dict_it_replaces(ops) -> None:
    compact, plain = UidFlags(), {}
    for kind, a, b in ops:
        if kind == "set":
            compact[a], plain[a] = b, list(b)
        elif kind == "del":
            assert compact.pop(a, None) == plain.pop(a, None)
        elif kind == "batch":  # a sync's batch: new UIDs, usually above every known one
            batch = {uid: ["\\Seen"] if uid % 3 else [] for uid in range(a, a + b)}
            compact.update(batch)
            plain.update(batch)
        else:
            assert compact.discard_many(a) == len(set(a) & plain.keys())
            for uid in a:
                plain.pop(uid, None)
        assert compact == plain and len(compact) == len(plain)
        assert list(compact) == sorted(plain)
        assert all((uid in compact) == (uid in plain) for uid in range(0, 95))
    saved = json.loads(json.dumps(compact.to_json()))
    assert UidFlags.from_json(saved) == plain


def test_a_flags_list_read_is_a_copy() -> None:
    uids = UidFlags({3: ["\\Seen"], 4: ["\\Seen"]})
    uids[3].append("\\Deleted")
    assert uids[3] == ["\\Seen"] and uids[4] == ["\\Seen"]
    assert uids.get(5) is None and "3" not in uids


def test_states_saved_by_older_versions_are_read() -> None:
    wanted = {2: [], 5: ["\\Seen"], 9: ["$Filed", "\\Seen"]}
    lists = {"account": "cab", "folder": "INBOX", "uids": [[5, 2, 9], [["\\Seen"], [], ["$Filed", "\\Seen"]]]}
    keyed = {
        "account": "cab",
        "folder": "INBOX",
        "uids": {"5": ["\\Seen"], "2": [], "9": ["$Filed", "\\Seen"]},
    }
    assert FolderState.from_json(lists).uids == wanted
    assert FolderState.from_json(keyed).uids == wanted
    assert FolderState.from_json({"account": "cab", "folder": "INBOX"}).uids == {}


def test_a_large_folder_state_stays_small_to_save() -> None:
    """Saved after every batch of a first sync: 10,000 UIDs with a few flag sets are a few kilobytes of JSON
    (10,000 lists in the form saved before: about 120 KB to build, encode, seal and parse again)."""
    state = FolderState("cab", "INBOX", 7, 10_001, exists=10_000, pending={})
    state.known().update({uid: ["\\Seen"] if uid % 4 else [] for uid in range(1, 10_001)})
    text = json.dumps(state.to_json())
    assert len(text) < 8_000
    again = FolderState.from_json(json.loads(text))
    assert again == state and again.uids is not None and again.uids[4] == [] and again.uids[5] == ["\\Seen"]
