"""Sync benchmark: a full sync of a 10,000-message mailbox from Dovecot over TLS, missive beside mbsync.

Both tools sync the same mailbox of the suite's Dovecot (tests/servers, implicit TLS on 127.0.0.1, the
certificate verified against the harness's throwaway CA), in the same run, each as the command a user would
run, in its own process: `mbsync -a` (isync, Debian's package) into a Maildir, and `missive sync` into a
fresh encrypted profile whose IMAP account was added with `missive account add`. For each: wall time,
CPU-seconds (user + system of that child alone, from GNU time, else wait4 on the child; the full sync's
printed split into user and system, beside the machine's 1-minute load average as each run started) and its
own peak RSS; then a second run of each with nothing changed. `--pin` runs both clients on one core (`taskset -c 0`;
the server is not pinned); `--runs N` repeats everything N times, each round into a fresh Maildir and a fresh
profile, and reports the median of each figure (the ratio of the medians, and each round's ratios).
The no-change resync is timed ``--resyncs N`` times a round (default 5), each tool in turn (mbsync, then
missive's), and each figure is the median of those runs: the two medians come from the same minutes.
``--imap-security starttls`` has both tools reach Dovecot's STARTTLS port (the default of `missive account
add`) instead of its implicit-TLS one.
Both keep their default durability: mbsync fsyncs (FSync yes), missive fsyncs every stored file.
missive runs from byte-compiled modules as pip installs it (compiled first, into a cache outside the tree).
The no-change resync is also run as users run it: missive built as a wheel and installed by pip in a venv
of its own (`venv --without-pip` then `pip --python`, as pipx does), its `missive` script, no PYTHONPATH.
The target's line is that one; the development tree's (`python -m tui.cli` beside the editable install,
whose import finder loads modules at every start) is printed beside it. `--no-wheel` skips the install
(the target's line is then the tree's).
The profile's key derivation runs at the cheapest cost the vault accepts (MISSIVE_KDF=floor, and
MISSIVE_KDF_LOG2N=14 as older vaults spell it), as in the test suite: the KDF is not what is measured.

The mailbox (2-20 KB letters, one in ten with a 100 KB attachment) is written straight into the user's
Maildir, then indexed by `doveadm index`, so neither tool pays for Dovecot's first look at it.
A third no-change resync runs `missive sync` while `missive daemon` holds the profile unlocked (the command
asks the daemon through its control socket, core/agent.py): its CPU-seconds add the daemon's. The Argon2id
derivation is printed apart, at the floor and at the default cost: a standalone sync pays it every time (in
a thread, while it imports what the sync needs: its CPU is counted, its time overlaps), the daemon once when it
starts.
Targets (issue 18): full sync within 1.0x mbsync's wall time and CPU-seconds; no-change resync at most
0.15 s; missive's peak RSS during a sync at most 60 MB. The machine may be shared: compare ratios of one run.
Run as root (the harness starts Dovecot):
    .venv/bin/python -m bench.sync [--count 10000] [--pin] [--runs 3] [--resyncs 5] [--imap-security starttls]
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
KDF_ENV = {"MISSIVE_KDF": "floor", "MISSIVE_KDF_LOG2N": "14"}  # the cheapest accepted key derivation
PASSPHRASE = "bench sync passphrase"
ATTACHMENT_EVERY = 10  # one message in ten carries a 100 KB attachment
MISSIVE_TARGET_RATIO = 1.0  # wall time and CPU-seconds, against mbsync
RESYNC_TARGET_S = 0.15
PEAK_TARGET_MB = 60
RESYNC_PEAK_TARGET_MB = 40  # a no-change resync's peak after unlock
UNLOCK_DROP_KIB = 12 * 1024  # the key derivation's memory (19 MiB at the floor) handed back: unlocked
PIN_CPU = "0"  # the core both clients run on with --pin

_WORDS = (
    "bonjour cher confrère je vous remercie de m'avoir adressé votre patient pour avis le bilan "
    "biologique est joint examen clinique sans particularité traitement poursuivi contrôle dans trois "
    "mois bien confraternellement compte rendu consultation cardiologie radiologie échographie "
    "résultats normaux tension artérielle fréquence cardiaque suivi habituel ordonnance renouvelée"
).split()


class BenchError(RuntimeError):
    """The bench cannot run (a missing tool, a server that did not start): the message says what to do."""


# ---------------------------------------------------------------------- the mailbox
def _line_pool(rng: random.Random) -> list[str]:
    lines = []
    for _ in range(500):
        words = []
        while sum(len(w) + 1 for w in words) < 70:
            words.append(rng.choice(_WORDS))
        lines.append(" ".join(words))
    return lines


def make_messages(count: int, seed: int = 5) -> list[tuple[str, bytes]]:
    """``count`` (Message-ID, raw) pairs, LF line ends as in a Maildir: 2-20 KB letters, some with 100 KB attached.

    Every message is fictitious: no patient name, birth date or result.
    """
    rng = random.Random(seed)
    pool = _line_pool(rng)
    out: list[tuple[str, bytes]] = []
    for i in range(count):
        message_id = f"<bench.{seed}.{i}@missive.test>"
        size = rng.randint(2_000, 20_000)
        body = "\n".join(rng.choices(pool, k=max(1, size // 72)))
        head = (
            f"From: Correspondant {i % 97} <corr{i % 97}@missive.test>\n"
            f"To: alice@missive.test\n"
            f"Subject: Courrier {i}\n"
            f"Date: Mon, 02 Mar 2026 {i // 3600 % 24:02d}:{i // 60 % 60:02d}:{i % 60:02d} +0100\n"
            f"Message-ID: {message_id}\n"
            "MIME-Version: 1.0\n"
        )
        text_part = f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}\n"
        if i % ATTACHMENT_EVERY == ATTACHMENT_EVERY - 1:
            blob = base64.encodebytes(rng.randbytes(75_000)).decode()
            boundary = f"=_bench_{i}"
            raw = (
                f'{head}Content-Type: multipart/mixed; boundary="{boundary}"\n\n'
                f"--{boundary}\n{text_part}--{boundary}\n"
                'Content-Type: application/pdf; name="piece-jointe.pdf"\n'
                'Content-Disposition: attachment; filename="piece-jointe.pdf"\n'
                f"Content-Transfer-Encoding: base64\n\n{blob}--{boundary}--\n"
            )
        else:
            raw = head + text_part
        out.append((message_id, raw.encode("utf-8")))
    return out


def fill_maildir(servers, user: str, messages: Sequence[tuple[str, bytes]]) -> Path:
    """Write ``messages`` into ``user``'s INBOX on disk (as Dovecot names them, sizes included); returns it."""
    maildir = servers.maildir_of(user)
    home = maildir.parent
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True, exist_ok=True)
    stamp = int(time.time())
    cur = maildir / "cur"
    for n, (_, raw) in enumerate(messages):
        # S= physical size, W= size with CRLF line ends: what Dovecot's own deliveries record in the name
        virtual = len(raw) + raw.count(b"\n")
        (cur / f"{stamp}.M{n}P{os.getpid()}.bench,S={len(raw)},W={virtual}:2,").write_bytes(raw)
    # Dovecot reads and writes the Maildir as the `mail` user; walk up to the domain folder it may create.
    owned = [home.parent, home, *sorted(home.rglob("*"))]
    for path in owned:
        shutil.chown(path, "mail", "mail")
    return maildir


