"""bench.memfloor: the floor under the app's memory, layer by layer, each measured in its own interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def memfloor(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "bench.memfloor", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_each_layer_is_measured_in_order_and_holds_the_one_before() -> None:
    done = memfloor("--layers", "python,asyncio,textual", "--settle", "0.3")
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert lines[0].split() == ["layer", "rss", "MB", "+MB", "anon", "file", "modules"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert list(rows) == ["python", "asyncio", "textual"]
    rss = [float(rows[name][1]) for name in rows]
    modules = [int(rows[name][-1]) for name in rows]
    assert 0 < rss[0] < rss[1] < rss[2]  # a running Textual app holds more than asyncio, which holds more
    assert modules[0] < modules[1] < modules[2]
    assert abs(float(rows["asyncio"][2]) - (rss[1] - rss[0])) < 0.11  # each step is said beside its layer


def test_an_unknown_layer_is_a_usage_error() -> None:
    done = memfloor("--layers", "python,emacs")
    assert done.returncode == 2
    assert "emacs" in done.stderr and "textual" in done.stderr


def test_the_layers_run_from_the_byte_compiled_modules_bench_startup_makes(monkeypatch: Any) -> None:
    """A shell that writes no bytecode (PYTHONDONTWRITEBYTECODE) had the ``code`` layer compile missive's
    sources at each run, which holds more memory than the .pyc files pip installs (5 MB more)."""
    from bench import memfloor, startup

    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")
    env = memfloor.layer_env()
    assert "PYTHONDONTWRITEBYTECODE" not in env
    assert env["PYTHONPYCACHEPREFIX"] == str(startup.PYCACHE)
    assert str(ROOT) in env["PYTHONPATH"].split(os.pathsep)


def test_the_floor_under_missive_holds_no_module_of_missive_nor_what_only_missive_loads() -> None:
    """The layers below ``code`` are the libraries missive stands on, as they load themselves: the unlock layer
    imported the vault for its cost (missive's modules, and hmac with hashlib: 1.0 MB of missive's own counted
    as floor), and the asyncio layer hashlib, which neither Textual nor cryptography loads (0.7 MB said as
    asyncio's step instead of Textual's)."""
    from bench import memfloor
    from bench._memlayer import UNLOCK_ITERATIONS, UNLOCK_LANES, UNLOCK_MEMORY_KIB
    from core.store.vault import DEFAULT_ARGON2ID

    cost = DEFAULT_ARGON2ID
    assert (UNLOCK_MEMORY_KIB, UNLOCK_ITERATIONS, UNLOCK_LANES) == (cost.memory_kib, cost.iterations, cost.lanes)
    for name in ("asyncio", "unlock"):
        _, modules = memfloor.run_layer(name, 0.1)
        assert "asyncio" in modules
        mine = [m for m in modules if m.split(".")[0] in ("core", "tui", "hashlib", "hmac", "_hashlib")]
        assert mine == [], name
    _, code = memfloor.run_layer("code", 0.1)
    assert {"core.store.vault", "hashlib", "tui.app"} <= set(code)
