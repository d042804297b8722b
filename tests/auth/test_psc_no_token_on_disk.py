"""A day's use with a Pro Santé Connect login (sync, send, the daemon re-asking the phone after a revoked
refresh token): no access, refresh or ID token in clear in any file of the profile, its log included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.auth import psc
from tests.auth.test_psc_servers import _delivered
from tests.conftest import ROOT
from tests.mail.helpers import letter

pytestmark = [pytest.mark.servers, pytest.mark.slow]


def _wait_for(path: Path, needle: str, seconds: float = 40) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and needle in path.read_text(errors="replace"):
            return True
        time.sleep(0.1)
    return False


def test_no_token_ever_reaches_the_disk(cli, psc_cli, mail_servers, stand_in, profile_dir, tmp_path) -> None:
    national_id, address = mail_servers.add_psc_user()
    mail_servers.deliver(address, letter("Premier courrier"))
    code, out, err = psc_cli("cab", national_id, address)
    assert code == 0, err
    assert cli("sync")[0] == 0
    settings = profile_dir / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace('mode = "trust-space"', 'mode = "open"', 1), "utf-8"
    )
    body = tmp_path / "body.txt"
    body.write_text("Bonjour,\nvoici la lettre.\n", "utf-8")
    code, out, err = cli("send", "--to", address, "--subject", "Lettre PSC", "--body-file", str(body))
    assert code == 0, err
    assert _delivered(mail_servers.maildir_of(address), b"Lettre PSC")

    # The refresh token is revoked: the daemon asks the phone again (it approves) and goes on syncing.
    stand_in.revoke_refresh_tokens()
    psc.sessions._tokens.clear()
    errors = tmp_path / "daemon.err"
    env = dict(os.environ, MISSIVE_PASSPHRASE="correct horse battery staple", PYTHONPATH=str(ROOT))
    with errors.open("w") as sink:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "tui.cli", "--profile", str(profile_dir), "daemon"],
            stdout=sink, stderr=sink, stdin=subprocess.DEVNULL, env=env, cwd=ROOT,
        )  # fmt: skip
        try:
            assert _wait_for(errors, "Validez la connexion sur votre application e-CPS : code"), (
                errors.read_text()
            )
            assert _wait_for(profile_dir / "missive.log", "psc: login approved")
            time.sleep(1.0)  # the daemon reconnects and enters IDLE
            mail_servers.deliver(address, letter("Pendant le démon"))
            assert _wait_for(profile_dir / "missive.log", "new messages"), (
                profile_dir / "missive.log"
            ).read_text()
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=30)
    assert cli("sync")[0] == 0  # the refresh token the daemon saved works in another process

    tokens = [t for t in stand_in.issued if t]
    assert len(tokens) >= 9  # three logins or renewals at least, each an access, refresh and ID token
    pieces = {t.encode() for t in tokens} | {
        part.encode() for t in tokens for part in t.split(".") if len(part) > 20
    }
    files = [p for p in profile_dir.rglob("*") if p.is_file()] + [errors]
    assert any(p.name == "missive.log" for p in files)
    for path in files:
        data = path.read_bytes()
        leaked = [piece[:12] for piece in pieces if piece in data]
        assert not leaked, f"token in clear in {path.name}"


def test_a_profile_opens_while_another_thread_is_still_importing_the_psc_client(
    tmp_path, monkeypatch
) -> None:
    """The background sync imports core.auth.psc in its thread; the unlock reading the accounts meanwhile met
    the module without its ``sessions`` yet (AttributeError: 'Erreur interne' at the demo's unlock)."""
    import sys
    import types

    from core import auth
    from core.mailroom import Mailroom

    Mailroom.create(tmp_path / "profile", "correct horse battery staple")
    mr = Mailroom.open(tmp_path / "profile", "correct horse battery staple")
    monkeypatch.setattr(auth, "save_refresh", None)
    monkeypatch.setitem(sys.modules, "core.auth.psc", types.ModuleType("core.auth.psc"))  # half imported
    assert mr.accounts.list() == []
    assert auth.save_refresh == mr.accounts.set_refresh_token  # the sessions made later fall back on it
    mr.close()
