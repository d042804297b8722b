"""Start-up to the painted inbox: missive vs neomutt (warm header cache) on the same 10,000 and 50,000 messages.

Run: ``.venv/bin/python -m bench.startup`` (``--sizes 10000`` for a quick run). Profiles and Maildirs are built
once in ``$MISSIVE_BENCH_DIR`` (default /tmp/missive-bench) and reused. Both programs run in a pseudo-terminal
(``script``) and quit as soon as their index is on screen: missive via MISSIVE_EXIT_AFTER_PAINT=1, neomutt via a
``push`` of its quit key. Prints wall time, peak memory (max RSS) and the ratios. Targets at 50k: < 1 s, < 150 MB.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import time
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSPHRASE = "bench"
RUNS = 3


def message(i: int) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Dr Confrère {i % 300} <confrere{i % 300}@hopital{i % 17}.mssante.fr>"
    msg["To"] = "dr.medecin@cabinet.mssante.fr"
    msg["Subject"] = f"Compte rendu {i} - consultation du {i % 28 + 1:02d}/05"
    msg["Date"] = format_datetime(dt.datetime(2025, 1, 1, tzinfo=dt.UTC) + dt.timedelta(minutes=17 * i))
    msg["Message-ID"] = f"<bench-{i}@hopital.mssante.fr>"
    msg.set_content(("Cher confrère, voici le compte rendu de votre patient. " * 20 + "\n") * 3)
    return msg.as_bytes()


def build_maildir(folder: Path, count: int) -> None:
    if (folder / "cur").is_dir() and len(os.listdir(folder / "cur")) == count:
        return
    shutil.rmtree(folder, ignore_errors=True)
    for sub in ("cur", "new", "tmp"):
        (folder / sub).mkdir(parents=True)
    for i in range(count):
        (folder / "cur" / f"{1700000000 + i}.{i}.bench:2,S").write_bytes(message(i))


def build_profile(folder: Path, count: int) -> None:
    if (folder / ".built").exists():
        return
    shutil.rmtree(folder, ignore_errors=True)
    os.environ.setdefault("MISSIVE_KDF_LOG2N", "14")  # building is not what is measured
    from core.mail.messages import FolderState, MessageStore, summary_of
    from core.store.profile import Profile

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


def in_pty(command: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds, peak MB) of one run of ``command`` under a pseudo-terminal (rusage of that run only)."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-f", "%M", "-o", "/tmp/missive-bench-rss", "script", "-qec", command, "/dev/null"],
        env={**env, "COLUMNS": "120", "LINES": "40", "TERM": "xterm-256color"},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    proc.wait(timeout=120)
    elapsed = time.perf_counter() - start
    # GNU time reports the largest resident set among the process tree it waited for, in KB
    peak_kb = int(Path("/tmp/missive-bench-rss").read_text().split()[-1])
    return elapsed, peak_kb / 1024


def run_missive(profile: Path) -> tuple[float, float]:
    code = (
        "from tui.app import run_app; import sys; "
        f"sys.exit(run_app({str(profile)!r}, passphrase={PASSPHRASE!r}))"
    )
    env = {**os.environ, "MISSIVE_EXIT_AFTER_PAINT": "1", "PYTHONPATH": str(ROOT)}
    return in_pty(f"{sys.executable} -c {_quote(code)}", env)


def run_neomutt(maildir: Path, cache: Path) -> tuple[float, float]:
    rc = cache.parent / "neomuttrc"
    rc.write_text(
        f'set folder="{maildir.parent}"\nset spoolfile="{maildir}"\nset mbox_type=Maildir\n'
        f'set header_cache="{cache}"\nset quit=yes\nset sort=reverse-date\n'
    )
    return in_pty(f"neomutt -n -F {rc} -f {maildir} -e 'push q'", dict(os.environ))


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def best(fn, *args) -> tuple[float, float]:  # noqa: ANN001
    runs = [fn(*args) for _ in range(RUNS)]
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000")
    args = parser.parse_args()
    base = Path(os.environ.get("MISSIVE_BENCH_DIR", "/tmp/missive-bench"))
    have_neomutt = shutil.which("neomutt") is not None
    if not have_neomutt:
        print("neomutt not found: apt-get install -y neomutt (missive is measured alone)")
    print(
        f"{'messages':>9} {'missive s':>10} {'MB':>6} {'neomutt s':>10} {'MB':>6} {'time ratio':>11} {'mem ratio':>10}"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        profile, maildir = base / f"profile-{size}", base / f"maildir-{size}" / "INBOX"
        build_profile(profile, size)
        missive_s, missive_mb = best(run_missive, profile)
        line = f"{size:>9} {missive_s:>10.2f} {missive_mb:>6.0f}"
        if have_neomutt:
            build_maildir(maildir, size)
            cache = base / f"hcache-{size}"
            run_neomutt(maildir, cache)  # warm the header cache
            mutt_s, mutt_mb = best(run_neomutt, maildir, cache)
            line += (
                f" {mutt_s:>10.2f} {mutt_mb:>6.0f} {missive_s / mutt_s:>11.2f} {missive_mb / mutt_mb:>10.2f}"
            )
        print(line, flush=True)
    print("targets at 50,000 messages: missive < 1 s and < 150 MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
