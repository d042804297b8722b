"""Textual's command palette with its two fixed English phrases in the interface's language."""

from __future__ import annotations

from typing import Any

from rich.align import Align
from rich.text import Text
from textual.command import CommandList, CommandPalette
from textual.widgets.option_list import Option

from tui import keymap
from tui.i18n import t


class Palette(CommandPalette):
    """ctrl+p: every action, searched by its French (or English) description."""

    def __init__(self, placeholder: str | None = None, **kwargs: Any) -> None:
        super().__init__(placeholder=placeholder or t("palette.placeholder"), **kwargs)
        # Textual's own Échap binding is described in English ("Exit the command palette") on the keys line
        keymap.show_in_footer(self, {"escape": t("palette.close")})

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual 8 writes "No matches found" in this private method; the same countdown, our words
        self._stop_no_matches_countdown()

        def show_none() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(t("palette.none"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_none)