def index_mailbox(servers, user: str) -> None:
    """Let Dovecot build its index of the Maildir now, so the first tool to sync does not pay for it."""
    conf = servers.root / "dovecot-main" / "dovecot.conf"
    done = subprocess.run(
        ["doveadm", "-c", str(conf), "index", "-u", servers.address(user), "INBOX"],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-2:])
        raise BenchError(f"doveadm index failed ({tail})")


# ---------------------------------------------------------------------- running a tool
@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_kib: int
    returncode: int
    output: str
    cpu_seconds: float = 0.0  # user + system of the child alone
    system_seconds: float = 0.0  # the system (kernel) part of ``cpu_seconds``
    load: float = -1.0  # the machine's 1-minute load average as the run started (-1: not known)


def median_run(runs: Sequence[Run]) -> Run:
    """Each figure's median over ``runs`` (the output of the last)."""
    return Run(
        statistics.median(r.seconds for r in runs),
        int(statistics.median(r.peak_rss_kib for r in runs)),
        max(r.returncode for r in runs),
        runs[-1].output,
        statistics.median(r.cpu_seconds for r in runs),
        statistics.median(r.system_seconds for r in runs),
        statistics.median(r.load for r in runs),
    )


def measure(
    cmd: Sequence[str],
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    pin: str | None = None,
    poll: Callable[[int], bool] | None = None,
) -> Run:
    """Run ``cmd`` to completion (on core ``pin`` when given); its wall time, CPU-seconds and own peak RSS.

    GNU time, when installed, reports the child's own user and system time and peak: the child forked from
    this (large) Python process would otherwise carry our RSS into its own count until it execs. Without
    GNU time, the CPU time comes from wait4 on the child and the peak from polling its VmHWM (a peak
    reached in its last milliseconds may be missed). ``poll(pid)``, when given, is called every few
    milliseconds while the command runs, until it returns True.
    """
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryDirectory(prefix="missive-bench-run-") as tmp:
        stats_file = Path(tmp) / "stats"
        argv = list(cmd)
        if pin is not None:
            argv = ["taskset", "-c", pin, *argv]
        if gnu_time.exists():
            argv = [str(gnu_time), "-f", "%M %U %S", "-o", str(stats_file), *argv]
        load = _load_average()
        with (Path(tmp) / "output").open("w+b") as sink:
            start = time.perf_counter()
            proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=sink, stderr=sink, env=env, cwd=cwd
            )
            polled, cpu = 0, 0.0
            polling = poll is not None
            while True:
                blocking = gnu_time.exists() and not polling
                pid, status, usage = os.wait4(proc.pid, 0 if blocking else os.WNOHANG)
                if pid:
                    break
                if poll is not None and polling:
                    polling = not poll(proc.pid)
                polled = max(polled, _vm_hwm_kib(proc.pid))
                time.sleep(0.002 if polling else 0.005)
            seconds = time.perf_counter() - start
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu, system = usage.ru_utime + usage.ru_stime, usage.ru_stime
            sink.seek(0)
            output = sink.read().decode("utf-8", "replace")
        peak = polled
        if stats_file.exists():
            lines = stats_file.read_text().strip().splitlines()
            fields = lines[-1].split() if lines else []
            if len(fields) == 3 and fields[0].isdigit():
                peak, cpu, system = int(fields[0]), float(fields[1]) + float(fields[2]), float(fields[2])
    return Run(seconds, peak, proc.returncode, output, cpu, system, load)


