"""The app when the audit log no longer matches its seal: the core's line is said once (a toast) and kept in sight
above the status bar, with the commands to run; opening letter after letter adds no toast; once the log is
resealed (in another terminal) the next letter opens and the line goes."""

from __future__ import annotations

from typing import Any

from core.errors import AuditBroken
from core.text import T
from tests.tui.conftest import settle
from tests.tui.fakes import FakeMailroom
from tests.tui.test_flows import until
from tui.app import MissiveApp
from tui.widgets.message_list import MessageList

LINE = str(AuditBroken(T("store.audit.broken", where="")))


def _counting(app: MissiveApp) -> list[str]:
    said: list[str] = []
    notify = app.notify

    def counted(message: Any, *args: Any, **kwargs: Any) -> None:
        said.append(str(message))
        notify(message, *args, **kwargs)

    app.notify = counted  # type: ignore[method-assign]
    return said


def _line(app: MissiveApp) -> Any:
    return app.screen.query_one("#audit-broken")


async def test_a_break_met_by_reading_is_said_once_and_kept_in_sight_until_resealed() -> None:
    mailroom = FakeMailroom()
    app = MissiveApp(mailroom=mailroom)
    said = _counting(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert not _line(app).display  # in step: no line
        mailroom.audit_broken = LINE  # e.g. a backup of the profile restored while the app runs
        await pilot.press("enter")
        await until(pilot, lambda: _line(app).display, "the audit line shown")
        shown = " ".join(str(_line(app).render()).split())
        assert "missive audit verify" in shown and "missive audit reseal" in shown
        assert "ne correspond plus à son sceau" in shown
        for key in ("down", "up", "down"):  # each letter opened is refused again: nothing more on screen
            await pilot.press(key, "enter")
            await settle(app, pilot)
        assert [s for s in said if "journal d'audit" in s] == [LINE]
        assert not [a for a in mailroom.audit if a[0] == "read"]  # no letter read without its record
        assert app.screen.query_one(MessageList).display  # the list stays usable
        assert _line(app).region.height >= 1 and _line(app).region.bottom <= 23  # above the status bar

        mailroom.audit_broken = None  # `missive audit reseal` run in another terminal
        await pilot.press("enter")
        await until(pilot, lambda: not _line(app).display, "the audit line gone")
        assert [a for a in mailroom.audit if a[0] == "read"]
        await pilot.press("ctrl+q")


async def test_a_break_found_at_unlock_is_said_before_any_letter_is_opened() -> None:
    mailroom = FakeMailroom(audit_broken=LINE)
    app = MissiveApp(mailroom=mailroom)
    said = _counting(app)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await until(pilot, lambda: _line(app).display, "the audit line shown at unlock")
        assert [s for s in said if "journal d'audit" in s] == [LINE]
        await pilot.press("enter")
        await settle(app, pilot)
        assert [s for s in said if "journal d'audit" in s] == [LINE]
        await pilot.press("ctrl+q")
