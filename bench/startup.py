"""Start-up to the painted inbox, opening a message, memory and idle CPU: missive vs neomutt (warm header cache).

Run: ``.venv/bin/python -m bench.startup --runs 3`` (``--sizes 300`` for a quick run). Profiles and Maildirs
are built once in ``$MISSIVE_BENCH_DIR`` (default /tmp/missive-bench) and reused; the profile's vault uses the
key derivation new profiles get (Argon2id at its default cost), so the unlock is the real one. missive runs as
a doctor starts it (``missive tui``, the passphrase in ``MISSIVE_PASSPHRASE``), from byte-compiled modules as pip
installs it.

Each program runs in a pseudo-terminal of 120x40. Its time is measured from its start to the moment the newest
message's subject reaches the terminal (the painted index); then missive exits on its own
(MISSIVE_EXIT_AFTER_PAINT=1) and neomutt gets ``q``. missive's unlock (the passphrase key derivation, which
neomutt does not have) is read from the profile's log and printed apart, with missive's time without it. Since
missive derives the key in a thread while its interface loads (tui/opening.py), the unlock overlaps the loading:
"w/o unlock" is the painted time minus the unlock's own duration (what the start would take if the key cost
nothing), no longer the time after the unlock; the logged unlock itself is still the derivation and the opening.
A plain ``missive tui`` with the passphrase given begins the derivation before the rest of missive loads (tui.cli,
core.store.kdf) and the profile's opening takes that key: the logged unlock is then the time the derivation or
the opening was under way, the time both ran counted once (never shorter than the derivation), and the log says
the derivation's own time apart ("passphrase key derived ahead in X s"). "w/o unlock" is then about the time to
the derivation's start plus the frame's drawing after the opening.
When the profile keeps the inbox's frame of the last start and nothing it shows has changed (the resume frame,
core.store.resumeframe), missive draws it as soon as the key is derived, before its interface has loaded:
"painted" is then that frame (the same screen as the app's own first paint, which a test holds), and the app's
own paint, when keys act at once, is printed beside it ("the app's own paint", read from missive's log). The
measured runs after the first all start with such a frame; "open" sends ``enter`` once the app's log says its
start-up is over (its first screen settled after its own paint: the list's scrollbar drawn, the status bar's counts
read, the frame kept; sent at the paint itself, the Entrée met those last frames, or under load even a screen not
yet composed).
Before the measured runs, one run of each builds what each keeps between runs: neomutt's header cache,
missive's list index (that first open is printed). Every figure is the median of ``--runs`` runs.
Also printed: the first painted frame (the moment the terminal has received a screen with text: for missive its
first frame, before the inbox), the time to open the newest message (``enter`` once the index is painted, until
its body's first words reach the terminal), each program's own peak memory (it runs under GNU time, ``%M``: the
bench's memory, which a forked child would inherit in its high-water mark, is not counted), its resident memory
at the painted inbox (``rss``: after missive's unlock, whose key derivation memory is released), and the CPU it
uses while it idles at the inbox (``idle``: utime+stime from /proc/PID/stat over ``--idle`` seconds, nothing
typed, in per mille of one core).
Targets (issues 16 and 18): first frame <= 0.25 s; painted inbox without unlock <= 2x neomutt at 300 and 10,000
messages, <= 1x at 50,000; opening a message <= 50 ms at every size; memory after unlock <= 50 MB at 10,000
messages; no CPU while idle.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import os
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench"
RUNS = 3
IDLE = 30.0  # seconds of idling measured at the inbox
SETTLE = 2.0  # seconds after the paint before the idle measure starts
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
    opened: float = 0.0  # seconds from ``enter`` to the body on screen (0 when not asked)
    live: float = 0.0  # seconds to the program's own paint of ``marker`` (see ``live`` in in_pty)
    ended: float = 0.0  # seconds to exit
    peak_mb: float = 0.0  # the program's own peak resident set
    rss_mb: float = 0.0  # resident set at the painted index, after SETTLE (idle runs only)
    idle_cpu: float = 0.0  # CPU-seconds (user + system) used over IDLE seconds at the index (idle runs only)


def _program_pid(time_pid: int) -> int:
    """The program GNU time runs: its child (the bench's child is /usr/bin/time)."""
    for _ in range(50):
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == time_pid:
                return int(entry)
        time.sleep(0.01)
    raise SystemExit(f"no child of /usr/bin/time (pid {time_pid}) found")


def _cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def in_pty(
    argv: list[str],
    env: dict[str, str],
    marker: bytes,
    quit_key: bytes | None,
    mode: str = "paint",
    live: Callable[[], bool] | None = None,
    cwd: Path | None = None,
) -> PtyRun:
    """One run in a 120x40 pseudo-terminal, under GNU time for the program's own peak memory.

    ``mode``: "paint" sends ``quit_key`` once ``marker`` is painted (or nothing: the program exits by
    itself); "open" sends ``enter`` once painted and ends the run (SIGTERM to the program's session) when the
    message body is on screen; "idle" waits SETTLE seconds once painted, reads the program's resident set,
    then its CPU time over IDLE seconds with nothing typed, and ends the run.
    ``live``: says whether the program has painted ``marker`` itself (missive logs it); until then what shows
    may be a picture (missive's resume frame, drawn before its interface is loaded). Without it, the first
    ``marker`` is the program's own paint. "open" sends ``enter`` once ``live`` says so (``PtyRun.live``; for
    missive the end of its start-up, see run_missive): a key typed on the picture waits for the interface, which
    is not what "open" measures.
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
        cwd=cwd,
    )
    os.close(slave)
    run = PtyRun(0.0, 0.0)
    asked = 0.0
    pid = 0
    idle_from = idle_cpu0 = 0.0
    seen = b""
    deadline = start + 120 + (SETTLE + IDLE if mode == "idle" else 0)
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([master], [], [], 0.005 if run.painted and not run.live else 0.1)
        now = time.perf_counter() - start
        if run.painted and not run.live and (live is None or live()):
            run.live, seen = now, b""
            if mode == "open":
                asked = time.perf_counter()
                os.write(master, b"\r")
        if mode == "idle" and run.painted:
            if not idle_from and now >= run.painted + SETTLE:
                pid = _program_pid(proc.pid)
                run.rss_mb = _rss_mb(pid)
                idle_from, idle_cpu0 = now, _cpu_seconds(pid)
            elif idle_from and now >= idle_from + IDLE:
                run.idle_cpu = (_cpu_seconds(pid) - idle_cpu0) * IDLE / (now - idle_from)
                os.killpg(proc.pid, signal.SIGTERM)
                break
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
        seen = (seen + chunk)[-(len(marker) + len(BODY) + 262144) :]
        if not run.first_frame and len(_text(seen).strip()) >= 20:
            run.first_frame = now
        if not run.painted and marker in seen:
            run.painted = now
            if mode == "paint" and quit_key:
                os.write(master, quit_key)
        if run.painted and not run.live and live is None:
            run.live, seen = now, b""
            if mode == "open":
                asked = time.perf_counter()
                os.write(master, b"\r")
        elif run.live and mode == "open" and not run.opened and BODY in _text(seen):
            run.opened = time.perf_counter() - asked
            os.killpg(proc.pid, signal.SIGTERM)
    if proc.poll() is None and mode != "paint":
        os.killpg(proc.pid, signal.SIGTERM)
    proc.wait()
    run.ended = time.perf_counter() - start
    os.close(master)
    try:
        run.peak_mb = int(Path(rss_file).read_text().split()[-1]) / 1024  # GNU time's %M is in KB
    except (ValueError, IndexError):
        run.peak_mb = 0.0  # ended by a signal: time wrote no figure
    finally:
        os.unlink(rss_file)
    if not run.painted:
        raise SystemExit(f"{argv[0]}: the index never showed {marker.decode()!r} (exit {proc.returncode})")
    if mode == "open" and not run.opened:
        raise SystemExit(f"{argv[0]}: the newest message's body never showed after enter")
    if mode == "idle" and not idle_from:
        raise SystemExit(f"{argv[0]}: ended before its idle time was measured (exit {proc.returncode})")
    return run


# missive runs from its byte-compiled modules, as pip installs it (it compiles them): a development shell's
# PYTHONDONTWRITEBYTECODE would have every run compile the modules it imports again
PYCACHE = Path(tempfile.gettempdir()) / "missive-bench-pycache"


def missive_env() -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p),
    }
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)  # not into the source tree
    env.pop("MISSIVE_KDF", None)
    env.pop("MISSIVE_KDF_LOG2N", None)
    env["MISSIVE_PASSPHRASE"] = PASSPHRASE
    return env


def compile_missive() -> None:
    """Byte-compile missive's modules before anything is timed (pip does it at install)."""
    done = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "core", "tui"],
        env=missive_env(),
        cwd=ROOT,
        capture_output=True,
    )
    if done.returncode != 0:
        raise SystemExit("could not byte-compile missive's modules (python -m compileall core tui)")