def _load_average() -> float:
    """The 1-minute load average now (-1.0 where the system does not tell): printed beside each figure, as
    the CPU-seconds of a run move with what else the machine runs (helpers' tests, the server)."""
    try:
        return os.getloadavg()[0]
    except (OSError, AttributeError):
        return -1.0


def _vm_hwm_kib(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    m = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(m.group(1)) if m else 0


def checked(what: str, run: Run) -> Run:
    if run.returncode != 0:
        tail = " | ".join(run.output.strip().splitlines()[-3:])
        raise BenchError(f"{what} exited with {run.returncode}: {tail}")
    return run


# ---------------------------------------------------------------------- mbsync
def mbsync_binary() -> str | None:
    return shutil.which("mbsync")


def ensure_mbsync() -> str:
    """mbsync's path, installing Debian's isync with apt-get when it is missing (as root)."""
    found = mbsync_binary()
    if found:
        return found
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise BenchError("mbsync is missing: install isync (apt-get install isync) and run again")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "isync"]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True)
        if subprocess.run(install, env=env, capture_output=True).returncode != 0:
            raise BenchError("apt-get could not install isync: install it by hand and run again")
    found = mbsync_binary()
    if not found:
        raise BenchError("isync was installed but mbsync is not on PATH")
    return found


def write_mbsync_config(folder: Path, servers, user: str, security: str = "tls") -> tuple[Path, Path]:
    """An mbsync config pulling every folder of ``user`` over implicit TLS (``security="starttls"``: STARTTLS on
    the plain IMAP port) into ``folder/mbsync``.

    Returns (config file, local Maildir root). The server certificate is checked against the harness CA
    only (the name `localhost` is in the certificate).
    """
    local = folder / "mbsync"
    local.mkdir(parents=True, exist_ok=True)
    secret = folder / "mbsync.pass"
    secret.write_text(servers.password)
    secret.chmod(0o600)
    config = folder / "mbsyncrc"
    config.write_text(
        f"""IMAPAccount bench
Host localhost
Port {servers.imap_port if security == "starttls" else servers.imaps_port}
User {servers.address(user)}
PassCmd "cat {secret}"
SSLType {"STARTTLS" if security == "starttls" else "IMAPS"}
SSLVersions TLSv1.2 TLSv1.3
SystemCertificates no
CertificateFile {servers.ca_file}
AuthMechs LOGIN

IMAPStore remote
Account bench

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel bench
Far :remote:
Near :local:
Patterns *
Create Near
Sync Pull
SyncState *
"""
    )
    config.chmod(0o600)
    return config, local


def run_mbsync(binary: str, config: Path, pin: str | None = None) -> Run:
    return checked("mbsync", measure([binary, "-c", str(config), "-a"], pin=pin))


_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(\S+)", re.IGNORECASE | re.MULTILINE)


def message_id_of_file(path: Path) -> str:
    """The Message-ID in the header of the message file ``path`` ("" when it has none)."""
    with path.open("rb") as fh:
        head = fh.read(4096)
    m = _MESSAGE_ID.search(head.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0])
    return m.group(1).decode("ascii", "replace") if m else ""


