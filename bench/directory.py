"""Practitioner directory benchmark: import 2,000,000 RPPS rows + 500,000 MSSanté rows, then search latency.

Run: ``.venv/bin/python -m bench.directory [--rpps N] [--mss N] [--work DIR]``. Files are generated (once, then
reused) into ``/tmp/missive-bench-directory``. The import runs in a child process so its peak resident memory
is measured alone (target < 300 MB); search latency is measured in this process over a fixed set of queries
(target p95 < 50 ms). The side-by-side peer is the naive approach — a ``LIKE '%word%'`` scan of the same
SQLite table — so the ratio shows what the FTS5 index buys.
"""

from __future__ import annotations

import argparse
import json
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.directory.search import Directory  # noqa: E402
from tests.directory import gen  # noqa: E402

QUERIES = [
    "lefevre cardio pau",
    "martin",
    "lefevre",
    "dupont paris",
    "jean martin",
    "cardio lyon",
    "pau",
    "64000",
    "19999990001",
    "le gall",
    "d'almeida",
    "jean-pierre bernard",
    "pediatrie bordeaux",
    "infirmier nantes",
    "ma",
    "le",
    "gue",
    "saint",
    "medecin generale toulouse",
    "bofa",
]
COMPLETIONS = ["l", "le", "lef", "lefe", "lefev", "lefevre", "lefevre c", "mar", "dup", "jean.m"]

_CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from core.directory.importer import import_files
t = time.monotonic()
r = import_files({folder!r}, {files!r})
print(json.dumps({{"seconds": time.monotonic() - t, "summary": r.summary(),
                   "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}}))
"""


def _generate(work: Path, n_rpps: int, n_mss: int) -> tuple[Path, Path]:
    rpps = work / f"PS_LibreAcces_Personne_activite_{n_rpps}.txt"
    mss = work / f"Extraction_Correspondance_MSSante_{n_mss}.txt"
    if not rpps.exists():
        print(f"generating {rpps} ...", flush=True)
        gen.write(rpps.with_suffix(".part"), gen.rpps_lines(n_rpps, 56, extra=gen.LEFEVRE_CASE))
        rpps.with_suffix(".part").rename(rpps)
    if not mss.exists():
        print(f"generating {mss} ...", flush=True)
        n_pract = gen.practitioners_for(n_rpps)
        gen.write(mss.with_suffix(".part"), gen.mss_lines(n_mss, n_pract, extra=gen.LEFEVRE_CASE))
        mss.with_suffix(".part").rename(mss)
    return rpps, mss


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))
    return ordered[k]


def _timed(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def _naive(db: sqlite3.Connection, text: str) -> None:
    """The peer: every word must appear somewhere, found by scanning (no accent folding, even)."""
    words = text.split()
    where = " AND ".join(
        "(family || ' ' || given || ' ' || coalesce(specialty,'') || ' ' || coalesce(city,'') || ' ' "
        "|| coalesce(postcode,'') || ' ' || coalesce(rpps,'')) LIKE ?"
        for _ in words
    )
    db.execute(f"SELECT * FROM entry WHERE {where} LIMIT 20", [f"%{w}%" for w in words]).fetchall()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rpps", type=int, default=2_000_000)
    ap.add_argument("--mss", type=int, default=500_000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/missive-bench-directory"))
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    rpps, mss = _generate(args.work, args.rpps, args.mss)
    folder = args.work / "directory"
    print(
        f"input: {rpps.stat().st_size / 1e6:.0f} MB RPPS + {mss.stat().st_size / 1e6:.0f} MB MSSanté",
        flush=True,
    )

    code = _CHILD.format(root=str(ROOT), folder=str(folder), files=[str(rpps), str(mss)])
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(proc.stderr, file=sys.stderr)
        return 1
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    peak_mb = result["maxrss_kb"] / 1024
    index_mb = (folder / "index.sqlite3").stat().st_size / 1e6
    print(
        f"import: {result['seconds']:.1f} s, peak RSS {peak_mb:.0f} MB (target < 300), index {index_mb:.0f} MB"
    )
    print(f"        {result['summary']}")

    directory = Directory(folder)
    directory.search("warm up", 20)
    search_ms: list[float] = []
    per_query = {}
    for q in QUERIES:
        times = _timed(lambda q=q: directory.search(q, 20), args.repeat)
        per_query[q] = statistics.median(times)
        search_ms += times
    complete_ms: list[float] = []
    for q in COMPLETIONS:
        complete_ms += _timed(lambda q=q: directory.complete(q, 10), args.repeat)
    slowest = sorted(per_query.items(), key=lambda kv: -kv[1])[:3]
    med, p95 = statistics.median(search_ms), _percentile(search_ms, 95)
    print(f"search:   median {med:.2f} ms, p95 {p95:.2f} ms, max {max(search_ms):.2f} ms (target p95 < 50)")
    print("          slowest: " + ", ".join(f"{q!r} {ms:.1f} ms" for q, ms in slowest))
    print(
        f"complete: median {statistics.median(complete_ms):.2f} ms, p95 {_percentile(complete_ms, 95):.2f} ms"
    )
    hits = directory.search("lefevre cardio pau", 3)
    print(
        "check:    'lefevre cardio pau' ->",
        "; ".join(f"{e.family_name} {e.city} {list(e.mssante)}" for e in hits),
    )

    # Peer: the naive LIKE scan on the same data, a few queries (each scans every entry).
    db = sqlite3.connect(f"file:{folder / 'index.sqlite3'}?mode=ro", uri=True)
    peer_queries = ["lefevre cardio pau", "martin", "64000", "jean martin"]
    peer_ms = [statistics.median(_timed(lambda q=q: _naive(db, q), 2)) for q in peer_queries]
    ours_ms = [statistics.median(_timed(lambda q=q: directory.search(q, 20), 3)) for q in peer_queries]
    db.close()
    for q, a, b in zip(peer_queries, ours_ms, peer_ms, strict=True):
        print(f"vs LIKE scan: {q!r}: fts {a:.2f} ms, scan {b:.1f} ms, ratio x{b / max(a, 1e-6):.0f}")
    print(f"parent peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0 if p95 < 50 and peak_mb < 300 else 3


if __name__ == "__main__":
    raise SystemExit(main())
