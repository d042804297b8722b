"""One place where a failed background task becomes a French toast and a log line (ids only).

Textual 8 posts ``Worker.StateChanged`` to the widget or screen that started the worker and does not bubble
it: ``App.on_worker_state_changed`` never hears of a pane's worker failing. Every pane and screen that starts
workers mixes in :class:`ReportsFailures`, which hands the failure to :func:`report_failure`, the one handler.
"""

from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from textual.worker import Worker, WorkerState

from core.errors import AuditBroken, MissiveError
from tui.i18n import t

if TYPE_CHECKING:
    from textual.app import App

log = logging.getLogger("missive.tui")


def report_failure(app: Any, worker: Worker[Any]) -> None:
    """A toast a doctor can act on, never a traceback; the log gets the task's name and the error's type
    (a MissiveError's words are French and carry no health data by the core's rule; other errors' words
    might: they are left out of the log, their frames kept)."""
    error = worker.error
    task = worker.group or worker.name or "?"
    said = getattr(app, "audit_broken", None)
    if isinstance(error, AuditBroken) and said is not None:
        # the audit log out of step with its seal: said once and kept in sight, not a toast per letter opened
        log.info("task %s refused: %s", task, type(error).__name__)
        said(str(error))  # one line, the core's (its non-breaking spaces kept)
        return
    if isinstance(error, MissiveError):
        app.notify(" ".join(str(error).split()), severity="error", timeout=8)
        log.info("task %s failed: %s", task, type(error).__name__)
        return
    kind = type(error).__name__
    app.notify(t("app.internal_error", kind=kind), severity="error", timeout=8)
    # where it happened, without the source lines or the error's words (either may quote data)
    frames = traceback.extract_tb(error.__traceback__) if error is not None else []
    where = " < ".join(f"{Path(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
    log.error("task %s crashed: %s at %s", task, kind, where)


class _InAnApp(Protocol):
    """What the mixin needs of the widget or screen it is mixed into."""

    @property
    def app(self) -> App[Any]: ...


class ReportsFailures:
    """Mix into a widget or screen that starts workers: their failures reach :func:`report_failure`."""

    def on_worker_state_changed(self: _InAnApp, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            report_failure(self.app, event.worker)
