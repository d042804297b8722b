"""The keys line at the bottom of missive's screens: one widget drawing one line.

Textual's Footer is a scrolling container of one widget per key. It is empty when first composed and fills
itself once the screen's bindings are ready, after the first paint; each change of keys removes and mounts
its key widgets; each layout of the screen lays them out again and redraws them. Opening a message paid for
that: the key pressed at the painted list waited behind the footer's rebuild, and every open redrew the six
keys. Here the line is drawn by this widget alone (its size never changes, so a layout leaves it alone), the
keys read from the screen's bindings when they change, repainted only when the words shown change.

It looks as Textual's footer did (same theme variables, same order, the command palette's key on the right)
and behaves as it did: a click on a key presses it (a bell for a key that does not apply), the key under the
pointer is highlighted and its tooltip shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widget import Widget

from tui.keymap import key_name

SEPARATOR = "▏"  # the left edge of the command palette's key (Textual's vkey border)


@dataclass(frozen=True)
class FooterItem:
    """One key as the footer shows it."""

    key: str  # what a click presses
    key_display: str
    description: str
    enabled: bool
    tooltip: str
    palette: bool = False  # the command palette's key, drawn on the right

    @property
    def cells(self) -> tuple[str, str]:
        """The key's text and the description's, padded as Textual's footer pads them."""
        if self.palette:  # compact: no padding around the key, a space before the word
            return self.key_display, f" {self.description}" if self.description else ""
        if not self.description:
            return f" {self.key_display} ", ""
        return f" {self.key_display} ", f"{self.description} "

    @property
    def compact_cells(self) -> tuple[str, str]:
        """The same with one space between keys instead of two: for a line that would not hold them all."""
        if self.palette:
            return self.cells
        return f" {self.key_display}", f" {self.description}" if self.description else ""

    def cells_for(self, compact: bool) -> tuple[str, str]:
        return self.compact_cells if compact else self.cells


def display(binding: Binding) -> str:
    """How the line shows a binding's key: its own display when it has one ("F2-F5"), else the key as the
    keyboard says it in the interface's language (Échap, Entrée, Ctrl+s: the help screen's names)."""
    return binding.key_display or key_name(binding.key)


