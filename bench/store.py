"""Store benchmark: cost of adding one message's metadata, of opening, and of listing, at 1k, 10k and 100k.

Side by side with the naive peer, one plain TinyDB JSON file (what the design card's library does alone),
in the same run. Prints times and the 100k/1k ratio of the per-message cost (target: under 2).
Listing is measured two ways: reading every document (``items()``, all the metadata), and the message list
as the inbox gets it (``MessageStore.rows()``: the list index, first built from the shards, then reopened).
Run: .venv/bin/python -m bench.store [--sizes 1000,10000,100000]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("MISSIVE_KDF", "floor")  # the store is measured, not the key derivation

from tinydb import TinyDB  # noqa: E402

from core.mail.messages import MessageStore  # noqa: E402
from core.store.profile import Profile  # noqa: E402


def metadata(i: int) -> dict:
    return {
        "account": "demo",
        "folder": "INBOX",
        "uid": i,
        "message_id": f"<{i}.bench@missive.test>",
        "from": f"labo{i % 50}@exemple.mssante.fr",
        "to": ["dr.martin@exemple.mssante.fr"],
        "subject": f"Résultats {i}",
        "date": "2026-11-28T10:00:00+01:00",
        "flags": ["\\Seen"],
        "size": 12000 + i % 5000,
        "encrypted": i % 3 == 0,
        "signed": True,
    }


def bench_missive(folder: Path, n: int, probes: int) -> tuple[float, float, float, float, float]:
    prof = Profile.create(folder, "pw")
    coll = prof.collection("messages")
    chunk = 500
    for start in range(0, n, chunk):  # a sync stores its batches like this
        coll.put_many({f"m{i}": metadata(i) for i in range(start, min(n, start + chunk))})
    times = []
    for j in range(probes):
        t = time.perf_counter()
        coll.put(f"extra{j}", metadata(n + j))
        times.append(time.perf_counter() - t)
    t = time.perf_counter()
    again = Profile.open(folder, "pw").collection("messages")
    opened = time.perf_counter() - t
    t = time.perf_counter()
    count = sum(1 for _ in again.items())
    listed = time.perf_counter() - t
    assert count == n + probes
    store = MessageStore(Profile.open(folder, "pw"))
    t = time.perf_counter()
    built = len(store.rows())
    index_built = time.perf_counter() - t
    store = MessageStore(Profile.open(folder, "pw"))
    t = time.perf_counter()
    rows = store.rows()
    first_page = rows[:40]
    index_open = time.perf_counter() - t
    assert built == len(rows) == n + probes and len(first_page) == 40
    return statistics.median(times), opened, listed, index_built, index_open


def bench_tinydb(folder: Path, n: int, probes: int) -> tuple[float, float]:
    db = TinyDB(folder / "plain.json")
    db.insert_multiple(metadata(i) for i in range(n))
    times = []
    for j in range(min(probes, 20)):
        t = time.perf_counter()
        db.insert(metadata(n + j))
        times.append(time.perf_counter() - t)
    db.close()
    t = time.perf_counter()
    db = TinyDB(folder / "plain.json")
    len(db.all())
    opened = time.perf_counter() - t
    db.close()
    return statistics.median(times), opened


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--probes", type=int, default=200)
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    results = {}
    print(
        f"{'messages':>9} | {'missive add':>12} {'open':>8} {'read all':>9} {'index built':>12}"
        f" {'list+40 rows':>12} | {'tinydb add':>11} {'open':>8}"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            add, opened, listed, index_built, index_open = bench_missive(Path(tmp) / "m", n, args.probes)
            t_add, t_open = bench_tinydb(Path(tmp), n, args.probes)
        results[n] = add
        print(
            f"{n:>9} | {add * 1000:>10.2f}ms {opened * 1000:>6.0f}ms {listed * 1000:>7.0f}ms"
            f" {index_built * 1000:>10.0f}ms {index_open * 1000:>10.0f}ms |"
            f" {t_add * 1000:>9.2f}ms {t_open * 1000:>6.0f}ms"
        )
    print("open: the profile (key derivation at its floor cost); read all: every document through items();")
    print("index built: the first message list after the writes (every shard read); list+40 rows: in a")
    print("reopened profile, the message list and its first 40 summaries")
    if len(sizes) > 1:
        ratio = results[sizes[-1]] / results[sizes[0]]
        verdict = "OK" if ratio < 2 else "ABOVE TARGET"
        print(f"per-message add cost, {sizes[-1]}/{sizes[0]} ratio: {ratio:.2f} (target < 2: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
