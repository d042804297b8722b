"""Filing is exactly-once across processes and crashes (issue 14, items 2 and 6).

Two processes filing on one profile for a minute, a process killed at each step of a filing, and `missive sync`
killed (SIGKILL) twenty times while it files results from a Maildir: never a result filed twice, never one lost.
A duplicate is two files of the import folder carrying the same document id (the default name holds it).
"""

from __future__ import annotations

import asyncio
import base64
import collections
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.mail.account import Account
from core.mailroom import Mailroom
from tests.filing.filing_worker import CRASH_POINTS, PASS, RAW

ROOT = Path(__file__).resolve().parents[2]
PATIENTS = (
    "id,birth_name,used_name,given_names,birth_date,sex,ins\n"
    "P-1,MÜLLER,LEFÈVRE,Jean-Pierre Marie,1968-04-12,M,\n"
    "P-2,DURAND,,Claire,1971-02-03,F,\n"
)
SECONDS = float(os.environ.get("MISSIVE_FILING_RACE_SECONDS", "60"))


def practice(tmp_path: Path) -> tuple[Path, Path]:
    """A profile filing automatically into ``lgc``, trusting the lab, with the patients of RAW."""
    profile, lgc = tmp_path / "profile", tmp_path / "lgc"
    Mailroom.create(profile, PASS)
    settings = profile / "profile.toml"
    text = settings.read_text("utf-8").replace("allow = []", 'allow = ["labo-ormes.mssante.fr"]', 1)
    settings.write_text(text.replace('folder = ""', f'folder = "{lgc}"', 1), "utf-8")
    Mailroom.open(profile, PASS).patients.import_csv(PATIENTS.encode(), name="patients.csv")
    return profile, lgc


def filed_ids(lgc: Path) -> collections.Counter[str]:
    """Document ids of the files the practice software would import (its folder, no hidden entry)."""
    names = [p.name for p in lgc.iterdir() if p.is_file()] if lgc.is_dir() else []
    assert not [n for n in names if n.endswith(".tmp")]
    ids = [m.group(0) for n in names if (m := re.search(r"d-[0-9a-f]{16}", n))]
    assert len(ids) == len(names), names
    return collections.Counter(ids)


def _activity(lgc: Path) -> tuple[frozenset[str], frozenset[str]]:
    """What the import folder holds, published and temporary: it changes as soon as a filing begins."""

    def names(folder: Path) -> frozenset[str]:
        try:
            return frozenset(os.listdir(folder))
        except FileNotFoundError:
            return frozenset()

    return names(lgc), names(lgc / ".missive-tmp")


def _env() -> dict[str, str]:
    return {**os.environ, "MISSIVE_PASSPHRASE": PASS, "PYTHONPATH": str(ROOT)}