def run_missive(profile: Path, count: int, mode: str = "paint") -> PtyRun:
    """``missive tui`` as a doctor starts it, the passphrase in the environment as scripts give it."""
    env = missive_env()
    if mode == "paint":
        env["MISSIVE_EXIT_AFTER_PAINT"] = "1"
    argv = [sys.executable, "-m", "tui.cli", "--profile", str(profile), "tui"]
    log = profile / "missive.log"
    logged = log.stat().st_size if log.exists() else 0
    # "open" waits for the end of start-up (the app's first screen settled: the frames after its paint drawn, the
    # status bar's counts read, its frame kept), so that its Entrée times the letter, not start-up's last frames
    said = PAINTED if mode != "open" else START_OVER
    # run in ROOT: `python -m` puts the working directory first on sys.path, before PYTHONPATH, so a bench started
    # from another checkout timed that checkout's missive
    live = functools.partial(_says, log, logged, said)
    return in_pty(argv, env, newest_subject(count), None, mode, live=live, cwd=ROOT)


PAINTED = b"start-up to painted inbox"  # missive's log: its own paint of the inbox (keys act at once)
START_OVER = b"start-up over"  # missive's log: start-up's work done after that paint (tui.app's _keep_frame)


def _says(log: Path, offset: int, words: bytes) -> bool:
    """Whether missive's log says ``words`` since ``offset``."""
    try:
        with log.open("rb") as fh:
            fh.seek(offset)
            return words in fh.read()
    except OSError:
        return False