def maildir_message_ids(maildir: Path) -> list[str]:
    """Message-IDs of the messages in ``maildir``'s cur/ and new/ (one entry per file)."""
    return [
        message_id_of_file(path)
        for sub in ("cur", "new")
        if (maildir / sub).is_dir()
        for path in (maildir / sub).iterdir()
    ]


# ---------------------------------------------------------------------- missive
# missive runs from its byte-compiled modules, as pip installs it (it compiles them): a development shell's
# PYTHONDONTWRITEBYTECODE would have every run compile every module again (about 0.2 s of a resync)
PYCACHE = Path(tempfile.gettempdir()) / "missive-bench-pycache"


def missive_env() -> dict[str, str]:
    env = dict(os.environ, **KDF_ENV, MISSIVE_PASSPHRASE=PASSPHRASE)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)  # not into the source tree
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
        raise BenchError("could not byte-compile missive's modules (python -m compileall core tui)")


def missive_cmd(profile: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "tui.cli", "--profile", str(profile), *args]


def install_wheel(folder: Path) -> Path:
    """missive built as a wheel and installed by pip into a venv of its own under ``folder``, as a user installs
    it (pipx's way: the venv without pip, pip pointed at it): the path of its ``missive`` script. Raises
    BenchError when either step fails (no network for the build's setuptools, say)."""
    wheels, venv = folder / "wheel", folder / "venv"
    steps = (
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        [sys.executable, "-m", "venv", "--without-pip", str(venv)],
    )
    for step in steps:
        done = subprocess.run(step, cwd=folder, capture_output=True, text=True)
        if done.returncode != 0:
            what = " ".join(step[:4])
            raise BenchError(f"could not build or install missive's wheel ({what}): {done.stderr[-300:]}")
    (wheel,) = wheels.glob("missive-*.whl")
    python = venv / "bin" / "python"
    install = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)]
    done = subprocess.run(install, cwd=folder, capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"could not install missive's wheel with pip: {done.stderr[-300:]}")
    return venv / "bin" / "missive"


def wheel_env() -> dict[str, str]:
    """The environment of the installed ``missive``: the bench's, without what points at the tree."""
    env = dict(os.environ, **KDF_ENV, MISSIVE_PASSPHRASE=PASSPHRASE)
    for name in ("PYTHONPATH", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)  # pip byte-compiled the installed modules into the venv
    return env


def run_missive_wheel(script: Path, profile: Path, pin: str | None = None) -> Run:
    """A no-change `missive sync` of ``profile`` by the installed ``script``."""
    argv = [str(script), "--profile", str(profile), "sync"]
    run = measure(argv, env=wheel_env(), cwd=script.parent, pin=pin)
    return checked("missive sync (installed wheel)", run)


def make_missive_profile(folder: Path, servers, user: str, security: str = "tls") -> Path:
    """A fresh profile with ``user``'s IMAP account over implicit TLS (``security="starttls"``: STARTTLS on the
    plain IMAP port), added as `missive account add` does."""
    profile = folder / "profile"
    env = missive_env()
    checked("missive init", measure(missive_cmd(profile, "init"), env=env, cwd=ROOT))
    env["MISSIVE_ACCOUNT_PASSWORD"] = servers.password
    add = missive_cmd(
        profile,
        "account",
        "add",
        "bench",
        "--email",
        servers.address(user),
        "--imap",
        f"localhost:{servers.imap_port if security == 'starttls' else servers.imaps_port}",
        "--imap-security",
        security,
        "--smtp",
        f"localhost:{servers.smtps_port}",
        "--smtp-security",
        "tls",
        "--ca-file",
        str(servers.ca_file),
    )
    checked("missive account add", measure(add, env=env, cwd=ROOT))
    return profile


def run_missive(profile: Path, pin: str | None = None) -> Run:
    return checked(
        "missive sync", measure(missive_cmd(profile, "sync"), env=missive_env(), cwd=ROOT, pin=pin)
    )