class KeyFooter(Widget, can_focus=False):
    """The footer of missive's screens: the keys of the focused widget, its pane and the app."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "key-footer--key",
        "key-footer--description",
        "key-footer--separator",
        "key-footer--hover",
    }
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        width: 1fr;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-footer--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-footer--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-footer--separator { color: $foreground 20%; }
        & > .key-footer--hover { background: $block-hover-background; }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._items: tuple[FooterItem, ...] | None = None
        self._hover: int | None = None  # index in _items of the key under the pointer
        self._spans: list[tuple[int, int, int]] = []  # (start x, end x, index in _items) as last drawn
        self.compact = False  # one space between keys: set by placed()

    # -- what is shown -------------------------------------------------------------------------------------
    def items(self) -> tuple[FooterItem, ...]:
        """The keys on show, read from the screen's bindings (as Textual's footer reads them)."""
        if self._items is None:
            self._items = self._read_items()
        return self._items

    def keys_screen(self) -> Screen[Any]:
        """The screen whose keys work now: a dialog over this footer's screen (the help, a question, the
        patient search) takes the keys, so the line shows its keys, not the pane's beneath that do nothing."""
        try:
            top = self.app.screen
        except Exception:  # noqa: BLE001 - no screen yet (the app starting or ending): this footer's own
            return self.screen
        if top is not self.screen and isinstance(top, ModalScreen) and self.screen in self.app.screen_stack:
            return top
        return self.screen

    def _read_items(self) -> tuple[FooterItem, ...]:
        app = self.app
        active = self.keys_screen().active_bindings
        out: list[FooterItem] = []
        seen_actions: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show or binding.action in seen_actions:
                continue  # several keys for one action: the first one stands for them (as Textual's)
            seen_actions.add(binding.action)
            out.append(
                FooterItem(binding.key, display(binding), binding.description, enabled, tooltip)
            )
        if app.ENABLE_COMMAND_PALETTE and (palette := active.get(app.COMMAND_PALETTE_BINDING)) is not None:
            _node, binding, enabled, _tooltip = palette
            out.append(
                FooterItem(
                    binding.key,
                    display(binding),
                    binding.description,
                    enabled,
                    binding.tooltip or binding.description,
                    palette=True,
                )
            )
        return tuple(out)

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)
        self.app.screen_change_signal.unsubscribe(self)

    def _screen_changed(self, screen: Screen[Any]) -> None:
        """A dialog opened over this footer's screen, or closed: its keys are read (and followed) instead."""
        if not self.is_attached:
            return
        if screen is not self.screen and self.keys_screen() is screen:
            screen.bindings_updated_signal.subscribe(self, self.bindings_changed)
        self._reread()

    def bindings_changed(self, screen: Screen[Any]) -> None:
        if not screen.app.app_focus or not self.is_attached or screen is not self.keys_screen():
            return  # the terminal lost the focus: the keys stay as they were (as Textual's footer)
        self._reread()

    def _reread(self) -> None:
        items = self._read_items()
        if items != self._items:  # a repaint of this line only: its size does not change
            self._items = items
            self._hover = None
            self.refresh()

    # -- drawing -------------------------------------------------------------------------------------------
    def placed(self, width: int | None = None) -> list[tuple[FooterItem, int, int]]:
        """Each key on show and the columns it takes (start, end) at ``width`` (the widget's): the keys from
        the left, cut where the command palette's key begins on the right (after its bar); a key with no
        room left is not shown."""
        width = self.size.width if width is None else width
        items = self.items()
        palette = next((item for item in items if item.palette), None)
        room = width - (1 + sum(map(cell_len, palette.cells)) + 1 if palette is not None else 0)
        # the keys' names said in words (Ctrl+s, Échap) can make a pane's keys one or two cells too long for
        # 80 columns: then one space between keys instead of two, rather than a key cut
        self.compact = sum(sum(map(cell_len, item.cells)) for item in items if not item.palette) > room
        out: list[tuple[FooterItem, int, int]] = []
        x = 0
        for item in items:
            if item.palette or x >= room:
                continue
            length = sum(map(cell_len, item.cells_for(self.compact)))
            out.append((item, x, min(x + length, room)))
            x += length
        if palette is not None and room + 1 < width:
            out.append((palette, max(0, room + 1), width - 1))
        return out

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        fill = Style(bgcolor=base.bgcolor)
        if y != 0 or width <= 0:
            return Strip.blank(width, fill)
        key_style = self.get_component_rich_style("key-footer--key")
        word_style = self.get_component_rich_style("key-footer--description")
        hover_style = Style(bgcolor=self.get_component_rich_style("key-footer--hover").bgcolor)
        placed = self.placed(width)
        self._spans = [(start, end, self.items().index(item)) for item, start, end in placed]
        segments: list[Segment] = []
        x = 0
        for (item, start, end), (_s, _e, index) in zip(placed, self._spans, strict=True):
            if (blank := start - x - item.palette) > 0:  # before the palette's bar
                segments.append(Segment(" " * blank, fill))
            if item.palette:
                segments.append(Segment(SEPARATOR, self.get_component_rich_style("key-footer--separator")))
            hover = hover_style if index == self._hover else None
            drawn = Strip(self._item(item, key_style, word_style, hover, self.compact)).crop(0, end - start)
            segments.extend(drawn)
            x = start + drawn.cell_length
        return Strip([*segments, Segment(" " * max(0, width - x), fill)]).crop(0, width)

    @staticmethod
    def _item(
        item: FooterItem, key_style: Style, word_style: Style, hover: Style | None, compact: bool
    ) -> list[Segment]:
        key, word = item.cells_for(compact)
        if hover is not None:
            key_style, word_style = key_style + hover, word_style + hover
        if not item.enabled:
            dim = Style(dim=True)
            key_style, word_style = key_style + dim, word_style + dim
        return [Segment(key, key_style), *([Segment(word, word_style)] if word else [])]

    # -- pointer -------------------------------------------------------------------------------------------
    def _at(self, x: int) -> int | None:
        return next((index for start, end, index in self._spans if start <= x < end), None)

    def on_mouse_move(self, event: events.MouseMove) -> None:
        index = self._at(event.x)
        if index != self._hover:
            self._hover = index
            self.tooltip = (self.items()[index].tooltip or None) if index is not None else None
            self.refresh()

    def on_leave(self, event: events.Leave) -> None:
        if self._hover is not None:
            self._hover = None
            self.tooltip = None
            self.refresh()

    def on_mouse_down(self, event: events.MouseDown) -> None:
        index = self._at(event.x)
        if index is None:
            return
        item = self.items()[index]
        if item.enabled:
            self.app.simulate_key(item.key)
        else:
            self.app.bell()
