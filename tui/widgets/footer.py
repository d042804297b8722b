"""Textual's footer, recomposed only when the keys it shows change.

Textual's Footer rebuilds all its key widgets (and so the screen's layout) each time the screen's bindings are
refreshed: on every focus change, even when the same keys stay on show. Here it compares what it would show
with what it shows, and leaves the screen alone when they are the same.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    """The footer of missive's screens (keys and their words, as Textual's)."""

    _shown: tuple[Any, ...] | None = None

    def _keys_on_show(self) -> tuple[Any, ...]:
        return tuple(
            (
                binding.key,
                binding.description,
                binding.action,
                enabled,
                tooltip,
                self.app.get_key_display(binding),
            )
            for (_, binding, enabled, tooltip) in self.screen.active_bindings.values()
            if binding.show
        )

    def compose(self) -> Any:
        if self._bindings_ready:
            self._shown = self._keys_on_show()
        yield from super().compose()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            # compared when Textual's footer would recompose (after the refresh: focus has settled by then)
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self._keys_on_show() != self._shown:
            await self.recompose()
