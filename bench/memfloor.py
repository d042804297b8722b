"""Where the app's memory at the inbox goes: the floor under missive's own code and data, layer by layer.

Run: ``.venv/bin/python -m bench.memfloor`` (``--size 10000`` adds the real app, as bench.startup measures it,
on the bench profile of that size in ``$MISSIVE_BENCH_DIR`` when it is built; ``--runs`` medians).

Each layer is a fresh interpreter in a 120x40 pseudo-terminal, its resident set read by itself (smaps_rollup)
``--settle`` seconds after it is up, as bench.startup reads missive's ``rss`` after the paint:

- ``python``: the interpreter and its site set-up, nothing imported;
- ``asyncio``: asyncio, which every Textual program loads (asyncio imports ssl: libssl and libcrypto);
  not hashlib, which neither Textual nor cryptography loads: missive's vault does (hmac), so it counts in
  ``code``;
- ``textual``: a running Textual app showing one Static;
- ``cryptography``: the same app with cryptography's AES-GCM, HKDF and Argon2id imported (what the vault
  imports: the library the design card binds, with its own OpenSSL);
- ``unlock``: the same after one Argon2id derivation at the vault's default cost and an AES-GCM seal and open
  (what the unlock runs; the derivation's memory is given back, its code stays mapped), with none of missive's
  modules (the vault's are in ``code``);
- ``code``: the same with missive's modules of the inbox imported (the app, the inbox and reader panes, the
  message list, the façade, the store and what ``core.mailroom.preload`` loads for the first read), nothing
  run: what missive's code costs without its data and screens.

The app's own figure minus ``code`` is what its data (the list index), its screens and their caches hold.
"""

from __future__ import annotations

import argparse
import os
import select
import statistics
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import startup
from bench._memlayer import LAYERS

ROOT = Path(__file__).resolve().parent.parent

COLUMNS, LINES = 120, 40
SETTLE = 2.0


def layer_env() -> dict[str, str]:
    """A layer's environment: missive's modules byte-compiled where bench.startup's missive finds them
    (``startup.missive_env``). A shell's PYTHONDONTWRITEBYTECODE had the ``code`` layer compile missive's
    sources at each run: 53 MB instead of 47.6 from the .pyc files, as pip installs them."""
    return {**startup.missive_env(), "TERM": "xterm-256color"}


def measure(name: str, settle: float) -> dict[str, float]:
    """Run layer ``name`` in a pseudo-terminal of 120x40; its figures."""
    return run_layer(name, settle)[0]


def run_layer(name: str, settle: float) -> tuple[dict[str, float], list[str]]:
    """Run layer ``name`` in a pseudo-terminal of 120x40; its figures and the names of the modules it loaded."""
    import fcntl
    import termios

    with tempfile.TemporaryDirectory(prefix="memfloor-") as folder:
        out = Path(folder) / "figures"
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        env = layer_env()
        child = subprocess.Popen(
            [sys.executable, "-m", "bench._memlayer", name, str(out), str(settle)],
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
            close_fds=True,
        )
        os.close(slave)
        said = b""
        try:
            while child.poll() is None:
                ready, _, _ = select.select([master], [], [], 0.1)
                if ready:
                    try:
                        said = (said + os.read(master, 65536))[-4000:]
                    except OSError:
                        break
            child.wait(timeout=60)
        finally:
            os.close(master)
        if child.returncode != 0 or not out.exists():
            raise SystemExit(f"layer {name} failed (exit {child.returncode}): {said[-600:]!r}")
        rss, anon, modules = (float(x) for x in out.read_text().split())
        names = Path(f"{out}.modules").read_text().split()
        figures = {"rss": rss / 1024, "anon": anon / 1024, "file": (rss - anon) / 1024, "modules": modules}
        return figures, names


def app_rss(size: int, runs: int) -> float | None:
    """missive's own ``rss`` at the painted inbox of the bench profile of ``size`` (bench.startup's measure),
    or None when that profile is not built."""
    folder = Path(os.environ.get("MISSIVE_BENCH_DIR", "/tmp/missive-bench"))
    profile = folder / f"profile-{size}"
    if not (profile / ".built").exists():
        return None
    startup.IDLE = 0.1  # its resident set only, not its idle CPU
    return statistics.median(startup.run_missive(profile, size, mode="idle").rss_mb for _ in range(runs))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--layers", default=",".join(LAYERS), help="layers to measure, in order")
    parser.add_argument("--size", type=int, default=0, help="also measure the app at this bench profile size")
    parser.add_argument("--runs", type=int, default=1, help="runs of each measure (medians are printed)")
    parser.add_argument(
        "--settle", type=float, default=SETTLE, help="seconds before the resident set is read"
    )
    args = parser.parse_args()
    names = [n for n in args.layers.split(",") if n]
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        parser.error(f"unknown layer(s) {', '.join(unknown)}; known: {', '.join(LAYERS)}")
    startup.compile_missive()  # the layers and the app run from byte-compiled modules, as pip installs them
    print(f"{'layer':<14}{'rss MB':>8}{'+MB':>7}{'anon':>7}{'file':>7}{'modules':>9}")
    before = None
    for name in names:
        runs = [measure(name, args.settle) for _ in range(args.runs)]
        f = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        step = f"{f['rss'] - before:+7.1f}" if before is not None else " " * 7
        print(
            f"{name:<14}{f['rss']:8.1f}{step}{f['anon']:7.1f}{f['file']:7.1f}{int(f['modules']):9d}",
            flush=True,
        )
        before = f["rss"]
    if args.size:
        rss = app_rss(args.size, args.runs)
        if rss is None:
            print(f"app {args.size}: no built bench profile (run bench.startup --sizes {args.size} first)")
        else:
            step = f"{rss - before:+7.1f}" if before is not None else " " * 7
            print(
                f"{'app ' + str(args.size):<14}{rss:8.1f}{step}   (bench.startup's rss: data, screens, caches)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
