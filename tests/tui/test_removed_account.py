"""An account whose Maildir does not exist is not "Réseau indisponible": the app says what to fix. An account
removed while the app runs (``missive account remove`` in another terminal) leaves the running app: no longer in
the status bar, no longer retried, its messages no longer listed. A real profile, real Maildir folders, the CLI
run as another process, as the secretary would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import core.mailroom
from core.mail.account import Account
from core.mailroom import Mailroom
from tests.tui.test_flows import text_of, until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

PASS = "correct horse battery staple"
ROOT = Path(__file__).resolve().parents[2]


def mail(number: int, to: str) -> bytes:
    return (
        f"From: labo@labo.mssante.fr\r\nTo: {to}\r\nSubject: Message {number}\r\n"
        f"Message-ID: <gone{number}@labo.mssante.fr>\r\nDate: Mon, 02 Mar 2026 10:0{number}:00 +0100\r\n\r\n"
        "corps\r\n"
    ).encode()


def maildir(root: Path, *messages: bytes) -> Path:
    for sub in ("cur", "new", "tmp"):
        (root / sub).mkdir(parents=True)
    for number, data in enumerate(messages):
        (root / "new" / f"{number}.a").write_bytes(data)
    return root


def toasts(app: MissiveApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(core.mailroom, "RETRY_FIRST", 0.2)
    monkeypatch.setattr(core.mailroom, "RETRY_MAX", 0.4)


def profile_with(tmp_path: Path, **accounts: Path) -> Mailroom:
    Mailroom.create(tmp_path / "profile", PASS)
    settings = tmp_path / "profile" / "profile.toml"
    settings.write_text(
        settings.read_text("utf-8").replace("allow = []", 'allow = ["*.mssante.fr"]', 1), "utf-8"
    )
    mr = Mailroom.open(tmp_path / "profile", PASS)
    for name, root in accounts.items():
        mr.accounts.add(Account(name=name, email=f"dr@{name}.mssante.fr", kind="maildir", maildir=str(root)))
    return mr


async def test_a_missing_maildir_is_said_as_what_to_fix_not_as_the_network(
    tmp_path: Path, fast_retries: None
) -> None:
    mr = profile_with(tmp_path, cabinet=tmp_path / "Mailidr")  # a typo: no such folder
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: "hors ligne" in text_of(app, "#status-accounts"), "account offline", 30)
        await until(pilot, lambda: any("Maildir" in m for m in toasts(app)), "the toast saying what is wrong")
        [said] = [m for m in toasts(app) if "Maildir" in m]
        assert "Mailidr n'est pas un Maildir" in said
        assert "ce n'est pas le réseau" in said and "mbsync" in said
        assert "--maildir" not in said  # a command line flag means nothing on this screen
        assert "corrigez le chemin du compte (missive account list)" in said
        assert not any("Réseau indisponible" in m for m in toasts(app))
        await pilot.press("ctrl+q")


async def test_an_account_removed_in_another_window_leaves_the_running_app(
    tmp_path: Path, fast_retries: None
) -> None:
    """gp2's walk: `missive account remove ancien` while the app runs kept "ancien: hors ligne" in the status bar,
    retried it every 20/40/80 s and toasted the network each time."""
    cabinet = maildir(tmp_path / "cabinet", mail(1, "dr@cabinet.mssante.fr"))
    ancien = maildir(tmp_path / "ancien", mail(2, "dr@ancien.mssante.fr"))
    mr = profile_with(tmp_path, cabinet=cabinet, ancien=ancien)
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        status = lambda: text_of(app, "#status-accounts")  # noqa: E731
        await until(pilot, lambda: status().count("en ligne") == 2, "both accounts online", 30)
        messages = app.screen.query_one(MessageList)
        await until(pilot, lambda: len(messages.rows) == 2, "both accounts' messages listed")

        # the old account's folder goes (moved away), then a secretary removes the account from the profile
        ancien.rename(tmp_path / "ailleurs")
        await until(pilot, lambda: "ancien: hors ligne" in status(), "the old account offline", 30)
        done = subprocess.run(
            [sys.executable, "-m", "tui.cli", "--profile", str(tmp_path / "profile"), "account", "remove", "ancien"],
            cwd=ROOT,
            env={**os.environ, "MISSIVE_PASSPHRASE": PASS},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr

        await until(pilot, lambda: "ancien" not in status(), "the removed account gone from the status bar", 30)
        assert "cabinet: en ligne" in status()
        said = [m for m in toasts(app) if "ancien" in m and "retiré" in m]
        assert said == ["compte ancien retiré du profil : il n'est plus relevé et ses messages ne sont plus affichés"]
        await until(pilot, lambda: [r.subject for r in messages.rows] == ["Message 1"], "its message unlisted")
        retrying = lambda: [w for w in app.workers if w.name == "sync ancien" and not w.is_finished]  # noqa: E731
        await until(pilot, lambda: not retrying(), "no more retries for the removed account")
        assert any(w.name == "sync cabinet" and not w.is_finished for w in app.workers)
        assert "ancien" not in status()
        await pilot.press("ctrl+q")


async def test_an_account_removed_while_online_and_idle_leaves_at_once(tmp_path: Path, caplog) -> None:
    """Both Maildirs still there, nothing failing, each account in its IDLE round (540 s): `missive account
    remove ancien` in another terminal is seen when the profile's accounts are written, not when the round
    ends (it was, up to 9 minutes later): the French line on screen, a log line with the account's name only,
    its sync loop over, the other account untouched."""
    import logging

    caplog.set_level(logging.INFO, logger="missive")
    cabinet = maildir(tmp_path / "cabinet", mail(1, "dr@cabinet.mssante.fr"))
    ancien = maildir(tmp_path / "ancien", mail(2, "dr@ancien.mssante.fr"))
    mr = profile_with(tmp_path, cabinet=cabinet, ancien=ancien)
    app = MissiveApp(mailroom=mr)
    async with app.run_test(size=(80, 24)) as pilot:
        status = lambda: text_of(app, "#status-accounts")  # noqa: E731
        await until(pilot, lambda: status().count("en ligne") == 2, "both accounts online", 30)
        messages = app.screen.query_one(MessageList)
        await until(pilot, lambda: len(messages.rows) == 2, "both accounts' messages listed")
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "tui.cli",
                "--profile",
                str(tmp_path / "profile"),
                "account",
                "remove",
                "ancien",
            ],
            cwd=ROOT,
            env={**os.environ, "MISSIVE_PASSPHRASE": PASS},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        said = lambda: [m for m in toasts(app) if "ancien" in m and "retiré" in m]  # noqa: E731
        # far below the IDLE round's 540 s: the round is ended by the profile's change, not by its timeout
        await until(pilot, lambda: bool(said()), "the removal said on screen", 60)
        assert said() == [
            "compte ancien retiré du profil : il n'est plus relevé et ses messages ne sont plus affichés"
        ]
        retrying = lambda: [w for w in app.workers if w.name == "sync ancien" and not w.is_finished]  # noqa: E731
        await until(pilot, lambda: not retrying(), "the removed account's sync loop over", 30)
        await until(
            pilot, lambda: "ancien" not in status(), "the removed account gone from the status bar", 30
        )
        assert "cabinet: en ligne" in status()
        await until(pilot, lambda: [r.subject for r in messages.rows] == ["Message 1"], "its message unlisted")
        assert any(w.name == "sync cabinet" and not w.is_finished for w in app.workers)
        logged = [r.getMessage() for r in caplog.records if "no longer in the profile" in r.getMessage()]
        assert logged == ["account ancien no longer in the profile: not kept in sync"]
        await pilot.press("ctrl+q")


def test_an_accounts_messages_leave_before_the_account_does(tmp_path: Path) -> None:
    """A running app reads its list again as soon as the account leaves the profile (its watch on the
    accounts): by then the messages must be gone, or the list keeps them under 'ses messages ne sont plus
    affichés' (seen under tmux: the account went first, its message stayed listed). An unknown name drops
    nothing."""
    import asyncio

    from core.errors import NotFound

    cabinet = maildir(tmp_path / "cabinet", mail(1, "dr@cabinet.mssante.fr"))
    ancien = maildir(tmp_path / "ancien", mail(2, "dr@ancien.mssante.fr"))
    mr = profile_with(tmp_path, cabinet=cabinet, ancien=ancien)
    asyncio.run(mr.sync())
    assert len(mr.messages.list()) == 2
    seen: list[list[str]] = []
    remove = mr.accounts.remove

    def watched(name: str) -> None:
        seen.append(sorted(m.account for m in mr.messages.list()))  # what an app reading now would list
        remove(name)

    mr.accounts.remove = watched  # type: ignore[method-assign]
    with pytest.raises(NotFound):
        mr.remove_account("nouveau")
    assert len(mr.messages.list()) == 2
    seen.clear()
    assert mr.remove_account("ancien") == 1
    assert seen == [["cabinet"]] and mr.account_names() == ["cabinet"]
