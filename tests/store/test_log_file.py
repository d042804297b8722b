"""The profile's log file: created 0600, rotated at 1 MB into three older files, written by a handler of
logging itself (logging.handlers, with the modules it imports, held 0.2 MB of the app for a rename)."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core import logs

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_log() -> Iterator[logging.Logger]:
    """The "missive" logger without an earlier test's profile log, given back as it was."""
    missive = logging.getLogger("missive")
    earlier = [h for h in missive.handlers if getattr(h, "_missive", False)]
    for handler in earlier:
        missive.removeHandler(handler)
    try:
        yield missive
    finally:
        for handler in list(missive.handlers):
            if getattr(handler, "_missive", False):
                missive.removeHandler(handler)
                handler.close()
        for handler in earlier:
            missive.addHandler(handler)


def test_the_log_is_private_and_rotated_into_three_older_files(tmp_path: Path, own_log, monkeypatch) -> None:
    os.umask(0o022)
    path = logs.setup_logging(tmp_path / "profile")
    handler = next(h for h in own_log.handlers if getattr(h, "_missive", False))
    monkeypatch.setattr(handler, "max_bytes", 2000)
    log = logging.getLogger("missive.test")
    for i in range(400):
        log.info("line %04d %s", i, "x" * 40)
    handler.flush()
    files = [path, *(path.with_name(f"missive.log.{i}") for i in (1, 2, 3))]
    assert all(f.is_file() for f in files) and not path.with_name("missive.log.4").exists()
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert all(f.stat().st_size < 2000 for f in files)
    lines = [line for f in reversed(files) for line in f.read_text("utf-8").splitlines()]
    numbers = [int(line.split("line ")[1].split()[0]) for line in lines]
    assert numbers == list(range(numbers[0], 400))  # the newest lines, in order, none lost between files
    assert len(numbers) > 40  # four files of 2000 bytes, some 100 bytes a line


def test_a_line_that_cannot_be_written_is_counted_not_printed(tmp_path: Path, own_log, capsys) -> None:
    logs.setup_logging(tmp_path / "profile")
    handler = next(h for h in own_log.handlers if getattr(h, "_missive", False))

    def broken(record: logging.LogRecord) -> str:
        raise OSError(28, "No space left on device")

    handler.format = broken  # type: ignore[method-assign]
    logging.getLogger("missive.test").warning("a line")
    assert handler.failures == 1
    assert capsys.readouterr().err == ""


def test_opening_a_profile_imports_no_logging_handlers(tmp_path: Path) -> None:
    script = (
        "import sys\n"
        "from core.mailroom import Mailroom\n"
        "from core.store.profile import Profile\n"
        f"Profile.create({str(tmp_path / 'p')!r}, 'correct horse battery staple')\n"
        f"Mailroom.open({str(tmp_path / 'p')!r}, 'correct horse battery staple')\n"
        "print('logging.handlers' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "MISSIVE_KDF": "floor", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["False"]
    assert (tmp_path / "p" / "missive.log").is_file()


def test_a_servers_words_write_one_line_and_no_terminal_command(tmp_path: Path, own_log) -> None:
    """A refusal is logged with the server's words (core.mail.mailops: 'refused by the server, given up: %s'):
    a line end in them forged a second line in the log, an ESC a command for whoever reads it in a terminal."""
    path = logs.setup_logging(tmp_path / "profile")
    words = "NO [CANNOT] refusé\r\n2026-12-07 10:00:00,000 ERROR missive.audit forged\x1b]0;x\x07 \u202e \x85fin"
    logging.getLogger("missive.mail.mailops").warning("operation %s (%s) refused by the server, given up: %s",
                                                      "op-1", "move", words)  # fmt: skip
    for handler in own_log.handlers:
        handler.flush()
    (line,) = path.read_text("utf-8").splitlines()
    assert line.endswith(
        "given up: NO [CANNOT] refusé\\x0d\\x0a[date] 10:00:00,000 ERROR missive.audit forged\\x1b]0;x\\x07"
        " \\u202e \\x85fin"
    )
