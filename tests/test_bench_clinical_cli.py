"""bench.clinical --cli: `missive match FILE...` timed as a user runs it, beside the naive peer, and the sync hook.

A smoke run on two tiny practices: every command the bench starts succeeds (it stops on a failed one), the
sync hook reads and matches each letter's result, and the report prints each figure and the target's line.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_cli_mode_times_the_command_the_peer_and_the_hook_and_prints_the_target() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.clinical",
            "--cli",
            "--sizes",
            "30,60",
            "--docs",
            "4",
            "--runs",
            "2",
            "--rounds",
            "1",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    num = r"-?[\d.]+"
    for size in (30, 60):
        for run in (1, 2):
            assert re.search(
                rf"missive match +{size} patients \(run {run} of 2\): {num} ms CPU/doc, {num} ms wall/doc "
                rf"\(4 files {num} s CPU {num} s wall, 1 file {num} s CPU {num} s wall\); naive peer {num} ms CPU/doc, "
                rf"{num} ms wall/doc \(4 files\)",
                out,
            ), out
        assert re.search(
            rf"sync hook +{size} patients: {num} ms CPU/letter, {num} ms wall/letter \(4 letters, a result each\)",
            out,
        ), out
    assert re.search(
        rf"missive match time per document, 60/30 ratio \(run 2 of 2\): {num} in CPU time, {num} in wall time "
        rf"\(target <= 1.5\); naive peer {num} in CPU time",
        out,
    ), out
    assert re.search(
        rf"sync hook time per letter, 60/30 ratio: {num} in CPU time, {num} in wall time", out
    ), out
    assert re.search(
        rf"missive match time per document, 60/30 ratio, median of 2 runs: {num} in CPU time \(target <= 1.5: "
        rf"(met|NOT met); runs: {num}, {num}\), {num} in wall time \(runs: {num}, {num}\); naive peer {num} in CPU time",
        out,
    ), out
