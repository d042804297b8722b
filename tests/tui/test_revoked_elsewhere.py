"""`missive trust update` run in another terminal while the app runs (no daemon to carry its news): a result the
app filed whose signer the revocation list shows revoked is said at once, as when the app's own process or the
daemon it follows finds it — the toast, the À classer count — not only at the next count refresh, with no toast.

The app learns of another process's writes as it learns of an account removed elsewhere: the kernel wakes its watch
on the profile's folder (inotify), here the documents'. A real profile (a signed lab letter auto-filed from a
Maildir account the app keeps synced), a real CRL on 127.0.0.1, the CLI as a separate process, the app at 80x24."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.secure.pki import make_ca, make_user
from tests.secure.test_crl_recheck import DAY, NOW, PASS
from tests.secure.test_crl_revoked_filed import crl_of, filed_practice
from tests.servers.files import FileServer
from tests.tui.test_flows import until
from tests.tui.test_revoked_filed import _counts
from tui.app import MissiveApp

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def crl_server(tmp_path: Path):  # type: ignore[no-untyped-def]
    server = FileServer(tmp_path / "crl-files", tls=False).start()
    yield server
    server.stop()


async def test_trust_update_in_another_terminal_is_said_by_the_running_app(tmp_path: Path, crl_server) -> None:
    ca = make_ca("CA Santé de test")
    alice = make_user("Labo Alice", ["alice@labo.test"], ca)
    mr, _lgc = await filed_practice(tmp_path, ca, [(alice, "alice@labo.test")])
    [doc] = mr.documents.list()
    assert doc.state == "filed"
    crl_server.serve("/ca.crl", crl_of(ca, [alice.cert], NOW - 2 * DAY, NOW - DAY / 24))
    toast = "1 document(s) classé(s) d'après une lettre dont le signataire est révoqué"

    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        # (no settle: it waits for every worker, and the account's background sync runs until the app ends)
        await until(pilot, lambda: "À classer : 0" in _counts(app), "the count at start")
        await until(pilot, lambda: mr._revoked_told is not None, "the watch on the documents")
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "tui.cli", "--profile", str(tmp_path / "profile"), "trust", "update",
             "--url", crl_server.url("/no-whitelist.xml"), "--crl-url", crl_server.url("/ca.crl")],
            cwd=ROOT, env={**os.environ, "MISSIVE_PASSPHRASE": PASS}, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert "1 document(s) classé(s)" in done.stdout + done.stderr or "à vérifier" in done.stdout, done
        assert mr.documents.get(doc.id).signer_revoked == "check"  # the other process put it back for a check
        await until(pilot, lambda: any(toast in n.message for n in app._notifications), "the toast")
        await until(pilot, lambda: "À classer : 1" in _counts(app), "the count")
        assert sum(toast in n.message for n in app._notifications) == 1
        await pilot.press("ctrl+q")