def run_missive_after_unlock(profile: Path, pin: str | None = None) -> Run | None:
    """A no-change `missive sync` whose peak RSS counts from the moment its key is derived (None where Linux's
    /proc/PID/clear_refs is not there to reset a peak, or the derivation was not seen).

    The issue measures memory after unlock: the Argon2id derivation (19 MiB at the floor this bench uses,
    64 MiB at the default) is paid once per unlock and released. The bench watches the process's RSS; when
    it falls by more than ``UNLOCK_DROP_KIB`` below its highest (the derivation's memory handed back), it
    resets the peak (clear_refs 5), and the run's peak is then what came after.
    """
    if not Path("/proc/self/clear_refs").exists():
        return None
    highest = [0]
    done: list[bool] = []

    def reset_once_unlocked(pid: int) -> bool:
        try:  # under GNU time, missive is its child
            children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
            target = int(children[0]) if children else pid
            status = Path(f"/proc/{target}/status").read_text()
            rss = int(status.split("VmRSS:", 1)[1].split()[0])
        except (OSError, ValueError, IndexError):
            return False
        highest[0] = max(highest[0], rss)
        if highest[0] - rss < UNLOCK_DROP_KIB:
            return False
        try:
            Path(f"/proc/{target}/clear_refs").write_text("5")
        except OSError:
            return False
        done.append(True)
        return True

    run = checked(
        "missive sync (after unlock)",
        measure(missive_cmd(profile, "sync"), env=missive_env(), cwd=ROOT, pin=pin, poll=reset_once_unlocked),
    )
    return run if done else None


