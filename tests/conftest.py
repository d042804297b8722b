"""Suite-wide settings: a cheap key derivation for throwaway profiles, and the mail-server fixtures."""

from __future__ import annotations

import importlib.util
import os
import signal
import time
from pathlib import Path

import pytest

# Profiles made by tests use Argon2id at the floor the vault accepts (19 MiB, 2 passes) instead of the default
# (64 MiB, 3 passes): same code path, a fifth of the time. Production never reads this unless a user sets it.
os.environ.setdefault("MISSIVE_KDF", "floor")

# Dates are shown in the computer's time zone (core.model.local_time): the suite reads them in UTC wherever it
# runs, its CLI processes too; a test that wants another zone sets TZ itself (tests/tui/test_local_time.py).
os.environ["TZ"] = "UTC"
time.tzset()

# Ctrl+C as a terminal gives it: a suite started in the background by a shell without job control (`make test &`
# in a script, `nohup ... &`) inherits SIGINT ignored, and so would every program the tests start, which then keep
# ignoring it as programs must; the tests that press ctrl+c (tests/demo/test_demo_interrupted.py,
# tests/tui/test_key_ahead.py) hung until their timeout. A handler here is reset to the default in each program
# started (exec), as under a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

if importlib.util.find_spec("tests.servers.fixtures") is not None:
    pytest_plugins = ["tests.servers.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


@pytest.fixture(autouse=True)
def _french_after_each_test():
    """A command run with --lang en (or an English profile) sets the language of the process: each test
    starts in French, the default, whatever the one before it asked for."""
    yield
    import sys

    from core.text import set_language

    set_language("fr")
    if "tui.i18n" in sys.modules:  # the interface's catalogue language too
        sys.modules["tui.i18n"].set_language("fr")


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def profile(profile_dir: Path):
    from core.store.profile import Profile

    return Profile.create(profile_dir, "correct horse battery staple")


@pytest.fixture
def cli(profile_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run ``missive --profile <tmp> ARGS`` in-process; returns (exit code, stdout, stderr)."""
    from tui.cli import main

    monkeypatch.setenv("MISSIVE_PASSPHRASE", "correct horse battery staple")

    def run(*args: str) -> tuple[int, str, str]:
        code = main(["--profile", str(profile_dir), *args])
        out, err = capsys.readouterr()
        return code, out, err

    return run
