"""One FileLock shared by two threads (the TUI and its background sync) excludes them from each other."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from core.store.atomic import FileLock


def test_threads_sharing_one_lock_never_interleave(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "lock")
    counter = tmp_path / "counter"
    counter.write_text("0")
    inside = threading.Event()
    overlaps: list[int] = []

    def work() -> None:
        for _ in range(100):
            with lock.held():
                with lock.held():  # re-entrant within a thread
                    if inside.is_set():
                        overlaps.append(1)
                    inside.set()
                    value = int(counter.read_text())
                    time.sleep(0.0005)
                    counter.write_text(str(value + 1))
                    inside.clear()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert overlaps == []
    assert counter.read_text() == "300"
