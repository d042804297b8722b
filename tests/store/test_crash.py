"""A process killed with SIGKILL in the middle of a burst of writes leaves a store that opens and holds
a consistent prefix of what was written (each write all-or-nothing, none after a missing one)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from core.store.profile import Profile

WRITER = textwrap.dedent(
    """
    import sys
    from core.store.profile import Profile
    p = Profile.open(sys.argv[1], "pw")
    c = p.collection("burst" + sys.argv[2])
    print("ready", flush=True)
    for i in range(100000):
        if i % 4 == 0:  # a batch spanning several shards: all or nothing
            c.put_many({f"w{i}-{j}": {"w": i, "pad": "x" * 300} for j in range(40)})
        else:
            c.put(f"w{i}-0", {"w": i, "pad": "y" * 300})
        if i % 7 == 0:
            p.audit.append("file", f"doc{i}")
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_during_writes_leaves_consistent_prefix(tmp_path: Path) -> None:
    rng = random.Random(20261128)
    folder = tmp_path / "prof"
    Profile.create(folder, "pw")
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    seen_writes = set()
    for round_ in range(20):
        proc = subprocess.Popen(
            [sys.executable, str(script), str(folder), str(round_)], stdout=subprocess.PIPE, env=env
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.01, 0.4))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()

        store = Profile.open(folder, "pw")  # must open every time
        coll = store.collection(f"burst{round_}")
        counts: dict[int, int] = {}
        for key, doc in coll.items():
            w = doc["w"]
            assert key.startswith(f"w{w}-")
            counts[w] = counts.get(w, 0) + 1
        for w, n in counts.items():
            assert n == (40 if w % 4 == 0 else 1), f"round {round_}: write {w} is torn ({n} documents)"
        present = sorted(counts)
        assert present == list(range(len(present))), f"round {round_}: not a prefix"
        assert store.audit.verify() is None, f"round {round_}: audit log broken"
        seen_writes.add(len(present))
    assert len(seen_writes) > 1  # the kills did land at different points


SYNC_WRITER = textwrap.dedent(
    """
    import sys
    from core.mail.messages import FolderState, MessageStore
    from core.store.profile import Profile
    store = MessageStore(Profile.open(sys.argv[1], "pw"))
    state = store.folder_state("acct", "INBOX")
    if not state.uidvalidity:
        state.uidvalidity = 9
    print("ready", flush=True)
    first = max(state.uids or {0: []}) + 1
    for start in range(first, first + 100000, 37):
        uids = range(start, start + 37)
        store.store_new(state, [(u, [], b"message %d " % u * (1 + u % 50), {"subject": f"s{u}"}) for u in uids])
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_while_storing_new_messages_loses_no_stored_message(tmp_path: Path) -> None:
    """Messages, their packed raw bytes and the folder state: a killed batch is all there or not at all, and
    the state never names a message that is not stored (it would never be fetched again)."""
    from core.mail.messages import MessageStore

    rng = random.Random(5)
    folder = tmp_path / "prof"
    Profile.create(folder, "pw")
    script = tmp_path / "sync_writer.py"
    script.write_text(SYNC_WRITER)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    counts = set()
    for round_ in range(6):
        proc = subprocess.Popen([sys.executable, str(script), str(folder)], stdout=subprocess.PIPE, env=env)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()

        store = MessageStore(Profile.open(folder, "pw"))
        state = store.folder_state("acct", "INBOX")
        stored = {m.uid: m for m in store.list("INBOX")}
        assert set(state.uids or {}) <= set(stored), f"round {round_}: the state names a message not stored"
        for uid, summary in stored.items():
            assert store.get_raw(summary.id) == b"message %d " % uid * (1 + uid % 50)
            assert summary.subject == f"s{uid}"
        assert sorted(stored) == list(range(1, len(stored) + 1)), f"round {round_}: not a prefix"
        assert len(stored) % 37 == 0, f"round {round_}: a batch is torn"
        counts.add(len(stored))
    assert len(counts) > 1