_LOGGED = re.compile(rb"profile unlocked in ([0-9.]+) s")


def last_unlock(profile: Path) -> float:
    """The unlock time missive logged for its last run (key derivation and opening the profile)."""
    found = _LOGGED.findall((profile / "missive.log").read_bytes())
    if not found:
        raise SystemExit(f"{profile}/missive.log has no unlock time: is this missive's start-up logging?")
    return float(found[-1])


def run_neomutt(maildir: Path, cache: Path, count: int, mode: str = "paint") -> PtyRun:
    rc = cache.parent / "neomuttrc"
    rc.write_text(
        f'set folder="{maildir.parent}"\nset spoolfile="{maildir}"\nset mbox_type=Maildir\n'
        f'set header_cache="{cache}"\nset quit=yes\nset sort=reverse-date\n'
    )
    argv = ["neomutt", "-n", "-F", str(rc), "-f", str(maildir)]
    return in_pty(argv, dict(os.environ), newest_subject(count), b"q", mode)


@dataclass
class Figures:
    """One program's medians at one size."""

    frame: float
    painted: float
    opened: float
    peak: float
    rss: float
    idle: float  # CPU-seconds over IDLE
    ended: float
    live: float = 0.0
    unlock: float = 0.0
    without: float = 0.0  # painted minus unlock (missive)


def measure(run: Any, runs: int, idle: bool, unlock: Any = None) -> Figures:
    """``runs`` runs of each mode with ``run(mode)``, medians; ``unlock()`` reads missive's last unlock time."""
    painted: list[PtyRun] = []
    unlocks: list[float] = []
    for _ in range(runs):
        painted.append(run("paint"))
        if unlock is not None:
            unlocks.append(unlock())
    opened = [run("open").opened for _ in range(runs)]
    idles = [run("idle") for _ in range(runs if idle else 0)]
    med = statistics.median
    figures = Figures(
        frame=med(r.first_frame for r in painted),
        painted=med(r.painted for r in painted),
        opened=med(opened),
        peak=med(r.peak_mb for r in painted),
        rss=med(r.rss_mb for r in idles) if idles else 0.0,
        idle=med(r.idle_cpu for r in idles) if idles else 0.0,
        ended=med(r.ended for r in painted),
        live=med(r.live for r in painted),
    )
    if unlocks:
        figures.unlock = med(unlocks)
        figures.without = med(r.painted - u for r, u in zip(painted, unlocks, strict=True))
    return figures


