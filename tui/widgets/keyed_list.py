"""An option list that also moves with j/k, as the message list does (Réception's folders, À classer's lists)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import OptionList


class KeyedList(OptionList):
    """An option list that also moves with j/k, as the message list does."""

    BINDINGS = [Binding("j", "cursor_down", show=False), Binding("k", "cursor_up", show=False)]
