"""Command-line start-up: ``missive --help``, one command's ``--help`` and a no-change ``missive sync``, each
beside a bare ``python -c pass`` (the floor every Python program pays) in the same run.

Run: ``.venv/bin/python -m bench.cli`` (``--runs 21``). Each command is a fresh process started the way the
console script starts it; the median wall time of the runs is printed, and the ratio to the bare interpreter.
The sync is measured on a demo profile built once in ``$MISSIVE_BENCH_DIR`` (default /tmp/missive-bench): its
Maildir has not changed since the last sync, so what is left is start-up, unlock and the folder comparison.
The unlock (Argon2id at the floor cost, as test profiles use) is part of that figure; the profile's log gives
it apart. Target (issue 18): ``missive --help`` at most 0.1 s.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

PASSPHRASE = "bench"


def timed(argv: list[str], env: dict[str, str], runs: int) -> float:
    """Median wall time of ``argv`` over ``runs`` runs (the first one, warming the disk cache, is dropped)."""
    samples = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples[1:])


def missive_argv(*args: str) -> list[str]:
    """``missive ARGS`` as the console script runs it (its entry point, in this interpreter)."""
    return [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())", *args]


def demo_profile(env: dict[str, str]) -> Path:
    folder = Path(os.environ.get("MISSIVE_BENCH_DIR", "/tmp/missive-bench")) / "cli-demo"
    if not (folder / "vault.json").is_file():
        argv = missive_argv("--profile", str(folder), "demo", "--no-tui", "--patients", "50")
        subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    subprocess.run(
        missive_argv("--profile", str(folder), "sync"), env=env, stdout=subprocess.DEVNULL, check=True
    )
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11)
    parser.add_argument(
        "--no-sync", action="store_true", help="skip the no-change sync (needs a demo profile)"
    )
    opts = parser.parse_args()
    env = {**os.environ, "MISSIVE_PASSPHRASE": PASSPHRASE, "MISSIVE_KDF": "floor"}
    bare = timed([sys.executable, "-c", "pass"], env, opts.runs)
    rows = [
        ("python -c pass", bare),
        ("missive --help", timed(missive_argv("--help"), env, opts.runs)),
        ("missive sync --help", timed(missive_argv("sync", "--help"), env, opts.runs)),
    ]
    if not opts.no_sync:
        profile = demo_profile(env)
        rows.append(
            (
                "missive sync (no change)",
                timed(missive_argv("--profile", str(profile), "sync"), env, opts.runs),
            )
        )
    print(f"command-line start-up, median of {opts.runs} runs (wall time)")
    for name, seconds in rows:
        print(f"  {name:<26} {seconds * 1000:7.1f} ms   {seconds / bare:5.2f}x python -c pass")
    help_time = rows[1][1]
    verdict = "met" if help_time <= 0.1 else "NOT met"
    print(f"target missive --help <= 0.1 s: {verdict} ({help_time:.3f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
