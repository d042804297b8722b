"""bench.startup's open sends its Entrée once missive's log says start-up is over, not at the app's first paint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench import startup


def test_open_waits_for_start_up_over_and_the_paint_for_the_paint(monkeypatch: Any, tmp_path: Path) -> None:
    log = tmp_path / "missive.log"
    log.write_bytes(b"2026-12-07 INFO missive.tui start-up over: 1.0 s (screen settled)\n")  # a run before
    asked: dict[str, Any] = {}

    def in_pty(
        argv: list[str], env: dict[str, str], marker: bytes, quit_key: Any, mode: str, live: Any, cwd: Path
    ) -> Any:
        asked[mode] = live
        # `python -m` imports from the working directory first: the bench's own checkout is the one timed
        assert cwd == startup.ROOT and env["PYTHONPATH"].split(":")[0] == str(startup.ROOT)
        return startup.PtyRun(0.1, 0.2)

    monkeypatch.setattr(startup, "in_pty", in_pty)
    for mode in ("paint", "open"):
        startup.run_missive(tmp_path, 300, mode)
    assert not asked["paint"]() and not asked["open"]()  # what an earlier run said does not count
    with log.open("ab") as fh:
        fh.write(b"2026-12-07 INFO missive.tui start-up to painted inbox: 1.2 s\n")
    assert asked["paint"]() and not asked["open"]()
    with log.open("ab") as fh:
        fh.write(b"2026-12-07 INFO missive.tui start-up over: 1.3 s (screen settled)\n")
    assert asked["open"]()
