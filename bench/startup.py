"""Start-up to the painted inbox: missive vs neomutt (warm header cache) on the same 10,000 and 50,000 messages.

Run: ``.venv/bin/python -m bench.startup`` (``--sizes 10000`` for a quick run). Profiles and Maildirs are built
once in ``$MISSIVE_BENCH_DIR`` (default /tmp/missive-bench) and reused; the profile's vault uses the key
derivation new profiles get (Argon2id at its default cost), so the unlock is the real one.

Each program runs in a pseudo-terminal of 120x40. Its time is measured from its start to the moment the newest
message's subject reaches the terminal (the painted index); then missive exits on its own
(MISSIVE_EXIT_AFTER_PAINT=1) and neomutt gets ``q``. Peak memory is the process's maximum resident set
(``wait4``). missive's unlock (the passphrase key derivation, which neomutt does not have) is read from the
profile's log and printed apart, with missive's time without it. Before the measured runs, one run of each
builds what each keeps between runs: neomutt's header cache, missive's list index (that first open is printed).
Targets at 50,000 messages: painted in under 1 s, under 150 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import select
import shutil
import struct
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench"
RUNS = 3
COLUMNS, LINES = 120, 40


def message(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr Confrère {i % 300} <confrere{i % 300}@hopital{i % 17}.mssante.fr>"
    msg["To"] = "dr.medecin@cabinet.mssante.fr"
    msg["Subject"] = f"Compte rendu {i} - consultation du {i % 28 + 1:02d}/05"
    msg["Date"] = format_datetime(dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=17 * i))
    msg["Message-ID"] = f"<bench-{i}@hopital.mssante.fr>"
    msg.set_content(("Cher confrère, voici le compte rendu de votre patient. " * 20 + "\n") * 3)
    return msg.as_bytes()


def newest_subject(count: int) -> bytes:
    """What both programs show on their first row once the index is painted (newest first)."""
    return f"Compte rendu {count - 1} - consultation".encode()


def build_maildir(folder: Path, count: int) -> None:
    if (folder / "cur").is_dir() and len(os.listdir(folder / "cur")) == count:
        return
    shutil.rmtree(folder, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
    for i in range(count):
        (folder / "cur" / f"{1700000000 + i}.{i}.bench:2,S").write_bytes(message(i))


def build_profile(folder: Path, count: int) -> None:
    """The messages are stored once (cheap key derivation while writing); the vault is then re-wrapped with
    the key derivation a new profile gets, which is what opening it will cost."""
    from core.store.profile import Profile
    from core.store.vault import DEFAULT_ARGON2ID

    if not (folder / ".built").exists():
        shutil.rmtree(folder, ignore_errors=True)
        os.environ["MISSIVE_KDF"] = "floor"  # writing 50,000 messages is not what is measured
        from core.mail.messages import FolderState, MessageStore, summary_of

        store = MessageStore(Profile.create(folder, PASSPHRASE))
        state = FolderState("cabinet", "INBOX", uidvalidity=1)
        chunk: list[tuple[int, list[str], bytes, dict]] = []
        for i in range(count):
            raw = message(i)
            chunk.append((i + 1, ["\\Seen"] if i % 7 else [], raw, summary_of(raw)))
            if len(chunk) == 2000:
                store.store_new(state, chunk)
                chunk = []
        if chunk:
            store.store_new(state, chunk)
        (folder / ".built").touch()
    kdf = json.loads((folder / "vault.json").read_text())["kdf"]
    real = {
        "name": "argon2id",
        "memory_kib": DEFAULT_ARGON2ID.memory_kib,
        "iterations": DEFAULT_ARGON2ID.iterations,
    }
    if {k: kdf.get(k) for k in real} != real:
        os.environ.pop("MISSIVE_KDF", None)
        os.environ.pop("MISSIVE_KDF_LOG2N", None)
        Profile.open(folder, PASSPHRASE).change_passphrase(PASSPHRASE)


def in_pty(
    argv: list[str], env: dict[str, str], marker: bytes, quit_key: bytes | None
) -> tuple[float, float, float]:
    """(seconds to ``marker`` on screen, seconds to exit, peak MB) of one run in a 120x40 pseudo-terminal."""
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env={**env, "COLUMNS": str(COLUMNS), "LINES": str(LINES), "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    seen, painted, tail = False, 0.0, b""
    deadline = start + 120
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the other side closed: the program ended
            break
        if not chunk:
            break
        if not seen:
            tail = (tail + chunk)[-(len(marker) + 65536) :]
            if marker in tail:
                seen, painted = True, time.perf_counter() - start
                if quit_key:
                    os.write(master, quit_key)
    _, status, usage = os.wait4(proc.pid, 0)
    ended = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    os.close(master)
    if not seen:
        raise SystemExit(f"{argv[0]}: the index never showed {marker.decode()!r} (exit {proc.returncode})")
    return painted, ended, usage.ru_maxrss / 1024  # ru_maxrss is in KB on Linux


def run_missive(profile: Path, count: int) -> tuple[float, float, float]:
    code = (
        "from tui.app import run_app; import sys; "
        f"sys.exit(run_app({str(profile)!r}, passphrase={PASSPHRASE!r}))"
    )
    env = {**os.environ, "MISSIVE_EXIT_AFTER_PAINT": "1", "PYTHONPATH": str(ROOT)}
    env.pop("MISSIVE_KDF", None)
    env.pop("MISSIVE_KDF_LOG2N", None)
    return in_pty([sys.executable, "-c", code], env, newest_subject(count), None)


_LOGGED = re.compile(rb"profile unlocked in ([0-9.]+) s")


def last_unlock(profile: Path) -> float:
    """The unlock time missive logged for its last run (key derivation and opening the profile)."""
    found = _LOGGED.findall((profile / "missive.log").read_bytes())
    if not found:
        raise SystemExit(f"{profile}/missive.log has no unlock time: is this missive's start-up logging?")
    return float(found[-1])


def run_neomutt(maildir: Path, cache: Path, count: int) -> tuple[float, float, float]:
    rc = cache.parent / "neomuttrc"
    rc.write_text(
        f'set folder="{maildir.parent}"\nset spoolfile="{maildir}"\nset mbox_type=Maildir\n'
        f'set header_cache="{cache}"\nset quit=yes\nset sort=reverse-date\n'
    )
    argv = ["neomutt", "-n", "-F", str(rc), "-f", str(maildir)]
    return in_pty(argv, dict(os.environ), newest_subject(count), b"q")


def best(fn, *args) -> tuple[float, float, float]:  # noqa: ANN001
    runs = [fn(*args) for _ in range(RUNS)]
    return min(r[0] for r in runs), min(r[1] for r in runs), max(r[2] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    args = parser.parse_args()
    base = Path(os.environ.get("MISSIVE_BENCH_DIR", "/tmp/missive-bench"))
    have_neomutt = shutil.which("neomutt") is not None
    if not have_neomutt:
        print("neomutt not found: apt-get install -y neomutt (missive is measured alone)")
    from core.store.vault import DEFAULT_ARGON2ID

    kdf = f"Argon2id {DEFAULT_ARGON2ID.memory_kib // 1024} MiB, {DEFAULT_ARGON2ID.iterations} passes"
    print(f"time to the painted inbox, best of {RUNS}; peak memory, largest of {RUNS}; missive unlock: {kdf}")
    print(
        f"{'messages':>9} | {'missive s':>9} {'unlock':>7} {'w/o unlock':>10} {'MB':>5} {'exit s':>7} |"
        f" {'neomutt s':>9} {'MB':>5} {'exit s':>7} | {'time ratio':>10} {'w/o unlock':>10} {'mem ratio':>9}"
    )
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        profile, maildir = base / f"profile-{size}", base / f"maildir-{size}" / "INBOX"
        build_profile(profile, size)
        # the first open after an upgrade has no list index: it is built from the shards, then kept
        (profile / "db" / "messages" / "index-list.mdb").unlink(missing_ok=True)
        first = run_missive(profile, size)
        runs = []
        for _ in range(RUNS):
            painted, ended, peak = run_missive(profile, size)
            runs.append((painted, ended, peak, last_unlock(profile)))
        painted = min(r[0] for r in runs)
        ended = min(r[1] for r in runs)
        peak = max(r[2] for r in runs)
        unlock = min(r[3] for r in runs)
        without = min(r[0] - r[3] for r in runs)
        line = f"{size:>9} | {painted:>9.2f} {unlock:>7.2f} {without:>10.2f} {peak:>5.0f} {ended:>7.2f} |"
        if have_neomutt:
            build_maildir(maildir, size)
            cache = base / f"hcache-{size}"
            run_neomutt(maildir, cache, size)  # warm the header cache
            m_painted, m_ended, m_peak = best(run_neomutt, maildir, cache, size)
            line += (
                f" {m_painted:>9.2f} {m_peak:>5.0f} {m_ended:>7.2f} |"
                f" {painted / m_painted:>10.2f} {without / m_painted:>10.2f} {peak / m_peak:>9.2f}"
            )
        print(line, flush=True)
        print(
            f"{'':>9}   (missive's first open, list index built from the shards: {first[0]:.2f} s)",
            flush=True,
        )
        results[size] = (painted, peak)
    if 50000 in results:
        painted, peak = results[50000]
        verdict = "met" if painted < 1 and peak < 150 else "NOT met"
        print(f"targets at 50,000 messages (< 1 s, < 150 MB): {verdict} ({painted:.2f} s, {peak:.0f} MB)")
    else:
        print("targets at 50,000 messages: < 1 s and < 150 MB (run with 50000 in --sizes to check)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
