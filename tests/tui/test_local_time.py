"""Dates read in this computer's time zone: a lab whose server writes its Date in UTC sent a result at 11:30 in
Paris (summer), the app said 09:30; the filing time beside it was already local. The suite runs in UTC
(tests/conftest.py); here Paris, written as a POSIX rule (no time zone database needed)."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from core.model import local_time
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom, plain_message
from tests.tui.test_flows import text_of
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

PARIS = "CET-1CEST,M3.5.0,M10.5.0/3"


@pytest.fixture
def in_paris(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("TZ", PARIS)
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


async def test_a_message_sent_in_utc_reads_in_local_time(mailroom: FakeMailroom, in_paris: None) -> None:
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.current.id == "m-lab"  # Date: 2 June 2025 09:30 UTC
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Date : 02/06/2025 11:30" in text_of(app, "#reader-headers")
        await pilot.press("r")
        await settle(app, pilot)
        body = app.screen.query_one("#compose-body").text
        assert "Le 2 juin 2025 à 11:30," in body


@pytest.mark.parametrize(
    "when",
    [
        dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-12))),
        dt.datetime(1, 1, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=14))),
    ],
)
def test_a_date_at_the_end_of_the_calendar_is_shown_as_written(when: dt.datetime) -> None:
    """A Date the local zone cannot hold (year 9999 west of UTC, year 1 east of it: spam, a device's clock) made
    astimezone() raise OverflowError: every screen showing that letter's date failed."""
    assert local_time(when) == when


async def test_a_letter_dated_year_9999_does_not_break_the_inbox(mailroom: FakeMailroom) -> None:
    when = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone(dt.timedelta(hours=-12)))
    raw = plain_message("spam@exemple.test", "Offre", when, "Bonjour\n")
    mailroom.messages.add("m-future", raw, "spam@exemple.test", "Offre exceptionnelle", when)
    app = MissiveApp(mailroom=mailroom)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        msg_list = app.screen.query_one(MessageList)
        assert msg_list.current.id == "m-future"  # the newest
        assert app.is_running  # its row drawn (it failed: 'erreur interne (OverflowError)', the app ended)
        await pilot.press("enter")
        await settle(app, pilot)
        assert "Date : 31/12/9999 23:59" in text_of(app, "#reader-headers")