def test_two_processes_filing_on_one_profile_never_file_a_result_twice(tmp_path: Path) -> None:
    """The documented set-up (app, daemon, CLI on one profile), as two processes racing for the same results
    for a minute: each is filed once, by one of them, and recorded once."""
    profile, lgc = practice(tmp_path)
    worker = [sys.executable, "-m", "tests.filing.filing_worker", str(profile), "loop", str(SECONDS)]
    procs = [
        subprocess.Popen(worker, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=SECONDS + 120) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
    counts = [int(out) for out, _ in outs]
    queue = Mailroom.open(profile, PASS).documents
    docs = queue.list()
    files = filed_ids(lgc)
    assert max(counts) > 50  # they did race for a while
    assert [i for i, n in files.items() if n > 1] == []  # 0 duplicate files
    assert len(docs) == max(counts) and {d.state for d in docs} == {"filed"}
    assert set(files) == {d.id for d in docs}  # 0 lost
    records = collections.Counter(r["object"] for r in queue.audit.records() if r["action"] == "file")
    assert set(records.values()) == {1}  # and each filing recorded once
    assert not (lgc / ".missive-tmp").exists()


def test_two_processes_meeting_the_same_result_in_their_own_letters_file_it_once(tmp_path: Path) -> None:
    """The same result in many letters (sent again, forwarded, to two addresses), met by the app and the daemon
    at once: one of them files it, once; every other copy is a duplicate of that one, in both processes."""
    profile, lgc = practice(tmp_path)
    worker = [sys.executable, "-m", "tests.filing.filing_worker", str(profile), "same", "20"]
    procs = [
        subprocess.Popen(worker, cwd=ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err.decode()
    states = collections.Counter(word for out, _ in outs for word in out.decode().split())
    assert states == {"filed": 1, "duplicate": 39}
    docs = Mailroom.open(profile, PASS).documents.list()
    [first] = [d for d in docs if d.state == "filed"]
    assert len(docs) == 40 and {d.duplicate_of for d in docs if d is not first} == {first.id}
    assert list(filed_ids(lgc).items()) == [(first.id, 1)]


@pytest.mark.parametrize(
    "points", [(p,) for p in CRASH_POINTS] + [("intent", "settling"), ("linked", "settling")]
)
def test_a_filing_killed_at_any_step_is_finished_or_rolled_back(
    tmp_path: Path, points: tuple[str, ...]
) -> None:
    """Killed after writing the temporary file, after recording its intent, after publishing (temporary name
    still there), after publishing (not yet recorded), and then killed again while settling that: the next
    process files the result exactly once."""
    profile, lgc = practice(tmp_path)
    for point in points:
        crashed = subprocess.run(
            [sys.executable, "-m", "tests.filing.filing_worker", str(profile), "crash", point],
            cwd=ROOT,
            env=_env(),
            capture_output=True,
            timeout=120,
        )
        assert crashed.returncode == 9, crashed.stderr.decode()
    queue = Mailroom.open(profile, PASS).documents
    [doc] = queue.list()  # the interrupted filing is settled as the queue is read
    if points[0] in ("linked", "published"):
        assert doc.state == "filed"  # it was published: finished
    else:
        assert doc.state == "waiting"  # never published: rolled back...
        [doc] = queue.auto_file()  # ...and filed by the next automatic round
    assert filed_ids(lgc) == {doc.id: 1}
    assert Path(doc.filed_path).read_bytes() == RAW
    assert queue.auto_file() == []  # the next automatic round finds nothing more to file...
    assert not (lgc / ".missive-tmp").exists()  # ...and leaves no temporary behind
    assert filed_ids(lgc) == {doc.id: 1}


def letter(number: int) -> bytes:
    return (
        (
            "From: labo@labo-ormes.mssante.fr\r\nTo: dr@cabinet.mssante.fr\r\nSubject: Resultats\r\n"
            f"Message-ID: <kill{number}@labo-ormes>\r\nMIME-Version: 1.0\r\n"
            'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            "Content-Type: text/plain; charset=utf-8\r\n\r\nCi-joint.\r\n--b\r\n"
            'Content-Type: application/octet-stream; name="res.hpr"\r\n'
            'Content-Disposition: attachment; filename="res.hpr"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        ).encode()
        # a result of its own in each letter (the same bytes in two letters would be one result and a duplicate)
        + base64.encodebytes(RAW + f"\r\n{number}\r\n".encode())
        + b"--b--\r\n"
    )


def test_sigkill_during_sync_and_filing_never_files_twice_nor_loses_a_result(tmp_path: Path) -> None:
    """`missive sync` killed (SIGKILL) twenty times while it files results (new ones arrive each round), then
    one sync to the end: every result filed exactly once."""
    profile, lgc = practice(tmp_path)
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    Mailroom.open(profile, PASS).accounts.add(
        Account(name="cabinet", email="dr@cabinet.mssante.fr", kind="maildir", maildir=str(maildir))
    )
    rng = random.Random(20261206)
    sync = [sys.executable, "-m", "tui.cli", "--profile", str(profile), "sync"]
    delivered, killed, rounds = 0, 0, 0
    while killed < 20 and rounds < 80:
        rounds += 1
        for _ in range(6):
            (maildir / "new" / f"{delivered}.lab").write_bytes(letter(delivered))
            delivered += 1
        before = _activity(lgc)
        proc = subprocess.Popen(sync, cwd=ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        # kill it while it files: once a filing has begun (a temporary file or a new result appeared)
        while proc.poll() is None and _activity(lgc) == before:
            time.sleep(0.002)
        time.sleep(rng.uniform(0, 0.03))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            killed += 1
        _, err = proc.communicate()
        assert proc.returncode in (0, -signal.SIGKILL), err.decode()
    done = subprocess.run(sync, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert killed == 20

    room = Mailroom.open(profile, PASS)
    docs = room.documents.list()
    files = filed_ids(lgc)
    assert [i for i, n in files.items() if n > 1] == []  # 0 duplicates
    assert len(docs) == delivered and {d.state for d in docs} == {"filed"}  # 0 lost
    assert set(files) == {d.id for d in docs}
    assert len(room.messages.list()) == delivered
    assert not (lgc / ".missive-tmp").exists()
    asyncio.run(room.sync())  # and one more sync changes nothing
    assert filed_ids(lgc) == files
