"""Fixtures for the app tests: a fake façade with fictitious mail, and a helper to let workers finish."""

from __future__ import annotations

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


async def settle(app, pilot) -> None:
    """Let queued messages, thread workers and their replies run out."""
    for _ in range(3):
        await pilot.pause()
        await app.workers.wait_for_complete()
    await pilot.pause()
