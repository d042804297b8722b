"""Start-up to the painted inbox: missive vs neomutt (warm header cache) on the same 10,000 and 50,000 messages.

Run: ``.venv/bin/python -m bench.startup`` (``--sizes 10000`` for a quick run). Profiles and Maildirs are built
once in ``$MISSIVE_BENCH_DIR`` (default /tmp/missive-bench) and reused; the profile's vault uses the key
derivation new profiles get (Argon2id at its default cost), so the unlock is the real one.

Each program runs in a pseudo-terminal of 120x40. Its time is measured from its start to the moment the newest
message's subject reaches the terminal (the painted index); then missive exits on its own
(MISSIVE_EXIT_AFTER_PAINT=1) and neomutt gets ``q``. missive's unlock (the passphrase key derivation, which neomutt does not have) is read from the
profile's log and printed apart, with missive's time without it. Before the measured runs, one run of each
builds what each keeps between runs: neomutt's header cache, missive's list index (that first open is printed).
Also printed: the first painted frame (the moment the terminal has received a screen with text: for missive its
first frame, before the inbox), and the time to open the newest message (``enter`` once the index is painted,
until its body's first words reach the terminal), each beside neomutt's.
Peak memory is each program's own: the program runs under GNU time (``%M``), so the bench's memory, which a
forked child would inherit in its high-water mark, is not counted.
Targets (issue 18): first frame <= 0.25 s; painted inbox without unlock <= 2x neomutt at 300 and 10,000
messages, <= 1x at 50,000; opening a message <= 50 ms at every size.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
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


_ESCAPES = re.compile(rb"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_]|[()][0-9A-Za-z])")
BODY = b"voici le compte rendu"  # the first words of every bench message's body


def _text(data: bytes) -> bytes:
    """What a person sees of terminal output: escape sequences removed."""
    return _ESCAPES.sub(b"", data)


@dataclass
class PtyRun:
    first_frame: float  # seconds to the first screen with text
    painted: float  # seconds to ``marker`` on screen
    opened: float  # seconds from ``enter`` to the body on screen (0 when not asked)
    ended: float  # seconds to exit
    peak_mb: float  # the program's own peak resident set


def in_pty(
    argv: list[str], env: dict[str, str], marker: bytes, quit_key: bytes | None, open_message: bool = False
) -> PtyRun:
    """One run in a 120x40 pseudo-terminal, under GNU time for the program's own peak memory.

    With ``open_message``, ``enter`` is sent once ``marker`` is painted and the run ends (SIGTERM to the
    program's session) when the message body is on screen; otherwise ``quit_key`` is sent once painted
    (or nothing: the program exits by itself).
    """
    import fcntl
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    with tempfile.NamedTemporaryFile(prefix="missive-bench-rss-", delete=False) as f:
        rss_file = f.name
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-q", "-f", "%M", "-o", rss_file, *argv],
        env={**env, "COLUMNS": str(COLUMNS), "LINES": str(LINES), "TERM": "xterm-256color"},
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        close_fds=True,
    )
    os.close(slave)
    first = painted = asked = opened = 0.0
    seen = b""
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
        now = time.perf_counter() - start
        seen = (seen + chunk)[-(len(marker) + len(BODY) + 262144) :]
        if not first and len(_text(seen).strip()) >= 20:
            first = now
        if not painted and marker in seen:
            painted, seen = now, b""
            if open_message:
                asked = time.perf_counter()
                os.write(master, b"\r")
            elif quit_key:
                os.write(master, quit_key)
        elif painted and open_message and not opened and BODY in _text(seen):
            opened = time.perf_counter() - asked
            os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()
    ended = time.perf_counter() - start
    os.close(master)
    try:
        peak = int(Path(rss_file).read_text().split()[-1]) / 1024  # GNU time's %M is in KB
    except (ValueError, IndexError):
        peak = 0.0  # ended by a signal: time wrote no figure
    finally:
        os.unlink(rss_file)
    if not painted:
        raise SystemExit(f"{argv[0]}: the index never showed {marker.decode()!r} (exit {proc.returncode})")
    if open_message and not opened:
        raise SystemExit(f"{argv[0]}: the newest message's body never showed after enter")
    return PtyRun(first, painted, opened, ended, peak)


def run_missive(profile: Path, count: int, open_message: bool = False) -> PtyRun:
    code = (
        "from tui.app import run_app; import sys; "
        f"sys.exit(run_app({str(profile)!r}, passphrase={PASSPHRASE!r}))"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not open_message:
        env["MISSIVE_EXIT_AFTER_PAINT"] = "1"
    env.pop("MISSIVE_KDF", None)
    env.pop("MISSIVE_KDF_LOG2N", None)
    return in_pty([sys.executable, "-c", code], env, newest_subject(count), None, open_message)


_LOGGED = re.compile(rb"profile unlocked in ([0-9.]+) s")


def last_unlock(profile: Path) -> float:
    """The unlock time missive logged for its last run (key derivation and opening the profile)."""
    found = _LOGGED.findall((profile / "missive.log").read_bytes())
    if not found:
        raise SystemExit(f"{profile}/missive.log has no unlock time: is this missive's start-up logging?")
    return float(found[-1])


def run_neomutt(maildir: Path, cache: Path, count: int, open_message: bool = False) -> PtyRun:
    rc = cache.parent / "neomuttrc"
    rc.write_text(
        f'set folder="{maildir.parent}"\nset spoolfile="{maildir}"\nset mbox_type=Maildir\n'
        f'set header_cache="{cache}"\nset quit=yes\nset sort=reverse-date\n'
    )
    argv = ["neomutt", "-n", "-F", str(rc), "-f", str(maildir)]
    return in_pty(argv, dict(os.environ), newest_subject(count), b"q", open_message)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,10000,50000")
    args = parser.parse_args()
    base = Path(os.environ.get("MISSIVE_BENCH_DIR", "/tmp/missive-bench"))
    have_neomutt = shutil.which("neomutt") is not None
    if not have_neomutt:
        print("neomutt not found: apt-get install -y neomutt (missive is measured alone)")
    from core.store.vault import DEFAULT_ARGON2ID

    kdf = f"Argon2id {DEFAULT_ARGON2ID.memory_kib // 1024} MiB, {DEFAULT_ARGON2ID.iterations} passes"
    print(f"best of {RUNS} runs (peak memory: largest of {RUNS}); missive unlock: {kdf}")
    print(
        f"{'messages':>9} | {'program':<8} {'1st frame':>9} {'painted':>8} {'unlock':>7} {'w/o unlock':>10}"
        f" {'open ms':>8} {'MB':>5} {'exit s':>7}"
    )
    verdicts: list[str] = []
    for size in (int(s) for s in args.sizes.split(",")):
        profile, maildir = base / f"profile-{size}", base / f"maildir-{size}" / "INBOX"
        build_profile(profile, size)
        # the first open after an upgrade has no list index: it is built from the shards, then kept
        (profile / "db" / "messages" / "index-list.mdb").unlink(missing_ok=True)
        first_open = run_missive(profile, size)
        runs = []
        for _ in range(RUNS):
            run = run_missive(profile, size)
            runs.append((run, last_unlock(profile)))
        opens = [run_missive(profile, size, open_message=True).opened for _ in range(RUNS)]
        frame = min(r.first_frame for r, _ in runs)
        painted = min(r.painted for r, _ in runs)
        unlock = min(u for _, u in runs)
        without = min(r.painted - u for r, u in runs)
        peak = max(r.peak_mb for r, _ in runs)
        ended = min(r.ended for r, _ in runs)
        opened = min(opens)
        print(
            f"{size:>9} | {'missive':<8} {frame:>9.2f} {painted:>8.2f} {unlock:>7.2f} {without:>10.2f}"
            f" {opened * 1e3:>8.0f} {peak:>5.0f} {ended:>7.2f}",
            flush=True,
        )
        print(
            f"{'':>9} | (first open, list index built from the shards: {first_open.painted:.2f} s)",
            flush=True,
        )
        verdicts.append(
            f"{size}: first frame {frame:.2f} s (target <= 0.25); open {opened * 1e3:.0f} ms (<= 50)"
        )
        if have_neomutt:
            build_maildir(maildir, size)
            cache = base / f"hcache-{size}"
            run_neomutt(maildir, cache, size)  # warm the header cache
            m_runs = [run_neomutt(maildir, cache, size) for _ in range(RUNS)]
            m_opens = [run_neomutt(maildir, cache, size, open_message=True).opened for _ in range(RUNS)]
            m_frame = min(r.first_frame for r in m_runs)
            m_painted = min(r.painted for r in m_runs)
            m_peak = max(r.peak_mb for r in m_runs)
            m_ended = min(r.ended for r in m_runs)
            m_opened = min(m_opens)
            print(
                f"{'':>9} | {'neomutt':<8} {m_frame:>9.2f} {m_painted:>8.2f} {'':>7} {'':>10}"
                f" {m_opened * 1e3:>8.0f} {m_peak:>5.0f} {m_ended:>7.2f}",
                flush=True,
            )
            target = 1.0 if size >= 50000 else 2.0
            print(
                f"{'':>9} | ratios missive/neomutt: painted w/o unlock {without / m_painted:.2f} (target <= {target:g}),"
                f" open {opened / m_opened:.2f}, memory {peak / m_peak:.2f}",
                flush=True,
            )
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
