"""The passphrase never reaches a process missive starts: a token command that dumps its environment sees none
of missive's secrets, and `missive` run as a program no longer holds them once read."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.mail.account import Account
from core.mail.accounts import access_token

PASS = "correct horse battery staple"


def _dumping_command(tmp_path: Path) -> tuple[str, Path]:
    """A token command that writes its whole environment to a file, then prints a token."""
    dump = tmp_path / "env.json"
    script = tmp_path / "token.py"
    script.write_text(
        "import json, os, sys\n"
        f"open({str(dump)!r} + '.tmp', 'w').write(json.dumps(dict(os.environ)))\n"
        f"os.replace({str(dump)!r} + '.tmp', {str(dump)!r})\n"
        "print('token-123')\n"
    )
    return f"{sys.executable} {script}", dump


def test_the_token_command_gets_no_missive_secret(tmp_path: Path, monkeypatch) -> None:
    command, dump = _dumping_command(tmp_path)
    monkeypatch.setenv("MISSIVE_PASSPHRASE", PASS)
    monkeypatch.setenv("MISSIVE_ACCOUNT_PASSWORD", "account-secret")
    monkeypatch.setenv("PRACTICE_SETTING", "kept")
    account = Account(name="a", email="a@b.fr", xoauth2_command=command)
    assert access_token(account) == "token-123"
    env = json.loads(dump.read_text())
    assert env["PRACTICE_SETTING"] == "kept" and "PATH" in env  # the rest of the environment is there
    assert not [k for k in env if k.startswith("MISSIVE_")]
    assert PASS not in dump.read_text() and "account-secret" not in dump.read_text()
    assert os.environ["MISSIVE_PASSPHRASE"] == PASS  # an in-process caller's environment is left alone


@pytest.mark.servers
def test_missive_run_as_a_program_gives_its_token_command_no_passphrase(mail_servers, tmp_path: Path) -> None:
    """`missive sync` for an XOAUTH2 account against the suite's Dovecot: the command runs, dumps, and the
    passphrase is nowhere in what it saw."""
    command, dump = _dumping_command(tmp_path)
    user = mail_servers.add_user("oauth")
    env = dict(os.environ, MISSIVE_PASSPHRASE=PASS, MISSIVE_ACCOUNT_PASSWORD="account-secret")
    missive = [sys.executable, "-c", "import sys; from tui.cli import main; sys.exit(main())"]
    profile = ["--profile", str(tmp_path / "profile")]

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*missive, *profile, *args], env=env, capture_output=True, text=True, timeout=120
        )

    assert run("init").returncode == 0
    added = run(
        "account", "add", "cabinet", "--email", user, "--user", user,
        "--imap", f"127.0.0.1:{mail_servers.imap_port}", "--smtp", f"127.0.0.1:{mail_servers.submission_port}",
        "--ca-file", str(mail_servers.ca_file), "--xoauth2-command", command,
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    # what happens after the token (the suite's Dovecot does not check XOAUTH2 tokens) is not this test's
    # concern: once the command has run, the process is stopped
    syncing = subprocess.Popen(
        [*missive, *profile, "sync"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 60
        while not dump.exists() and syncing.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        syncing.kill()
        syncing.wait()
    assert dump.exists()  # the token command did run
    seen = dump.read_text()
    assert PASS not in seen and "account-secret" not in seen
    assert not [k for k in json.loads(seen) if k.startswith("MISSIVE_")]
