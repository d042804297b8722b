"""Suite-wide settings: a cheap key derivation for throwaway profiles, and the mail-server fixtures."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

# Profiles made by tests use scrypt N=2^14 (the floor the vault accepts) instead of 2^17: same code path,
# a tenth of the time. Production profiles never read this variable unless a user sets it.
os.environ.setdefault("MISSIVE_KDF_LOG2N", "14")

if importlib.util.find_spec("tests.servers.fixtures") is not None:
    pytest_plugins = ["tests.servers.fixtures"]

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"


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
