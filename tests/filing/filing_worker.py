"""A process filing on a shared profile, for the exactly-once tests (tests/filing/test_exactly_once.py).

``python -m tests.filing.filing_worker PROFILE loop SECONDS``: queue results ``<m0@lab>``, ``<m1@lab>``... (the
same ones in every worker, so workers race for each; each letter's result has bytes of its own, as different
results do) and file them, for SECONDS; prints how many.
``python -m tests.filing.filing_worker PROFILE same COUNT``: queue the same result (the same bytes) in COUNT
letters of this worker's own and file them; prints the states it got.
``python -m tests.filing.filing_worker PROFILE crash POINT``: file one result and die (``os._exit``) at POINT.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from core.clinical.readers import read_document
from core.mailroom import Mailroom
from core.model import Candidate, MatchResult
from core.practice import documents, filing

PASS = "correct horse battery staple"
RAW = (Path(__file__).resolve().parent.parent / "data" / "filing" / "hprim_net_cp1252_crlf.hpr").read_bytes()
AUTO = MatchResult("auto", "P-1", (Candidate("P-1", 0.99, ("INS",)),))
CRASH_POINTS = ("staged", "intent", "linked", "published")


def _die(*_: object, **__: object) -> None:
    os._exit(9)


def crash_at(point: str) -> None:
    """Make this process die at ``point`` of the filing (as a SIGKILL would)."""
    if point == "staged":  # the temporary file written, no intent recorded yet
        filing.publish = _die  # type: ignore[assignment]
    elif point == "intent":  # the intent recorded, nothing published
        filing._publish = _die  # type: ignore[assignment]
    elif point == "linked":  # the file published, its temporary name still there
        original = filing._publish

        def publish_then_die(tmp: Path, final: Path, *at: object) -> bool:
            original(tmp, final, *at)  # type: ignore[arg-type]  # the folders' descriptors (POSIX)
            os._exit(9)

        filing._publish = publish_then_die  # type: ignore[assignment]
    elif point == "published":  # published and cleaned up, the document not yet recorded as filed
        documents.DocumentQueue._finish = _die  # type: ignore[assignment,method-assign]
    elif point == "settling":  # settling an interrupted filing, as its temporary file is removed
        filing.discard_temp = _die  # type: ignore[assignment]
    else:
        raise SystemExit(f"unknown crash point {point}")


def main(argv: list[str]) -> int:
    profile_dir, mode, arg = argv
    room = Mailroom.open(Path(profile_dir), PASS)
    queue = room.documents
    document = read_document(RAW, "res.hpr").documents[0]
    if mode == "crash":
        queued = queue.add(document, AUTO, message_id="<crash@lab>", attachment="res.hpr", raw=RAW)
        crash_at(arg)
        if arg == "settling":
            queue.recover()
        else:
            queue.auto_file(queued.id)
        return 3  # the crash point was never reached
    if mode == "same":
        states = []
        for n in range(int(arg)):
            queued = queue.add(document, AUTO, message_id=f"<{os.getpid()}-{n}@lab>", attachment="res.hpr", raw=RAW)
            states.append(queue.auto_file(queued.id)[0].state if queued.state == "waiting" else queued.state)
        print(" ".join(states))
        return 0
    deadline = time.monotonic() + float(arg)
    n = 0
    while time.monotonic() < deadline:
        raw = RAW + f"\r\n{n}\r\n".encode()  # another result in each letter (the same bytes would be a duplicate)
        queued = queue.add(document, AUTO, message_id=f"<m{n}@lab>", attachment="res.hpr", raw=raw)
        queue.auto_file(queued.id)
        if n % 25 == 0:
            queue.auto_file()  # what the daemon's round does: every waiting result
        n += 1
    print(n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