def row(size: int | str, program: str, f: Figures, missive: bool) -> str:
    unlock = f"{f.unlock:>7.2f} {f.without:>10.2f}" if missive else f"{'':>7} {'':>10}"
    return (
        f"{size:>9} | {program:<8} {f.frame:>9.2f} {f.painted:>8.2f} {unlock} {f.opened * 1e3:>8.0f}"
        f" {f.peak:>7.0f} {f.rss:>6.0f} {f.idle * 1e3:>8.0f} {f.ended:>7.2f}"
    )


def main() -> int:
    global IDLE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="300,10000,50000")
    parser.add_argument("--runs", type=int, default=RUNS, help="runs of each measure (medians are printed)")
    parser.add_argument(
        "--idle",
        type=float,
        default=IDLE,
        help="seconds of idling measured at the inbox per run (0: not measured)",
    )
    args = parser.parse_args()
    IDLE = args.idle
    base = Path(os.environ.get("MISSIVE_BENCH_DIR", "/tmp/missive-bench"))
    have_neomutt = shutil.which("neomutt") is not None
    if not have_neomutt:
        print("neomutt not found: apt-get install -y neomutt (missive is measured alone)")
    from core.store.vault import DEFAULT_ARGON2ID

    compile_missive()
    kdf = f"Argon2id {DEFAULT_ARGON2ID.memory_kib // 1024} MiB, {DEFAULT_ARGON2ID.iterations} passes"
    load = os.getloadavg()
    print(
        f"median of {args.runs} runs; missive unlock: {kdf}; load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print(
        f"{'messages':>9} | {'program':<8} {'1st frame':>9} {'painted':>8} {'unlock':>7} {'w/o unlock':>10}"
        f" {'open ms':>8} {'peak MB':>7} {'rss MB':>6} {'idle ms':>8} {'exit s':>7}"
    )
    print(f"{'':>9} | (idle ms: CPU milliseconds used over {IDLE:g} s at the inbox, nothing typed)")
    verdicts: list[str] = []
    for size in (int(s) for s in args.sizes.split(",")):
        profile, maildir = base / f"profile-{size}", base / f"maildir-{size}" / "INBOX"
        build_profile(profile, size)
        # the first open after an upgrade has no list index: it is built from the shards, then kept
        (profile / "db" / "messages" / "index-list.mdb").unlink(missing_ok=True)
        first_open = run_missive(profile, size)
        mine = measure(
            functools.partial(run_missive, profile, size),
            args.runs,
            IDLE > 0,
            functools.partial(last_unlock, profile),
        )
        print(row(size, "missive", mine, True), flush=True)
        print(
            f"{'':>9} | (the app's own paint: {mine.live:.2f} s; a resume frame before it is a picture, and 'open'"
            " sends enter once the app's log says its start-up is over, its screen settled)",
            flush=True,
        )
        print(
            f"{'':>9} | (first open, list index built from the shards: {first_open.live:.2f} s)",
            flush=True,
        )
        verdict = (
            f"{size}: first frame {mine.frame:.2f} s (target <= 0.25); open {mine.opened * 1e3:.0f} ms (<= 50);"
            f" rss after unlock {mine.rss:.0f} MB"
        )
        if size == 10000:
            verdict += " (<= 50)"
        verdict += f"; idle CPU {mine.idle * 1e3:.0f} ms over {IDLE:g} s"
        if have_neomutt:
            build_maildir(maildir, size)
            cache = base / f"hcache-{size}"
            run_neomutt(maildir, cache, size)  # warm the header cache
            theirs = measure(functools.partial(run_neomutt, maildir, cache, size), args.runs, IDLE > 0)
            print(row("", "neomutt", theirs, False), flush=True)
            target = 1.0 if size >= 50000 else 2.0
            ratio = mine.without / theirs.painted
            print(
                f"{'':>9} | ratios missive/neomutt: painted w/o unlock {ratio:.2f} (target <= {target:g}),"
                f" open {mine.opened / theirs.opened:.2f}, rss {mine.rss / max(theirs.rss, 0.1):.2f}",
                flush=True,
            )
            verdict += f"; painted w/o unlock {ratio:.2f}x neomutt (<= {target:g})"
        verdicts.append(verdict)
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
