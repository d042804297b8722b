"""A frame drawn at once when the doctor waits for it, not at the next tick of Textual's frame clock.

Textual draws a screen's changes on a 60 Hz timer: a change asked 2 ms after the last frame waits 15 ms for
the next tick. That pacing merges the many small changes of typing or scrolling into one frame, which is
right, but a message opened is one change the doctor waits for: its frame is drawn as soon as the screen has
taken the widgets' requests (``paint_soon``). Nothing else changes: no timer is added or sped up, an idle
screen still wakes for nothing.

It reuses private parts of Textual 8.x (the screen's idle handler and its timer callback, as
tui/driver.py does); when another release moved them, the frame waits for the tick as before.
"""

from __future__ import annotations

from textual import events
from textual.screen import Screen, ScreenResultType

_TEXTUAL_PARTS = ("_on_timer_update", "_layout_required", "_dirty_widgets", "_repaint_required")


class PromptFrames(Screen[ScreenResultType]):
    """A screen whose next frame can be asked for now (``paint_soon``)."""

    _paint_soon = False

    def paint_soon(self) -> None:
        """Draw the changes asked for by now as soon as the screen has taken them (one frame, then the
        clock's pacing again)."""
        if all(hasattr(self, name) for name in _TEXTUAL_PARTS):
            self._paint_soon = True

    async def _on_idle(self, event: events.Idle) -> None:
        # Textual calls each class's handler in turn: Screen's runs after this one unless the default is
        # prevented (it starts the frame timer when something is to be drawn)
        if not self._paint_soon or self.app._batch_count or not self.is_current:
            return
        if self._layout_required or self._repaint_required or self._dirty_widgets:
            self._paint_soon = False
            event.prevent_default()
            self._on_timer_update()  # layout, draw and write to the terminal now
