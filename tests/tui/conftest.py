"""Fixtures for the app tests: a fake façade with fictitious mail, and a helper to let workers finish."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tests.tui.fakes import FakeMailroom
from tui.i18n import set_language


@pytest.fixture
def mailroom() -> FakeMailroom:
    return FakeMailroom()


@pytest.fixture(autouse=True)
def french():
    """Each test starts in French, whatever the previous one chose."""
    set_language("fr")
    yield
    set_language("fr")


async def workers_done(app) -> None:
    """Wait for the app's workers; one cancelled meanwhile was replaced by a newer one of its group (the composer
    checks the recipients again at each key): wait for that one instead of failing."""
    from textual.worker import WorkerCancelled

    for _ in range(100):
        try:
            await app.workers.wait_for_complete()
            return
        except WorkerCancelled:
            continue


async def settle(app, pilot) -> None:
    """Let queued messages, thread workers and their replies run out, and the keys typed ahead be handed on (the
    app routes them one by one, each once the previous one's effects are done: on a loaded machine that can
    outlast a few pauses)."""
    for _ in range(3):
        await pilot.pause()
        await workers_done(app)
    await pilot.pause()
    typed_ahead = getattr(app, "keys_typed_ahead", None)
    if typed_ahead is None or not typed_ahead():
        return
    loop = asyncio.get_running_loop()
    end = loop.time() + 30.0  # only turns a hang into a failure
    while typed_ahead() and loop.time() < end:
        await pilot.pause(0.02)
    for _ in range(3):
        await pilot.pause()
        await workers_done(app)
    await pilot.pause()


def delivered(maildir: Path, needle: bytes, timeout: float = 60.0) -> bytes:
    """The raw letter holding ``needle`` once the suite's Postfix/Dovecot has put it in ``maildir`` (a generous
    deadline only turns a letter that never arrives into a failure that says so)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for sub in ("new", "cur"):
            for path in (maildir / sub).iterdir() if (maildir / sub).is_dir() else ():
                raw = path.read_bytes()
                if needle in raw:
                    return raw
        time.sleep(0.05)
    raise AssertionError(f"nothing with {needle!r} delivered to {maildir}")