def _cpu_of(pid: int) -> float:
    """User + system CPU-seconds a running process has used so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_missive_through_daemon(profile: Path, pin: str | None = None) -> Run:
    """`missive sync` while `missive daemon` runs on ``profile`` (started first, its key derived once, then
    left to settle): the command asks the daemon, which syncs. The Run's CPU-seconds are the command's plus
    what the daemon used meanwhile; its peak is the command's own (the daemon's is the app's business)."""
    from core import agent

    argv = missive_cmd(profile, "daemon")
    if pin is not None:
        argv = ["taskset", "-c", pin, *argv]
    daemon = subprocess.Popen(
        argv, env=missive_env(), cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        sock = agent.socket_path(profile)
        if sock is None:
            raise BenchError(f"the profile's path is too long for the daemon's socket: {profile}")
        deadline = time.monotonic() + 60
        while not sock.exists():
            if daemon.poll() is not None or time.monotonic() > deadline:
                raise BenchError("missive daemon did not open its control socket")
            time.sleep(0.05)
        time.sleep(2.0)  # its first IDLE round and periodic tasks, before anything is timed
        env = missive_env()
        env.pop("MISSIVE_PASSPHRASE")  # it cannot unlock the profile itself: the daemon syncs, or it fails
        before = _cpu_of(daemon.pid)
        run = checked("missive sync (daemon)", measure(missive_cmd(profile, "sync"), env=env, cwd=ROOT, pin=pin))
        used = _cpu_of(daemon.pid) - before
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
    return Run(run.seconds, run.peak_rss_kib, run.returncode, run.output, run.cpu_seconds + used)


def kdf_costs() -> dict[str, float]:
    """Milliseconds of one Argon2id derivation at the floor (this bench's profiles) and at the default cost
    (a doctor's profile): what a sync that unlocks the profile itself pays, and a daemon pays once."""
    from core.store import vault

    out = {}
    for name, cost in (("floor", vault.FLOOR_ARGON2ID), ("default", vault.DEFAULT_ARGON2ID)):
        start = time.perf_counter()
        vault._derive_argon2id(PASSPHRASE, b"\0" * 16, cost)
        out[name] = (time.perf_counter() - start) * 1e3
    return out


def missive_store(profile: Path):
    """The MessageStore of a profile made by ``make_missive_profile``."""
    for name, value in KDF_ENV.items():
        os.environ.setdefault(name, value)
    from core.mail.messages import MessageStore
    from core.store.profile import Profile

    return MessageStore(Profile.open(profile, PASSPHRASE))


def missive_message_ids(profile: Path, folder: str = "INBOX") -> list[str]:
    """Message-IDs of the messages missive keeps in ``folder`` (one entry per stored message)."""
    return [m.message_id for m in missive_store(profile).list(folder=folder)]


# ---------------------------------------------------------------------- the bench
@dataclass(frozen=True)
class Round:
    """One round: each tool's full sync, then its no-change resync, into a fresh Maildir and profile."""

    mbsync_full: Run
    missive_full: Run
    mbsync_again: Run
    missive_again: Run
    missive_daemon: Run | None = None  # the no-change resync asked of a running `missive daemon`
    missive_unlocked: Run | None = None  # a no-change resync, its peak counted from the unlock on
    missive_wheel: Run | None = None  # the no-change resync by missive installed from its wheel


@dataclass(frozen=True)
class Results:
    count: int
    megabytes: float
    mbsync_full: Run  # with several rounds: each figure's median
    missive_full: Run
    mbsync_again: Run
    missive_again: Run
    mbsync_inbox: Path  # the Maildir mbsync filled (last round)
    profile: Path  # the profile missive filled (last round)
    rounds: tuple[Round, ...] = ()
    pinned: str | None = None  # the core both clients ran on
    missive_daemon: Run | None = None  # no-change resync through the running daemon (client + daemon CPU)
    kdf_ms: dict[str, float] | None = None  # Argon2id key derivation, measured apart: cost name -> ms
    missive_unlocked: Run | None = None  # no-change resync, peak counted after unlock (median of rounds)
    missive_wheel: Run | None = None  # no-change resync by missive installed from its wheel (median)
    resyncs: int = 1  # no-change resyncs timed per round, each tool in turn (each figure: their median)
    security: str = "tls"  # how both tools reached Dovecot: implicit TLS or STARTTLS


def run_bench(
    servers,
    user: str,
    count: int,
    workdir: Path,
    seed: int = 5,
    say: Callable[[str], None] = print,
    runs: int = 1,
    pin: str | None = None,
    wheel: bool = False,
    resyncs: int = 1,
    security: str = "tls",
) -> Results:
    """Fill ``user``'s INBOX with ``count`` messages, then sync it with mbsync and missive, twice each, in
    ``runs`` rounds (each into a fresh Maildir and a fresh profile); clients on core ``pin`` when given.

    ``say`` gets one line per step. Raises BenchError when either tool fails or did not get every message
    exactly once. ``wheel``: the no-change resync is also run by missive installed from its wheel (each round).
    ``resyncs``: each round times the no-change resync that many times, the tools in turn (mbsync, missive,
    its wheel, missive with its peak counted after unlock), and keeps each figure's median. ``security``: "tls"
    (implicit) or "starttls", for both tools.
    """
    binary = ensure_mbsync()
    say(f"writing {count} messages into the Maildir of {user}, then `doveadm index`")
    messages = make_messages(count, seed)
    expected = sorted(mid for mid, _ in messages)
    megabytes = sum(len(raw) for _, raw in messages) / 1e6
    fill_maildir(servers, user, messages)
    del messages
    index_mailbox(servers, user)
    compile_missive()
    installed: Path | None = None
    if wheel:
        say("building missive's wheel and installing it in a venv of its own, as a user does")
        (workdir / "installed").mkdir()
        installed = install_wheel(workdir / "installed")
    rounds: list[Round] = []
    for n in range(1, runs + 1):
        folder = workdir / f"round-{n}"
        folder.mkdir()
        config, local = write_mbsync_config(folder, servers, user, security)
        profile = make_missive_profile(folder, servers, user, security)
        where = f" (round {n} of {runs})" if runs > 1 else ""
        say(f"full sync{where}: mbsync, then missive")
        mbsync_full = run_mbsync(binary, config, pin)
        missive_full = run_missive(profile, pin)
        times = f" {resyncs} times" if resyncs > 1 else ""
        say(f"no-change resync{where}{times}: mbsync, then missive, in turn")
        again: dict[str, list[Run]] = {"mbsync": [], "missive": [], "wheel": [], "unlocked": []}
        for _ in range(resyncs):
            again["mbsync"].append(run_mbsync(binary, config, pin))
            again["missive"].append(run_missive(profile, pin))
            if installed is not None:
                again["wheel"].append(run_missive_wheel(installed, profile, pin))
            unlocked = run_missive_after_unlock(profile, pin)
            if unlocked is not None:
                again["unlocked"].append(unlocked)
        mbsync_again, missive_again = median_run(again["mbsync"]), median_run(again["missive"])
        missive_wheel = median_run(again["wheel"]) if again["wheel"] else None
        missive_unlocked = median_run(again["unlocked"]) if len(again["unlocked"]) == resyncs else None
        say(f"no-change resync{where} asked of a running `missive daemon`")
        missive_daemon = run_missive_through_daemon(profile, pin)
        say("checking that both kept every message once")
        got_mbsync = sorted(maildir_message_ids(local / "INBOX"))
        if got_mbsync != expected:
            raise BenchError(f"mbsync kept {len(got_mbsync)} messages where {count} were on the server")
        got_missive = sorted(missive_message_ids(profile))
        if got_missive != expected:
            raise BenchError(f"missive kept {len(got_missive)} messages where {count} were on the server")
        rounds.append(
            Round(
                mbsync_full, missive_full, mbsync_again, missive_again, missive_daemon, missive_unlocked,
                missive_wheel,
            )  # fmt: skip
        )
    return Results(
        count,
        megabytes,
        median_run([r.mbsync_full for r in rounds]),
        median_run([r.missive_full for r in rounds]),
        median_run([r.mbsync_again for r in rounds]),
        median_run([r.missive_again for r in rounds]),
        local / "INBOX",
        profile,
        tuple(rounds),
        pin,
        median_run([r.missive_daemon for r in rounds if r.missive_daemon is not None]),
        kdf_costs(),
        (
            median_run([r.missive_unlocked for r in rounds if r.missive_unlocked is not None])
            if all(r.missive_unlocked is not None for r in rounds)
            else None
        ),
        median_run([r.missive_wheel for r in rounds if r.missive_wheel is not None]) if installed else None,
        resyncs,
        security,
    )


def _cpu_split(mine: Run, peer: Run) -> str:
    """Each tool's CPU-seconds as user + system, and the load average as its run started."""

    def one(run: Run) -> str:
        load = f"load {run.load:.1f}" if run.load >= 0 else "load unknown"
        return f"{run.cpu_seconds - run.system_seconds:.2f} user + {run.system_seconds:.2f} system ({load})"

    return f"missive {one(mine)}, mbsync {one(peer)}"


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def report(results: Results) -> bool:
    """Print the table and the verdicts; True when every target is met."""
    r = results
    ratio = r.missive_full.seconds / r.mbsync_full.seconds
    cpu_ratio = r.missive_full.cpu_seconds / r.mbsync_full.cpu_seconds if r.mbsync_full.cpu_seconds else 0.0
    over = "STARTTLS" if r.security == "starttls" else "implicit TLS"
    print(
        f"{r.count} messages, {r.megabytes:.0f} MB, from Dovecot over {over} on 127.0.0.1, "
        "each tool in its own process"
        + (f", both pinned to core {r.pinned} (taskset)" if r.pinned is not None else ", not pinned")
    )
    print(
        "missive's profile uses the cheapest accepted key derivation "
        "(MISSIVE_KDF=floor / MISSIVE_KDF_LOG2N=14); a standalone `missive sync` includes it, "
        "the resync via the daemon does not (the daemon derived the key once, at its start)"
    )
    if len(r.rounds) > 1:
        print(f"median of {len(r.rounds)} rounds (each into a fresh Maildir and profile)")
    if r.resyncs > 1:
        print(f"each no-change resync: the median of {r.resyncs} runs a round, mbsync's and missive's in turn")
    print(
        f"{'':<18} {'missive':>9} {'mbsync':>9} {'ratio':>6} | {'CPU missive':>11} {'mbsync':>8} {'ratio':>6}"
        f" | {'peak RSS missive':>16} {'mbsync':>7}"
    )
    for label, mine, peer in (
        ("full sync", r.missive_full, r.mbsync_full),
        ("no-change resync", r.missive_again, r.mbsync_again),
    ):
        cpu = f"{mine.cpu_seconds / peer.cpu_seconds:>6.2f}" if peer.cpu_seconds else f"{'-':>6}"
        print(
            f"{label:<18} {mine.seconds:>8.2f}s {peer.seconds:>8.2f}s {mine.seconds / peer.seconds:>6.2f} |"
            f" {mine.cpu_seconds:>10.2f}s {peer.cpu_seconds:>7.2f}s {cpu} |"
            f" {mine.peak_rss_kib / 1024:>14.0f}MB {peer.peak_rss_kib / 1024:>5.0f}MB"
        )
    if r.missive_wheel is not None:
        w = r.missive_wheel
        print(
            f"{'resync (wheel)':<18} {w.seconds:>8.2f}s {'':>9} {'':>6} | {w.cpu_seconds:>10.2f}s"
            f" (missive installed from its wheel, as users run it) | {w.peak_rss_kib / 1024:>14.0f}MB"
        )
    if r.missive_daemon is not None:
        d = r.missive_daemon
        print(
            f"{'resync via daemon':<18} {d.seconds:>8.2f}s {'':>9} {'':>6} | {d.cpu_seconds:>10.2f}s"
            f" (`missive sync` + the running daemon's CPU) | {d.peak_rss_kib / 1024:>14.0f}MB"
        )
    if r.kdf_ms:
        print(
            "key derivation (Argon2id), measured apart: "
            + ", ".join(f"{ms:.0f} ms at the {name} cost" for name, ms in r.kdf_ms.items())
            + "; a standalone `missive sync` pays it every time (the floor, above: in a thread beside its imports,"
            " CPU counted), the daemon once at its start"
        )
    for n, one in enumerate(r.rounds if len(r.rounds) > 1 else (), 1):
        cpu_one = (
            one.missive_full.cpu_seconds / one.mbsync_full.cpu_seconds if one.mbsync_full.cpu_seconds else 0
        )
        print(
            f"  round {n}: full sync {one.missive_full.seconds:.2f}s vs {one.mbsync_full.seconds:.2f}s"
            f" ({one.missive_full.seconds / one.mbsync_full.seconds:.2f}x), CPU {cpu_one:.2f}x,"
            f" resync {one.missive_again.seconds:.2f}s vs {one.mbsync_again.seconds:.2f}s"
            + (f" (installed wheel {one.missive_wheel.seconds:.2f}s)" if one.missive_wheel else "")
            + (f" (via daemon {one.missive_daemon.seconds:.2f}s)," if one.missive_daemon else ",")
            + f" peak {one.missive_full.peak_rss_kib / 1024:.0f}MB"
            + f"; {_cpu_split(one.missive_full, one.mbsync_full)}"
        )
    print(f"full sync CPU: {_cpu_split(r.missive_full, r.mbsync_full)}")
    full_ok = ratio <= MISSIVE_TARGET_RATIO
    cpu_ok = 0 < cpu_ratio <= MISSIVE_TARGET_RATIO
    again = r.missive_wheel or r.missive_again  # what users run, when the bench installed it
    again_ok = again.seconds <= RESYNC_TARGET_S
    peak_mb = max(r.missive_full.peak_rss_kib, r.missive_again.peak_rss_kib) / 1024
    peak_ok = peak_mb <= PEAK_TARGET_MB
    print(f"full sync: {ratio:.2f}x mbsync (target <= {MISSIVE_TARGET_RATIO}x: {_verdict(full_ok)})")
    print(
        f"full sync CPU-seconds: {cpu_ratio:.2f}x mbsync (target <= {MISSIVE_TARGET_RATIO}x: {_verdict(cpu_ok)})"
    )
    print(
        f"no-change resync: {again.seconds:.2f} s "
        f"(target <= {RESYNC_TARGET_S} s: {_verdict(again_ok)}"
        + (f"; installed from its wheel as users run it, {again.cpu_seconds:.2f} CPU-s)" if r.missive_wheel else ")")
    )
    if r.missive_wheel is not None:
        print(
            f"no-change resync from the development tree (python -m tui.cli, editable install): "
            f"{r.missive_again.seconds:.2f} s, {r.missive_again.cpu_seconds:.2f} CPU-s"
        )
    if r.missive_daemon is not None:
        daemon_ok = r.missive_daemon.seconds <= RESYNC_TARGET_S
        print(
            f"no-change resync through the running daemon: {r.missive_daemon.seconds:.2f} s "
            f"(target <= {RESYNC_TARGET_S} s: {_verdict(daemon_ok)})"
        )
    print(f"sync peak RSS: {peak_mb:.0f} MB (target <= {PEAK_TARGET_MB} MB: {_verdict(peak_ok)})")
    if r.missive_unlocked is not None:
        unlocked_mb = r.missive_unlocked.peak_rss_kib / 1024
        print(
            f"no-change resync peak RSS after unlock: {unlocked_mb:.1f} MB "
            f"(target < {RESYNC_PEAK_TARGET_MB} MB: {_verdict(unlocked_mb < RESYNC_PEAK_TARGET_MB)}; the key "
            "derivation, paid once per unlock and released, is left out)"
        )
    return full_ok and cpu_ok and again_ok and peak_ok


def _progress(line: str) -> None:
    print(f"bench.sync: {line}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000, help="messages in the mailbox (default 10000)")
    parser.add_argument("--pin", action="store_true", help=f"run both clients on core {PIN_CPU} (taskset)")
    parser.add_argument("--runs", type=int, default=1, help="rounds; each figure is their median (default 1)")
    parser.add_argument(
        "--resyncs", type=int, default=5, help="no-change resyncs a round, the tools in turn; median (default 5)"
    )
    parser.add_argument(
        "--imap-security", choices=("tls", "starttls"), default="tls",
        help="how both tools reach Dovecot: implicit TLS (default) or STARTTLS, `missive account add`'s default",
    )  # fmt: skip
    parser.add_argument(
        "--no-wheel", action="store_true", help="do not install missive's wheel: the resync line is the tree's"
    )
    args = parser.parse_args(argv)
    if args.count < 1 or args.runs < 1 or args.resyncs < 1:
        print("bench.sync: --count, --runs and --resyncs must be at least 1", file=sys.stderr)
        return 2
    if args.pin and shutil.which("taskset") is None:
        print("bench.sync: --pin needs taskset (util-linux)", file=sys.stderr)
        return 2
    from tests.servers.harness import MailServers, ServersUnavailable, ensure_installed

    try:
        ensure_installed()
        with MailServers() as servers, tempfile.TemporaryDirectory(prefix="missive-bench-sync-") as tmp:
            results = run_bench(
                servers,
                "alice",
                args.count,
                Path(tmp),
                say=_progress,
                runs=args.runs,
                pin=PIN_CPU if args.pin else None,
                wheel=not args.no_wheel,
                resyncs=args.resyncs,
                security=args.imap_security,
            )
    except (BenchError, ServersUnavailable) as exc:
        print(f"bench.sync: {exc}", file=sys.stderr)
        return 1
    report(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
